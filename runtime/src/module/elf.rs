//! A small, fully checked reader for 64-bit little-endian ELF files, as used by CUBINs.
//!
//! Every offset and size is validated against the input; nothing here panics on any input. Field layouts are
//! those of the System V ELF specification (`Elf64_Ehdr`, `Elf64_Shdr`, `Elf64_Sym`, `Elf64_Rel`, `Elf64_Rela`).

use crate::error::{Error, Result};

/// `e_machine` of CUDA ELF files (`EM_CUDA`).
pub const EM_CUDA: u16 = 190;
/// Section type: no data in the file (`SHT_NOBITS`).
pub const SHT_NOBITS: u32 = 8;
/// Section type: symbol table.
pub const SHT_SYMTAB: u32 = 2;
/// Section type: relocations with explicit addends.
pub const SHT_RELA: u32 = 4;
/// Section type: relocations with implicit addends.
pub const SHT_REL: u32 = 9;
/// Section flag: occupies memory at run time.
pub const SHF_ALLOC: u64 = 0x2;
/// Section flag: executable.
pub const SHF_EXECINSTR: u64 = 0x4;
/// `e_type` of an executable.
pub const ET_EXEC: u16 = 2;
/// `e_type` of a relocatable object.
pub const ET_REL: u16 = 1;

const EHDR_SIZE: usize = 64;
const SHDR_SIZE: usize = 64;
const SYM_SIZE: usize = 24;
const PHDR_SIZE: usize = 56;

pub(crate) fn malformed(what: &'static str, offset: usize) -> Error {
    Error::MalformedCubin {
        what,
        offset: u64::try_from(offset).unwrap_or(u64::MAX),
    }
}

/// Bounds-checked little-endian reads from a byte slice.
pub(crate) fn bytes_at<'a>(
    data: &'a [u8],
    off: usize,
    len: usize,
    what: &'static str,
) -> Result<&'a [u8]> {
    let end = off.checked_add(len).ok_or_else(|| malformed(what, off))?;
    data.get(off..end).ok_or_else(|| malformed(what, off))
}

pub(crate) fn u8_at(data: &[u8], off: usize, what: &'static str) -> Result<u8> {
    data.get(off).copied().ok_or_else(|| malformed(what, off))
}

pub(crate) fn u16_at(data: &[u8], off: usize, what: &'static str) -> Result<u16> {
    let b = bytes_at(data, off, 2, what)?;
    Ok(u16::from_le_bytes([b[0], b[1]]))
}

pub(crate) fn u32_at(data: &[u8], off: usize, what: &'static str) -> Result<u32> {
    let mut a = [0u8; 4];
    a.copy_from_slice(bytes_at(data, off, 4, what)?);
    Ok(u32::from_le_bytes(a))
}

pub(crate) fn u64_at(data: &[u8], off: usize, what: &'static str) -> Result<u64> {
    let mut a = [0u8; 8];
    a.copy_from_slice(bytes_at(data, off, 8, what)?);
    Ok(u64::from_le_bytes(a))
}

pub(crate) fn to_usize(v: u64, what: &'static str, at: usize) -> Result<usize> {
    usize::try_from(v).map_err(|_| malformed(what, at))
}

/// The ELF file header fields a CUBIN loader needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// `EI_OSABI` (0x33 or 0x41 for CUBINs).
    pub os_abi: u8,
    /// `EI_ABIVERSION` (7 or 8 for CUBINs).
    pub abi_version: u8,
    /// `e_type`.
    pub file_type: u16,
    /// `e_machine`.
    pub machine: u16,
    /// `e_flags` (architecture bits, see [`super::cubin`]).
    pub flags: u32,
}

/// One section header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Section {
    /// Index in the section header table.
    pub index: usize,
    /// Offset of the name in the section-name string table.
    pub name_offset: u32,
    /// `sh_type`.
    pub kind: u32,
    /// `sh_flags`.
    pub flags: u64,
    /// `sh_offset` (validated against the file for sections with data).
    pub offset: u64,
    /// `sh_size`.
    pub size: u64,
    /// `sh_link`.
    pub link: u32,
    /// `sh_info`.
    pub info: u32,
    /// `sh_addralign`.
    pub align: u64,
    /// `sh_entsize`.
    pub entsize: u64,
}

