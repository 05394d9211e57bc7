//! GPU virtual address allocator with deferred frees.
//!
//! A range freed while the GPU may still use it (a copy or kernel submitted before the free) is
//! parked with the timeline value of the last submission that may touch it, and only returns to the
//! free list once that value has passed ([`VaAllocator::reclaim`]). Hardware-independent.

use crate::error::{Error, Result};
use std::collections::BTreeMap;

/// First-fit allocator over `[base, base + size)`.
#[derive(Debug, Clone)]
pub struct VaAllocator {
    base: u64,
    end: u64,
    /// Free ranges: start -> length, non-overlapping, coalesced.
    free: BTreeMap<u64, u64>,
    /// Live allocations: start -> length.
    live: BTreeMap<u64, u64>,
    /// Freed but possibly still in use: (fence value, start, length).
    deferred: Vec<(u64, u64, u64)>,
}

fn align_up(v: u64, align: u64) -> Option<u64> {
    let mask = align.checked_sub(1)?;
    v.checked_add(mask).map(|x| x & !mask)
}

impl VaAllocator {
    /// Manages `[base, base + size)`; `base` and `size` must be 4 KiB aligned and non-empty.
    pub fn new(base: u64, size: u64) -> Result<Self> {
        let end = base.checked_add(size).ok_or(Error::OutOfRange {
            what: "VA range end",
            value: base,
            limit: u64::MAX - size,
        })?;
        if size == 0 || base % 4096 != 0 || size % 4096 != 0 {
            return Err(Error::InvalidArgument {
                what: "VA range",
                detail: format!(
                    "base {base:#x} size {size:#x} must be non-empty and 4 KiB aligned"
                ),
            });
        }
        let mut free = BTreeMap::new();
        free.insert(base, size);
        Ok(VaAllocator {
            base,
            end,
            free,
            live: BTreeMap::new(),
            deferred: Vec::new(),
        })
    }

    /// Allocates `size` bytes aligned to `align` (a power of two, at least 4 KiB); `size` is
    /// rounded up to a multiple of `align`.
    pub fn alloc(&mut self, size: u64, align: u64) -> Result<u64> {
        if !align.is_power_of_two() || align < 4096 {
            return Err(Error::InvalidArgument {
                what: "VA alignment",
                detail: format!("{align:#x} is not a power of two >= 4 KiB"),
            });
        }
        if size == 0 {
            return Err(Error::InvalidArgument {
                what: "VA allocation",
                detail: "zero size".into(),
            });
        }
        let size = align_up(size, align).ok_or(Error::VaExhausted { size, align })?;
        let found = self.free.iter().find_map(|(&start, &len)| {
            let a = align_up(start, align)?;
            let pad = a - start;
            (len >= pad.checked_add(size)?).then_some((start, len, a))
        });
        let (start, len, a) = found.ok_or(Error::VaExhausted { size, align })?;
        self.free.remove(&start);
        if a > start {
            self.free.insert(start, a - start);
        }
        let tail_start = a + size;
        let tail_len = start + len - tail_start;
        if tail_len > 0 {
            self.free.insert(tail_start, tail_len);
        }
        self.live.insert(a, size);
        Ok(a)
    }

    /// Frees the allocation at `addr` once the timeline reaches `fence` (pass the last value
    /// submitted; use `0` for memory the GPU never saw). Unknown addresses are an error.
    pub fn free_after(&mut self, addr: u64, fence: u64) -> Result<()> {
        let len = self.live.remove(&addr).ok_or(Error::InvalidArgument {
            what: "VA free",
            detail: format!("{addr:#x} is not a live allocation"),
        })?;
        self.deferred.push((fence, addr, len));
        Ok(())
    }

    /// Returns every deferred range whose fence is `<= completed` to the free list.
    pub fn reclaim(&mut self, completed: u64) {
        let mut i = 0;
        while i < self.deferred.len() {
            match self.deferred.get(i).copied() {
                Some((fence, addr, len)) if fence <= completed => {
                    self.deferred.swap_remove(i);
                    self.insert_free(addr, len);
                }
                _ => i += 1,
            }
        }
    }

    fn insert_free(&mut self, mut addr: u64, mut len: u64) {
        if let Some((&p, &plen)) = self.free.range(..addr).next_back() {
            if p + plen == addr {
                self.free.remove(&p);
                addr = p;
                len += plen;
            }
        }
        if let Some(&nlen) = self.free.get(&(addr + len)) {
            self.free.remove(&(addr + len));
            len += nlen;
        }
        self.free.insert(addr, len);
    }

