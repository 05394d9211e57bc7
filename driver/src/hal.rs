//! Per-chip choices, made once from the chipset: [`for_chipset`] returns the [`Hal`] of the chip's architecture
//! family, and the rest of the driver asks it instead of comparing architectures.
//!
//! Sources: class numbers and which chip exposes which class from open-gpu-kernel-modules
//! (`src/common/sdk/nvidia/inc/class/cl*.h`, `src/nvidia/generated/g_gpu_class_list.c`); QMD version per compute
//! class from Mesa NAK `qmd.rs` (V03_00 for Ampere/Ada, V04_00 for `HOPPER_COMPUTE_A`, V05_00 for Blackwell);
//! constant bank 0 layout from tinygrad `ops_nv.py`; per-SM limits from NVIDIA CCCL `arch_traits.h` and the
//! CUDA tuning guides (shared-memory carve-out sizes). Unverified on hardware.

use crate::class::{self, Class};
use crate::error::{Error, Result};
use crate::qmd::{AnyQmd, AnyQmdTemplate, LaunchDesc, QmdVersion, SmSharedConfig};
use crate::{Architecture, Chipset};
use std::fmt;

mod ada;
mod ampere;
mod blackwell;
mod hopper;

// Class numbers, named as in OpenRM's class headers (`clc56f.h`, `clc6c0.h`, ...). The host, compute and copy
// numbers are the class modules' own ids (`crate::class::gen`, generated from those headers): one source of truth.

/// `clc56f.h`.
pub const AMPERE_CHANNEL_GPFIFO_A: u32 = <class::c56f::Class as Class>::ID;
/// `clc86f.h`.
pub const HOPPER_CHANNEL_GPFIFO_A: u32 = <class::c86f::Class as Class>::ID;
/// `clc96f.h`.
pub const BLACKWELL_CHANNEL_GPFIFO_A: u32 = <class::c96f::Class as Class>::ID;
/// `clca6f.h`.
pub const BLACKWELL_CHANNEL_GPFIFO_B: u32 = <class::ca6f::Class as Class>::ID;
/// `clc6c0.h` (GA100).
pub const AMPERE_COMPUTE_A: u32 = <class::c6c0::Class as Class>::ID;
/// `clc7c0.h` (GA10x).
pub const AMPERE_COMPUTE_B: u32 = <class::c7c0::Class as Class>::ID;
/// `clc9c0.h`.
pub const ADA_COMPUTE_A: u32 = <class::c9c0::Class as Class>::ID;
/// `clcbc0.h`.
pub const HOPPER_COMPUTE_A: u32 = <class::cbc0::Class as Class>::ID;
/// `clcdc0.h` (GB10x).
pub const BLACKWELL_COMPUTE_A: u32 = <class::cdc0::Class as Class>::ID;
/// `clcec0.h` (GB20x).
pub const BLACKWELL_COMPUTE_B: u32 = <class::cec0::Class as Class>::ID;
/// `clc6b5.h` (GA100).
pub const AMPERE_DMA_COPY_A: u32 = <class::c6b5::Class as Class>::ID;
/// `clc7b5.h` (GA10x, AD10x).
pub const AMPERE_DMA_COPY_B: u32 = <class::c7b5::Class as Class>::ID;
/// `clc8b5.h`.
pub const HOPPER_DMA_COPY_A: u32 = <class::c8b5::Class as Class>::ID;
/// `clc9b5.h` (GB10x).
pub const BLACKWELL_DMA_COPY_A: u32 = <class::c9b5::Class as Class>::ID;
/// `clcab5.h` (GB20x).
pub const BLACKWELL_DMA_COPY_B: u32 = <class::cab5::Class as Class>::ID;
// The usermode (doorbell) classes have no method table, so no class module; their numbers live here only.
/// `clc561.h`.
pub const AMPERE_USERMODE_A: u32 = 0xC561;
/// `clc661.h`.
pub const HOPPER_USERMODE_A: u32 = 0xC661;
/// `clc761.h`.
pub const BLACKWELL_USERMODE_A: u32 = 0xC761;

