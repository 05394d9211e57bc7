//! Fatbin containers: the bundles of SASS (CUBIN ELF) and PTX images that nvcc writes with `-fatbin` and embeds
//! in host objects and executables (section `.nv_fatbin`, or `__nv_relfatbin` for relocatable device code).
//!
//! Layout (little-endian; offsets in bytes). Facts gathered from CUDA's `fatbinary_section.h`, the public
//! reverse-engineering notes in GrigoryEvko/nvopen-tools (`fatbin/FORMAT_SPECIFICATION.md`) and cricket
//! (`fatbin-decompress.c`), and checked field by field against nvcc 13.x output and `cuobjdump`:
//!
//! Container header, 16 bytes: `0x00 u32 magic 0xBA55ED50`, `0x04 u16 version (1)`, `0x06 u16 header size (16)`,
//! `0x08 u64 size of the entries that follow`.
//!
//! Entry header, 64 bytes plus an extension, followed by its payload:
//!
//! | off  | type | field                                                                                   |
//! |------|------|-----------------------------------------------------------------------------------------|
//! | 0x00 | u16  | kind: 1 PTX, 2 ELF (SASS), 0x100 group of concatenated images (`nvcc --concat`)         |
//! | 0x02 | u16  | entry format version (0x0101)                                                           |
//! | 0x04 | u32  | header size (the payload starts here)                                                   |
//! | 0x08 | u64  | payload size (8-byte padded)                                                            |
//! | 0x10 | u32  | compressed size (stored bytes when compressed)                                          |
//! | 0x14 | u32  | offset in the header of an `{u32 offset, u32 length}` options descriptor (0: none)      |
//! | 0x18 | u16  | code version minor (PTX ISA minor / ELF ABI minor)                                      |
//! | 0x1a | u16  | code version major                                                                      |
//! | 0x1c | u32  | SM number (80 = sm_80)                                                                  |
//! | 0x20 | u32  | identifier string offset in the header (`fatbinary --ident`)                            |
//! | 0x24 | u32  | identifier length                                                                       |
//! | 0x28 | u64  | flags (below)                                                                           |
//! | 0x30 | u64  | reserved (0)                                                                            |
//! | 0x38 | u64  | uncompressed size (when compressed)                                                     |
//!
//! Flags: `0x1` 64-bit code (else 32-bit), `0x2` debug, `0x10` Linux host, `0x2000` LZ4, `0x8000` zstd,
//! `0x10_0000` arch-specific target (`sm_90a`), `0x20_0000` family-specific target (`sm_100f`). `0x1000` is another
//! (older) compression flag that this crate refuses with a typed error.
//!
//! The options blob holds the ptxas command line for PTX (`fatbinary --cmdline`); for sm_100+ ELF images it holds
//! binary data this crate does not interpret. Both are NUL-terminated and padded to 8 bytes inside the header.
//!
//! A concatenated group (kind 0x100) is one compressed payload holding several images; its options descriptor is
//! `{u32 count, u32 table bytes}` followed by `count` sub-entry headers that use the entry layout above, except that
//! field 0x04 is the image's offset inside the decompressed payload and 0x08 its size.
//!
//! The host wrapper `__fatBinC_Wrapper_t` (in `.nvFatBinSegment`, magic `0x466243B1`, 24 bytes: `u32 magic`,
//! `u32 version`, `u64 data address`, `u64 filename or prelinked list`) points at each container; in a linked
//! executable the address is resolved and checked against the containers found in `.nv_fatbin`.

use std::borrow::Cow;

use crate::error::{Error, Result};
use crate::module::compress::{self, Compression};
use crate::module::elf::{Elf, EM_CUDA, ET_REL, SHT_NOBITS};
use crate::module::select::{ArchVariant, ComputeCapability, TargetArch};

/// Magic number of a fatbin container header.
pub const FATBIN_MAGIC: u32 = 0xBA55_ED50;
/// Magic number of the host-side wrapper (`__fatBinC_Wrapper_t`) in `.nvFatBinSegment`.
pub const WRAPPER_MAGIC: u32 = 0x4662_43B1;

