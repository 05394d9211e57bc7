//! RM over the open `nvidia.ko`: `/dev/nvidiactl` escapes, `/dev/nvidia<N>` nodes and
//! `/dev/nvidia-uvm`.
//!
//! Request numbers are built with nix's `request_code_readwrite!` from `NV_IOCTL_MAGIC` (`'F'`), the
//! escape number (RM escapes `0x27..0x5f` as-is, Linux escapes `NV_IOCTL_BASE` (200) + n) and the
//! parameter struct's size, which `nvidia.ko` reads back with `_IOC_NR`/`_IOC_SIZE`
//! (kernel-open/nvidia/nv.c). The RM call's own status comes back in the struct; the `ioctl`
//! return value only says whether the kernel ran it.
//!
//! **Unverified**: no GPU was available to this work; every call here has been checked only for
//! struct layout and request-number encoding, not run against `nvidia.ko`.

pub mod sim;
pub mod uvm;

use super::abi::r580::{self as abi, f};
use super::abi::{c_str, DriverAbi, Pod};
use super::{CpuMapping, DmaMapRequest, Handle, NvStatus, Rm};
use crate::error::{Error, Result};
use nix::libc;
use nix::sys::ioctl::ioctl_num_type;
use std::fs::{File, OpenOptions};
use std::num::NonZeroUsize;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// `/dev/nvidiactl`.
pub const NVIDIACTL: &str = "/dev/nvidiactl";
/// `/dev/nvidia-uvm`.
pub const NVIDIA_UVM: &str = "/dev/nvidia-uvm";

/// Path of the per-GPU node for `minor` (`/dev/nvidia<minor>`).
pub fn gpu_node_path(minor: u32) -> String {
    format!("/dev/nvidia{minor}")
}

/// The `_IOWR('F', nr, size)` request number for an `nvidia.ko` escape with a `size`-byte struct.
pub fn nv_request(nr: u8, size: usize) -> Result<ioctl_num_type> {
    // _IOC_SIZEBITS is 14 on x86/arm (13/14 elsewhere); nix masks silently, so check first.
    let max = usize::try_from(nix::sys::ioctl::SIZEMASK).unwrap_or(0);
    if size > max {
        return Err(Error::OutOfRange {
            what: "ioctl parameter size",
            value: size as u64,
            limit: max as u64,
        });
    }
    Ok(nix::request_code_readwrite!(abi::NV_IOCTL_MAGIC, nr, size))
}

fn open_node(path: &str) -> Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_CLOEXEC)
        .open(path)
        .map_err(|source| Error::OpenNode {
            path: path.to_owned(),
            source,
        })
}

/// Runs escape `nr` on `fd` with `params` in and out.
fn nv_ioctl<P: Pod>(
    fd: BorrowedFd<'_>,
    nr: u8,
    params: &mut P,
    op: &'static str,
    node: &'static str,
) -> Result<()> {
    let req = nv_request(nr, std::mem::size_of::<P>())?;
    let ptr: *mut P = params;
    // SAFETY: `req` encodes exactly `size_of::<P>()` bytes and `ptr` points to a live, exclusively
    // borrowed `P` of that size, so the kernel's copy_from_user/copy_to_user stay inside it; `P: Pod`
    // makes any bytes the kernel writes a valid `P` (SAFETY.md, "nvidia.ko ioctls").
    let ret = unsafe { libc::ioctl(fd.as_raw_fd(), req, ptr) };
    if ret < 0 {
        return Err(Error::Ioctl {
            op,
            node,
            source: std::io::Error::last_os_error(),
        });
    }
    Ok(())
}

fn rm_status(op: &'static str, status: u32) -> Result<()> {
    NvStatus(status)
        .check()
        .map_err(|status| Error::Rm { op, status })
}

/// A GPU as `NV_ESC_CARD_INFO` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CardInfo {
    /// RM GPU id (for `NV0000_CTRL_CMD_GPU_GET_ID_INFO_V2`).
    pub gpu_id: u32,
    /// Minor number of `/dev/nvidia<minor>`.
    pub minor: u32,
    /// PCI domain/bus/slot/function.
    pub pci: (u32, u8, u8, u8),
    /// PCI vendor and device id.
    pub vendor_id: u16,
    pub device_id: u16,
    /// BAR0 (registers) and BAR1 (framebuffer window) sizes.
    pub reg_size: u64,
    pub fb_size: u64,
}

