//! DMA memory: page-aligned host buffers mapped into the device's IOMMU address space.
//!
//! A [`DmaBuffer`] owns its host pages and its IOMMU mapping. The mapping is made after the pages
//! exist and is removed in `Drop` *before* the pages are returned to the kernel; if removing it
//! fails, the pages are deliberately never freed (a device could still write to them). While the
//! buffer lives, the device may read and write it at any time, so the CPU side never gets a Rust
//! reference to it: only volatile copies in and out (see `SAFETY.md`, "PCI/VFIO layer").

use std::fmt;
use std::num::NonZeroUsize;
use std::ops::Range;
use std::ptr::NonNull;
use std::sync::atomic::{fence, Ordering};
use std::sync::{Arc, Mutex};

use nix::sys::mman::{MapFlags, MmapAdvise, ProtFlags};
use nix::sys::resource::{getrlimit, Resource, RLIM_INFINITY};

use crate::error::{Error, Result};

/// The IOMMU page size used for DMA mappings and IOVA alignment.
pub const PAGE_SIZE: u64 = 4096;
/// Size of an x86-64 huge page; buffers of at least this size are backed by huge pages when the
/// system has some reserved, else by normal pages with transparent huge pages requested.
pub const HUGE_PAGE_SIZE: u64 = 2 << 20;

/// The process's RLIMIT_MEMLOCK soft limit in bytes (`u64::MAX` when unlimited).
pub fn memlock_limit() -> Result<u64> {
    let (soft, _hard) = getrlimit(Resource::RLIMIT_MEMLOCK).map_err(|source| Error::VfioIoctl {
        op: "getrlimit(RLIMIT_MEMLOCK)",
        source,
    })?;
    Ok(if soft == RLIM_INFINITY {
        u64::MAX
    } else {
        soft
    })
}

/// Bytes already locked/pinned by this process (`VmLck` of `/proc/self/status`; VFIO type1 accounts
/// its pinned pages there).
pub fn locked_bytes() -> Result<u64> {
    let path = std::path::Path::new("/proc/self/status");
    let text = std::fs::read_to_string(path).map_err(|source| Error::Sysfs {
        path: path.to_owned(),
        source,
    })?;
    parse_vmlck(&text).ok_or_else(|| Error::SysfsParse {
        path: path.to_owned(),
        text: "no VmLck line".into(),
    })
}

/// Parses the `VmLck:   N kB` line of a `/proc/<pid>/status` text into bytes.
pub fn parse_vmlck(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmLck:"))?;
    let mut words = line.split_whitespace().skip(1);
    let kib: u64 = words.next()?.parse().ok()?;
    if words.next()? != "kB" {
        return None;
    }
    kib.checked_mul(1024)
}

/// Fails with [`Error::MemlockLimit`] if pinning `requested` more bytes on top of `locked` would pass
/// `limit`. The kernel exempts processes with CAP_IPC_LOCK; nvbare applies the limit to every caller
/// so that a program behaves the same as root and as a user.
pub fn check_memlock(locked: u64, requested: u64, limit: u64) -> Result<()> {
    match locked.checked_add(requested) {
        Some(total) if total <= limit => Ok(()),
        _ => Err(Error::MemlockLimit {
            requested,
            locked,
            limit,
        }),
    }
}

/// `len` rounded up to a multiple of `align`; `None` on overflow or if `align` is not a power of two.
pub fn round_up(len: u64, align: u64) -> Option<u64> {
    if !align.is_power_of_two() {
        return None;
    }
    let mask = align.checked_sub(1)?;
    len.checked_add(mask).map(|v| v & !mask)
}

/// First-fit allocator of IOVA ranges inside a fixed window, with coalescing on free.
#[derive(Debug, Clone)]
pub struct IovaAllocator {
    window: Range<u64>,
    /// Free ranges, sorted by start, never adjacent, never empty.
    free: Vec<Range<u64>>,
}

