//! QMD decoder/printer: QMD bytes -> every field of the version's header table with its value and enum name.
//!
//! Bits that no field of the version covers are reported separately (`unmapped`), so a decode followed by
//! [`DecodedQmd::encode`] reproduces every bit.

use super::{Field, QmdVersion};
use crate::error::{Error, Result};
use std::fmt;

/// One field's decoded value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodedField {
    /// The field (name, index, bit range, enum table).
    pub field: Field,
    /// Its value.
    pub value: u32,
}

impl DecodedField {
    /// Header name of the value, if the header names it.
    pub fn value_name(&self) -> Option<&'static str> {
        self.field.value_name(self.value)
    }
}

impl fmt::Display for DecodedField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.field.to_string();
        write!(
            f,
            "{name:<48} [{:>4}:{:<4}] = {:#x}",
            self.field.hi, self.field.lo, self.value
        )?;
        if let Some(n) = self.value_name() {
            write!(f, " ({n})")?;
        }
        Ok(())
    }
}

/// A decoded QMD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedQmd {
    /// Version the bytes were decoded as.
    pub version: QmdVersion,
    /// Every field of the version's table, in header order (indexed fields expanded).
    pub fields: Vec<DecodedField>,
    /// `(word index, bits)` of set bits that no field covers; empty for a QMD written only through fields.
    pub unmapped: Vec<(usize, u32)>,
}

impl DecodedQmd {
    /// Fields whose value is not zero.
    pub fn nonzero(&self) -> impl Iterator<Item = &DecodedField> {
        self.fields.iter().filter(|d| d.value != 0)
    }

    /// Value of `field` (a constant from the version's `fields` table), if this QMD has it.
    pub fn value_of(&self, field: Field) -> Option<u32> {
        self.fields
            .iter()
            .find(|d| d.field == field)
            .map(|d| d.value)
    }

    /// Re-encode into words (fields, then the unmapped bits).
    pub fn encode(&self) -> Result<Vec<u32>> {
        let mut words = vec![0u32; self.version.layout().words];
        for d in &self.fields {
            let f = d.field;
            if d.value > f.max() {
                return Err(Error::QmdValueTooWide {
                    field: f.name,
                    index: f.index,
                    value: d.value.into(),
                    bits: f.width(),
                });
            }
            let size_bits = words.len() * 32;
            let w = words.get_mut(f.word()).ok_or(Error::QmdFieldOutside {
                field: f.name,
                bit: f.hi,
                size_bits,
            })?;
            *w = (*w & !f.mask()) | (d.value << f.shift());
        }
        for &(i, bits) in &self.unmapped {
            let size_bits = words.len() * 32;
            let w = words.get_mut(i).ok_or(Error::QmdFieldOutside {
                field: "unmapped",
                bit: 0,
                size_bits,
            })?;
            *w |= bits;
        }
        Ok(words)
    }
}

impl fmt::Display for DecodedQmd {
    /// All fields, one per line; zero-valued fields are printed too.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} ({} bytes)", self.version, self.version.size_bytes())?;
        for d in &self.fields {
            writeln!(f, "  {d}")?;
        }
        for (i, bits) in &self.unmapped {
            writeln!(f, "  unmapped bits in word {i}: {bits:#010x}")?;
        }
        Ok(())
    }
}

/// In-word masks of the bits the version's fields cover.
fn covered_masks(version: QmdVersion) -> Vec<u32> {
    let mut masks = vec![0u32; version.layout().words];
    for def in version.fields() {
        for f in def.fields() {
            if let Some(m) = masks.get_mut(f.word()) {
                *m |= f.mask();
            }
        }
    }
    masks
}

/// Decode words of the right length (internal: callers check the length).
pub(crate) fn decode_words(version: QmdVersion, words: &[u32]) -> DecodedQmd {
    let mut fields = Vec::with_capacity(256);
    for def in version.fields() {
        for f in def.fields() {
            let value = words
                .get(f.word())
                .map_or(0, |w| (w >> f.shift()) & f.max());
            fields.push(DecodedField { field: f, value });
        }
    }
    let unmapped = covered_masks(version)
        .into_iter()
        .zip(words)
        .enumerate()
        .filter_map(|(i, (m, w))| (w & !m != 0).then_some((i, w & !m)))
        .collect();
    DecodedQmd {
        version,
        fields,
        unmapped,
    }
}

/// Decode QMD bytes of `version` (length must be exactly the QMD size).
pub fn decode(version: QmdVersion, bytes: &[u8]) -> Result<DecodedQmd> {
    let expected = version.size_bytes();
    if bytes.len() != expected {
        return Err(Error::QmdBadLength {
            version,
            expected,
            got: bytes.len(),
        });
    }
    let words: Vec<u32> = super::le_words(bytes).collect();
    Ok(decode_words(version, &words))
}

/// Guess the version from the major-version field: each version's `QMD_MAJOR_VERSION` lives at a different
/// place (V03_00 bits 583:580, V04_00 bits 583:580, V05_00 bits 471:468), so the length and the stored
/// major number together pick one. Returns `None` when nothing matches.
pub fn detect_version(bytes: &[u8]) -> Option<QmdVersion> {
    QmdVersion::ALL.into_iter().find(|v| {
        if bytes.len() != v.size_bytes() {
            return false;
        }
        let f = v.layout().major_version;
        let Some(w) = bytes
            .get(f.word() * 4..)
            .and_then(|b| super::le_words(b).next())
        else {
            return false;
        };
        (w >> f.shift()) & f.max() == v.numbers().0
    })
}
