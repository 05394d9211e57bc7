//! Build a complete QMD for one grid launch from a plain description.
//!
//! The field choices follow what working launches set (tinygrad `ops_nv.py` for V03_00/V05_00, Mesa NAK
//! `qmd.rs` for V04_00): QMD group 0x3f, texture/shader-data cache invalidation at launch, API-visible call
//! limit `NO_CHECK`, sampler index via header index, CWD membar `L1_SYSMEMBAR`, constant bank 0 invalidated at
//! launch, `SM_GLOBAL_CACHING_ENABLE` on V03_00, `QMD_TYPE = GRID_CTA` on V04_00/V05_00.
//! Unverified on hardware.

use super::{
    ApiVisibleCallLimit, CacheInvalidate, ConstantBuffer, CwdMembarType, PrefetchType, Qmd,
    QmdType, QmdV03_00, QmdV04_00, QmdV05_00, QmdVersion, ReleaseSemaphore, SamplerIndex,
    SmSharedConfig,
};
use crate::error::{Error, Result};

/// Unit the launch builder rounds the QMD shared-memory size up to (tinygrad `ops_nv.py` rounds to 128 bytes;
/// it is also the unit of V05_00's `SHARED_MEMORY_SIZE_SHIFTED7`).
pub const SHARED_MEMORY_GRANULARITY: u32 = 128;

/// Completion semaphore of a launch: a 64-bit payload written to `address` after a system-scope membar
/// ([`ReleaseSemaphore::write64`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LaunchRelease {
    /// GPU VA, 8-byte aligned.
    pub address: u64,
    /// Value written.
    pub payload: u64,
}

/// Everything a grid launch needs, in plain numbers. The chip-specific parts (`sass_version`, `sm_shared`) come
/// from [`crate::hal::Hal`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LaunchDesc {
    /// Grid size in CTAs (each >= 1).
    pub grid: [u32; 3],
    /// CTA size in threads (each >= 1).
    pub block: [u32; 3],
    /// Entry point GPU VA (256-byte aligned, as cubin text sections are).
    pub program_va: u64,
    /// Program size in bytes for instruction prefetch (0: no prefetch).
    pub program_size: u32,
    /// Registers per thread (1..=255).
    pub register_count: u32,
    /// Shared memory per CTA in bytes, as the QMD should reserve it: for ptxas-compiled code this includes the
    /// 1 KiB the system reserves per block ([`crate::hal::LaunchLimits::reserved_shared_per_block`]). Rounded
    /// up to [`SHARED_MEMORY_GRANULARITY`] here.
    pub shared_mem_bytes: u32,
    /// SM shared-memory carve-out choice (see [`crate::hal::Hal::sm_shared_config`]).
    pub sm_shared: SmSharedConfig,
    /// Local memory per thread in bytes (written to `SHADER_LOCAL_MEMORY_HIGH_SIZE`, as ptxas-compiled code
    /// expects; rounded up to 16 bytes).
    pub local_mem_per_thread: u32,
    /// Constant bank 0 (driver constants + kernel parameters) GPU VA (64-byte aligned).
    pub cbank0_va: u64,
    /// Constant bank 0 size in bytes (rounded up to 16 bytes here).
    pub cbank0_size: u32,
    /// Named barriers the program uses (0..=16).
    pub barrier_count: u32,
    /// `SASS_VERSION` of the program's SM.
    pub sass_version: u8,
    /// Completion semaphore written through release 0.
    pub release: Option<LaunchRelease>,
}

