//! Pushbuffer decoder: words -> class, method name, fields (with the header's value names).
//!
//! It follows `SET_OBJECT` (method 0) to know which class is bound on each subchannel, or starts from
//! given bindings. Methods below 0x100 are host (channel) methods and decode with the host class
//! (given, or inferred from the first engine class bound). Methods no table knows are shown raw.
//! Any input decodes without panicking; truncated packets and reserved header forms become items.
//!
//! QMDs: the decoder collects `LOAD_INLINE_QMD_DATA` words (after `SET_INLINE_QMD_ADDRESS_A/B`) and
//! notes the QMD address of `SEND_PCAS_A`; a [`QmdDecoder`] given by the caller turns those into fields.
//! The QMD module's [`crate::qmd::PushQmdDecoder`] is that hook: it picks the QMD version from the bound
//! compute class through the HAL and names every non-zero field ([`Decoder::with_qmd_fields`] sets it up).

use std::borrow::Cow;
use std::fmt;

use super::{MethodHeader, SecOp};
use crate::class::{self, ClassDesc, ClassKind, FieldDesc, MethodDesc};

/// Compute-class method offsets the decoder follows for QMDs. The same in C6C0, C7C0, C9C0, CBC0,
/// CDC0 and CEC0 (checked by a test against the generated tables).
pub mod compute_offsets {
    /// `SEND_PCAS_A` (QMD_ADDRESS_SHIFTED8 31:0).
    pub const SEND_PCAS_A: u32 = 0x02b4;
    /// `SET_INLINE_QMD_ADDRESS_A` (QMD_ADDRESS_SHIFTED8_UPPER).
    pub const SET_INLINE_QMD_ADDRESS_A: u32 = 0x0318;
    /// `SET_INLINE_QMD_ADDRESS_B` (QMD_ADDRESS_SHIFTED8_LOWER 31:0).
    pub const SET_INLINE_QMD_ADDRESS_B: u32 = 0x031c;
    /// `LOAD_INLINE_QMD_DATA(0)`.
    pub const LOAD_INLINE_QMD_DATA: u32 = 0x0320;
}

/// A decoded QMD: its version and fields, as the QMD decoder reports them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QmdDecoded {
    /// e.g. "V04_00".
    pub version: Cow<'static, str>,
    /// (field name, value) pairs.
    pub fields: Vec<(Cow<'static, str>, u64)>,
}

