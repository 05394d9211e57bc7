//! Pushbuffer builder (in the manner of Mesa nv_push), GPFIFO entries and the channel control area.
//!
//! A pushbuffer is a sequence of 32-bit words: a method header followed by its data words. Header
//! layout (host class headers, `NVC56F_DMA_*`, identical in `cl906f.h` and later):
//! - `METHOD_ADDRESS` 11:0 — method byte offset / 4,
//! - `METHOD_SUBCHANNEL` 15:13,
//! - `METHOD_COUNT` 28:16 — number of data words (13 bits), or `IMMD_DATA` 28:16 for immediates,
//! - `SEC_OP` 31:29 — 1 `INC_METHOD` (each data word goes to the next method), 3 `NON_INC_METHOD` (all
//!   to the same method), 4 `IMMD_DATA_METHOD` (no data word; 13-bit value in the header), 5 `ONE_INC`
//!   (first word to the method, the rest to the next one).
//!
//! [`PushBuffer`] appends to a caller-provided `&mut [u32]` without allocating, picks the shortest form
//! automatically (extends an open header when methods are consecutive or repeated, uses an immediate
//! when the value fits 13 bits) and returns [`Error::PushBufferFull`] instead of overrunning.

// Errors are built lazily (`ok_or_else`) on the launch path on purpose: `Error` has drop glue, so an eagerly
// built `ok_or(Error::..)` costs a construction and a drop on every successful call (seen with callgrind,
// bench/results/launch-encode-2026-11-21-template.md); clippy's lint assumes the value is free.
#![allow(clippy::unnecessary_lazy_evaluations)]

pub mod decode;
pub mod gpfifo;
pub mod userd;

use core::marker::PhantomData;

use crate::class::{Class, Method};
use crate::error::Error;

/// `SEC_OP` of a method header (`NVC56F_DMA_SEC_OP_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum SecOp {
    /// `GRP0_USE_TERT` (0): legacy/sub-device-mask forms, see `TERT_OP`.
    Grp0UseTert = 0,
    /// `INC_METHOD` (1).
    IncMethod = 1,
    /// `GRP2_USE_TERT` (2): legacy non-incrementing form.
    Grp2UseTert = 2,
    /// `NON_INC_METHOD` (3).
    NonIncMethod = 3,
    /// `IMMD_DATA_METHOD` (4).
    ImmdDataMethod = 4,
    /// `ONE_INC` (5).
    OneInc = 5,
    /// `RESERVED6` (6).
    Reserved6 = 6,
    /// `END_PB_SEGMENT` (7).
    EndPbSegment = 7,
}

impl SecOp {
    /// From the 3-bit field.
    pub const fn from_bits(v: u32) -> Self {
        match v & 7 {
            0 => Self::Grp0UseTert,
            1 => Self::IncMethod,
            2 => Self::Grp2UseTert,
            3 => Self::NonIncMethod,
            4 => Self::ImmdDataMethod,
            5 => Self::OneInc,
            6 => Self::Reserved6,
            _ => Self::EndPbSegment,
        }
    }
}

/// Header bit positions (`NVC56F_DMA_*`).
pub mod hdr {
    /// `METHOD_ADDRESS` 11:0 (dword address).
    pub const ADDRESS_MASK: u32 = 0xFFF;
    /// `METHOD_SUBCHANNEL` 15:13.
    pub const SUBCHANNEL_SHIFT: u32 = 13;
    /// `METHOD_COUNT` / `IMMD_DATA` 28:16.
    pub const COUNT_SHIFT: u32 = 16;
    /// 13-bit count / immediate mask.
    pub const COUNT_MASK: u32 = 0x1FFF;
    /// `SEC_OP` 31:29.
    pub const SEC_OP_SHIFT: u32 = 29;
    /// `TERT_OP` 17:16 (only with `SEC_OP` 0 or 2).
    pub const TERT_OP_SHIFT: u32 = 16;
    /// Largest method byte offset a header can address.
    pub const MAX_OFFSET: u32 = ADDRESS_MASK << 2;
}

/// A decoded or to-be-encoded method header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MethodHeader {
    /// Operation.
    pub op: SecOp,
    /// Subchannel 0..=7.
    pub subchannel: u8,
    /// Method byte offset (multiple of 4, below 0x4000).
    pub offset: u32,
    /// Data word count, or the immediate value for [`SecOp::ImmdDataMethod`].
    pub count_or_data: u32,
}

