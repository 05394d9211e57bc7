//! The PCI expansion ROM image chain: ROM header, PCI data structure (PCIR), NVIDIA's PCI data
//! extension (NPDE), and the IFR / ROM-directory header some boards put in front of the ROM.
//!
//! Layouts and constants transcribed from open-gpu-kernel-modules
//! `src/nvidia/inc/kernel/platform/pci_exp_table.h`,
//! `src/nvidia/src/kernel/gpu/gsp/arch/turing/kernel_gsp_vbios_tu102.c` (`s_locateExpansionRoms`,
//! `s_romImgFindPciHeader_TU102`), `src/common/inc/swref/published/turing/tu102/dev_bus.h`
//! (`NV_PBUS_IFR_FMT_FIXED*`) and nova-core `drivers/gpu/nova-core/vbios.rs` (NPDE handling).

use crate::error::{Error, Result};
use crate::reader::{add, mul, u64_of, us, Reader};

/// ROM header signatures accepted at offset 0 of an image (`IS_VALID_PCI_ROM_SIG`).
pub const ROM_SIGNATURES: [u16; 3] = [0xAA55, 0x4E56, 0xBB77];
/// PCI data structure signatures: "PCIR", "NPDS", "RGIS" (`IS_VALID_PCI_DATA_SIG`).
pub const PCIR_SIGNATURES: [u32; 3] = [0x5249_4350, 0x5344_504E, 0x5349_4752];
/// "NPDE": NVIDIA PCI data extension signature.
pub const NPDE_SIGNATURE: u32 = 0x4544_504E;
/// NPDE revisions 1.0 and 1.1, the only ones whose image length is used.
pub const NPDE_REVISIONS: [u16; 2] = [0x100, 0x101];
/// Image lengths are in 512-byte blocks.
pub const BLOCK_SIZE: usize = 512;
/// Bit 7 of the last-image byte.
pub const LAST_IMAGE: u8 = 0x80;
/// "NVGI": IFR header signature (`NV_PBUS_IFR_FMT_FIXED0_SIGNATURE_VALUE`).
pub const IFR_SIGNATURE: u32 = 0x4947_564E;
/// "RFRD": ROM directory signature (`NV_ROM_DIRECTORY_IDENTIFIER`).
pub const ROM_DIRECTORY_SIGNATURE: u32 = 0x4452_4652;
/// Size of the redundant-firmware flash status section before the ROM directory (IFR v3).
const FLASH_STATUS_SIZE: usize = 4096;
/// Offset of the PCI option ROM offset inside the ROM directory.
const ROM_DIRECTORY_PCI_OFFSET: usize = 8;
/// Images any real ROM has are a handful; this bounds the walk.
pub const MAX_IMAGES: usize = 32;
/// How far into the input a ROM header is searched for when the input starts with neither a ROM
/// signature nor an IFR header (the PROM window is 1 MiB).
pub const MAX_SCAN: usize = 0x10_0000;

/// Offset of the PCI data structure pointer in the ROM header.
const ROM_HDR_PCIR_PTR: usize = 0x18;
/// PCI data structure size up to and including `max_runtime_image_len`.
const PCIR_SIZE: usize = 0x18;

/// PCIR code types (`codeType`, offset 0x14).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum CodeType {
    /// 0x00: x86 PC-AT image; holds the BIT header.
    PcAt,
    /// 0x03: EFI image.
    Efi,
    /// 0x70: NBSI (notebook system information); always treated as the last image.
    Nbsi,
    /// 0xE0: NVIDIA extended image (FWSEC and other falcon ucodes).
    NvExtended,
    /// Anything else.
    Other(u8),
}

impl From<u8> for CodeType {
    fn from(v: u8) -> Self {
        match v {
            0x00 => Self::PcAt,
            0x03 => Self::Efi,
            0x70 => Self::Nbsi,
            0xE0 => Self::NvExtended,
            o => Self::Other(o),
        }
    }
}

/// PCI data structure (`PCI_DATA_STRUCT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Pcir {
    pub signature: u32,
    pub vendor_id: u16,
    pub device_id: u16,
    pub device_list_ptr: u16,
    /// Length of this structure in bytes.
    pub len: u16,
    pub revision: u8,
    pub class_code: [u8; 3],
    /// Image length in 512-byte blocks.
    pub image_len: u16,
    pub vendor_rom_rev: u16,
    pub code_type: u8,
    pub last_image: u8,
    pub max_runtime_image_len: u16,
}