const CONTAINER_HEADER_LEN: u64 = 16;
const ENTRY_HEADER_LEN: u64 = 64;
const WRAPPER_LEN: u64 = 24;

const KIND_PTX: u16 = 1;
const KIND_ELF: u16 = 2;
const KIND_GROUP: u16 = 0x100;

/// Entry flag bits (see the module documentation).
pub mod flags {
    /// 64-bit device code; 32-bit when clear.
    pub const BITS_64: u64 = 0x1;
    /// Built with debug information (`-G`).
    pub const DEBUG: u64 = 0x2;
    /// Built on a Linux host.
    pub const HOST_LINUX: u64 = 0x10;
    /// An older compression method; refused.
    pub const COMPRESSED_LEGACY: u64 = 0x1000;
    /// LZ4 block compression.
    pub const COMPRESSED_LZ4: u64 = 0x2000;
    /// Zstandard compression.
    pub const COMPRESSED_ZSTD: u64 = 0x8000;
    /// Architecture-specific target (`sm_XYa`).
    pub const ARCH_SPECIFIC: u64 = 0x10_0000;
    /// Family-specific target (`sm_XYf`).
    pub const FAMILY_SPECIFIC: u64 = 0x20_0000;
}

/// What an entry holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EntryKind {
    /// PTX text (a virtual ISA, needs a compiler).
    Ptx,
    /// A CUBIN ELF with SASS for one SM.
    Elf,
    /// A kind this crate does not know; kept so that listings match the input, never selected.
    Other(u16),
}

/// Pointer size of the device code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PointerSize {
    /// 32-bit.
    Bits32,
    /// 64-bit.
    Bits64,
}

/// Where an entry's bytes are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Storage<'a> {
    /// The entry's own payload.
    Direct {
        /// Stored bytes (exactly the compressed size when compressed; the padded payload otherwise).
        stored: &'a [u8],
        /// Compression method.
        compression: Compression,
        /// Declared uncompressed size (equal to `stored.len()` when not compressed).
        uncompressed_size: u64,
    },
    /// A slice of a concatenated group's decompressed payload.
    Grouped {
        /// Index into [`Fatbin::groups`].
        group: usize,
        /// Offset in the group's decompressed payload.
        offset: u64,
        /// Size of the image.
        size: u64,
    },
}

/// One image (PTX or ELF) of a fatbin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry<'a> {
    /// Position in [`Fatbin::entries`] (used in errors).
    pub index: usize,
    /// Index of the container it came from.
    pub container: usize,
    /// Offset of the entry header in the parsed input.
    pub offset: u64,
    /// Kind of image.
    pub kind: EntryKind,
    /// Entry format version (0x0101 in all known files).
    pub format_version: u16,
    /// Code version `(major, minor)`: the PTX ISA version for PTX, the CUDA ELF ABI version for ELF.
    pub code_version: (u16, u16),
    /// The target: SM number and `a`/`f` variant.
    pub target: TargetArch,
    /// Raw flag word (see [`flags`]).
    pub flags: u64,
    /// Device pointer size.
    pub pointer_size: PointerSize,
    /// Identifier string (`fatbinary --ident`), if any.
    pub identifier: Option<&'a [u8]>,
    /// Options blob: the ptxas command line for PTX, opaque data for sm_100+ ELF; `None` when absent or empty.
    pub options: Option<&'a [u8]>,
    /// Extra header bytes past the first 64 (raw).
    pub header_extension: &'a [u8],
    /// Where the bytes are.
    pub storage: Storage<'a>,
}

impl Entry<'_> {
    /// Whether the payload is stored compressed (directly or through its group).
    pub fn compression(&self, fatbin: &Fatbin<'_>) -> Compression {
        match self.storage {
            Storage::Direct { compression, .. } => compression,
            Storage::Grouped { group, .. } => fatbin
                .groups
                .get(group)
                .map_or(Compression::None, |g| g.compression),
        }
    }

    /// The uncompressed size of the image as stored (before trimming padding).
    pub fn uncompressed_size(&self) -> u64 {
        match self.storage {
            Storage::Direct {
                uncompressed_size, ..
            } => uncompressed_size,
            Storage::Grouped { size, .. } => size,
        }
    }

    /// Whether the image was built with debug information.
    pub fn is_debug(&self) -> bool {
        self.flags & flags::DEBUG != 0
    }
}

