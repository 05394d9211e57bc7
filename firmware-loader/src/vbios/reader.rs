//! Bounds-checked little-endian reads and checked offset arithmetic for the VBIOS parser.

use crate::error::{Error, Result};

/// Widens a `usize` for an error report (lossless on every platform Rust supports).
pub(crate) fn wide(x: usize) -> u64 {
    u64::try_from(x).unwrap_or(u64::MAX)
}

/// `a + b`, or [`Error::Overflow`] naming `what`.
pub(crate) fn add(what: &'static str, a: usize, b: usize) -> Result<usize> {
    a.checked_add(b).ok_or(Error::Overflow { what })
}

/// `a * b`, or [`Error::Overflow`] naming `what`.
pub(crate) fn mul(what: &'static str, a: usize, b: usize) -> Result<usize> {
    a.checked_mul(b).ok_or(Error::Overflow { what })
}

/// A `u32` field used as an offset or length.
pub(crate) fn us(what: &'static str, v: u32) -> Result<usize> {
    usize::try_from(v).map_err(|_| Error::Overflow { what })
}

/// A read-only view of the input; every read is bounds-checked.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Self { data }
    }

    /// `len` bytes at `offset`.
    pub(crate) fn bytes(&self, what: &'static str, offset: usize, len: usize) -> Result<&'a [u8]> {
        let end = add(what, offset, len)?;
        self.data.get(offset..end).ok_or(Error::OutOfBounds {
            what,
            offset: wide(offset),
            len: wide(len),
            input_len: wide(self.data.len()),
        })
    }

    fn array<const N: usize>(&self, what: &'static str, offset: usize) -> Result<[u8; N]> {
        let b = self.bytes(what, offset, N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(b);
        Ok(out)
    }

    pub(crate) fn u8(&self, what: &'static str, offset: usize) -> Result<u8> {
        Ok(self.array::<1>(what, offset)?[0])
    }

    pub(crate) fn u16(&self, what: &'static str, offset: usize) -> Result<u16> {
        Ok(u16::from_le_bytes(self.array(what, offset)?))
    }

    pub(crate) fn u32(&self, what: &'static str, offset: usize) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array(what, offset)?))
    }
}

/// Bounds-checked little-endian writes into a mutable buffer (FWSEC DMEM patching).
pub(crate) fn write(what: &'static str, buf: &mut [u8], offset: usize, bytes: &[u8]) -> Result<()> {
    let input_len = wide(buf.len());
    let end = add(what, offset, bytes.len())?;
    let dst = buf.get_mut(offset..end).ok_or(Error::OutOfBounds {
        what,
        offset: wide(offset),
        len: wide(bytes.len()),
        input_len,
    })?;
    dst.copy_from_slice(bytes);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_little_endian_and_bounded() {
        let r = Reader::new(&[1, 2, 3, 4, 5]);
        assert_eq!(r.u8("t", 4).unwrap(), 5);
        assert_eq!(r.u16("t", 0).unwrap(), 0x0201);
        assert_eq!(r.u32("t", 1).unwrap(), 0x0504_0302);
        assert!(matches!(r.u32("t", 2), Err(Error::OutOfBounds { offset: 2, len: 4, input_len: 5, .. })));
        assert!(matches!(r.bytes("t", usize::MAX, 2), Err(Error::Overflow { .. })));
        let mut b = [0u8; 4];
        write("t", &mut b, 1, &[9, 9]).unwrap();
        assert_eq!(b, [0, 9, 9, 0]);
        assert!(write("t", &mut b, 3, &[1, 1]).is_err());
    }
}