/// The engine classes nvbare allocates on a chip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClassIds {
    /// Host channel (GPFIFO) class.
    pub channel_gpfifo: u32,
    /// Compute class.
    pub compute: u32,
    /// Copy engine class.
    pub copy: u32,
    /// Usermode (doorbell) class.
    pub usermode: u32,
}

/// Layout of constant bank 0 as ptxas-compiled code reads it: driver constants, then kernel parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cbank0Layout {
    /// Byte offset of the first kernel parameter (`c[0x0][0x160]` before Blackwell, `c[0x0][0x380]` on it).
    pub param_offset: u32,
    /// Byte offset of the 64-bit shared-memory window base.
    pub shared_window_offset: u32,
    /// Byte offset of the 64-bit local-memory window base.
    pub local_window_offset: u32,
    /// Other 32-bit driver words `(byte offset, value)` working launches set (tinygrad `ops_nv.py` writes
    /// 0xfffdc0 at these offsets; NVIDIA does not document its meaning).
    pub fixed_words: &'static [(u32, u32)],
}

/// Per-SM and per-launch limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LaunchLimits {
    /// Threads per block (the product of the three block dimensions).
    pub max_threads_per_block: u32,
    /// Largest block size in x, y, z.
    pub max_block_dims: [u32; 3],
    /// Largest grid size in x, y, z (in blocks).
    pub max_grid_dims: [u32; 3],
    /// Registers one thread may use.
    pub max_registers_per_thread: u32,
    /// Registers are allocated per warp in units of this many (256 = 8 per thread).
    pub register_alloc_granularity_per_warp: u32,
    /// 32-bit registers in one SM's register file.
    pub registers_per_sm: u32,
    /// Resident threads per SM.
    pub max_threads_per_sm: u32,
    /// Resident blocks per SM.
    pub max_blocks_per_sm: u32,
    /// Shared memory per SM (largest carve-out) in bytes.
    pub max_shared_per_sm: u32,
    /// Shared memory a block may use after opting in (per SM minus the reserved part).
    pub max_shared_per_block_optin: u32,
    /// Shared memory a block may use without opting in.
    pub default_shared_per_block: u32,
    /// Shared memory the system reserves per block (counted in the QMD's shared size for ptxas code).
    pub reserved_shared_per_block: u32,
    /// Shared-memory allocation unit in bytes (CUDA occupancy calculator: 128 for sm_80 and later).
    pub shared_alloc_granularity: u32,
    /// Named barriers per CTA.
    pub max_barriers: u32,
}

const KIB: u32 = 1024;

impl LaunchLimits {
    /// Limits shared by sm_80..sm_120 (CUDA "technical specifications per compute capability"), with the
    /// per-SM values given.
    const fn common(
        max_threads_per_sm: u32,
        max_blocks_per_sm: u32,
        max_shared_per_sm: u32,
    ) -> Self {
        LaunchLimits {
            max_threads_per_block: 1024,
            max_block_dims: [1024, 1024, 64],
            max_grid_dims: [(1 << 31) - 1, 65535, 65535],
            max_registers_per_thread: 255,
            register_alloc_granularity_per_warp: 256,
            registers_per_sm: 65536,
            max_threads_per_sm,
            max_blocks_per_sm,
            max_shared_per_sm,
            max_shared_per_block_optin: max_shared_per_sm - KIB,
            default_shared_per_block: 48 * KIB,
            reserved_shared_per_block: KIB,
            shared_alloc_granularity: 128,
            max_barriers: 16,
        }
    }
}

/// Shared-memory carve-outs (KiB per SM) of chips with 100 KiB shared per SM (sm_86, sm_89, sm_120).
pub(crate) const CARVEOUTS_100K: &[u32] = &[0, 8, 16, 32, 64, 100];
/// Carve-outs of GA100 (sm_80; Ampere tuning guide).
pub(crate) const CARVEOUTS_164K: &[u32] = &[0, 8, 16, 32, 64, 100, 132, 164];
/// Carve-outs of sm_90 and sm_100 (Hopper and Blackwell tuning guides).
pub(crate) const CARVEOUTS_228K: &[u32] = &[0, 8, 16, 32, 64, 100, 132, 164, 196, 228];

