//! Building the FWSEC image a falcon runs: command patched into DMEM through the DMEM-mapper
//! application interface, signature patched for the fuse version, load parameters.
//!
//! Structures and constants transcribed from nova-core `drivers/gpu/nova-core/firmware/fwsec.rs`
//! (`FalconAppifHdrV1`, `FalconAppifV1`, `FalconAppifDmemmapperV3`, `ReadVbios`, `FrtsRegion`,
//! `NVFW_*` constants), open-gpu-kernel-modules
//! `src/nvidia/src/kernel/gpu/gsp/arch/turing/kernel_gsp_frts_tu102.c` (`FWSECLIC_*`,
//! `s_vbiosPatchInterfaceData`) and `kernel_gsp_fwsec.c` (`s_vbiosFillFlcnUcodeFromDescV2/V3`).

use super::ucode::{signature_index, FalconUcodeDesc, FwsecUcode, FWSEC_SIGNATURE_SIZE};
use super::Vbios;
use crate::error::{Error, Result};
use crate::falcon::{FalconUcode, LoadParams, LoadTarget, Signed};
use crate::reader::{add, u64_of, us, write, Reader};

/// `NVFW_FALCON_APPIF_ID_DMEMMAPPER`.
pub const APPIF_ID_DMEMMAPPER: u32 = 0x4;
/// Application interface header version this crate knows.
pub const APPIF_HEADER_VERSION: u8 = 1;
/// Size of `FalconAppifHdrV1`.
const APPIF_HEADER_SIZE: usize = 4;
/// Size of `FalconAppifV1`.
const APPIF_ENTRY_SIZE: usize = 8;
/// Size of `FalconAppifDmemmapperV3`.
pub const DMEMMAPPER_SIZE: usize = 64;
/// Offset of `cmd_in_buffer_offset` in the DMEM mapper.
pub const DMEMMAPPER_CMD_IN_BUFFER_OFFSET: usize = 8;
/// Offset of `init_cmd` in the DMEM mapper.
pub const DMEMMAPPER_INIT_CMD: usize = 44;
/// `NVFW_FALCON_APPIF_DMEMMAPPER_CMD_FRTS`.
pub const CMD_FRTS: u32 = 0x15;
/// `NVFW_FALCON_APPIF_DMEMMAPPER_CMD_SB`.
pub const CMD_SB: u32 = 0x19;
/// `FWSECLIC_READ_VBIOS_STRUCT_FLAGS`.
const READ_VBIOS_FLAGS: u32 = 2;
/// `FWSECLIC_FRTS_REGION_MEDIA_FB` / `NVFW_FRTS_CMD_REGION_TYPE_FB`.
const FRTS_MEDIA_FB: u32 = 2;
/// Size of `FWSECLIC_READ_VBIOS_DESC`.
pub const READ_VBIOS_SIZE: u32 = 24;
/// Size of `FWSECLIC_FRTS_REGION_DESC`.
pub const FRTS_REGION_SIZE: u32 = 20;

/// Which FWSEC of the table to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FwsecVariant {
    /// Production-fused boards (application id 0x85, or 0x05).
    Prod,
    /// Debug-fused boards (application id 0x45, or 0x05).
    Debug,
}

/// The command FWSEC runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FwsecCommand {
    /// Carve out WPR2 and copy the FRTS data to `offset` (bytes in FB) of `size` bytes.
    Frts { offset: u64, size: u64 },
    /// Secure boot of the pre-OS apps.
    Sb,
}

/// The command buffer bytes written at the DMEM mapper's `cmd_in_buffer_offset`.
fn command_bytes(cmd: FwsecCommand) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(48);
    // FWSECLIC_READ_VBIOS_DESC: version, size, gfwImageOffset (u64), gfwImageSize, flags.
    out.extend_from_slice(&1u32.to_le_bytes());
    out.extend_from_slice(&READ_VBIOS_SIZE.to_le_bytes());
    out.extend_from_slice(&0u64.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&READ_VBIOS_FLAGS.to_le_bytes());
    if let FwsecCommand::Frts { offset, size } = cmd {
        let bad = || Error::FwsecFrtsRegion { offset, size };
        if offset == 0 || size == 0 || offset % 4096 != 0 || size % 4096 != 0 {
            return Err(bad());
        }
        let off4k = u32::try_from(offset >> 12).map_err(|_| bad())?;
        let size4k = u32::try_from(size >> 12).map_err(|_| bad())?;
        // FWSECLIC_FRTS_REGION_DESC: version, size, offset in 4K, size in 4K, media type.
        out.extend_from_slice(&1u32.to_le_bytes());
        out.extend_from_slice(&FRTS_REGION_SIZE.to_le_bytes());
        out.extend_from_slice(&off4k.to_le_bytes());
        out.extend_from_slice(&size4k.to_le_bytes());
        out.extend_from_slice(&FRTS_MEDIA_FB.to_le_bytes());
    }
    Ok(out)
}

