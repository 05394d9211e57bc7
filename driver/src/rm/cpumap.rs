//! A CPU mapping of GPU-visible memory (BAR1 window, system memory, the usermode doorbell page).
//!
//! The mapping owns its address range: accessors check bounds and alignment and use volatile
//! accesses (the memory is shared with the GPU), and dropping it runs the backend's unmap.
//! See `SAFETY.md`, section "RM memory mappings".

use crate::error::{Error, Result};
use std::fmt;
use std::ptr::NonNull;

type Unmap = Box<dyn FnOnce(NonNull<u8>, usize) + Send + Sync>;

/// `len` bytes of GPU-visible memory mapped at `ptr` in this process.
pub struct CpuMapping {
    ptr: NonNull<u8>,
    len: usize,
    unmap: Option<Unmap>,
}

// SAFETY: the mapping owns its range and its unmap closure is `Send`; a kernel `mmap` range lies
// outside every Rust allocation, so the volatile accesses the methods make are externally
// observable events, not Rust data races, from whichever thread (std `ptr::read_volatile` docs).
// The one mapping kind backed by a Rust allocation, the simulator's, is confined to one thread
// by `SimGpu::new`'s contract (SAFETY.md, "RM memory mappings", "Simulated GPU").
unsafe impl Send for CpuMapping {}
// SAFETY: as above; every method takes `&self`, makes single volatile accesses or bounded copies,
// and no method hands out references into the mapped range.
unsafe impl Sync for CpuMapping {}

impl fmt::Debug for CpuMapping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CpuMapping")
            .field("ptr", &self.ptr)
            .field("len", &self.len)
            .finish()
    }
}

