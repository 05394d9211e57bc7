//! VFIO: opening a device through the group/container (IOMMU type1 v2) or the cdev/iommufd
//! interface, regions, config space, BAR mapping, DMA mapping, interrupts and reset.

use std::ffi::CString;
use std::fs::{File, OpenOptions as FsOpenOptions};
use std::ops::Range;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use nix::sys::eventfd::{EfdFlags, EventFd};
use vfio_bindings::bindings::vfio::{
    vfio_device_attach_iommufd_pt, vfio_device_bind_iommufd, vfio_device_info, vfio_group_status,
    vfio_iommu_type1_dma_map, vfio_iommu_type1_dma_unmap, vfio_irq_info, vfio_irq_set,
    vfio_region_info, VFIO_TYPE1v2_IOMMU, VFIO_API_VERSION, VFIO_DEVICE_FLAGS_RESET,
    VFIO_DMA_MAP_FLAG_READ, VFIO_DMA_MAP_FLAG_WRITE, VFIO_GROUP_FLAGS_VIABLE,
    VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_IRQ_SET_DATA_EVENTFD, VFIO_IRQ_SET_DATA_NONE,
    VFIO_NOIOMMU_IOMMU, VFIO_PCI_CONFIG_REGION_INDEX, VFIO_PCI_MSIX_IRQ_INDEX,
    VFIO_PCI_MSI_IRQ_INDEX, VFIO_REGION_INFO_FLAG_MMAP,
};

use super::dma::{DmaBuffer, DmaSpace, IommuMapper};
use super::ioctl;
use super::mmio::Bar;
use super::sysfs::{Bdf, PciDeviceInfo, Requirements, Sysfs, Unusable, VfioAccess};
use super::PciTransport;
use crate::error::{Error, Result};

/// Size of a `T` as the `u32` an `argsz`/`size` field wants (all VFIO structs are tiny).
fn argsz<T>() -> u32 {
    u32::try_from(std::mem::size_of::<T>()).unwrap_or(u32::MAX)
}

fn ioctl_err(op: &'static str) -> impl FnOnce(nix::errno::Errno) -> Error {
    move |source| Error::VfioIoctl { op, source }
}

fn open_rw(path: &Path) -> Result<File> {
    FsOpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(|source| Error::VfioOpen {
            path: path.to_owned(),
            source,
        })
}

/// How to open a device.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    /// Where sysfs/devfs live (default `/`).
    pub sysfs: Sysfs,
    /// Memlock need, no-IOMMU opt-in, cdev preference.
    pub requirements: Requirements,
    /// Window DMA buffers get their IOVAs from. The default, 1 MiB .. 0xFEE0_0000, stays below the
    /// x86 MSI doorbell range that IOMMUs reserve; devices with narrower DMA masks need less
    /// (QEMU's edu device decodes only 28 bits).
    pub iova_window: Range<u64>,
}

impl Default for OpenOptions {
    fn default() -> Self {
        Self {
            sysfs: Sysfs::default(),
            requirements: Requirements {
                prefer_cdev: true,
                ..Requirements::default()
            },
            iova_window: 0x10_0000..0xfee0_0000,
        }
    }
}

/// The IOMMU side of a legacy VFIO container. Holding the group fd here keeps the group attached
/// (and so the IOMMU domain alive) for as long as any DMA buffer exists.
#[derive(Debug)]
struct Type1Container {
    container: File,
    _group: File,
}

impl IommuMapper for Type1Container {
    unsafe fn map(&self, vaddr: u64, iova: u64, len: u64) -> Result<()> {
        let arg = vfio_iommu_type1_dma_map {
            argsz: argsz::<vfio_iommu_type1_dma_map>(),
            flags: VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
            vaddr,
            iova,
            size: len,
        };
        // SAFETY: container is a VFIO container fd with an IOMMU set; `arg` is a live, fully
        // initialised struct of the size in argsz; the caller guarantees vaddr..vaddr+len stays
        // owned until unmap.
        unsafe { ioctl::vfio_iommu_map_dma(self.container.as_raw_fd(), &arg) }
            .map_err(ioctl_err("VFIO_IOMMU_MAP_DMA"))?;
        Ok(())
    }

