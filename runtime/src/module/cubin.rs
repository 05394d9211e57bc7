//! CUBIN parsing: architecture, per-kernel launch metadata, constant banks, global data.
//!
//! Two ELF layouts exist (both checked on CUBINs from NVRTC 12.9 and 13.4, see `runtime/tests/cubin_vs_cuobjdump.rs`):
//! - `EI_OSABI` 0x33, ABI version 7 (CUDA <= 12.x, sm < 100): SM number in `e_flags` bits 0-7, virtual SM in bits
//!   16-23, bit 0x800 marks an architecture-specific (`sm_XXa`) image.
//! - `EI_OSABI` 0x41, ABI version 8 (CUDA 13 for every SM; CUDA 12.8+ for sm_100 and newer): SM number in `e_flags`
//!   bits 8-15. CUDA 12.9 marks `sm_XXa` with `e_flags` bit 0x8; CUDA 13 leaves `e_flags` alone and sets
//!   `EICOMPAT_ATTR_CUDA_ACCELERATOR_TARGET` (id 9) to 1 in `.nv.compat`.

use super::elf::{
    self, malformed, Elf, Section, SHF_ALLOC, SHF_EXECINSTR, SHT_NOBITS, SHT_REL, SHT_RELA,
};
use super::nvinfo::{self, AttrId, Attribute, Format, ParamInfo};
use crate::error::{Error, Result};

/// Which CUBIN ELF layout an image uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElfLayout {
    /// `EI_OSABI` 0x33, ABI version 7.
    V7,
    /// `EI_OSABI` 0x41, ABI version 8.
    V8,
}

/// The GPU architecture an image was compiled for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmArch {
    /// SM number, e.g. 90 for sm_90.
    pub sm: u32,
    /// True for architecture-specific images (`sm_90a`, `sm_100a`...), which run only on that exact SM.
    pub arch_specific: bool,
}

impl std::fmt::Display for SmArch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "sm_{}{}",
            self.sm,
            if self.arch_specific { "a" } else { "" }
        )
    }
}

/// A kernel parameter: its place in the parameter block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param {
    /// Position in the parameter list.
    pub ordinal: u16,
    /// Byte offset from the start of the parameter block.
    pub offset: u16,
    /// Size in bytes.
    pub size: u16,
    /// log2 of the pointee alignment the compiler assumed (0 if none).
    pub log_alignment: u8,
}