/// A concatenated group (`nvcc --concat`): one compressed payload holding several images.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group<'a> {
    /// Offset of the group's entry header in the parsed input.
    pub offset: u64,
    /// Stored bytes.
    pub stored: &'a [u8],
    /// Compression method.
    pub compression: Compression,
    /// Declared uncompressed size.
    pub uncompressed_size: u64,
}

/// A host wrapper record from `.nvFatBinSegment`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wrapper {
    /// Wrapper version (1: plain, 2: with prelinked fatbins).
    pub version: u32,
    /// Address of the container in the host image (0 in unrelocated objects).
    pub data_address: u64,
    /// Index of the container it points at, when the address could be resolved.
    pub container: Option<usize>,
}

/// A parsed fatbin: every container of the input and their entries, in file order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fatbin<'a> {
    /// Offsets of the container headers in the input.
    pub containers: Vec<u64>,
    /// All images (group members expanded in place), in file order.
    pub entries: Vec<Entry<'a>>,
    /// Concatenated groups referenced by [`Storage::Grouped`].
    pub groups: Vec<Group<'a>>,
    /// Host wrappers (only for host ELF input with `.nvFatBinSegment`).
    pub wrappers: Vec<Wrapper>,
}

/// Bounds-checked little-endian reads over the whole input.
struct Bytes<'a> {
    data: &'a [u8],
}

impl<'a> Bytes<'a> {
    fn len(&self) -> u64 {
        u64::try_from(self.data.len()).unwrap_or(u64::MAX)
    }

    /// `len` bytes at `offset`, or a truncation error naming `what`.
    fn slice(&self, what: &'static str, offset: u64, len: u64) -> Result<&'a [u8]> {
        let have = self.len().saturating_sub(offset);
        let trunc = || Error::FatbinTruncated {
            what,
            offset,
            need: len,
            have,
        };
        let start = usize::try_from(offset).map_err(|_| trunc())?;
        let n = usize::try_from(len).map_err(|_| trunc())?;
        let end = start.checked_add(n).ok_or_else(trunc)?;
        self.data.get(start..end).ok_or_else(trunc)
    }

    fn array<const N: usize>(&self, what: &'static str, offset: u64) -> Result<[u8; N]> {
        let s = self.slice(what, offset, N as u64)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    fn u16(&self, what: &'static str, offset: u64) -> Result<u16> {
        Ok(u16::from_le_bytes(self.array(what, offset)?))
    }

    fn u32(&self, what: &'static str, offset: u64) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array(what, offset)?))
    }

    fn u64(&self, what: &'static str, offset: u64) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array(what, offset)?))
    }
}

fn add(what: &'static str, offset: u64, a: u64, b: u64) -> Result<u64> {
    a.checked_add(b).ok_or(Error::FatbinBadField {
        what,
        offset,
        value: b,
    })
}

/// The fixed 64-byte part of an entry header, decoded.
struct RawEntry {
    kind: u16,
    version: u16,
    /// Header size for top-level entries; image offset for group members.
    word04: u32,
    size: u64,
    compressed_size: u32,
    options_desc: u32,
    minor: u16,
    major: u16,
    arch: u32,
    ident_offset: u32,
    ident_len: u32,
    flags: u64,
    uncompressed_size: u64,
}

fn read_raw_entry(b: &Bytes<'_>, at: u64) -> Result<RawEntry> {
    let h = b.slice("fatbin entry header", at, ENTRY_HEADER_LEN)?;
    let h = Bytes { data: h };
    Ok(RawEntry {
        kind: h.u16("entry kind", 0x00)?,
        version: h.u16("entry version", 0x02)?,
        word04: h.u32("entry header size", 0x04)?,
        size: h.u64("entry payload size", 0x08)?,
        compressed_size: h.u32("entry compressed size", 0x10)?,
        options_desc: h.u32("entry options descriptor", 0x14)?,
        minor: h.u16("entry minor version", 0x18)?,
        major: h.u16("entry major version", 0x1a)?,
        arch: h.u32("entry arch", 0x1c)?,
        ident_offset: h.u32("entry identifier offset", 0x20)?,
        ident_len: h.u32("entry identifier length", 0x24)?,
        flags: h.u64("entry flags", 0x28)?,
        uncompressed_size: h.u64("entry uncompressed size", 0x38)?,
    })
}

/// Header-relative `(offset, len)` region of `header` (a slice of the entry header), checked; the region must lie
/// past the fixed 64 bytes.
fn header_region<'a>(
    header: &'a [u8],
    at: u64,
    what: &'static str,
    off: u32,
    len: u32,
) -> Result<&'a [u8]> {
    let hb = Bytes { data: header };
    if u64::from(off) < ENTRY_HEADER_LEN {
        return Err(Error::FatbinBadField {
            what,
            offset: at,
            value: u64::from(off),
        });
    }
    hb.slice(what, u64::from(off), u64::from(len))
        .map_err(|_| Error::FatbinBadField {
            what,
            offset: at,
            value: u64::from(off) + u64::from(len),
        })
}

