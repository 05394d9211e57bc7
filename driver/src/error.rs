//! The crate's one error type: a variant per failing operation, sources kept.

use std::time::Duration;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every way a driver operation can fail.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A bounded wait ran out of time (see [`crate::poll::poll_timeout`]).
    #[error("timed out after {waited:?} waiting for {what}")]
    Timeout { what: &'static str, waited: Duration },

    /// An RM call reached RM, which answered with a failure status.
    #[error("RM {op} failed: {status}")]
    Rm { op: &'static str, status: crate::rm::NvStatus },

    /// A `/dev/nvidia-uvm` call reached UVM, which answered with a failure status.
    #[error("UVM {op} failed: {status}")]
    Uvm { op: &'static str, status: crate::rm::NvStatus },

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

    /// Mapping RM memory into this process (`mmap`) failed.
    #[error("mapping {len} bytes of GPU memory into the CPU address space failed")]
    Mmap {
        len: usize,
        #[source]
        source: std::io::Error,
    },

    /// The loaded `nvidia.ko` has a version for which this build carries no ABI module.
    #[error("nvidia.ko version {version:?} is not supported: this build knows the ABI of {known}")]
    UnsupportedDriverVersion { version: String, known: &'static str },

    /// `nvidia.ko` refused the RM API version string sent by the version check.
    #[error("nvidia.ko rejected RM API version {sent:?} (the module reports {module:?})")]
    DriverVersionMismatch { sent: String, module: String },

    /// A numeric argument is outside what the operation accepts.
    #[error("{what} = {value} is out of range (limit {limit})")]
    OutOfRange { what: &'static str, value: u64, limit: u64 },

    /// An argument is malformed in a way a number range does not describe.
    #[error("invalid {what}: {detail}")]
    InvalidArgument { what: &'static str, detail: String },

    /// The GPU virtual address allocator has no free range of the requested size.
    #[error("GPU VA space exhausted: no free range of {size:#x} bytes aligned to {align:#x}")]
    VaExhausted { size: u64, align: u64 },

    /// The GPU's class list lacks every class this driver can use for a role.
    #[error("the GPU offers no {role} class this driver supports (wanted one of {wanted:#x?})")]
    NoSupportedClass { role: &'static str, wanted: &'static [u32] },

    /// No GPU with this index is visible through `nvidia.ko`.
    #[error("no GPU with index {index}: nvidia.ko reports {count} GPU(s)")]
    NoSuchGpu { index: usize, count: usize },

    /// The GPU stopped a channel and reported why (SM exception, MMU fault, ...).
    #[error("GPU fault: {0}")]
    GpuFault(crate::gpu::fault::FaultReport),
    /// A pushbuffer has no room for the words an append needs.
    #[error("pushbuffer full: need {needed} more words, {available} left")]
    PushBufferFull { needed: usize, available: usize },
    /// A method field value does not fit its bit range.
    #[error("value {value:#x} does not fit field {method}.{field} ({bits} bits)")]
    FieldOverflow { method: &'static str, field: &'static str, value: u64, bits: u32 },
    /// A method data word has bits set outside every field the class header defines.
    #[error("method {method}: word {word:#010x} sets reserved bits {mask:#010x}")]
    ReservedBits { method: &'static str, word: u32, mask: u32 },
    /// A method data word holds a value the class header does not name for an enum field.
    #[error("method {method}: field {field} has unnamed value {value:#x}")]
    UnknownEnumValue { method: &'static str, field: &'static str, value: u32 },
    /// A subchannel number outside 0..=7.
    #[error("subchannel {0} out of range 0..=7")]
    InvalidSubchannel(u8),
    /// A method byte offset that is unaligned or beyond the 12-bit method address of a header.
    #[error("method offset {0:#x} is not a dword offset below 0x4000")]
    InvalidMethodOffset(u32),
    /// An array method index beyond the array.
    #[error("method {method}: index {index} beyond array of {count}")]
    MethodIndexOutOfRange { method: &'static str, index: u32, count: u32 },
    /// An immediate-data method whose value does not fit 13 bits.
    #[error("immediate value {0:#x} does not fit 13 bits")]
    ImmediateTooLarge(u32),
    /// A GPFIFO entry that cannot be encoded (address/length out of range).
    #[error("GPFIFO entry: {what} {value:#x} out of range")]
    GpEntryOutOfRange { what: &'static str, value: u64 },
    /// An address that must be aligned is not.
    #[error("{what} address {address:#x} is not {align}-byte aligned")]
    UnalignedAddress { what: &'static str, address: u64, align: u64 },

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
}
