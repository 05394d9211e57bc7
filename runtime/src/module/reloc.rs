//! CUDA relocation types (`R_CUDA_*`) and how to apply them.
//!
//! Numbers checked against the names `cuobjdump -elf` (CUDA 13.4) prints for every relocation of the test
//! corpus, including `-rdc` images; they agree with the numbering in tinygrad's CUDA ELF loader and envytools.
//!
//! Instruction-field types are named `R_CUDA_<kind><width>_<bit>`. The bit placements below were found by
//! flipping single bits of the corpus instructions and reading them back with `nvdisasm -b SMxx` (CUDA 13.4), and
//! are checked for every code relocation of every `-rdc` corpus image that nvdisasm 13 decodes (sm_75 and newer)
//! by `runtime/tests/cubin_vs_cuobjdump.rs` (`rdc_relocations_match_nvdisasm`). The split of a value into pieces
//! (low bits first) and the bank field of the `CONST_FIELD` types agree with the reverse-engineered nvlink
//! relocation engine in GrigoryEvko/nvopen-tools (actions "abs_shifted", "sec_type") and with the
//! `.nv.rel.action` table nvcc 13 writes for `R_CUDA_CONST_FIELD22_37` (17 bits to bit 37, 5 bits to bit 54).
//!
//! | type                      | value written                  | instruction bits                         |
//! |---------------------------|--------------------------------|------------------------------------------|
//! | `R_CUDA_ABS32_32` (0x37)  | S+A (must fit 32 bits)         | 32..64                                   |
//! | `R_CUDA_ABS32_LO_32`      | low 32 bits of S+A             | 32..64                                   |
//! | `R_CUDA_ABS32_HI_32`      | high 32 bits of S+A            | 32..64                                   |
//! | `R_CUDA_ABS16_32` (0x3b)  | S+A (16 bits)                  | 32..48                                   |
//! | `R_CUDA_ABS24_40` (0x4a)  | S+A (24 bits)                  | 40..64                                   |
//! | `R_CUDA_ABS47_34` (0x3a)  | (S+A) >> 2 (47 bits)           | 34..81 (`CALL.ABS` target, sm_70..sm_89) |
//! | `R_CUDA_ABS55_16_34`      | (S+A) >> 2 (55 bits)           | low 8 bits at 16..24, the rest at 34..81 |
//! | `R_CUDA_CONST_FIELD19_40` | (S+A) >> 2 (14 bits), bank     | offset 40..54, bank 54..59 (sm_70..89)   |
//! | `R_CUDA_CONST_FIELD21_38` | S+A (16 bits), bank            | offset 38..54, bank 54..59 (sm_90/120)   |
//! | `R_CUDA_CONST_FIELD22_37` | S+A (17 bits), bank            | offset 37..54, bank 54..59 (sm_100+)     |
//!
//! For the `CONST_FIELD` types S is the symbol's offset in its constant bank and the bank number (the `N` of
//! `.nv.constantN`) is written too. The Pascal (`_20`) family and `R_CUDA_UNUSED_CLEAR64` stay errors: nvdisasm
//! 13 refuses sm_61 code and the clear type only targets `.debug_frame` in the corpus, so neither placement can be
//! checked against NVIDIA's decoder.

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
    /// `R_CUDA_ABS32_32` (0x37): 32-bit value in instruction bits 32-63.
    Abs32At32,
    /// `R_CUDA_ABS32_LO_32` (0x38): low 32 bits of the address in instruction bits 32-63.
    Abs32Lo32,
    /// `R_CUDA_ABS32_HI_32` (0x39): high 32 bits of the address in instruction bits 32-63.
    Abs32Hi32,
    /// `R_CUDA_ABS47_34` (0x3a): code address / 4 in instruction bits 34-80 (`CALL.ABS`, sm_70 to sm_89).
    Abs47At34,
    /// `R_CUDA_ABS16_32` (0x3b): 16-bit value in instruction bits 32-47.
    Abs16At32,
    /// `R_CUDA_CONST_FIELD19_40` (0x40): constant-bank operand, word offset in bits 40-53, bank in 54-58.
    ConstField19At40,
    /// `R_CUDA_CONST_FIELD21_38` (0x42): constant-bank operand, byte offset in bits 38-53, bank in 54-58.
    ConstField21At38,
    /// `R_CUDA_ABS24_40` (0x4a): 24-bit value in instruction bits 40-63 (shared-memory offsets).
    Abs24At40,
    /// `R_CUDA_ABS55_16_34` (0x4b): code address / 4, low 8 bits in instruction bits 16-23, the rest in 34-80.
    Abs55At16And34,
    /// `R_CUDA_CONST_FIELD22_37` (0x73): constant-bank operand, byte offset in bits 37-53, bank in 54-58.
    ConstField22At37,
    /// A known type this loader does not apply (the number and the cuobjdump name).
    Unsupported(u32, &'static str),
    /// A number not in the table.
    Unknown(u32),
}