/// Constant bank 0 before Blackwell (tinygrad `ops_nv.py`: words 6..8 shared window, 8..10 local window,
/// word 10 = 0xfffdc0, parameters from 0x160).
pub(crate) const CBANK0_PRE_BLACKWELL: Cbank0Layout = Cbank0Layout {
    param_offset: 0x160,
    shared_window_offset: 0x18,
    local_window_offset: 0x20,
    fixed_words: &[(0x28, 0x00ff_fdc0)],
};

/// Constant bank 0 on Blackwell (tinygrad `ops_nv.py`: words 188..190 shared window, 190..192 local window,
/// word 223 = 0xfffdc0, parameters from 0x380).
pub(crate) const CBANK0_BLACKWELL: Cbank0Layout = Cbank0Layout {
    param_offset: 0x380,
    shared_window_offset: 0x2f0,
    local_window_offset: 0x2f8,
    fixed_words: &[(0x37c, 0x00ff_fdc0)],
};

/// Per-architecture choices. Obtain one with [`for_chipset`]; one implementation per architecture family.
pub trait Hal: fmt::Debug + Send + Sync {
    /// The chip this HAL was chosen for.
    fn chipset(&self) -> Chipset;

    /// QMD version the compute class takes.
    fn qmd_version(&self) -> QmdVersion;

    /// Classes to allocate.
    fn classes(&self) -> ClassIds;

    /// SM version `(major, minor)` (8.0, 8.6, 8.9, 9.0, 10.0, 12.0).
    fn sm_version(&self) -> (u8, u8);

    /// Constant bank 0 layout.
    fn cbank0(&self) -> Cbank0Layout;

    /// Launch limits.
    fn limits(&self) -> LaunchLimits;

    /// Shared-memory carve-out sizes per SM, in KiB, ascending.
    fn shared_carveouts_kib(&self) -> &'static [u32];

    /// Size in bytes of the QMDs this chip takes (allocate QMD slots of this size at [`crate::qmd::QMD_ALIGNMENT`]).
    fn qmd_size_bytes(&self) -> usize {
        self.qmd_version().size_bytes()
    }

    /// Architecture family.
    fn arch(&self) -> Architecture {
        self.chipset().arch()
    }

    /// `SASS_VERSION` for the QMD: SM major << 4 | minor (tinygrad `ops_nv.py`).
    fn sass_version(&self) -> u8 {
        let (major, minor) = self.sm_version();
        (major << 4) | (minor & 0xf)
    }

    /// SM shared-memory configuration for a block using `shared_bytes` (the QMD shared size, reserved part
    /// included): min = target = the smallest non-zero carve-out that holds it, max = the largest carve-out.
    fn sm_shared_config(&self, shared_bytes: u32) -> Result<SmSharedConfig> {
        let outs = self.shared_carveouts_kib();
        let max_kib = outs.last().copied().unwrap_or(0);
        let pick = outs
            .iter()
            .copied()
            .filter(|&k| k > 0)
            .find(|&k| u64::from(k) * 1024 >= u64::from(shared_bytes))
            .ok_or_else(|| Error::LaunchLimit {
                what: "shared memory per block",
                value: shared_bytes.into(),
                limit: u64::from(max_kib) * 1024,
            })?;
        Ok(SmSharedConfig {
            min_bytes: pick * KIB,
            max_bytes: max_kib * KIB,
            target_bytes: pick * KIB,
        })
    }

    /// Check a launch against [`Hal::limits`].
    fn check_launch(&self, d: &LaunchDesc) -> Result<()> {
        check_launch_limits(&self.limits(), d)
    }

    /// Check `d` against the chip's limits and build the chip's QMD for it.
    fn build_launch_qmd(&self, d: &LaunchDesc) -> Result<AnyQmd> {
        self.check_launch(d)?;
        AnyQmd::build(self.qmd_version(), d)
    }

