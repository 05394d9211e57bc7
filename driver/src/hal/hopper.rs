//! Hopper: GH100 (sm_90, `HOPPER_COMPUTE_A`, `HOPPER_DMA_COPY_A`, `HOPPER_CHANNEL_GPFIFO_A`,
//! `HOPPER_USERMODE_A`). GH100 exposes only `HOPPER_COMPUTE_A` (`g_gpu_class_list.c`), whose header defines both
//! QMD V03_00 and V04_00; Mesa NAK fills V04_00 for it, and so does nvbare. (tinygrad `ops_nv.py` has no Hopper
//! compute path: it picks its compute class from Blackwell/Ada/Ampere only. What CUDA writes on Hopper is not
//! checked here: no Hopper was available.)

use super::*;

#[derive(Debug)]
pub(super) struct Hopper {
    chipset: Chipset,
}

impl Hopper {
    pub(super) fn new(chipset: Chipset) -> Self {
        Hopper { chipset }
    }
}

impl Hal for Hopper {
    fn chipset(&self) -> Chipset {
        self.chipset
    }

    fn qmd_version(&self) -> QmdVersion {
        QmdVersion::V04_00
    }

    fn classes(&self) -> ClassIds {
        ClassIds {
            channel_gpfifo: HOPPER_CHANNEL_GPFIFO_A,
            compute: HOPPER_COMPUTE_A,
            copy: HOPPER_DMA_COPY_A,
            usermode: HOPPER_USERMODE_A,
        }
    }

    fn sm_version(&self) -> (u8, u8) {
        (9, 0)
    }

    fn cbank0(&self) -> Cbank0Layout {
        CBANK0_PRE_BLACKWELL
    }

    fn limits(&self) -> LaunchLimits {
        LaunchLimits::common(2048, 32, 228 * KIB)
    }

    fn shared_carveouts_kib(&self) -> &'static [u32] {
        CARVEOUTS_228K
    }
}
