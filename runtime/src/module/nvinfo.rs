//! `.nv.info`, `.nv.info.<kernel>` and `.nv.compat` attribute records.
//!
//! Each record is a 4-byte header `{ u8 format, u8 id, u16 value_or_size }` followed, for the `SVAL` format, by
//! `size` bytes of payload. Attribute ids and formats were checked against `cuobjdump -elf` (CUDA 13.4) on the
//! test corpus (`scripts/assets/cuda-3-corpus.sh`); the id table matches the `EIATTR_*` lists in envytools and
//! Mesa's NAK. Unknown ids are kept and shown, never an error.

use super::elf::{bytes_at, malformed, u16_at, u32_at, u8_at};
use crate::error::Result;

/// Record format (`EIFMT_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// No value (`EIFMT_NVAL`, 1).
    None,
    /// Byte value in the header (`EIFMT_BVAL`, 2).
    Byte,
    /// 16-bit value in the header (`EIFMT_HVAL`, 3).
    Half,
    /// Payload of `size` bytes after the header (`EIFMT_SVAL`, 4).
    Sized,
}

impl Format {
    fn from_u8(v: u8) -> Option<Self> {
        match v {
            1 => Some(Self::None),
            2 => Some(Self::Byte),
            3 => Some(Self::Half),
            4 => Some(Self::Sized),
            _ => None,
        }
    }
}

/// An attribute id (`EIATTR_*` in `.nv.info*`, `EICOMPAT_ATTR_*` in `.nv.compat`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AttrId(pub u8);

#[allow(missing_docs)]
impl AttrId {
    pub const MAX_THREADS: Self = Self(0x05);
    pub const PARAM_CBANK: Self = Self(0x0a);
    pub const EXTERNS: Self = Self(0x0f);
    pub const REQNTID: Self = Self(0x10);
    pub const FRAME_SIZE: Self = Self(0x11);
    pub const MIN_STACK_SIZE: Self = Self(0x12);
    pub const KPARAM_INFO: Self = Self(0x17);
    pub const CBANK_PARAM_SIZE: Self = Self(0x19);
    pub const MAXREG_COUNT: Self = Self(0x1b);
    pub const EXIT_INSTR_OFFSETS: Self = Self(0x1c);
    pub const S2RCTAID_INSTR_OFFSETS: Self = Self(0x1d);
    pub const CRS_STACK_SIZE: Self = Self(0x1e);
    pub const MAX_STACK_SIZE: Self = Self(0x23);
    pub const REGCOUNT: Self = Self(0x2f);
    pub const SW_WAR: Self = Self(0x36);
    pub const CUDA_API_VERSION: Self = Self(0x37);
    pub const CTA_PER_CLUSTER: Self = Self(0x3d);
    pub const EXPLICIT_CLUSTER: Self = Self(0x3e);
    pub const MAX_CLUSTER_RANK: Self = Self(0x3f);
    pub const SYSCALL_OFFSETS: Self = Self(0x46);
    pub const NUM_BARRIERS: Self = Self(0x4c);
    pub const SPARSE_MMA_MASK: Self = Self(0x50);

    /// `.nv.compat`: the image targets an architecture-specific (`sm_XXa`) feature set.
    pub const COMPAT_ACCELERATOR_TARGET: Self = Self(0x09);