/// Hook for decoding QMDs met in a pushbuffer (implemented by the QMD module).
pub trait QmdDecoder {
    /// Decodes the words loaded with `LOAD_INLINE_QMD_DATA` for compute class `class`.
    fn decode_inline(&self, class: &'static ClassDesc, words: &[u32]) -> Option<QmdDecoded>;
    /// Decodes the QMD at GPU virtual address `address` (from `SEND_PCAS_A`), if the hook can read it.
    fn decode_at(&self, class: &'static ClassDesc, address: u64) -> Option<QmdDecoded>;
}

/// One field of a decoded method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodedField {
    /// Table entry.
    pub desc: &'static FieldDesc,
    /// Raw value.
    pub value: u32,
    /// The header's name for the value, if any.
    pub value_name: Option<&'static str>,
}

/// One method write (one data word, or the value of an immediate header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedMethod {
    /// Index of the data word (of the header for immediates).
    pub index: usize,
    /// Subchannel.
    pub subchannel: u8,
    /// Header form that carried the write.
    pub op: SecOp,
    /// Class used to decode (host class for offsets below 0x100), if known.
    pub class: Option<&'static ClassDesc>,
    /// Byte offset.
    pub offset: u32,
    /// Data value.
    pub value: u32,
    /// Method table entry and array index, if the class table has the method.
    pub method: Option<(&'static MethodDesc, u32)>,
    /// Fields (empty when the method is unknown).
    pub fields: Vec<DecodedField>,
    /// Set bits outside every field (0 when the method is unknown).
    pub reserved: u32,
}

/// One item of a decoded pushbuffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A method header.
    Header {
        /// Word index.
        index: usize,
        /// The word.
        word: u32,
        /// Decoded form.
        header: MethodHeader,
    },
    /// A method write.
    Method(DecodedMethod),
    /// `SET_OBJECT` bound a class on a subchannel.
    Bind {
        /// Word index of the data.
        index: usize,
        /// Subchannel.
        subchannel: u8,
        /// Class id written.
        class_id: u32,
        /// Its table, if this crate knows the class.
        class: Option<&'static ClassDesc>,
    },
    /// Inline QMD words collected from `LOAD_INLINE_QMD_DATA`.
    InlineQmd {
        /// Word index of the first QMD word.
        index: usize,
        /// Class.
        class: &'static ClassDesc,
        /// Address from `SET_INLINE_QMD_ADDRESS_A/B` (bytes), if it was set.
        address: Option<u64>,
        /// Number of words collected.
        words: usize,
        /// QMD size in bytes that `SET_INLINE_QMD_ADDRESS_A`'s `INLINE_SIZE` (bit 30: 0 = 256, 1 = 384,
        /// `clcbc0.h`) announced, on classes that have the field; `None` on classes without it (C6C0..C9C0,
        /// 256-byte inline QMDs only) or when the address was not set.
        inline_size: Option<u32>,
        /// What the QMD hook made of them.
        decoded: Option<QmdDecoded>,
    },
    /// `SEND_PCAS_A` named a QMD address.
    QmdAt {
        /// Word index.
        index: usize,
        /// Class.
        class: &'static ClassDesc,
        /// QMD address in bytes.
        address: u64,
        /// What the QMD hook made of it.
        decoded: Option<QmdDecoded>,
    },
    /// A header announced more data words than the buffer has.
    Truncated {
        /// Word index of the header.
        index: usize,
        /// Words announced.
        expected: u32,
        /// Words present.
        available: usize,
    },
    /// A header form this decoder does not follow (sub-device mask ops, legacy forms, reserved).
    Unsupported {
        /// Word index.
        index: usize,
        /// The word.
        word: u32,
        /// Why.
        what: &'static str,
    },
}

/// Decoder state: subchannel bindings, host class, QMD hook.
pub struct Decoder<'h> {
    bindings: [Option<u32>; 8],
    host: Option<&'static ClassDesc>,
    qmd: Option<&'h dyn QmdDecoder>,
}

impl fmt::Debug for Decoder<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decoder")
            .field("bindings", &self.bindings)
            .field("host", &self.host.map(|h| h.short))
            .field("qmd", &self.qmd.is_some())
            .finish()
    }
}

impl Default for Decoder<'_> {
    fn default() -> Self {
        Self::new()
    }
}

#[derive(Debug, Default)]
struct InlineQmd {
    subc: u8,
    class: Option<&'static ClassDesc>,
    start: usize,
    words: Vec<u32>,
}

impl<'h> Decoder<'h> {
    /// No bindings, host class inferred.
    pub fn new() -> Self {
        Self {
            bindings: [None; 8],
            host: None,
            qmd: None,
        }
    }

    /// Starts with class `class_id` bound on `subchannel` (ignored if `subchannel` > 7).
    pub fn bind(mut self, subchannel: u8, class_id: u32) -> Self {
        if let Some(b) = self.bindings.get_mut(usize::from(subchannel)) {
            *b = Some(class_id);
        }
        self
    }

    /// Uses `host` for methods below 0x100 (otherwise inferred from the first engine class bound).
    pub fn host_class(mut self, host: &'static ClassDesc) -> Self {
        self.host = Some(host);
        self
    }

    /// Sets the QMD hook.
    pub fn qmd_decoder(mut self, hook: &'h dyn QmdDecoder) -> Self {
        self.qmd = Some(hook);
        self
    }

    /// Sets `hook` (normally a [`crate::qmd::PushQmdDecoder`]) as the QMD hook; same as
    /// [`Decoder::qmd_decoder`], named for what it does.
    pub fn with_qmd_fields(self, hook: &'h crate::qmd::PushQmdDecoder<'_>) -> Self {
        self.qmd_decoder(hook)
    }