impl CardInfo {
    fn from_abi(c: &abi::CardInfo) -> Option<Self> {
        (c.valid != 0).then_some(CardInfo {
            gpu_id: c.gpu_id,
            minor: c.minor_number,
            pci: (
                c.pci_info.domain,
                c.pci_info.bus,
                c.pci_info.slot,
                c.pci_info.function,
            ),
            vendor_id: c.pci_info.vendor_id,
            device_id: c.pci_info.device_id,
            reg_size: c.reg_size,
            fb_size: c.fb_size,
        })
    }
}

/// The `/dev/nvidiactl` connection: the [`Rm`] backend for `nvidia.ko`.
#[derive(Debug)]
pub struct NvidiaCtl {
    ctl: File,
    driver_version: String,
    abi: DriverAbi,
    /// Which `/dev/nvidia<minor>` each allocated device object belongs to (for CPU mappings).
    device_minors: Mutex<Vec<(Handle, u32)>>,
    /// Next client-chosen handle for calls where RM wants one (OS descriptors).
    next_handle: std::sync::atomic::AtomicU32,
    /// RM objects allocated through this connection and not yet freed (leak checks).
    live: std::sync::atomic::AtomicUsize,
}

/// First handle nvbare chooses itself. RM generates handles from `RS_UNIQUE_HANDLE_BASE`
/// (0xcaf00000, range 0x80000; resserv `rs_client.h`), so this range cannot collide with them.
pub const CLIENT_HANDLE_BASE: u32 = 0x0b0b_0000;

impl NvidiaCtl {
    /// Opens `/dev/nvidiactl`, asks the module for its version (`NV_ESC_CHECK_VERSION_STR`, query
    /// mode), picks the matching ABI module (an unknown version is an error naming it) and then
    /// registers that exact version with a strict check.
    pub fn open() -> Result<Arc<Self>> {
        let ctl = open_node(NVIDIACTL)?;
        let mut q = abi::RmApiVersion::zeroed();
        q.cmd = abi::NV_RM_API_VERSION_CMD_QUERY;
        nv_ioctl(
            ctl.as_fd(),
            abi::NV_ESC_CHECK_VERSION_STR,
            &mut q,
            "CHECK_VERSION_STR(query)",
            NVIDIACTL,
        )?;
        let version = c_str(&q.version_string);
        let abi_module = DriverAbi::for_version(&version)?;

        let mut strict = abi::RmApiVersion::zeroed();
        strict.cmd = abi::NV_RM_API_VERSION_CMD_STRICT;
        let n = version.len().min(abi::NV_RM_API_VERSION_STRING_LENGTH - 1);
        if let (Some(dst), Some(src)) = (
            strict.version_string.get_mut(..n),
            version.as_bytes().get(..n),
        ) {
            dst.copy_from_slice(src);
        }
        if let Err(e) = nv_ioctl(
            ctl.as_fd(),
            abi::NV_ESC_CHECK_VERSION_STR,
            &mut strict,
            "CHECK_VERSION_STR(strict)",
            NVIDIACTL,
        ) {
            return match e {
                Error::Ioctl { .. } => Err(Error::DriverVersionMismatch {
                    sent: version,
                    module: c_str(&strict.version_string),
                }),
                other => Err(other),
            };
        }
        Ok(Arc::new(NvidiaCtl {
            ctl,
            driver_version: version,
            abi: abi_module,
            device_minors: Mutex::new(Vec::new()),
            next_handle: std::sync::atomic::AtomicU32::new(CLIENT_HANDLE_BASE),
            live: std::sync::atomic::AtomicUsize::new(0),
        }))
    }

    /// The version string `nvidia.ko` reported.
    pub fn driver_version(&self) -> &str {
        &self.driver_version
    }