    fn unmap(&self, iova: u64, len: u64) -> Result<()> {
        let mut arg = vfio_iommu_type1_dma_unmap {
            argsz: argsz::<vfio_iommu_type1_dma_unmap>(),
            flags: 0,
            iova,
            size: len,
            data: Default::default(),
        };
        // SAFETY: container fd; `arg` is a live struct of the size in argsz, written back by the kernel.
        unsafe { ioctl::vfio_iommu_unmap_dma(self.container.as_raw_fd(), &mut arg) }
            .map_err(ioctl_err("VFIO_IOMMU_UNMAP_DMA"))?;
        if arg.size != len {
            return Err(Error::VfioIoctl {
                op: "VFIO_IOMMU_UNMAP_DMA (partial unmap)",
                source: nix::errno::Errno::EIO,
            });
        }
        Ok(())
    }
}

/// The IOMMU side of an iommufd: one IOAS the device is attached to. Unverified: the test guest's
/// kernel (Debian 6.1) has no VFIO cdev; only the ABI (numbers, layouts) is unit-tested.
#[derive(Debug)]
struct IommufdIoas {
    iommufd: File,
    ioas: u32,
}

impl IommuMapper for IommufdIoas {
    unsafe fn map(&self, vaddr: u64, iova: u64, len: u64) -> Result<()> {
        let mut arg = ioctl::IommuIoasMap {
            size: argsz::<ioctl::IommuIoasMap>(),
            flags: ioctl::IOMMU_IOAS_MAP_FIXED_IOVA
                | ioctl::IOMMU_IOAS_MAP_READABLE
                | ioctl::IOMMU_IOAS_MAP_WRITEABLE,
            ioas_id: self.ioas,
            reserved: 0,
            user_va: vaddr,
            length: len,
            iova,
        };
        // SAFETY: iommufd fd; `arg` is a live struct of the size in its size field; the caller
        // guarantees the memory stays owned until unmap.
        unsafe { ioctl::iommu_ioas_map(self.iommufd.as_raw_fd(), &mut arg) }
            .map_err(ioctl_err("IOMMU_IOAS_MAP"))?;
        Ok(())
    }

    fn unmap(&self, iova: u64, len: u64) -> Result<()> {
        let mut arg = ioctl::IommuIoasUnmap {
            size: argsz::<ioctl::IommuIoasUnmap>(),
            ioas_id: self.ioas,
            iova,
            length: len,
        };
        // SAFETY: iommufd fd; `arg` is a live struct of the size in its size field.
        unsafe { ioctl::iommu_ioas_unmap(self.iommufd.as_raw_fd(), &mut arg) }
            .map_err(ioctl_err("IOMMU_IOAS_UNMAP"))?;
        if arg.length != len {
            return Err(Error::VfioIoctl {
                op: "IOMMU_IOAS_UNMAP (partial unmap)",
                source: nix::errno::Errno::EIO,
            });
        }
        Ok(())
    }
}

/// Which interface a device was opened through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VfioMode {
    /// Group + container, IOMMU type1 v2.
    Type1,
    /// Device cdev bound to iommufd (unverified, see [`VfioDevice::open`]).
    Iommufd,
    /// Unsafe no-IOMMU mode: no DMA isolation and no DMA mapping.
    NoIommu,
}

/// Information about one VFIO region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegionInfo {
    /// Region index (`VFIO_PCI_*_REGION_INDEX`).
    pub index: u32,
    /// `VFIO_REGION_INFO_FLAG_*`.
    pub flags: u32,
    /// Size in bytes (0: not implemented).
    pub size: u64,
    /// Offset of the region in the device fd.
    pub offset: u64,
}

/// Interrupt kinds a PCI device can deliver through VFIO.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IrqKind {
    /// MSI (up to 32 vectors).
    Msi,
    /// MSI-X.
    MsiX,
}

impl IrqKind {
    fn index(self) -> u32 {
        match self {
            IrqKind::Msi => VFIO_PCI_MSI_IRQ_INDEX,
            IrqKind::MsiX => VFIO_PCI_MSIX_IRQ_INDEX,
        }
    }
    fn name(self) -> &'static str {
        match self {
            IrqKind::Msi => "MSI",
            IrqKind::MsiX => "MSI-X",
        }
    }
}