    /// Check `d` against the chip's limits and encode the fixed part of its launches once: a template whose
    /// [`AnyQmdTemplate::patch`] gives, per launch, the QMD [`Hal::build_launch_qmd`] would build for
    /// `d.with_patch(p)` (same words, same errors), re-checking the per-launch fields against the limits.
    fn build_launch_template(&self, d: &LaunchDesc) -> Result<AnyQmdTemplate> {
        AnyQmdTemplate::new(self.qmd_version(), d, Some(self.limits()))
    }
}

/// [`Hal::check_launch`] against explicit limits.
pub fn check_launch_limits(l: &LaunchLimits, d: &LaunchDesc) -> Result<()> {
    check_launch_parts(
        l,
        d.grid,
        d.block,
        d.register_count,
        registers_per_warp(l, d.register_count),
        Some(d.shared_mem_bytes),
        Some(d.barrier_count),
    )
}

/// Registers a warp of a kernel using `register_count` registers per thread is allocated:
/// `ceil(regs * 32 / granularity) * granularity`.
pub(crate) fn registers_per_warp(l: &LaunchLimits, register_count: u32) -> u64 {
    (u64::from(register_count) * 32)
        .next_multiple_of(u64::from(l.register_alloc_granularity_per_warp).max(1))
}

/// The per-launch part of [`check_launch_limits`] (same checks, same order): the shared size and barrier count
/// are checked only when given (a template checked its own when it was made).
#[inline]
pub(crate) fn check_launch_shape(
    l: &LaunchLimits,
    grid: [u32; 3],
    block: [u32; 3],
    register_count: u32,
    regs_per_warp: u64,
    shared_mem_bytes: Option<u32>,
) -> Result<()> {
    check_launch_parts(
        l,
        grid,
        block,
        register_count,
        regs_per_warp,
        shared_mem_bytes,
        None,
    )
}

#[inline]
fn check_launch_parts(
    l: &LaunchLimits,
    grid: [u32; 3],
    block: [u32; 3],
    register_count: u32,
    per_warp: u64,
    shared_mem_bytes: Option<u32>,
    barrier_count: Option<u32>,
) -> Result<()> {
    let check = |what, value: u64, limit: u64| {
        if value > limit {
            Err(Error::LaunchLimit { what, value, limit })
        } else {
            Ok(())
        }
    };
    for ((g, max_g), (b, max_b)) in grid
        .into_iter()
        .zip(l.max_grid_dims)
        .zip(block.into_iter().zip(l.max_block_dims))
    {
        check("grid dimension", g.into(), max_g.into())?;
        check("block dimension", b.into(), max_b.into())?;
    }
    let threads = block.iter().map(|&v| u64::from(v)).product();
    check("threads per block", threads, l.max_threads_per_block.into())?;
    check(
        "registers per thread",
        register_count.into(),
        l.max_registers_per_thread.into(),
    )?;
    if let Some(s) = shared_mem_bytes {
        check(
            "shared memory per block",
            s.into(),
            u64::from(l.max_shared_per_block_optin) + u64::from(l.reserved_shared_per_block),
        )?;
    }
    if let Some(b) = barrier_count {
        check("barrier count", b.into(), l.max_barriers.into())?;
    }
    // Registers: a block needs `per_warp` (`registers_per_warp`) per warp.
    let warps = threads.div_ceil(32);
    check(
        "registers per block",
        per_warp * warps,
        l.registers_per_sm.into(),
    )
}

/// Choose the HAL for `chipset` (done once, when a device is opened). Turing has no HAL: nvbare's compute path
/// starts at Ampere.
pub fn for_chipset(chipset: Chipset) -> Result<Box<dyn Hal>> {
    Ok(match chipset.arch() {
        Architecture::Ampere => Box::new(ampere::Ampere::new(chipset)),
        Architecture::Ada => Box::new(ada::Ada::new(chipset)),
        Architecture::Hopper => Box::new(hopper::Hopper::new(chipset)),
        Architecture::Blackwell => Box::new(blackwell::Blackwell::new(chipset)),
        arch @ Architecture::Turing => {
            return Err(Error::UnsupportedChip {
                chipset,
                arch,
                why: "no compute HAL before Ampere",
            })
        }
    })
}