/// One symbol-table entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Symbol {
    /// Offset of the name in the symbol string table.
    pub name_offset: u32,
    /// `st_info` (binding in the high nibble, type in the low nibble).
    pub info: u8,
    /// `st_other` (CUDA stores `STO_CUDA_ENTRY` etc. here).
    pub other: u8,
    /// `st_shndx`.
    pub section: u16,
    /// `st_value`.
    pub value: u64,
    /// `st_size`.
    pub size: u64,
}

impl Symbol {
    /// Symbol type (`STT_*`).
    pub fn kind(&self) -> u8 {
        self.info & 0xf
    }
    /// Symbol binding (`STB_*`).
    pub fn binding(&self) -> u8 {
        self.info >> 4
    }
    /// `STB_WEAK`.
    pub fn is_weak(&self) -> bool {
        self.binding() == 2
    }
    /// Undefined (`SHN_UNDEF`).
    pub fn is_undefined(&self) -> bool {
        self.section == 0
    }
}

/// One relocation entry (REL entries have `addend: None`: the addend is read from the target).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Relocation {
    /// `r_offset`: byte offset in the target section.
    pub offset: u64,
    /// Symbol-table index.
    pub symbol: u32,
    /// Relocation type (`R_CUDA_*`).
    pub kind: u32,
    /// Explicit addend (RELA) or none (REL).
    pub addend: Option<i64>,
}

/// A parsed, validated ELF file borrowing its bytes.
#[derive(Debug, Clone)]
pub struct Elf<'a> {
    data: &'a [u8],
    /// The file header.
    pub header: Header,
    /// Every section header, index 0 included.
    pub sections: Vec<Section>,
    shstrtab: Option<usize>,
    symtab: Option<usize>,
}

impl<'a> Elf<'a> {
    /// Parses and validates the headers of `data`. Only ELFCLASS64, little-endian files are accepted.
    pub fn parse(data: &'a [u8]) -> Result<Self> {
        let ident = bytes_at(data, 0, 16, "file shorter than the ELF identification")?;
        if ident[0..4] != [0x7f, b'E', b'L', b'F'] {
            return Err(malformed("missing ELF magic", 0));
        }
        if ident[4] != 2 {
            return Err(Error::UnsupportedCubin {
                what: "ELF class (only 64-bit CUBINs)",
                found: ident[4].to_string(),
            });
        }
        if ident[5] != 1 {
            return Err(Error::UnsupportedCubin {
                what: "ELF data encoding (only little-endian)",
                found: ident[5].to_string(),
            });
        }
        bytes_at(data, 0, EHDR_SIZE, "file shorter than the ELF header")?;
        let header = Header {
            os_abi: ident[7],
            abi_version: ident[8],
            file_type: u16_at(data, 16, "e_type")?,
            machine: u16_at(data, 18, "e_machine")?,
            flags: u32_at(data, 48, "e_flags")?,
        };
        let shoff = to_usize(u64_at(data, 40, "e_shoff")?, "e_shoff out of range", 40)?;
        let shentsize = usize::from(u16_at(data, 58, "e_shentsize")?);
        let shnum = usize::from(u16_at(data, 60, "e_shnum")?);
        let shstrndx = usize::from(u16_at(data, 62, "e_shstrndx")?);
        if shnum != 0 && shentsize != SHDR_SIZE {
            return Err(malformed("e_shentsize is not 64", 58));
        }
        let table_len = shnum
            .checked_mul(SHDR_SIZE)
            .ok_or_else(|| malformed("section table size overflows", 60))?;
        bytes_at(
            data,
            shoff,
            table_len,
            "section header table outside the file",
        )?;
        // Program headers are not used for loading, but a table outside the file means a truncated image.
        let phoff = to_usize(u64_at(data, 32, "e_phoff")?, "e_phoff out of range", 32)?;
        let phentsize = usize::from(u16_at(data, 54, "e_phentsize")?);
        let phnum = usize::from(u16_at(data, 56, "e_phnum")?);
        if phnum != 0 {
            if phentsize != PHDR_SIZE {
                return Err(malformed("e_phentsize is not 56", 54));
            }
            bytes_at(
                data,
                phoff,
                phnum * PHDR_SIZE,
                "program header table outside the file",
            )?;
        }
        let mut sections = Vec::with_capacity(shnum);
        for index in 0..shnum {
            let at = shoff + index * SHDR_SIZE; // in bounds: checked above
            let s = Section {
                index,
                name_offset: u32_at(data, at, "sh_name")?,
                kind: u32_at(data, at + 4, "sh_type")?,
                flags: u64_at(data, at + 8, "sh_flags")?,
                offset: u64_at(data, at + 24, "sh_offset")?,
                size: u64_at(data, at + 32, "sh_size")?,
                link: u32_at(data, at + 40, "sh_link")?,
                info: u32_at(data, at + 44, "sh_info")?,
                align: u64_at(data, at + 48, "sh_addralign")?,
                entsize: u64_at(data, at + 56, "sh_entsize")?,
            };
            if s.kind != SHT_NOBITS && index != 0 {
                let off = to_usize(s.offset, "section offset out of range", at + 24)?;
                let len = to_usize(s.size, "section size out of range", at + 32)?;
                bytes_at(data, off, len, "section data outside the file")?;
            }
            sections.push(s);
        }
        let shstrtab = if shnum == 0 {
            None
        } else if shstrndx < shnum && shstrndx != 0 {
            Some(shstrndx)
        } else {
            return Err(malformed("e_shstrndx is not a section", 62));
        };
        let symtab = sections.iter().position(|s| s.kind == SHT_SYMTAB);
        let elf = Elf {
            data,
            header,
            sections,
            shstrtab,
            symtab,
        };
        if let Some(i) = symtab {
            let s = elf.sections[i];
            if s.entsize != SYM_SIZE as u64 {
                return Err(malformed(
                    "symbol table entry size is not 24",
                    elf.shdr_offset(i),
                ));
            }
            elf.section_by_index(
                usize::try_from(s.link).map_err(|_| malformed("bad symtab link", 0))?,
            )
            .ok_or_else(|| {
                malformed("symbol table links to no string table", elf.shdr_offset(i))
            })?;
        }
        Ok(elf)
    }