/// Per-kernel metadata: everything needed to build a launch descriptor (QMD) for the kernel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kernel {
    /// Symbol name (mangled for C++ kernels).
    pub name: String,
    /// Symbol-table index of the kernel's entry symbol.
    pub symbol: usize,
    /// Section index of `.text.<name>`.
    pub text_section: usize,
    /// Entry point offset within the text section (`st_value`).
    pub entry_offset: u64,
    /// Size of `.text.<name>` in bytes.
    pub code_size: u64,
    /// Registers per thread (`EIATTR_REGCOUNT`, else `sh_info >> 24` of the text section).
    pub registers: u32,
    /// Static shared memory in bytes (`.nv.shared.<name>`; on sm_90+ this includes the 1 KiB the compiler
    /// reserves, as `cuobjdump -res-usage` shows).
    pub shared_bytes: u64,
    /// Per-thread stack (local memory) bytes the kernel needs (`EIATTR_MIN_STACK_SIZE`).
    pub stack_bytes: u32,
    /// The kernel's own frame size (`EIATTR_FRAME_SIZE`).
    pub frame_bytes: u32,
    /// Per-thread `.nv.local.<name>` bytes (old-style local data; usually 0).
    pub local_bytes: u64,
    /// Call-return stack size (`EIATTR_CRS_STACK_SIZE`), if given.
    pub crs_stack_bytes: Option<u32>,
    /// Maximum block size (`__launch_bounds__`, `EIATTR_MAX_THREADS`).
    pub max_threads: Option<[u32; 3]>,
    /// Required block size (`.reqntid`, `EIATTR_REQNTID`).
    pub required_threads: Option<[u32; 3]>,
    /// Register limit (`EIATTR_MAXREG_COUNT`).
    pub max_registers: Option<u32>,
    /// Named barriers used (`EIATTR_NUM_BARRIERS`; 0 if absent).
    pub barriers: u32,
    /// Offsets of `EXIT` instructions in the text section.
    pub exit_offsets: Vec<u32>,
    /// Compile-time cluster dimensions (`__cluster_dims__`, `EIATTR_CTA_PER_CLUSTER`).
    pub cluster_dims: Option<[u32; 3]>,
    /// The kernel must be launched with clusters (`EIATTR_EXPLICIT_CLUSTER`).
    pub explicit_cluster: bool,
    /// Parameter block size in bytes (`EIATTR_CBANK_PARAM_SIZE`).
    pub param_bytes: u32,
    /// Offset of the parameter block in constant bank 0 (`EIATTR_PARAM_CBANK`). On the corpus: 0x140 (sm_61),
    /// 0x160 (sm_70 to sm_89), 0x210 (sm_90/sm_90a), 0x380 (sm_100, sm_120 and their `a` variants), the same
    /// from CUDA 12.9 and 13.4. None when the image has no PARAM_CBANK record.
    pub param_base: Option<u32>,
    /// Parameters in ordinal order.
    pub params: Vec<Param>,
    /// Section index of `.nv.constant0.<name>` (the template of constant bank 0), if present.
    pub cbank0_section: Option<usize>,
    /// Size of constant bank 0 (`.nv.constant0.<name>`).
    pub cbank0_bytes: u64,
    /// External symbols the kernel calls (`EIATTR_EXTERNS`), e.g. `vprintf`.
    pub externs: Vec<String>,
    /// Every attribute of `.nv.info.<name>` and the kernel's records of `.nv.info`, known or not.
    pub attributes: Vec<RawAttribute>,
}

/// An attribute record kept verbatim (for display and for ids this loader does not interpret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawAttribute {
    /// The id.
    pub id: AttrId,
    /// The format.
    pub format: Format,
    /// Header value (or payload size for sized records).
    pub value: u16,
    /// Payload bytes.
    pub payload: Vec<u8>,
}

impl RawAttribute {
    fn from(a: &Attribute<'_>) -> Self {
        RawAttribute {
            id: a.id,
            format: a.format,
            value: a.value,
            payload: a.payload.to_vec(),
        }
    }

    /// `EIATTR_*` name without the prefix, if known.
    pub fn name(&self) -> Option<&'static str> {
        self.id.info_name()
    }
}

/// What a section is for, as far as loading is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SectionRole {
    /// `.text.<kernel or function>`: code.
    Code,
    /// `.nv.constant0.<kernel>`: constant bank 0 template (bound per launch, not placed in the image).
    ConstBank0,
    /// `.nv.constant<N>` (N = 2, 3, 4...): module-wide constant bank N contents.
    ConstBank(u8),
    /// `.nv.global.init`: initialised global data.
    GlobalInit,
    /// `.nv.global`: zero-initialised global data.
    Global,
    /// `.nv.shared.*`: shared memory layout (no storage in the image).
    Shared,
    /// `.nv.local.*`: per-thread local data layout (no storage in the image).
    Local,
    /// Anything else (info, symbols, debug...): not loaded.
    Other,
}

/// A parsed CUBIN.
#[derive(Debug, Clone)]
pub struct Cubin<'a> {
    /// The underlying ELF file.
    pub elf: Elf<'a>,
    /// Which layout.
    pub layout: ElfLayout,
    /// Target architecture.
    pub arch: SmArch,
    /// Whether the file is relocatable (`ET_REL`, from `-rdc`); such images need linking first.
    pub relocatable: bool,
    /// The kernels, in symbol-table order.
    pub kernels: Vec<Kernel>,
    /// Attributes of `.nv.info` that belong to no kernel.
    pub module_attributes: Vec<RawAttribute>,
    /// Attributes of `.nv.compat`.
    pub compat_attributes: Vec<RawAttribute>,
    /// Role of each section, by section index.
    pub roles: Vec<SectionRole>,
}

