//! CUDA relocation types (`R_CUDA_*`) and how to apply them.
//!
//! Numbers checked against the names `cuobjdump -elf` (CUDA 13.4) prints for every relocation of the test
//! corpus, including `-rdc` images; they agree with the numbering in tinygrad's CUDA ELF loader and envytools.
//! Instruction-field types are named `R_CUDA_ABS<width>_<bit>`: a `width`-bit field starting at bit `bit` of the
//! little-endian instruction word at `r_offset`.

use super::elf::malformed;
use crate::error::{Error, Result};

/// A relocation type this loader knows by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelocKind {
    /// `R_CUDA_NONE` (0): nothing to do.
    None,
    /// `R_CUDA_32` (1): 32-bit absolute address.
    Abs32,
    /// `R_CUDA_64` (2): 64-bit absolute address.
    Abs64,
    /// `R_CUDA_G32` (3): 32-bit generic address of global data.
    G32,
    /// `R_CUDA_G64` (4): 64-bit generic address of global data.
    G64,
    /// `R_CUDA_ABS32_32` (0x37): 32-bit address in instruction bits 32-63.
    Abs32At32,
    /// `R_CUDA_ABS32_LO_32` (0x38): low 32 bits of the address in instruction bits 32-63.
    Abs32Lo32,
    /// `R_CUDA_ABS32_HI_32` (0x39): high 32 bits of the address in instruction bits 32-63.
    Abs32Hi32,
    /// A known type this loader cannot apply (the number and the cuobjdump name).
    Unsupported(u32, &'static str),
    /// A number not in the table.
    Unknown(u32),
}

impl RelocKind {
    /// Classifies a relocation type number.
    pub fn from_u32(v: u32) -> Self {
        match v {
            0 => Self::None,
            1 => Self::Abs32,
            2 => Self::Abs64,
            3 => Self::G32,
            4 => Self::G64,
            0x2a => Self::Unsupported(v, "R_CUDA_ABS32_20"),
            0x2b => Self::Unsupported(v, "R_CUDA_ABS32_LO_20"),
            0x2c => Self::Unsupported(v, "R_CUDA_ABS32_HI_20"),
            0x2d => Self::Unsupported(v, "R_CUDA_ABS24_20"),
            0x2e => Self::Unsupported(v, "R_CUDA_ABS16_20"),
            0x32 => Self::Unsupported(v, "R_CUDA_CONST_FIELD19_20"),
            0x37 => Self::Abs32At32,
            0x38 => Self::Abs32Lo32,
            0x39 => Self::Abs32Hi32,
            0x3a => Self::Unsupported(v, "R_CUDA_ABS47_34"),
            0x3b => Self::Unsupported(v, "R_CUDA_ABS16_32"),
            0x40 => Self::Unsupported(v, "R_CUDA_CONST_FIELD19_40"),
            0x42 => Self::Unsupported(v, "R_CUDA_CONST_FIELD21_38"),
            0x49 => Self::Unsupported(v, "R_CUDA_UNUSED_CLEAR64"),
            0x4a => Self::Unsupported(v, "R_CUDA_ABS24_40"),
            0x4b => Self::Unsupported(v, "R_CUDA_ABS55_16_34"),
            0x73 => Self::Unsupported(v, "R_CUDA_CONST_FIELD22_37"),
            _ => Self::Unknown(v),
        }
    }

    /// The `R_CUDA_*` name, where known.
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            Self::None => "R_CUDA_NONE",
            Self::Abs32 => "R_CUDA_32",
            Self::Abs64 => "R_CUDA_64",
            Self::G32 => "R_CUDA_G32",
            Self::G64 => "R_CUDA_G64",
            Self::Abs32At32 => "R_CUDA_ABS32_32",
            Self::Abs32Lo32 => "R_CUDA_ABS32_LO_32",
            Self::Abs32Hi32 => "R_CUDA_ABS32_HI_32",
            Self::Unsupported(_, n) => n,
            Self::Unknown(_) => return None,
        })
    }

    /// (byte offset from `r_offset`, byte length) of the bytes this relocation rewrites.
    fn field(self) -> Option<(usize, usize)> {
        match self {
            Self::Abs32 | Self::G32 => Some((0, 4)),
            Self::Abs64 | Self::G64 => Some((0, 8)),
            Self::Abs32At32 | Self::Abs32Lo32 | Self::Abs32Hi32 => Some((4, 4)),
            _ => None,
        }
    }
}