/// Which part of S+A a field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    /// The whole value; it must fit the field.
    Whole,
    /// The low 32 bits.
    Lo32,
    /// The high 32 bits.
    Hi32,
}

/// Placement of an instruction-field relocation.
#[derive(Debug, Clone, Copy)]
struct Bits {
    /// (first instruction bit, width) of each piece; the value's low bits go to the first piece.
    pieces: &'static [(u32, u32)],
    /// The value is shifted right by this many bits first (its low bits must be zero).
    shift: u32,
    part: Part,
    /// First bit of the 5-bit constant-bank number, for `CONST_FIELD` types.
    bank_at: Option<u32>,
}

impl Bits {
    fn width(&self) -> u32 {
        self.pieces.iter().map(|p| p.1).sum()
    }
    /// Bytes from `r_offset` the field touches.
    fn span(&self) -> usize {
        let end = self
            .pieces
            .iter()
            .map(|&(at, w)| at + w)
            .chain(self.bank_at.map(|b| b + BANK_BITS))
            .max()
            .unwrap_or(0);
        usize::try_from(end.div_ceil(8)).unwrap_or(16)
    }
}

const BANK_BITS: u32 = 5;

/// How a relocation writes its target.
#[derive(Debug, Clone, Copy)]
enum Field {
    /// Nothing.
    Nothing,
    /// A little-endian data word of this many bytes at `r_offset`.
    Data(usize),
    /// Bits of the instruction at `r_offset`.
    Bits(Bits),
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
            0x3a => Self::Abs47At34,
            0x3b => Self::Abs16At32,
            0x40 => Self::ConstField19At40,
            0x42 => Self::ConstField21At38,
            0x49 => Self::Unsupported(v, "R_CUDA_UNUSED_CLEAR64"),
            0x4a => Self::Abs24At40,
            0x4b => Self::Abs55At16And34,
            0x73 => Self::ConstField22At37,
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
            Self::Abs47At34 => "R_CUDA_ABS47_34",
            Self::Abs16At32 => "R_CUDA_ABS16_32",
            Self::ConstField19At40 => "R_CUDA_CONST_FIELD19_40",
            Self::ConstField21At38 => "R_CUDA_CONST_FIELD21_38",
            Self::Abs24At40 => "R_CUDA_ABS24_40",
            Self::Abs55At16And34 => "R_CUDA_ABS55_16_34",
            Self::ConstField22At37 => "R_CUDA_CONST_FIELD22_37",
            Self::Unsupported(_, n) => n,
            Self::Unknown(_) => return None,
        })
    }

    /// Whether the type patches an instruction (as opposed to a data word).
    pub fn is_instruction_field(self) -> bool {
        matches!(self.field(), Ok(Field::Bits(_)))
    }

    /// Whether the type encodes a constant-bank operand (`c[bank][offset]`): S is then the symbol's offset in its
    /// bank, and the bank number is written too.
    pub fn is_const_field(self) -> bool {
        matches!(
            self.field(),
            Ok(Field::Bits(Bits {
                bank_at: Some(_),
                ..
            }))
        )
    }

    fn field(self) -> Result<Field> {
        const AT32: &[(u32, u32)] = &[(32, 32)];
        let bits = |pieces, shift, part, bank_at| {
            Field::Bits(Bits {
                pieces,
                shift,
                part,
                bank_at,
            })
        };
        Ok(match self {
            Self::None => Field::Nothing,
            Self::Abs32 | Self::G32 => Field::Data(4),
            Self::Abs64 | Self::G64 => Field::Data(8),
            Self::Abs32At32 => bits(AT32, 0, Part::Whole, None),
            Self::Abs32Lo32 => bits(AT32, 0, Part::Lo32, None),
            Self::Abs32Hi32 => bits(AT32, 0, Part::Hi32, None),
            Self::Abs16At32 => bits(&[(32, 16)], 0, Part::Whole, None),
            Self::Abs24At40 => bits(&[(40, 24)], 0, Part::Whole, None),
            Self::Abs47At34 => bits(&[(34, 47)], 2, Part::Whole, None),
            Self::Abs55At16And34 => bits(&[(16, 8), (34, 47)], 2, Part::Whole, None),
            Self::ConstField19At40 => bits(&[(40, 14)], 2, Part::Whole, Some(54)),
            Self::ConstField21At38 => bits(&[(38, 16)], 0, Part::Whole, Some(54)),
            Self::ConstField22At37 => bits(&[(37, 17)], 0, Part::Whole, Some(54)),
            Self::Unsupported(n, name) => {
                return Err(Error::UnsupportedCubin {
                    what: "relocation type",
                    found: format!("{name} ({n:#x})"),
                })
            }
            Self::Unknown(n) => {
                return Err(Error::UnsupportedCubin {
                    what: "relocation type",
                    found: format!("{n:#x}"),
                })
            }
        })
    }
}