/// Identifier and options of an entry, and the end of the header bytes they use (for sizing group members).
struct Strings<'a> {
    identifier: Option<&'a [u8]>,
    options: Option<&'a [u8]>,
    used: u64,
}

/// Reads the identifier and options of an entry whose full header is `header`.
fn strings<'a>(header: &'a [u8], at: u64, raw: &RawEntry) -> Result<Strings<'a>> {
    let mut end = ENTRY_HEADER_LEN;
    let identifier = if raw.ident_len == 0 {
        None
    } else {
        let s = header_region(
            header,
            at,
            "entry identifier",
            raw.ident_offset,
            raw.ident_len,
        )?;
        // NUL-terminated, padded to 8.
        end = end.max(round8(
            u64::from(raw.ident_offset) + u64::from(raw.ident_len) + 1,
        ));
        Some(s)
    };
    let options = if raw.options_desc == 0 {
        None
    } else {
        let d = header_region(header, at, "entry options descriptor", raw.options_desc, 8)?;
        let db = Bytes { data: d };
        let off = db.u32("options offset", 0)?;
        let len = db.u32("options length", 4)?;
        end = end.max(u64::from(raw.options_desc) + 8);
        let s = header_region(header, at, "entry options", off, len)?;
        end = end.max(round8(u64::from(off) + u64::from(len) + 1));
        (len != 0).then_some(s)
    };
    Ok(Strings {
        identifier,
        options,
        used: end,
    })
}

/// The entry described by `raw` at `offset` (top-level or group member): every field that comes from the raw
/// header is read here, once.
fn entry_of<'a>(
    index: usize,
    container: usize,
    offset: u64,
    raw: &RawEntry,
    names: Strings<'a>,
    header_extension: &'a [u8],
    storage: Storage<'a>,
) -> Result<Entry<'a>> {
    Ok(Entry {
        index,
        container,
        offset,
        kind: kind_of(raw.kind),
        format_version: raw.version,
        code_version: (raw.major, raw.minor),
        target: target_of(offset, raw)?,
        flags: raw.flags,
        pointer_size: pointer_size_of(raw.flags),
        identifier: names.identifier,
        options: names.options,
        header_extension,
        storage,
    })
}

fn round8(v: u64) -> u64 {
    v.saturating_add(7) & !7
}

fn compression_of(index: usize, flags_word: u64) -> Result<Compression> {
    let lz4 = flags_word & flags::COMPRESSED_LZ4 != 0;
    let zstd = flags_word & flags::COMPRESSED_ZSTD != 0;
    let legacy = flags_word & flags::COMPRESSED_LEGACY != 0;
    match (legacy, lz4, zstd) {
        (false, false, false) => Ok(Compression::None),
        (false, true, false) => Ok(Compression::Lz4),
        (false, false, true) => Ok(Compression::Zstd),
        _ => Err(Error::FatbinUnsupportedCompression {
            entry: index,
            flags: flags_word,
        }),
    }
}