fn unsupported(what: &'static str, found: impl std::fmt::Display) -> Error {
    Error::UnsupportedCubin {
        what,
        found: found.to_string(),
    }
}

fn section_offset(s: &Section) -> usize {
    usize::try_from(s.offset).unwrap_or(usize::MAX)
}

fn role_of(name: &str, s: &Section) -> SectionRole {
    if s.flags & SHF_EXECINSTR != 0 && name.starts_with(".text") {
        SectionRole::Code
    } else if name.starts_with(".nv.constant0") {
        SectionRole::ConstBank0
    } else if let Some(rest) = name.strip_prefix(".nv.constant") {
        match rest.parse::<u8>() {
            Ok(n) => SectionRole::ConstBank(n),
            Err(_) => SectionRole::Other,
        }
    } else if name == ".nv.global.init" {
        SectionRole::GlobalInit
    } else if name == ".nv.global" {
        SectionRole::Global
    } else if name.starts_with(".nv.shared.") {
        SectionRole::Shared
    } else if name.starts_with(".nv.local.") {
        SectionRole::Local
    } else {
        SectionRole::Other
    }
}

/// `STO_CUDA_ENTRY`: `st_other` bit of a kernel entry symbol (value 0x10, as `nvdisasm` shows `STO_CUDA_ENTRY`).
const STO_CUDA_ENTRY: u8 = 0x10;
const STT_FUNC: u8 = 2;

fn dims(a: &Attribute<'_>) -> Result<[u32; 3]> {
    if a.payload.len() != 12 {
        return Err(malformed(
            "dimension attribute payload is not 12 bytes",
            a.offset,
        ));
    }
    Ok([a.word(0)?, a.word(1)?, a.word(2)?])
}