    /// RM objects allocated through this connection and not freed yet (a freed client counts its
    /// whole subtree as freed only if nvbare freed the children first, which it does).
    pub fn live_objects(&self) -> usize {
        self.live.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The ABI module in use.
    pub fn abi(&self) -> DriverAbi {
        self.abi
    }

    /// The control fd (UVM wants it as `rmCtrlFd`).
    pub fn ctl_fd(&self) -> BorrowedFd<'_> {
        self.ctl.as_fd()
    }

    /// Every GPU `nvidia.ko` manages (`NV_ESC_CARD_INFO`), in the module's order.
    pub fn card_info(&self) -> Result<Vec<CardInfo>> {
        let mut cards = [abi::CardInfo::zeroed(); abi::NV_MAX_DEVICES];
        nv_ioctl(
            self.ctl.as_fd(),
            abi::NV_ESC_CARD_INFO,
            &mut cards,
            "CARD_INFO",
            NVIDIACTL,
        )?;
        Ok(cards.iter().filter_map(CardInfo::from_abi).collect())
    }

    /// Opens `/dev/nvidia<minor>` and ties it to this control fd (`NV_ESC_REGISTER_FD`).
    pub fn open_gpu_node(&self, minor: u32) -> Result<File> {
        let path = gpu_node_path(minor);
        let node = open_node(&path)?;
        let mut p = abi::RegisterFd {
            ctl_fd: self.ctl.as_raw_fd(),
        };
        nv_ioctl(
            node.as_fd(),
            abi::NV_ESC_REGISTER_FD,
            &mut p,
            "REGISTER_FD",
            "/dev/nvidia<N>",
        )?;
        Ok(node)
    }

    /// Records that `device` (an `NV01_DEVICE_0` object) lives on `/dev/nvidia<minor>`, so
    /// [`Rm::map_cpu`] knows which node to map through.
    pub fn note_device(&self, device: Handle, minor: u32) {
        if let Ok(mut v) = self.device_minors.lock() {
            v.retain(|&(h, _)| h != device);
            v.push((device, minor));
        }
    }

    fn minor_of(&self, device: Handle) -> Result<u32> {
        let v = self
            .device_minors
            .lock()
            .map_err(|_| Error::InvalidArgument {
                what: "device table",
                detail: "poisoned lock".into(),
            })?;
        v.iter()
            .find(|&&(h, _)| h == device)
            .map(|&(_, m)| m)
            .ok_or(Error::InvalidArgument {
                what: "device handle",
                detail: format!("{device:?} was not registered with NvidiaCtl::note_device"),
            })
    }

    /// Registers `len` bytes of this process's memory at `addr` with RM as an OS descriptor
    /// (`NV01_MEMORY_SYSTEM_OS_DESCRIPTOR` through `NV_ESC_RM_ALLOC_MEMORY` on `/dev/nvidia<N>`),
    /// returning its memory handle. RM takes the handle from the caller here
    /// (`NVOS32_ALLOC_FLAGS_MEMORY_HANDLE_PROVIDED` in escape.c `RmAllocOsDescriptor`), so nvbare
    /// picks one from [`CLIENT_HANDLE_BASE`] up. The memory must stay mapped until the handle is
    /// freed (`gpu::nvk::NvkGpu::alloc_host` owns both together).
    pub fn alloc_os_descriptor(
        &self,
        client: Handle,
        device: Handle,
        addr: usize,
        len: u64,
    ) -> Result<Handle> {
        if len == 0 {
            return Err(Error::InvalidArgument {
                what: "host registration",
                detail: "zero length".into(),
            });
        }
        let minor = self.minor_of(device)?;
        let node = self.open_gpu_node(minor)?;
        let mut p = abi::Nvos02WithFd::zeroed();
        p.params.h_root = client.0;
        p.params.h_object_parent = device.0;
        p.params.h_object_new = self
            .next_handle
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        p.params.h_class = super::abi::class::NV01_MEMORY_SYSTEM_OS_DESCRIPTOR;
        p.params.flags = f(abi::NVOS02_FLAGS_PHYSICALITY_NONCONTIGUOUS)
            | f(abi::NVOS02_FLAGS_COHERENCY_CACHED)
            | f(abi::NVOS02_FLAGS_MAPPING_NO_MAP);
        p.params.p_memory = addr as u64;
        p.params.limit = len - 1;
        p.fd = -1;
        nv_ioctl(
            node.as_fd(),
            abi::NV_ESC_RM_ALLOC_MEMORY,
            &mut p,
            "ALLOC_MEMORY(os descriptor)",
            "/dev/nvidia<N>",
        )?;
        rm_status("ALLOC_MEMORY(os descriptor)", p.params.status)?;
        self.live.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(Handle(p.params.h_object_new))
    }
}

