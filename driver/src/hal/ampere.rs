//! Ampere: GA100 (sm_80, `AMPERE_COMPUTE_A`, `AMPERE_DMA_COPY_A`) and GA10x (sm_86, `AMPERE_COMPUTE_B`,
//! `AMPERE_DMA_COPY_B`); QMD V03_00. Class lists: `g_gpu_class_list.c` (`..._GA100`, `..._GA102`...).

use super::*;

#[derive(Debug)]
pub(super) struct Ampere {
    chipset: Chipset,
}

impl Ampere {
    pub(super) fn new(chipset: Chipset) -> Self {
        Ampere { chipset }
    }

    fn is_ga100(&self) -> bool {
        self.chipset == Chipset::Ga100
    }
}

impl Hal for Ampere {
    fn chipset(&self) -> Chipset {
        self.chipset
    }

    fn qmd_version(&self) -> QmdVersion {
        QmdVersion::V03_00
    }

    fn classes(&self) -> ClassIds {
        let (compute, copy) = if self.is_ga100() {
            (AMPERE_COMPUTE_A, AMPERE_DMA_COPY_A)
        } else {
            (AMPERE_COMPUTE_B, AMPERE_DMA_COPY_B)
        };
        ClassIds {
            channel_gpfifo: AMPERE_CHANNEL_GPFIFO_A,
            compute,
            copy,
            usermode: AMPERE_USERMODE_A,
        }
    }

    fn sm_version(&self) -> (u8, u8) {
        if self.is_ga100() {
            (8, 0)
        } else {
            (8, 6)
        }
    }

    fn cbank0(&self) -> Cbank0Layout {
        CBANK0_PRE_BLACKWELL
    }

    fn limits(&self) -> LaunchLimits {
        if self.is_ga100() {
            LaunchLimits::common(2048, 32, 164 * KIB)
        } else {
            LaunchLimits::common(1536, 16, 100 * KIB)
        }
    }

    fn shared_carveouts_kib(&self) -> &'static [u32] {
        if self.is_ga100() {
            CARVEOUTS_164K
        } else {
            CARVEOUTS_100K
        }
    }
}
