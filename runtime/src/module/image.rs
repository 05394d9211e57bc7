//! Placing a CUBIN at a device address: section layout, relocations, per-kernel launch data.
//!
//! The result is hardware independent: bytes to copy to device memory at `base`, the addresses of code and of
//! the module constant banks, and for each kernel what a launch descriptor (QMD) needs.

use super::cubin::{Cubin, Kernel, SectionRole};
use super::elf::{malformed, Section, SHT_NOBITS, SHT_REL, SHT_RELA};
use super::reloc::{self, RelocKind};
use crate::error::{Error, Result};

/// Alignment required of the load address (the largest section alignment in the corpus is 128; 256 leaves room).
pub const LOAD_ALIGN: u64 = 256;

/// Largest `sh_addralign` accepted for a loaded section.
const MAX_SECTION_ALIGN: u64 = 1 << 16;

/// Largest zero-initialised `.nv.global` accepted (it is described, not allocated, but must fit an address space).
const MAX_ZERO_FILL: u64 = 1 << 40;

/// Where one section of the CUBIN landed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// Section index in the CUBIN.
    pub section: usize,
    /// Section name.
    pub name: String,
    /// Its role.
    pub role: SectionRole,
    /// Device address.
    pub address: u64,
    /// Size in bytes.
    pub size: u64,
}

/// A module constant bank (`.nv.constant<N>`, N != 0) placed in the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConstBank {
    /// Bank number (3: `__constant__` data, 4: address table the relocations fill...).
    pub bank: u8,
    /// Device address of the bank's contents.
    pub address: u64,
    /// Size in bytes.
    pub size: u64,
}

/// One kernel, ready for a launch descriptor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelLaunch {
    /// Metadata from the CUBIN.
    pub meta: Kernel,
    /// Device address of the first instruction.
    pub code_address: u64,
    /// Constant bank 0 template (`.nv.constant0.<kernel>` with relocations applied); the launcher copies it,
    /// writes the driver fields and the arguments at `meta.param_base`, and binds it as bank 0.
    pub cbank0: Vec<u8>,
}

/// A CUBIN laid out at a load address with its relocations applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedImage {
    /// Load address (device virtual address of byte 0 of `bytes`).
    pub base: u64,
    /// File-backed contents, to copy to `base`.
    pub bytes: Vec<u8>,
    /// Total size including the zero-initialised tail (`.nv.global`) after `bytes`; the tail must be zeroed.
    pub size: u64,
    /// Where each loaded section went.
    pub placements: Vec<Placement>,
    /// Module constant banks.
    pub const_banks: Vec<ConstBank>,
    /// The kernels.
    pub kernels: Vec<KernelLaunch>,
    /// Relocation entries applied.
    pub relocations_applied: usize,
    /// Relocation entries skipped because they target sections that are not loaded (e.g. `.debug_frame`).
    pub relocations_skipped: usize,
}

impl LoadedImage {
    /// A kernel by name.
    pub fn kernel(&self, name: &str) -> Option<&KernelLaunch> {
        self.kernels.iter().find(|k| k.meta.name == name)
    }

    /// Device address of a placed section.
    pub fn section_address(&self, section: usize) -> Option<u64> {
        self.placements
            .iter()
            .find(|p| p.section == section)
            .map(|p| p.address)
    }
}

fn align_up(v: u64, align: u64) -> Option<u64> {
    let a = align.max(1);
    v.checked_add(a - 1).map(|x| x / a * a)
}

fn sec_off(s: &Section) -> usize {
    usize::try_from(s.offset).unwrap_or(usize::MAX)
}

/// Where a relocation writes.
enum Target {
    /// Offset into `bytes`.
    Image(usize),
    /// Index into the kernel list: that kernel's bank-0 template.
    Bank0(usize),
}