impl NvidiaCtl {
    /// Maps RM memory into this process: `NV_ESC_RM_MAP_MEMORY` naming a fresh fd, then `mmap` of
    /// that fd. Video memory goes through `/dev/nvidia<N>` ([`MapVia::GpuNode`]); system memory can
    /// also go through a fresh `/dev/nvidiactl` fd ([`MapVia::Control`]), as tinygrad does.
    #[allow(clippy::too_many_arguments)]
    pub fn map_memory(
        &self,
        client: Handle,
        device: Handle,
        memory: Handle,
        offset: u64,
        length: u64,
        flags: u32,
        via: MapVia,
    ) -> Result<CpuMapping> {
        let len = usize::try_from(length)
            .ok()
            .and_then(NonZeroUsize::new)
            .ok_or(Error::OutOfRange {
                what: "CPU mapping length",
                value: length,
                limit: usize::MAX as u64,
            })?;
        let node = match via {
            MapVia::GpuNode => self.open_gpu_node(self.minor_of(device)?)?,
            MapVia::Control => open_node(NVIDIACTL)?,
        };
        // The unmap closure needs its own control fd; take it before RM creates the mapping so a
        // failure here leaves nothing to undo.
        let ctl = self.ctl.try_clone().map_err(|source| Error::OpenNode {
            path: NVIDIACTL.into(),
            source,
        })?;
        let mut p = abi::Nvos33WithFd::zeroed();
        p.params.h_client = client.0;
        p.params.h_device = device.0;
        p.params.h_memory = memory.0;
        p.params.offset = offset;
        p.params.length = length;
        p.params.flags = flags;
        p.fd = node.as_raw_fd();
        nv_ioctl(
            self.ctl.as_fd(),
            abi::NV_ESC_RM_MAP_MEMORY,
            &mut p,
            "RM_MAP_MEMORY",
            NVIDIACTL,
        )?;
        rm_status("map_cpu", p.params.status)?;
        let linear = p.params.p_linear_address;
        // Undoes RM_MAP_MEMORY (RM keeps the mapping record until told): on drop, and also when
        // the mmap below fails, so that failure does not leave RM's record behind.
        let rm_unmap = move |ctl: &File| {
            let mut u = abi::Nvos34::zeroed();
            u.h_client = client.0;
            u.h_device = device.0;
            u.h_memory = memory.0;
            u.p_linear_address = linear;
            nv_ioctl(
                ctl.as_fd(),
                abi::NV_ESC_RM_UNMAP_MEMORY,
                &mut u,
                "RM_UNMAP_MEMORY",
                NVIDIACTL,
            )
            .and_then(|()| rm_status("RM_UNMAP_MEMORY", u.status))
        };
        let prot = nix::sys::mman::ProtFlags::PROT_READ | nix::sys::mman::ProtFlags::PROT_WRITE;
        // SAFETY: maps the RM memory object prepared by RM_MAP_MEMORY on `node` at a kernel-chosen
        // address (no MAP_FIXED, so nothing existing is replaced); see SAFETY.md "RM memory mappings".
        let mapped = unsafe {
            nix::sys::mman::mmap(
                None,
                len,
                prot,
                nix::sys::mman::MapFlags::MAP_SHARED,
                &node,
                0,
            )
        };
        let ptr = match mapped {
            Ok(ptr) => ptr,
            Err(source) => {
                let err = Error::Mmap {
                    what: "mapping GPU memory into the CPU address space",
                    len: len.get(),
                    source,
                };
                // The mmap error is the one to report; a failing RM_UNMAP_MEMORY on top of it
                // would only leave RM's record until the client is freed (which frees it too).
                return match rm_unmap(&ctl) {
                    Ok(()) => Err(err),
                    Err(cleanup) => Err(Error::CleanupAfterError {
                        what: "RM_UNMAP_MEMORY after a failed mmap",
                        original: Box::new(err),
                        source: Box::new(cleanup),
                    }),
                };
            }
        };
        let unmap = move |p: std::ptr::NonNull<u8>, l: usize| {
            // SAFETY: `p`/`l` are exactly the range returned by the mmap above, unmapped once.
            let _ = unsafe { nix::sys::mman::munmap(p.cast(), l) };
            // Drop cannot report: RM frees the record with the memory object or client anyway.
            let _ = rm_unmap(&ctl);
            drop(node);
        };
        // SAFETY: `ptr..ptr+len` is the fresh shared mapping created above; only `unmap` unmaps it.
        Ok(unsafe { CpuMapping::from_raw(ptr.cast(), len.get(), unmap) })
    }
}