    /// Bytes currently free (not counting deferred frees).
    pub fn free_bytes(&self) -> u64 {
        self.free.values().sum()
    }

    /// Number of live allocations.
    pub fn live_count(&self) -> usize {
        self.live.len()
    }

    /// Number of frees waiting for their fence.
    pub fn deferred_count(&self) -> usize {
        self.deferred.len()
    }

    /// The managed range.
    pub fn range(&self) -> (u64, u64) {
        (self.base, self.end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alignment_and_exhaustion() {
        let mut va = VaAllocator::new(0x1000, 0x10_0000).unwrap();
        let a = va.alloc(1, 4096).unwrap();
        assert_eq!(a, 0x1000);
        let b = va.alloc(0x1000, 0x1_0000).unwrap();
        assert_eq!(b % 0x1_0000, 0);
        assert!(b >= 0x2000);
        assert!(matches!(
            va.alloc(0x100_0000, 4096),
            Err(Error::VaExhausted { .. })
        ));
        assert!(matches!(
            va.alloc(0, 4096),
            Err(crate::error::Error::InvalidArgument {
                what: "VA allocation",
                ..
            })
        ));
        assert!(matches!(
            va.alloc(4096, 3000),
            Err(crate::error::Error::InvalidArgument {
                what: "VA alignment",
                ..
            })
        ));
        assert!(matches!(
            va.alloc(u64::MAX, 4096),
            Err(crate::error::Error::VaExhausted { align: 4096, .. })
        ));
        assert!(matches!(
            VaAllocator::new(0, 0),
            Err(crate::error::Error::InvalidArgument {
                what: "VA range",
                ..
            })
        ));
        assert!(matches!(
            VaAllocator::new(0x10, 0x1000),
            Err(crate::error::Error::InvalidArgument {
                what: "VA range",
                ..
            })
        ));
        assert!(matches!(
            VaAllocator::new(u64::MAX - 0xfff, 0x2000),
            Err(crate::error::Error::OutOfRange {
                what: "VA range end",
                ..
            })
        ));
    }

    #[test]
    fn deferred_free_waits_for_fence() {
        let mut va = VaAllocator::new(0, 0x4000).unwrap();
        let a = va.alloc(0x4000, 4096).unwrap();
        va.free_after(a, 7).unwrap();
        assert!(
            va.alloc(0x1000, 4096).is_err(),
            "range must stay reserved until fence 7 passes"
        );
        va.reclaim(6);
        assert_eq!(va.deferred_count(), 1);
        va.reclaim(7);
        assert_eq!(va.deferred_count(), 0);
        assert_eq!(va.alloc(0x4000, 4096).unwrap(), 0);
        assert!(matches!(
            va.free_after(0x1000, 0),
            Err(crate::error::Error::InvalidArgument {
                what: "VA free",
                ..
            })
        ));
    }

    #[test]
    fn random_alloc_free_never_overlaps_and_coalesces() {
        let size = 0x400_0000u64;
        let mut va = VaAllocator::new(0x10_0000, size).unwrap();
        let mut live: Vec<(u64, u64)> = Vec::new();
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for step in 0..5000u64 {
            if live.is_empty() || next() % 3 != 0 {
                let sz = (next() % 0x4_0000) + 1;
                let align = 4096u64 << (next() % 6);
                if let Ok(a) = va.alloc(sz, align) {
                    assert_eq!(a % align, 0);
                    let len = sz.div_ceil(align) * align;
                    assert!(a >= 0x10_0000 && a + len <= 0x10_0000 + size);
                    for &(b, l) in &live {
                        assert!(
                            a + len <= b || b + l <= a,
                            "overlap {a:#x}+{len:#x} vs {b:#x}+{l:#x}"
                        );
                    }
                    live.push((a, len));
                }
            } else {
                let i = usize::try_from(next() % live.len() as u64).unwrap();
                let (a, _) = live.swap_remove(i);
                va.free_after(a, step).unwrap();
                va.reclaim(step.saturating_sub(3));
            }
        }
        for (a, _) in live.drain(..) {
            va.free_after(a, 0).unwrap();
        }
        va.reclaim(u64::MAX);
        assert_eq!(va.free_bytes(), size);
        assert_eq!(
            va.free.len(),
            1,
            "free list must coalesce back to one range"
        );
        assert_eq!(va.live_count(), 0);
    }
}