impl CpuMapping {
    /// Wraps a live mapping.
    ///
    /// # Safety
    /// `ptr..ptr+len` must be a readable and writable mapping that stays valid until `unmap` is
    /// called with the same `ptr` and `len` (which happens exactly once, on drop), and no other
    /// owner may unmap it.
    pub unsafe fn from_raw(
        ptr: NonNull<u8>,
        len: usize,
        unmap: impl FnOnce(NonNull<u8>, usize) + Send + Sync + 'static,
    ) -> Self {
        CpuMapping {
            ptr,
            len,
            unmap: Some(Box::new(unmap)),
        }
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the mapping is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Address of the first byte (for diagnostics and for handing to the GPU as a host pointer).
    pub fn addr(&self) -> usize {
        self.ptr.as_ptr() as usize
    }

    fn check(&self, offset: usize, size: usize, align: usize) -> Result<NonNull<u8>> {
        let end = offset.checked_add(size).ok_or(Error::OutOfRange {
            what: "mapping offset",
            value: offset as u64,
            limit: self.len as u64,
        })?;
        if end > self.len {
            return Err(Error::OutOfRange {
                what: "mapping access end",
                value: end as u64,
                limit: self.len as u64,
            });
        }
        if offset % align != 0 {
            return Err(Error::InvalidArgument {
                what: "mapping access",
                detail: format!("offset {offset:#x} not aligned to {align}"),
            });
        }
        // SAFETY: `offset + size <= len`, so the result stays inside the mapping (SAFETY.md, "RM memory mappings").
        Ok(unsafe { self.ptr.add(offset) })
    }

    /// Volatile 32-bit read at byte `offset` (4-aligned).
    pub fn read_u32(&self, offset: usize) -> Result<u32> {
        let p = self.check(offset, 4, 4)?;
        // SAFETY: in bounds and aligned (checked above), mapping live while `self` is.
        Ok(unsafe { p.cast::<u32>().as_ptr().read_volatile() })
    }

    /// Volatile 32-bit write at byte `offset` (4-aligned).
    pub fn write_u32(&self, offset: usize, v: u32) -> Result<()> {
        let p = self.check(offset, 4, 4)?;
        // SAFETY: in bounds and aligned (checked above), mapping live and writable while `self` is.
        unsafe { p.cast::<u32>().as_ptr().write_volatile(v) };
        Ok(())
    }

    /// Volatile 64-bit read at byte `offset` (8-aligned).
    pub fn read_u64(&self, offset: usize) -> Result<u64> {
        let p = self.check(offset, 8, 8)?;
        // SAFETY: in bounds and aligned (checked above), mapping live while `self` is.
        Ok(unsafe { p.cast::<u64>().as_ptr().read_volatile() })
    }

    /// Volatile 64-bit write at byte `offset` (8-aligned).
    pub fn write_u64(&self, offset: usize, v: u64) -> Result<()> {
        let p = self.check(offset, 8, 8)?;
        // SAFETY: in bounds and aligned (checked above), mapping live and writable while `self` is.
        unsafe { p.cast::<u64>().as_ptr().write_volatile(v) };
        Ok(())
    }

    /// Copies `src` into the mapping at `offset`.
    pub fn write_bytes(&self, offset: usize, src: &[u8]) -> Result<()> {
        let p = self.check(offset, src.len(), 1)?;
        // SAFETY: destination range checked in bounds; `src` is a separate Rust slice, so the
        // ranges cannot overlap.
        unsafe { std::ptr::copy_nonoverlapping(src.as_ptr(), p.as_ptr(), src.len()) };
        Ok(())
    }

    /// Copies from the mapping at `offset` into `dst`.
    pub fn read_bytes(&self, offset: usize, dst: &mut [u8]) -> Result<()> {
        let p = self.check(offset, dst.len(), 1)?;
        // SAFETY: source range checked in bounds; `dst` is a separate Rust slice.
        unsafe { std::ptr::copy_nonoverlapping(p.as_ptr(), dst.as_mut_ptr(), dst.len()) };
        Ok(())
    }
}

impl Drop for CpuMapping {
    fn drop(&mut self) {
        if let Some(unmap) = self.unmap.take() {
            unmap(self.ptr, self.len);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    fn heap_mapping(words: usize, unmapped: Arc<AtomicUsize>) -> CpuMapping {
        let mem: Box<[u64]> = vec![0u64; words].into_boxed_slice();
        let len = words * 8;
        let raw = Box::into_raw(mem);
        let ptr = NonNull::new(raw.cast::<u8>()).unwrap();
        // SAFETY: the boxed slice stays alive until the unmap closure rebuilds and drops it.
        unsafe {
            CpuMapping::from_raw(ptr, len, move |p, l| {
                unmapped.fetch_add(1, Ordering::SeqCst);
                let slice = std::ptr::slice_from_raw_parts_mut(p.as_ptr().cast::<u64>(), l / 8);
                drop(Box::from_raw(slice));
            })
        }
    }

    #[test]
    fn bounds_alignment_and_unmap_once() {
        let n = Arc::new(AtomicUsize::new(0));
        let m = heap_mapping(4, n.clone());
        m.write_u32(4, 0xdead_beef).unwrap();
        assert_eq!(m.read_u32(4).unwrap(), 0xdead_beef);
        m.write_u64(8, u64::MAX - 1).unwrap();
        assert_eq!(m.read_u64(8).unwrap(), u64::MAX - 1);
        m.write_bytes(30, &[1, 2]).unwrap();
        let mut b = [0u8; 2];
        m.read_bytes(30, &mut b).unwrap();
        assert_eq!(b, [1, 2]);
        assert!(matches!(m.read_u32(30), Err(Error::OutOfRange { .. })));
        assert!(matches!(m.read_u32(2), Err(Error::InvalidArgument { .. })));
        assert!(matches!(
            m.write_bytes(31, &[1, 2]),
            Err(Error::OutOfRange { .. })
        ));
        assert!(matches!(
            m.read_u64(usize::MAX - 3),
            Err(Error::OutOfRange { .. })
        ));
        drop(m);
        assert_eq!(n.load(Ordering::SeqCst), 1);
    }
}
