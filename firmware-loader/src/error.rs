//! The crate's one error type.

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every way parsing or locating firmware can fail.
///
/// Each variant names the operation that failed; offsets and lengths are in bytes from the start
/// of the input given to the parser.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A read of `len` bytes at `offset` does not fit in an input of `input_len` bytes.
    #[error("{what}: {len} bytes at offset {offset:#x} run past the end of the {input_len}-byte input")]
    OutOfBounds { what: &'static str, offset: u64, len: u64, input_len: u64 },
    /// Offset/size arithmetic overflowed.
    #[error("{what}: offset or size arithmetic overflows")]
    Overflow { what: &'static str },
    /// A magic number or signature word did not match.
    #[error("{what}: bad magic {found:#x}, expected {expected:#x}")]
    BadMagic { what: &'static str, expected: u64, found: u64 },
    /// A chip name or PMC_BOOT_42 chipset id this crate does not know.
    #[error("unknown chip {0:?}")]
    UnknownChip(String),
}
