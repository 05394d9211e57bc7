//! The falcon ucode table pointed at by the BIT Falcon data, and the FWSEC ucode descriptors
//! (v2 and v3) its entries point at.
//!
//! Layouts from open-gpu-kernel-modules `src/nvidia/src/kernel/gpu/gsp/kernel_gsp_fwsec.c`
//! (`FALCON_UCODE_TABLE_HDR_V1`, `FALCON_UCODE_TABLE_ENTRY_V1`, `FALCON_UCODE_DESC_HEADER`,
//! `FALCON_UCODE_DESC_V2`, `FALCON_UCODE_DESC_V3`, `BCRT30_RSA3K_SIG_SIZE`) and nova-core
//! `drivers/gpu/nova-core/firmware.rs` (`FalconUCodeDescV3`).

use crate::error::{Error, Result};
use crate::reader::{add, mul, u64_of, us, Reader};

/// `FALCON_UCODE_TABLE_HDR_V1_VERSION`.
pub const UCODE_TABLE_VERSION: u8 = 1;
/// Minimum header size (`FALCON_UCODE_TABLE_HDR_V1_SIZE_6`).
pub const UCODE_TABLE_HEADER_SIZE: usize = 6;
/// Minimum entry size (`FALCON_UCODE_TABLE_ENTRY_V1_SIZE_6`).
pub const UCODE_TABLE_ENTRY_SIZE: usize = 6;

/// Application ids of falcon ucode table entries (`FALCON_UCODE_ENTRY_APPID_*`).
pub mod app_id {
    /// FIRMWARE_SEC_LIC: accepted as FWSEC in both production and debug mode by OpenRM.
    pub const FIRMWARE_SEC_LIC: u8 = 0x05;
    /// FWSEC for debug-fused boards.
    pub const FWSEC_DBG: u8 = 0x45;
    /// FWSEC for production boards.
    pub const FWSEC_PROD: u8 = 0x85;
}

/// Size of one FWSEC signature (`BCRT30_RSA3K_SIG_SIZE`).
pub const FWSEC_SIGNATURE_SIZE: usize = 384;
/// `FALCON_UCODE_DESC_V2_SIZE_60`.
pub const DESC_V2_SIZE: usize = 60;
/// `FALCON_UCODE_DESC_V3_SIZE_44`.
pub const DESC_V3_SIZE: usize = 44;

/// `FALCON_UCODE_TABLE_HDR_V1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct UcodeTableHeader {
    pub version: u8,
    pub header_size: u8,
    pub entry_size: u8,
    pub entry_count: u8,
    pub desc_version: u8,
    pub desc_size: u8,
}

/// `FALCON_UCODE_TABLE_ENTRY_V1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct UcodeTableEntry {
    pub application_id: u8,
    pub target_id: u8,
    /// Descriptor pointer, relative like the table pointer (add the expansion ROM offset).
    pub desc_ptr: u32,
}

/// The falcon ucode table.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct UcodeTable {
    /// Byte offset of the table from the start of the ROM.
    pub offset: usize,
    pub header: UcodeTableHeader,
    pub entries: Vec<UcodeTableEntry>,
}

