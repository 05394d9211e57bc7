//! PCI device discovery through sysfs, and the reasons a device cannot be opened through VFIO.
//!
//! Everything is read relative to a configurable root (`/` on a real system), so the same code runs
//! against a fake tree in unit tests: `<root>/sys/bus/pci/devices/<bdf>/{vendor,device,class,driver,
//! iommu_group,vfio-dev}`, `<root>/sys/kernel/iommu_groups/<n>/devices/`, `<root>/dev/vfio/<n>`,
//! `<root>/dev/vfio/devices/vfioN`, `<root>/dev/iommu`.

use std::fmt;
use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::error::{Error, Result};

/// A PCI address: domain, bus, device (0..32), function (0..8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Bdf {
    domain: u32,
    bus: u8,
    device: u8,
    function: u8,
}

impl Bdf {
    /// Builds an address; `None` if `device >= 32` or `function >= 8`.
    pub fn new(domain: u32, bus: u8, device: u8, function: u8) -> Option<Self> {
        (device < 32 && function < 8).then_some(Self {
            domain,
            bus,
            device,
            function,
        })
    }
    /// PCI domain (segment).
    pub fn domain(&self) -> u32 {
        self.domain
    }
    /// Bus number.
    pub fn bus(&self) -> u8 {
        self.bus
    }
    /// Device number (0..32).
    pub fn device(&self) -> u8 {
        self.device
    }
    /// Function number (0..8).
    pub fn function(&self) -> u8 {
        self.function
    }
}

impl fmt::Display for Bdf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04x}:{:02x}:{:02x}.{:x}",
            self.domain, self.bus, self.device, self.function
        )
    }
}

impl FromStr for Bdf {
    type Err = Error;
    /// Parses `DDDD:BB:DD.F` or `BB:DD.F` (hex).
    fn from_str(s: &str) -> Result<Self> {
        let bad = || Error::PciAddress { text: s.to_owned() };
        let (rest, func) = s.rsplit_once('.').ok_or_else(bad)?;
        let mut parts = rest.rsplitn(3, ':');
        let dev = parts.next().ok_or_else(bad)?;
        let bus = parts.next().ok_or_else(bad)?;
        let dom = parts.next().unwrap_or("0");
        let hex = |t: &str, max_len: usize| -> Result<u32> {
            if t.is_empty() || t.len() > max_len || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(bad());
            }
            u32::from_str_radix(t, 16).map_err(|_| bad())
        };
        let domain = hex(dom, 8)?;
        let bus = u8::try_from(hex(bus, 2)?).map_err(|_| bad())?;
        let device = u8::try_from(hex(dev, 2)?).map_err(|_| bad())?;
        let function = u8::try_from(hex(func, 1)?).map_err(|_| bad())?;
        Bdf::new(domain, bus, device, function).ok_or_else(bad)
    }
}

/// Which devices a listing returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceFilter {
    /// Vendor id to match, if any.
    pub vendor: Option<u16>,
    /// Device id to match, if any.
    pub device: Option<u16>,
    /// The 24-bit class code must satisfy `class & class_mask == class_value`.
    pub class_mask: u32,
    /// See `class_mask`.
    pub class_value: u32,
}

impl DeviceFilter {
    /// NVIDIA display controllers (VGA and 3D): vendor `0x10de`, base class `0x03`.
    pub const NVIDIA_DISPLAY: Self = Self {
        vendor: Some(0x10de),
        device: None,
        class_mask: 0xff_0000,
        class_value: 0x03_0000,
    };
    /// Every PCI device.
    pub const ANY: Self = Self {
        vendor: None,
        device: None,
        class_mask: 0,
        class_value: 0,
    };

    /// Exactly one vendor/device pair, any class (e.g. QEMU's edu device `0x1234:0x11e8`).
    pub const fn id(vendor: u16, device: u16) -> Self {
        Self {
            vendor: Some(vendor),
            device: Some(device),
            class_mask: 0,
            class_value: 0,
        }
    }

    /// Whether `info` passes the filter.
    pub fn matches(&self, info: &PciDeviceInfo) -> bool {
        self.vendor.map_or(true, |v| v == info.vendor)
            && self.device.map_or(true, |d| d == info.device)
            && info.class & self.class_mask == self.class_value
    }
}

