//! Ada: AD10x (sm_89, `ADA_COMPUTE_A`, `AMPERE_DMA_COPY_B`, `AMPERE_CHANNEL_GPFIFO_A`); QMD V03_00.

use super::*;

#[derive(Debug)]
pub(super) struct Ada {
    chipset: Chipset,
}

impl Ada {
    pub(super) fn new(chipset: Chipset) -> Self {
        Ada { chipset }
    }
}

impl Hal for Ada {
    fn chipset(&self) -> Chipset {
        self.chipset
    }

    fn qmd_version(&self) -> QmdVersion {
        QmdVersion::V03_00
    }

    fn classes(&self) -> ClassIds {
        ClassIds {
            channel_gpfifo: AMPERE_CHANNEL_GPFIFO_A,
            compute: ADA_COMPUTE_A,
            copy: AMPERE_DMA_COPY_B,
            usermode: AMPERE_USERMODE_A,
        }
    }

    fn sm_version(&self) -> (u8, u8) {
        (8, 9)
    }

    fn cbank0(&self) -> Cbank0Layout {
        CBANK0_PRE_BLACKWELL
    }

    fn limits(&self) -> LaunchLimits {
        LaunchLimits::common(1536, 24, 100 * KIB)
    }

    fn shared_carveouts_kib(&self) -> &'static [u32] {
        CARVEOUTS_100K
    }
}
