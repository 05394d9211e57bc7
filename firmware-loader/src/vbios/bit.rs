//! BIOS Information Table (BIT): header, tokens, and the Falcon data token.
//!
//! Layouts from open-gpu-kernel-modules `src/nvidia/src/kernel/gpu/gsp/kernel_gsp_fwsec.c`
//! (`BIT_HEADER_V1_00`, `BIT_TOKEN_V1_00`, `BIT_DATA_FALCON_DATA_V2`, `s_vbiosFindBitHeader`) and
//! nova-core `drivers/gpu/nova-core/vbios.rs` (`BitHeader`, `BitToken`).

use crate::error::{Error, Result};
use crate::reader::{add, mul, Reader};

/// BIT header id word.
pub const BIT_HEADER_ID: u16 = 0xB8FF;
/// "BIT\0".
pub const BIT_HEADER_SIGNATURE: u32 = 0x0054_4942;
/// Size of `BIT_HEADER_V1_00`.
pub const BIT_HEADER_SIZE: usize = 12;
/// Size of `BIT_TOKEN_V1_00`.
pub const BIT_TOKEN_SIZE: usize = 6;
/// Token id of the Falcon data (`BIT_TOKEN_FALCON_DATA`).
pub const BIT_TOKEN_FALCON_DATA: u8 = 0x70;
/// Size of `BIT_DATA_FALCON_DATA_V2`.
pub const FALCON_DATA_V2_SIZE: u16 = 4;

/// `BIT_HEADER_V1_00`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct BitHeader {
    /// Byte offset of the header from the start of the ROM.
    pub offset: usize,
    pub id: u16,
    pub signature: u32,
    pub bcd_version: u16,
    pub header_size: u8,
    pub token_size: u8,
    pub token_entries: u8,
    pub checksum: u8,
}

/// `BIT_TOKEN_V1_00`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct BitToken {
    pub id: u8,
    pub data_version: u8,
    pub data_size: u16,
    /// Offset of the token's data from the start of the ROM.
    pub data_ptr: u16,
}

/// The BIT header and all its tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Bit {
    pub header: BitHeader,
    pub tokens: Vec<BitToken>,
}

const PATTERN: [u8; 6] = [0xFF, 0xB8, b'B', b'I', b'T', 0x00];

impl Bit {
    /// Finds the first BIT header whose bytes (`header_size` of them) sum to zero modulo 256, as
    /// OpenRM's `s_vbiosFindBitHeader` does, and reads its tokens.
    pub fn find(rom: &[u8]) -> Result<Self> {
        let r = Reader::new(rom);
        let mut start = 0usize;
        while let Some(pos) = rom
            .get(start..)
            .and_then(|s| s.windows(PATTERN.len()).position(|w| w == PATTERN))
        {
            let at = start + pos;
            start = at + 1;
            let Ok(h) = r.array::<BIT_HEADER_SIZE, usize>("BIT header", at) else {
                continue;
            };
            let header_size = h[8];
            if usize::from(header_size) < BIT_HEADER_SIZE {
                continue;
            }
            let Ok(all) = r.bytes("BIT header", at, usize::from(header_size)) else {
                continue;
            };
            if all.iter().fold(0u8, |a, &b| a.wrapping_add(b)) != 0 {
                continue;
            }
            let header = BitHeader {
                offset: at,
                id: u16::from_le_bytes([h[0], h[1]]),
                signature: u32::from_le_bytes([h[2], h[3], h[4], h[5]]),
                bcd_version: u16::from_le_bytes([h[6], h[7]]),
                header_size,
                token_size: h[9],
                token_entries: h[10],
                checksum: h[11],
            };
            return Ok(Self {
                tokens: Self::read_tokens(r, &header)?,
                header,
            });
        }
        Err(Error::VbiosNoBitHeader)
    }

    fn read_tokens(r: Reader<'_>, h: &BitHeader) -> Result<Vec<BitToken>> {
        const W: &str = "BIT token";
        if usize::from(h.token_size) < BIT_TOKEN_SIZE {
            return Err(Error::TooSmall {
                what: "BIT token size",
                size: u64::from(h.token_size),
                min: 6,
            });
        }
        let first = add(W, h.offset, usize::from(h.header_size))?;
        (0..usize::from(h.token_entries))
            .map(|i| {
                let at = add(W, first, mul(W, i, usize::from(h.token_size))?)?;
                let b = r.array::<BIT_TOKEN_SIZE, usize>(W, at)?;
                Ok(BitToken {
                    id: b[0],
                    data_version: b[1],
                    data_size: u16::from_le_bytes([b[2], b[3]]),
                    data_ptr: u16::from_le_bytes([b[4], b[5]]),
                })
            })
            .collect()
    }

    /// The first Falcon data token of version 2 with room for the table pointer (others are
    /// skipped, as in OpenRM).
    pub fn falcon_data_token(&self) -> Option<&BitToken> {
        self.tokens.iter().find(|t| {
            t.id == BIT_TOKEN_FALCON_DATA
                && t.data_version == 2
                && t.data_size >= FALCON_DATA_V2_SIZE
        })
    }
}

/// `BIT_DATA_FALCON_DATA_V2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct FalconData {
    /// Pointer to the falcon ucode table, relative to the extended image as if it followed the
    /// PC-AT image directly (add [`super::Vbios::expansion_rom_offset`]).
    pub ucode_table_ptr: u32,
}

impl FalconData {
    pub(crate) fn read(rom: &[u8], token: &BitToken) -> Result<Self> {
        let ucode_table_ptr =
            Reader::new(rom).u32("BIT Falcon data", usize::from(token.data_ptr))?;
        Ok(Self { ucode_table_ptr })
    }
}
