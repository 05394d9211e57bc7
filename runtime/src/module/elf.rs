//! A small, fully checked reader for little-endian ELF files: CUBINs (64-bit) and the host objects and
//! executables that carry fatbins (64- or 32-bit). One reader serves both [`super::cubin`] and [`super::fatbin`].
//!
//! Every offset and size is validated against the input; nothing here panics on any input. Field layouts are
//! those of the System V ELF specification (`Elf{32,64}_Ehdr`, `_Shdr`, `_Phdr`, `_Sym`, `_Rel`, `_Rela`).

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

/// ELF file class (`EI_CLASS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// `ELFCLASS32`.
    Elf32,
    /// `ELFCLASS64`.
    Elf64,
}

/// Offsets and sizes of one class's structures (System V ABI).
#[derive(Debug, Clone, Copy)]
struct Layout {
    ehdr: usize,
    shdr: usize,
    phdr: usize,
    sym: usize,
    rel: usize,
    rela: usize,
}

const LAYOUT64: Layout = Layout {
    ehdr: 64,
    shdr: 64,
    phdr: 56,
    sym: 24,
    rel: 16,
    rela: 24,
};
const LAYOUT32: Layout = Layout {
    ehdr: 52,
    shdr: 40,
    phdr: 32,
    sym: 16,
    rel: 8,
    rela: 12,
};

impl Class {
    fn layout(self) -> Layout {
        match self {
            Class::Elf32 => LAYOUT32,
            Class::Elf64 => LAYOUT64,
        }
    }

    /// An address-sized field (`Elf32_Addr`/`Elf64_Addr`, `_Off`, `_Xword`/`_Word` sizes) at `off`.
    fn word(self, data: &[u8], off: usize, what: &'static str) -> Result<u64> {
        match self {
            Class::Elf32 => u32_at(data, off, what).map(u64::from),
            Class::Elf64 => u64_at(data, off, what),
        }
    }
}

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
    let mut a = [0u8; 2];
    a.copy_from_slice(bytes_at(data, off, 2, what)?);
    Ok(u16::from_le_bytes(a))
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
    /// `sh_addr`.
    pub address: u64,
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
    /// 32- or 64-bit.
    pub class: Class,
    /// `(p_offset, p_filesz)` of every program header.
    pub segments: Vec<(u64, u64)>,
    /// `e_shoff` and `e_phoff` (both tables validated to lie inside the file).
    table_offsets: (usize, usize),
    /// The file header.
    pub header: Header,
    /// Every section header, index 0 included.
    pub sections: Vec<Section>,
    shstrtab: Option<usize>,
    symtab: Option<usize>,
}

