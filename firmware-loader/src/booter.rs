//! Heavy-secure (HS) falcon images in an `nvfw_bin_hdr` container with an HS header v2: the SEC2
//! booters (`booter_load-*.bin`, `booter_unload-*.bin`) of Turing, Ampere and Ada, and Ada's
//! `scrubber-*.bin`.
//!
//! Layouts: open-gpu-kernel-modules `src/nvidia/src/kernel/gpu/gsp/kernel_gsp_booter.c`
//! (`s_allocateUcodeFromBinArchive`, `s_patchBooterUcodeSignature`) and nova-core
//! `firmware/booter.rs`. All offsets in the HS header are offsets into the whole file; all offsets
//! in the load header and the patch location are offsets into the payload (`data_offset..`).

use crate::bin::BinFile;
use crate::error::{Error, Result};
use crate::falcon::{FalconUcode, LoadParams, LoadTarget, Signed, Unsigned};
use crate::reader::{add, mul, u64_of};

/// `nvfw_hs_header_v2`, at `nvfw_bin_hdr.header_offset`.
///
/// ```text
/// #[repr(C)] struct nvfw_hs_header_v2 {
///     u32 sig_prod_offset;  // file offset of the production signatures
///     u32 sig_prod_size;    // total size of all production signatures
///     u32 patch_loc;        // file offset of a u32: payload offset to patch the signature at
///     u32 patch_sig;        // file offset of a u32: extra offset into the signatures (0)
///     u32 meta_data_offset; // file offset of the signature parameters
///     u32 meta_data_size;   // their size (12)
///     u32 num_sig;          // file offset of a u32: number of signatures
///     u32 header_offset;    // file offset of the HS load header v2
///     u32 header_size;      // its size
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct HsHeaderV2 {
    pub sig_prod_offset: u32,
    pub sig_prod_size: u32,
    pub patch_loc_offset: u32,
    pub patch_sig_offset: u32,
    pub meta_data_offset: u32,
    pub meta_data_size: u32,
    pub num_sig_offset: u32,
    pub load_header_offset: u32,
    pub load_header_size: u32,
}

/// Size of [`HsHeaderV2`] in the file.
pub const HS_HEADER_V2_SIZE: u64 = 36;

/// Signature parameters (`patch_meta` in OpenRM, `HsSignatureParams` in nova-core).
///
/// ```text
/// #[repr(C)] struct { u32 fuse_ver; u32 engine_id_mask; u32 ucode_id; }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct HsSignatureParams {
    pub fuse_ver: u32,
    pub engine_id_mask: u32,
    pub ucode_id: u32,
}

/// One application of the load header: its code and data ranges in the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct HsApp {
    pub code_offset: u32,
    pub code_size: u32,
    pub data_offset: u32,
    pub data_size: u32,
}

/// `nvfw_hs_load_header_v2`.
///
/// ```text
/// #[repr(C)] struct nvfw_hs_load_header_v2 {
///     u32 os_code_offset; u32 os_code_size;
///     u32 os_data_offset; u32 os_data_size;
///     u32 num_apps;
///     struct { u32 code_offset; u32 code_size; u32 data_offset; u32 data_size; } apps[num_apps];
/// }
/// ```
///
/// The per-app record follows OpenRM's one-app view (`appCodeOffset, appCodeSize, appDataOffset,
/// appDataSize`); every shipped booter and scrubber has exactly one app and `header_size` 0x24.
/// The layout of records for more than one app is unverified.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct HsLoadHeaderV2 {
    pub os_code_offset: u32,
    pub os_code_size: u32,
    pub os_data_offset: u32,
    pub os_data_size: u32,
    pub num_apps: u32,
    pub apps: Vec<HsApp>,
}

/// Size of the fixed part of [`HsLoadHeaderV2`] and of one [`HsApp`] record.
const LOAD_HEADER_FIXED: u64 = 20;
const APP_RECORD: u64 = 16;

/// BROM parameters a SEC2/GSP falcon needs to verify a heavy-secure image (booters here, FWSEC v3
/// descriptors in [`crate::vbios::ucode`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct BromParams {
    /// Offset of the signature inside DMEM (booters: `patch_loc - os_data_offset`; FWSEC v3: the
    /// descriptor's `pkc_data_offset`).
    pub pkc_data_offset: u32,
    pub engine_id_mask: u16,
    pub ucode_id: u8,
}

/// A parsed HS image: headers, its signatures, and the unsigned payload as [`FalconUcode`].
#[derive(Debug)]
pub struct HsImage {
    pub bin: crate::bin::BinHeader,
    pub hs: HsHeaderV2,
    pub load: HsLoadHeaderV2,
    pub sig_params: HsSignatureParams,
    /// Payload offset at which the chosen signature is written.
    pub patch_loc: u32,
    /// Extra offset into the signature block (0 in every shipped file; OpenRM rejects others).
    pub patch_sig: u32,
    pub num_sigs: u32,
    /// Size of one signature (`sig_prod_size / num_sigs`).
    pub sig_size: u32,
    pub brom: BromParams,
    signatures: Vec<u8>,
    ucode: FalconUcode<Unsigned>,
}

