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

    /// No GPU could be opened; `looked_for` lists every place that was checked and what was found.
    #[error("no usable GPU found: {looked_for}")]
    NoGpu { looked_for: String },

    /// A host slice and a device buffer (or two buffers) differ in length.
    #[error("{what}: length mismatch, destination holds {dst} element(s) but source has {src}")]
    LengthMismatch { what: &'static str, dst: usize, src: usize },

    /// A byte size does not fit the address space or the element count overflows.
    #[error("{what}: {count} element(s) of {elem_size} bytes overflow the address space")]
    SizeOverflow { what: &'static str, count: usize, elem_size: usize },

    /// A launch configuration is outside what the hardware accepts.
    #[error("invalid launch configuration: {0}")]
    InvalidLaunchConfig(String),

    /// The number of launch arguments differs from the kernel's parameter count.
    #[error("kernel `{kernel}` takes {expected} parameter(s) but {got} argument(s) were given")]
    ArgCount { kernel: String, expected: usize, got: usize },

    /// An argument's size differs from the parameter's size in the kernel's parameter table.
    #[error("kernel `{kernel}` parameter {index}: expected {expected} bytes, argument has {got}")]
    ArgSize { kernel: String, index: usize, expected: usize, got: usize },

    /// A parameter's offset in the parameter block is not aligned for the argument's type.
    #[error("kernel `{kernel}` parameter {index}: offset {offset} is not aligned to the argument's alignment {align}")]
    ArgAlign { kernel: String, index: usize, offset: usize, align: usize },

    /// The kernel's parameter table is inconsistent (a parameter outside the parameter block).
    #[error("kernel `{kernel}` parameter table is inconsistent: {detail}")]
    BadParamTable { kernel: String, detail: String },

    /// A module has no kernel of that name.
    #[error("no kernel named `{name}` in the module (it has: {available})")]
    NoSuchKernel { name: String, available: String },

    /// A path of the runtime API that this build cannot perform yet; names what is missing.
    #[error("not yet implemented: {0}")]
    NotYetImplemented(&'static str),

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