fn outside(offset: u64) -> Error {
    malformed(
        "relocation offset outside its target section",
        usize::try_from(offset).unwrap_or(usize::MAX),
    )
}

/// The `len` bytes of `target` at `offset`, or the "outside its target section" error.
fn span(target: &[u8], offset: u64, len: usize) -> Result<&[u8]> {
    let at = usize::try_from(offset).map_err(|_| outside(offset))?;
    at.checked_add(len)
        .and_then(|end| target.get(at..end))
        .ok_or_else(|| outside(offset))
}

/// [`span`], writable.
fn span_mut(target: &mut [u8], offset: u64, len: usize) -> Result<&mut [u8]> {
    let at = usize::try_from(offset).map_err(|_| outside(offset))?;
    at.checked_add(len)
        .and_then(|end| target.get_mut(at..end))
        .ok_or_else(|| outside(offset))
}

fn read_le(bytes: &[u8]) -> u128 {
    bytes
        .iter()
        .rev()
        .fold(0u128, |acc, &b| (acc << 8) | u128::from(b))
}

fn mask(width: u32) -> u128 {
    if width >= 128 {
        u128::MAX
    } else {
        (1u128 << width) - 1
    }
}

/// Reads the implicit addend (REL relocations) at `offset` of `target`: the field's current contents, scaled
/// back by the type's shift. The high half (`ABS32_HI_32`) cannot carry an addend in a REL entry (0).
pub fn implicit_addend(kind: RelocKind, target: &[u8], offset: u64) -> Result<i64> {
    match kind.field()? {
        Field::Nothing => Ok(0),
        Field::Data(len) => {
            let v = read_le(span(target, offset, len)?);
            Ok(if len == 4 {
                i64::from(u32::try_from(v).unwrap_or(0))
            } else {
                i64::from_le_bytes(u64::try_from(v).unwrap_or(0).to_le_bytes())
            })
        }
        Field::Bits(b) => {
            if b.part == Part::Hi32 {
                return Ok(0);
            }
            let len = b.span();
            let word = read_le(span(target, offset, len)?);
            let mut v = 0u128;
            let mut got = 0u32;
            for &(pos, w) in b.pieces {
                v |= ((word >> pos) & mask(w)) << got;
                got += w;
            }
            let v = u64::try_from(v << b.shift).unwrap_or(u64::MAX);
            Ok(i64::try_from(v).unwrap_or(i64::MAX))
        }
    }
}