/// A PCI function owned through VFIO.
#[derive(Debug)]
pub struct VfioDevice {
    info: PciDeviceInfo,
    mode: VfioMode,
    device: Arc<File>,
    flags: u32,
    num_regions: u32,
    num_irqs: u32,
    config: RegionInfo,
    dma: Option<Arc<DmaSpace>>,
    /// No-IOMMU mode: the container and group fds, kept open as long as the device.
    _noiommu_fds: Option<(File, File)>,
}

impl VfioDevice {
    /// Opens the device at `bdf`. Checks everything sysfs can tell first (driver, group
    /// viability, permissions, memlock) so a refusal names its reason ([`Error::DeviceUnusable`]).
    ///
    /// With `prefer_cdev` and a kernel that has a VFIO cdev for the device (Linux 6.6+,
    /// `/dev/vfio/devices/vfioN` + `/dev/iommu`), the iommufd path is used: unverified on a real
    /// kernel (the test guest runs Debian's 6.1, which predates it). Otherwise the group/container
    /// path with IOMMU type1 v2, verified in the QEMU guest test. A no-IOMMU group is opened only with
    /// `allow_noiommu`, with a warning: the device can then DMA anywhere in physical memory.
    ///
    /// One `VfioDevice` per IOMMU group and process: the group node can be open only once, so a second
    /// device of an already opened group fails with [`Error::VfioOpen`] (EBUSY).
    pub fn open(bdf: Bdf, opts: &OpenOptions) -> Result<Self> {
        let info = opts.sysfs.device(bdf)?;
        let access = opts.sysfs.check_usable(&info, opts.requirements)?;
        let mut keep = None;
        let (mode, device, dma): (VfioMode, File, Option<Box<dyn IommuMapper>>) = match access {
            VfioAccess::Group {
                group,
                path,
                container,
            } => {
                let (c, g, d) =
                    Self::open_group(bdf, group, &path, &container, VFIO_TYPE1v2_IOMMU)?;
                (
                    VfioMode::Type1,
                    d,
                    Some(Box::new(Type1Container {
                        container: c,
                        _group: g,
                    })),
                )
            }
            VfioAccess::NoIommuGroup {
                group,
                path,
                container,
            } => {
                log::warn!(
                    "opening {bdf} in VFIO no-IOMMU mode: the device is not isolated and can read and write \
                     all of physical memory; DMA mapping through nvbare is unavailable; the kernel is tainted"
                );
                let (c, g, d) =
                    Self::open_group(bdf, group, &path, &container, VFIO_NOIOMMU_IOMMU)?;
                keep = Some((c, g));
                (VfioMode::NoIommu, d, None)
            }
            VfioAccess::Cdev { device, iommufd } => {
                let (d, m) = Self::open_cdev(&device, &iommufd)?;
                (VfioMode::Iommufd, d, Some(Box::new(m)))
            }
        };
        let mut dinfo = vfio_device_info {
            argsz: argsz::<vfio_device_info>(),
            ..Default::default()
        };
        // SAFETY: device fd; dinfo is a live struct whose argsz is its size.
        unsafe { ioctl::vfio_device_get_info(device.as_raw_fd(), &mut dinfo) }
            .map_err(ioctl_err("VFIO_DEVICE_GET_INFO"))?;
        let device = Arc::new(device);
        let config = region_info(&device, VFIO_PCI_CONFIG_REGION_INDEX)?;
        Ok(Self {
            info,
            mode,
            device,
            flags: dinfo.flags,
            num_regions: dinfo.num_regions,
            num_irqs: dinfo.num_irqs,
            config,
            dma: dma.map(|m| Arc::new(DmaSpace::new(m, opts.iova_window.clone()))),
            _noiommu_fds: keep,
        })
    }