fn target_of(at: u64, raw: &RawEntry) -> Result<TargetArch> {
    let a = raw.flags & flags::ARCH_SPECIFIC != 0;
    let f = raw.flags & flags::FAMILY_SPECIFIC != 0;
    let variant = match (a, f) {
        (false, false) => ArchVariant::Generic,
        (true, false) => ArchVariant::ArchSpecific,
        (false, true) => ArchVariant::FamilySpecific,
        (true, true) => {
            return Err(Error::FatbinBadField {
                what: "entry flags (both a and f)",
                offset: at,
                value: raw.flags,
            })
        }
    };
    Ok(TargetArch {
        cc: ComputeCapability::from_sm(raw.arch),
        variant,
    })
}

fn kind_of(kind: u16) -> EntryKind {
    match kind {
        KIND_PTX => EntryKind::Ptx,
        KIND_ELF => EntryKind::Elf,
        other => EntryKind::Other(other),
    }
}

fn pointer_size_of(flags_word: u64) -> PointerSize {
    if flags_word & flags::BITS_64 != 0 {
        PointerSize::Bits64
    } else {
        PointerSize::Bits32
    }
}

impl<'a> Fatbin<'a> {
    /// Parses a fatbin: a raw container sequence (`nvcc -fatbin`), or a host ELF object/executable holding
    /// `.nv_fatbin` / `__nv_relfatbin` (`nvcc -c`, linked programs).
    pub fn parse(data: &'a [u8]) -> Result<Self> {
        let b = Bytes { data };
        let magic = b.u32("fatbin magic", 0)?;
        if data.starts_with(b"\x7fELF") {
            return Self::parse_host_elf(data);
        }
        if magic == WRAPPER_MAGIC {
            return Err(Error::FatbinNotFatbin {
                reason: "input is a host wrapper record (__fatBinC_Wrapper_t); pass the host ELF or the container",
            });
        }
        let mut fatbin = Fatbin {
            containers: Vec::new(),
            entries: Vec::new(),
            groups: Vec::new(),
            wrappers: Vec::new(),
        };
        fatbin.parse_containers(&b, 0, b.len())?;
        Ok(fatbin)
    }

    /// Parses the containers laid back to back in `[start, end)` of `b` (zero padding to 8 bytes allowed between).
    fn parse_containers(&mut self, b: &Bytes<'a>, start: u64, end: u64) -> Result<()> {
        let mut at = start;
        loop {
            // Skip alignment padding (zeros up to the next multiple of 8 from the region start).
            while at < end && (at - start) % 8 != 0 && b.slice("padding", at, 1)? == [0] {
                at += 1;
            }
            if at >= end {
                break;
            }
            let next = self.parse_container(b, at, end)?;
            at = next;
        }
        if self.containers.is_empty() {
            return Err(Error::FatbinNotFatbin {
                reason: "no fatbin container in the input",
            });
        }
        Ok(())
    }

    /// Parses one container at `at`; returns the offset just past it.
    fn parse_container(&mut self, b: &Bytes<'a>, at: u64, region_end: u64) -> Result<u64> {
        let magic = b.u32("fatbin magic", at)?;
        if magic != FATBIN_MAGIC {
            return Err(Error::FatbinBadMagic {
                offset: at,
                found: magic,
                expected: FATBIN_MAGIC,
            });
        }
        let version = b.u16("fatbin version", at + 4)?;
        if version != 1 {
            return Err(Error::FatbinBadField {
                what: "container version",
                offset: at,
                value: u64::from(version),
            });
        }
        let header_size = u64::from(b.u16("fatbin header size", at + 6)?);
        if header_size < CONTAINER_HEADER_LEN {
            return Err(Error::FatbinBadField {
                what: "container header size",
                offset: at,
                value: header_size,
            });
        }
        let fat_size = b.u64("fatbin size", at + 8)?;
        let body = add("container header size", at, at, header_size)?;
        let end = add("container size", at, body, fat_size)?;
        if end > region_end {
            return Err(Error::FatbinTruncated {
                what: "fatbin container",
                offset: at,
                need: end - at,
                have: region_end.saturating_sub(at),
            });
        }
        let container = self.containers.len();
        self.containers.push(at);
        let mut cur = body;
        while cur < end {
            cur = self.parse_entry(b, container, cur, end)?;
        }
        Ok(end)
    }

