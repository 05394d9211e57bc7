//! BAR MMIO: the only place the driver touches device registers.
//!
//! A [`Bar`] is a shared mapping of one PCI BAR (through the VFIO device fd). Every access is a
//! single volatile load or store of the requested width, checked for bounds and natural alignment
//! first; a bad offset is a typed error, never a wild access.

use std::num::NonZeroUsize;
use std::os::fd::AsFd;
use std::ptr::NonNull;

use nix::sys::mman::{MapFlags, ProtFlags};

use crate::error::{Error, Result};

/// Integer widths an MMIO access can have.
pub trait MmioValue: Copy + sealed::Sealed {
    /// Width in bytes.
    const WIDTH: usize;
}
mod sealed {
    pub trait Sealed {}
    impl Sealed for u8 {}
    impl Sealed for u16 {}
    impl Sealed for u32 {}
    impl Sealed for u64 {}
}
impl MmioValue for u8 {
    const WIDTH: usize = 1;
}
impl MmioValue for u16 {
    const WIDTH: usize = 2;
}
impl MmioValue for u32 {
    const WIDTH: usize = 4;
}
impl MmioValue for u64 {
    const WIDTH: usize = 8;
}

/// One memory-mapped PCI BAR.
#[derive(Debug)]
pub struct Bar {
    ptr: NonNull<u8>,
    len: usize,
    index: u32,
}

// SAFETY: a Bar is a device register window; every access is a single volatile load/store, which
// the hardware serialises. Nothing in it is tied to a thread.
unsafe impl Send for Bar {}
// SAFETY: as for Send: concurrent volatile register accesses are what MMIO is; no Rust reference to
// the memory is ever created.
unsafe impl Sync for Bar {}

impl Bar {
    /// Maps `len` bytes of `fd` at `offset` (the VFIO region of BAR `index`) shared, read-write.
    pub(crate) fn map(fd: impl AsFd, offset: u64, len: u64, index: u32) -> Result<Self> {
        let ulen = usize::try_from(len).map_err(|_| Error::BarUnavailable {
            index,
            why: "size exceeds the address space",
        })?;
        let nz = NonZeroUsize::new(ulen).ok_or(Error::BarUnavailable {
            index,
            why: "BAR is not implemented (size 0)",
        })?;
        let off = i64::try_from(offset).map_err(|_| Error::BarUnavailable {
            index,
            why: "region offset out of range",
        })?;
        // SAFETY: mapping a VFIO region at a kernel-chosen address aliases no Rust object; the
        // mapping keeps its own reference to the file, so it stays valid until `Drop` unmaps it.
        let p = unsafe {
            nix::sys::mman::mmap(
                None,
                nz,
                ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
                MapFlags::MAP_SHARED,
                fd,
                off,
            )
        }
        .map_err(|source| Error::Mmap {
            what: "BAR mmap",
            len: ulen,
            source,
        })?;
        Ok(Self {
            ptr: p.cast(),
            len: ulen,
            index,
        })
    }

    /// An anonymous mapping standing in for a BAR, for tests of the accessors.
    #[cfg(test)]
    pub(crate) fn anonymous(len: usize) -> Self {
        let nz = NonZeroUsize::new(len).expect("test length");
        // SAFETY: fresh anonymous private mapping; aliases nothing.
        let p = unsafe {
            nix::sys::mman::mmap_anonymous(
                None,
                nz,
                ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
                MapFlags::MAP_PRIVATE | MapFlags::MAP_ANONYMOUS,
            )
        }
        .expect("anonymous mmap");
        Self {
            ptr: p.cast(),
            len,
            index: 0,
        }
    }

    /// Mapped length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }
    /// Always false (zero-sized BARs are refused).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// The BAR index (0..=5).
    pub fn index(&self) -> u32 {
        self.index
    }

    fn checked_ptr<T: MmioValue>(&self, offset: u64) -> Result<*mut T> {
        let width = T::WIDTH;
        let off = usize::try_from(offset).map_err(|_| Error::OutOfBounds {
            what: "BAR",
            offset,
            width,
            len: self.len,
        })?;
        match off.checked_add(width) {
            Some(end) if end <= self.len => {}
            _ => {
                return Err(Error::OutOfBounds {
                    what: "BAR",
                    offset,
                    width,
                    len: self.len,
                })
            }
        }
        if off % width != 0 {
            return Err(Error::Misaligned { offset, width });
        }
        // SAFETY: off + width <= len, so the pointer stays inside the mapping.
        Ok(unsafe { self.ptr.as_ptr().add(off) }.cast::<T>())
    }

