//! The pushbuffer decoder's QMD hook: turns QMD words met in a pushbuffer into named QMD fields.
//!
//! [`PushQmdDecoder`] implements [`crate::push::decode::QmdDecoder`]. The QMD version comes from the bound
//! compute class through the HAL's class -> version mapping ([`crate::hal::compute_class_qmd_versions`]);
//! when the stored major-version field says otherwise (e.g. a V03_00 QMD loaded on `HOPPER_COMPUTE_A`, whose
//! header defines both), the detected version wins and the label says so.
//!
//! Inline QMDs (`LOAD_INLINE_QMD_DATA`) are decoded from the words collected; fewer words than the QMD size
//! decode with the missing words taken as zero (labelled `partial`), extra words are ignored (labelled).
//! QMDs launched by address (`SEND_PCAS_A`) are decoded when the caller gave the memory holding them
//! ([`PushQmdDecoder::with_memory`]). Only fields with a non-zero value are reported, then any set bits no
//! field covers as `unmapped_word<N>`.

use std::borrow::Cow;

use super::decode::{decode_words, detect_version, DecodedQmd};
use super::QmdVersion;
use crate::class::ClassDesc;
use crate::hal;
use crate::push::decode::{QmdDecoded, QmdDecoder};

/// QMD hook for [`crate::push::decode::Decoder::qmd_decoder`].
#[derive(Debug, Clone)]
pub struct PushQmdDecoder<'m> {
    versions: Vec<(u32, QmdVersion)>,
    memory: Vec<(u64, &'m [u8])>,
}

impl Default for PushQmdDecoder<'_> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'m> PushQmdDecoder<'m> {
    /// A hook with the HAL's class -> QMD version mapping and no memory.
    pub fn new() -> Self {
        Self {
            versions: hal::compute_class_qmd_versions(),
            memory: Vec::new(),
        }
    }

    /// Adds GPU memory the hook may read QMDs from: `bytes` as seen at GPU virtual address `base` (a dump of a
    /// QMD pool, for example). Later regions do not replace earlier ones; the first region holding the whole
    /// QMD is used.
    pub fn with_memory(mut self, base: u64, bytes: &'m [u8]) -> Self {
        self.memory.push((base, bytes));
        self
    }

    /// QMD version the HALs use for compute class `class_id`.
    pub fn version_for(&self, class_id: u32) -> Option<QmdVersion> {
        self.versions
            .iter()
            .find(|&&(c, _)| c == class_id)
            .map(|&(_, v)| v)
    }

    /// Picks the version for `words` (exactly one QMD's worth or fewer) on `class`: the HAL's version, unless
    /// the words' own major-version field names another version of the same size.
    fn pick(&self, class: &ClassDesc, words: &[u32]) -> Option<(QmdVersion, Option<QmdVersion>)> {
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        let detected = detect_version(&bytes);
        match (self.version_for(class.id), detected) {
            (Some(hal), Some(det)) if det != hal => Some((det, Some(hal))),
            (Some(hal), _) => Some((hal, None)),
            (None, Some(det)) => Some((det, None)),
            (None, None) => None,
        }
    }

    fn decode_words_for(&self, class: &ClassDesc, words: &[u32]) -> Option<QmdDecoded> {
        // Choose on the words as given when they are one QMD of some version, else on the HAL's version.
        let hal_version = self.version_for(class.id);
        let (version, overridden) = match self.pick(class, words) {
            Some(p) => p,
            None => {
                // Unknown class and no exact-size match: try each version's size as a prefix.
                let v = QmdVersion::ALL.into_iter().find(|v| {
                    words.get(..v.layout().words).is_some_and(|w| {
                        let b: Vec<u8> = w.iter().flat_map(|x| x.to_le_bytes()).collect();
                        detect_version(&b) == Some(*v)
                    })
                })?;
                (v, None)
            }
        };
        let n = version.layout().words;
        let mut padded = vec![0u32; n];
        for (d, s) in padded.iter_mut().zip(words) {
            *d = *s;
        }
        let decoded = decode_words(version, &padded);
        let mut label = short(version);
        if let Some(h) = overridden {
            label.push_str(&format!(
                " (stored version; class {} takes {})",
                class.short,
                short(h)
            ));
        } else if hal_version.is_none() {
            label.push_str(&format!(" (detected; no HAL maps class {})", class.short));
        }
        if words.len() < n {
            label.push_str(&format!(
                " (partial: {} of {n} words, rest taken as 0)",
                words.len()
            ));
        } else if words.len() > n {
            label.push_str(&format!(" ({} extra words ignored)", words.len() - n));
        }
        Some(to_push(&decoded, label))
    }
}

/// `V04_00` for QMD V04_00 (the decoder prints "QMD" before it).
fn short(v: QmdVersion) -> String {
    let (major, minor) = v.numbers();
    format!("V{major:02}_{minor:02}")
}

/// Non-zero fields and unmapped bits of `d`, labelled `version`.
fn to_push(d: &DecodedQmd, version: String) -> QmdDecoded {
    let mut fields: Vec<(Cow<'static, str>, u64)> = d
        .nonzero()
        .map(|f| {
            let name = match f.field.index {
                Some(i) => Cow::Owned(format!("{}({i})", f.field.name)),
                None => Cow::Borrowed(f.field.name),
            };
            (name, u64::from(f.value))
        })
        .collect();
    fields.extend(
        d.unmapped
            .iter()
            .map(|&(i, bits)| (Cow::Owned(format!("unmapped_word{i}")), u64::from(bits))),
    );
    QmdDecoded {
        version: Cow::Owned(version),
        fields,
    }
}

impl QmdDecoder for PushQmdDecoder<'_> {
    fn decode_inline(&self, class: &'static ClassDesc, words: &[u32]) -> Option<QmdDecoded> {
        if words.is_empty() {
            return None;
        }
        self.decode_words_for(class, words)
    }

    fn decode_at(&self, class: &'static ClassDesc, address: u64) -> Option<QmdDecoded> {
        // Largest QMD any version has; the chosen version decides how much is read.
        let max = QmdVersion::ALL
            .iter()
            .map(|v| v.size_bytes())
            .max()
            .unwrap_or(0);
        let (base, bytes) = self.memory.iter().find(|(base, bytes)| {
            address
                .checked_sub(*base)
                .and_then(|o| usize::try_from(o).ok())
                .is_some_and(|o| o < bytes.len())
        })?;
        let off = usize::try_from(address.checked_sub(*base)?).ok()?;
        let avail = bytes.get(off..)?;
        let want = match self.version_for(class.id) {
            Some(v) => v.size_bytes(),
            None => max,
        };
        let chunk = avail.get(..want.min(avail.len()))?;
        let words: Vec<u32> = super::le_words(chunk).collect();
        if words.is_empty() {
            return None;
        }
        self.decode_words_for(class, &words)
    }
}