impl IovaAllocator {
    /// An allocator handing out addresses inside `window` (its ends are rounded inwards to pages).
    pub fn new(window: Range<u64>) -> Self {
        let start = round_up(window.start, PAGE_SIZE).unwrap_or(u64::MAX);
        let end = window.end & !(PAGE_SIZE - 1);
        let mut free = Vec::new();
        if start < end {
            free.push(start..end);
        }
        Self {
            window: start..end,
            free,
        }
    }

    /// The window addresses come from.
    pub fn window(&self) -> Range<u64> {
        self.window.clone()
    }

    /// Bytes still free.
    pub fn free_bytes(&self) -> u64 {
        self.free.iter().map(|r| r.end - r.start).sum()
    }

    /// Reserves `size` bytes (rounded up to pages) aligned to `align` (a power of two, at least a page).
    pub fn alloc(&mut self, size: u64, align: u64) -> Result<u64> {
        let align = align.max(PAGE_SIZE);
        if size == 0 || !align.is_power_of_two() {
            return Err(Error::IovaExhausted { size });
        }
        let size = round_up(size, PAGE_SIZE).ok_or(Error::IovaExhausted { size })?;
        for i in 0..self.free.len() {
            let Some(r) = self.free.get(i).cloned() else {
                break;
            };
            let Some(start) = round_up(r.start, align) else {
                continue;
            };
            let Some(end) = start.checked_add(size) else {
                continue;
            };
            if end > r.end {
                continue;
            }
            // Split r into [r.start, start) and [end, r.end).
            let mut pieces = Vec::with_capacity(2);
            if r.start < start {
                pieces.push(r.start..start);
            }
            if end < r.end {
                pieces.push(end..r.end);
            }
            self.free.splice(i..=i, pieces);
            return Ok(start);
        }
        Err(Error::IovaExhausted { size })
    }

    /// Returns `[iova, iova + size)` (size rounded up to pages) to the free list. Ranges outside the
    /// window or overlapping free space are refused with `false` and change nothing.
    pub fn free(&mut self, iova: u64, size: u64) -> bool {
        let Some(size) = round_up(size, PAGE_SIZE) else {
            return false;
        };
        let Some(end) = iova.checked_add(size) else {
            return false;
        };
        if size == 0 || iova % PAGE_SIZE != 0 || iova < self.window.start || end > self.window.end {
            return false;
        }
        let pos = self.free.partition_point(|r| r.start < iova);
        if pos > 0 && self.free.get(pos - 1).is_some_and(|p| p.end > iova) {
            return false;
        }
        if self.free.get(pos).is_some_and(|n| n.start < end) {
            return false;
        }
        let mut new = iova..end;
        let mut lo = pos;
        let mut hi = pos;
        if pos > 0 && self.free.get(pos - 1).is_some_and(|p| p.end == iova) {
            lo = pos - 1;
            new.start = self.free.get(lo).map_or(iova, |p| p.start);
        }
        if self.free.get(pos).is_some_and(|n| n.start == end) {
            new.end = self.free.get(pos).map_or(end, |n| n.end);
            hi = pos + 1;
        }
        self.free.splice(lo..hi, [new]);
        true
    }
}

/// Maps host memory into a device's IOMMU address space (VFIO type1 container or iommufd IOAS).
pub(crate) trait IommuMapper: Send + Sync + fmt::Debug {
    /// Maps `[vaddr, vaddr + len)` of this process at `iova`, readable and writable by the device.
    ///
    /// # Safety
    /// The range must be memory this process owns and keeps mapped until a successful
    /// [`IommuMapper::unmap`] of the same `iova`/`len`: after this call the device may access it at
    /// any time.
    unsafe fn map(&self, vaddr: u64, iova: u64, len: u64) -> Result<()>;
    /// Removes the mapping at `iova` of `len` bytes.
    fn unmap(&self, iova: u64, len: u64) -> Result<()>;
}

/// One device's DMA address space: the IOMMU mapper and the IOVA allocator.
#[derive(Debug)]
pub(crate) struct DmaSpace {
    mapper: Box<dyn IommuMapper>,
    iovas: Mutex<IovaAllocator>,
}