impl Pcir {
    fn parse(r: Reader<'_>, at: usize) -> Result<Self> {
        const W: &str = "PCI data structure";
        let b = r.array::<PCIR_SIZE, usize>(W, at)?;
        let f = Reader::new(&b);
        let signature = f.u32(W, 0usize)?;
        if !PCIR_SIGNATURES.contains(&signature) {
            return Err(Error::BadMagic {
                what: W,
                expected: u64::from(PCIR_SIGNATURES[0]),
                found: u64::from(signature),
            });
        }
        Ok(Self {
            signature,
            vendor_id: f.u16(W, 0x04usize)?,
            device_id: f.u16(W, 0x06usize)?,
            device_list_ptr: f.u16(W, 0x08usize)?,
            len: f.u16(W, 0x0Ausize)?,
            revision: b[0x0C],
            class_code: [b[0x0D], b[0x0E], b[0x0F]],
            image_len: f.u16(W, 0x10usize)?,
            vendor_rom_rev: f.u16(W, 0x12usize)?,
            code_type: b[0x14],
            last_image: b[0x15],
            max_runtime_image_len: f.u16(W, 0x16usize)?,
        })
    }
}

/// NVIDIA PCI data extension (`NV_PCI_DATA_EXT_STRUCT`), 16-byte aligned after the PCIR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Npde {
    pub revision: u16,
    /// Length of this structure in bytes.
    pub len: u16,
    /// Image length in 512-byte blocks; overrides the PCIR's.
    pub subimage_len: u16,
    /// Private last-image byte, present when `len` covers offset 0x0A.
    pub last_image: Option<u8>,
}

impl Npde {
    /// Parses an NPDE at `at` if one is there; `None` when the signature (or its room) is absent,
    /// the revision is unknown, or the sub-image length is zero (nova-core ignores such NPDEs).
    fn parse(r: Reader<'_>, at: usize) -> Result<Option<Self>> {
        const W: &str = "NVIDIA PCI data extension";
        match r.u32(W, at) {
            Ok(NPDE_SIGNATURE) => {}
            _ => return Ok(None),
        }
        let revision = r.u16(W, add(W, at, 4)?)?;
        if !NPDE_REVISIONS.contains(&revision) {
            return Ok(None);
        }
        let len = r.u16(W, add(W, at, 6)?)?;
        let subimage_len = r.u16(W, add(W, at, 8)?)?;
        if subimage_len == 0 {
            return Ok(None);
        }
        let last_image = if len >= 0x0B {
            Some(r.u8(W, add(W, at, 0x0A)?)?)
        } else {
            None
        };
        Ok(Some(Self {
            revision,
            len,
            subimage_len,
            last_image,
        }))
    }
}

/// One image of the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct RomImage {
    /// Byte offset of the image from the start of the ROM.
    pub offset: usize,
    /// Image length in bytes (NPDE sub-image length if present, else the PCIR's).
    pub len: usize,
    /// ROM header signature word (0xAA55 normally).
    pub rom_signature: u16,
    /// Offset of the PCIR from the image start.
    pub pcir_offset: u16,
    pub pcir: Pcir,
    pub npde: Option<Npde>,
    /// Whether this image ends the chain.
    pub last: bool,
}

impl RomImage {
    /// The image's code type.
    pub fn code_type(&self) -> CodeType {
        CodeType::from(self.pcir.code_type)
    }
}

fn is_rom_signature(r: Reader<'_>, at: usize) -> bool {
    r.u16("ROM header signature", at)
        .is_ok_and(|s| ROM_SIGNATURES.contains(&s))
}

/// How the start of the PCI expansion ROM was found in the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum RomStart {
    /// The input starts with a ROM header.
    Direct,
    /// An IFR header of this version points at the ROM.
    Ifr { version: u8 },
    /// The ROM header was found by scanning 512-byte boundaries past leading bytes that are
    /// neither a ROM header nor an IFR header.
    Scanned,
}