impl<'a> Cubin<'a> {
    /// Parses a CUBIN. Errors name what is wrong or unsupported; never panics.
    pub fn parse(data: &'a [u8]) -> Result<Self> {
        let elf = Elf::parse(data)?;
        if elf.class != elf::Class::Elf64 {
            return Err(unsupported("ELF class (only 64-bit CUBINs)", "ELFCLASS32"));
        }
        let h = elf.header;
        if h.machine != elf::EM_CUDA {
            return Err(unsupported(
                "ELF machine (expected EM_CUDA = 190)",
                h.machine,
            ));
        }
        let layout = match (h.os_abi, h.abi_version) {
            (0x33, 7) => ElfLayout::V7,
            (0x41, 8) => ElfLayout::V8,
            (abi, ver) => {
                return Err(unsupported(
                    "CUBIN OS ABI / ABI version (expected 0x33/7 or 0x41/8)",
                    format!("{abi:#x}/{ver}"),
                ))
            }
        };
        let relocatable = match h.file_type {
            elf::ET_EXEC => false,
            elf::ET_REL => true,
            t => return Err(unsupported("ELF type (expected ET_EXEC or ET_REL)", t)),
        };

        let mut roles = Vec::with_capacity(elf.sections.len());
        let mut names = Vec::with_capacity(elf.sections.len());
        for s in &elf.sections {
            let name = if s.index == 0 {
                ""
            } else {
                elf.section_name(s)?
            };
            roles.push(role_of(name, s));
            names.push(name);
        }

        let mut compat_attributes = Vec::new();
        let mut module_info: Vec<Attribute<'a>> = Vec::new();
        for (s, name) in elf.sections.iter().zip(&names) {
            if *name == ".nv.compat" {
                compat_attributes = nvinfo::parse(elf.section_data(s)?)?
                    .iter()
                    .map(RawAttribute::from)
                    .collect();
            } else if *name == ".nv.info" {
                module_info.extend(nvinfo::parse(elf.section_data(s)?)?);
            }
        }

        let arch = match layout {
            ElfLayout::V7 => SmArch {
                sm: h.flags & 0xff,
                arch_specific: h.flags & 0x800 != 0,
            },
            ElfLayout::V8 => SmArch {
                sm: h.flags >> 8 & 0xff,
                arch_specific: h.flags & 0x8 != 0
                    || compat_attributes
                        .iter()
                        .any(|a| a.id == AttrId::COMPAT_ACCELERATOR_TARGET && a.value == 1),
            },
        };

        // Per-kernel sections name their code section in sh_info (checked on every per-kernel section of the
        // corpus); the name suffix must agree.
        let mut per_text = vec![PerKernelSections::default(); elf.sections.len()];
        for (s, name) in elf.sections.iter().zip(&names) {
            let suffix = [".nv.info.", ".nv.constant0.", ".nv.local.", ".nv.shared."]
                .iter()
                .find_map(|pre| name.strip_prefix(pre));
            let Some(suffix) = suffix else { continue };
            if name.starts_with(".nv.shared.reserved.") {
                continue;
            }
            let text = usize::try_from(s.info)
                .ok()
                .filter(|&t| names.get(t).and_then(|n| n.strip_prefix(".text.")) == Some(suffix));
            let Some(text) = text else {
                return Err(malformed(
                    "per-kernel section's sh_info does not name its .text section",
                    section_offset(s),
                ));
            };
            if let Some(p) = per_text.get_mut(text) {
                let slot = if name.starts_with(".nv.info.") {
                    &mut p.info
                } else if name.starts_with(".nv.constant0.") {
                    &mut p.cbank0
                } else if name.starts_with(".nv.local.") {
                    &mut p.local
                } else {
                    &mut p.shared
                };
                *slot = Some(s.index);
            }
        }
        // Module records keyed by kernel symbol, sorted for lookup.
        let mut by_symbol: Vec<(usize, usize)> = module_info
            .iter()
            .enumerate()
            .filter_map(|(i, a)| kernel_record_symbol(a).map(|sym| (sym, i)))
            .collect();
        by_symbol.sort_unstable();

        // Kernels: STT_FUNC symbols with STO_CUDA_ENTRY, defined in an executable section.
        let mut kernels = Vec::new();
        let mut text_has_kernel = vec![false; elf.sections.len()];
        for i in 0..elf.symbol_count() {
            let sym = elf.symbol(i)?;
            if sym.kind() != STT_FUNC || sym.other & STO_CUDA_ENTRY == 0 || sym.is_undefined() {
                continue;
            }
            let text_section = usize::from(sym.section);
            let text = elf
                .section_by_index(text_section)
                .ok_or_else(|| malformed("kernel symbol's section index out of range", 0))?;
            if roles.get(text_section) != Some(&SectionRole::Code) {
                return Err(malformed(
                    "kernel symbol is not in a .text section",
                    section_offset(text),
                ));
            }
            // One kernel per code section (its per-kernel sections hang off the section, not the symbol).
            match text_has_kernel.get_mut(text_section) {
                Some(seen @ false) => *seen = true,
                _ => {
                    return Err(malformed(
                        "two kernel entry symbols in one .text section",
                        section_offset(text),
                    ))
                }
            }
            let name = elf.symbol_name(&sym)?.to_string();
            let first = by_symbol.partition_point(|&(sym, _)| sym < i);
            let records: Vec<&Attribute<'a>> = by_symbol
                .get(first..)
                .unwrap_or_default()
                .iter()
                .take_while(|&&(sym, _)| sym == i)
                .filter_map(|&(_, r)| module_info.get(r))
                .collect();
            let sections = per_text.get(text_section).copied().unwrap_or_default();
            kernels.push(Self::kernel(&elf, sections, records, i, name, text)?);
        }
        let mut kernel_symbols: Vec<usize> = kernels.iter().map(|k| k.symbol).collect();
        kernel_symbols.sort_unstable();
        let module_attributes = module_info
            .iter()
            .filter(|a| {
                !kernel_record_symbol(a)
                    .is_some_and(|sym| kernel_symbols.binary_search(&sym).is_ok())
            })
            .map(RawAttribute::from)
            .collect();
        Ok(Cubin {
            elf,
            layout,
            arch,
            relocatable,
            kernels,
            module_attributes,
            compat_attributes,
            roles,
        })
    }