impl DmaSpace {
    pub(crate) fn new(mapper: Box<dyn IommuMapper>, window: Range<u64>) -> Self {
        Self {
            mapper,
            iovas: Mutex::new(IovaAllocator::new(window)),
        }
    }

    fn iovas(&self) -> std::sync::MutexGuard<'_, IovaAllocator> {
        // A poisoned lock only means another thread panicked while holding it; the allocator's
        // state is updated atomically with respect to panics (splice), so it stays consistent.
        self.iovas.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Allocates `len` bytes of host memory and maps it at a fresh IOVA.
    pub(crate) fn alloc(self: &Arc<Self>, len: usize) -> Result<DmaBuffer> {
        let len64 = u64::try_from(len).map_err(|_| Error::DmaSize { size: len })?;
        if len == 0 {
            return Err(Error::DmaSize { size: len });
        }
        let rounded = round_up(len64, PAGE_SIZE).ok_or(Error::DmaSize { size: len })?;
        let mem = HostMemory::new(rounded)?;
        let map_len = u64::try_from(mem.len).map_err(|_| Error::DmaSize { size: len })?;
        // What gets pinned is the whole mapping (a huge-page one rounds up to 2 MiB), so the limit
        // is checked against that; nothing is pinned yet, and `mem` is freed on refusal.
        check_memlock(locked_bytes()?, map_len, memlock_limit()?)?;
        let align = if mem.huge { HUGE_PAGE_SIZE } else { PAGE_SIZE };
        let vaddr =
            u64::try_from(mem.ptr.as_ptr() as usize).map_err(|_| Error::DmaSize { size: len })?;
        let iova = self.iovas().alloc(map_len, align)?;
        // SAFETY: `mem` is an anonymous mapping this process owns; it is moved into the returned
        // DmaBuffer, whose Drop unmaps this IOVA before `mem` is freed (or never frees it).
        if let Err(e) = unsafe { self.mapper.map(vaddr, iova, map_len) } {
            self.iovas().free(iova, map_len);
            return Err(e);
        }
        Ok(DmaBuffer {
            mem: Some(mem),
            len,
            map_len,
            iova,
            space: Arc::clone(self),
            cpu: Mutex::new(()),
        })
    }
}

/// Page-aligned anonymous memory (huge pages when possible), unmapped on drop.
#[derive(Debug)]
struct HostMemory {
    ptr: NonNull<u8>,
    len: usize,
    huge: bool,
}

// SAFETY: HostMemory is a plain owned memory range; no thread affinity.
unsafe impl Send for HostMemory {}
// SAFETY: HostMemory exposes no interior references; all access goes through volatile copies.
unsafe impl Sync for HostMemory {}

impl HostMemory {
    fn new(len: u64) -> Result<Self> {
        let prot = ProtFlags::PROT_READ | ProtFlags::PROT_WRITE;
        let flags = MapFlags::MAP_PRIVATE | MapFlags::MAP_ANONYMOUS;
        if len >= HUGE_PAGE_SIZE {
            if let Some(huge_len) =
                round_up(len, HUGE_PAGE_SIZE).and_then(|l| usize::try_from(l).ok())
            {
                if let Some(nz) = NonZeroUsize::new(huge_len) {
                    // SAFETY: a fresh anonymous mapping at a kernel-chosen address aliases nothing.
                    let r = unsafe {
                        nix::sys::mman::mmap_anonymous(
                            None,
                            nz,
                            prot,
                            flags | MapFlags::MAP_HUGETLB,
                        )
                    };
                    if let Ok(p) = r {
                        return Ok(Self {
                            ptr: p.cast(),
                            len: huge_len,
                            huge: true,
                        });
                    }
                }
            }
        }
        let ulen = usize::try_from(len).map_err(|_| Error::DmaSize { size: usize::MAX })?;
        let nz = NonZeroUsize::new(ulen).ok_or(Error::DmaSize { size: 0 })?;
        // SAFETY: a fresh anonymous mapping at a kernel-chosen address aliases nothing.
        let p =
            unsafe { nix::sys::mman::mmap_anonymous(None, nz, prot, flags) }.map_err(|source| {
                Error::Mmap {
                    what: "anonymous mmap for DMA",
                    len: ulen,
                    source,
                }
            })?;
        if len >= HUGE_PAGE_SIZE {
            // Best effort: ask for transparent huge pages; failure only costs TLB reach.
            // SAFETY: advising on the mapping just created, of its exact length.
            let _ = unsafe { nix::sys::mman::madvise(p, ulen, MmapAdvise::MADV_HUGEPAGE) };
        }
        Ok(Self {
            ptr: p.cast(),
            len: ulen,
            huge: false,
        })
    }
}

