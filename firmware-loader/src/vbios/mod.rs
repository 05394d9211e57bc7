//! The GPU's VBIOS: PCI expansion ROM image chain, BIT, falcon ucode table and FWSEC.
//!
//! [`Vbios::parse`] takes the bytes of the PROM (as read from BAR0 at 0x300000, or a ROM dump)
//! and finds, in order:
//!
//! 1. the start of the PCI expansion ROM (directly, behind an IFR header / ROM directory, or past
//!    leading bytes on a 512-byte boundary) — [`rom::find_rom_start`];
//! 2. the image chain (x86 PC-AT, EFI, NVIDIA extended `0xE0` images) — [`rom::walk_images`];
//! 3. the BIT header and tokens — [`bit::Bit::find`];
//! 4. the Falcon data token (`0x70`, v2) and the falcon ucode table it points to. The table and
//!    descriptor pointers count from the PC-AT image's end as if the extended image followed it
//!    directly; the EFI image in between is compensated by the *expansion ROM offset* (offset of
//!    the first extended image minus the size of the first PC-AT image), as OpenRM's
//!    `s_locateExpansionRoms` computes it and nova-core's `setup_falcon_data` applies it;
//! 5. the FWSEC descriptors (v2 or v3) of the production and debug FWSEC entries.
//!
//! [`fwsec::build_fwsec_frts`] then produces the signed FWSEC-FRTS image.
//!
//! Unverified on a real ROM: every path is tested only against synthetic images built from the
//! layouts documented in open-gpu-kernel-modules and nova-core.

pub mod bit;
pub mod fwsec;
pub mod rom;
pub mod ucode;

pub use bit::{Bit, BitHeader, BitToken, FalconData};
pub use fwsec::{build_fwsec, build_fwsec_frts, build_fwsec_sb, FwsecCommand, FwsecVariant};
pub use rom::{CodeType, Npde, Pcir, RomImage, RomStart};
pub use ucode::{
    BromParams, FalconUcodeDesc, FalconUcodeDescV2, FalconUcodeDescV3, FwsecUcode, UcodeTable,
    UcodeTableEntry,
};

use crate::error::{Error, Result};
use crate::reader::{add, us};

/// A parsed VBIOS. Offsets in the parsed structures are from the start of the ROM
/// ([`Vbios::rom_offset`] bytes into the input).
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Vbios {
    /// Offset of the PCI expansion ROM in the input.
    pub rom_offset: usize,
    /// How the ROM start was found.
    pub rom_start: RomStart,
    /// The image chain, in ROM order.
    pub images: Vec<RomImage>,
    /// The BIT header and tokens.
    pub bit: Bit,
    /// Offset added to falcon ucode table and descriptor pointers.
    pub expansion_rom_offset: usize,
    /// The Falcon data (absent when the BIT has no Falcon data v2 token).
    pub falcon_data: Option<FalconData>,
    /// The falcon ucode table (absent with the Falcon data).
    pub ucode_table: Option<UcodeTable>,
    /// Production FWSEC, if the table has one.
    pub fwsec_prod: Option<FwsecUcode>,
    /// Debug FWSEC, if the table has one.
    pub fwsec_dbg: Option<FwsecUcode>,
    #[cfg_attr(feature = "serde", serde(skip))]
    rom: RomBytes,
}

/// The ROM bytes; `Debug` prints only their length.
#[derive(Clone)]
struct RomBytes(Vec<u8>);

impl std::fmt::Debug for RomBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<{} bytes>", self.0.len())
    }
}

impl Vbios {
    /// Parses a VBIOS / PROM image. Never panics; malformed input gives a typed [`Error`].
    pub fn parse(input: &[u8]) -> Result<Self> {
        let (rom_offset, rom_start) = rom::find_rom_start(input)?;
        let rom_all = input.get(rom_offset..).ok_or(Error::VbiosNoRomImage {
            input_len: crate::reader::u64_of(input.len()),
        })?;
        let images = rom::walk_images(rom_all)?;
        // The ROM ends with its last image (OpenRM biosSize); walk_images checked it is present.
        let rom_len = images
            .last()
            .map_or(Ok(0), |i| add("ROM length", i.offset, i.len))?;
        let rom = rom_all
            .get(..rom_len)
            .ok_or(Error::Overflow { what: "ROM length" })?;

        let bit = Bit::find(rom)?;
        let ext = images
            .iter()
            .find(|i| i.code_type() == CodeType::NvExtended)
            .map(|i| i.offset);
        let base = images
            .iter()
            .find(|i| i.code_type() == CodeType::PcAt)
            .map(|i| i.len);
        let expansion_rom_offset = match (ext, base) {
            (Some(e), Some(b)) if e > 0 => e.checked_sub(b).ok_or(Error::Overflow {
                what: "expansion ROM offset (extended image before the end of the PC-AT image)",
            })?,
            _ => 0,
        };

        let falcon_data = bit
            .falcon_data_token()
            .map(|t| FalconData::read(rom, t))
            .transpose()?;
        let mut ucode_table = None;
        let (mut fwsec_prod, mut fwsec_dbg) = (None, None);
        if let Some(fd) = &falcon_data {
            let at = add(
                "falcon ucode table pointer",
                expansion_rom_offset,
                us("falcon ucode table pointer", fd.ucode_table_ptr)?,
            )?;
            let table = UcodeTable::parse(rom, at)?;
            let find = |ids: [u8; 2]| -> Result<Option<FwsecUcode>> {
                table
                    .entries
                    .iter()
                    .find(|e| ids.contains(&e.application_id))
                    .map(|e| {
                        let d = add(
                            "falcon ucode descriptor pointer",
                            expansion_rom_offset,
                            us("falcon ucode descriptor pointer", e.desc_ptr)?,
                        )?;
                        FwsecUcode::parse(rom, e, d)
                    })
                    .transpose()
            };
            // OpenRM s_vbiosParseFwsecUcodeDescFromBit: FIRMWARE_SEC_LIC matches in either mode.
            fwsec_prod = find([ucode::app_id::FWSEC_PROD, ucode::app_id::FIRMWARE_SEC_LIC])?;
            fwsec_dbg = find([ucode::app_id::FWSEC_DBG, ucode::app_id::FIRMWARE_SEC_LIC])?;
            ucode_table = Some(table);
        }

        Ok(Self {
            rom_offset,
            rom_start,
            images,
            bit,
            expansion_rom_offset,
            falcon_data,
            ucode_table,
            fwsec_prod,
            fwsec_dbg,
            rom: RomBytes(rom.to_vec()),
        })
    }

    /// The ROM bytes (from the first image's header to the last image's end).
    pub fn rom(&self) -> &[u8] {
        &self.rom.0
    }

    /// The FWSEC ucode of `variant`, or [`Error::VbiosMissing`].
    pub fn fwsec(&self, variant: FwsecVariant) -> Result<&FwsecUcode> {
        match variant {
            FwsecVariant::Prod => self
                .fwsec_prod
                .as_ref()
                .ok_or(Error::VbiosMissing("production FWSEC ucode table entry")),
            FwsecVariant::Debug => self
                .fwsec_dbg
                .as_ref()
                .ok_or(Error::VbiosMissing("debug FWSEC ucode table entry")),
        }
    }

    /// The first image of `code_type`.
    pub fn image(&self, code_type: CodeType) -> Option<&RomImage> {
        self.images.iter().find(|i| i.code_type() == code_type)
    }
}
