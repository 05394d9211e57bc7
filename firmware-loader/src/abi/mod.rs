//! Per-firmware-release ABI facts.
//!
//! Everything that changes between GSP-RM releases lives in one module per release ([`r535`],
//! [`r570`]) as a [`Abi`] value; supporting a third release is one module more plus one
//! [`FirmwareVersion`] variant.

pub mod r535;
pub mod r570;

use crate::chip::Chipset;
use crate::error::{Error, Result};
use std::fmt;
use std::str::FromStr;

/// A GSP-RM firmware release this crate has ABI facts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum FirmwareVersion {
    /// 535.113.01 (the version nova-core started with; shipped in Debian `firmware-nvidia-graphics`).
    R535_113_01,
    /// 570.144.
    R570_144,
}

impl FirmwareVersion {
    /// Every release known, oldest first.
    pub const ALL: &'static [FirmwareVersion] =
        &[FirmwareVersion::R535_113_01, FirmwareVersion::R570_144];

    /// The release's ABI facts.
    pub fn abi(self) -> &'static Abi {
        match self {
            FirmwareVersion::R535_113_01 => &r535::ABI,
            FirmwareVersion::R570_144 => &r570::ABI,
        }
    }

    /// Version string as in file names and in the `.fwversion` section.
    pub fn as_str(self) -> &'static str {
        self.abi().version
    }
}

impl fmt::Display for FirmwareVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FirmwareVersion {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        FirmwareVersion::ALL
            .iter()
            .copied()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| Error::UnknownVersion(s.to_owned()))
    }
}

/// A firmware file in `nvidia/<chip>/gsp/<name>-<version>.bin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum FileKind {
    /// GSP-RM ELF image.
    Gsp,
    /// GSP RISC-V bootloader (`RM_RISCV_UCODE_DESC`).
    Bootloader,
    /// SEC2 booter that loads GSP-RM (Turing to Ada).
    BooterLoad,
    /// SEC2 booter that unloads GSP-RM (Turing to Ada).
    BooterUnload,
    /// Generic falcon bootloader used to run FWSEC on Turing/GA100 (r570).
    GenBootloader,
    /// Memory scrubber HS ucode (Ada, r570).
    Scrubber,
    /// FSP first-mutable-code image (Hopper, Blackwell).
    Fmc,
}

impl FileKind {
    /// File-name stem.
    pub const fn stem(self) -> &'static str {
        match self {
            FileKind::Gsp => "gsp",
            FileKind::Bootloader => "bootloader",
            FileKind::BooterLoad => "booter_load",
            FileKind::BooterUnload => "booter_unload",
            FileKind::GenBootloader => "gen_bootloader",
            FileKind::Scrubber => "scrubber",
            FileKind::Fmc => "fmc",
        }
    }
}

/// Layout flavour of `GspFwWprMeta` (both are 256 bytes; see [`crate::wpr`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum WprMetaLayout {
    /// `gspFwHeapVfPartitionCount` followed by 7 padding bytes.
    R535,
    /// `gspFwHeapVfPartitionCount`, `flags`, 2 padding bytes, `pmuReservedSize`.
    R570,
}

/// GSP-RM firmware heap parameters (OpenRM `gsp_fw_heap.h` and the generated HAL tables of
/// `g_kernel_gsp_nvoc.c` for the release).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeapParams {
    /// LIBOS carve-out on LIBOS2 chips (Turing, GA100).
    pub os_carveout_libos2: u64,
    /// LIBOS carve-out on LIBOS3 chips (GA102 and later), bare metal.
    pub os_carveout_libos3: u64,
    /// RM boot working memory, Turing to Ada (`fwHeapParamBaseSize`).
    pub base_rm_tu10x: u64,
    /// Heap per GiB of frame buffer (`GSP_FW_HEAP_PARAM_SIZE_PER_GB_FB`).
    pub per_gb_fb: u64,
    /// Client allocations (`GSP_FW_HEAP_PARAM_CLIENT_ALLOC_SIZE`).
    pub client_alloc: u64,
    /// Minimum heap in MiB, LIBOS2 chips.
    pub min_mb_libos2: u64,
    /// Minimum heap in MiB, LIBOS3 chips, bare metal.
    pub min_mb_libos3: u64,
    /// Non-WPR heap on Turing to Ada (`kgspGetNonWprHeapSize`).
    pub non_wpr_heap_tu10x: u64,
    /// Size of the pre-scrubbed top of FB on chips without a scrubber (`kgspGetPrescrubbedTopFbSize`).
    pub prescrubbed_top_fb: u64,
    /// Whether the pre-scrubbed limit subtracts the memory before the heap too (r570: anterior +
    /// posterior) or only the memory after it (r535: posterior).
    pub prescrub_limit_counts_anterior: bool,
}

/// Everything that differs between firmware releases.
#[derive(Debug)]
pub struct Abi {
    /// Version string (`535.113.01`).
    pub version: &'static str,
    /// `GspFwWprMeta` layout.
    pub wpr_meta: WprMetaLayout,
    /// Heap sizing parameters.
    pub heap: HeapParams,
    /// Chips whose firmware in `nvidia/<chip>/gsp/` exists for this release (Debian
    /// `firmware-nvidia-graphics`), and which files each needs.
    pub files_for: fn(Chipset) -> Option<&'static [FileKind]>,
    /// Chips for which the pre-scrubbed-top-of-FB limit does not apply (`kgspGetPrescrubbedTopFbSize`
    /// returns "unlimited").
    pub prescrub_unlimited: fn(Chipset) -> bool,
}

/// Files every Turing to Ada chip needs: image, RISC-V bootloader, both booters.
pub(crate) const TU_TO_AD: &[FileKind] = &[
    FileKind::Gsp,
    FileKind::Bootloader,
    FileKind::BooterLoad,
    FileKind::BooterUnload,
];
