//! The crate's one error type: a variant per failing operation, sources kept.

use std::path::PathBuf;
use std::time::Duration;

use crate::pci::{Bdf, Unusable};

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every way a driver operation can fail.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A bounded wait ran out of time (see [`crate::poll::poll_timeout`]).
    #[error("timed out after {waited:?} waiting for {what}")]
    Timeout {
        what: &'static str,
        waited: Duration,
    },

    /// A sysfs or devfs file of the PCI layer could not be read or written.
    #[error("PCI sysfs access to {path} failed")]
    Sysfs {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A sysfs file held text that is not what the kernel writes there.
    #[error("unexpected content {text:?} in {path}")]
    SysfsParse { path: PathBuf, text: String },
    /// A PCI address string is not `DDDD:BB:DD.F` / `BB:DD.F`.
    #[error("{text:?} is not a PCI address (expected DDDD:BB:DD.F)")]
    PciAddress { text: String },
    /// No PCI device at this address.
    #[error("no PCI device {bdf}")]
    PciDeviceNotFound { bdf: Bdf },
    /// The device exists but cannot be opened through VFIO; the reason says what to change.
    #[error("PCI device {bdf} cannot be used through VFIO: {reason}")]
    DeviceUnusable { bdf: Bdf, reason: Unusable },
    /// Opening a VFIO/iommufd character device failed.
    #[error("opening {path} failed (check its permissions; EBUSY: another process or VfioDevice holds the VFIO group)")]
    VfioOpen {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A VFIO or iommufd ioctl failed.
    #[error("VFIO ioctl {op} failed")]
    VfioIoctl {
        op: &'static str,
        #[source]
        source: nix::errno::Errno,
    },
    /// The kernel's VFIO API version or IOMMU model is not one this code speaks.
    #[error("VFIO: {what}")]
    VfioUnsupported { what: &'static str },
    /// A BAR index outside 0..=5.
    #[error("BAR index {index} does not exist (PCI BARs are 0..=5)")]
    BarIndex { index: u32 },
    /// The BAR is not implemented by the device or cannot be memory-mapped.
    #[error("BAR {index} cannot be mapped: {why}")]
    BarUnavailable { index: u32, why: &'static str },
    /// mmap/munmap of a BAR or DMA buffer failed.
    #[error("{what} of {len} bytes failed")]
    Mmap {
        what: &'static str,
        len: usize,
        #[source]
        source: nix::errno::Errno,
    },
    /// An MMIO/DMA access outside the mapped range.
    #[error("{width}-byte access at offset {offset:#x} is outside the {len:#x}-byte {what}")]
    OutOfBounds {
        what: &'static str,
        offset: u64,
        width: usize,
        len: usize,
    },
    /// An MMIO access at an offset not aligned to its width.
    #[error("{width}-byte MMIO access at unaligned offset {offset:#x}")]
    Misaligned { offset: u64, width: usize },
    /// Config-space access outside the config region or failed.
    #[error("PCI config access of {len} bytes at {offset:#x} failed")]
    ConfigAccess {
        offset: u64,
        len: usize,
        #[source]
        source: std::io::Error,
    },
    /// A DMA allocation of zero bytes or one whose size overflows.
    #[error("invalid DMA buffer size {size} (it must be at least 1 byte and fit the address space when rounded up to pages)")]
    DmaSize { size: usize },
    /// Pinning the buffer would exceed RLIMIT_MEMLOCK.
    #[error("DMA mapping of {requested} bytes would exceed RLIMIT_MEMLOCK ({limit} bytes, {locked} already locked); raise it with `ulimit -l` or limits.conf")]
    MemlockLimit {
        requested: u64,
        locked: u64,
        limit: u64,
    },
    /// No free IOVA range of the requested size.
    #[error("no free IOVA range of {size:#x} bytes; drop unused DMA buffers or widen OpenOptions::iova_window")]
    IovaExhausted { size: u64 },
    /// DMA needs an IOMMU, but the device was opened in no-IOMMU mode.
    #[error("DMA mapping is not available in no-IOMMU mode (the device would need physical addresses); enable the IOMMU (intel_iommu=on or amd_iommu=on) and reopen the device")]
    NoIommuDma,
    /// The device has no interrupt of the requested kind or not that many vectors.
    #[error("interrupt {kind} with {count} vector(s) not supported (device offers {available})")]
    IrqUnsupported {
        kind: &'static str,
        count: u32,
        available: u32,
    },
    /// Waiting on an interrupt eventfd failed.
    #[error("waiting for interrupt vector {vector} failed")]
    IrqWait {
        vector: u32,
        #[source]
        source: nix::errno::Errno,
    },
    /// The device does not support VFIO_DEVICE_RESET.
    #[error("device {bdf} does not support reset through VFIO")]
    ResetUnsupported { bdf: Bdf },

    /// A value does not fit the QMD field it is written to.
    #[error("QMD field {field}{} cannot hold {value:#x} ({bits} bits)", index.map(|i| format!("({i})")).unwrap_or_default())]
    QmdValueTooWide {
        field: &'static str,
        index: Option<u8>,
        value: u64,
        bits: u32,
    },
    /// An indexed QMD field (constant bank, release, dependent QMD, ...) was addressed past its last instance.
    #[error("QMD field {field} has {count} instances; index {index} is out of range")]
    QmdIndexOutOfRange {
        field: &'static str,
        index: usize,
        count: u8,
    },
    /// A QMD address or size is not a multiple of the unit its field stores.
    #[error("{what} {value:#x} is not a multiple of {align:#x}")]
    QmdMisaligned {
        what: &'static str,
        value: u64,
        align: u64,
    },
    /// A field of one QMD version was used on a smaller QMD.
    #[error("QMD field {field} (bit {bit}) lies outside a {size_bits}-bit QMD")]
    QmdFieldOutside {
        field: &'static str,
        bit: u16,
        size_bits: usize,
    },
    /// QMD bytes/words of the wrong length.
    #[error("{version} QMD is {expected} bytes, got {got}")]
    QmdBadLength {
        version: crate::qmd::QmdVersion,
        expected: usize,
        got: usize,
    },
    /// A QMD field holds a value its header does not define.
    #[error("QMD {what} has undefined value {value:#x}")]
    QmdBadEnum { what: &'static str, value: u32 },
    /// The QMD version has no such field or feature.
    #[error("{version} has no {what}")]
    QmdUnsupported {
        version: crate::qmd::QmdVersion,
        what: &'static str,
    },
    /// A launch description that no QMD can encode (zero grid/block, bad register count, ...).
    #[error("invalid launch: {what} = {value:#x}")]
    QmdInvalidLaunch { what: &'static str, value: u64 },
    /// The chip has no HAL (architecture not supported by nvbare's compute path).
    #[error("{chipset} ({arch:?}) is not supported: {why}")]
    UnsupportedChip {
        chipset: crate::Chipset,
        arch: crate::Architecture,
        why: &'static str,
    },
    /// A launch limit of the chip was exceeded.
    #[error("{what} {value:#x} exceeds the chip limit {limit:#x}")]
    LaunchLimit {
        what: &'static str,
        value: u64,
        limit: u64,
    },

    /// A pushbuffer has no room for the words an append needs.
    #[error("pushbuffer full: need {needed} more words, {available} left")]
    PushBufferFull { needed: usize, available: usize },
    /// A method field value does not fit its bit range.
    #[error("value {value:#x} does not fit field {method}.{field} ({bits} bits)")]
    FieldOverflow {
        method: &'static str,
        field: &'static str,
        value: u64,
        bits: u32,
    },
    /// A method data word has bits set outside every field the class header defines.
    #[error("method {method}: word {word:#010x} sets reserved bits {mask:#010x}")]
    ReservedBits {
        method: &'static str,
        word: u32,
        mask: u32,
    },
    /// A method data word holds a value the class header does not name for an enum field.
    #[error("method {method}: field {field} has unnamed value {value:#x}")]
    UnknownEnumValue {
        method: &'static str,
        field: &'static str,
        value: u32,
    },
    /// A subchannel number outside 0..=7.
    #[error("subchannel {0} out of range 0..=7")]
    InvalidSubchannel(u8),
    /// A method byte offset that is unaligned or beyond the 12-bit method address of a header.
    #[error("method offset {0:#x} is not a dword offset below 0x4000")]
    InvalidMethodOffset(u32),
    /// A data-carrying method header was asked for with a SEC_OP that carries no data words.
    #[error("SEC_OP {0:?} carries no method data: use IncMethod, NonIncMethod or OneInc (or PushBuffer::immediate)")]
    NotADataSecOp(crate::push::SecOp),
    /// An array method index beyond the array.
    #[error("method {method}: index {index} beyond array of {count}")]
    MethodIndexOutOfRange {
        method: &'static str,
        index: u32,
        count: u32,
    },
    /// An inline QMD whose length the compute class cannot load (it takes 256-byte QMDs, and 384-byte ones on
    /// classes with SET_INLINE_QMD_ADDRESS_A.INLINE_SIZE).
    #[error(
        "inline QMD of {words} words cannot be loaded: this compute class takes {allowed} words"
    )]
    InlineQmdSize { words: usize, allowed: &'static str },
    /// An immediate-data method whose value does not fit 13 bits.
    #[error("immediate value {0:#x} does not fit 13 bits")]
    ImmediateTooLarge(u32),
    /// A GPFIFO entry that cannot be encoded (address/length out of range).
    #[error("GPFIFO entry: {what} {value:#x} out of range")]
    GpEntryOutOfRange { what: &'static str, value: u64 },
    /// A sequence was asked for a semaphore form it does not write (e.g. a 64-bit payload release on a copy engine).
    #[error("{what}; use a 32-bit semaphore (wide: false) here")]
    SemaphoreUnsupported { what: &'static str },
    /// An address that must be aligned is not.
    #[error("{what} address {address:#x} is not {align}-byte aligned")]
    UnalignedAddress {
        what: &'static str,
        address: u64,
        align: u64,
    },

    /// An RM call reached RM, which answered with a failure status.
    #[error("RM {op} failed: {status}")]
    Rm {
        op: &'static str,
        status: crate::rm::NvStatus,
    },

    /// A `/dev/nvidia-uvm` call reached UVM, which answered with a failure status.
    #[error("UVM {op} failed: {status}")]
    Uvm {
        op: &'static str,
        status: crate::rm::NvStatus,
    },

    /// The `ioctl` system call itself failed (the kernel did not run the request).
    #[error("ioctl {op} on {node} failed")]
    Ioctl {
        op: &'static str,
        node: &'static str,
        #[source]
        source: std::io::Error,
    },

    /// Opening a device node failed.
    #[error("cannot open {path}")]
    OpenNode {
        path: String,
        #[source]
        source: std::io::Error,
    },

    /// The loaded `nvidia.ko` has a version for which this build carries no ABI module.
    #[error("nvidia.ko version {version:?} is not supported: this build knows the ABI of {known}")]
    UnsupportedDriverVersion {
        version: String,
        known: &'static str,
    },

    /// `nvidia.ko` refused the RM API version string sent by the version check.
    #[error("nvidia.ko rejected RM API version {sent:?} (the module reports {module:?})")]
    DriverVersionMismatch { sent: String, module: String },

    /// A numeric argument is outside what the operation accepts.
    #[error("{what} = {value} is out of range (limit {limit})")]
    OutOfRange {
        what: &'static str,
        value: u64,
        limit: u64,
    },

    /// An argument is malformed in a way a number range does not describe.
    #[error("invalid {what}: {detail}")]
    InvalidArgument { what: &'static str, detail: String },

    /// The GPU virtual address allocator has no free range of the requested size.
    #[error("GPU VA space exhausted: no free range of {size:#x} bytes aligned to {align:#x}")]
    VaExhausted { size: u64, align: u64 },

    /// The GPU's class list lacks every class this driver can use for a role.
    #[error("the GPU offers no {role} class this driver supports (wanted one of {wanted:#x?})")]
    NoSupportedClass {
        role: &'static str,
        wanted: &'static [u32],
    },

    /// No GPU with this index is visible through `nvidia.ko`.
    #[error("no GPU with index {index}: nvidia.ko reports {count} GPU(s)")]
    NoSuchGpu { index: usize, count: usize },

    /// The GPU stopped a channel and reported why (SM exception, MMU fault, ...).
    #[error("GPU fault: {0}")]
    GpuFault(crate::gpu::fault::FaultReport),

    /// An operation failed and undoing its partial effect failed too; `original` is the first
    /// failure (the one to fix), `source` the failed cleanup.
    #[error("{original}; undoing it ({what}) also failed")]
    CleanupAfterError {
        what: &'static str,
        original: Box<Error>,
        #[source]
        source: Box<Error>,
    },
}