impl Drop for HostMemory {
    fn drop(&mut self) {
        // SAFETY: ptr/len are exactly the mapping created in `new`; DmaBuffer guarantees that no
        // IOMMU mapping refers to it any more when this runs.
        let _ = unsafe { nix::sys::mman::munmap(self.ptr.cast(), self.len) };
    }
}

/// Host memory the device can reach at [`DmaBuffer::iova`]. Dropping it unmaps it from the IOMMU,
/// then frees it.
pub struct DmaBuffer {
    mem: Option<HostMemory>,
    len: usize,
    map_len: u64,
    iova: u64,
    space: Arc<DmaSpace>,
    /// Serialises the CPU-side copies: the buffer is `Sync` and they take `&self`, so without it two
    /// threads could race on the same bytes.
    cpu: Mutex<()>,
}

impl fmt::Debug for DmaBuffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DmaBuffer")
            .field("iova", &format_args!("{:#x}", self.iova))
            .field("len", &self.len)
            .field("huge_pages", &self.mem.as_ref().is_some_and(|m| m.huge))
            .finish()
    }
}

impl DmaBuffer {
    /// The address the device uses for byte 0.
    pub fn iova(&self) -> u64 {
        self.iova
    }
    /// Usable length in bytes (as requested).
    pub fn len(&self) -> usize {
        self.len
    }
    /// Always false: zero-sized buffers are refused at allocation.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// Bytes mapped in the IOMMU (the length rounded up to the page size used).
    pub fn mapped_len(&self) -> u64 {
        self.map_len
    }
    /// Whether huge pages back the buffer.
    pub fn huge_pages(&self) -> bool {
        self.mem.as_ref().is_some_and(|m| m.huge)
    }

    fn base(&self) -> Result<NonNull<u8>> {
        self.mem
            .as_ref()
            .map(|m| m.ptr)
            .ok_or(Error::DmaSize { size: 0 })
    }

    fn cpu_lock(&self) -> std::sync::MutexGuard<'_, ()> {
        // The guarded data is `()`: a panic in another copy leaves nothing inconsistent.
        self.cpu.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn check(&self, offset: usize, width: usize) -> Result<()> {
        match offset.checked_add(width) {
            Some(end) if end <= self.len => Ok(()),
            _ => Err(Error::OutOfBounds {
                what: "DMA buffer",
                offset: u64::try_from(offset).unwrap_or(u64::MAX),
                width,
                len: self.len,
            }),
        }
    }

    /// Copies `dst.len()` bytes starting at `offset` out of the buffer (volatile reads).
    pub fn read_bytes(&self, offset: usize, dst: &mut [u8]) -> Result<()> {
        self.check(offset, dst.len())?;
        let base = self.base()?;
        let _cpu = self.cpu_lock();
        fence(Ordering::Acquire);
        // SAFETY: offset..offset+dst.len() is inside the live mapping (checked above); the CPU lock
        // is held, so no other thread copies into this buffer meanwhile.
        let src = unsafe { base.as_ptr().add(offset) };
        let mut i = 0;
        while i < dst.len() {
            // SAFETY: src + i is inside the checked range.
            let p = unsafe { src.add(i) };
            let rest = dst.len() - i;
            if p.cast::<u64>().is_aligned() && rest >= 8 {
                // SAFETY: p is 8-byte aligned and p..p+8 is inside the checked range.
                let v = unsafe { p.cast::<u64>().read_volatile() };
                if let Some(d) = dst.get_mut(i..i + 8) {
                    d.copy_from_slice(&v.to_ne_bytes());
                }
                i += 8;
            } else {
                // SAFETY: p is inside the checked range.
                let v = unsafe { p.read_volatile() };
                if let Some(d) = dst.get_mut(i) {
                    *d = v;
                }
                i += 1;
            }
        }
        Ok(())
    }