    /// Parses the entry at `at` (inside a container ending at `end`); returns the next entry's offset.
    fn parse_entry(&mut self, b: &Bytes<'a>, container: usize, at: u64, end: u64) -> Result<u64> {
        if end - at < ENTRY_HEADER_LEN {
            return Err(Error::FatbinTruncated {
                what: "fatbin entry header",
                offset: at,
                need: ENTRY_HEADER_LEN,
                have: end - at,
            });
        }
        let raw = read_raw_entry(b, at)?;
        let header_len = u64::from(raw.word04);
        if header_len < ENTRY_HEADER_LEN || header_len > end - at {
            return Err(Error::FatbinBadField {
                what: "entry header size",
                offset: at,
                value: header_len,
            });
        }
        let header = b.slice("fatbin entry header", at, header_len)?;
        let payload_at = at + header_len;
        if raw.size > end - payload_at {
            return Err(Error::FatbinBadField {
                what: "entry payload size",
                offset: at,
                value: raw.size,
            });
        }
        let payload = b.slice("fatbin entry payload", payload_at, raw.size)?;
        let next = payload_at + raw.size;
        let index = self.entries.len();
        let compression = compression_of(index, raw.flags)?;
        let (stored, uncompressed_size) = match compression {
            Compression::None => (payload, raw.size),
            Compression::Lz4 | Compression::Zstd => {
                let csz = u64::from(raw.compressed_size);
                if csz == 0 || csz > raw.size {
                    return Err(Error::FatbinBadField {
                        what: "entry compressed size",
                        offset: at,
                        value: csz,
                    });
                }
                let stored = payload
                    .get(..usize::try_from(csz).unwrap_or(usize::MAX))
                    .ok_or(Error::FatbinBadField {
                        what: "entry compressed size",
                        offset: at,
                        value: csz,
                    })?;
                (stored, raw.uncompressed_size)
            }
        };
        if raw.kind == KIND_GROUP {
            self.parse_group(
                container,
                at,
                header,
                &raw,
                Group {
                    offset: at,
                    stored,
                    compression,
                    uncompressed_size,
                },
            )?;
            return Ok(next);
        }
        let names = strings(header, at, &raw)?;
        let extension = header.get(64..).unwrap_or(&[]);
        let storage = Storage::Direct {
            stored,
            compression,
            uncompressed_size,
        };
        self.entries.push(entry_of(
            index, container, at, &raw, names, extension, storage,
        )?);
        Ok(next)
    }

    /// Expands a concatenated group's member table into entries.
    fn parse_group(
        &mut self,
        container: usize,
        at: u64,
        header: &'a [u8],
        raw: &RawEntry,
        group: Group<'a>,
    ) -> Result<()> {
        if raw.options_desc == 0 {
            return Err(Error::FatbinBadField {
                what: "group member table descriptor",
                offset: at,
                value: 0,
            });
        }
        let desc = header_region(
            header,
            at,
            "group member table descriptor",
            raw.options_desc,
            8,
        )?;
        let db = Bytes { data: desc };
        let count = db.u32("group member count", 0)?;
        let table_bytes = db.u32("group member table size", 4)?;
        let table = header_region(
            header,
            at,
            "group member table",
            raw.options_desc,
            table_bytes,
        )?;
        let tb = Bytes { data: table };
        let table_len = tb.len();
        let group_index = self.groups.len();
        let group_size = group.uncompressed_size;
        self.groups.push(group);
        let mut cur: u64 = 8;
        for _ in 0..count {
            let member_at = at + u64::from(raw.options_desc) + cur;
            let m = read_raw_entry(&tb, cur)?;
            if !matches!(compression_of(0, m.flags), Ok(Compression::None)) {
                return Err(Error::FatbinBadField {
                    what: "group member flags (nested compression)",
                    offset: member_at,
                    value: m.flags,
                });
            }
            if m.kind == KIND_GROUP {
                return Err(Error::FatbinBadField {
                    what: "group member kind (nested group)",
                    offset: member_at,
                    value: u64::from(m.kind),
                });
            }
            let member_header = table
                .get(usize::try_from(cur).unwrap_or(usize::MAX)..)
                .unwrap_or(&[]);
            let names = strings(member_header, member_at, &m)?;
            let used = names.used;
            let image_off = u64::from(m.word04);
            let image_end = add("group member size", member_at, image_off, m.size)?;
            if image_end > group_size {
                return Err(Error::FatbinBadField {
                    what: "group member offset/size",
                    offset: member_at,
                    value: image_end,
                });
            }
            let member_len = round8(used);
            let ext_end = usize::try_from(member_len).unwrap_or(usize::MAX);
            let index = self.entries.len();
            let extension = member_header.get(64..ext_end).unwrap_or(&[]);
            let storage = Storage::Grouped {
                group: group_index,
                offset: image_off,
                size: m.size,
            };
            self.entries.push(entry_of(
                index, container, member_at, &m, names, extension, storage,
            )?);
            cur = add("group member table", member_at, cur, member_len)?;
            if cur > table_len {
                return Err(Error::FatbinBadField {
                    what: "group member table size",
                    offset: at,
                    value: u64::from(table_bytes),
                });
            }
        }
        if cur != table_len {
            return Err(Error::FatbinBadField {
                what: "group member table size",
                offset: at,
                value: u64::from(table_bytes),
            });
        }
        Ok(())
    }

