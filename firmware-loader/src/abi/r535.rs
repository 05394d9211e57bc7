//! GSP-RM 535.113.01 ABI facts (open-gpu-kernel-modules tag `535.113.01`).

use super::{Abi, FileKind, HeapParams, WprMetaLayout, TU_TO_AD};
use crate::chip::{Architecture, Chipset};

const MIB: u64 = 1 << 20;

/// r535: Turing to Ada ship in `nvidia/<chip>/gsp/`; Hopper/Blackwell firmware is not packaged
/// for this release.
fn files_for(chip: Chipset) -> Option<&'static [FileKind]> {
    match chip.arch() {
        Architecture::Turing | Architecture::Ampere | Architecture::Ada => Some(TU_TO_AD),
        Architecture::Hopper | Architecture::Blackwell => None,
    }
}

/// `g_kernel_gsp_nvoc.c` (535.113.01): `kgspGetPrescrubbedTopFbSize_604eb7` (unlimited) on GA100 and GH100.
fn prescrub_unlimited(chip: Chipset) -> bool {
    matches!(chip, Chipset::Ga100 | Chipset::Gh100)
}

/// 535.113.01 facts.
pub static ABI: Abi = Abi {
    version: "535.113.01",
    wpr_meta: WprMetaLayout::R535,
    heap: HeapParams {
        // gsp_fw_heap.h: GSP_FW_HEAP_PARAM_OS_SIZE_LIBOS2 (0 << 20), _LIBOS3 (20 << 20).
        os_carveout_libos2: 0,
        os_carveout_libos3: 20 * MIB,
        // GSP_FW_HEAP_PARAM_BASE_RM_SIZE_TU10X (8 << 20).
        base_rm_tu10x: 8 * MIB,
        // GSP_FW_HEAP_PARAM_SIZE_PER_GB_FB (96 << 10).
        per_gb_fb: 96 << 10,
        // GSP_FW_HEAP_PARAM_CLIENT_ALLOC_SIZE ((48 << 10) * 2048).
        client_alloc: (48 << 10) * 2048,
        // GSP_FW_HEAP_SIZE_OVERRIDE_LIBOS2_MIN_MB (64u), _LIBOS3_BAREMETAL_MIN_MB (84u).
        min_mb_libos2: 64,
        min_mb_libos3: 84,
        // kgspGetNonWprHeapSize_ed6b8b: 1048576 (all but GH100).
        non_wpr_heap_tu10x: MIB,
        // kgspGetPrescrubbedTopFbSize_e1e623: 256 MiB.
        prescrubbed_top_fb: 256 * MIB,
        // kgspGetFwHeapSize_IMPL(posteriorFbSize): prescrubbed - posterior.
        prescrub_limit_counts_anterior: false,
    },
    files_for,
    prescrub_unlimited,
};