    fn host(&self) -> Option<&'static ClassDesc> {
        self.host.or_else(|| {
            self.bindings
                .iter()
                .flatten()
                .find_map(|&id| class::host_class_for(id))
        })
    }

    fn decode_value(
        &self,
        index: usize,
        subc: u8,
        op: SecOp,
        offset: u32,
        value: u32,
        cls: Option<&'static ClassDesc>,
    ) -> DecodedMethod {
        let method = cls.and_then(|c| class::lookup(c, offset));
        let (fields, reserved) = match method {
            Some((m, _)) => (
                m.fields
                    .iter()
                    .map(|f| {
                        let v = f.get(value);
                        DecodedField {
                            desc: f,
                            value: v,
                            value_name: f.value_name(v),
                        }
                    })
                    .collect(),
                value & m.reserved_mask(),
            ),
            None => (Vec::new(), 0),
        };
        DecodedMethod {
            index,
            subchannel: subc,
            op,
            class: cls,
            offset,
            value,
            method,
            fields,
            reserved,
        }
    }

    fn flush_qmd(
        &self,
        q: &mut Option<InlineQmd>,
        addr: &[Option<u64>; 8],
        sizes: &[Option<u32>; 8],
        out: &mut Vec<Item>,
    ) {
        if let Some(iq) = q.take() {
            if let Some(c) = iq.class {
                let decoded = self.qmd.and_then(|h| h.decode_inline(c, &iq.words));
                out.push(Item::InlineQmd {
                    index: iq.start,
                    class: c,
                    address: addr.get(usize::from(iq.subc)).copied().flatten(),
                    words: iq.words.len(),
                    inline_size: sizes.get(usize::from(iq.subc)).copied().flatten(),
                    decoded,
                });
            }
        }
    }

    /// Decodes a whole pushbuffer. Bindings made by `SET_OBJECT` persist in `self`.
    pub fn decode(&mut self, words: &[u32]) -> Vec<Item> {
        let mut out = Vec::new();
        let mut inline: Option<InlineQmd> = None;
        let mut qmd_addr_hi = [0u32; 8];
        let mut qmd_inline_size: [Option<u32>; 8] = [None; 8];
        let mut qmd_addr: [Option<u64>; 8] = [None; 8];
        let mut i = 0usize;
        while let Some(&word) = words.get(i) {
            let h = MethodHeader::decode(word);
            out.push(Item::Header {
                index: i,
                word,
                header: h,
            });
            let (count, immediate) = match h.op {
                SecOp::IncMethod | SecOp::NonIncMethod | SecOp::OneInc => (h.count_or_data, false),
                SecOp::ImmdDataMethod => (1, true),
                SecOp::Grp0UseTert | SecOp::Grp2UseTert => {
                    out.push(Item::Unsupported {
                        index: i,
                        word,
                        what: "legacy or sub-device-mask header form",
                    });
                    i += 1;
                    continue;
                }
                SecOp::Reserved6 => {
                    out.push(Item::Unsupported {
                        index: i,
                        word,
                        what: "reserved SEC_OP 6",
                    });
                    i += 1;
                    continue;
                }
                SecOp::EndPbSegment => {
                    out.push(Item::Unsupported {
                        index: i,
                        word,
                        what: "END_PB_SEGMENT",
                    });
                    i += 1;
                    continue;
                }
            };
            let header_index = i;
            i += 1;
            let available = words.len().saturating_sub(i);
            let n = if immediate {
                0
            } else {
                usize::try_from(count).unwrap_or(usize::MAX)
            };
            if n > available {
                out.push(Item::Truncated {
                    index: header_index,
                    expected: count,
                    available,
                });
            }
            let n_present = n.min(available);
            for k in 0..(if immediate { 1 } else { n_present }) {
                let (value, index) = if immediate {
                    (h.count_or_data, header_index)
                } else {
                    (words.get(i + k).copied().unwrap_or(0), i + k)
                };
                let kk = u32::try_from(k).unwrap_or(u32::MAX);
                let offset = match h.op {
                    SecOp::IncMethod => h.offset.saturating_add(kk.saturating_mul(4)),
                    SecOp::OneInc if k > 0 => h.offset.saturating_add(4),
                    _ => h.offset,
                };
                let subc = h.subchannel;
                let si = usize::from(subc);
                // Finish an inline QMD when anything else is written on its subchannel.
                let is_qmd_data = offset >= compute_offsets::LOAD_INLINE_QMD_DATA
                    && self.bound_class(subc).is_some_and(|c| {
                        c.kind == ClassKind::Compute
                            && class::lookup(c, offset).is_some_and(|(m, _)| {
                                m.offset == compute_offsets::LOAD_INLINE_QMD_DATA
                            })
                    });
                if inline.as_ref().is_some_and(|q| q.subc == subc) && !is_qmd_data {
                    self.flush_qmd(&mut inline, &qmd_addr, &qmd_inline_size, &mut out);
                }
                if offset == 0 {
                    let class_id = value & 0xFFFF;
                    let new = class::class_by_id(class_id);
                    if let Some(b) = self.bindings.get_mut(si) {
                        *b = Some(class_id);
                    }
                    let cls = new
                        .filter(|c| class::lookup(c, 0).is_some())
                        .or_else(|| self.host());
                    out.push(Item::Method(
                        self.decode_value(index, subc, h.op, offset, value, cls),
                    ));
                    out.push(Item::Bind {
                        index,
                        subchannel: subc,
                        class_id,
                        class: new,
                    });
                    continue;
                }
                let cls = if offset < 0x100 {
                    self.host()
                } else {
                    self.bound_class(subc)
                };
                let dm = self.decode_value(index, subc, h.op, offset, value, cls);
                let compute = cls.filter(|c| c.kind == ClassKind::Compute);
                out.push(Item::Method(dm));
                if let Some(c) = compute {
                    match offset {
                        compute_offsets::SET_INLINE_QMD_ADDRESS_A => {
                            if let Some(s) = qmd_addr_hi.get_mut(si) {
                                *s = value & 0x1FF;
                            }
                            // INLINE_SIZE is the one-bit field at bit 30, where the class has it.
                            let has_size = class::lookup(c, offset).is_some_and(|(m, _)| {
                                m.fields.iter().any(|f| f.lo == 30 && f.hi == 30)
                            });
                            if let Some(s) = qmd_inline_size.get_mut(si) {
                                *s = has_size.then_some(if value & (1 << 30) != 0 {
                                    384
                                } else {
                                    256
                                });
                            }
                        }
                        compute_offsets::SET_INLINE_QMD_ADDRESS_B => {
                            let hi = qmd_addr_hi.get(si).copied().unwrap_or(0);
                            if let Some(s) = qmd_addr.get_mut(si) {
                                *s = Some(((u64::from(hi) << 32) | u64::from(value)) << 8);
                            }
                        }
                        compute_offsets::SEND_PCAS_A => {
                            let address = u64::from(value) << 8;
                            let decoded = self.qmd.and_then(|q| q.decode_at(c, address));
                            out.push(Item::QmdAt {
                                index,
                                class: c,
                                address,
                                decoded,
                            });
                        }
                        _ if is_qmd_data => {
                            let q = inline.get_or_insert_with(|| InlineQmd {
                                subc,
                                class: Some(c),
                                start: index,
                                words: Vec::new(),
                            });
                            q.words.push(value);
                        }
                        _ => {}
                    }
                }
            }
            i += n_present;
        }
        self.flush_qmd(&mut inline, &qmd_addr, &qmd_inline_size, &mut out);
        out
    }

    fn bound_class(&self, subc: u8) -> Option<&'static ClassDesc> {
        self.bindings
            .get(usize::from(subc))
            .copied()
            .flatten()
            .and_then(class::class_by_id)
    }
}