    /// Parses a host ELF (64- or 32-bit, little-endian): every container in `.nv_fatbin` and `__nv_relfatbin`,
    /// plus the wrappers in `.nvFatBinSegment`.
    fn parse_host_elf(data: &'a [u8]) -> Result<Self> {
        let elf = Elf::parse(data).map_err(|e| Error::FatbinHostElf {
            source: Box::new(e),
        })?;
        if elf.header.machine == EM_CUDA {
            return Err(Error::FatbinNotFatbin {
                reason: "input is a CUBIN (ELF for EM_CUDA), not a fatbin",
            });
        }
        let b = Bytes { data };
        let mut fatbin = Fatbin {
            containers: Vec::new(),
            entries: Vec::new(),
            groups: Vec::new(),
            wrappers: Vec::new(),
        };
        let mut fatbin_sections = Vec::new();
        let sections = host_sections(&elf)?;
        let is_relocatable = elf.header.file_type == ET_REL;
        for s in &sections {
            if s.name == b".nv_fatbin" || s.name == b"__nv_relfatbin" {
                if s.is_nobits {
                    return Err(Error::FatbinNotFatbin {
                        reason: "fatbin section has no file data (SHT_NOBITS)",
                    });
                }
                let end = add("ELF section size", s.offset, s.offset, s.size)?;
                b.slice("ELF fatbin section", s.offset, s.size)?;
                fatbin.parse_containers(&b, s.offset, end)?;
                fatbin_sections.push(s);
            }
        }
        if fatbin_sections.is_empty() {
            return Err(Error::FatbinNotFatbin {
                reason: "host ELF has no .nv_fatbin or __nv_relfatbin section",
            });
        }
        for s in &sections {
            if s.name != b".nvFatBinSegment" || s.is_nobits {
                continue;
            }
            // Bounds first: every wrapper offset below then lies inside the input.
            b.slice("ELF .nvFatBinSegment section", s.offset, s.size)?;
            let count = s.size / WRAPPER_LEN;
            for i in 0..count {
                let w = s.offset + i * WRAPPER_LEN;
                let magic = b.u32("fatbin wrapper magic", w)?;
                if magic != WRAPPER_MAGIC {
                    return Err(Error::FatbinBadMagic {
                        offset: w,
                        found: magic,
                        expected: WRAPPER_MAGIC,
                    });
                }
                let version = b.u32("fatbin wrapper version", w + 4)?;
                let data_address = b.u64("fatbin wrapper data", w + 8)?;
                // Resolve the address through the fatbin sections' load addresses (linked images only).
                let container = if is_relocatable || data_address == 0 {
                    None
                } else {
                    let file_off = fatbin_sections.iter().find_map(|fs| {
                        let rel = data_address.checked_sub(fs.address)?;
                        (rel < fs.size).then(|| fs.offset + rel)
                    });
                    match file_off {
                        Some(off) => Some(fatbin.containers.iter().position(|&c| c == off).ok_or(
                            Error::FatbinBadField {
                                what: "wrapper data address (not a container start)",
                                offset: w,
                                value: data_address,
                            },
                        )?),
                        None => None,
                    }
                };
                fatbin.wrappers.push(Wrapper {
                    version,
                    data_address,
                    container,
                });
            }
        }
        Ok(fatbin)
    }

