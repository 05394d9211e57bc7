//! The `nvfw_bin_hdr` container that wraps NVIDIA's booter, scrubber and bootloader images
//! (`booter_load-*.bin`, `booter_unload-*.bin`, `bootloader-*.bin`, `gen_bootloader-*.bin`,
//! `scrubber-*.bin`).
//!
//! Layout (open-gpu-kernel-modules `nvfw` headers; nova-core `firmware.rs` `BinHdr`): six
//! little-endian `u32` at offset 0. `header_offset` points at an application-specific header
//! (HS header v2 for booters/scrubber, `RM_RISCV_UCODE_DESC` for the RISC-V bootloader, a falcon
//! bootloader descriptor for `gen_bootloader`); `data_offset`/`data_size` delimit the payload that
//! is handed to the hardware.

use crate::error::{Error, Result};
use crate::reader::{add, u64_of, Reader};

/// `bin_magic` value (the PCI vendor id of NVIDIA).
pub const BIN_MAGIC: u32 = 0x10de;

/// Size in bytes of [`BinHeader`] in the file.
pub const BIN_HEADER_SIZE: u64 = 24;

/// `nvfw_bin_hdr`, as stored at offset 0 of the file.
///
/// ```text
/// #[repr(C)] struct nvfw_bin_hdr {
///     u32 bin_magic;     // 0x00: 0x10de
///     u32 bin_ver;       // 0x04: 1 in every file seen
///     u32 bin_size;      // 0x08: size of the file minus the header
///     u32 header_offset; // 0x0c: offset of the application header
///     u32 data_offset;   // 0x10: offset of the payload
///     u32 data_size;     // 0x14: size of the payload
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct BinHeader {
    pub bin_magic: u32,
    pub bin_ver: u32,
    pub bin_size: u32,
    pub header_offset: u32,
    pub data_offset: u32,
    pub data_size: u32,
}

/// A parsed `nvfw_bin_hdr` container borrowing its file.
#[derive(Debug, Clone, Copy)]
pub struct BinFile<'a> {
    pub header: BinHeader,
    file: &'a [u8],
}

impl<'a> BinFile<'a> {
    /// Parses the header and checks the magic and that the payload lies inside the file.
    pub fn parse(file: &'a [u8]) -> Result<Self> {
        let r = Reader::new(file);
        let mut c = r.cursor("nvfw_bin_hdr", 0);
        let header = BinHeader {
            bin_magic: c.u32()?,
            bin_ver: c.u32()?,
            bin_size: c.u32()?,
            header_offset: c.u32()?,
            data_offset: c.u32()?,
            data_size: c.u32()?,
        };
        if header.bin_magic != BIN_MAGIC {
            return Err(Error::BadMagic {
                what: "nvfw_bin_hdr.bin_magic",
                expected: u64::from(BIN_MAGIC),
                found: u64::from(header.bin_magic),
            });
        }
        let this = Self { header, file };
        this.data()?;
        Ok(this)
    }

    /// The whole file.
    pub fn file(&self) -> &'a [u8] {
        self.file
    }

    /// A reader over the whole file (offsets in the application header are file offsets).
    pub(crate) fn reader(&self) -> Reader<'a> {
        Reader::new(self.file)
    }

    /// The payload, `data_offset .. data_offset + data_size`.
    pub fn data(&self) -> Result<&'a [u8]> {
        self.reader().bytes(
            "nvfw_bin_hdr payload (data_offset/data_size)",
            u64::from(self.header.data_offset),
            u64::from(self.header.data_size),
        )
    }

    /// The application header's offset, checked to leave at least `len` bytes in the file.
    pub(crate) fn app_header(&self, what: &'static str, len: u64) -> Result<u64> {
        let off = u64::from(self.header.header_offset);
        let end = add(what, off, len)?;
        if end > u64_of(self.file.len()) {
            return Err(Error::OutOfBounds {
                what,
                offset: off,
                len,
                input_len: u64_of(self.file.len()),
            });
        }
        Ok(off)
    }
}

/// True if `file` starts with the `nvfw_bin_hdr` magic.
pub fn is_bin_container(file: &[u8]) -> bool {
    Reader::new(file)
        .u32("", 0u64)
        .is_ok_and(|m| m == BIN_MAGIC)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hdr(words: [u32; 6]) -> Vec<u8> {
        words.iter().flat_map(|w| w.to_le_bytes()).collect()
    }

    #[test]
    fn parses_and_bounds_checks_payload() {
        let mut f = hdr([0x10de, 1, 8, 0x18, 0x18, 8]);
        f.extend_from_slice(&[7; 8]);
        let b = BinFile::parse(&f).unwrap();
        assert_eq!(b.data().unwrap(), &[7; 8]);
        f.truncate(31);
        assert!(matches!(
            BinFile::parse(&f),
            Err(Error::OutOfBounds {
                offset: 0x18,
                len: 8,
                ..
            })
        ));
    }

    #[test]
    fn every_truncation_of_the_header_is_an_error() {
        let f = hdr([0x10de, 1, 0, 0x18, 0x18, 0]);
        for len in 0..f.len() {
            assert!(
                matches!(BinFile::parse(&f[..len]), Err(Error::OutOfBounds { .. })),
                "len {len}"
            );
        }
        assert!(BinFile::parse(&f).is_ok());
    }

    #[test]
    fn wrong_magic_and_overflow() {
        assert!(matches!(
            BinFile::parse(&hdr([0x10df, 1, 0, 0, 0, 0])),
            Err(Error::BadMagic { found: 0x10df, .. })
        ));
        assert!(matches!(
            BinFile::parse(&hdr([0x10de, 1, 0, 0, u32::MAX, u32::MAX])),
            Err(Error::OutOfBounds { .. })
        ));
    }
}
