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
        Ok(header_word(self.op, self.subchannel, self.offset, self.count_or_data))
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
        Self { subchannel, _class: PhantomData }
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
        Self { buf, len: 0, open: None }
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
            return Err(Error::PushBufferFull { needed: n, available });
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
    pub fn method_raw(&mut self, subc: Subchannel, offset: u32, value: u32) -> Result<(), Error> {
        check_offset(offset)?;
        let s = subc.get();
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
                    SecOp::IncMethod if o.count == 1 && offset == o.offset => Some(SecOp::NonIncMethod),
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
        if value <= hdr::COUNT_MASK {
            self.reserve(1)?;
            self.put(header_word(SecOp::ImmdDataMethod, s, offset, value));
            self.open = None;
            return Ok(());
        }
        self.reserve(2)?;
        let o = Open { at: self.len, op: SecOp::IncMethod, subc: s, offset, count: 1 };
        self.put(header_word(o.op, s, offset, 1));
        self.put(value);
        self.open = Some(o);
        Ok(())
    }

    /// Writes `data` with one header of kind `op` (`IncMethod`, `NonIncMethod` or `OneInc`), split into
    /// several headers when longer than 8191 words. Leaves the header open for continuation.
    pub fn methods(&mut self, op: SecOp, subc: Subchannel, offset: u32, data: &[u32]) -> Result<(), Error> {
        check_offset(offset)?;
        if !matches!(op, SecOp::IncMethod | SecOp::NonIncMethod | SecOp::OneInc) {
            return Err(Error::InvalidMethodOffset(offset));
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
                .ok_or(Error::InvalidMethodOffset(u32::MAX))?;
            check_offset(last)?;
        } else if op == SecOp::OneInc && data.len() > 1 {
            check_offset(offset.saturating_add(4))?;
        }
        self.reserve(data.len() + chunks)?;
        let mut off = offset;
        let mut chunk_op = op;
        for chunk in data.chunks(max) {
            // chunk.len() <= 8191, so it fits the 13-bit count.
            let count = u32::try_from(chunk.len()).unwrap_or(hdr::COUNT_MASK);
            let o = Open { at: self.len, op: chunk_op, subc: subc.get(), offset: off, count };
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
        self.put(header_word(SecOp::ImmdDataMethod, subc.get(), offset, value));
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
    #[inline]
    pub fn push<M: Method>(&mut self, on: Bound<M::Class>, m: M) -> Result<(), Error> {
        self.method_raw(on.subchannel, M::DESC.offset, m.to_word())
    }

    /// Pushes a typed method after checking every field fits its bit range.
    pub fn push_checked<M: Method>(&mut self, on: Bound<M::Class>, m: M) -> Result<(), Error> {
        m.check()?;
        self.push(on, m)
    }

    /// Pushes element `index` of an array method.
    pub fn push_element<M: Method>(&mut self, on: Bound<M::Class>, index: u32, m: M) -> Result<(), Error> {
        let d = M::DESC;
        let off = d.element_offset(index).ok_or(Error::MethodIndexOutOfRange {
            method: d.name,
            index,
            count: d.count,
        })?;
        self.method_raw(on.subchannel, off, m.to_word())
    }

    /// Writes raw words to consecutive elements of an array method (one incrementing header), starting
    /// at element `first`: e.g. a QMD body into `LOAD_INLINE_QMD_DATA`.
    pub fn push_array<M: Method>(&mut self, on: Bound<M::Class>, first: u32, words: &[u32]) -> Result<(), Error> {
        let d = M::DESC;
        let n = u32::try_from(words.len()).map_err(|_| Error::MethodIndexOutOfRange {
            method: d.name,
            index: u32::MAX,
            count: d.count,
        })?;
        let end = first.checked_add(n).ok_or(Error::MethodIndexOutOfRange { method: d.name, index: u32::MAX, count: d.count })?;
        if end > d.count || d.stride != 4 {
            return Err(Error::MethodIndexOutOfRange { method: d.name, index: end.saturating_sub(1), count: d.count });
        }
        let off = d.element_offset(first).ok_or(Error::MethodIndexOutOfRange { method: d.name, index: first, count: d.count })?;
        self.methods(SecOp::IncMethod, on.subchannel, off, words)
    }
}