fn u32_field(what: &'static str, bin: &BinFile<'_>, file_offset: u32) -> Result<u32> {
    bin.reader().u32(what, u64::from(file_offset))
}

impl HsImage {
    /// Parses an HS image from the bytes of its file.
    pub fn parse(file: &[u8]) -> Result<Self> {
        let bin = BinFile::parse(file)?;
        let r = bin.reader();
        let at = bin.app_header("nvfw_hs_header_v2", HS_HEADER_V2_SIZE)?;
        let mut c = r.cursor("nvfw_hs_header_v2", at);
        let hs = HsHeaderV2 {
            sig_prod_offset: c.u32()?,
            sig_prod_size: c.u32()?,
            patch_loc_offset: c.u32()?,
            patch_sig_offset: c.u32()?,
            meta_data_offset: c.u32()?,
            meta_data_size: c.u32()?,
            num_sig_offset: c.u32()?,
            load_header_offset: c.u32()?,
            load_header_size: c.u32()?,
        };

        // Load header.
        let lh_what = "nvfw_hs_load_header_v2";
        let lh_off = u64::from(hs.load_header_offset);
        let lh_size = u64::from(hs.load_header_size);
        let lh_bytes = r.bytes(lh_what, lh_off, lh_size)?;
        let lr = crate::reader::Reader::new(lh_bytes);
        let mut c = lr.cursor(lh_what, 0);
        let (os_code_offset, os_code_size, os_data_offset, os_data_size, num_apps) =
            (c.u32()?, c.u32()?, c.u32()?, c.u32()?, c.u32()?);
        if num_apps == 0 {
            return Err(Error::InvalidField {
                what: "nvfw_hs_load_header_v2.num_apps",
                value: 0,
                reason: "no app",
            });
        }
        let need = add(
            lh_what,
            LOAD_HEADER_FIXED,
            mul(lh_what, u64::from(num_apps), APP_RECORD)?,
        )?;
        if need > lh_size {
            return Err(Error::OutOfBounds {
                what: "nvfw_hs_load_header_v2 apps (header_size)",
                offset: 0,
                len: need,
                input_len: lh_size,
            });
        }
        let mut apps = Vec::new();
        for i in 0..u64::from(num_apps) {
            let mut c = lr.cursor(
                "nvfw_hs_load_header_v2 app",
                add(lh_what, LOAD_HEADER_FIXED, mul(lh_what, i, APP_RECORD)?)?,
            );
            apps.push(HsApp {
                code_offset: c.u32()?,
                code_size: c.u32()?,
                data_offset: c.u32()?,
                data_size: c.u32()?,
            });
        }
        let load = HsLoadHeaderV2 {
            os_code_offset,
            os_code_size,
            os_data_offset,
            os_data_size,
            num_apps,
            apps,
        };

        // Signature parameters.
        if hs.meta_data_size != 12 {
            return Err(Error::InvalidField {
                what: "nvfw_hs_header_v2.meta_data_size",
                value: u64::from(hs.meta_data_size),
                reason: "signature parameters are 12 bytes",
            });
        }
        let mut c = r.cursor("HS signature parameters", u64::from(hs.meta_data_offset));
        let sig_params = HsSignatureParams {
            fuse_ver: c.u32()?,
            engine_id_mask: c.u32()?,
            ucode_id: c.u32()?,
        };

        let patch_loc = u32_field("HS patch location", &bin, hs.patch_loc_offset)?;
        let patch_sig = u32_field("HS patch signature index", &bin, hs.patch_sig_offset)?;
        let num_sigs = u32_field("HS signature count", &bin, hs.num_sig_offset)?;

        // Signatures: OpenRM requires a non-zero count that divides the block evenly.
        if num_sigs == 0 {
            return Err(Error::InvalidField {
                what: "HS signature count",
                value: 0,
                reason: "no signature",
            });
        }
        if hs.sig_prod_size == 0 || hs.sig_prod_size % num_sigs != 0 {
            return Err(Error::InvalidField {
                what: "nvfw_hs_header_v2.sig_prod_size",
                value: u64::from(hs.sig_prod_size),
                reason: "not a non-zero multiple of the signature count",
            });
        }
        let sig_size = hs.sig_prod_size / num_sigs;
        let sig_start = add(
            "HS signatures",
            u64::from(hs.sig_prod_offset),
            u64::from(patch_sig),
        )?;
        let signatures = r
            .bytes("HS signatures", sig_start, u64::from(hs.sig_prod_size))?
            .to_vec();

        let payload = bin.data()?;
        // The signature must fit at the patch location.
        let patch_end = add(
            "HS patch location",
            u64::from(patch_loc),
            u64::from(sig_size),
        )?;
        if patch_end > u64_of(payload.len()) {
            return Err(Error::OutOfBounds {
                what: "HS patch location + signature size",
                offset: u64::from(patch_loc),
                len: u64::from(sig_size),
                input_len: u64_of(payload.len()),
            });
        }
        let pkc_data_offset = patch_loc
            .checked_sub(os_data_offset)
            .ok_or(Error::InvalidField {
                what: "HS patch location",
                value: u64::from(patch_loc),
                reason: "lies before the DMEM data start (os_data_offset)",
            })?;
        let brom = BromParams {
            pkc_data_offset,
            engine_id_mask: u16::try_from(sig_params.engine_id_mask).map_err(|_| {
                Error::InvalidField {
                    what: "HS signature parameters.engine_id_mask",
                    value: u64::from(sig_params.engine_id_mask),
                    reason: "wider than 16 bits",
                }
            })?,
            ucode_id: u8::try_from(sig_params.ucode_id).map_err(|_| Error::InvalidField {
                what: "HS signature parameters.ucode_id",
                value: u64::from(sig_params.ucode_id),
                reason: "wider than 8 bits",
            })?,
        };

        // Load targets (OpenRM boot-from-HS: app code to IMEM 0, OS data to DMEM 0, boot at the
        // app's code offset).
        let app0 = load.apps.first().copied().ok_or(Error::InvalidField {
            what: "nvfw_hs_load_header_v2.num_apps",
            value: 0,
            reason: "no app",
        })?;
        let params = LoadParams {
            imem_ns: None,
            imem_sec: LoadTarget {
                src_start: app0.code_offset,
                dst_start: 0,
                len: app0.code_size,
            },
            dmem: LoadTarget {
                src_start: os_data_offset,
                dst_start: 0,
                len: os_data_size,
            },
            boot_addr: app0.code_offset,
        };
        let ucode = FalconUcode::new(payload.to_vec(), params)?;

        Ok(Self {
            bin: bin.header,
            hs,
            load,
            sig_params,
            patch_loc,
            patch_sig,
            num_sigs,
            sig_size,
            brom,
            signatures,
            ucode,
        })
    }

