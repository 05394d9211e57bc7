//! The crate's one error type.

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every way a runtime operation can fail.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An error from the driver layer.
    #[error(transparent)]
    Driver(#[from] nvbare_driver::Error),

    /// A CUBIN (NVIDIA ELF) image is malformed: truncated, an offset or size outside the file, an overflowing
    /// size, a bad table entry. `offset` is the byte offset in the image where the problem was found.
    #[error("malformed CUBIN: {what} (at byte {offset:#x})")]
    MalformedCubin {
        /// What was wrong.
        what: &'static str,
        /// Byte offset in the image.
        offset: u64,
    },

    /// A well-formed CUBIN uses something this loader does not handle (ELF class, OS ABI, relocation type...).
    #[error("unsupported CUBIN: {what}: found {found}")]
    UnsupportedCubin {
        /// The feature.
        what: &'static str,
        /// What the image has, e.g. the numeric value.
        found: String,
    },

    /// A CUBIN references a symbol it does not define (e.g. `vprintf`, which the CUDA driver links in at load
    /// time); nvbare has no implementation to link.
    #[error("unsupported CUBIN: unresolved external symbol `{symbol}`")]
    UnresolvedSymbol {
        /// The symbol's name.
        symbol: String,
    },

    /// A load address was given that the image cannot be placed at (misaligned, or the image would overflow the
    /// 64-bit address space).
    #[error("cannot place CUBIN image at {base:#x}: {reason}")]
    BadLoadAddress {
        /// The requested base address.
        base: u64,
        /// Why.
        reason: &'static str,
    },
}
