//! Section tables of the ELF containers NVIDIA uses as key/value archives (GSP-RM images, FMC
//! images), read with the `object` crate.

use crate::error::{Error, Result};
use object::{Object, ObjectSection};

/// One section of an ELF archive.
#[derive(Debug, Clone, Copy)]
pub struct ElfSection<'a> {
    /// Section name (`.fwimage`, `hash`, ...).
    pub name: &'a str,
    /// Offset of the section's bytes in the file.
    pub offset: u64,
    /// Section contents (empty for `SHT_NOBITS`).
    pub data: &'a [u8],
}

/// Section metadata for reports.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct SectionInfo {
    pub name: String,
    pub offset: u64,
    pub size: u64,
}

impl From<&ElfSection<'_>> for SectionInfo {
    fn from(s: &ElfSection<'_>) -> Self {
        Self {
            name: s.name.to_owned(),
            offset: s.offset,
            size: crate::reader::u64_of(s.data.len()),
        }
    }
}

/// ELF word size of a file (checked from `e_ident[EI_CLASS]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElfClass {
    Elf32,
    Elf64,
}

/// All named sections of the ELF image `data`, with their contents bounds-checked.
pub fn sections<'a>(what: &'static str, data: &'a [u8]) -> Result<(ElfClass, Vec<ElfSection<'a>>)> {
    let file = object::File::parse(data).map_err(|source| Error::Elf { what, source })?;
    let class = if file.is_64() {
        ElfClass::Elf64
    } else {
        ElfClass::Elf32
    };
    if !matches!(file.format(), object::BinaryFormat::Elf) {
        return Err(Error::BadMagic {
            what,
            expected: 0x7f45_4c46,
            found: 0,
        });
    }
    let mut out = Vec::new();
    for s in file.sections() {
        let name = s.name().map_err(|source| Error::Elf { what, source })?;
        if name.is_empty() {
            continue;
        }
        let data = s.data().map_err(|source| Error::Elf { what, source })?;
        let offset = s.file_range().map_or(0, |(o, _)| o);
        out.push(ElfSection { name, offset, data });
    }
    Ok((class, out))
}

/// The section called `name`.
pub fn find<'a>(
    what: &'static str,
    sections: &[ElfSection<'a>],
    name: &str,
) -> Result<ElfSection<'a>> {
    sections
        .iter()
        .find(|s| s.name == name)
        .copied()
        .ok_or_else(|| Error::MissingSection {
            what,
            section: name.to_owned(),
        })
}

/// True if `data` starts with the ELF magic.
pub fn is_elf(data: &[u8]) -> bool {
    data.starts_with(b"\x7fELF")
}