impl UcodeTable {
    pub(crate) fn parse(rom: &[u8], offset: usize) -> Result<Self> {
        const W: &str = "falcon ucode table";
        let r = Reader::new(rom);
        let b = r.array::<UCODE_TABLE_HEADER_SIZE, usize>(W, offset)?;
        let header = UcodeTableHeader {
            version: b[0],
            header_size: b[1],
            entry_size: b[2],
            entry_count: b[3],
            desc_version: b[4],
            desc_size: b[5],
        };
        if header.version != UCODE_TABLE_VERSION {
            return Err(Error::UnsupportedVersion {
                what: W,
                version: u64::from(header.version),
            });
        }
        if usize::from(header.header_size) < UCODE_TABLE_HEADER_SIZE {
            return Err(Error::TooSmall {
                what: "falcon ucode table header size",
                size: header.header_size.into(),
                min: 6,
            });
        }
        if usize::from(header.entry_size) < UCODE_TABLE_ENTRY_SIZE {
            return Err(Error::TooSmall {
                what: "falcon ucode table entry size",
                size: header.entry_size.into(),
                min: 6,
            });
        }
        let first = add(W, offset, usize::from(header.header_size))?;
        let entries = (0..usize::from(header.entry_count))
            .map(|i| {
                const WE: &str = "falcon ucode table entry";
                let at = add(WE, first, mul(WE, i, usize::from(header.entry_size))?)?;
                let e = r.array::<UCODE_TABLE_ENTRY_SIZE, usize>(WE, at)?;
                Ok(UcodeTableEntry {
                    application_id: e[0],
                    target_id: e[1],
                    desc_ptr: u32::from_le_bytes([e[2], e[3], e[4], e[5]]),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            offset,
            header,
            entries,
        })
    }
}

/// `FALCON_UCODE_DESC_V2` (Turing/GA100 FWSEC: booted through a loader, no separate signatures).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct FalconUcodeDescV2 {
    pub hdr: u32,
    pub stored_size: u32,
    pub uncompressed_size: u32,
    pub virtual_entry: u32,
    /// Offset of the application interface table from the start of DMEM.
    pub interface_offset: u32,
    pub imem_phys_base: u32,
    pub imem_load_size: u32,
    pub imem_virt_base: u32,
    pub imem_sec_base: u32,
    pub imem_sec_size: u32,
    /// Offset of the data segment from the start of the ucode.
    pub dmem_offset: u32,
    pub dmem_phys_base: u32,
    pub dmem_load_size: u32,
    pub alt_imem_load_size: u32,
    pub alt_dmem_load_size: u32,
}

/// `FALCON_UCODE_DESC_V3` (GA102 and later FWSEC: heavy-secure, signature patched into DMEM).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct FalconUcodeDescV3 {
    pub hdr: u32,
    pub stored_size: u32,
    /// Offset in DMEM where the chosen signature goes.
    pub pkc_data_offset: u32,
    /// Offset of the application interface table from the start of DMEM.
    pub interface_offset: u32,
    pub imem_phys_base: u32,
    pub imem_load_size: u32,
    pub imem_virt_base: u32,
    pub dmem_phys_base: u32,
    pub dmem_load_size: u32,
    pub engine_id_mask: u16,
    pub ucode_id: u8,
    pub signature_count: u8,
    /// One bit per fuse version a signature is included for.
    pub signature_versions: u16,
    pub reserved: u16,
}

/// A falcon ucode descriptor of a version this crate parses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum FalconUcodeDesc {
    V2(FalconUcodeDescV2),
    V3(FalconUcodeDescV3),
}

/// Parameters the boot ROM needs to verify a v3 HS ucode: the same structure booters carry.
pub use crate::booter::BromParams;

/// A FWSEC ucode located through the table: its descriptor and where its bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct FwsecUcode {
    pub application_id: u8,
    pub target_id: u8,
    /// Byte offset of the descriptor from the start of the ROM.
    pub desc_offset: usize,
    /// Descriptor size from its header (v3: includes the signatures).
    pub desc_size: usize,
    pub desc: FalconUcodeDesc,
    /// Byte offset of the ucode (code then data) from the start of the ROM.
    pub ucode_offset: usize,
    /// Bytes of ucode present in the ROM from `ucode_offset` (what the loader copies).
    pub ucode_len: usize,
}