    fn open_group(
        bdf: Bdf,
        group: u32,
        path: &Path,
        container_path: &Path,
        iommu: u32,
    ) -> Result<(File, File, File)> {
        let container = open_rw(container_path)?;
        // SAFETY: container is a /dev/vfio/vfio fd; this ioctl takes no argument.
        let version = unsafe { ioctl::vfio_get_api_version(container.as_raw_fd()) }
            .map_err(ioctl_err("VFIO_GET_API_VERSION"))?;
        if u32::try_from(version).ok() != Some(VFIO_API_VERSION) {
            return Err(Error::VfioUnsupported {
                what: "unknown VFIO API version",
            });
        }
        let ext = nix::libc::c_int::try_from(iommu)
            .map_err(|_| Error::VfioUnsupported { what: "IOMMU type" })?;
        // SAFETY: container fd; the argument is an integer extension id.
        let has = unsafe { ioctl::vfio_check_extension(container.as_raw_fd(), ext) }
            .map_err(ioctl_err("VFIO_CHECK_EXTENSION"))?;
        if has <= 0 {
            return Err(Error::VfioUnsupported {
                what: if iommu == VFIO_NOIOMMU_IOMMU {
                    "no-IOMMU mode not enabled in the vfio module (load it with enable_unsafe_noiommu_mode=1)"
                } else {
                    "IOMMU type1 v2 not supported"
                },
            });
        }
        let group_file = open_rw(path)?;
        let mut status = vfio_group_status {
            argsz: argsz::<vfio_group_status>(),
            flags: 0,
        };
        // SAFETY: group fd; status is a live struct whose argsz is its size.
        unsafe { ioctl::vfio_group_get_status(group_file.as_raw_fd(), &mut status) }
            .map_err(ioctl_err("VFIO_GROUP_GET_STATUS"))?;
        if status.flags & VFIO_GROUP_FLAGS_VIABLE == 0 {
            return Err(Error::DeviceUnusable {
                bdf,
                reason: Unusable::KernelGroupNotViable { group },
            });
        }
        let cfd: nix::libc::c_int = container.as_raw_fd();
        // SAFETY: group fd; the argument points at a live c_int holding the container fd.
        unsafe { ioctl::vfio_group_set_container(group_file.as_raw_fd(), &cfd) }
            .map_err(ioctl_err("VFIO_GROUP_SET_CONTAINER"))?;
        // SAFETY: container fd with a group attached; the argument is an IOMMU type id.
        unsafe { ioctl::vfio_set_iommu(container.as_raw_fd(), ext) }
            .map_err(ioctl_err("VFIO_SET_IOMMU"))?;
        let name = CString::new(bdf.to_string()).map_err(|_| Error::PciAddress {
            text: bdf.to_string(),
        })?;
        // SAFETY: group fd attached to a container; the argument is a NUL-terminated string that
        // outlives the call.
        let raw = unsafe { ioctl::vfio_group_get_device_fd(group_file.as_raw_fd(), name.as_ptr()) }
            .map_err(ioctl_err("VFIO_GROUP_GET_DEVICE_FD"))?;
        // SAFETY: on success the ioctl returns a new file descriptor that nothing else owns.
        let device = File::from(unsafe { OwnedFd::from_raw_fd(raw) });
        Ok((container, group_file, device))
    }

    fn open_cdev(device_path: &Path, iommufd_path: &Path) -> Result<(File, IommufdIoas)> {
        let device = open_rw(device_path)?;
        let iommufd = open_rw(iommufd_path)?;
        let mut bind = vfio_device_bind_iommufd {
            // Up to out_devid: the token field is newer and optional.
            argsz: 16,
            flags: 0,
            iommufd: iommufd.as_raw_fd(),
            out_devid: 0,
            token_uuid_ptr: 0,
        };
        // SAFETY: device cdev fd; bind is live and at least argsz bytes long.
        unsafe { ioctl::vfio_device_bind_iommufd_ioctl(device.as_raw_fd(), &mut bind) }
            .map_err(ioctl_err("VFIO_DEVICE_BIND_IOMMUFD"))?;
        let mut alloc = ioctl::IommuIoasAlloc {
            size: argsz::<ioctl::IommuIoasAlloc>(),
            flags: 0,
            out_ioas_id: 0,
        };
        // SAFETY: iommufd fd; alloc is live with its size field set.
        unsafe { ioctl::iommu_ioas_alloc(iommufd.as_raw_fd(), &mut alloc) }
            .map_err(ioctl_err("IOMMU_IOAS_ALLOC"))?;
        let mut attach = vfio_device_attach_iommufd_pt {
            argsz: 12,
            flags: 0,
            pt_id: alloc.out_ioas_id,
            pasid: 0,
        };
        // SAFETY: bound device fd; attach is live and at least argsz bytes long.
        unsafe { ioctl::vfio_device_attach_iommufd_pt_ioctl(device.as_raw_fd(), &mut attach) }
            .map_err(ioctl_err("VFIO_DEVICE_ATTACH_IOMMUFD_PT"))?;
        Ok((
            device,
            IommufdIoas {
                iommufd,
                ioas: alloc.out_ioas_id,
            },
        ))
    }