/// Reads the implicit addend (REL relocations) at `offset` of `target`.
pub fn implicit_addend(kind: RelocKind, target: &[u8], offset: u64) -> Result<i64> {
    let Some((delta, len)) = kind.field() else {
        return Ok(0);
    };
    let at = start(offset, delta, len, target.len())?;
    let mut raw = [0u8; 8];
    raw[..len].copy_from_slice(&target[at..at + len]);
    let v = u64::from_le_bytes(raw);
    Ok(match kind {
        // A 32-bit field's addend is the address's low half; the HI form cannot carry one in a REL entry.
        RelocKind::Abs32Hi32 => 0,
        _ if len == 4 => i64::from(u32::try_from(v).unwrap_or(0)),
        _ => i64::from_le_bytes(v.to_le_bytes()),
    })
}

fn start(offset: u64, delta: usize, len: usize, target_len: usize) -> Result<usize> {
    let at = usize::try_from(offset)
        .ok()
        .and_then(|o| o.checked_add(delta))
        .filter(|a| a.checked_add(len).is_some_and(|end| end <= target_len))
        .ok_or_else(|| {
            malformed(
                "relocation offset outside its target section",
                usize::try_from(offset).unwrap_or(usize::MAX),
            )
        })?;
    Ok(at)
}

/// Writes `value` (= S + A) into `target` at `offset` as relocation `kind` prescribes.
pub fn apply(kind: RelocKind, target: &mut [u8], offset: u64, value: u64) -> Result<()> {
    let (delta, len) = match kind {
        RelocKind::None => return Ok(()),
        RelocKind::Unsupported(n, name) => {
            return Err(Error::UnsupportedCubin {
                what: "relocation type",
                found: format!("{name} ({n:#x})"),
            })
        }
        RelocKind::Unknown(n) => {
            return Err(Error::UnsupportedCubin {
                what: "relocation type",
                found: format!("{n:#x}"),
            })
        }
        k => k.field().ok_or(Error::UnsupportedCubin {
            what: "relocation type",
            found: format!("{k:?}"),
        })?,
    };
    let at = start(offset, delta, len, target.len())?;
    let field: u64 = match kind {
        RelocKind::Abs32 | RelocKind::G32 | RelocKind::Abs32At32 => {
            u64::from(u32::try_from(value).map_err(|_| Error::UnsupportedCubin {
                what: "32-bit relocation of an address above 4 GiB",
                found: format!("{value:#x}"),
            })?)
        }
        RelocKind::Abs32Lo32 => value & 0xffff_ffff,
        RelocKind::Abs32Hi32 => value >> 32,
        _ => value,
    };
    target[at..at + len].copy_from_slice(&field.to_le_bytes()[..len]);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_and_instruction_fields() {
        let mut t = [0xeeu8; 16];
        apply(RelocKind::Abs64, &mut t, 8, 0x1122_3344_5566_7788).unwrap();
        assert_eq!(&t[8..], &0x1122_3344_5566_7788u64.to_le_bytes());
        apply(RelocKind::Abs32Lo32, &mut t, 0, 0xaabb_ccdd_0102_0304).unwrap();
        assert_eq!(&t[..8], &[0xee, 0xee, 0xee, 0xee, 4, 3, 2, 1]);
        apply(RelocKind::Abs32Hi32, &mut t, 0, 0xaabb_ccdd_0102_0304).unwrap();
        assert_eq!(&t[4..8], &[0xdd, 0xcc, 0xbb, 0xaa]);
        assert!(apply(RelocKind::Abs32, &mut t, 0, 1 << 40).is_err());
    }

    #[test]
    fn out_of_range_and_unsupported_are_errors() {
        let mut t = [0u8; 8];
        assert!(matches!(
            apply(RelocKind::Abs64, &mut t, 1, 0),
            Err(Error::MalformedCubin { .. })
        ));
        assert!(matches!(
            apply(RelocKind::Abs64, &mut t, u64::MAX, 0),
            Err(Error::MalformedCubin { .. })
        ));
        assert!(matches!(
            apply(RelocKind::from_u32(0x3a), &mut t, 0, 0),
            Err(Error::UnsupportedCubin { .. })
        ));
        assert!(matches!(
            apply(RelocKind::from_u32(0x999), &mut t, 0, 0),
            Err(Error::UnsupportedCubin { .. })
        ));
    }

    #[test]
    fn implicit_addends() {
        let t = 0x10u64.to_le_bytes();
        assert_eq!(implicit_addend(RelocKind::Abs64, &t, 0).unwrap(), 0x10);
        assert_eq!(implicit_addend(RelocKind::Abs32, &t, 0).unwrap(), 0x10);
        assert!(implicit_addend(RelocKind::Abs64, &t, 4).is_err());
    }
}