    fn kernel(
        elf: &Elf<'a>,
        sections: PerKernelSections,
        module_records: Vec<&Attribute<'a>>,
        symbol: usize,
        name: String,
        text: &Section,
    ) -> Result<Kernel> {
        let sym = elf.symbol(symbol)?;
        let mut k = Kernel {
            name: name.clone(),
            symbol,
            text_section: text.index,
            entry_offset: sym.value,
            code_size: text.size,
            registers: text.info >> 24,
            shared_bytes: 0,
            stack_bytes: 0,
            frame_bytes: 0,
            local_bytes: 0,
            crs_stack_bytes: None,
            max_threads: None,
            required_threads: None,
            max_registers: None,
            barriers: 0,
            exit_offsets: Vec::new(),
            cluster_dims: None,
            explicit_cluster: false,
            param_bytes: 0,
            param_base: None,
            params: Vec::new(),
            cbank0_section: None,
            cbank0_bytes: 0,
            externs: Vec::new(),
            attributes: Vec::new(),
        };
        if let Some(i) = sections.shared {
            k.shared_bytes = elf.sections.get(i).map_or(0, |s| s.size);
        }
        if let Some(i) = sections.local {
            k.local_bytes = elf.sections.get(i).map_or(0, |s| s.size);
        }
        if let Some(i) = sections.cbank0 {
            k.cbank0_section = Some(i);
            k.cbank0_bytes = elf.sections.get(i).map_or(0, |s| s.size);
        }
        // Module-level records that name this kernel: u32 symbol index, u32 value.
        for a in module_records {
            let v = a.word(1)?;
            match a.id {
                AttrId::REGCOUNT => k.registers = v,
                AttrId::FRAME_SIZE => k.frame_bytes = v,
                AttrId::MIN_STACK_SIZE => k.stack_bytes = v,
                _ => {}
            }
            k.attributes.push(RawAttribute::from(a));
        }
        let Some(info) = sections.info else {
            return Ok(k);
        };
        let info_section = elf
            .sections
            .get(info)
            .ok_or_else(|| malformed("section index", 0))?;
        let attrs = nvinfo::parse(elf.section_data(info_section)?)?;
        let mut params = Vec::new();
        for a in &attrs {
            match a.id {
                AttrId::KPARAM_INFO => params.push(ParamInfo::decode(a)?),
                AttrId::PARAM_CBANK => {
                    let w = a.word(1)?;
                    k.param_base = Some(w & 0xffff);
                }
                AttrId::CBANK_PARAM_SIZE => k.param_bytes = u32::from(a.value),
                AttrId::MAXREG_COUNT => k.max_registers = Some(u32::from(a.value)),
                AttrId::NUM_BARRIERS => k.barriers = u32::from(a.value),
                AttrId::MAX_THREADS => k.max_threads = Some(dims(a)?),
                AttrId::REQNTID => k.required_threads = Some(dims(a)?),
                AttrId::CTA_PER_CLUSTER => k.cluster_dims = Some(dims(a)?),
                AttrId::EXPLICIT_CLUSTER => k.explicit_cluster = true,
                AttrId::CRS_STACK_SIZE => k.crs_stack_bytes = Some(a.word(0)?),
                AttrId::EXIT_INSTR_OFFSETS => k.exit_offsets = a.words()?,
                AttrId::EXTERNS => {
                    for idx in a.words()? {
                        let idx = usize::try_from(idx)
                            .map_err(|_| malformed("EXTERNS symbol index", a.offset))?;
                        let s = elf.symbol(idx)?;
                        k.externs.push(elf.symbol_name(&s)?.to_string());
                    }
                }
                _ => {}
            }
            k.attributes.push(RawAttribute::from(a));
        }
        params.sort_by_key(|p| p.ordinal);
        k.params = params
            .iter()
            .map(|p| Param {
                ordinal: p.ordinal,
                offset: p.offset,
                size: p.size,
                log_alignment: p.log_alignment,
            })
            .collect();
        for p in &k.params {
            let end = u32::from(p.offset) + u32::from(p.size);
            if end > k.param_bytes {
                return Err(malformed(
                    "kernel parameter extends past CBANK_PARAM_SIZE",
                    section_offset(info_section),
                ));
            }
        }
        Ok(k)
    }