/// Finds the DMEM mapper through the application interface table at `interface_offset` in
/// `dmem`, sets its `init_cmd` and writes the command buffer. All offsets are DMEM offsets and
/// every access stays inside `dmem`.
fn patch_dmem(dmem: &mut [u8], interface_offset: u32, cmd: FwsecCommand) -> Result<()> {
    const W: &str = "FWSEC application interface table";
    let r = Reader::new(dmem);
    let hdr_at = us(W, interface_offset)?;
    let h = r.array::<APPIF_HEADER_SIZE, usize>(W, hdr_at)?;
    let (version, header_size, entry_size, count) = (h[0], h[1], h[2], h[3]);
    if version != APPIF_HEADER_VERSION {
        return Err(Error::UnsupportedVersion {
            what: W,
            version: u64::from(version),
        });
    }
    if usize::from(header_size) < APPIF_HEADER_SIZE {
        return Err(Error::TooSmall {
            what: "FWSEC application interface header size",
            size: header_size.into(),
            min: 4,
        });
    }
    if usize::from(entry_size) < APPIF_ENTRY_SIZE {
        return Err(Error::TooSmall {
            what: "FWSEC application interface entry size",
            size: entry_size.into(),
            min: 8,
        });
    }
    let mut mapper = None;
    for i in 0..usize::from(count) {
        // i < 256 and entry_size < 256: the product cannot overflow.
        let at = add(
            W,
            add(W, hdr_at, usize::from(header_size))?,
            i * usize::from(entry_size),
        )?;
        if r.u32(W, at)? == APPIF_ID_DMEMMAPPER {
            mapper = Some(us(W, r.u32(W, add(W, at, 4)?)?)?);
            break;
        }
    }
    let mapper = mapper.ok_or(Error::FwsecNoDmemMapper)?;
    const WM: &str = "FWSEC DMEM mapper";
    r.bytes(WM, mapper, DMEMMAPPER_SIZE)?;
    let cmd_in = us(
        WM,
        r.u32(WM, add(WM, mapper, DMEMMAPPER_CMD_IN_BUFFER_OFFSET)?)?,
    )?;
    let init_cmd = match cmd {
        FwsecCommand::Frts { .. } => CMD_FRTS,
        FwsecCommand::Sb => CMD_SB,
    };
    let buf = command_bytes(cmd)?;
    write("FWSEC command buffer", dmem, cmd_in, &buf)?;
    write(
        WM,
        dmem,
        add(WM, mapper, DMEMMAPPER_INIT_CMD)?,
        &init_cmd.to_le_bytes(),
    )?;
    Ok(())
}

/// Load parameters and signature patch for a parsed FWSEC.
struct Plan<'a> {
    load: LoadParams,
    interface_offset: u32,
    /// Image offset and bytes of the signature to patch, if the descriptor carries signatures.
    signature: Option<(usize, &'a [u8])>,
}