    /// What sysfs said about the device when it was opened.
    pub fn info(&self) -> &PciDeviceInfo {
        &self.info
    }
    /// The interface it was opened through.
    pub fn mode(&self) -> VfioMode {
        self.mode
    }
    /// Number of VFIO regions / interrupt indexes the device reports.
    pub fn counts(&self) -> (u32, u32) {
        (self.num_regions, self.num_irqs)
    }
    /// Whether VFIO_DEVICE_RESET is available.
    pub fn can_reset(&self) -> bool {
        self.flags & VFIO_DEVICE_FLAGS_RESET != 0
    }
    /// Information about region `index`.
    pub fn region(&self, index: u32) -> Result<RegionInfo> {
        if index >= self.num_regions {
            return Err(Error::BarIndex { index });
        }
        region_info(&self.device, index)
    }

    fn irq_count(&self, kind: IrqKind) -> Result<u32> {
        let mut info = vfio_irq_info {
            argsz: argsz::<vfio_irq_info>(),
            index: kind.index(),
            ..Default::default()
        };
        if kind.index() >= self.num_irqs {
            return Ok(0);
        }
        // SAFETY: device fd; info is a live struct whose argsz is its size.
        unsafe { ioctl::vfio_device_get_irq_info(self.device.as_raw_fd(), &mut info) }
            .map_err(ioctl_err("VFIO_DEVICE_GET_IRQ_INFO"))?;
        Ok(info.count)
    }
}

/// Asks the kernel whether the VFIO group at `group_path` (`/dev/vfio/N`) is viable, i.e. every
/// device in it is bound to a VFIO driver, `pci-stub`, or nothing. Opening the group node requires
/// that no other process has it open.
pub fn kernel_group_viable(group_path: &Path) -> Result<bool> {
    let group = open_rw(group_path)?;
    let mut status = vfio_group_status {
        argsz: argsz::<vfio_group_status>(),
        flags: 0,
    };
    // SAFETY: group fd; status is a live struct whose argsz is its size.
    unsafe { ioctl::vfio_group_get_status(group.as_raw_fd(), &mut status) }
        .map_err(ioctl_err("VFIO_GROUP_GET_STATUS"))?;
    Ok(status.flags & VFIO_GROUP_FLAGS_VIABLE != 0)
}

fn region_info(device: &File, index: u32) -> Result<RegionInfo> {
    let mut r = vfio_region_info {
        argsz: argsz::<vfio_region_info>(),
        index,
        ..Default::default()
    };
    // SAFETY: device fd; r is a live struct whose argsz is its size.
    unsafe { ioctl::vfio_device_get_region_info(device.as_raw_fd(), &mut r) }
        .map_err(ioctl_err("VFIO_DEVICE_GET_REGION_INFO"))?;
    Ok(RegionInfo {
        index,
        flags: r.flags,
        size: r.size,
        offset: r.offset,
    })
}

/// `VFIO_DEVICE_SET_IRQS` argument with room for the eventfds.
#[repr(C)]
struct IrqSetEventfds {
    head: vfio_irq_set,
    fds: [i32; MAX_VECTORS],
}
const MAX_VECTORS: usize = 32;

