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
    #[error(
        "{what}: {len} bytes at offset {offset:#x} run past the end of the {input_len}-byte input"
    )]
    OutOfBounds {
        what: &'static str,
        offset: u64,
        len: u64,
        input_len: u64,
    },
    /// Offset/size arithmetic overflowed.
    #[error("{what}: offset or size arithmetic overflows")]
    Overflow { what: &'static str },
    /// A magic number or signature word did not match.
    #[error("{what}: bad magic {found:#x}, expected {expected:#x}")]
    BadMagic {
        what: &'static str,
        expected: u64,
        found: u64,
    },
    /// No PCI expansion ROM image (0x55AA header with a valid PCI data structure) was found.
    #[error("VBIOS: no PCI expansion ROM image found in the {input_len}-byte input")]
    VbiosNoRomImage { input_len: u64 },
    /// The IFR header in front of the ROM has a version this crate does not know.
    #[error("VBIOS: unsupported IFR header version {0}")]
    VbiosIfrVersion(u8),
    /// A ROM image's PCI data structure declares a length of zero blocks.
    #[error("VBIOS: image at ROM offset {offset:#x} has a zero length")]
    VbiosZeroImageLength { offset: u64 },
    /// The image chain reached the end of the input without an image flagged as last.
    #[error(
        "VBIOS: image chain reaches the end of the input at {offset:#x} without a last-image flag"
    )]
    VbiosChainUnterminated { offset: u64 },
    /// The image chain has more images than any real ROM has.
    #[error("VBIOS: image chain has more than {limit} images")]
    VbiosTooManyImages { limit: u64 },
    /// No BIT header (id 0xB8FF, "BIT\\0", zero checksum) was found.
    #[error("VBIOS: no BIT header found")]
    VbiosNoBitHeader,
    /// A required VBIOS structure is absent (e.g. the Falcon data token or the FWSEC table entry).
    #[error("VBIOS: {0} not found")]
    VbiosMissing(&'static str),
    /// A versioned VBIOS/FWSEC structure has a version this crate does not parse.
    #[error("{what}: unsupported version {version}")]
    UnsupportedVersion { what: &'static str, version: u64 },
    /// A size field is smaller than the structure it must hold.
    #[error("{what}: size {size} is smaller than the minimum {min}")]
    TooSmall {
        what: &'static str,
        size: u64,
        min: u64,
    },
    /// No FWSEC signature matches the falcon's fuse version.
    #[error("FWSEC: no signature for fuse version {fuse_version} (signature versions {versions:#x}, {count} signatures)")]
    FwsecNoSignature {
        fuse_version: u32,
        versions: u16,
        count: u8,
    },
    /// The FWSEC application interface table has no DMEM-mapper entry.
    #[error("FWSEC: no DMEM-mapper entry in the application interface table")]
    FwsecNoDmemMapper,
    /// The FRTS region handed to the FWSEC-FRTS builder is not 4 KiB aligned, empty, or too large.
    #[error("FWSEC-FRTS: invalid FRTS region offset {offset:#x} size {size:#x} (must be non-zero, 4 KiB aligned, below 16 TiB)")]
    FwsecFrtsRegion { offset: u64, size: u64 },
    /// A chip name or PMC_BOOT_42 chipset id this crate does not know.
    #[error("unknown chip {0:?}")]
    UnknownChip(String),
    /// A field holds a value the format does not allow (zero count, uneven division, bad version...).
    #[error("{what}: invalid value {value:#x}: {reason}")]
    InvalidField {
        what: &'static str,
        value: u64,
        reason: &'static str,
    },
    /// The ELF container of a GSP-RM or FMC image could not be parsed.
    #[error("{what}: malformed ELF")]
    Elf {
        what: &'static str,
        #[source]
        source: object::read::Error,
    },
    /// A section the format requires is absent from an ELF image.
    #[error("{what}: section {section:?} not found")]
    MissingSection { what: &'static str, section: String },
    /// The input is none of the firmware formats this crate parses.
    #[error("unrecognised firmware format (first bytes {head:02x?})")]
    UnknownFormat { head: Vec<u8> },
    /// A firmware version string this crate has no ABI module for.
    #[error("unknown firmware version {0:?}")]
    UnknownVersion(String),
    /// The operation is not defined for this chip (e.g. no booter on Hopper, no WPR2 layout computed
    /// by the host on Hopper/Blackwell).
    #[error("{what} is not supported on {chip}")]
    UnsupportedChip {
        what: &'static str,
        chip: crate::chip::Chipset,
    },
    /// No signature exists for the fuse version read from the hardware.
    #[error("no signature for fuse version {fuse_version} ({num_sigs} signatures in the image)")]
    NoSignatureForFuse { fuse_version: u32, num_sigs: u32 },
    /// A caller-supplied list has the wrong number of entries.
    #[error("{what}: expected {expected} entries, got {found}")]
    CountMismatch {
        what: &'static str,
        expected: u64,
        found: u64,
    },
    /// A caller-supplied address or size is not aligned as required.
    #[error("{what}: {value:#x} is not {align:#x}-aligned")]
    Misaligned {
        what: &'static str,
        value: u64,
        align: u64,
    },
    /// A frame-buffer layout does not fit (the regions would go below address zero).
    #[error("frame-buffer layout: {what} does not fit in a {fb_size:#x}-byte frame buffer")]
    LayoutDoesNotFit { what: &'static str, fb_size: u64 },
    /// A firmware file needed for a chip was not found in any searched directory.
    #[error(
        "firmware file {file} not found (searched: {searched}); install Debian package {package}"
    )]
    FirmwareNotFound {
        file: String,
        package: &'static str,
        searched: String,
    },
    /// Reading a firmware file failed.
    #[error("reading firmware file {path} failed (check that it is a readable regular file)")]
    Io {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
}