/// `len` bytes (rounded up to 4 KiB pages) of fresh, zeroed, shared anonymous memory, unmapped when
/// the returned mapping drops: host memory nvbare owns and can register with RM as an OS descriptor.
pub fn anonymous_mapping(len: u64) -> Result<CpuMapping> {
    let rounded = len
        .checked_add(4095)
        .map(|v| v & !4095)
        .filter(|&v| v > 0)
        .ok_or(Error::OutOfRange {
            what: "host allocation",
            value: len,
            limit: u64::MAX - 4095,
        })?;
    let n = usize::try_from(rounded)
        .ok()
        .and_then(NonZeroUsize::new)
        .ok_or(Error::OutOfRange {
            what: "host allocation",
            value: len,
            limit: usize::MAX as u64,
        })?;
    let prot = nix::sys::mman::ProtFlags::PROT_READ | nix::sys::mman::ProtFlags::PROT_WRITE;
    // SAFETY: a fresh anonymous mapping at a kernel-chosen address replaces nothing (SAFETY.md,
    // "RM memory mappings").
    let ptr = unsafe {
        nix::sys::mman::mmap_anonymous(None, n, prot, nix::sys::mman::MapFlags::MAP_SHARED)
    }
    .map_err(|source| Error::Mmap {
        what: "anonymous shared mapping for host memory",
        len: n.get(),
        source,
    })?;
    let unmap = |p: std::ptr::NonNull<u8>, l: usize| {
        // SAFETY: exactly the range mapped above, unmapped once.
        let _ = unsafe { nix::sys::mman::munmap(p.cast(), l) };
    };
    // SAFETY: `ptr..ptr+n` is the fresh mapping created above; only `unmap` unmaps it.
    Ok(unsafe { CpuMapping::from_raw(ptr.cast(), n.get(), unmap) })
}

/// Which fd a CPU mapping of RM memory goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapVia {
    /// `/dev/nvidia<N>` of the device (video memory, USERD, doorbell).
    GpuNode,
    /// A fresh `/dev/nvidiactl` fd (system memory).
    Control,
}

/// Address and length of a parameter buffer for `NVOS64.pAllocParms`/`NVOS54.params`; a buffer
/// longer than RM's 32-bit size field is refused rather than passed with a cut length.
fn slice_ptr(params: &mut [u8]) -> Result<(u64, u32)> {
    if params.is_empty() {
        return Ok((0, 0));
    }
    let len = u32::try_from(params.len()).map_err(|_| Error::OutOfRange {
        what: "RM parameter buffer length",
        value: params.len() as u64,
        limit: u64::from(u32::MAX),
    })?;
    Ok((params.as_mut_ptr() as u64, len))
}

impl Rm for NvidiaCtl {
    fn alloc_raw(
        &self,
        client: Handle,
        parent: Handle,
        class: u32,
        params: &mut [u8],
    ) -> Result<Handle> {
        let (ptr, size) = slice_ptr(params)?;
        let mut p = abi::Nvos64::zeroed();
        p.h_root = client.0;
        p.h_object_parent = parent.0;
        p.h_class = class;
        p.p_alloc_parms = ptr;
        p.params_size = size;
        // `nv_ioctl` passes a pointer to `p`, whose `p_alloc_parms` points into `params`, borrowed
        // for the whole call.
        nv_ioctl(
            self.ctl.as_fd(),
            abi::NV_ESC_RM_ALLOC,
            &mut p,
            "RM_ALLOC",
            NVIDIACTL,
        )?;
        rm_status("alloc", p.status)?;
        self.live.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(Handle(p.h_object_new))
    }