fn set_irqs(device: &File, index: u32, fds: &[i32]) -> Result<()> {
    let n = match u32::try_from(fds.len()) {
        Ok(n) if fds.len() <= MAX_VECTORS => n,
        _ => {
            return Err(Error::IrqUnsupported {
                kind: "eventfd vectors",
                count: u32::try_from(fds.len()).unwrap_or(u32::MAX),
                available: u32::try_from(MAX_VECTORS).unwrap_or(u32::MAX),
            })
        }
    };
    let mut arg = IrqSetEventfds {
        head: vfio_irq_set {
            // n <= 32 (checked above): the sum cannot overflow.
            argsz: argsz::<vfio_irq_set>().saturating_add(n.saturating_mul(4)),
            flags: if fds.is_empty() {
                VFIO_IRQ_SET_DATA_NONE
            } else {
                VFIO_IRQ_SET_DATA_EVENTFD
            } | VFIO_IRQ_SET_ACTION_TRIGGER,
            index,
            start: 0,
            count: n,
            data: Default::default(),
        },
        fds: [-1; MAX_VECTORS],
    };
    for (slot, fd) in arg.fds.iter_mut().zip(fds) {
        *slot = *fd;
    }
    // SAFETY: device fd; arg is live, and argsz covers the header plus exactly `n` i32 fds that
    // follow it contiguously (repr(C), header size 20, i32 alignment 4: no padding).
    unsafe { ioctl::vfio_device_set_irqs(device.as_raw_fd(), &arg.head) }
        .map_err(ioctl_err("VFIO_DEVICE_SET_IRQS"))?;
    Ok(())
}

/// Interrupt vectors delivered to eventfds. Dropping it disables them.
#[derive(Debug)]
pub struct Interrupts {
    device: Arc<File>,
    kind: IrqKind,
    fds: Vec<EventFd>,
}

impl Interrupts {
    /// Number of vectors.
    pub fn len(&self) -> usize {
        self.fds.len()
    }
    /// Always false (at least one vector is enabled).
    pub fn is_empty(&self) -> bool {
        self.fds.is_empty()
    }
    /// The kind enabled.
    pub fn kind(&self) -> IrqKind {
        self.kind
    }

    /// Blocks until `vector` fires or `timeout` passes; returns how many times it fired since the
    /// last wait. A timeout is [`Error::Timeout`].
    pub fn wait(&self, vector: u32, timeout: Duration) -> Result<u64> {
        use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
        let fd = usize::try_from(vector)
            .ok()
            .and_then(|v| self.fds.get(v))
            .ok_or(Error::IrqUnsupported {
                kind: self.kind.name(),
                count: vector.saturating_add(1),
                available: u32::try_from(self.fds.len()).unwrap_or(u32::MAX),
            })?;
        let start = std::time::Instant::now();
        loop {
            let left = timeout.saturating_sub(start.elapsed());
            let ms = u16::try_from(left.as_millis()).unwrap_or(u16::MAX);
            let mut pfd = [PollFd::new(std::os::fd::AsFd::as_fd(fd), PollFlags::POLLIN)];
            let fired = match poll(&mut pfd, PollTimeout::from(ms)) {
                Ok(0) | Err(nix::errno::Errno::EINTR) => None,
                Ok(_) => match fd.read() {
                    Ok(n) => Some(n),
                    // Another thread waiting on the same vector took the count first: keep waiting.
                    Err(nix::errno::Errno::EAGAIN) => None,
                    Err(source) => return Err(Error::IrqWait { vector, source }),
                },
                Err(source) => return Err(Error::IrqWait { vector, source }),
            };
            if let Some(n) = fired {
                return Ok(n);
            }
            if start.elapsed() >= timeout {
                return Err(Error::Timeout {
                    what: "interrupt",
                    waited: start.elapsed(),
                });
            }
        }
    }
}

impl Drop for Interrupts {
    fn drop(&mut self) {
        if let Err(e) = set_irqs(&self.device, self.kind.index(), &[]) {
            log::warn!("disabling {} interrupts failed: {e}", self.kind.name());
        }
    }
}

/// The position in the device fd of `len` config-space bytes at `offset`, or
/// [`Error::OutOfBounds`] if they do not lie inside the config region.
fn config_pos(config: &RegionInfo, offset: u16, len: usize) -> Result<u64> {
    let oob = || Error::OutOfBounds {
        what: "config space",
        offset: offset.into(),
        width: len,
        len: usize::try_from(config.size).unwrap_or(usize::MAX),
    };
    let end = u64::try_from(len)
        .ok()
        .and_then(|l| u64::from(offset).checked_add(l))
        .ok_or_else(oob)?;
    if end > config.size {
        return Err(oob());
    }
    config.offset.checked_add(u64::from(offset)).ok_or_else(oob)
}

