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

    // fatbin
    /// The input ends before a fatbin structure it must hold.
    #[error("fatbin: {what} at offset {offset:#x} needs {need} bytes but only {have} are left")]
    FatbinTruncated {
        /// The structure being read.
        what: &'static str,
        /// Offset of the structure in the input.
        offset: u64,
        /// Bytes the structure needs.
        need: u64,
        /// Bytes left in the input from `offset`.
        have: u64,
    },
    /// A magic number is not the one expected.
    #[error("fatbin: bad magic {found:#010x} at offset {offset:#x} (expected {expected:#010x})")]
    FatbinBadMagic {
        /// Offset of the magic number in the input.
        offset: u64,
        /// The value found.
        found: u32,
        /// The value expected.
        expected: u32,
    },
    /// A header field holds a value that is impossible (offset out of bounds, size overflow, unknown version...).
    #[error("fatbin: {what} at offset {offset:#x} has invalid value {value:#x}")]
    FatbinBadField {
        /// Which field, in words.
        what: &'static str,
        /// Offset of the header holding the field.
        offset: u64,
        /// The offending value.
        value: u64,
    },
    /// The input is not a fatbin container, nor a host ELF holding one.
    #[error("fatbin: not a fatbin: {reason}")]
    FatbinNotFatbin {
        /// Why it was refused.
        reason: &'static str,
    },
    /// The input is a host ELF whose headers are malformed or unsupported (the ELF reader's error).
    #[error("fatbin: bad host ELF: {source}")]
    FatbinHostElf {
        /// What the ELF reader found.
        #[source]
        source: Box<Error>,
    },
    /// An entry is compressed with a method this crate does not decode.
    #[error("fatbin: entry {entry} uses unsupported compression (flags {flags:#x})")]
    FatbinUnsupportedCompression {
        /// Index of the entry.
        entry: usize,
        /// The entry's flag word.
        flags: u64,
    },
    /// A compressed payload is corrupt.
    #[error("fatbin: entry {entry}: {algorithm} payload does not decompress")]
    FatbinDecompress {
        /// Index of the entry.
        entry: usize,
        /// Compression method ("LZ4" or "zstd").
        algorithm: &'static str,
        /// The decoder's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A payload decompressed to a size other than the one its header declares.
    #[error("fatbin: entry {entry} declares {declared} uncompressed bytes but decompresses to {actual}{}", if *.truncated { " or more" } else { "" })]
    FatbinSizeMismatch {
        /// Index of the entry.
        entry: usize,
        /// Size in the header.
        declared: u64,
        /// Bytes produced (decoding stops one byte past `declared`).
        actual: u64,
        /// Whether decoding was stopped early because the output passed `declared`.
        truncated: bool,
    },
    /// A declared uncompressed size is larger than the caller's limit or impossible for its compressed size.
    #[error(
        "fatbin: entry {entry} declares {declared} uncompressed bytes, over the limit of {limit}"
    )]
    FatbinTooLarge {
        /// Index of the entry.
        entry: usize,
        /// Size in the header.
        declared: u64,
        /// The limit that applied.
        limit: u64,
    },
    /// No image in the fatbin can run on the requested SM (and no PTX can be compiled for it).
    #[error("fatbin: nothing runs on {target}: {reason}; the fatbin holds: {available}")]
    NoImageForSm {
        /// The requested SM, e.g. `sm_75`.
        target: String,
        /// Why nothing was chosen.
        reason: &'static str,
        /// What the fatbin holds, e.g. `SASS sm_80, SASS sm_90, PTX compute_120`.
        available: String,
    },
    /// An optional compiler library (NVRTC, nvJitLink) was not found.
    #[error("{library} not found; point NVBARE_NVRTC / NVBARE_NVJITLINK (or CUDA_HOME) at it, or install the CUDA toolkit or NVIDIA's pip wheel; searched: {}", .searched.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "))]
    CompilerNotFound {
        /// The library's name.
        library: &'static str,
        /// Every path tried, in order.
        searched: Vec<std::path::PathBuf>,
        /// The system loader's error for the last bare soname tried (why the loader's own search failed,
        /// e.g. a missing dependency rather than a missing file).
        #[source]
        loader: Option<libloading::Error>,
    },
    /// A compiler library was found but could not be loaded or lacks a symbol.
    #[error("{library}: cannot load {}: {what}", .path.display())]
    CompilerLoad {
        /// The library's name.
        library: &'static str,
        /// The file tried.
        path: std::path::PathBuf,
        /// The step that failed (a symbol name or "dlopen").
        what: &'static str,
        /// The loader's error.
        #[source]
        source: libloading::Error,
    },
    /// A compiler call failed.
    #[error("{library}: {call} failed with code {code} ({message}){}", if .log.is_empty() { String::new() } else { format!("; log:\n{}", .log) })]
    CompilerCall {
        /// The library's name.
        library: &'static str,
        /// The function that failed.
        call: &'static str,
        /// Its result code.
        code: i32,
        /// The library's text for the code.
        message: String,
        /// The compilation log, when there is one.
        log: String,
    },
    /// A compiler call succeeded but produced nothing (e.g. nvJitLink reported a 0-byte linked CUBIN).
    #[error("{library}: {call} reported an empty result; check the inputs and options (e.g. -arch) given to it")]
    CompilerNoOutput {
        /// The library's name.
        library: &'static str,
        /// The size query that returned 0.
        call: &'static str,
    },
    /// Input for a compiler is unusable (e.g. holds a NUL byte).
    #[error("{library}: bad input: {reason}")]
    CompilerInput {
        /// The library's name.
        library: &'static str,
        /// What is wrong.
        reason: &'static str,
    },

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

    /// No GPU could be opened; `looked_for` lists every place that was checked and what was found.
    #[error("no usable GPU found: {looked_for}")]
    NoGpu { looked_for: String },

    /// A host slice and a device buffer (or two buffers) differ in length.
    #[error("{what}: length mismatch, destination holds {dst} element(s) but source has {src}")]
    LengthMismatch {
        what: &'static str,
        dst: usize,
        src: usize,
    },

    /// A byte size does not fit the address space or the element count overflows.
    #[error("{what}: {count} element(s) of {elem_size} bytes overflow the address space")]
    SizeOverflow {
        what: &'static str,
        count: usize,
        elem_size: usize,
    },

    /// A launch configuration is outside what the hardware accepts.
    #[error("invalid launch configuration: {0}")]
    InvalidLaunchConfig(String),

    /// The number of launch arguments differs from the kernel's parameter count.
    #[error("kernel `{kernel}` takes {expected} parameter(s) but {got} argument(s) were given")]
    ArgCount {
        kernel: String,
        expected: usize,
        got: usize,
    },

    /// An argument's size differs from the parameter's size in the kernel's parameter table.
    #[error("kernel `{kernel}` parameter {index}: expected {expected} bytes, argument has {got}")]
    ArgSize {
        kernel: String,
        index: usize,
        expected: usize,
        got: usize,
    },

    /// A parameter's offset in the parameter block is not aligned for the argument's type.
    #[error("kernel `{kernel}` parameter {index}: offset {offset} is not aligned to the argument's alignment {align}")]
    ArgAlign {
        kernel: String,
        index: usize,
        offset: usize,
        align: usize,
    },

    /// The kernel's parameter table is inconsistent (a parameter outside the parameter block).
    #[error("kernel `{kernel}` parameter table is inconsistent: {detail}")]
    BadParamTable { kernel: String, detail: String },

    /// A module has no kernel of that name.
    #[error("no kernel named `{name}` in the module (it has: {available})")]
    NoSuchKernel { name: String, available: String },

    /// An event's GPU timestamp was asked for before the GPU reached the event.
    #[error("event not reached yet: synchronize before reading its GPU time")]
    EventNotReached,

    /// `elapsed_since` was given its events the wrong way round: `earlier` was reached after
    /// `self`. Swap the arguments.
    #[error("event order: the later event's GPU time {later_ns} ns precedes the earlier one's {earlier_ns} ns (swap the arguments of elapsed_since)")]
    EventOrder { earlier_ns: u64, later_ns: u64 },

    /// A path of the runtime API that this build cannot perform yet; names what is missing.
    #[error("not yet implemented: {0}")]
    NotYetImplemented(&'static str),
}