/// Decodes `words` with a fresh [`Decoder`] and no initial bindings.
pub fn decode(words: &[u32]) -> Vec<Item> {
    Decoder::new().decode(words)
}

impl fmt::Display for DecodedField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.value_name {
            Some(n) => write!(f, "{}={}", self.desc.name, n),
            None => write!(f, "{}={:#x}", self.desc.name, self.value),
        }
    }
}

impl fmt::Display for DecodedMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cls = self.class.map_or("????", |c| c.short);
        match self.method {
            Some((m, idx)) => {
                if m.count > 1 {
                    write!(f, "{cls}.{}({idx}) = {:#010x}", m.name, self.value)?;
                } else {
                    write!(f, "{cls}.{} = {:#010x}", m.name, self.value)?;
                }
                let mut first = true;
                for fld in &self.fields {
                    // Whole-word fields repeat the value; show only split words.
                    if m.fields.len() == 1 && fld.desc.width() == 32 && fld.value_name.is_none() {
                        continue;
                    }
                    write!(f, "{}{fld}", if first { " { " } else { ", " })?;
                    first = false;
                }
                if !first {
                    write!(f, " }}")?;
                }
                if self.reserved != 0 {
                    write!(f, " reserved bits {:#x}", self.reserved)?;
                }
                if m.inherited.is_some() {
                    write!(f, " (inherited)")?;
                }
                Ok(())
            }
            None => write!(
                f,
                "{cls}.[{:#06x}] = {:#010x} (unknown method)",
                self.offset, self.value
            ),
        }
    }
}