/// The QMD version compute class `compute_class` takes, as the HALs choose it: the version of the first chip
/// (in [`Chipset::ALL`] order) whose HAL allocates that compute class. Every chip sharing a compute class
/// agrees (a unit test checks it), so this is the class -> QMD version mapping decoders use. `None` for a
/// class no HAL allocates (e.g. a host or copy class, or Turing's compute class).
pub fn qmd_version_for_compute_class(compute_class: u32) -> Option<QmdVersion> {
    Chipset::ALL
        .iter()
        .filter_map(|&chip| for_chipset(chip).ok())
        .find(|h| h.classes().compute == compute_class)
        .map(|h| h.qmd_version())
}

/// Every `(compute class, QMD version)` pair the HALs use, one entry per compute class, in [`Chipset::ALL`]
/// order of first use. Build it once where many lookups follow (the pushbuffer decoder's QMD hook does).
pub fn compute_class_qmd_versions() -> Vec<(u32, QmdVersion)> {
    let mut out: Vec<(u32, QmdVersion)> = Vec::new();
    for h in Chipset::ALL
        .iter()
        .filter_map(|&chip| for_chipset(chip).ok())
    {
        let c = h.classes().compute;
        if !out.iter().any(|&(id, _)| id == c) {
            out.push((c, h.qmd_version()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::class::ClassKind;

    #[test]
    fn chips_sharing_a_compute_class_agree_on_its_qmd_version() {
        for h in Chipset::ALL
            .iter()
            .filter_map(|&chip| for_chipset(chip).ok())
        {
            let c = h.classes().compute;
            assert_eq!(
                qmd_version_for_compute_class(c),
                Some(h.qmd_version()),
                "{} class {c:#x}",
                h.chipset()
            );
        }
    }

    #[test]
    fn every_compute_class_table_has_a_qmd_version() {
        let map = compute_class_qmd_versions();
        let tables: Vec<u32> = class::gen::ALL
            .iter()
            .filter(|d| d.kind == ClassKind::Compute)
            .map(|d| d.id)
            .collect();
        let mut mapped: Vec<u32> = map.iter().map(|&(c, _)| c).collect();
        let mut t = tables.clone();
        mapped.sort_unstable();
        t.sort_unstable();
        assert_eq!(mapped, t, "HAL compute classes vs class tables");
        assert_eq!(
            qmd_version_for_compute_class(HOPPER_COMPUTE_A),
            Some(QmdVersion::V04_00)
        );
        assert_eq!(
            qmd_version_for_compute_class(AMPERE_COMPUTE_B),
            Some(QmdVersion::V03_00)
        );
        assert_eq!(
            qmd_version_for_compute_class(ADA_COMPUTE_A),
            Some(QmdVersion::V03_00)
        );
        assert_eq!(
            qmd_version_for_compute_class(BLACKWELL_COMPUTE_B),
            Some(QmdVersion::V05_00)
        );
        assert_eq!(qmd_version_for_compute_class(HOPPER_CHANNEL_GPFIFO_A), None);
    }

    #[test]
    fn hal_classes_have_tables_and_the_decoder_pairs_them_with_the_hal_host_class() {
        for h in Chipset::ALL
            .iter()
            .filter_map(|&chip| for_chipset(chip).ok())
        {
            let ids = h.classes();
            let kinds = [
                (ids.channel_gpfifo, ClassKind::Host),
                (ids.compute, ClassKind::Compute),
                (ids.copy, ClassKind::Copy),
            ];
            for (id, kind) in kinds {
                let desc = class::class_by_id(id);
                assert_eq!(
                    desc.map(|d| d.kind),
                    Some(kind),
                    "{} class {id:#x}",
                    h.chipset()
                );
                // The decoder's engine -> host pairing matches the chip's channel class.
                assert_eq!(
                    class::host_class_for(id).map(|d| d.id),
                    Some(ids.channel_gpfifo),
                    "{} class {id:#x}",
                    h.chipset()
                );
            }
        }
    }
}
