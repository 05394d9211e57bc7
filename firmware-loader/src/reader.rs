//! Bounds-checked little-endian reads over a byte slice.
//!
//! Every firmware structure in this crate is read field by field through [`Reader`]; no read can
//! panic, and each failure names the structure being read.

use crate::error::{Error, Result};

/// A byte slice with checked little-endian accessors.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reader<'a> {
    data: &'a [u8],
}

/// `usize` to `u64` without an `as` cast (lossless on every platform Rust supports).
pub(crate) fn u64_of(v: usize) -> u64 {
    u64::try_from(v).unwrap_or(u64::MAX)
}

impl<'a> Reader<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Self { data }
    }

    /// `len` bytes at `offset`.
    pub(crate) fn bytes(&self, what: &'static str, offset: u64, len: u64) -> Result<&'a [u8]> {
        let oob = || Error::OutOfBounds {
            what,
            offset,
            len,
            input_len: u64_of(self.data.len()),
        };
        let end = offset.checked_add(len).ok_or(Error::Overflow { what })?;
        let start = usize::try_from(offset).map_err(|_| oob())?;
        let end = usize::try_from(end).map_err(|_| oob())?;
        self.data.get(start..end).ok_or_else(oob)
    }

    /// `N` bytes at `offset` as an array.
    pub(crate) fn array<const N: usize>(&self, what: &'static str, offset: u64) -> Result<[u8; N]> {
        let b = self.bytes(what, offset, u64_of(N))?;
        let mut out = [0u8; N];
        out.copy_from_slice(b);
        Ok(out)
    }

    pub(crate) fn u16(&self, what: &'static str, offset: u64) -> Result<u16> {
        self.array::<2>(what, offset).map(u16::from_le_bytes)
    }

    pub(crate) fn u32(&self, what: &'static str, offset: u64) -> Result<u32> {
        self.array::<4>(what, offset).map(u32::from_le_bytes)
    }

    pub(crate) fn u64(&self, what: &'static str, offset: u64) -> Result<u64> {
        self.array::<8>(what, offset).map(u64::from_le_bytes)
    }

    /// A cursor reading consecutive fields of one structure starting at `offset`.
    pub(crate) fn cursor(&self, what: &'static str, offset: u64) -> Cursor<'a> {
        Cursor {
            reader: *self,
            what,
            pos: offset,
        }
    }
}

/// Sequential reads of the fields of one structure.
#[derive(Debug)]
pub(crate) struct Cursor<'a> {
    reader: Reader<'a>,
    what: &'static str,
    pos: u64,
}

impl Cursor<'_> {
    pub(crate) fn u32(&mut self) -> Result<u32> {
        let v = self.reader.u32(self.what, self.pos)?;
        self.pos = self
            .pos
            .checked_add(4)
            .ok_or(Error::Overflow { what: self.what })?;
        Ok(v)
    }
}

/// `a + b` for offsets read from a file, as a typed error on overflow.
pub(crate) fn add(what: &'static str, a: u64, b: u64) -> Result<u64> {
    a.checked_add(b).ok_or(Error::Overflow { what })
}

/// `a * b` for sizes read from a file, as a typed error on overflow.
pub(crate) fn mul(what: &'static str, a: u64, b: u64) -> Result<u64> {
    a.checked_mul(b).ok_or(Error::Overflow { what })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_little_endian_and_checked() {
        let r = Reader::new(&[1, 2, 3, 4, 5, 6, 7, 8, 9]);
        assert_eq!(r.u32("t", 0).unwrap(), 0x0403_0201);
        assert_eq!(r.u64("t", 1).unwrap(), 0x0908_0706_0504_0302);
        assert_eq!(r.u16("t", 7).unwrap(), 0x0908);
        assert!(matches!(
            r.u32("t", 6),
            Err(Error::OutOfBounds {
                offset: 6,
                len: 4,
                input_len: 9,
                ..
            })
        ));
        assert!(matches!(
            r.bytes("t", u64::MAX, 2),
            Err(Error::Overflow { .. })
        ));
        assert!(matches!(
            r.bytes("t", u64::MAX - 1, 1),
            Err(Error::OutOfBounds { .. })
        ));
        let mut c = r.cursor("t", 4);
        assert_eq!(c.u32().unwrap(), 0x0807_0605);
        assert!(c.u32().is_err());
    }
}