    fn free_raw(&self, client: Handle, parent: Handle, object: Handle) -> Result<()> {
        let mut p = abi::Nvos00 {
            h_root: client.0,
            h_object_parent: parent.0,
            h_object_old: object.0,
            status: 0,
        };
        nv_ioctl(
            self.ctl.as_fd(),
            abi::NV_ESC_RM_FREE,
            &mut p,
            "RM_FREE",
            NVIDIACTL,
        )?;
        if let Ok(mut v) = self.device_minors.lock() {
            v.retain(|&(h, _)| h != object);
        }
        rm_status("free", p.status)?;
        let _ = self.live.fetch_update(
            std::sync::atomic::Ordering::Relaxed,
            std::sync::atomic::Ordering::Relaxed,
            |n| n.checked_sub(1),
        );
        Ok(())
    }

    fn control_raw(
        &self,
        client: Handle,
        object: Handle,
        cmd: u32,
        name: &'static str,
        params: &mut [u8],
    ) -> Result<()> {
        let (ptr, size) = slice_ptr(params)?;
        let mut p = abi::Nvos54 {
            h_client: client.0,
            h_object: object.0,
            cmd,
            flags: 0,
            params: ptr,
            params_size: size,
            status: 0,
        };
        nv_ioctl(
            self.ctl.as_fd(),
            abi::NV_ESC_RM_CONTROL,
            &mut p,
            name,
            NVIDIACTL,
        )?;
        rm_status(name, p.status)
    }

    fn map_dma(&self, req: &DmaMapRequest) -> Result<u64> {
        let mut p = abi::Nvos46::zeroed();
        p.h_client = req.client.0;
        p.h_device = req.device.0;
        p.h_dma = req.dma.0;
        p.h_memory = req.memory.0;
        p.offset = req.offset;
        p.length = req.length;
        p.flags = req.flags;
        p.dma_offset = req.gpu_va;
        nv_ioctl(
            self.ctl.as_fd(),
            abi::NV_ESC_RM_MAP_MEMORY_DMA,
            &mut p,
            "RM_MAP_MEMORY_DMA",
            NVIDIACTL,
        )?;
        rm_status("map_dma", p.status)?;
        Ok(p.dma_offset)
    }

    fn unmap_dma(
        &self,
        client: Handle,
        device: Handle,
        dma: Handle,
        memory: Handle,
        gpu_va: u64,
    ) -> Result<()> {
        let mut p = abi::Nvos47::zeroed();
        p.h_client = client.0;
        p.h_device = device.0;
        p.h_dma = dma.0;
        p.h_memory = memory.0;
        p.dma_offset = gpu_va;
        nv_ioctl(
            self.ctl.as_fd(),
            abi::NV_ESC_RM_UNMAP_MEMORY_DMA,
            &mut p,
            "RM_UNMAP_MEMORY_DMA",
            NVIDIACTL,
        )?;
        rm_status("unmap_dma", p.status)
    }

    fn map_cpu(
        &self,
        client: Handle,
        device: Handle,
        memory: Handle,
        offset: u64,
        length: u64,
        flags: u32,
    ) -> Result<CpuMapping> {
        self.map_memory(
            client,
            device,
            memory,
            offset,
            length,
            flags,
            MapVia::GpuNode,
        )
    }
}

/// Which kernel-driver nodes exist on this machine (used to explain "no GPU" precisely).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeScan {
    /// Whether `/dev/nvidiactl` exists.
    pub nvidiactl: bool,
    /// `/dev/nvidia<N>` nodes found (minor numbers).
    pub gpu_nodes: Vec<u32>,
    /// Whether `/dev/nvidia-uvm` exists.
    pub uvm: bool,
}