/// What sysfs says about one PCI function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PciDeviceInfo {
    /// Its address.
    pub bdf: Bdf,
    /// Vendor id.
    pub vendor: u16,
    /// Device id.
    pub device: u16,
    /// 24-bit class code (base class, sub class, programming interface).
    pub class: u32,
    /// Name of the bound driver (`vfio-pci`, `nvidia`, ...), `None` when unbound.
    pub driver: Option<String>,
    /// IOMMU group number, `None` when the device has none (IOMMU off).
    pub iommu_group: Option<u32>,
    /// `vfioN` of the device's VFIO cdev (`/dev/vfio/devices/vfioN`, Linux 6.6+), if the kernel made one.
    pub vfio_cdev: Option<String>,
}

impl PciDeviceInfo {
    /// Whether this is a PCI-to-PCI bridge (class `0x0604xx`); bridges do not break group viability.
    pub fn is_bridge(&self) -> bool {
        self.class >> 8 == 0x0604
    }
}

/// Why a device cannot be opened through VFIO. Each message says what to change.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Unusable {
    /// Bound to the NVIDIA kernel driver.
    BoundToNvidia,
    /// Bound to some other non-VFIO driver.
    BoundToOtherDriver { driver: String },
    /// Bound to no driver at all.
    NotBound,
    /// The device has no IOMMU group (IOMMU disabled or absent) and no no-IOMMU group either.
    NoIommuGroup,
    /// Another device of the same IOMMU group is bound to a driver that keeps the group from VFIO.
    GroupNotViable {
        group: u32,
        other: Bdf,
        driver: String,
    },
    /// The kernel reports the group as not viable (VFIO_GROUP_GET_STATUS).
    KernelGroupNotViable { group: u32 },
    /// The group's VFIO character device does not exist.
    GroupDeviceMissing { path: PathBuf },
    /// The group is a no-IOMMU group, and no-IOMMU mode was not asked for.
    NoIommuNotRequested { group: u32 },
    /// The current user may not open the VFIO character device.
    Permission { path: PathBuf },
    /// RLIMIT_MEMLOCK is below what the caller said it needs to pin.
    MemlockTooLow { limit: u64, needed: u64 },
}

impl fmt::Display for Unusable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BoundToNvidia => write!(
                f,
                "it is bound to nvidia.ko; use the nvidia.ko backend, or unbind it \
                 (echo BDF > /sys/bus/pci/drivers/nvidia/unbind) and bind vfio-pci"
            ),
            Self::BoundToOtherDriver { driver } => write!(
                f,
                "it is bound to driver {driver:?}, not vfio-pci; unbind it and bind vfio-pci \
                 (echo vfio-pci > .../driver_override; echo BDF > /sys/bus/pci/drivers_probe)"
            ),
            Self::NotBound => write!(
                f,
                "it is not bound to vfio-pci (no driver); modprobe vfio-pci, then \
                 echo vfio-pci > /sys/bus/pci/devices/BDF/driver_override; echo BDF > /sys/bus/pci/drivers_probe"
            ),
            Self::NoIommuGroup => write!(
                f,
                "it has no IOMMU group; enable the IOMMU (intel_iommu=on or amd_iommu=on, VT-d/AMD-Vi in firmware) \
                 or explicitly opt into unsafe no-IOMMU mode"
            ),
            Self::GroupNotViable { group, other, driver } => write!(
                f,
                "IOMMU group {group} is not viable: device {other} of the same group is bound to {driver:?}; \
                 bind every device of the group to vfio-pci (or unbind it)"
            ),
            Self::KernelGroupNotViable { group } => write!(
                f,
                "the kernel reports IOMMU group {group} as not viable: bind every device of the group to vfio-pci"
            ),
            Self::GroupDeviceMissing { path } => {
                write!(f, "{} does not exist; is the vfio-pci module loaded?", path.display())
            }
            Self::NoIommuNotRequested { group } => write!(
                f,
                "group {group} is a no-IOMMU group; opening it gives up DMA isolation and needs an explicit opt-in"
            ),
            Self::Permission { path } => write!(
                f,
                "no read/write permission on {}; run as root or give the user access to it",
                path.display()
            ),
            Self::MemlockTooLow { limit, needed } => write!(
                f,
                "RLIMIT_MEMLOCK is {limit} bytes but {needed} bytes must be pinned for DMA; raise it (ulimit -l, limits.conf)"
            ),
        }
    }
}