    /// Copies `src` into the buffer starting at `offset` (volatile writes, then a release fence so
    /// the data is ordered before a following doorbell write).
    pub fn write_bytes(&self, offset: usize, src: &[u8]) -> Result<()> {
        self.check(offset, src.len())?;
        let base = self.base()?;
        let _cpu = self.cpu_lock();
        // SAFETY: offset..offset+src.len() is inside the live mapping (checked above); the CPU lock
        // is held, so no other thread accesses this buffer meanwhile.
        let dst = unsafe { base.as_ptr().add(offset) };
        let mut i = 0;
        while i < src.len() {
            // SAFETY: dst + i is inside the checked range.
            let p = unsafe { dst.add(i) };
            match src.get(i..i + 8) {
                Some(chunk) if p.cast::<u64>().is_aligned() => {
                    let mut w = [0u8; 8];
                    w.copy_from_slice(chunk);
                    // SAFETY: p is 8-byte aligned and p..p+8 is inside the checked range.
                    unsafe { p.cast::<u64>().write_volatile(u64::from_ne_bytes(w)) };
                    i += 8;
                }
                _ => {
                    let b = src.get(i).copied().unwrap_or(0);
                    // SAFETY: p is inside the checked range.
                    unsafe { p.write_volatile(b) };
                    i += 1;
                }
            }
        }
        fence(Ordering::Release);
        Ok(())
    }

    /// Sets every byte to `byte`.
    pub fn fill(&self, byte: u8) -> Result<()> {
        let chunk = [byte; 256];
        let mut off = 0;
        while off < self.len {
            let n = (self.len - off).min(chunk.len());
            self.write_bytes(off, chunk.get(..n).unwrap_or(&[]))?;
            off += n;
        }
        Ok(())
    }