/// PCI command register offset and its bus-master bit (PCI Local Bus spec, config header).
const PCI_COMMAND: u16 = 0x04;
const PCI_COMMAND_MASTER: u16 = 1 << 2;

impl PciTransport for VfioDevice {
    fn address(&self) -> Bdf {
        self.info.bdf
    }

    fn config_read(&self, offset: u16, buf: &mut [u8]) -> Result<()> {
        let len = buf.len();
        let pos = config_pos(&self.config, offset, len)?;
        self.device
            .read_exact_at(buf, pos)
            .map_err(|source| Error::ConfigAccess {
                offset: offset.into(),
                len,
                source,
            })
    }

    fn config_write(&self, offset: u16, data: &[u8]) -> Result<()> {
        let len = data.len();
        let pos = config_pos(&self.config, offset, len)?;
        self.device
            .write_all_at(data, pos)
            .map_err(|source| Error::ConfigAccess {
                offset: offset.into(),
                len,
                source,
            })
    }

    fn map_bar(&self, index: u32) -> Result<Bar> {
        if index > 5 {
            return Err(Error::BarIndex { index });
        }
        let r = self.region(index)?;
        if r.size == 0 {
            return Err(Error::BarUnavailable {
                index,
                why: "BAR is not implemented (size 0)",
            });
        }
        if r.flags & VFIO_REGION_INFO_FLAG_MMAP == 0 {
            return Err(Error::BarUnavailable {
                index,
                why: "region cannot be memory-mapped (I/O BAR or too small)",
            });
        }
        Bar::map(self.device.as_ref(), r.offset, r.size, index)
    }

    fn alloc_dma(&self, len: usize) -> Result<DmaBuffer> {
        match &self.dma {
            Some(space) => space.alloc(len),
            None => Err(Error::NoIommuDma),
        }
    }

    fn enable_bus_master(&self) -> Result<()> {
        let cmd = self.config_read_u16(PCI_COMMAND)?;
        self.config_write_u16(PCI_COMMAND, cmd | PCI_COMMAND_MASTER)
    }

    fn enable_interrupts(&self, kind: IrqKind, count: u32) -> Result<Interrupts> {
        let available = self.irq_count(kind)?;
        if count == 0
            || count > available
            || usize::try_from(count).map_or(true, |c| c > MAX_VECTORS)
        {
            return Err(Error::IrqUnsupported {
                kind: kind.name(),
                count,
                available,
            });
        }
        let mut fds = Vec::new();
        for _ in 0..count {
            fds.push(
                EventFd::from_flags(EfdFlags::EFD_CLOEXEC | EfdFlags::EFD_NONBLOCK)
                    .map_err(ioctl_err("eventfd"))?,
            );
        }
        let raw: Vec<i32> = fds.iter().map(|f| f.as_raw_fd()).collect();
        set_irqs(&self.device, kind.index(), &raw)?;
        Ok(Interrupts {
            device: Arc::clone(&self.device),
            kind,
            fds,
        })
    }