    /// A kernel by name.
    pub fn kernel_by_name(&self, name: &str) -> Option<&Kernel> {
        self.kernels.iter().find(|k| k.name == name)
    }

    /// Sections with a role the loader places in device memory, with their names.
    pub fn sections_with_role(&self, role: SectionRole) -> impl Iterator<Item = &Section> + '_ {
        self.elf
            .sections
            .iter()
            .filter(move |s| self.roles.get(s.index) == Some(&role))
    }

    /// Every relocation section (`SHT_REL`/`SHT_RELA`) with its name and entry count.
    pub fn relocation_sections(&self) -> Result<Vec<(String, usize)>> {
        let mut out = Vec::new();
        for s in &self.elf.sections {
            if s.kind == SHT_REL || s.kind == SHT_RELA {
                out.push((
                    self.elf.section_name(s)?.to_string(),
                    self.elf.relocations(s)?.len(),
                ));
            }
        }
        Ok(out)
    }

    /// Total size of `.nv.global` and `.nv.global.init`.
    pub fn global_bytes(&self) -> u64 {
        self.sections_with_role(SectionRole::Global)
            .chain(self.sections_with_role(SectionRole::GlobalInit))
            .map(|s| s.size)
            .sum()
    }

    /// Bytes of `.nv.shared.reserved.*` sections: shared memory the compiler reserves for runtime use on sm_90
    /// and newer (0x40 bytes on sm_100/sm_120 images in the corpus, empty on sm_90). A kernel's own static shared
    /// size ([`Kernel::shared_bytes`]) already counts the reservation where the compiler put it there.
    pub fn reserved_shared_bytes(&self) -> u64 {
        self.elf
            .sections
            .iter()
            .filter(|s| {
                self.elf
                    .section_name(s)
                    .is_ok_and(|n| n.starts_with(".nv.shared.reserved."))
            })
            .map(|s| s.size)
            .sum()
    }

    /// Size of module constant bank `n` (`.nv.constant<n>`), if present.
    pub fn const_bank_bytes(&self, n: u8) -> Option<u64> {
        self.sections_with_role(SectionRole::ConstBank(n))
            .next()
            .map(|s| s.size)
    }

    /// Whether `s` occupies device memory in a loaded image.
    pub fn is_loaded(&self, s: &Section) -> bool {
        s.flags & SHF_ALLOC != 0
            && matches!(
                self.roles.get(s.index),
                Some(
                    SectionRole::Code
                        | SectionRole::ConstBank(_)
                        | SectionRole::GlobalInit
                        | SectionRole::Global
                )
            )
            && (s.kind != SHT_NOBITS || self.roles.get(s.index) == Some(&SectionRole::Global))
    }
}

/// Per-kernel sections of one `.text.<name>` section (indices), found through their `sh_info`.
#[derive(Debug, Clone, Copy, Default)]
struct PerKernelSections {
    info: Option<usize>,
    shared: Option<usize>,
    cbank0: Option<usize>,
    local: Option<usize>,
}

/// For `.nv.info` records keyed by a kernel (REGCOUNT, FRAME_SIZE, MIN_STACK_SIZE, MAX_STACK_SIZE: payload
/// `u32 symbol, u32 value`), the symbol index.
fn kernel_record_symbol(a: &Attribute<'_>) -> Option<usize> {
    match a.id {
        AttrId::REGCOUNT | AttrId::FRAME_SIZE | AttrId::MIN_STACK_SIZE | AttrId::MAX_STACK_SIZE
            if a.payload.len() == 8 =>
        {
            a.word(0).ok().and_then(|w| usize::try_from(w).ok())
        }
        _ => None,
    }
}