fn plan<'a>(rom: &'a [u8], fw: &FwsecUcode, fuse_version: u32) -> Result<Plan<'a>> {
    const W: &str = "FWSEC descriptor";
    match &fw.desc {
        FalconUcodeDesc::V3(d) => {
            // Code at 0, data right after it; boot at IMEM 0 (nova-core FwsecFirmware,
            // OpenRM s_vbiosFillFlcnUcodeFromDescV3).
            let load = LoadParams {
                imem_ns: None,
                imem_sec: LoadTarget {
                    src_start: 0,
                    dst_start: d.imem_phys_base,
                    len: d.imem_load_size,
                },
                dmem: LoadTarget {
                    src_start: d.imem_load_size,
                    dst_start: d.dmem_phys_base,
                    len: d.dmem_load_size,
                },
                boot_addr: 0,
            };
            let signature = if d.signature_count == 0 {
                None
            } else {
                let pkc = us(W, d.pkc_data_offset)?;
                // The signature must land inside DMEM.
                let end = add(
                    "FWSEC signature patch location (in DMEM)",
                    pkc,
                    FWSEC_SIGNATURE_SIZE,
                )?;
                if end > us(W, d.dmem_load_size)? {
                    return Err(Error::OutOfBounds {
                        what: "FWSEC signature patch location (in DMEM)",
                        offset: u64::from(d.pkc_data_offset),
                        len: u64_of(FWSEC_SIGNATURE_SIZE),
                        input_len: u64::from(d.dmem_load_size),
                    });
                }
                let idx = signature_index(d.signature_versions, d.signature_count, fuse_version)?;
                let sigs = add(W, fw.desc_offset, super::ucode::DESC_V3_SIZE)?;
                let at = add(W, sigs, idx * FWSEC_SIGNATURE_SIZE)?;
                let sig = Reader::new(rom).bytes("FWSEC signature", at, FWSEC_SIGNATURE_SIZE)?;
                Some((add(W, us(W, d.imem_load_size)?, pkc)?, sig))
            };
            Ok(Plan {
                load,
                interface_offset: d.interface_offset,
                signature,
            })
        }
        FalconUcodeDesc::V2(d) => {
            // OpenRM s_vbiosFillFlcnUcodeFromDescV2: the non-secure code is the first
            // IMEMLoadSize - IMEMSecSize bytes at IMEMPhysBase; the secure part sits at
            // IMEMSecBase - IMEMVirtBase in the code and at that plus IMEMPhysBase in IMEM; data
            // at DMEMOffset; execution starts at VirtualEntry.
            let ns_len = d
                .imem_load_size
                .checked_sub(d.imem_sec_size)
                .ok_or(Error::Overflow {
                    what: "FWSEC v2 IMEMSecSize",
                })?;
            let sec_src = d
                .imem_sec_base
                .checked_sub(d.imem_virt_base)
                .ok_or(Error::Overflow {
                    what: "FWSEC v2 IMEMSecBase",
                })?;
            let sec_dst = sec_src
                .checked_add(d.imem_phys_base)
                .ok_or(Error::Overflow {
                    what: "FWSEC v2 IMEM secure address",
                })?;
            let load = LoadParams {
                imem_ns: (ns_len > 0).then_some(LoadTarget {
                    src_start: 0,
                    dst_start: d.imem_phys_base,
                    len: ns_len,
                }),
                imem_sec: LoadTarget {
                    src_start: sec_src,
                    dst_start: sec_dst,
                    len: d.imem_sec_size,
                },
                dmem: LoadTarget {
                    src_start: d.dmem_offset,
                    dst_start: d.dmem_phys_base,
                    len: d.dmem_load_size,
                },
                boot_addr: d.virtual_entry,
            };
            Ok(Plan {
                load,
                interface_offset: d.interface_offset,
                signature: None,
            })
        }
    }
}

/// Builds the FWSEC image for `cmd` from the parsed VBIOS: copies the ucode, patches the DMEM
/// mapper's `init_cmd` and command buffer, and patches the signature for `fuse_version` (v3
/// descriptors with signatures).
///
/// v2 descriptors (Turing, GA100) carry no separate signatures — OpenRM and nouveau patch none —
/// so the image is marked signed without a patch; on those chips the image must be booted
/// through the generic falcon bootloader, which is not part of the VBIOS.
///
/// Unverified on a real ROM: checked only against synthetic images built from the documented
/// layouts.
pub fn build_fwsec(
    vbios: &Vbios,
    variant: FwsecVariant,
    cmd: FwsecCommand,
    fuse_version: u32,
) -> Result<FalconUcode<Signed>> {
    let fw = vbios.fwsec(variant)?;
    let rom = vbios.rom();
    let plan = plan(rom, fw, fuse_version)?;
    let image = Reader::new(rom)
        .bytes("FWSEC ucode", fw.ucode_offset, fw.ucode_len)?
        .to_vec();
    let mut ucode = FalconUcode::new(image, plan.load)?;
    let dmem = plan.load.dmem;
    let start = us("FWSEC DMEM", dmem.src_start)?;
    let end = add("FWSEC DMEM", start, us("FWSEC DMEM", dmem.len)?)?;
    // FalconUcode::new checked that the DMEM load range lies inside the image.
    let dmem_bytes = ucode
        .image_mut()
        .get_mut(start..end)
        .ok_or(Error::Overflow { what: "FWSEC DMEM" })?;
    patch_dmem(dmem_bytes, plan.interface_offset, cmd)?;
    match plan.signature {
        Some((at, sig)) => ucode.sign(at, sig),
        None => ucode.sign(0, &[]),
    }
}

/// Builds FWSEC-FRTS (production FWSEC) for an FRTS region at `frts_offset` of `frts_size` bytes
/// in FB, signed for `fuse_version`. See [`build_fwsec`].
pub fn build_fwsec_frts(
    vbios: &Vbios,
    frts_offset: u64,
    frts_size: u64,
    fuse_version: u32,
) -> Result<FalconUcode<Signed>> {
    build_fwsec(
        vbios,
        FwsecVariant::Prod,
        FwsecCommand::Frts {
            offset: frts_offset,
            size: frts_size,
        },
        fuse_version,
    )
}

/// Builds FWSEC-SB (production FWSEC). See [`build_fwsec`].
pub fn build_fwsec_sb(vbios: &Vbios, fuse_version: u32) -> Result<FalconUcode<Signed>> {
    build_fwsec(vbios, FwsecVariant::Prod, FwsecCommand::Sb, fuse_version)
}