impl NodeScan {
    /// Looks under `dev` (normally `/dev`).
    pub fn scan(dev: &Path) -> NodeScan {
        let mut gpu_nodes: Vec<u32> = std::fs::read_dir(dev)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                e.file_name()
                    .to_str()
                    .and_then(|n| n.strip_prefix("nvidia"))
                    .and_then(|n| n.parse::<u32>().ok())
            })
            .collect();
        gpu_nodes.sort_unstable();
        NodeScan {
            nvidiactl: dev.join("nvidiactl").exists(),
            gpu_nodes,
            uvm: dev.join("nvidia-uvm").exists(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Independent encoding, as tinygrad `ops_nv.py` writes it: `(3 << 30) | (size << 16) | ('F' << 8) | nr`.
    fn iowr_reference(nr: u8, size: usize) -> u64 {
        (3u64 << 30) | ((size as u64 & 0x1fff) << 16) | (u64::from(b'F') << 8) | u64::from(nr)
    }

    #[test]
    fn request_numbers() {
        let cases: [(u8, usize); 7] = [
            (abi::NV_ESC_RM_ALLOC, std::mem::size_of::<abi::Nvos64>()),
            (abi::NV_ESC_RM_CONTROL, std::mem::size_of::<abi::Nvos54>()),
            (abi::NV_ESC_RM_FREE, std::mem::size_of::<abi::Nvos00>()),
            (
                abi::NV_ESC_RM_MAP_MEMORY,
                std::mem::size_of::<abi::Nvos33WithFd>(),
            ),
            (
                abi::NV_ESC_RM_MAP_MEMORY_DMA,
                std::mem::size_of::<abi::Nvos46>(),
            ),
            (
                abi::NV_ESC_CARD_INFO,
                std::mem::size_of::<[abi::CardInfo; abi::NV_MAX_DEVICES]>(),
            ),
            (
                abi::NV_ESC_REGISTER_FD,
                std::mem::size_of::<abi::RegisterFd>(),
            ),
        ];
        for (nr, size) in cases {
            assert_eq!(
                nv_request(nr, size).unwrap() as u64,
                iowr_reference(nr, size),
                "nr {nr:#x} size {size}"
            );
        }
        // Spot values: RM_ALLOC with NVOS64 (48 bytes) and CONTROL with NVOS54 (32 bytes).
        assert_eq!(nv_request(0x2b, 48).unwrap() as u64, 0xc030_462b);
        assert_eq!(nv_request(0x2a, 32).unwrap() as u64, 0xc020_462a);
        assert_eq!(abi::NV_ESC_CARD_INFO, 200);
        assert_eq!(abi::NV_ESC_CHECK_VERSION_STR, 210);
    }

    #[test]
    fn oversized_request_is_an_error() {
        assert!(matches!(
            nv_request(1, 1 << 14),
            Err(Error::OutOfRange { .. })
        ));
        assert!(nv_request(1, (1 << 14) - 1).is_ok());
    }

    #[test]
    fn card_info_filters_invalid_entries() {
        let mut c = abi::CardInfo::zeroed();
        assert_eq!(CardInfo::from_abi(&c), None);
        c.valid = 1;
        c.minor_number = 3;
        c.pci_info.vendor_id = 0x10de;
        c.pci_info.device_id = 0x2330;
        let info = CardInfo::from_abi(&c).unwrap();
        assert_eq!(
            (info.minor, info.vendor_id, info.device_id),
            (3, 0x10de, 0x2330)
        );
    }

    #[test]
    fn node_scan_reads_a_directory() {
        let dir = std::env::temp_dir().join(format!("nvbare-nodescan-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for n in [
            "nvidiactl",
            "nvidia0",
            "nvidia2",
            "nvidia-uvm",
            "nvidia-modeset",
            "nvidiaX",
        ] {
            std::fs::write(dir.join(n), b"").unwrap();
        }
        let s = NodeScan::scan(&dir);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            s,
            NodeScan {
                nvidiactl: true,
                gpu_nodes: vec![0, 2],
                uvm: true
            }
        );
        let empty = NodeScan::scan(Path::new("/nonexistent-nvbare"));
        assert_eq!(
            empty,
            NodeScan {
                nvidiactl: false,
                gpu_nodes: vec![],
                uvm: false
            }
        );
    }
}