impl<'a> Elf<'a> {
    /// Parses and validates the headers of `data` (32- or 64-bit, little-endian).
    pub fn parse(data: &'a [u8]) -> Result<Self> {
        let mut ident = [0u8; 16];
        ident.copy_from_slice(bytes_at(
            data,
            0,
            16,
            "file shorter than the ELF identification",
        )?);
        if ident[0..4] != [0x7f, b'E', b'L', b'F'] {
            return Err(malformed("missing ELF magic", 0));
        }
        let class = match ident[4] {
            1 => Class::Elf32,
            2 => Class::Elf64,
            c => {
                return Err(Error::UnsupportedCubin {
                    what: "ELF class (neither 32- nor 64-bit)",
                    found: c.to_string(),
                })
            }
        };
        if ident[5] != 1 {
            return Err(Error::UnsupportedCubin {
                what: "ELF data encoding (only little-endian)",
                found: ident[5].to_string(),
            });
        }
        let l = class.layout();
        bytes_at(data, 0, l.ehdr, "file shorter than the ELF header")?;
        // e_entry, e_phoff and e_shoff are address-sized; the fields after them shift with the class.
        let (phoff_at, shoff_at, flags_at) = match class {
            Class::Elf32 => (0x1c, 0x20, 0x24),
            Class::Elf64 => (0x20, 0x28, 0x30),
        };
        let tail = flags_at + 4; // e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx
        let header = Header {
            os_abi: ident[7],
            abi_version: ident[8],
            file_type: u16_at(data, 16, "e_type")?,
            machine: u16_at(data, 18, "e_machine")?,
            flags: u32_at(data, flags_at, "e_flags")?,
        };
        let shoff = to_usize(
            class.word(data, shoff_at, "e_shoff")?,
            "e_shoff out of range",
            shoff_at,
        )?;
        let shentsize = usize::from(u16_at(data, tail + 6, "e_shentsize")?);
        let shnum = usize::from(u16_at(data, tail + 8, "e_shnum")?);
        let shstrndx = usize::from(u16_at(data, tail + 10, "e_shstrndx")?);
        if shnum != 0 && shentsize != l.shdr {
            return Err(malformed(
                "e_shentsize is not the class's section header size",
                tail + 6,
            ));
        }
        let table_len = shnum
            .checked_mul(l.shdr)
            .ok_or_else(|| malformed("section table size overflows", tail + 8))?;
        bytes_at(
            data,
            shoff,
            table_len,
            "section header table outside the file",
        )?;
        // Program headers are not used for loading, but a table outside the file means a truncated image.
        let phoff = to_usize(
            class.word(data, phoff_at, "e_phoff")?,
            "e_phoff out of range",
            phoff_at,
        )?;
        let phentsize = usize::from(u16_at(data, tail + 2, "e_phentsize")?);
        let phnum = usize::from(u16_at(data, tail + 4, "e_phnum")?);
        let mut segments = Vec::with_capacity(phnum);
        if phnum != 0 {
            if phentsize != l.phdr {
                return Err(malformed(
                    "e_phentsize is not the class's program header size",
                    tail + 2,
                ));
            }
            bytes_at(
                data,
                phoff,
                phnum * l.phdr,
                "program header table outside the file",
            )?;
            for i in 0..phnum {
                let at = phoff + i * l.phdr; // in bounds: checked above
                let (off, filesz) = match class {
                    Class::Elf32 => (
                        u64::from(u32_at(data, at + 4, "p_offset")?),
                        u64::from(u32_at(data, at + 16, "p_filesz")?),
                    ),
                    Class::Elf64 => (
                        u64_at(data, at + 8, "p_offset")?,
                        u64_at(data, at + 32, "p_filesz")?,
                    ),
                };
                segments.push((off, filesz));
            }
        }
        let mut sections = Vec::with_capacity(shnum);
        for index in 0..shnum {
            let at = shoff + index * l.shdr; // in bounds: checked above
                                             // Elf32_Shdr: name, type, flags, addr, offset, size, link, info, addralign, entsize (all 4 bytes);
                                             // Elf64_Shdr: the same with 8-byte flags, addr, offset, size, addralign, entsize.
            let w = |i: usize, what| -> Result<u64> {
                match class {
                    Class::Elf32 => u32_at(data, at + 4 * i, what).map(u64::from),
                    Class::Elf64 => {
                        const OFFSETS: [usize; 10] = [0, 4, 8, 16, 24, 32, 40, 44, 48, 56];
                        let off = *OFFSETS.get(i).ok_or_else(|| malformed(what, at))?;
                        if i == 0 || i == 1 || i == 6 || i == 7 {
                            u32_at(data, at + off, what).map(u64::from)
                        } else {
                            u64_at(data, at + off, what)
                        }
                    }
                }
            };
            let w32 = |i: usize, what| -> Result<u32> {
                w(i, what).and_then(|v| u32::try_from(v).map_err(|_| malformed(what, at)))
            };
            let s = Section {
                index,
                address: w(3, "sh_addr")?,
                name_offset: w32(0, "sh_name")?,
                kind: w32(1, "sh_type")?,
                flags: w(2, "sh_flags")?,
                offset: w(4, "sh_offset")?,
                size: w(5, "sh_size")?,
                link: w32(6, "sh_link")?,
                info: w32(7, "sh_info")?,
                align: w(8, "sh_addralign")?,
                entsize: w(9, "sh_entsize")?,
            };
            if s.kind != SHT_NOBITS && index != 0 {
                let off = to_usize(s.offset, "section offset out of range", at)?;
                let len = to_usize(s.size, "section size out of range", at)?;
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
            class,
            segments,
            table_offsets: (shoff, phoff),
            header,
            sections,
            shstrtab,
            symtab,
        };
        if let Some((i, &s)) = symtab.and_then(|i| Some((i, elf.sections.get(i)?))) {
            if usize::try_from(s.entsize).ok() != Some(l.sym) {
                return Err(malformed(
                    "symbol table entry size is not the class's symbol size",
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
        index.saturating_mul(self.class.layout().shdr)
    }

    /// The byte length the file really covers: the ELF header, both header tables, every section with file
    /// data and every segment. Fatbin payloads are padded past this.
    pub fn extent(&self) -> u64 {
        let l = self.class.layout();
        let (shoff, phoff) = self.table_offsets;
        let table_end = |off: usize, n: usize, size: usize| {
            let end = if n == 0 {
                0
            } else {
                off.saturating_add(n.saturating_mul(size))
            };
            u64::try_from(end).unwrap_or(u64::MAX)
        };
        let mut end = u64::try_from(l.ehdr).unwrap_or(u64::MAX);
        end = end.max(table_end(shoff, self.sections.len(), l.shdr));
        end = end.max(table_end(phoff, self.segments.len(), l.phdr));
        for s in self
            .sections
            .iter()
            .skip(1)
            .filter(|s| s.kind != SHT_NOBITS && s.kind != 0)
        {
            end = end.max(s.offset.saturating_add(s.size));
        }
        for &(off, filesz) in &self.segments {
            end = end.max(off.saturating_add(filesz));
        }
        end
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

    /// A NUL-terminated string at `offset` in string-table section `strtab`, as UTF-8.
    pub fn string(&self, strtab: usize, offset: u32) -> Result<&'a str> {
        let s = self
            .sections
            .get(strtab)
            .ok_or_else(|| malformed("string table index out of range", 0))?;
        std::str::from_utf8(self.string_bytes(strtab, offset)?).map_err(|_| {
            malformed(
                "string is not UTF-8",
                usize::try_from(s.offset).unwrap_or(0),
            )
        })
    }

    /// A NUL-terminated string at `offset` in string-table section `strtab`, as bytes.
    pub fn string_bytes(&self, strtab: usize, offset: u32) -> Result<&'a [u8]> {
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
        Ok(rest.get(..end).unwrap_or(rest))
    }

    /// A section's name.
    pub fn section_name(&self, s: &Section) -> Result<&'a str> {
        match self.shstrtab {
            Some(i) => self.string(i, s.name_offset),
            None => Err(malformed("no section name table", 0)),
        }
    }

    /// A section's name as bytes (host objects need not use UTF-8).
    pub fn section_name_bytes(&self, s: &Section) -> Result<&'a [u8]> {
        match self.shstrtab {
            Some(i) => self.string_bytes(i, s.name_offset),
            None => Err(malformed("no section name table", 0)),
        }
    }

    /// Number of symbols (0 without a symbol table).
    pub fn symbol_count(&self) -> usize {
        self.symtab
            .and_then(|i| self.sections.get(i))
            .map_or(0, |s| {
                usize::try_from(s.size).unwrap_or(0) / self.class.layout().sym
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
        let at = index * self.class.layout().sym; // < data.len() by the check above
        Ok(match self.class {
            // Elf32_Sym: name, value, size, info, other, shndx.
            Class::Elf32 => Symbol {
                name_offset: u32_at(data, at, "st_name")?,
                value: u64::from(u32_at(data, at + 4, "st_value")?),
                size: u64::from(u32_at(data, at + 8, "st_size")?),
                info: u8_at(data, at + 12, "st_info")?,
                other: u8_at(data, at + 13, "st_other")?,
                section: u16_at(data, at + 14, "st_shndx")?,
            },
            // Elf64_Sym: name, info, other, shndx, value, size.
            Class::Elf64 => Symbol {
                name_offset: u32_at(data, at, "st_name")?,
                info: u8_at(data, at + 4, "st_info")?,
                other: u8_at(data, at + 5, "st_other")?,
                section: u16_at(data, at + 6, "st_shndx")?,
                value: u64_at(data, at + 8, "st_value")?,
                size: u64_at(data, at + 16, "st_size")?,
            },
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
        let l = self.class.layout();
        let (size, rela) = match s.kind {
            SHT_RELA => (l.rela, true),
            SHT_REL => (l.rel, false),
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
        let class = self.class;
        data.chunks_exact(size)
            .map(|e| {
                Ok(match class {
                    // Elf64: r_info = symbol << 32 | type; Elf32: r_info = symbol << 8 | type (8 bits).
                    Class::Elf64 => {
                        let info = u64_at(e, 8, "r_info")?;
                        Relocation {
                            offset: u64_at(e, 0, "r_offset")?,
                            symbol: u32::try_from(info >> 32)
                                .map_err(|_| malformed("r_info", 0))?,
                            kind: u32::try_from(info & 0xffff_ffff)
                                .map_err(|_| malformed("r_info", 0))?,
                            addend: if rela {
                                Some(i64::from_le_bytes(u64_at(e, 16, "r_addend")?.to_le_bytes()))
                            } else {
                                None
                            },
                        }
                    }
                    Class::Elf32 => {
                        let info = u32_at(e, 4, "r_info")?;
                        Relocation {
                            offset: u64::from(u32_at(e, 0, "r_offset")?),
                            symbol: info >> 8,
                            kind: info & 0xff,
                            addend: if rela {
                                Some(i64::from(i32::from_le_bytes(
                                    u32_at(e, 8, "r_addend")?.to_le_bytes(),
                                )))
                            } else {
                                None
                            },
                        }
                    }
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
        h[4] = 3;
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
    fn reads_a_32_bit_file() {
        // Elf32 header (52 bytes), then one section header table of 3 entries: null, .shstrtab, .data.
        let names = b"\0.shstrtab\0.data\0";
        let mut f = vec![0u8; 52];
        f[..4].copy_from_slice(b"\x7fELF");
        f[4] = 1;
        f[5] = 1;
        f[16..18].copy_from_slice(&1u16.to_le_bytes()); // ET_REL
        f[18..20].copy_from_slice(&3u16.to_le_bytes()); // EM_386
        let names_at = u32::try_from(f.len()).unwrap();
        f.extend_from_slice(names);
        let data_at = u32::try_from(f.len()).unwrap();
        f.extend_from_slice(b"payload!");
        let shoff = u32::try_from(f.len()).unwrap();
        f[0x20..0x24].copy_from_slice(&shoff.to_le_bytes());
        f[0x2e..0x30].copy_from_slice(&40u16.to_le_bytes());
        f[0x30..0x32].copy_from_slice(&3u16.to_le_bytes());
        f[0x32..0x34].copy_from_slice(&1u16.to_le_bytes());
        let shdr = |name: u32, kind: u32, addr: u32, off: u32, size: u32| {
            let mut h = [0u8; 40];
            for (i, v) in [name, kind, 0, addr, off, size, 0, 0, 1, 0]
                .iter()
                .enumerate()
            {
                h[4 * i..4 * i + 4].copy_from_slice(&v.to_le_bytes());
            }
            h
        };
        f.extend_from_slice(&[0u8; 40]);
        f.extend_from_slice(&shdr(
            1,
            3,
            0,
            names_at,
            u32::try_from(names.len()).unwrap(),
        ));
        f.extend_from_slice(&shdr(11, 1, 0x8000, data_at, 8));
        let elf = Elf::parse(&f).unwrap();
        assert_eq!(elf.class, Class::Elf32);
        let data = &elf.sections[2];
        assert_eq!(elf.section_name(data).unwrap(), ".data");
        assert_eq!(data.address, 0x8000);
        assert_eq!(elf.section_data(data).unwrap(), b"payload!");
        assert_eq!(elf.extent(), f.len() as u64);
        // One byte short of the table is an error, never a panic.
        assert!(matches!(
            Elf::parse(&f[..f.len() - 1]),
            Err(Error::MalformedCubin { .. })
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
