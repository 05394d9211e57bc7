//! Decompression of fatbin payloads.
//!
//! nvcc compresses fatbin entries with one of two algorithms, chosen by `--compress-mode` and recorded in the
//! entry's flag word (checked against real nvcc 13.x output, see `runtime/tests/fatbin.rs`):
//!
//! | flag      | algorithm              | written by                                         |
//! |-----------|------------------------|----------------------------------------------------|
//! | `0x8000`  | zstd frame(s)          | `--compress-mode=default`, `size`, `balance`        |
//! | `0x2000`  | LZ4 block (no framing) | `--compress-mode=speed` (and older nvcc's default) |
//!
//! Both decoders are pure Rust (`ruzstd`, `lz4_flex` with its safe decoder). Output never grows past the size the
//! entry declares, and that size is checked against a caller-chosen limit before any allocation, so a small input
//! cannot make this allocate more than the limit (no decompression bombs).

use std::io::Read;

use crate::error::{Error, Result};

/// The compression method of a fatbin payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Compression {
    /// Stored as is.
    None,
    /// LZ4 block format (flag `0x2000`).
    Lz4,
    /// Zstandard frames (flag `0x8000`).
    Zstd,
}

impl Compression {
    /// The algorithm's name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Lz4 => "LZ4",
            Compression::Zstd => "zstd",
        }
    }
}

/// Largest uncompressed size accepted by default (1 GiB): far above any real kernel image.
pub const DEFAULT_MAX_UNCOMPRESSED: u64 = 1 << 30;

/// An LZ4 block expands at most ~255x (every extra length byte adds 255 output bytes); sizes beyond this bound are
/// impossible and refused before allocating.
const LZ4_MAX_RATIO: u64 = 255;

/// Decompresses `input` (the entry's stored bytes) into exactly `declared` bytes.
///
/// `entry` is only used in errors. Fails with [`Error::FatbinTooLarge`] when `declared` exceeds `limit` (or, for
/// LZ4, cannot come from `input.len()` bytes), with [`Error::FatbinDecompress`] when the data is corrupt and with
/// [`Error::FatbinSizeMismatch`] when it decodes to a different size.
pub fn decompress(
    entry: usize,
    method: Compression,
    input: &[u8],
    declared: u64,
    limit: u64,
) -> Result<Vec<u8>> {
    if declared > limit {
        return Err(Error::FatbinTooLarge {
            entry,
            declared,
            limit,
        });
    }
    match method {
        Compression::None => {
            let actual = u64::try_from(input.len()).unwrap_or(u64::MAX);
            if actual != declared {
                return Err(Error::FatbinSizeMismatch {
                    entry,
                    declared,
                    actual,
                    truncated: false,
                });
            }
            Ok(input.to_vec())
        }
        Compression::Lz4 => decompress_lz4(entry, input, declared),
        Compression::Zstd => decompress_zstd(entry, input, declared),
    }
}

fn decompress_lz4(entry: usize, input: &[u8], declared: u64) -> Result<Vec<u8>> {
    let in_len = u64::try_from(input.len()).unwrap_or(u64::MAX);
    let bound = in_len.saturating_mul(LZ4_MAX_RATIO).saturating_add(16);
    if declared > bound {
        return Err(Error::FatbinTooLarge {
            entry,
            declared,
            limit: bound,
        });
    }
    let len = usize::try_from(declared).map_err(|_| Error::FatbinTooLarge {
        entry,
        declared,
        limit: bound,
    })?;
    let mut out = vec![0u8; len];
    let written =
        lz4_flex::block::decompress_into(input, &mut out).map_err(|e| Error::FatbinDecompress {
            entry,
            algorithm: "LZ4",
            source: Box::new(e),
        })?;
    if written != len {
        let actual = u64::try_from(written).unwrap_or(u64::MAX);
        return Err(Error::FatbinSizeMismatch {
            entry,
            declared,
            actual,
            truncated: false,
        });
    }
    Ok(out)
}