impl Cubin<'_> {
    /// Lays the image out at `base` and applies every relocation that targets a loaded section.
    ///
    /// Errors: a relocatable (`-rdc`) image, a relocation type this loader cannot apply, an external symbol it
    /// cannot resolve (e.g. `vprintf`: [`Error::UnresolvedSymbol`]), a misaligned or overflowing `base`.
    pub fn load(&self, base: u64) -> Result<LoadedImage> {
        if self.relocatable {
            return Err(Error::UnsupportedCubin {
                what:
                    "relocatable CUBIN (ET_REL, compiled with -rdc): link it with nvJitLink first",
                found: "ET_REL".into(),
            });
        }
        if base % LOAD_ALIGN != 0 {
            return Err(Error::BadLoadAddress {
                base,
                reason: "not aligned to 256 bytes",
            });
        }
        let elf = &self.elf;
        // File-backed sections first, then the zero-filled global data, so `bytes` is one prefix.
        let loaded: Vec<&Section> = elf.sections.iter().filter(|s| self.is_loaded(s)).collect();
        let order = loaded
            .iter()
            .filter(|s| s.kind != SHT_NOBITS)
            .chain(loaded.iter().filter(|s| s.kind == SHT_NOBITS));
        let mut placements = Vec::new();
        let mut cursor = 0u64;
        let mut file_end = 0u64;
        for s in order {
            if s.align > MAX_SECTION_ALIGN || (s.align > 1 && !s.align.is_power_of_two()) {
                return Err(malformed(
                    "section alignment is not a power of two up to 64 KiB",
                    sec_off(s),
                ));
            }
            if s.kind == SHT_NOBITS && s.size > MAX_ZERO_FILL {
                return Err(malformed("zero-initialised section too large", sec_off(s)));
            }
            let off = align_up(cursor, s.align)
                .ok_or_else(|| malformed("image size overflows", sec_off(s)))?;
            cursor = off
                .checked_add(s.size)
                .ok_or_else(|| malformed("image size overflows", sec_off(s)))?;
            if s.kind != SHT_NOBITS {
                file_end = cursor;
            }
            let address = base.checked_add(off).ok_or(Error::BadLoadAddress {
                base,
                reason: "image would overflow the address space",
            })?;
            placements.push(Placement {
                section: s.index,
                name: elf.section_name(s)?.to_string(),
                role: self
                    .roles
                    .get(s.index)
                    .copied()
                    .unwrap_or(SectionRole::Other),
                address,
                size: s.size,
            });
        }
        // Alignment padding is the only thing that can make the file-backed part larger than the input: bound it
        // so a small input cannot ask for a huge allocation.
        let input_len = u64::try_from(elf.bytes().len()).unwrap_or(u64::MAX);
        if file_end
            > input_len
                .saturating_mul(4)
                .saturating_add(MAX_SECTION_ALIGN)
        {
            return Err(malformed(
                "section alignment padding larger than the image allows",
                0,
            ));
        }
        base.checked_add(cursor).ok_or(Error::BadLoadAddress {
            base,
            reason: "image would overflow the address space",
        })?;
        // file_end <= sum of file-backed section sizes (+ alignment), each validated against the input.
        let mut bytes =
            vec![0u8; usize::try_from(file_end).map_err(|_| malformed("image too large", 0))?];
        for p in &placements {
            let Some(s) = elf.sections.get(p.section) else {
                continue;
            };
            if s.kind == SHT_NOBITS {
                continue;
            }
            let data = elf.section_data(s)?;
            let off = usize::try_from(p.address - base)
                .map_err(|_| malformed("image too large", sec_off(s)))?;
            let dst = bytes
                .get_mut(off..off + data.len())
                .ok_or_else(|| malformed("section placement", sec_off(s)))?;
            dst.copy_from_slice(data);
        }

        // Device address of each placed section, by section index.
        let mut address_of = vec![None; elf.sections.len()];
        for p in &placements {
            if let Some(slot) = address_of.get_mut(p.section) {
                *slot = Some(p.address);
            }
        }
        let mut kernels = Vec::with_capacity(self.kernels.len());
        for k in &self.kernels {
            let text = address_of
                .get(k.text_section)
                .copied()
                .flatten()
                .ok_or_else(|| malformed("kernel code section not loaded", 0))?;
            let cbank0 = match k.cbank0_section.and_then(|i| elf.sections.get(i)) {
                Some(s) => elf.section_data(s)?.to_vec(),
                None => Vec::new(),
            };
            kernels.push(KernelLaunch {
                meta: k.clone(),
                code_address: text
                    .checked_add(k.entry_offset)
                    .ok_or_else(|| malformed("kernel entry offset", 0))?,
                cbank0,
            });
        }

        let mut bank0_owner = vec![None; elf.sections.len()];
        for (ki, k) in kernels.iter().enumerate() {
            if let Some(slot) = k.meta.cbank0_section.and_then(|i| bank0_owner.get_mut(i)) {
                *slot = Some(ki);
            }
        }
        let mut applied = 0usize;
        let mut skipped = 0usize;
        for rs in elf
            .sections
            .iter()
            .filter(|s| s.kind == SHT_REL || s.kind == SHT_RELA)
        {
            let target_index = usize::try_from(rs.info)
                .map_err(|_| malformed("relocation target index", sec_off(rs)))?;
            let target_section = elf
                .sections
                .get(target_index)
                .ok_or_else(|| malformed("relocation target section out of range", sec_off(rs)))?;
            let target = if let Some(address) = address_of.get(target_index).copied().flatten() {
                if target_section.kind == SHT_NOBITS {
                    return Err(malformed(
                        "relocation targets a section without data",
                        sec_off(rs),
                    ));
                }
                Target::Image(
                    usize::try_from(address - base)
                        .map_err(|_| malformed("image too large", sec_off(rs)))?,
                )
            } else if let Some(ki) = bank0_owner.get(target_index).copied().flatten() {
                Target::Bank0(ki)
            } else {
                skipped = skipped.saturating_add(elf.relocations(rs)?.len());
                continue;
            };
            for r in elf.relocations(rs)? {
                let kind = RelocKind::from_u32(r.kind);
                let value_of_symbol = self.symbol_address(r.symbol, &address_of)?;
                let (buf, off): (&mut [u8], u64) = match target {
                    Target::Image(start) => {
                        let len = usize::try_from(target_section.size)
                            .map_err(|_| malformed("section size", sec_off(rs)))?;
                        let end = start
                            .checked_add(len)
                            .ok_or_else(|| malformed("section size", sec_off(rs)))?;
                        (
                            bytes
                                .get_mut(start..end)
                                .ok_or_else(|| malformed("section placement", sec_off(rs)))?,
                            r.offset,
                        )
                    }
                    Target::Bank0(ki) => match kernels.get_mut(ki) {
                        Some(k) => (&mut k.cbank0[..], r.offset),
                        None => continue,
                    },
                };
                let addend = match r.addend {
                    Some(a) => a,
                    None => reloc::implicit_addend(kind, buf, off)?,
                };
                let value = value_of_symbol.wrapping_add_signed(addend);
                reloc::apply(kind, buf, off, value)?;
                applied += 1;
            }
        }

        let const_banks = placements
            .iter()
            .filter_map(|p| match p.role {
                SectionRole::ConstBank(bank) => Some(ConstBank {
                    bank,
                    address: p.address,
                    size: p.size,
                }),
                _ => None,
            })
            .collect();
        Ok(LoadedImage {
            base,
            bytes,
            size: cursor,
            placements,
            const_banks,
            kernels,
            relocations_applied: applied,
            relocations_skipped: skipped,
        })
    }

    /// Address of symbol `index` in an image with `placements`.
    fn symbol_address(&self, index: u32, address_of: &[Option<u64>]) -> Result<u64> {
        let index = usize::try_from(index).map_err(|_| malformed("relocation symbol index", 0))?;
        let sym = self.elf.symbol(index)?;
        if sym.is_undefined() {
            if sym.is_weak() {
                return Ok(0);
            }
            return Err(Error::UnresolvedSymbol {
                symbol: self.elf.symbol_name(&sym)?.to_string(),
            });
        }
        const SHN_ABS: u16 = 0xfff1;
        if sym.section == SHN_ABS {
            return Ok(sym.value);
        }
        let sec = usize::from(sym.section);
        match address_of.get(sec).copied().flatten() {
            Some(a) => a
                .checked_add(sym.value)
                .ok_or_else(|| malformed("symbol address overflows", 0)),
            None => Err(Error::UnsupportedCubin {
                what: "relocation against a symbol in a section that is not loaded",
                found: format!("{} in section {sec}", self.elf.symbol_name(&sym)?),
            }),
        }
    }
}