impl FwsecUcode {
    /// Parses the descriptor at `desc_offset` (ROM offset) and checks that its ucode and, for v3,
    /// its signatures lie inside the ROM.
    pub(crate) fn parse(rom: &[u8], entry: &UcodeTableEntry, desc_offset: usize) -> Result<Self> {
        const W: &str = "falcon ucode descriptor";
        let r = Reader::new(rom);
        let hdr = r.u32(W, desc_offset)?;
        if hdr & 1 == 0 {
            // NV_BIT_FALCON_UCODE_DESC_HEADER_VDESC_FLAGS_VERSION_UNAVAILABLE: a v1 descriptor.
            return Err(Error::UnsupportedVersion {
                what: W,
                version: 1,
            });
        }
        let version = hdr.to_le_bytes()[1];
        let desc_size = usize::from(u16::try_from(hdr >> 16).unwrap_or(u16::MAX));
        let ucode_offset = add(W, desc_offset, desc_size)?;
        let (desc, ucode_len) = match version {
            2 => {
                if desc_size < DESC_V2_SIZE {
                    return Err(Error::TooSmall {
                        what: "falcon ucode descriptor v2 size",
                        size: u64_of(desc_size),
                        min: 60,
                    });
                }
                let w = r.u32s::<15, usize>(W, desc_offset)?;
                let d = FalconUcodeDescV2 {
                    hdr: w[0],
                    stored_size: w[1],
                    uncompressed_size: w[2],
                    virtual_entry: w[3],
                    interface_offset: w[4],
                    imem_phys_base: w[5],
                    imem_load_size: w[6],
                    imem_virt_base: w[7],
                    imem_sec_base: w[8],
                    imem_sec_size: w[9],
                    dmem_offset: w[10],
                    dmem_phys_base: w[11],
                    dmem_load_size: w[12],
                    alt_imem_load_size: w[13],
                    alt_dmem_load_size: w[14],
                };
                let code = us(W, d.imem_load_size)?;
                let data_end = add(W, us(W, d.dmem_offset)?, us(W, d.dmem_load_size)?)?;
                (FalconUcodeDesc::V2(d), code.max(data_end))
            }
            3 => {
                if desc_size < DESC_V3_SIZE {
                    return Err(Error::TooSmall {
                        what: "falcon ucode descriptor v3 size",
                        size: u64_of(desc_size),
                        min: 44,
                    });
                }
                let w = r.u32s::<9, usize>(W, desc_offset)?;
                let tail = r.array::<8, usize>(W, add(W, desc_offset, 36)?)?;
                let d = FalconUcodeDescV3 {
                    hdr: w[0],
                    stored_size: w[1],
                    pkc_data_offset: w[2],
                    interface_offset: w[3],
                    imem_phys_base: w[4],
                    imem_load_size: w[5],
                    imem_virt_base: w[6],
                    dmem_phys_base: w[7],
                    dmem_load_size: w[8],
                    engine_id_mask: u16::from_le_bytes([tail[0], tail[1]]),
                    ucode_id: tail[2],
                    signature_count: tail[3],
                    signature_versions: u16::from_le_bytes([tail[4], tail[5]]),
                    reserved: u16::from_le_bytes([tail[6], tail[7]]),
                };
                let sig_bytes = mul(W, usize::from(d.signature_count), FWSEC_SIGNATURE_SIZE)?;
                let room = desc_size - DESC_V3_SIZE;
                if sig_bytes > room {
                    return Err(Error::TooSmall {
                        what: "falcon ucode descriptor v3 size (signatures)",
                        size: u64_of(desc_size),
                        min: u64_of(DESC_V3_SIZE).saturating_add(u64_of(sig_bytes)),
                    });
                }
                (
                    FalconUcodeDesc::V3(d),
                    add(W, us(W, d.imem_load_size)?, us(W, d.dmem_load_size)?)?,
                )
            }
            v => {
                return Err(Error::UnsupportedVersion {
                    what: W,
                    version: u64::from(v),
                })
            }
        };
        r.bytes("FWSEC ucode", ucode_offset, ucode_len)?;
        Ok(Self {
            application_id: entry.application_id,
            target_id: entry.target_id,
            desc_offset,
            desc_size,
            desc,
            ucode_offset,
            ucode_len,
        })
    }

    /// Boot ROM parameters (v3 only).
    pub fn brom_params(&self) -> Option<BromParams> {
        match &self.desc {
            FalconUcodeDesc::V3(d) => Some(BromParams {
                pkc_data_offset: d.pkc_data_offset,
                engine_id_mask: d.engine_id_mask,
                ucode_id: d.ucode_id,
            }),
            FalconUcodeDesc::V2(_) => None,
        }
    }
}

/// Index of the signature to use for `fuse_version` among signatures stored for the fuse
/// versions whose bits are set in `versions` (lowest bit first), as nova-core's `FwsecFirmware::new`
/// and OpenRM's `s_executeFwsec_TU102` select it.
pub fn signature_index(versions: u16, count: u8, fuse_version: u32) -> Result<usize> {
    let none = || Error::FwsecNoSignature {
        fuse_version,
        versions,
        count,
    };
    let bit = 1u32.checked_shl(fuse_version).ok_or_else(none)?;
    if u32::from(versions) & bit == 0 {
        return Err(none());
    }
    let idx = (u32::from(versions) & (bit - 1)).count_ones();
    let idx = usize::try_from(idx).map_err(|_| none())?;
    if idx >= usize::from(count) {
        return Err(none());
    }
    Ok(idx)
}