    /// Reads a `T` at `offset` (one volatile load).
    pub fn read<T: MmioValue>(&self, offset: u64) -> Result<T> {
        let p = self.checked_ptr::<T>(offset)?;
        // SAFETY: p is inside the live mapping and naturally aligned (checked_ptr).
        Ok(unsafe { p.read_volatile() })
    }

    /// Writes a `T` at `offset` (one volatile store).
    pub fn write<T: MmioValue>(&self, offset: u64, value: T) -> Result<()> {
        let p = self.checked_ptr::<T>(offset)?;
        // SAFETY: p is inside the live mapping and naturally aligned (checked_ptr).
        unsafe { p.write_volatile(value) };
        Ok(())
    }

    /// 8-bit read.
    pub fn read8(&self, offset: u64) -> Result<u8> {
        self.read(offset)
    }
    /// 16-bit read.
    pub fn read16(&self, offset: u64) -> Result<u16> {
        self.read(offset)
    }
    /// 32-bit read.
    pub fn read32(&self, offset: u64) -> Result<u32> {
        self.read(offset)
    }
    /// 64-bit read.
    pub fn read64(&self, offset: u64) -> Result<u64> {
        self.read(offset)
    }
    /// 8-bit write.
    pub fn write8(&self, offset: u64, v: u8) -> Result<()> {
        self.write(offset, v)
    }
    /// 16-bit write.
    pub fn write16(&self, offset: u64, v: u16) -> Result<()> {
        self.write(offset, v)
    }
    /// 32-bit write.
    pub fn write32(&self, offset: u64, v: u32) -> Result<()> {
        self.write(offset, v)
    }
    /// 64-bit write.
    pub fn write64(&self, offset: u64, v: u64) -> Result<()> {
        self.write(offset, v)
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        // SAFETY: ptr/len are exactly the mapping made in `map`/`anonymous`; no reference into it exists.
        let _ = unsafe { nix::sys::mman::munmap(self.ptr.cast(), self.len) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accessors_round_trip() {
        let bar = Bar::anonymous(4096);
        bar.write32(0x10, 0xdead_beef).unwrap();
        assert_eq!(bar.read32(0x10).unwrap(), 0xdead_beef);
        assert_eq!(bar.read16(0x10).unwrap(), 0xbeef);
        assert_eq!(bar.read8(0x13).unwrap(), 0xde);
        bar.write64(0xff8, u64::MAX).unwrap();
        assert_eq!(bar.read64(0xff8).unwrap(), u64::MAX);
        bar.write8(0, 7).unwrap();
        bar.write16(2, 0x1234).unwrap();
        assert_eq!(bar.read32(0).unwrap(), 0x1234_0007);
    }

    #[test]
    fn bounds_and_alignment_are_typed_errors() {
        let bar = Bar::anonymous(4096);
        assert!(matches!(
            bar.read32(4096),
            Err(Error::OutOfBounds {
                offset: 4096,
                width: 4,
                len: 4096,
                ..
            })
        ));
        assert!(matches!(bar.read64(4092), Err(Error::OutOfBounds { .. })));
        assert!(matches!(
            bar.write8(4096, 0),
            Err(Error::OutOfBounds { .. })
        ));
        assert!(matches!(
            bar.read32(u64::MAX),
            Err(Error::OutOfBounds { .. })
        ));
        assert!(matches!(
            bar.read32(u64::MAX - 2),
            Err(Error::OutOfBounds { .. })
        ));
        assert!(matches!(
            bar.read32(2),
            Err(Error::Misaligned {
                offset: 2,
                width: 4
            })
        ));
        assert!(matches!(bar.write16(1, 0), Err(Error::Misaligned { .. })));
        assert!(matches!(bar.read64(4), Err(Error::Misaligned { .. })));
        assert!(bar.read8(4095).is_ok());
    }
}