fn op_name(op: SecOp) -> &'static str {
    match op {
        SecOp::Grp0UseTert => "GRP0",
        SecOp::IncMethod => "INC",
        SecOp::Grp2UseTert => "GRP2",
        SecOp::NonIncMethod => "NINC",
        SecOp::ImmdDataMethod => "IMMD",
        SecOp::OneInc => "1INC",
        SecOp::Reserved6 => "RSVD6",
        SecOp::EndPbSegment => "END",
    }
}

impl fmt::Display for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Item::Header {
                index,
                word,
                header,
            } => {
                let h = header;
                if h.op == SecOp::ImmdDataMethod {
                    write!(
                        f,
                        "{index:04}: {word:08x} {} subc={} mthd={:#06x} data={:#x}",
                        op_name(h.op),
                        h.subchannel,
                        h.offset,
                        h.count_or_data
                    )
                } else {
                    write!(
                        f,
                        "{index:04}: {word:08x} {} subc={} mthd={:#06x} count={}",
                        op_name(h.op),
                        h.subchannel,
                        h.offset,
                        h.count_or_data
                    )
                }
            }
            Item::Method(m) => {
                if m.op == SecOp::ImmdDataMethod {
                    write!(f, "               {m}")
                } else {
                    write!(f, "{:04}: {:08x}   {m}", m.index, m.value)
                }
            }
            Item::Bind {
                subchannel,
                class_id,
                class,
                ..
            } => match class {
                Some(c) => write!(
                    f,
                    "               bind subc {subchannel} = {} ({:#06x})",
                    c.name, class_id
                ),
                None => write!(
                    f,
                    "               bind subc {subchannel} = unknown class {class_id:#06x}"
                ),
            },
            Item::InlineQmd {
                index,
                class,
                address,
                words,
                inline_size,
                decoded,
            } => {
                write!(
                    f,
                    "{index:04}: inline QMD for {}: {words} words",
                    class.short
                )?;
                if let Some(a) = address {
                    write!(f, " at {a:#x}")?;
                }
                if let Some(n) = inline_size {
                    if words.checked_mul(4) != usize::try_from(*n).ok() {
                        write!(f, " (INLINE_SIZE announces {n} bytes)")?;
                    }
                }
                fmt_qmd(f, decoded.as_ref())
            }
            Item::QmdAt {
                index,
                class,
                address,
                decoded,
            } => {
                write!(
                    f,
                    "{index:04}: {} launches QMD at {address:#x}",
                    class.short
                )?;
                fmt_qmd(f, decoded.as_ref())
            }
            Item::Truncated {
                index,
                expected,
                available,
            } => {
                write!(
                    f,
                    "{index:04}: truncated: header announces {expected} words, {available} present"
                )
            }
            Item::Unsupported { index, word, what } => {
                write!(f, "{index:04}: {word:08x} {what} (not decoded)")
            }
        }
    }
}

fn fmt_qmd(f: &mut fmt::Formatter<'_>, q: Option<&QmdDecoded>) -> fmt::Result {
    if let Some(q) = q {
        write!(f, " QMD {}", q.version)?;
        for (n, v) in &q.fields {
            write!(f, "\n                 {n} = {v:#x}")?;
        }
    }
    Ok(())
}

/// A decoded pushbuffer with a multi-line [`fmt::Display`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing(pub Vec<Item>);

impl fmt::Display for Listing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for item in &self.0 {
            writeln!(f, "{item}")?;
        }
        Ok(())
    }
}