/// How a usable device is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VfioAccess {
    /// Legacy group interface: `/dev/vfio/<group>` with an IOMMU type1 container.
    Group {
        group: u32,
        path: PathBuf,
        container: PathBuf,
    },
    /// Unsafe no-IOMMU group `/dev/vfio/noiommu-<group>` (opt-in only; no DMA isolation).
    NoIommuGroup {
        group: u32,
        path: PathBuf,
        container: PathBuf,
    },
    /// Device cdev `/dev/vfio/devices/vfioN` bound to an iommufd (`/dev/iommu`), Linux 6.6+.
    Cdev { device: PathBuf, iommufd: PathBuf },
}

/// What the caller needs from the device, for [`Sysfs::check_usable`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Requirements {
    /// Bytes the caller will pin for DMA; checked against RLIMIT_MEMLOCK (0: no check).
    pub memlock_bytes: u64,
    /// Accept an unsafe no-IOMMU group.
    pub allow_noiommu: bool,
    /// Use the cdev/iommufd interface when the kernel offers it.
    pub prefer_cdev: bool,
}

/// Identity used for permission checks (effective uid, and every group the process is in).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// Effective user id.
    pub uid: u32,
    /// Effective and supplementary group ids.
    pub gids: Vec<u32>,
}

impl Identity {
    /// The running process's identity.
    pub fn current() -> Self {
        let mut gids: Vec<u32> = nix::unistd::getgroups()
            .map(|g| g.into_iter().map(|g| g.as_raw()).collect())
            .unwrap_or_default();
        gids.push(nix::unistd::getegid().as_raw());
        Self {
            uid: nix::unistd::geteuid().as_raw(),
            gids,
        }
    }

    /// Whether a file with `mode`, `owner`, `group` can be opened read-write by this identity
    /// (the kernel's owner/group/other rule; uid 0 may always).
    pub fn may_read_write(&self, mode: u32, owner: u32, group: u32) -> bool {
        if self.uid == 0 {
            return true;
        }
        let bits = if owner == self.uid {
            (mode >> 6) & 0o7
        } else if self.gids.contains(&group) {
            (mode >> 3) & 0o7
        } else {
            mode & 0o7
        };
        bits & 0o6 == 0o6
    }
}

/// The sysfs/devfs view of PCI devices, rooted at a configurable directory.
#[derive(Debug, Clone)]
pub struct Sysfs {
    root: PathBuf,
    identity: Identity,
    memlock_limit: Option<u64>,
}

impl Default for Sysfs {
    fn default() -> Self {
        Self::with_root("/")
    }
}

