//! Bounds-checked little-endian reads and writes over a byte slice, and checked offset arithmetic.
//!
//! Every firmware structure in this crate (GSP/booter/bootloader images and the VBIOS alike) is
//! read field by field through [`Reader`]; no read can panic, and each failure names the structure
//! being read. Offsets and lengths are `u64` where they come from firmware header fields and
//! `usize` where they are positions in the input (the VBIOS parser); [`Pos`] lets both use the
//! same checks.

use crate::error::{Error, Result};

/// `usize` to `u64` without an `as` cast (lossless on every platform Rust supports).
pub(crate) fn u64_of(v: usize) -> u64 {
    u64::try_from(v).unwrap_or(u64::MAX)
}

/// A `u32` field used as an in-memory offset or length.
pub(crate) fn us(what: &'static str, v: u32) -> Result<usize> {
    usize::try_from(v).map_err(|_| Error::Overflow { what })
}

/// An offset or length type a [`Reader`] accepts.
pub(crate) trait Pos: Copy {
    /// The value as a `u64` (saturating; lossless for `usize` on every supported platform).
    fn wide(self) -> u64;
    fn checked_add(self, other: Self) -> Option<Self>;
    fn checked_mul(self, other: Self) -> Option<Self>;
}

impl Pos for u64 {
    fn wide(self) -> u64 {
        self
    }
    fn checked_add(self, other: Self) -> Option<Self> {
        u64::checked_add(self, other)
    }
    fn checked_mul(self, other: Self) -> Option<Self> {
        u64::checked_mul(self, other)
    }
}

impl Pos for usize {
    fn wide(self) -> u64 {
        u64_of(self)
    }
    fn checked_add(self, other: Self) -> Option<Self> {
        usize::checked_add(self, other)
    }
    fn checked_mul(self, other: Self) -> Option<Self> {
        usize::checked_mul(self, other)
    }
}

/// `a + b` for offsets read from a file, as a typed error on overflow.
pub(crate) fn add<T: Pos>(what: &'static str, a: T, b: T) -> Result<T> {
    a.checked_add(b).ok_or(Error::Overflow { what })
}

/// `a * b` for sizes read from a file, as a typed error on overflow.
pub(crate) fn mul<T: Pos>(what: &'static str, a: T, b: T) -> Result<T> {
    a.checked_mul(b).ok_or(Error::Overflow { what })
}

/// The range `offset..offset + len` of a buffer of `input_len` bytes, or the error naming `what`.
fn span(
    what: &'static str,
    offset: u64,
    len: u64,
    input_len: usize,
) -> Result<std::ops::Range<usize>> {
    let oob = || Error::OutOfBounds {
        what,
        offset,
        len,
        input_len: u64_of(input_len),
    };
    let end = offset.checked_add(len).ok_or(Error::Overflow { what })?;
    let start = usize::try_from(offset).map_err(|_| oob())?;
    let end = usize::try_from(end).map_err(|_| oob())?;
    if end > input_len {
        return Err(oob());
    }
    Ok(start..end)
}

