//! Splitting a copy of any size into copy-engine launches.
//!
//! One pitch-layout copy engine launch (`LAUNCH_DMA` with `LINE_LENGTH_IN`, a 32-bit byte count)
//! moves at most `max_chunk` bytes; tinygrad (`ops_nv.py`, `NVCopyQueue.copy`) steps by 2 GiB.
//! Hardware-independent.

use crate::error::{Error, Result};

/// Largest chunk nvbare submits in one copy-engine launch (2 GiB, as tinygrad does).
pub const MAX_COPY_CHUNK: u64 = 1 << 31;

/// One copy-engine launch: `len` bytes from `src` to `dst` (GPU virtual addresses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CopyChunk {
    pub src: u64,
    pub dst: u64,
    pub len: u32,
}

/// The launches for copying `len` bytes from `src` to `dst` in chunks of at most `max_chunk`
/// (1..=u32::MAX), produced lazily (a huge copy with a small chunk size allocates nothing).
/// Address overflow is an error; `len == 0` gives no chunks.
pub fn split_copy(src: u64, dst: u64, len: u64, max_chunk: u64) -> Result<CopyChunks> {
    if max_chunk == 0 || max_chunk > u64::from(u32::MAX) {
        return Err(Error::OutOfRange {
            what: "copy chunk size",
            value: max_chunk,
            limit: u64::from(u32::MAX),
        });
    }
    for (what, base) in [("copy source end", src), ("copy destination end", dst)] {
        if base.checked_add(len).is_none() {
            return Err(Error::OutOfRange {
                what,
                value: base,
                limit: u64::MAX - len,
            });
        }
    }
    Ok(CopyChunks {
        src,
        dst,
        len,
        max_chunk,
        off: 0,
    })
}

/// Iterator over the chunks of a copy (see [`split_copy`]).
#[derive(Debug, Clone)]
pub struct CopyChunks {
    src: u64,
    dst: u64,
    len: u64,
    max_chunk: u64,
    off: u64,
}

impl CopyChunks {
    /// Chunks still to come.
    pub fn remaining(&self) -> u64 {
        (self.len - self.off).div_ceil(self.max_chunk)
    }
}

impl Iterator for CopyChunks {
    type Item = CopyChunk;
    fn next(&mut self) -> Option<CopyChunk> {
        if self.off >= self.len {
            return None;
        }
        let n = (self.len - self.off).min(self.max_chunk);
        // `split_copy` checked that src+len and dst+len fit, and n <= max_chunk <= u32::MAX.
        let chunk = CopyChunk {
            src: self.src + self.off,
            dst: self.dst + self.off,
            len: u32::try_from(n).ok()?,
        };
        self.off += n;
        Some(chunk)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_exactly() {
        assert_eq!(split_copy(0, 0, 0, MAX_COPY_CHUNK).unwrap().count(), 0);
        let c: Vec<_> = split_copy(0x1000, 0x9000_0000, 1, MAX_COPY_CHUNK)
            .unwrap()
            .collect();
        assert_eq!(
            c,
            vec![CopyChunk {
                src: 0x1000,
                dst: 0x9000_0000,
                len: 1
            }]
        );
        let len = 5 * (1u64 << 30) + 7;
        let it = split_copy(0, 1 << 40, len, MAX_COPY_CHUNK).unwrap();
        assert_eq!(it.remaining(), 3);
        let c: Vec<_> = it.collect();
        assert_eq!(c.len(), 3);
        assert_eq!(c.iter().map(|x| u64::from(x.len)).sum::<u64>(), len);
        assert_eq!(
            c[1],
            CopyChunk {
                src: 1 << 31,
                dst: (1 << 40) + (1 << 31),
                len: 1 << 31
            }
        );
        assert_eq!(c[2].len, (1 << 30) + 7);
        for (n, chunk) in [(10u64, 3u64), (9, 3), (1, 3)] {
            let c: Vec<_> = split_copy(100, 200, n, chunk).unwrap().collect();
            assert_eq!(c.len() as u64, n.div_ceil(chunk));
            assert!(c
                .windows(2)
                .all(|w| w[0].src + u64::from(w[0].len) == w[1].src));
        }
    }

    /// Found by the `rm_replies` fuzz target (out-of-memory): 2^36 bytes in 1-byte chunks must not
    /// allocate a chunk list.
    #[test]
    fn huge_copy_with_tiny_chunks_is_lazy() {
        let mut it = split_copy(0, 0, 1 << 36, 1).unwrap();
        assert_eq!(it.remaining(), 1 << 36);
        assert_eq!(
            it.next(),
            Some(CopyChunk {
                src: 0,
                dst: 0,
                len: 1
            })
        );
        assert_eq!(
            it.nth(5),
            Some(CopyChunk {
                src: 6,
                dst: 6,
                len: 1
            })
        );
    }

    #[test]
    fn rejects_overflow_and_bad_chunk() {
        assert!(matches!(
            split_copy(u64::MAX, 0, 2, 4),
            Err(crate::error::Error::OutOfRange {
                what: "copy source end",
                ..
            })
        ));
        assert!(matches!(
            split_copy(0, u64::MAX - 1, 2, 4),
            Err(crate::error::Error::OutOfRange {
                what: "copy destination end",
                ..
            })
        ));
        assert!(matches!(
            split_copy(0, 0, 2, 0),
            Err(crate::error::Error::OutOfRange {
                what: "copy chunk size",
                ..
            })
        ));
        assert!(matches!(
            split_copy(0, 0, 2, 1 << 32),
            Err(crate::error::Error::OutOfRange {
                what: "copy chunk size",
                ..
            })
        ));
    }
}