impl Sysfs {
    /// A view rooted at `root` (`/` for the real system, a temporary directory in tests).
    pub fn with_root(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            identity: Identity::current(),
            memlock_limit: None,
        }
    }

    /// Checks permissions as `identity` instead of the running process (for tests).
    pub fn as_identity(mut self, identity: Identity) -> Self {
        self.identity = identity;
        self
    }

    /// Uses `limit` instead of the process's RLIMIT_MEMLOCK soft limit (for tests).
    pub fn with_memlock_limit(mut self, limit: u64) -> Self {
        self.memlock_limit = Some(limit);
        self
    }

    fn devices_dir(&self) -> PathBuf {
        self.root.join("sys/bus/pci/devices")
    }

    /// Path of a device's sysfs directory.
    pub fn device_dir(&self, bdf: Bdf) -> PathBuf {
        self.devices_dir().join(bdf.to_string())
    }

    /// Every PCI function passing `filter`, sorted by address.
    pub fn list(&self, filter: DeviceFilter) -> Result<Vec<PciDeviceInfo>> {
        let dir = self.devices_dir();
        let entries = fs::read_dir(&dir).map_err(|source| Error::Sysfs {
            path: dir.clone(),
            source,
        })?;
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|source| Error::Sysfs {
                path: dir.clone(),
                source,
            })?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let Ok(bdf) = name.parse::<Bdf>() else {
                continue;
            };
            let info = self.device(bdf)?;
            if filter.matches(&info) {
                out.push(info);
            }
        }
        out.sort_by_key(|i| i.bdf);
        Ok(out)
    }

    /// What sysfs says about the device at `bdf`.
    pub fn device(&self, bdf: Bdf) -> Result<PciDeviceInfo> {
        let dir = self.device_dir(bdf);
        if !dir.exists() {
            return Err(Error::PciDeviceNotFound { bdf });
        }
        let vendor = read_hex(&dir.join("vendor"))?;
        let device = read_hex(&dir.join("device"))?;
        let class = read_hex(&dir.join("class"))?;
        let narrow16 = |v: u32, f: &str| {
            u16::try_from(v).map_err(|_| Error::SysfsParse {
                path: dir.join(f),
                text: format!("{v:#x}"),
            })
        };
        let driver = link_name(&dir.join("driver"))?;
        let iommu_group = match link_name(&dir.join("iommu_group"))? {
            None => None,
            Some(n) => Some(n.parse::<u32>().map_err(|_| Error::SysfsParse {
                path: dir.join("iommu_group"),
                text: n.clone(),
            })?),
        };
        let vfio_cdev = first_entry(&dir.join("vfio-dev"))?;
        Ok(PciDeviceInfo {
            bdf,
            vendor: narrow16(vendor, "vendor")?,
            device: narrow16(device, "device")?,
            class: class & 0xff_ffff,
            driver,
            iommu_group,
            vfio_cdev,
        })
    }

    /// Decides how (and whether) `info` can be opened through VFIO; the error names the reason.
    pub fn check_usable(&self, info: &PciDeviceInfo, req: Requirements) -> Result<VfioAccess> {
        let unusable = |reason| Error::DeviceUnusable {
            bdf: info.bdf,
            reason,
        };
        match info.driver.as_deref() {
            Some("vfio-pci") => {}
            Some("nvidia") => return Err(unusable(Unusable::BoundToNvidia)),
            Some(other) => {
                return Err(unusable(Unusable::BoundToOtherDriver {
                    driver: other.to_owned(),
                }))
            }
            None => return Err(unusable(Unusable::NotBound)),
        }
        let limit = match self.memlock_limit {
            Some(l) => l,
            None => crate::pci::dma::memlock_limit()?,
        };
        if req.memlock_bytes > limit {
            return Err(unusable(Unusable::MemlockTooLow {
                limit,
                needed: req.memlock_bytes,
            }));
        }
        let vfio_dir = self.root.join("dev/vfio");
        let container = vfio_dir.join("vfio");
        let iommufd = self.root.join("dev/iommu");
        if req.prefer_cdev {
            if let Some(cdev) = &info.vfio_cdev {
                let device = vfio_dir.join("devices").join(cdev);
                if device.exists() && iommufd.exists() {
                    self.check_permission(info.bdf, &device)?;
                    self.check_permission(info.bdf, &iommufd)?;
                    return Ok(VfioAccess::Cdev { device, iommufd });
                }
            }
        }
        let Some(group) = info.iommu_group else {
            return Err(unusable(Unusable::NoIommuGroup));
        };
        self.check_group_viable(info, group)?;
        let path = vfio_dir.join(group.to_string());
        if path.exists() {
            self.check_permission(info.bdf, &path)?;
            self.check_permission(info.bdf, &container)?;
            return Ok(VfioAccess::Group {
                group,
                path,
                container,
            });
        }
        let noiommu = vfio_dir.join(format!("noiommu-{group}"));
        if noiommu.exists() {
            if !req.allow_noiommu {
                return Err(unusable(Unusable::NoIommuNotRequested { group }));
            }
            self.check_permission(info.bdf, &noiommu)?;
            self.check_permission(info.bdf, &container)?;
            return Ok(VfioAccess::NoIommuGroup {
                group,
                path: noiommu,
                container,
            });
        }
        Err(unusable(Unusable::GroupDeviceMissing { path }))
    }

    /// Fails with [`Unusable::GroupNotViable`] if another device of `group` is bound to a driver that
    /// is not a VFIO driver or `pci-stub` (bridges are exempt, as in the kernel's own check).
    fn check_group_viable(&self, info: &PciDeviceInfo, group: u32) -> Result<()> {
        let dir = self
            .root
            .join("sys/kernel/iommu_groups")
            .join(group.to_string())
            .join("devices");
        let entries = fs::read_dir(&dir).map_err(|source| Error::Sysfs {
            path: dir.clone(),
            source,
        })?;
        let mut members = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|source| Error::Sysfs {
                path: dir.clone(),
                source,
            })?;
            if let Some(Ok(bdf)) = entry.file_name().to_str().map(str::parse::<Bdf>) {
                members.push(bdf);
            }
        }
        members.sort();
        for other in members.into_iter().filter(|b| *b != info.bdf) {
            let o = self.device(other)?;
            let allowed = match o.driver.as_deref() {
                None => true,
                Some(d) => d.starts_with("vfio") || d == "pci-stub" || o.is_bridge(),
            };
            if !allowed {
                let driver = o.driver.unwrap_or_default();
                return Err(Error::DeviceUnusable {
                    bdf: info.bdf,
                    reason: Unusable::GroupNotViable {
                        group,
                        other,
                        driver,
                    },
                });
            }
        }
        Ok(())
    }

    fn check_permission(&self, bdf: Bdf, path: &Path) -> Result<()> {
        let meta = fs::metadata(path).map_err(|source| Error::Sysfs {
            path: path.to_owned(),
            source,
        })?;
        if self
            .identity
            .may_read_write(meta.mode(), meta.uid(), meta.gid())
        {
            Ok(())
        } else {
            Err(Error::DeviceUnusable {
                bdf,
                reason: Unusable::Permission {
                    path: path.to_owned(),
                },
            })
        }
    }

    /// Binds the device to `vfio-pci` the way an administrator would: writes `vfio-pci` to its
    /// `driver_override`, unbinds the current driver if any, and asks the PCI core to probe it.
    /// Needs root; the `vfio-pci` module must be loaded.
    pub fn bind_vfio_pci(&self, bdf: Bdf) -> Result<()> {
        let dir = self.device_dir(bdf);
        if !dir.exists() {
            return Err(Error::PciDeviceNotFound { bdf });
        }
        write_file(&dir.join("driver_override"), "vfio-pci")?;
        if dir.join("driver").exists() {
            write_file(&dir.join("driver/unbind"), &bdf.to_string())?;
        }
        write_file(
            &self.root.join("sys/bus/pci/drivers_probe"),
            &bdf.to_string(),
        )
    }

    /// Unbinds the device from its driver (if any) and clears `driver_override`. Needs root.
    pub fn unbind(&self, bdf: Bdf) -> Result<()> {
        let dir = self.device_dir(bdf);
        if dir.join("driver").exists() {
            write_file(&dir.join("driver/unbind"), &bdf.to_string())?;
        }
        write_file(&dir.join("driver_override"), "\n")
    }
}

