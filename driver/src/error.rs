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
    Timeout {
        what: &'static str,
        waited: Duration,
    },

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