impl MethodHeader {
    /// Encodes the header; errors on an out-of-range subchannel, offset or count.
    pub fn encode(&self) -> Result<u32, Error> {
        if self.subchannel > 7 {
            return Err(Error::InvalidSubchannel(self.subchannel));
        }
        check_offset(self.offset)?;
        if self.count_or_data > hdr::COUNT_MASK {
            return Err(Error::ImmediateTooLarge(self.count_or_data));
        }
        Ok(header_word(
            self.op,
            self.subchannel,
            self.offset,
            self.count_or_data,
        ))
    }

    /// Decodes any 32-bit word as a header (every word is some header).
    pub const fn decode(word: u32) -> Self {
        Self {
            op: SecOp::from_bits(word >> hdr::SEC_OP_SHIFT),
            subchannel: ((word >> hdr::SUBCHANNEL_SHIFT) & 7) as u8,
            offset: (word & hdr::ADDRESS_MASK) << 2,
            count_or_data: (word >> hdr::COUNT_SHIFT) & hdr::COUNT_MASK,
        }
    }
}

#[inline]
const fn header_word(op: SecOp, subc: u8, offset: u32, count: u32) -> u32 {
    ((op as u32) << hdr::SEC_OP_SHIFT)
        | ((count & hdr::COUNT_MASK) << hdr::COUNT_SHIFT)
        | (((subc & 7) as u32) << hdr::SUBCHANNEL_SHIFT)
        | ((offset >> 2) & hdr::ADDRESS_MASK)
}

#[inline]
fn check_offset(offset: u32) -> Result<(), Error> {
    if offset & 3 != 0 || offset > hdr::MAX_OFFSET {
        return Err(Error::InvalidMethodOffset(offset));
    }
    Ok(())
}

/// A subchannel number 0..=7.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Subchannel(u8);

impl Subchannel {
    /// Checked constructor.
    pub const fn new(n: u8) -> Result<Self, Error> {
        if n > 7 {
            return Err(Error::InvalidSubchannel(n));
        }
        Ok(Self(n))
    }

    /// The number.
    pub const fn get(self) -> u8 {
        self.0
    }
}

/// Proof that class `C` is bound on a subchannel: typed methods of `C` can only be pushed through it.
#[derive(Debug)]
pub struct Bound<C: Class> {
    subchannel: Subchannel,
    _class: PhantomData<C>,
}

impl<C: Class> Clone for Bound<C> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<C: Class> Copy for Bound<C> {}

impl<C: Class> Bound<C> {
    /// Asserts that `C` is already bound on `subchannel` (e.g. by an earlier pushbuffer), or that `C` is
    /// a host class (host methods, offsets below 0x100, are valid on every subchannel).
    pub const fn assume(subchannel: Subchannel) -> Self {
        Self {
            subchannel,
            _class: PhantomData,
        }
    }

    /// The subchannel.
    pub const fn subchannel(self) -> Subchannel {
        self.subchannel
    }
}

#[derive(Debug, Clone, Copy)]
struct Open {
    /// Index of the header word in the buffer.
    at: usize,
    op: SecOp,
    subc: u8,
    /// Method byte offset of the header.
    offset: u32,
    count: u32,
}

/// Pushbuffer builder over a caller-provided word buffer. No allocation; every append either writes
/// all of its words or none and returns [`Error::PushBufferFull`].
#[derive(Debug)]
pub struct PushBuffer<'a> {
    buf: &'a mut [u32],
    len: usize,
    open: Option<Open>,
}

impl<'a> PushBuffer<'a> {
    /// Starts an empty pushbuffer over `buf`.
    pub fn new(buf: &'a mut [u32]) -> Self {
        Self {
            buf,
            len: 0,
            open: None,
        }
    }

    /// Words written so far.
    pub fn words(&self) -> &[u32] {
        self.buf.get(..self.len).unwrap_or(&[])
    }