fn write_file(path: &Path, text: &str) -> Result<()> {
    fs::write(path, text).map_err(|source| Error::Sysfs {
        path: path.to_owned(),
        source,
    })
}

/// Reads a sysfs hex attribute such as `0x10de\n`.
fn read_hex(path: &Path) -> Result<u32> {
    let text = fs::read_to_string(path).map_err(|source| Error::Sysfs {
        path: path.to_owned(),
        source,
    })?;
    let t = text.trim();
    let digits = t.strip_prefix("0x").unwrap_or(t);
    u32::from_str_radix(digits, 16).map_err(|_| Error::SysfsParse {
        path: path.to_owned(),
        text: t.to_owned(),
    })
}

/// The last component of the symlink at `path`, `None` if there is no such link.
fn link_name(path: &Path) -> Result<Option<String>> {
    match fs::read_link(path) {
        Ok(target) => target
            .file_name()
            .and_then(|n| n.to_str())
            .map(|n| Some(n.to_owned()))
            .ok_or_else(|| Error::SysfsParse {
                path: path.to_owned(),
                text: target.display().to_string(),
            }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(Error::Sysfs {
            path: path.to_owned(),
            source,
        }),
    }
}

/// The name of the first entry of directory `path`, `None` if it does not exist or is empty.
fn first_entry(path: &Path) -> Result<Option<String>> {
    match fs::read_dir(path) {
        Ok(entries) => {
            let mut names: Vec<String> = entries
                .filter_map(|e| e.ok())
                .filter_map(|e| e.file_name().to_str().map(str::to_owned))
                .collect();
            names.sort();
            Ok(names.into_iter().next())
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(Error::Sysfs {
            path: path.to_owned(),
            source,
        }),
    }
}