/// A byte slice with checked little-endian accessors.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Self { data }
    }

    /// `len` bytes at `offset`.
    pub(crate) fn bytes<T: Pos>(&self, what: &'static str, offset: T, len: T) -> Result<&'a [u8]> {
        let range = span(what, offset.wide(), len.wide(), self.data.len())?;
        let (offset, len) = (offset.wide(), len.wide());
        self.data.get(range).ok_or(Error::OutOfBounds {
            what,
            offset,
            len,
            input_len: u64_of(self.data.len()),
        })
    }

    /// `N` bytes at `offset` as an array.
    pub(crate) fn array<const N: usize, T: Pos>(
        &self,
        what: &'static str,
        offset: T,
    ) -> Result<[u8; N]> {
        let b = self.bytes(what, offset.wide(), u64_of(N))?;
        let mut out = [0u8; N];
        out.copy_from_slice(b);
        Ok(out)
    }

    pub(crate) fn u8<T: Pos>(&self, what: &'static str, offset: T) -> Result<u8> {
        self.array::<1, T>(what, offset).map(u8::from_le_bytes)
    }

    pub(crate) fn u16<T: Pos>(&self, what: &'static str, offset: T) -> Result<u16> {
        self.array::<2, T>(what, offset).map(u16::from_le_bytes)
    }

    pub(crate) fn u32<T: Pos>(&self, what: &'static str, offset: T) -> Result<u32> {
        self.array::<4, T>(what, offset).map(u32::from_le_bytes)
    }

    pub(crate) fn u64<T: Pos>(&self, what: &'static str, offset: T) -> Result<u64> {
        self.array::<8, T>(what, offset).map(u64::from_le_bytes)
    }

    /// `N` consecutive little-endian `u32`s starting at `offset`.
    pub(crate) fn u32s<const N: usize, T: Pos>(
        &self,
        what: &'static str,
        offset: T,
    ) -> Result<[u32; N]> {
        let mut out = [0u32; N];
        let mut c = self.cursor(what, offset.wide());
        for w in &mut out {
            *w = c.u32()?;
        }
        Ok(out)
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

/// Copies `bytes` into `buf` at `offset`, bounds-checked (FWSEC DMEM and signature patching).
pub(crate) fn write<T: Pos>(
    what: &'static str,
    buf: &mut [u8],
    offset: T,
    bytes: &[u8],
) -> Result<()> {
    let (offset, len) = (offset.wide(), u64_of(bytes.len()));
    let input_len = buf.len();
    let range = span(what, offset, len, input_len)?;
    let dst = buf.get_mut(range).ok_or(Error::OutOfBounds {
        what,
        offset,
        len,
        input_len: u64_of(input_len),
    })?;
    dst.copy_from_slice(bytes);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_little_endian_and_checked() {
        let r = Reader::new(&[1, 2, 3, 4, 5, 6, 7, 8, 9]);
        assert_eq!(r.u32("t", 0u64).unwrap(), 0x0403_0201);
        assert_eq!(r.u64("t", 1u64).unwrap(), 0x0908_0706_0504_0302);
        assert_eq!(r.u16("t", 7u64).unwrap(), 0x0908);
        assert_eq!(r.u8("t", 8usize).unwrap(), 9);
        assert_eq!(
            r.u32s::<2, usize>("t", 1).unwrap(),
            [0x0504_0302, 0x0908_0706]
        );
        assert!(matches!(
            r.u32s::<2, usize>("t", 2),
            Err(Error::OutOfBounds {
                offset: 6,
                len: 4,
                input_len: 9,
                ..
            })
        ));
        assert!(matches!(
            r.u32("t", 6u64),
            Err(Error::OutOfBounds {
                offset: 6,
                len: 4,
                input_len: 9,
                ..
            })
        ));
        assert!(matches!(
            r.u32("t", 6usize),
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
            r.bytes("t", usize::MAX, 2),
            Err(Error::Overflow { .. })
        ));
        assert!(matches!(
            r.bytes("t", u64::MAX - 1, 1),
            Err(Error::OutOfBounds { .. })
        ));
        assert_eq!(r.bytes("t", 9usize, 0).unwrap(), &[] as &[u8]);
        assert!(
            r.bytes("t", 10usize, 0).is_err(),
            "an empty read past the end is out of bounds"
        );
        let mut c = r.cursor("t", 4);
        assert_eq!(c.u32().unwrap(), 0x0807_0605);
        assert!(c.u32().is_err());
    }

    #[test]
    fn arithmetic_and_writes_are_checked() {
        assert_eq!(add("t", 1u64, 2).unwrap(), 3);
        assert!(matches!(
            add("t", usize::MAX, 1),
            Err(Error::Overflow { what: "t" })
        ));
        assert_eq!(mul("t", 3usize, 4).unwrap(), 12);
        assert!(matches!(mul("t", u64::MAX, 2), Err(Error::Overflow { .. })));
        assert_eq!(us("t", 7).unwrap(), 7);
        let mut b = [0u8; 4];
        write("t", &mut b, 1usize, &[9, 9]).unwrap();
        assert_eq!(b, [0, 9, 9, 0]);
        assert!(matches!(
            write("t", &mut b, 3usize, &[1, 1]),
            Err(Error::OutOfBounds {
                offset: 3,
                len: 2,
                input_len: 4,
                ..
            })
        ));
        assert!(matches!(
            write("t", &mut b, u64::MAX, &[1]),
            Err(Error::Overflow { .. })
        ));
        assert_eq!(b, [0, 9, 9, 0], "a refused write changes nothing");
    }
}
