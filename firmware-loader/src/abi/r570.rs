//! GSP-RM 570.144 ABI facts (open-gpu-kernel-modules tag `570.144`).

use super::{Abi, FileKind, HeapParams, WprMetaLayout};
use crate::chip::{Architecture, Chipset};

const MIB: u64 = 1 << 20;

/// Files in Debian `firmware-nvidia-graphics` for 570.144, per chip (checked against the package
/// by the real-file tests).
fn files_for(chip: Chipset) -> Option<&'static [FileKind]> {
    use FileKind::*;
    Some(match chip {
        // Turing and GA100 boot FWSEC through the generic falcon bootloader.
        c if c.arch() == Architecture::Turing || c == Chipset::Ga100 => {
            &[Gsp, Bootloader, BooterLoad, BooterUnload, GenBootloader]
        }
        c if c.arch() == Architecture::Ampere => &[Gsp, Bootloader, BooterLoad, BooterUnload],
        // Ada scrubs FB with its own HS ucode (bScrubberUcodeSupported).
        c if c.arch() == Architecture::Ada => {
            &[Gsp, Bootloader, BooterLoad, BooterUnload, Scrubber]
        }
        // Hopper and Blackwell boot through FSP: FMC instead of booters.
        _ => &[Gsp, Bootloader, Fmc],
    })
}

/// `g_kernel_gsp_nvoc.c` (570.144): the 256 MiB pre-scrubbed limit applies to TU10x/TU11x,
/// GA102-GA107 and AD10x only; GA100, Hopper and Blackwell are unlimited.
fn prescrub_unlimited(chip: Chipset) -> bool {
    let limited = matches!(chip.arch(), Architecture::Turing | Architecture::Ada)
        || (chip.arch() == Architecture::Ampere && chip != Chipset::Ga100);
    !limited
}

/// 570.144 facts.
pub static ABI: Abi = Abi {
    version: "570.144",
    wpr_meta: WprMetaLayout::R570,
    heap: HeapParams {
        // gsp_fw_heap.h: GSP_FW_HEAP_PARAM_OS_SIZE_LIBOS2 (0 << 20), _LIBOS3_BAREMETAL (22 << 20).
        os_carveout_libos2: 0,
        os_carveout_libos3: 22 * MIB,
        base_rm_tu10x: 8 * MIB,
        per_gb_fb: 96 << 10,
        client_alloc: (48 << 10) * 2048,
        // GSP_FW_HEAP_SIZE_OVERRIDE_LIBOS2_MIN_MB (64u), _LIBOS3_BAREMETAL_MIN_MB (88u).
        min_mb_libos2: 64,
        min_mb_libos3: 88,
        // kgspGetNonWprHeapSize_ed6b8b: 1048576 on TU102..AD107.
        non_wpr_heap_tu10x: MIB,
        prescrubbed_top_fb: 256 * MIB,
        // kgspGetFwHeapSize_IMPL(anteriorFbSize, posteriorFbSize): prescrubbed - (anterior + posterior).
        prescrub_limit_counts_anterior: true,
    },
    files_for,
    prescrub_unlimited,
};