    /// The `EIATTR_*` name of a `.nv.info` id, where known.
    pub fn info_name(self) -> Option<&'static str> {
        Some(match self.0 {
            0x02 => "IMAGE_SLOT",
            0x04 => "CTAIDZ_USED",
            0x05 => "MAX_THREADS",
            0x0a => "PARAM_CBANK",
            0x0b => "SMEM_PARAM_OFFSETS",
            0x0c => "CBANK_PARAM_OFFSETS",
            0x0d => "SYNC_STACK",
            0x0f => "EXTERNS",
            0x10 => "REQNTID",
            0x11 => "FRAME_SIZE",
            0x12 => "MIN_STACK_SIZE",
            0x17 => "KPARAM_INFO",
            0x18 => "SMEM_PARAM_SIZE",
            0x19 => "CBANK_PARAM_SIZE",
            0x1b => "MAXREG_COUNT",
            0x1c => "EXIT_INSTR_OFFSETS",
            0x1d => "S2RCTAID_INSTR_OFFSETS",
            0x1e => "CRS_STACK_SIZE",
            0x1f => "NEED_CNP_WRAPPER",
            0x20 => "NEED_CNP_PATCH",
            0x21 => "EXPLICIT_CACHING",
            0x23 => "MAX_STACK_SIZE",
            0x25 => "LD_CACHEMOD_INSTR_OFFSETS",
            0x27 => "ATOM_SYS_INSTR_OFFSETS",
            0x28 => "COOP_GROUP_INSTR_OFFSETS",
            0x29 => "COOP_GROUP_MASK_REGIDS",
            0x2b => "WMMA_USED",
            0x2f => "REGCOUNT",
            0x31 => "INT_WARP_WIDE_INSTR_OFFSETS",
            0x32 => "SHARED_SCRATCH",
            0x34 => "INDIRECT_BRANCH_TARGETS",
            0x36 => "SW_WAR",
            0x37 => "CUDA_API_VERSION",
            0x38 => "NUM_MBARRIERS",
            0x39 => "MBARRIER_INSTR_OFFSETS",
            0x3d => "CTA_PER_CLUSTER",
            0x3e => "EXPLICIT_CLUSTER",
            0x3f => "MAX_CLUSTER_RANK",
            0x46 => "SYSCALL_OFFSETS",
            0x4a => "VRC_CTA_INIT_COUNT",
            0x4c => "NUM_BARRIERS",
            0x50 => "SPARSE_MMA_MASK",
            0x55 => "ANNOTATIONS",
            0x66 => "LANGUAGE",
            0x6b => "NVSAL_SW_WAR",
            0x6d => "PREEXIT_USED",
            _ => return None,
        })
    }

    /// The `EICOMPAT_ATTR_*` name of a `.nv.compat` id, where known.
    pub fn compat_name(self) -> Option<&'static str> {
        Some(match self.0 {
            0x02 => "ISA_CLASS",
            0x03 => "INST_TENSORMAP_V1",
            0x05 => "INST_TCGEN05_MMA",
            0x06 => "ENABLE_OPPORTUNISTIC_FINALIZATION",
            0x09 => "CUDA_ACCELERATOR_TARGET",
            0x0b => "CAN_FASTPATH_FINALIZE",
            0x0c => "CUDA_INTERNAL_TARGET",
            0x0e => "FINALIZER_VERSION",
            _ => return None,
        })
    }
}

/// One attribute record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute<'a> {
    /// Byte offset of the record's header in the section.
    pub offset: usize,
    /// The record format.
    pub format: Format,
    /// The attribute id.
    pub id: AttrId,
    /// The header's 16-bit field: the value for `Byte`/`Half`, the payload size for `Sized`.
    pub value: u16,
    /// The payload (`Sized` only; empty otherwise).
    pub payload: &'a [u8],
}

impl Attribute<'_> {
    /// Payload word `i` (little-endian u32).
    pub fn word(&self, i: usize) -> Result<u32> {
        let at = i
            .checked_mul(4)
            .ok_or_else(|| malformed("attribute word index", self.offset))?;
        u32_at(self.payload, at, "attribute payload too short")
            .map_err(|_| malformed("attribute payload too short", self.offset))
    }

    /// All payload words; errors if the payload length is not a multiple of 4.
    pub fn words(&self) -> Result<Vec<u32>> {
        if self.payload.len() % 4 != 0 {
            return Err(malformed(
                "attribute payload is not a multiple of 4 bytes",
                self.offset,
            ));
        }
        (0..self.payload.len() / 4).map(|i| self.word(i)).collect()
    }
}

/// Parses every record of an attribute section. Errors on a truncated record or an unknown format code (the
/// record length cannot be known then).
pub fn parse(section: &[u8]) -> Result<Vec<Attribute<'_>>> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while at < section.len() {
        let fmt = u8_at(section, at, "attribute header truncated")?;
        let id = AttrId(u8_at(section, at + 1, "attribute header truncated")?);
        let value = u16_at(section, at + 2, "attribute header truncated")?;
        let format =
            Format::from_u8(fmt).ok_or_else(|| malformed("unknown attribute format", at))?;
        let header_end = at + 4; // at + 4 <= len: u16_at above succeeded
        let (payload, next) = if format == Format::Sized {
            let len = usize::from(value);
            (
                bytes_at(
                    section,
                    header_end,
                    len,
                    "attribute payload outside its section",
                )?,
                header_end + len,
            )
        } else {
            (&[][..], header_end)
        };
        out.push(Attribute {
            offset: at,
            format,
            id,
            value,
            payload,
        });
        at = next;
    }
    Ok(out)
}