/// Fill a fresh QMD of version `Q` for `d`.
pub fn build_launch<Q: Qmd>(d: &LaunchDesc) -> Result<Q> {
    for (what, v) in [("grid", d.grid), ("block", d.block)] {
        if v.contains(&0) {
            return Err(Error::QmdInvalidLaunch { what, value: 0 });
        }
    }
    if d.register_count == 0 || d.register_count > 255 {
        return Err(Error::QmdInvalidLaunch {
            what: "register count",
            value: d.register_count.into(),
        });
    }
    let shared = round_up(
        d.shared_mem_bytes,
        SHARED_MEMORY_GRANULARITY,
        "shared memory size",
    )?;
    let local = round_up(d.local_mem_per_thread, 16, "local memory size")?;
    let cb_size = round_up(d.cbank0_size, 16, "constant bank 0 size")?;
    check_carveout(shared, d.sm_shared)?;

    let mut q = Q::new();
    let l = Q::LAYOUT;
    q.set_qmd_group_id(0x3f)?;
    if let Some(f) = l.sm_global_caching_enable {
        q.set(f, 1)?;
    }
    if l.qmd_type.is_some() {
        q.set_qmd_type(QmdType::GridCta)?;
    }
    q.set_invalidate(CacheInvalidate {
        texture_header: true,
        texture_sampler: true,
        texture_data: true,
        shader_data: true,
        instruction: false,
        shader_constant: false,
    })?;
    q.set_api_visible_call_limit(ApiVisibleCallLimit::NoCheck)?;
    q.set_sampler_index(SamplerIndex::ViaHeaderIndex)?;
    q.set_cwd_membar_type(CwdMembarType::L1SysMembar)?;
    q.set_grid(d.grid)?;
    q.set_block(d.block)?;
    q.set_program_address(d.program_va)?;
    if d.program_size != 0 {
        // PROGRAM_PREFETCH_SIZE is 9 bits of 256-byte units: prefetch at most the first 0x1ff units.
        let max = l.program_prefetch_size.max().saturating_mul(256);
        q.set_program_prefetch(
            d.program_va,
            d.program_size.min(max),
            PrefetchType::PrefetchLaunch,
        )?;
    }
    q.set_register_count(d.register_count)?;
    q.set_barrier_count(d.barrier_count)?;
    q.set_sass_version(d.sass_version)?;
    q.set_shared_memory_size(shared)?;
    q.set_sm_shared_config(d.sm_shared)?;
    q.set_shader_local_memory(0, local)?;
    q.set_constant_buffer(
        0,
        ConstantBuffer {
            address: d.cbank0_va,
            size: cb_size,
        },
    )?;
    q.set_constant_buffer_invalidate(0, true)?;
    if let Some(r) = d.release {
        q.set_release(0, Some(&ReleaseSemaphore::write64(r.address, r.payload)))?;
    }
    Ok(q)
}

fn round_up(v: u32, to: u32, what: &'static str) -> Result<u32> {
    v.checked_next_multiple_of(to)
        .ok_or_else(|| Error::QmdInvalidLaunch {
            what,
            value: v.into(),
        })
}

fn check_carveout(shared: u32, sm: SmSharedConfig) -> Result<()> {
    if shared > sm.max_bytes || sm.target_bytes < shared {
        return Err(Error::QmdInvalidLaunch {
            what: "shared memory above SM carve-out",
            value: shared.into(),
        });
    }
    Ok(())
}

/// The QMD shared-memory size for `shared_mem_bytes` under carve-out `sm`, checked as [`build_launch`] checks it.
pub(crate) fn check_shared(shared_mem_bytes: u32, sm: SmSharedConfig) -> Result<u32> {
    let shared = round_up(
        shared_mem_bytes,
        SHARED_MEMORY_GRANULARITY,
        "shared memory size",
    )?;
    check_carveout(shared, sm)?;
    Ok(shared)
}

/// A QMD of whichever version the chip uses (what [`crate::hal::Hal::build_launch_qmd`] returns).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnyQmd {
    /// QMD V03_00 (Ampere, Ada).
    V03_00(QmdV03_00),
    /// QMD V04_00 (Hopper).
    V04_00(QmdV04_00),
    /// QMD V05_00 (Blackwell).
    V05_00(QmdV05_00),
}

impl AnyQmd {
    /// Build a launch QMD of `version`.
    pub fn build(version: QmdVersion, d: &LaunchDesc) -> Result<Self> {
        Ok(match version {
            QmdVersion::V03_00 => AnyQmd::V03_00(build_launch(d)?),
            QmdVersion::V04_00 => AnyQmd::V04_00(build_launch(d)?),
            QmdVersion::V05_00 => AnyQmd::V05_00(build_launch(d)?),
        })
    }

    /// Version.
    pub fn version(&self) -> QmdVersion {
        match self {
            AnyQmd::V03_00(_) => QmdVersion::V03_00,
            AnyQmd::V04_00(_) => QmdVersion::V04_00,
            AnyQmd::V05_00(_) => QmdVersion::V05_00,
        }
    }

    /// Little-endian words.
    pub fn words(&self) -> &[u32] {
        match self {
            AnyQmd::V03_00(q) => q.words(),
            AnyQmd::V04_00(q) => q.words(),
            AnyQmd::V05_00(q) => q.words(),
        }
    }

    /// Little-endian bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.words().iter().flat_map(|w| w.to_le_bytes()).collect()
    }

    /// Write into `out` (exactly the QMD size).
    pub fn write_bytes(&self, out: &mut [u8]) -> Result<()> {
        match self {
            AnyQmd::V03_00(q) => q.write_bytes(out),
            AnyQmd::V04_00(q) => q.write_bytes(out),
            AnyQmd::V05_00(q) => q.write_bytes(out),
        }
    }

    /// Decoded fields.
    pub fn decode(&self) -> super::DecodedQmd {
        super::decode::decode_words(self.version(), self.words())
    }
}
