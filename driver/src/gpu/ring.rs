//! Ring arithmetic for submission: the GPFIFO ring (GP_PUT/GP_GET) and the pushbuffer arena.
//! Hardware-independent.

use crate::error::{Error, Result};

/// The GPFIFO ring: `entries` slots of 8 bytes; the CPU owns GP_PUT, the GPU advances GP_GET.
/// One slot is always left empty so that `put == get` means "empty".
#[derive(Debug, Clone)]
pub struct GpfifoRing {
    entries: u32,
    put: u32,
}

impl GpfifoRing {
    /// A ring of `entries` slots (at least 2).
    pub fn new(entries: u32) -> Result<Self> {
        if entries < 2 {
            return Err(Error::OutOfRange {
                what: "GPFIFO entries",
                value: u64::from(entries),
                limit: 2,
            });
        }
        Ok(GpfifoRing { entries, put: 0 })
    }

    /// Slots in the ring.
    pub fn entries(&self) -> u32 {
        self.entries
    }

    /// Current GP_PUT.
    pub fn put(&self) -> u32 {
        self.put
    }

    /// Free slots given the GPU's GP_GET; a GP_GET outside the ring is an error (a corrupted USERD).
    pub fn free_slots(&self, get: u32) -> Result<u32> {
        if get >= self.entries {
            return Err(Error::OutOfRange {
                what: "GP_GET",
                value: u64::from(get),
                limit: u64::from(self.entries) - 1,
            });
        }
        let used = (self.put + self.entries - get) % self.entries;
        Ok(self.entries - 1 - used)
    }

    /// Claims the slot at GP_PUT (requires a free slot per `get`); returns its index and the new
    /// GP_PUT value to publish.
    pub fn push(&mut self, get: u32) -> Result<(u32, u32)> {
        if self.free_slots(get)? == 0 {
            return Err(Error::InvalidArgument {
                what: "GPFIFO push",
                detail: "ring full".into(),
            });
        }
        let slot = self.put;
        self.put = (self.put + 1) % self.entries;
        Ok((slot, self.put))
    }
}

/// Pushbuffer space: a byte ring of `size` bytes handed out in 4-byte-aligned chunks, each
/// reusable once the timeline value it was tagged with has passed.
#[derive(Debug, Clone)]
pub struct PushArena {
    size: u64,
    head: u64,
    /// In-flight chunks in submission order: (fence, start, end).
    inflight: std::collections::VecDeque<(u64, u64, u64)>,
}

impl PushArena {
    /// An arena of `size` bytes (multiple of 4, non-zero).
    pub fn new(size: u64) -> Result<Self> {
        if size == 0 || size % 4 != 0 {
            return Err(Error::InvalidArgument {
                what: "pushbuffer arena",
                detail: format!("size {size} must be a non-zero multiple of 4"),
            });
        }
        Ok(PushArena {
            size,
            head: 0,
            inflight: Default::default(),
        })
    }

    /// Drops in-flight chunks whose fence is `<= completed`.
    pub fn reclaim(&mut self, completed: u64) {
        while self
            .inflight
            .front()
            .is_some_and(|&(f, _, _)| f <= completed)
        {
            self.inflight.pop_front();
        }
    }

    fn overlaps_inflight(&self, start: u64, end: u64) -> bool {
        self.inflight.iter().any(|&(_, s, e)| start < e && s < end)
    }

    /// Reserves `bytes` (rounded up to 4) for a submission that will signal `fence`; returns the
    /// byte offset, or `None` when the space is still in use (reclaim after waiting, then retry).
    /// A request larger than the arena is an error.
    pub fn alloc(&mut self, bytes: u64, fence: u64) -> Result<Option<u64>> {
        let bytes = bytes
            .checked_add(3)
            .map(|b| b & !3)
            .ok_or(Error::OutOfRange {
                what: "pushbuffer bytes",
                value: bytes,
                limit: self.size,
            })?;
        if bytes == 0 || bytes > self.size {
            return Err(Error::OutOfRange {
                what: "pushbuffer bytes",
                value: bytes,
                limit: self.size,
            });
        }
        let mut start = self.head;
        if start + bytes > self.size {
            start = 0; // wrap: chunks are contiguous
        }
        let end = start + bytes;
        if self.overlaps_inflight(start, end) {
            return Ok(None);
        }
        self.head = end % self.size;
        self.inflight.push_back((fence, start, end));
        Ok(Some(start))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gpfifo_wraps_and_leaves_one_slot() {
        let mut r = GpfifoRing::new(4).unwrap();
        assert_eq!(r.free_slots(0).unwrap(), 3);
        assert_eq!(r.push(0).unwrap(), (0, 1));
        assert_eq!(r.push(0).unwrap(), (1, 2));
        assert_eq!(r.push(0).unwrap(), (2, 3));
        assert!(
            matches!(
                r.push(0),
                Err(crate::error::Error::InvalidArgument {
                    what: "GPFIFO push",
                    ..
                })
            ),
            "full: put+1 == get"
        );
        assert_eq!(r.free_slots(3).unwrap(), 3);
        assert_eq!(r.push(3).unwrap(), (3, 0));
        assert_eq!(r.push(3).unwrap(), (0, 1));
        assert!(matches!(
            r.free_slots(4),
            Err(crate::error::Error::OutOfRange { what: "GP_GET", .. })
        ));
        assert!(matches!(
            GpfifoRing::new(1),
            Err(crate::error::Error::OutOfRange {
                what: "GPFIFO entries",
                ..
            })
        ));
    }

    #[test]
    fn arena_reuses_only_after_fence() {
        let mut a = PushArena::new(64).unwrap();
        assert_eq!(a.alloc(30, 1).unwrap(), Some(0)); // rounded to 32
        assert_eq!(a.alloc(32, 2).unwrap(), Some(32));
        assert_eq!(
            a.alloc(4, 3).unwrap(),
            None,
            "wrapped start overlaps fence 1"
        );
        a.reclaim(1);
        assert_eq!(a.alloc(4, 3).unwrap(), Some(0));
        assert_eq!(
            a.alloc(40, 4).unwrap(),
            None,
            "would overlap fence 2 at 32..64 after wrap"
        );
        a.reclaim(3);
        assert_eq!(a.alloc(40, 4).unwrap(), Some(4));
        assert!(matches!(
            a.alloc(65, 5),
            Err(crate::error::Error::OutOfRange {
                what: "pushbuffer bytes",
                ..
            })
        ));
        assert!(matches!(
            a.alloc(0, 5),
            Err(crate::error::Error::OutOfRange {
                what: "pushbuffer bytes",
                ..
            })
        ));
        assert!(matches!(
            a.alloc(u64::MAX, 5),
            Err(crate::error::Error::OutOfRange {
                what: "pushbuffer bytes",
                ..
            })
        ));
        assert!(matches!(
            PushArena::new(6),
            Err(crate::error::Error::InvalidArgument {
                what: "pushbuffer arena",
                ..
            })
        ));
    }
}