    /// Reads a little-endian `u32` at `offset` (any alignment).
    pub fn read_u32(&self, offset: usize) -> Result<u32> {
        let mut b = [0u8; 4];
        self.read_bytes(offset, &mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    /// Writes a little-endian `u32` at `offset` (any alignment).
    pub fn write_u32(&self, offset: usize, v: u32) -> Result<()> {
        self.write_bytes(offset, &v.to_le_bytes())
    }
    /// Reads a little-endian `u64` at `offset` (any alignment).
    pub fn read_u64(&self, offset: usize) -> Result<u64> {
        let mut b = [0u8; 8];
        self.read_bytes(offset, &mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    /// Writes a little-endian `u64` at `offset` (any alignment).
    pub fn write_u64(&self, offset: usize, v: u64) -> Result<()> {
        self.write_bytes(offset, &v.to_le_bytes())
    }
}

impl Drop for DmaBuffer {
    fn drop(&mut self) {
        // Unmap from the IOMMU first: only then can no device write to the pages.
        match self.space.mapper.unmap(self.iova, self.map_len) {
            Ok(()) => {
                self.space.iovas().free(self.iova, self.map_len);
                drop(self.mem.take());
            }
            Err(e) => {
                log::error!(
                    "DMA unmap of IOVA {:#x} ({} bytes) failed: {e}; leaking the pages so the device cannot corrupt reused memory",
                    self.iova,
                    self.map_len
                );
                std::mem::forget(self.mem.take());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memlock_arithmetic() {
        assert!(check_memlock(0, 4096, 4096).is_ok());
        assert!(check_memlock(4096, 4096, 8192).is_ok());
        match check_memlock(4096, 8192, 8192) {
            Err(Error::MemlockLimit {
                requested: 8192,
                locked: 4096,
                limit: 8192,
            }) => {}
            other => panic!("{other:?}"),
        }
        assert!(
            check_memlock(u64::MAX, 1, u64::MAX).is_err(),
            "overflow is refused"
        );
        assert!(check_memlock(0, u64::MAX, u64::MAX).is_ok(), "unlimited");
    }

    #[test]
    fn vmlck_parsing() {
        let s = "Name:\tx\nVmLck:\t     128 kB\nVmPin:\t0 kB\n";
        assert_eq!(parse_vmlck(s), Some(128 * 1024));
        assert_eq!(parse_vmlck("VmLck: 12 MB\n"), None);
        assert_eq!(parse_vmlck("nothing"), None);
        assert!(
            locked_bytes().is_ok(),
            "this process's own status has VmLck"
        );
    }

    #[test]
    fn rounding() {
        assert_eq!(round_up(1, 4096), Some(4096));
        assert_eq!(round_up(4096, 4096), Some(4096));
        assert_eq!(round_up(0, 4096), Some(0));
        assert_eq!(round_up(u64::MAX, 4096), None);
        assert_eq!(
            round_up(1, 0),
            None,
            "zero alignment is refused, not a panic"
        );
        assert_eq!(round_up(1, 3 << 12), None, "non power of two alignment");
        assert_eq!(round_up(5, 1), Some(5));
    }

    #[test]
    fn iova_first_fit_align_and_coalesce() {
        let mut a = IovaAllocator::new(0x1000..0x10_0000);
        assert_eq!(a.free_bytes(), 0xff000);
        let x = a.alloc(1, 0).unwrap();
        assert_eq!(x, 0x1000);
        let y = a.alloc(0x2000, 0x4000).unwrap();
        assert_eq!(y, 0x4000);
        let z = a.alloc(0x1000, 0).unwrap();
        assert_eq!(z, 0x2000, "first fit fills the gap left by alignment");
        assert_eq!(a.free_bytes(), 0xff000 - 0x4000);
        assert!(
            !a.free(0x4000, 0x1000 + 0x2000),
            "freeing more than was allocated overlaps free space"
        );
        assert!(a.free(y, 0x2000));
        assert!(!a.free(y, 0x2000), "double free refused");
        assert!(a.free(x, 1));
        assert!(a.free(z, 0x1000));
        assert_eq!(a.free_bytes(), 0xff000);
        assert_eq!(a.free.len(), 1, "all coalesced back into one range");
        assert!(!a.free(0, 0x1000), "outside the window");
        assert!(!a.free(0x1001, 0x1000), "unaligned");
    }

    #[test]
    fn iova_exhaustion_and_bad_input() {
        let mut a = IovaAllocator::new(0x1000..0x3000);
        assert!(a.alloc(0x2000, 0).is_ok());
        assert!(matches!(
            a.alloc(0x1000, 0),
            Err(Error::IovaExhausted { .. })
        ));
        assert!(matches!(a.alloc(0, 0), Err(Error::IovaExhausted { .. })));
        let mut b = IovaAllocator::new(0x1000..0x1000_0000);
        assert!(b.alloc(u64::MAX, 0).is_err());
        assert!(
            b.alloc(0x1000, 3 << 12).is_err(),
            "non power of two alignment"
        );
        #[allow(clippy::reversed_empty_ranges)]
        let mut c = IovaAllocator::new(0x5000..0x10);
        assert!(c.alloc(1, 0).is_err(), "empty window");
    }

    #[derive(Debug, Default)]
    struct RecordingMapper {
        log: Mutex<Vec<(bool, u64, u64)>>,
    }
    impl IommuMapper for Arc<RecordingMapper> {
        unsafe fn map(&self, _vaddr: u64, iova: u64, len: u64) -> Result<()> {
            self.log.lock().unwrap().push((true, iova, len));
            Ok(())
        }
        fn unmap(&self, iova: u64, len: u64) -> Result<()> {
            self.log.lock().unwrap().push((false, iova, len));
            Ok(())
        }
    }

    #[test]
    fn concurrent_copies_from_threads_are_whole() {
        let rec = Arc::new(RecordingMapper::default());
        let space = Arc::new(DmaSpace::new(
            Box::new(Arc::clone(&rec)),
            0x10_0000..0x20_0000,
        ));
        let buf = space.alloc(4096).unwrap();
        std::thread::scope(|s| {
            for t in 0..4u8 {
                let buf = &buf;
                s.spawn(move || {
                    let block = [t; 4096];
                    let mut back = [0u8; 4096];
                    for _ in 0..200 {
                        buf.write_bytes(0, &block).unwrap();
                        buf.read_bytes(0, &mut back).unwrap();
                        // Every read sees one whole write, never a mix of two.
                        assert!(back.iter().all(|&b| b == back[0]), "torn copy");
                    }
                });
            }
        });
    }

    #[test]
    fn large_buffers_use_huge_pages_or_fall_back() {
        let rec = Arc::new(RecordingMapper::default());
        let space = Arc::new(DmaSpace::new(
            Box::new(Arc::clone(&rec)),
            0x10_0000..0x1000_0000,
        ));
        let len = usize::try_from(HUGE_PAGE_SIZE).unwrap() + 1;
        let buf = space.alloc(len).unwrap();
        if buf.huge_pages() {
            assert_eq!(buf.mapped_len(), 2 * HUGE_PAGE_SIZE);
            assert_eq!(
                buf.iova() % HUGE_PAGE_SIZE,
                0,
                "huge-page buffers get huge-page aligned IOVAs"
            );
        } else {
            assert_eq!(buf.mapped_len(), HUGE_PAGE_SIZE + PAGE_SIZE);
        }
        buf.write_u32(len - 4, 0x0102_0304).unwrap();
        assert_eq!(buf.read_u32(len - 4).unwrap(), 0x0102_0304);
        assert!(
            buf.read_u32(len - 3).is_err(),
            "bounds are the requested length, not the mapped one"
        );
        let (iova, mapped) = (buf.iova(), buf.mapped_len());
        drop(buf);
        assert_eq!(
            rec.log.lock().unwrap().last().copied(),
            Some((false, iova, mapped))
        );
    }

    #[test]
    fn buffer_maps_unmaps_and_bounds_checks() {
        let rec = Arc::new(RecordingMapper::default());
        let space = Arc::new(DmaSpace::new(
            Box::new(Arc::clone(&rec)),
            0x10_0000..0x20_0000,
        ));
        let buf = space.alloc(100).unwrap();
        assert_eq!(buf.iova(), 0x10_0000);
        assert_eq!(buf.mapped_len(), 4096);
        buf.write_bytes(3, &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])
            .unwrap();
        let mut back = [0u8; 11];
        buf.read_bytes(3, &mut back).unwrap();
        assert_eq!(back, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
        buf.write_u64(16, 0x1122_3344_5566_7788).unwrap();
        assert_eq!(buf.read_u64(16).unwrap(), 0x1122_3344_5566_7788);
        assert_eq!(buf.read_u32(20).unwrap(), 0x1122_3344);
        assert!(matches!(buf.read_u32(97), Err(Error::OutOfBounds { .. })));
        assert!(matches!(
            buf.write_bytes(usize::MAX, &[1]),
            Err(Error::OutOfBounds { .. })
        ));
        buf.fill(0xab).unwrap();
        assert_eq!(buf.read_u32(96).unwrap(), 0xabab_abab);
        let second = space.alloc(5000).unwrap();
        assert_eq!(second.iova(), 0x10_1000);
        drop(buf);
        drop(second);
        let log = rec.log.lock().unwrap().clone();
        assert_eq!(
            log,
            vec![
                (true, 0x10_0000, 4096),
                (true, 0x10_1000, 8192),
                (false, 0x10_0000, 4096),
                (false, 0x10_1000, 8192)
            ]
        );
        assert!(matches!(space.alloc(0), Err(Error::DmaSize { size: 0 })));
    }
}