fn decompress_zstd(entry: usize, input: &[u8], declared: u64) -> Result<Vec<u8>> {
    let zerr = |e: Box<dyn std::error::Error + Send + Sync>| Error::FatbinDecompress {
        entry,
        algorithm: "zstd",
        source: e,
    };
    // Grow with the real output (never pre-allocate a declared size that the data may not back), but stop one byte
    // past the declared size: more output than declared is an error, not something to keep decoding.
    let mut out = Vec::new();
    let mut rest = input;
    let cap = declared.saturating_add(1);
    while !rest.is_empty() {
        let produced = u64::try_from(out.len()).unwrap_or(u64::MAX);
        let mut decoder =
            ruzstd::decoding::StreamingDecoder::new(&mut rest).map_err(|e| zerr(Box::new(e)))?;
        (&mut decoder)
            .take(cap.saturating_sub(produced))
            .read_to_end(&mut out)
            .map_err(|e| zerr(Box::new(e)))?;
        let produced = u64::try_from(out.len()).unwrap_or(u64::MAX);
        if produced > declared {
            return Err(Error::FatbinSizeMismatch {
                entry,
                declared,
                actual: produced,
                truncated: true,
            });
        }
        if !decoder.decoder.is_finished() {
            // The reader stopped before the frame's end: the input ran out mid-frame.
            return Err(zerr("zstd frame ends early".into()));
        }
    }
    let actual = u64::try_from(out.len()).unwrap_or(u64::MAX);
    if actual != declared {
        return Err(Error::FatbinSizeMismatch {
            entry,
            declared,
            actual,
            truncated: false,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    // A hand-made LZ4 block: literal "ab", then a match of length 6 at distance 2, then the 5 final literals
    // required by the format ("cdefg"). Decodes to "abababab" + "cdefg".
    const LZ4_BLOCK: &[u8] = &[
        0x22, b'a', b'b', 0x02, 0x00, 0x50, b'c', b'd', b'e', b'f', b'g',
    ];

    #[test]
    fn lz4_block_decodes_to_declared_size() {
        let out = decompress(0, Compression::Lz4, LZ4_BLOCK, 13, DEFAULT_MAX_UNCOMPRESSED).unwrap();
        assert_eq!(out, b"ababababcdefg");
    }

    #[test]
    fn lz4_wrong_declared_size_is_an_error() {
        let err =
            decompress(3, Compression::Lz4, LZ4_BLOCK, 12, DEFAULT_MAX_UNCOMPRESSED).unwrap_err();
        assert!(
            matches!(err, Error::FatbinDecompress { entry: 3, .. }),
            "{err:?}"
        );
        let err =
            decompress(3, Compression::Lz4, LZ4_BLOCK, 20, DEFAULT_MAX_UNCOMPRESSED).unwrap_err();
        assert!(
            matches!(
                err,
                Error::FatbinSizeMismatch {
                    declared: 20,
                    actual: 13,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn declared_size_over_limit_refused_before_decoding() {
        let err = decompress(
            1,
            Compression::Zstd,
            &[0; 4],
            1 << 40,
            DEFAULT_MAX_UNCOMPRESSED,
        )
        .unwrap_err();
        assert!(
            matches!(err, Error::FatbinTooLarge { entry: 1, .. }),
            "{err:?}"
        );
        // LZ4 cannot expand 11 bytes to 1 MiB.
        let err = decompress(
            1,
            Compression::Lz4,
            LZ4_BLOCK,
            1 << 20,
            DEFAULT_MAX_UNCOMPRESSED,
        )
        .unwrap_err();
        assert!(matches!(err, Error::FatbinTooLarge { .. }), "{err:?}");
    }

    // zstd frame holding one raw block "hello" (frame header: single segment, 1-byte content size 5).
    const ZSTD_RAW: &[u8] = &[
        0x28, 0xb5, 0x2f, 0xfd, 0x20, 0x05, 0x29, 0x00, 0x00, b'h', b'e', b'l', b'l', b'o',
    ];
    // zstd frame holding one RLE block: 100000 x 'A' from 5 bytes of payload (no content size in the header).
    const ZSTD_RLE: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58, 0x03, 0x35, 0x0c, b'A'];

    #[test]
    fn zstd_raw_block() {
        let out = decompress(0, Compression::Zstd, ZSTD_RAW, 5, DEFAULT_MAX_UNCOMPRESSED).unwrap();
        assert_eq!(out, b"hello");
        // Two frames back to back decode to the concatenation.
        let two = [ZSTD_RAW, ZSTD_RAW].concat();
        let out = decompress(0, Compression::Zstd, &two, 10, DEFAULT_MAX_UNCOMPRESSED).unwrap();
        assert_eq!(out, b"hellohello");
    }

    #[test]
    fn zstd_bomb_stops_at_declared_size() {
        let err = decompress(
            2,
            Compression::Zstd,
            ZSTD_RLE,
            1000,
            DEFAULT_MAX_UNCOMPRESSED,
        )
        .unwrap_err();
        assert!(
            matches!(
                err,
                Error::FatbinSizeMismatch {
                    entry: 2,
                    declared: 1000,
                    actual: 1001,
                    truncated: true
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn zstd_garbage_and_truncation_are_errors() {
        let err = decompress(
            0,
            Compression::Zstd,
            b"not zstd at all",
            5,
            DEFAULT_MAX_UNCOMPRESSED,
        )
        .unwrap_err();
        assert!(matches!(err, Error::FatbinDecompress { .. }), "{err:?}");
        let err = decompress(
            0,
            Compression::Zstd,
            &ZSTD_RAW[..12],
            5,
            DEFAULT_MAX_UNCOMPRESSED,
        )
        .unwrap_err();
        assert!(
            matches!(
                err,
                Error::FatbinDecompress { .. } | Error::FatbinSizeMismatch { .. }
            ),
            "{err:?}"
        );
    }
}
