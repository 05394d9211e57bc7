//! Blackwell: GB10x (sm_100: `BLACKWELL_COMPUTE_A`, `BLACKWELL_DMA_COPY_A`, `BLACKWELL_CHANNEL_GPFIFO_A`,
//! `HOPPER_USERMODE_A`) and GB20x (sm_120: `BLACKWELL_COMPUTE_B`, `BLACKWELL_DMA_COPY_B`,
//! `BLACKWELL_CHANNEL_GPFIFO_B`, `BLACKWELL_USERMODE_A`); QMD V05_00 for both (`g_gpu_class_list.c`).

use super::*;

#[derive(Debug)]
pub(super) struct Blackwell {
    chipset: Chipset,
}

impl Blackwell {
    pub(super) fn new(chipset: Chipset) -> Self {
        Blackwell { chipset }
    }

    /// GB100/GB102 (data center, sm_100) vs GB20x (sm_120).
    fn is_gb10x(&self) -> bool {
        matches!(self.chipset, Chipset::Gb100 | Chipset::Gb102)
    }
}

impl Hal for Blackwell {
    fn chipset(&self) -> Chipset {
        self.chipset
    }

    fn qmd_version(&self) -> QmdVersion {
        QmdVersion::V05_00
    }

    fn classes(&self) -> ClassIds {
        if self.is_gb10x() {
            ClassIds {
                channel_gpfifo: BLACKWELL_CHANNEL_GPFIFO_A,
                compute: BLACKWELL_COMPUTE_A,
                copy: BLACKWELL_DMA_COPY_A,
                usermode: HOPPER_USERMODE_A,
            }
        } else {
            ClassIds {
                channel_gpfifo: BLACKWELL_CHANNEL_GPFIFO_B,
                compute: BLACKWELL_COMPUTE_B,
                copy: BLACKWELL_DMA_COPY_B,
                usermode: BLACKWELL_USERMODE_A,
            }
        }
    }

    fn sm_version(&self) -> (u8, u8) {
        if self.is_gb10x() {
            (10, 0)
        } else {
            (12, 0)
        }
    }

    fn cbank0(&self) -> Cbank0Layout {
        CBANK0_BLACKWELL
    }

    fn limits(&self) -> LaunchLimits {
        if self.is_gb10x() {
            LaunchLimits::common(2048, 32, 228 * KIB)
        } else {
            LaunchLimits::common(1536, 24, 100 * KIB)
        }
    }

    fn shared_carveouts_kib(&self) -> &'static [u32] {
        if self.is_gb10x() {
            CARVEOUTS_228K
        } else {
            CARVEOUTS_100K
        }
    }
}