    /// The image bytes of `entry`: decompressed if needed, then trimmed to the image proper (an ELF's extent from
    /// its own headers; PTX up to its NUL terminator), so that the result equals what `cuobjdump -xelf`/`-xptx`
    /// extract. `limit` bounds the decompressed size ([`compress::DEFAULT_MAX_UNCOMPRESSED`] is a sane default).
    pub fn image(&self, entry: &Entry<'a>, limit: u64) -> Result<Cow<'a, [u8]>> {
        let raw: Cow<'a, [u8]> = match entry.storage {
            Storage::Direct {
                stored,
                compression: Compression::None,
                ..
            } => Cow::Borrowed(stored),
            Storage::Direct {
                stored,
                compression,
                uncompressed_size,
            } => Cow::Owned(compress::decompress(
                entry.index,
                compression,
                stored,
                uncompressed_size,
                limit,
            )?),
            Storage::Grouped {
                group,
                offset,
                size,
            } => {
                let bytes = self.group_bytes(group, entry.index, limit)?;
                let gb = Bytes { data: &bytes };
                Cow::Owned(gb.slice("group member image", offset, size)?.to_vec())
            }
        };
        let len = match entry.kind {
            EntryKind::Elf => Elf::parse(&raw)
                .ok()
                .and_then(|e| usize::try_from(e.extent()).ok())
                .map_or(raw.len(), |n| n.min(raw.len())),
            EntryKind::Ptx => raw.iter().position(|&c| c == 0).unwrap_or(raw.len()),
            EntryKind::Other(_) => raw.len(),
        };
        Ok(match raw {
            Cow::Borrowed(s) => Cow::Borrowed(s.get(..len).unwrap_or(s)),
            Cow::Owned(mut v) => {
                v.truncate(len);
                Cow::Owned(v)
            }
        })
    }

    fn group_bytes(&self, group: usize, entry: usize, limit: u64) -> Result<Cow<'a, [u8]>> {
        let g = self.groups.get(group).ok_or(Error::FatbinBadField {
            what: "group index",
            offset: 0,
            value: u64::try_from(group).unwrap_or(u64::MAX),
        })?;
        Ok(match g.compression {
            Compression::None => Cow::Borrowed(g.stored),
            c => Cow::Owned(compress::decompress(
                entry,
                c,
                g.stored,
                g.uncompressed_size,
                limit,
            )?),
        })
    }

    /// A short listing of the images, e.g. `SASS sm_80, SASS sm_90a, PTX compute_120` (used in errors).
    pub fn summary(&self) -> String {
        if self.entries.is_empty() {
            return "no images".to_owned();
        }
        self.entries
            .iter()
            .map(|e| match e.kind {
                EntryKind::Elf => format!("SASS {}", e.target),
                EntryKind::Ptx => format!("PTX {}", e.target.compute_name()),
                EntryKind::Other(k) => format!("unknown kind {k:#x} for {}", e.target),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// What the host-ELF path needs of a section.
struct HostSection<'a> {
    name: &'a [u8],
    address: u64,
    offset: u64,
    size: u64,
    is_nobits: bool,
}

/// Every section of a host ELF with its name (the shared checked reader, [`crate::module::elf`]).
fn host_sections<'a>(elf: &Elf<'a>) -> Result<Vec<HostSection<'a>>> {
    let wrap = |e| Error::FatbinHostElf {
        source: Box::new(e),
    };
    elf.sections
        .iter()
        .skip(1)
        .map(|s| {
            Ok(HostSection {
                name: elf.section_name_bytes(s).map_err(wrap)?,
                address: s.address,
                offset: s.offset,
                size: s.size,
                is_nobits: s.kind == SHT_NOBITS,
            })
        })
        .collect()
}