/// Finds the offset of the first ROM header in `input`.
pub fn find_rom_start(input: &[u8]) -> Result<(usize, RomStart)> {
    let r = Reader::new(input);
    if is_rom_signature(r, 0) {
        return Ok((0, RomStart::Direct));
    }
    if r.u32("IFR header", 0usize)
        .is_ok_and(|s| s == IFR_SIGNATURE)
    {
        const W: &str = "IFR header";
        let fixed1 = r.u32(W, 4usize)?;
        let version = fixed1.to_le_bytes()[1];
        let image_offset = match version {
            1 | 2 => {
                let fixed_data_size = us(W, (fixed1 >> 16) & 0x7FFF)?;
                r.u32(
                    "IFR extended section ROM offset",
                    add(W, fixed_data_size, 4)?,
                )?
            }
            3 => {
                let total_data_size = us(W, r.u32(W, 8usize)? & 0xF_FFFF)?;
                let flash_status = us(W, r.u32("IFR flash status offset", total_data_size)?)?;
                let dir = add("ROM directory offset", flash_status, FLASH_STATUS_SIZE)?;
                let sig = r.u32("ROM directory", dir)?;
                if sig != ROM_DIRECTORY_SIGNATURE {
                    return Err(Error::BadMagic {
                        what: "ROM directory",
                        expected: u64::from(ROM_DIRECTORY_SIGNATURE),
                        found: u64::from(sig),
                    });
                }
                r.u32(
                    "ROM directory PCI option ROM offset",
                    add(W, dir, ROM_DIRECTORY_PCI_OFFSET)?,
                )?
            }
            v => return Err(Error::VbiosIfrVersion(v)),
        };
        let off = us(W, image_offset)?;
        let sig = r.u16("ROM header signature after IFR", off)?;
        if !ROM_SIGNATURES.contains(&sig) {
            return Err(Error::BadMagic {
                what: "ROM header signature after IFR",
                expected: u64::from(ROM_SIGNATURES[0]),
                found: u64::from(sig),
            });
        }
        return Ok((off, RomStart::Ifr { version }));
    }
    // Leading bytes that are no header at all: take the first 512-byte boundary holding a ROM
    // header whose PCIR pointer leads to a valid PCI data structure.
    let limit = input.len().min(MAX_SCAN);
    let mut at = BLOCK_SIZE;
    while at < limit {
        if is_rom_signature(r, at) {
            let pcir_ok = r
                .u16("ROM header", at.saturating_add(ROM_HDR_PCIR_PTR))
                .ok()
                .and_then(|p| at.checked_add(usize::from(p)))
                .is_some_and(|p| Pcir::parse(r, p).is_ok());
            if pcir_ok {
                return Ok((at, RomStart::Scanned));
            }
        }
        at += BLOCK_SIZE;
    }
    Err(Error::VbiosNoRomImage {
        input_len: u64_of(input.len()),
    })
}

/// Walks the image chain of a ROM that starts at offset 0 of `rom`.
pub fn walk_images(rom: &[u8]) -> Result<Vec<RomImage>> {
    let r = Reader::new(rom);
    let mut images = Vec::new();
    let mut off = 0usize;
    loop {
        if images.len() >= MAX_IMAGES {
            return Err(Error::VbiosTooManyImages {
                limit: u64_of(MAX_IMAGES),
            });
        }
        let rom_signature = r.u16("ROM header signature", off)?;
        if !ROM_SIGNATURES.contains(&rom_signature) {
            return Err(Error::BadMagic {
                what: "ROM header signature",
                expected: u64::from(ROM_SIGNATURES[0]),
                found: u64::from(rom_signature),
            });
        }
        let pcir_offset = r.u16(
            "ROM header PCI data structure pointer",
            add("ROM header", off, ROM_HDR_PCIR_PTR)?,
        )?;
        let pcir_at = add("PCI data structure offset", off, usize::from(pcir_offset))?;
        let pcir = Pcir::parse(r, pcir_at)?;
        // NPDE: right after the PCIR, rounded up to 16 bytes (relative to the image start, which
        // is itself 512-byte aligned in the ROM).
        let npde_rel = add(
            "NPDE offset",
            usize::from(pcir_offset),
            usize::from(pcir.len),
        )?;
        let npde_rel = add("NPDE offset", npde_rel, 0xF)? & !0xF;
        let npde = Npde::parse(r, add("NPDE offset", off, npde_rel)?)?;

        let blocks = npde.map_or(pcir.image_len, |n| n.subimage_len);
        if blocks == 0 {
            return Err(Error::VbiosZeroImageLength {
                offset: u64_of(off),
            });
        }
        let mut last = pcir.last_image & LAST_IMAGE != 0;
        if let Some(n) = npde {
            match n.last_image {
                Some(l) => last = l & LAST_IMAGE != 0,
                None if n.subimage_len < pcir.image_len => last = false,
                None => {}
            }
        }
        if CodeType::from(pcir.code_type) == CodeType::Nbsi {
            last = true;
        }
        let len = mul("ROM image length", usize::from(blocks), BLOCK_SIZE)?;
        // The whole image must be present.
        r.bytes("ROM image", off, len)?;
        images.push(RomImage {
            offset: off,
            len,
            rom_signature,
            pcir_offset,
            pcir,
            npde,
            last,
        });
        if last {
            return Ok(images);
        }
        off = add("ROM image chain", off, len)?;
        if off >= rom.len() {
            return Err(Error::VbiosChainUnterminated {
                offset: u64_of(off),
            });
        }
    }
}