    /// Number of words written.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True if nothing was written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Capacity in words.
    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    /// Words left.
    pub fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.len)
    }

    /// Forgets everything written (the buffer's contents are left as they are).
    pub fn clear(&mut self) {
        self.len = 0;
        self.open = None;
    }

    /// Ends the open header so the next method starts a new one (e.g. before the caller splits
    /// the buffer into two GPFIFO entries at this point).
    pub fn close(&mut self) {
        self.open = None;
    }

    /// Runs `f`; if it fails, the pushbuffer is put back as it was before (length, open header and
    /// the open header's word), so a multi-method sequence is all-or-nothing.
    #[inline(always)]
    pub fn atomic<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T, Error>) -> Result<T, Error> {
        let (len, open) = (self.len, self.open);
        let header = open.and_then(|o| self.buf.get(o.at).copied());
        let r = f(self);
        if r.is_err() {
            self.len = len;
            self.open = open;
            if let (Some(o), Some(w)) = (open, header) {
                if let Some(slot) = self.buf.get_mut(o.at) {
                    *slot = w;
                }
            }
        }
        r
    }

    #[inline]
    fn reserve(&self, n: usize) -> Result<(), Error> {
        let available = self.remaining();
        if n > available {
            return Err(Error::PushBufferFull {
                needed: n,
                available,
            });
        }
        Ok(())
    }

    #[inline]
    fn put(&mut self, word: u32) {
        // Callers reserve first; `get_mut` keeps this panic-free even if they did not.
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = word;
            self.len += 1;
        }
    }

    #[inline]
    fn set_header(&mut self, open: Open) {
        if let Some(slot) = self.buf.get_mut(open.at) {
            *slot = header_word(open.op, open.subc, open.offset, open.count);
        }
    }

    /// Writes one data word to method `offset` on `subc`, choosing the shortest encoding:
    /// appended to the open header when it continues it, else an immediate when `value` fits 13 bits,
    /// else a new incrementing header.
    #[inline(always)]
    pub fn method_raw(&mut self, subc: Subchannel, offset: u32, value: u32) -> Result<(), Error> {
        check_offset(offset)?;
        let s = subc.get();
        // Fast paths (the common cases, decided exactly as `method_raw_general` would decide them):
        // no open header, or an open INC header on this subchannel that `offset` continues.
        match self.open {
            None => self.start_method(s, offset, value),
            Some(mut o)
                if o.op == SecOp::IncMethod
                    && o.subc == s
                    && o.count < hdr::COUNT_MASK
                    && o.offset.checked_add(o.count.saturating_mul(4)) == Some(offset) =>
            {
                let len = self.len;
                let Some(slot) = self.buf.get_mut(len) else {
                    return Err(Error::PushBufferFull {
                        needed: 1,
                        available: 0,
                    });
                };
                *slot = value;
                self.len = len + 1;
                o.count += 1;
                self.set_header(o);
                self.open = Some(o);
                Ok(())
            }
            // An open INC header this method cannot extend or convert (other subchannel, full, or an offset
            // that is neither the next one, nor a repeat of its first, nor the ONE_INC case): a fresh start.
            Some(o)
                if o.op == SecOp::IncMethod
                    && (o.subc != s
                        || o.count >= hdr::COUNT_MASK
                        || (offset != o.offset && o.offset.checked_add(4) != Some(offset))) =>
            {
                self.start_method(s, offset, value)
            }
            Some(_) => self.method_raw_general(s, offset, value),
        }
    }

    /// A method that does not continue an open header: an immediate when `value` fits 13 bits, else a new
    /// incrementing header (left open).
    #[inline(always)]
    fn start_method(&mut self, s: u8, offset: u32, value: u32) -> Result<(), Error> {
        let len = self.len;
        if value <= hdr::COUNT_MASK {
            let Some(slot) = self.buf.get_mut(len) else {
                return Err(Error::PushBufferFull {
                    needed: 1,
                    available: 0,
                });
            };
            *slot = header_word(SecOp::ImmdDataMethod, s, offset, value);
            self.len = len + 1;
            self.open = None;
            return Ok(());
        }
        let available = self.remaining();
        let Some([h, d]) = self
            .buf
            .get_mut(len..len.wrapping_add(2))
            .and_then(|w| <&mut [u32; 2]>::try_from(w).ok())
        else {
            return Err(Error::PushBufferFull {
                needed: 2,
                available,
            });
        };
        *h = header_word(SecOp::IncMethod, s, offset, 1);
        *d = value;
        self.open = Some(Open {
            at: len,
            op: SecOp::IncMethod,
            subc: s,
            offset,
            count: 1,
        });
        self.len = len + 2;
        Ok(())
    }

    /// [`Self::method_raw`] with an open header (every merge and conversion rule).
    #[inline(never)]
    fn method_raw_general(&mut self, s: u8, offset: u32, value: u32) -> Result<(), Error> {
        if let Some(mut o) = self.open {
            if o.subc == s && o.count < hdr::COUNT_MASK {
                let next = match o.op {
                    SecOp::IncMethod => o.offset.checked_add(o.count.saturating_mul(4)),
                    SecOp::NonIncMethod => Some(o.offset),
                    SecOp::OneInc => o.offset.checked_add(4),
                    _ => None,
                };
                let convert = match o.op {
                    // INC with one word at M followed by M again: becomes NON_INC.
                    SecOp::IncMethod if o.count == 1 && offset == o.offset => {
                        Some(SecOp::NonIncMethod)
                    }
                    // INC with M, M+4 followed by M+4 again: becomes ONE_INC.
                    SecOp::IncMethod if o.count == 2 && Some(offset) == o.offset.checked_add(4) => {
                        Some(SecOp::OneInc)
                    }
                    _ => None,
                };
                if next == Some(offset) || convert.is_some() {
                    self.reserve(1)?;
                    if let Some(op) = convert {
                        o.op = op;
                    }
                    o.count += 1;
                    self.put(value);
                    self.set_header(o);
                    self.open = Some(o);
                    return Ok(());
                }
            }
        }
        self.start_method(s, offset, value)
    }

    /// Writes `data` with one header of kind `op` (`IncMethod`, `NonIncMethod` or `OneInc`), split into
    /// several headers when longer than 8191 words. Leaves the header open for continuation.
    #[inline]
    pub fn methods(
        &mut self,
        op: SecOp,
        subc: Subchannel,
        offset: u32,
        data: &[u32],
    ) -> Result<(), Error> {
        check_offset(offset)?;
        if !matches!(op, SecOp::IncMethod | SecOp::NonIncMethod | SecOp::OneInc) {
            return Err(Error::NotADataSecOp(op));
        }
        if data.is_empty() {
            return Ok(());
        }
        let max = hdr::COUNT_MASK as usize;
        let chunks = data.len().div_ceil(max);
        if op == SecOp::IncMethod {
            // The last word's method must still be addressable.
            let last = u32::try_from(data.len() - 1)
                .ok()
                .and_then(|n| n.checked_mul(4))
                .and_then(|d| offset.checked_add(d))
                .ok_or_else(|| Error::InvalidMethodOffset(u32::MAX))?;
            check_offset(last)?;
        } else if op == SecOp::OneInc && data.len() > 1 {
            check_offset(offset.saturating_add(4))?;
        }
        self.reserve(data.len() + chunks)?;
        if let Ok(count) = u32::try_from(data.len()) {
            if count <= hdr::COUNT_MASK {
                // One header (every QMD and short array): header + one bulk copy, one bounds check.
                let at = self.len;
                let end = at + 1 + data.len();
                if let Some((h, body)) = self.buf.get_mut(at..end).and_then(|w| w.split_first_mut())
                {
                    *h = header_word(op, subc.get(), offset, count);
                    body.copy_from_slice(data);
                    self.len = end;
                    self.open = Some(Open {
                        at,
                        op,
                        subc: subc.get(),
                        offset,
                        count,
                    });
                    return Ok(());
                }
                return Err(Error::PushBufferFull {
                    needed: data.len() + 1,
                    available: self.remaining(),
                });
            }
        }
        let mut off = offset;
        let mut chunk_op = op;
        for chunk in data.chunks(max) {
            // chunk.len() <= 8191, so it fits the 13-bit count.
            let count = u32::try_from(chunk.len()).unwrap_or(hdr::COUNT_MASK);
            let o = Open {
                at: self.len,
                op: chunk_op,
                subc: subc.get(),
                offset: off,
                count,
            };
            self.put(header_word(chunk_op, o.subc, off, count));
            let end = self.len + chunk.len();
            if let Some(dst) = self.buf.get_mut(self.len..end) {
                dst.copy_from_slice(chunk);
                self.len = end;
            }
            self.open = Some(o);
            match chunk_op {
                SecOp::IncMethod => off = off.saturating_add(count.saturating_mul(4)),
                SecOp::OneInc => {
                    // The rest of a split ONE_INC goes to offset+4, non-incrementing.
                    off = off.saturating_add(4);
                    chunk_op = SecOp::NonIncMethod;
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Writes an immediate-data header (13-bit value, no data word).
    pub fn immediate(&mut self, subc: Subchannel, offset: u32, value: u32) -> Result<(), Error> {
        check_offset(offset)?;
        if value > hdr::COUNT_MASK {
            return Err(Error::ImmediateTooLarge(value));
        }
        self.reserve(1)?;
        self.put(header_word(
            SecOp::ImmdDataMethod,
            subc.get(),
            offset,
            value,
        ));
        self.open = None;
        Ok(())
    }

    /// Binds class `C` on `subc` (`SET_OBJECT`, method 0, data = class id) and returns the token that
    /// typed methods of `C` are pushed through.
    pub fn bind<C: Class>(&mut self, subc: Subchannel) -> Result<Bound<C>, Error> {
        self.method_raw(subc, 0, C::ID)?;
        Ok(Bound::assume(subc))
    }

    /// Pushes a typed method (debug builds assert that its fields fit; see [`Self::push_checked`]).
    #[inline(always)]
    pub fn push<M: Method>(&mut self, on: Bound<M::Class>, m: M) -> Result<(), Error> {
        self.method_raw(on.subchannel, M::DESC.offset, m.to_word())
    }

    /// Pushes a typed method after checking every field fits its bit range.
    #[inline(always)]
    pub fn push_checked<M: Method>(&mut self, on: Bound<M::Class>, m: M) -> Result<(), Error> {
        m.check()?;
        self.push(on, m)
    }

    /// Pushes element `index` of an array method.
    pub fn push_element<M: Method>(
        &mut self,
        on: Bound<M::Class>,
        index: u32,
        m: M,
    ) -> Result<(), Error> {
        let d = M::DESC;
        let off = d
            .element_offset(index)
            .ok_or_else(|| Error::MethodIndexOutOfRange {
                method: d.name,
                index,
                count: d.count,
            })?;
        self.method_raw(on.subchannel, off, m.to_word())
    }

    /// Writes raw words to consecutive elements of an array method (one incrementing header), starting
    /// at element `first`: e.g. a QMD body into `LOAD_INLINE_QMD_DATA`.
    #[inline(always)]
    pub fn push_array<M: Method>(
        &mut self,
        on: Bound<M::Class>,
        first: u32,
        words: &[u32],
    ) -> Result<(), Error> {
        let d = M::DESC;
        let n = u32::try_from(words.len()).map_err(|_| Error::MethodIndexOutOfRange {
            method: d.name,
            index: u32::MAX,
            count: d.count,
        })?;
        let end = first
            .checked_add(n)
            .ok_or_else(|| Error::MethodIndexOutOfRange {
                method: d.name,
                index: u32::MAX,
                count: d.count,
            })?;
        if end > d.count || d.stride != 4 {
            return Err(Error::MethodIndexOutOfRange {
                method: d.name,
                index: end.saturating_sub(1),
                count: d.count,
            });
        }
        let off = d
            .element_offset(first)
            .ok_or_else(|| Error::MethodIndexOutOfRange {
                method: d.name,
                index: first,
                count: d.count,
            })?;
        self.methods(SecOp::IncMethod, on.subchannel, off, words)
    }
}

#[cfg(test)]
mod tests {
    //! The fast paths of `method_raw` / `methods` against a plain model of the form-choice rules (the rules as
    //! the builder had them before the fast paths): same words, same errors, for any sequence of writes.
    use super::*;
    use proptest::prelude::*;

    /// Model builder: every rule spelled out, one reserve check per append.
    struct Model {
        cap: usize,
        words: Vec<u32>,
        open: Option<Open>,
    }

    impl Model {
        fn method_raw(&mut self, s: u8, offset: u32, value: u32) -> Result<(), Error> {
            check_offset(offset)?;
            let avail = self.cap - self.words.len();
            if let Some(mut o) = self.open {
                if o.subc == s && o.count < hdr::COUNT_MASK {
                    let next = match o.op {
                        SecOp::IncMethod => o.offset.checked_add(o.count * 4),
                        SecOp::NonIncMethod => Some(o.offset),
                        SecOp::OneInc => o.offset.checked_add(4),
                        _ => None,
                    };
                    let convert = match o.op {
                        SecOp::IncMethod if o.count == 1 && offset == o.offset => {
                            Some(SecOp::NonIncMethod)
                        }
                        SecOp::IncMethod
                            if o.count == 2 && Some(offset) == o.offset.checked_add(4) =>
                        {
                            Some(SecOp::OneInc)
                        }
                        _ => None,
                    };
                    if next == Some(offset) || convert.is_some() {
                        if avail < 1 {
                            return Err(Error::PushBufferFull {
                                needed: 1,
                                available: avail,
                            });
                        }
                        if let Some(op) = convert {
                            o.op = op;
                        }
                        o.count += 1;
                        self.words.push(value);
                        self.words[o.at] = header_word(o.op, o.subc, o.offset, o.count);
                        self.open = Some(o);
                        return Ok(());
                    }
                }
            }
            if value <= hdr::COUNT_MASK {
                if avail < 1 {
                    return Err(Error::PushBufferFull {
                        needed: 1,
                        available: avail,
                    });
                }
                self.words
                    .push(header_word(SecOp::ImmdDataMethod, s, offset, value));
                self.open = None;
                return Ok(());
            }
            if avail < 2 {
                return Err(Error::PushBufferFull {
                    needed: 2,
                    available: avail,
                });
            }
            self.open = Some(Open {
                at: self.words.len(),
                op: SecOp::IncMethod,
                subc: s,
                offset,
                count: 1,
            });
            self.words.push(header_word(SecOp::IncMethod, s, offset, 1));
            self.words.push(value);
            Ok(())
        }
    }

    fn op() -> impl Strategy<Value = (u8, u32, u32, u8)> {
        // (subchannel, offset, value, kind): offsets from a small window so runs, repeats and ONE_INC
        // patterns are common; kind 0..=5 = single method, 6 = an INC array of `value % 9` words.
        (
            0u8..3,
            (0u32..24).prop_map(|o| 0x200 + o * 4),
            prop_oneof![0u32..0x2000, any::<u32>()],
            0u8..7,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

        #[test]
        fn fast_paths_match_the_model(ops in proptest::collection::vec(op(), 1..40), cap in 0usize..64) {
            let mut buf = vec![0u32; cap];
            let mut pb = PushBuffer::new(&mut buf);
            let mut m = Model { cap, words: Vec::new(), open: None };
            for (s, offset, value, kind) in ops {
                let subc = Subchannel::new(s).map_err(|e| TestCaseError::fail(e.to_string()))?;
                if kind < 6 {
                    let got = pb.method_raw(subc, offset, value);
                    let want = m.method_raw(s, offset, value);
                    prop_assert_eq!(got.map_err(|e| e.to_string()), want.map_err(|e| e.to_string()));
                } else {
                    let data: Vec<u32> = (0..value % 9).map(|i| value.wrapping_add(i)).collect();
                    let got = pb.methods(SecOp::IncMethod, subc, offset, &data);
                    // Model of `methods` for one chunk: header + data, left open.
                    let avail = cap - m.words.len();
                    let want = if data.is_empty() {
                        Ok(())
                    } else if avail < data.len() + 1 {
                        Err(Error::PushBufferFull { needed: data.len() + 1, available: avail })
                    } else {
                        let count = u32::try_from(data.len()).map_err(|e| TestCaseError::fail(e.to_string()))?;
                        m.open = Some(Open { at: m.words.len(), op: SecOp::IncMethod, subc: s, offset, count });
                        m.words.push(header_word(SecOp::IncMethod, s, offset, count));
                        m.words.extend_from_slice(&data);
                        Ok(())
                    };
                    prop_assert_eq!(got.map_err(|e| e.to_string()), want.map_err(|e| e.to_string()));
                }
                prop_assert_eq!(pb.words(), &m.words[..]);
            }
        }
    }
}