/// One `KPARAM_INFO` record: a kernel parameter's place in the parameter constant bank.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamInfo {
    /// Parameter index (the first payload word; 0 in every image seen).
    pub index: u32,
    /// Position in the kernel's parameter list.
    pub ordinal: u16,
    /// Byte offset from the start of the parameter block.
    pub offset: u16,
    /// Size in bytes.
    pub size: u16,
    /// log2 of the pointee alignment (pointers to aligned data), 0 if unknown.
    pub log_alignment: u8,
    /// The `space` field.
    pub space: u8,
    /// Constant bank number (0x1f: "the parameter bank").
    pub cbank: u8,
    /// True when the parameter lives in a constant bank (the only kind seen for compute kernels).
    pub in_cbank: bool,
}

impl ParamInfo {
    /// Decodes a `KPARAM_INFO` payload: `u32 index; u16 ordinal; u16 offset; u32 packed`, packed = log alignment
    /// (bits 0-7), space (8-11), cbank (12-16), "is not cbank" (17), size (18-31). Layout checked against
    /// `cuobjdump -elf` output for every parameter of the corpus.
    pub fn decode(a: &Attribute<'_>) -> Result<Self> {
        if a.payload.len() != 12 {
            return Err(malformed("KPARAM_INFO payload is not 12 bytes", a.offset));
        }
        let packed = a.word(2)?;
        let field = |shift: u32, mask: u32| packed >> shift & mask;
        Ok(ParamInfo {
            index: a.word(0)?,
            ordinal: u16_at(a.payload, 4, "KPARAM_INFO")?,
            offset: u16_at(a.payload, 6, "KPARAM_INFO")?,
            size: u16::try_from(field(18, 0x3fff))
                .map_err(|_| malformed("KPARAM_INFO size", a.offset))?,
            log_alignment: u8::try_from(field(0, 0xff))
                .map_err(|_| malformed("KPARAM_INFO", a.offset))?,
            space: u8::try_from(field(8, 0xf)).map_err(|_| malformed("KPARAM_INFO", a.offset))?,
            cbank: u8::try_from(field(12, 0x1f)).map_err(|_| malformed("KPARAM_INFO", a.offset))?,
            in_cbank: field(17, 1) == 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    #[test]
    fn parses_all_formats_and_keeps_unknown_ids() {
        let mut s = vec![];
        s.extend_from_slice(&[0x01, 0x3e, 0, 0]); // EXPLICIT_CLUSTER, no value
        s.extend_from_slice(&[0x02, 0x4c, 2, 0]); // NUM_BARRIERS = 2
        s.extend_from_slice(&[0x03, 0x1b, 0xff, 0]); // MAXREG_COUNT = 255
        s.extend_from_slice(&[0x04, 0x99, 4, 0, 1, 2, 3, 4]); // unknown id, 4-byte payload
        let a = parse(&s).unwrap();
        assert_eq!(a.len(), 4);
        assert_eq!((a[1].id, a[1].value), (AttrId::NUM_BARRIERS, 2));
        assert_eq!(a[3].id.info_name(), None);
        assert_eq!(a[3].word(0).unwrap(), 0x0403_0201);
        assert_eq!(a[2].id.info_name(), Some("MAXREG_COUNT"));
    }

    #[test]
    fn truncated_records_are_errors() {
        assert!(matches!(
            parse(&[0x04, 0x17, 12, 0, 0]),
            Err(Error::MalformedCubin {
                what: "attribute payload outside its section",
                offset: 4
            })
        ));
        assert!(matches!(
            parse(&[0x04, 0x17]),
            Err(Error::MalformedCubin {
                what: "attribute header truncated",
                offset: 2
            })
        ));
        assert!(matches!(
            parse(&[0x07, 0x17, 0, 0]),
            Err(Error::MalformedCubin {
                what: "unknown attribute format",
                offset: 0
            })
        ));
        assert!(parse(&[]).unwrap().is_empty());
    }

    #[test]
    fn kparam_info_fields() {
        // ordinal 1, offset 8, size 4, cbank 0x1f (as cuobjdump shows for `recursion(int*, int)`'s `n`).
        let packed: u32 = (4 << 18) | (0x1f << 12);
        let mut s = vec![0x04, 0x17, 12, 0, 0, 0, 0, 0, 1, 0, 8, 0];
        s.extend_from_slice(&packed.to_le_bytes());
        let a = parse(&s).unwrap();
        let p = ParamInfo::decode(&a[0]).unwrap();
        assert_eq!(
            (p.ordinal, p.offset, p.size, p.cbank, p.in_cbank),
            (1, 8, 4, 0x1f, true)
        );
    }
}