    fn reset(&self) -> Result<()> {
        if !self.can_reset() {
            return Err(Error::ResetUnsupported { bdf: self.info.bdf });
        }
        // SAFETY: device fd; the ioctl takes no argument.
        unsafe { ioctl::vfio_device_reset(self.device.as_raw_fd()) }
            .map_err(ioctl_err("VFIO_DEVICE_RESET"))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_positions_are_bounded_by_the_region() {
        let config = RegionInfo {
            index: VFIO_PCI_CONFIG_REGION_INDEX,
            flags: 0,
            size: 256,
            offset: 0x7_0000_0000,
        };
        assert_eq!(config_pos(&config, 0, 4).unwrap(), 0x7_0000_0000);
        assert_eq!(config_pos(&config, 252, 4).unwrap(), 0x7_0000_00fc);
        assert_eq!(
            config_pos(&config, 256, 0).unwrap(),
            0x7_0000_0100,
            "an empty access at the end is allowed"
        );
        assert!(matches!(
            config_pos(&config, 253, 4),
            Err(Error::OutOfBounds {
                what: "config space",
                offset: 253,
                width: 4,
                len: 256
            })
        ));
        assert!(matches!(
            config_pos(&config, 0, usize::MAX),
            Err(Error::OutOfBounds { .. })
        ));
        let wrapping = RegionInfo {
            offset: u64::MAX - 1,
            size: 4096,
            ..config
        };
        assert!(
            matches!(config_pos(&wrapping, 8, 4), Err(Error::OutOfBounds { .. })),
            "fd offset overflow"
        );
    }

    /// Interrupts over plain eventfds (the device is a regular file, so the disabling ioctl in
    /// `Drop` fails and is only logged).
    fn fake_interrupts(n: usize) -> Interrupts {
        let fds = (0..n)
            .map(|_| EventFd::from_flags(EfdFlags::EFD_CLOEXEC | EfdFlags::EFD_NONBLOCK).unwrap())
            .collect();
        Interrupts {
            device: Arc::new(tempfile::tempfile().unwrap()),
            kind: IrqKind::Msi,
            fds,
        }
    }

    #[test]
    fn interrupt_waits_are_bounded_and_counted() {
        let irqs = fake_interrupts(2);
        let t = std::time::Instant::now();
        assert!(matches!(
            irqs.wait(0, Duration::from_millis(30)),
            Err(Error::Timeout {
                what: "interrupt",
                ..
            })
        ));
        assert!(t.elapsed() >= Duration::from_millis(30));
        irqs.fds[1].write(3).unwrap();
        assert_eq!(
            irqs.wait(1, Duration::from_secs(5)).unwrap(),
            3,
            "counts accumulate until read"
        );
        assert!(matches!(
            irqs.wait(2, Duration::ZERO),
            Err(Error::IrqUnsupported {
                count: 3,
                available: 2,
                ..
            })
        ));
        assert!(matches!(
            irqs.wait(u32::MAX, Duration::ZERO),
            Err(Error::IrqUnsupported { .. })
        ));
    }

    /// Exactly-once delivery with two waiters. The race the EAGAIN arm of `wait` handles (both see
    /// the eventfd readable, one reads it empty) is narrow and not forced here.
    #[test]
    fn two_waiters_on_one_vector_get_the_count_once() {
        let irqs = fake_interrupts(1);
        let results: Vec<Result<u64>> = std::thread::scope(|s| {
            let waiters: Vec<_> = (0..2)
                .map(|_| s.spawn(|| irqs.wait(0, Duration::from_millis(300))))
                .collect();
            std::thread::sleep(Duration::from_millis(50));
            irqs.fds[0].write(1).unwrap();
            waiters.into_iter().map(|w| w.join().unwrap()).collect()
        });
        let got: Vec<u64> = results
            .iter()
            .filter_map(|r| r.as_ref().ok().copied())
            .collect();
        assert_eq!(got, vec![1], "{results:?}");
        assert!(
            results
                .iter()
                .any(|r| matches!(r, Err(Error::Timeout { .. }))),
            "the other waiter times out: {results:?}"
        );
    }

    #[test]
    fn set_irqs_refuses_too_many_vectors_before_the_ioctl() {
        let file = tempfile::tempfile().unwrap();
        let fds = [0i32; MAX_VECTORS + 1];
        match set_irqs(&file, VFIO_PCI_MSI_IRQ_INDEX, &fds) {
            Err(Error::IrqUnsupported {
                count: 33,
                available: 32,
                ..
            }) => {}
            other => panic!("{other:?}"),
        }
        // Within the limit the ioctl is issued; on a file that is not a VFIO device it fails typed.
        match set_irqs(&file, VFIO_PCI_MSI_IRQ_INDEX, &fds[..2]) {
            Err(Error::VfioIoctl {
                op: "VFIO_DEVICE_SET_IRQS",
                source,
            }) => {
                assert_eq!(source, nix::errno::Errno::ENOTTY)
            }
            other => panic!("{other:?}"),
        }
    }
}
