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
}