fn too_wide(kind: RelocKind, value: u64) -> Error {
    Error::UnsupportedCubin {
        what: "relocation value does not fit its field",
        found: format!("{} = {value:#x}", kind.name().unwrap_or("?")),
    }
}

/// Writes `value` (= S + A) into `target` at `offset` as relocation `kind` prescribes. `const_bank` is the bank
/// number of the symbol's `.nv.constantN` section; the `CONST_FIELD` types need it (and `value` is then the offset
/// in that bank), other types ignore it.
pub fn apply(
    kind: RelocKind,
    target: &mut [u8],
    offset: u64,
    value: u64,
    const_bank: Option<u8>,
) -> Result<()> {
    match kind.field()? {
        Field::Nothing => Ok(()),
        Field::Data(len) => {
            let dst = span_mut(target, offset, len)?;
            if len == 4 {
                let v = u32::try_from(value).map_err(|_| Error::UnsupportedCubin {
                    what: "32-bit relocation of an address above 4 GiB",
                    found: format!("{value:#x}"),
                })?;
                dst.copy_from_slice(&v.to_le_bytes());
            } else {
                dst.copy_from_slice(&value.to_le_bytes());
            }
            Ok(())
        }
        Field::Bits(b) => {
            let len = b.span();
            span(target, offset, len)?; // the offset error comes before any value error
            let part = match b.part {
                Part::Whole => value,
                Part::Lo32 => value & 0xffff_ffff,
                Part::Hi32 => value >> 32,
            };
            if part & ((1u64 << b.shift) - 1) != 0 {
                return Err(Error::UnsupportedCubin {
                    what: "relocation value not aligned for its field",
                    found: format!("{} = {value:#x}", kind.name().unwrap_or("?")),
                });
            }
            let v = u128::from(part >> b.shift);
            if v > mask(b.width()) {
                return Err(too_wide(kind, value));
            }
            let bank = match b.bank_at {
                Some(pos) => {
                    let bank = const_bank.ok_or(Error::UnsupportedCubin {
                        what: "constant-bank relocation against a symbol outside a constant bank",
                        found: kind.name().unwrap_or("?").to_string(),
                    })?;
                    if u32::from(bank) >= 1 << BANK_BITS {
                        return Err(too_wide(kind, u64::from(bank)));
                    }
                    Some((pos, u128::from(bank)))
                }
                None => None,
            };
            let bytes = span_mut(target, offset, len)?;
            let mut word = read_le(bytes);
            let mut rest = v;
            for &(pos, w) in b.pieces {
                word = (word & !(mask(w) << pos)) | ((rest & mask(w)) << pos);
                rest >>= w;
            }
            if let Some((pos, bank)) = bank {
                word = (word & !(mask(BANK_BITS) << pos)) | (bank << pos);
            }
            let le = word.to_le_bytes();
            bytes.copy_from_slice(le.get(..len).ok_or_else(|| outside(offset))?);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_and_instruction_fields() {
        let mut t = [0xeeu8; 16];
        apply(RelocKind::Abs64, &mut t, 8, 0x1122_3344_5566_7788, None).unwrap();
        assert_eq!(&t[8..], &0x1122_3344_5566_7788u64.to_le_bytes());
        apply(RelocKind::Abs32Lo32, &mut t, 0, 0xaabb_ccdd_0102_0304, None).unwrap();
        assert_eq!(&t[..8], &[0xee, 0xee, 0xee, 0xee, 4, 3, 2, 1]);
        apply(RelocKind::Abs32Hi32, &mut t, 0, 0xaabb_ccdd_0102_0304, None).unwrap();
        assert_eq!(&t[4..8], &[0xdd, 0xcc, 0xbb, 0xaa]);
        assert!(matches!(
            apply(RelocKind::Abs32, &mut t, 0, 1 << 40, None),
            Err(Error::UnsupportedCubin {
                what: "32-bit relocation of an address above 4 GiB",
                ..
            })
        ));
    }

    #[test]
    fn split_and_shifted_fields_round_trip() {
        // ABS55_16_34: address / 4, low 8 bits at 16, the next 47 at 34; other bits untouched.
        let mut t = [0u8; 16];
        let addr = 0x7f12_3456_0090u64;
        apply(RelocKind::Abs55At16And34, &mut t, 0, addr, None).unwrap();
        let w = u128::from_le_bytes(t);
        assert_eq!((w >> 16) & 0xff, u128::from((addr >> 2) & 0xff));
        assert_eq!((w >> 34) & ((1 << 47) - 1), u128::from(addr >> 10));
        assert_eq!(w & !(0xff << 16) & !(((1u128 << 47) - 1) << 34), 0);
        assert_eq!(
            implicit_addend(RelocKind::Abs55At16And34, &t, 0).unwrap(),
            addr as i64
        );
        // Misaligned code addresses and values wider than the field are refused.
        assert!(matches!(
            apply(RelocKind::Abs47At34, &mut t, 0, 0x2, None),
            Err(Error::UnsupportedCubin {
                what: "relocation value not aligned for its field",
                ..
            })
        ));
        assert!(matches!(
            apply(RelocKind::Abs24At40, &mut t, 0, 1 << 24, None),
            Err(Error::UnsupportedCubin {
                what: "relocation value does not fit its field",
                ..
            })
        ));
        // CONST_FIELD19_40: word offset at 40, bank at 54; without a bank it is an error.
        let mut t = [0xffu8; 16];
        apply(RelocKind::ConstField19At40, &mut t, 0, 0x44, Some(3)).unwrap();
        let w = u128::from_le_bytes(t);
        assert_eq!((w >> 40) & 0x3fff, 0x11);
        assert_eq!((w >> 54) & 0x1f, 3);
        assert_eq!(w >> 59, u128::MAX >> 59);
        assert_eq!(w & ((1 << 40) - 1), (1 << 40) - 1);
        assert!(matches!(
            apply(RelocKind::ConstField19At40, &mut t, 0, 0x44, None),
            Err(Error::UnsupportedCubin {
                what: "constant-bank relocation against a symbol outside a constant bank",
                ..
            })
        ));
        assert!(matches!(
            apply(RelocKind::ConstField21At38, &mut t, 0, 0x1_0000, Some(3)),
            Err(Error::UnsupportedCubin {
                what: "relocation value does not fit its field",
                ..
            })
        ));
    }

    #[test]
    fn out_of_range_and_unsupported_are_errors() {
        let mut t = [0u8; 8];
        assert!(matches!(
            apply(RelocKind::Abs64, &mut t, 1, 0, None),
            Err(Error::MalformedCubin { .. })
        ));
        assert!(matches!(
            apply(RelocKind::Abs64, &mut t, u64::MAX, 0, None),
            Err(Error::MalformedCubin { .. })
        ));
        // A 16-byte instruction field past the end of an 8-byte target.
        assert!(matches!(
            apply(RelocKind::Abs47At34, &mut t, 0, 0, None),
            Err(Error::MalformedCubin { .. })
        ));
        let e = apply(RelocKind::from_u32(0x2a), &mut t, 0, 0, None).unwrap_err();
        assert!(e.to_string().contains("R_CUDA_ABS32_20"), "{e}");
        assert!(matches!(
            apply(RelocKind::from_u32(0x999), &mut t, 0, 0, None),
            Err(Error::UnsupportedCubin { .. })
        ));
    }

    #[test]
    fn implicit_addends() {
        let t = 0x10u64.to_le_bytes();
        assert_eq!(implicit_addend(RelocKind::Abs64, &t, 0).unwrap(), 0x10);
        assert_eq!(implicit_addend(RelocKind::Abs32, &t, 0).unwrap(), 0x10);
        assert!(matches!(
            implicit_addend(RelocKind::Abs64, &t, 4),
            Err(Error::MalformedCubin {
                what: "relocation offset outside its target section",
                offset: 4
            })
        ));
        let mut i = [0u8; 16];
        apply(RelocKind::Abs24At40, &mut i, 0, 0x104, None).unwrap();
        assert_eq!(implicit_addend(RelocKind::Abs24At40, &i, 0).unwrap(), 0x104);
        assert_eq!(implicit_addend(RelocKind::Abs32Hi32, &i, 0).unwrap(), 0);
    }
}