    /// The whole file.
    pub fn bytes(&self) -> &'a [u8] {
        self.data
    }

    fn shdr_offset(&self, index: usize) -> usize {
        // Only used for error positions: approximate on overflow.
        index.saturating_mul(SHDR_SIZE)
    }

    /// The section at `index`, if any.
    pub fn section_by_index(&self, index: usize) -> Option<&Section> {
        self.sections.get(index)
    }

    /// A section's file contents (empty for `SHT_NOBITS` sections).
    pub fn section_data(&self, s: &Section) -> Result<&'a [u8]> {
        if s.kind == SHT_NOBITS || s.index == 0 {
            return Ok(&[]);
        }
        let off = to_usize(s.offset, "section offset out of range", 0)?;
        let len = to_usize(s.size, "section size out of range", 0)?;
        bytes_at(self.data, off, len, "section data outside the file")
    }

    /// A NUL-terminated string at `offset` in string-table section `strtab`.
    pub fn string(&self, strtab: usize, offset: u32) -> Result<&'a str> {
        let s = self
            .sections
            .get(strtab)
            .ok_or_else(|| malformed("string table index out of range", 0))?;
        let table = self.section_data(s)?;
        let start =
            usize::try_from(offset).map_err(|_| malformed("string offset out of range", 0))?;
        let rest = table.get(start..).ok_or_else(|| {
            malformed(
                "string offset outside its table",
                usize::try_from(s.offset).unwrap_or(0),
            )
        })?;
        let end = rest.iter().position(|&b| b == 0).ok_or_else(|| {
            malformed(
                "unterminated string",
                usize::try_from(s.offset).unwrap_or(0),
            )
        })?;
        std::str::from_utf8(&rest[..end]).map_err(|_| {
            malformed(
                "string is not UTF-8",
                usize::try_from(s.offset).unwrap_or(0),
            )
        })
    }

    /// A section's name.
    pub fn section_name(&self, s: &Section) -> Result<&'a str> {
        match self.shstrtab {
            Some(i) => self.string(i, s.name_offset),
            None => Err(malformed("no section name table", 0)),
        }
    }

    /// Number of symbols (0 without a symbol table).
    pub fn symbol_count(&self) -> usize {
        self.symtab
            .and_then(|i| self.sections.get(i))
            .map_or(0, |s| {
                usize::try_from(s.size / SYM_SIZE as u64).unwrap_or(0)
            })
    }

    /// Symbol `index` of the symbol table.
    pub fn symbol(&self, index: usize) -> Result<Symbol> {
        let st = self
            .symtab
            .and_then(|i| self.sections.get(i))
            .ok_or_else(|| malformed("no symbol table", 0))?;
        if index >= self.symbol_count() {
            return Err(malformed(
                "symbol index out of range",
                usize::try_from(st.offset).unwrap_or(0),
            ));
        }
        let data = self.section_data(st)?;
        let at = index * SYM_SIZE; // < data.len() by the check above
        Ok(Symbol {
            name_offset: u32_at(data, at, "st_name")?,
            info: u8_at(data, at + 4, "st_info")?,
            other: u8_at(data, at + 5, "st_other")?,
            section: u16_at(data, at + 6, "st_shndx")?,
            value: u64_at(data, at + 8, "st_value")?,
            size: u64_at(data, at + 16, "st_size")?,
        })
    }

    /// A symbol's name.
    pub fn symbol_name(&self, sym: &Symbol) -> Result<&'a str> {
        let st = self
            .symtab
            .and_then(|i| self.sections.get(i))
            .ok_or_else(|| malformed("no symbol table", 0))?;
        let link = usize::try_from(st.link).map_err(|_| malformed("bad symtab link", 0))?;
        self.string(link, sym.name_offset)
    }

    /// The entries of a REL or RELA section.
    pub fn relocations(&self, s: &Section) -> Result<Vec<Relocation>> {
        let (size, rela) = match s.kind {
            SHT_RELA => (24usize, true),
            SHT_REL => (16usize, false),
            _ => {
                return Err(malformed(
                    "not a relocation section",
                    usize::try_from(s.offset).unwrap_or(0),
                ))
            }
        };
        let data = self.section_data(s)?;
        if data.len() % size != 0 {
            return Err(malformed(
                "relocation section size is not a multiple of its entry size",
                usize::try_from(s.offset).unwrap_or(0),
            ));
        }
        data.chunks_exact(size)
            .map(|e| {
                let info = u64_at(e, 8, "r_info")?;
                Ok(Relocation {
                    offset: u64_at(e, 0, "r_offset")?,
                    symbol: u32::try_from(info >> 32).map_err(|_| malformed("r_info", 0))?,
                    kind: u32::try_from(info & 0xffff_ffff).map_err(|_| malformed("r_info", 0))?,
                    addend: if rela {
                        Some(i64::from_le_bytes(u64_at(e, 16, "r_addend")?.to_le_bytes()))
                    } else {
                        None
                    },
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_short_and_foreign_files() {
        assert!(matches!(Elf::parse(&[]), Err(Error::MalformedCubin { .. })));
        assert!(matches!(
            Elf::parse(b"\x7fELF"),
            Err(Error::MalformedCubin { .. })
        ));
        let mut h = [0u8; 64];
        h[..4].copy_from_slice(b"\x7fELF");
        h[4] = 1;
        assert!(matches!(
            Elf::parse(&h),
            Err(Error::UnsupportedCubin { .. })
        ));
        h[4] = 2;
        h[5] = 2;
        assert!(matches!(
            Elf::parse(&h),
            Err(Error::UnsupportedCubin { .. })
        ));
    }

    #[test]
    fn section_table_outside_file_is_an_error() {
        let mut h = [0u8; 64];
        h[..4].copy_from_slice(b"\x7fELF");
        h[4] = 2;
        h[5] = 1;
        h[40..48].copy_from_slice(&u64::MAX.to_le_bytes());
        h[58] = 64;
        h[60] = 1;
        assert!(matches!(Elf::parse(&h), Err(Error::MalformedCubin { .. })));
    }
}