    /// Signature `index` (0-based, in file order).
    pub fn signature(&self, index: u32) -> Option<&[u8]> {
        let size = usize::try_from(self.sig_size).ok()?;
        let start = usize::try_from(index).ok()?.checked_mul(size)?;
        self.signatures.get(start..start.checked_add(size)?)
    }

    /// All signatures in file order.
    pub fn signatures(&self) -> impl Iterator<Item = &[u8]> {
        (0..self.num_sigs).filter_map(move |i| self.signature(i))
    }

    /// Index of the signature matching the ucode fuse version read from the falcon
    /// (`NV_FUSE_OPT_FPF_*_UCODE<ucode_id>_VERSION`, highest set bit + 1).
    ///
    /// OpenRM `s_patchBooterUcodeSignature`: with one signature it is always used; otherwise
    /// the index is `num_sigs - 1 - fuse_version`, and a fuse version above `num_sigs - 1` has no
    /// signature. (nova-core `booter.rs` computes the same index as `fuse_ver - fuse_version`, with
    /// 0 meaning the last one; the two agree because `fuse_ver == num_sigs - 1` in every file.)
    pub fn signature_index_for_fuse(&self, fuse_version: u32) -> Result<u32> {
        if self.num_sigs == 1 {
            return Ok(0);
        }
        // `num_sigs` is a public field: a count of 0 (never produced by `parse`) has no signature.
        self.num_sigs
            .checked_sub(1)
            .and_then(|last| last.checked_sub(fuse_version))
            .ok_or(Error::NoSignatureForFuse {
                fuse_version,
                num_sigs: self.num_sigs,
            })
    }

    /// The unsigned image and its load parameters.
    pub fn ucode(&self) -> &FalconUcode<Unsigned> {
        &self.ucode
    }

    /// Patches the signature for `fuse_version` at the patch location and returns the loadable
    /// image.
    pub fn sign_for_fuse(self, fuse_version: u32) -> Result<FalconUcode<Signed>> {
        let index = self.signature_index_for_fuse(fuse_version)?;
        let sig = self
            .signature(index)
            .ok_or(Error::NoSignatureForFuse {
                fuse_version,
                num_sigs: self.num_sigs,
            })?
            .to_vec();
        let at = usize::try_from(self.patch_loc).map_err(|_| Error::Overflow {
            what: "HS patch location",
        })?;
        self.ucode.sign(at, &sig)
    }
}
