//! QMD V04_00: Hopper (`HOPPER_COMPUTE_A` 0xCBC0). 96 words (384 bytes). Bit ranges: `NVCBC0_QMDV04_00_*`, see
//! [`fields`]. Mesa NVK uses this version for `HOPPER_COMPUTE_A` (NAK `qmd.rs`). Unverified on hardware.

#[rustfmt::skip] // generated file, kept as the generator writes it
#[path = "fields_v04_00.rs"]
pub mod fields;

use super::{DependentLayout, Layout, QmdVersion, ReleaseLayout, ShiftedField, SplitAddress};
use fields as f;

/// Size in 32-bit words (3072 bits).
pub const WORDS: usize = f::SIZE_BITS / 32;

const fn release(
    i: u8,
    lo: super::Field,
    hi: super::Field,
    payload_lo: super::Field,
    payload_hi: super::Field,
) -> ReleaseLayout {
    ReleaseLayout {
        enable: f::RELEASE_ENABLE.nth(i),
        structure_size: f::RELEASE_STRUCTURE_SIZE.nth(i),
        membar_type: f::RELEASE_MEMBAR_TYPE.nth(i),
        reduction_enable: f::RELEASE_REDUCTION_ENABLE.nth(i),
        reduction_op: f::RELEASE_REDUCTION_OP.nth(i),
        reduction_format: f::RELEASE_REDUCTION_FORMAT.nth(i),
        trap_type: f::RELEASE_TRAP_TYPE.nth(i),
        payload64: f::RELEASE_PAYLOAD64B.nth(i),
        // `RELEASE_SEMAPHOREn_ADDR_LOWER` (32) + `_ADDR_UPPER` (25): a 57-bit VA, unshifted.
        address: SplitAddress { lo, hi, shift: 0 },
        payload_lo,
        payload_hi,
    }
}

const fn dependent(i: u8, pointer: super::Field) -> DependentLayout {
    DependentLayout {
        enable: f::DEPENDENT_QMD_ENABLE.nth(i),
        action: f::DEPENDENT_QMD_ACTION.nth(i),
        prefetch: f::DEPENDENT_QMD_PREFETCH.nth(i),
        pointer: Some(pointer),
    }
}

/// Launch layout of QMD V04_00.
pub const LAYOUT: Layout = Layout {
    version: QmdVersion::V04_00,
    words: WORDS,
    major_version: f::QMD_MAJOR_VERSION,
    minor_version: f::QMD_MINOR_VERSION,
    qmd_type: Some(f::QMD_TYPE),
    qmd_group_id: f::QMD_GROUP_ID,
    sm_global_caching_enable: None,
    grid: [f::GRID_WIDTH, f::GRID_HEIGHT, f::GRID_DEPTH],
    block: [
        f::CTA_THREAD_DIMENSION0,
        f::CTA_THREAD_DIMENSION1,
        f::CTA_THREAD_DIMENSION2,
    ],
    // PROGRAM_ADDRESS_LOWER (32) + PROGRAM_ADDRESS_UPPER (25): 57-bit VA, unshifted.
    program_address: SplitAddress {
        lo: f::PROGRAM_ADDRESS_LOWER,
        hi: f::PROGRAM_ADDRESS_UPPER,
        shift: 0,
    },
    program_prefetch_address: SplitAddress {
        lo: f::PROGRAM_PREFETCH_ADDR_LOWER_SHIFTED,
        hi: f::PROGRAM_PREFETCH_ADDR_UPPER_SHIFTED,
        shift: 8,
    },
    program_prefetch_size: f::PROGRAM_PREFETCH_SIZE,
    program_prefetch_type: f::PROGRAM_PREFETCH_TYPE,
    register_count: f::REGISTER_COUNT,
    barrier_count: f::BARRIER_COUNT,
    shared_memory_size: ShiftedField {
        field: f::SHARED_MEMORY_SIZE,
        shift: 0,
    },
    min_sm_config_shared_mem_size: f::MIN_SM_CONFIG_SHARED_MEM_SIZE,
    max_sm_config_shared_mem_size: f::MAX_SM_CONFIG_SHARED_MEM_SIZE,
    target_sm_config_shared_mem_size: f::TARGET_SM_CONFIG_SHARED_MEM_SIZE,
    shader_local_memory_low: ShiftedField {
        field: f::SHADER_LOCAL_MEMORY_LOW_SIZE,
        shift: 0,
    },
    shader_local_memory_high: ShiftedField {
        field: f::SHADER_LOCAL_MEMORY_HIGH_SIZE,
        shift: 0,
    },
    sass_version: f::SASS_VERSION,
    api_visible_call_limit: f::API_VISIBLE_CALL_LIMIT,
    sampler_index: f::SAMPLER_INDEX,
    cwd_membar_type: f::CWD_MEMBAR_TYPE,
    invalidate: [
        f::INVALIDATE_TEXTURE_HEADER_CACHE,
        f::INVALIDATE_TEXTURE_SAMPLER_CACHE,
        f::INVALIDATE_TEXTURE_DATA_CACHE,
        f::INVALIDATE_SHADER_DATA_CACHE,
        f::INVALIDATE_INSTRUCTION_CACHE,
        f::INVALIDATE_SHADER_CONSTANT_CACHE,
    ],
    cb_valid: f::CONSTANT_BUFFER_VALID,
    cb_invalidate: f::CONSTANT_BUFFER_INVALIDATE,
    cb_addr_lo: f::CONSTANT_BUFFER_ADDR_LOWER_SHIFTED6,
    cb_addr_hi: f::CONSTANT_BUFFER_ADDR_UPPER_SHIFTED6,
    cb_addr_shift: 6,
    cb_size: f::CONSTANT_BUFFER_SIZE_SHIFTED4,
    release: [
        release(
            0,
            f::RELEASE_SEMAPHORE0_ADDR_LOWER,
            f::RELEASE_SEMAPHORE0_ADDR_UPPER,
            f::RELEASE_SEMAPHORE0_PAYLOAD_LOWER,
            f::RELEASE_SEMAPHORE0_PAYLOAD_UPPER,
        ),
        release(
            1,
            f::RELEASE_SEMAPHORE1_ADDR_LOWER,
            f::RELEASE_SEMAPHORE1_ADDR_UPPER,
            f::RELEASE_SEMAPHORE1_PAYLOAD_LOWER,
            f::RELEASE_SEMAPHORE1_PAYLOAD_UPPER,
        ),
        release(
            2,
            f::RELEASE_SEMAPHORE2_ADDR_LOWER,
            f::RELEASE_SEMAPHORE2_ADDR_UPPER,
            f::RELEASE_SEMAPHORE2_PAYLOAD_LOWER,
            f::RELEASE_SEMAPHORE2_PAYLOAD_UPPER,
        ),
    ],
    dependent: [
        dependent(0, f::DEPENDENT_QMD0_POINTER),
        dependent(1, f::DEPENDENT_QMD1_POINTER),
    ],
    cwd_reference_count_id: f::CWD_REFERENCE_COUNT_ID,
    cwd_reference_count_delta_minus_one: f::CWD_REFERENCE_COUNT_DELTA_MINUS_ONE,
    cwd_reference_count_incr_enable: f::CWD_REFERENCE_COUNT_INCR_ENABLE,
    cwd_reference_count_decr_enable: f::CWD_REFERENCE_COUNT_DECR_ENABLE,
};

super::qmd_struct!(
    /// A QMD V04_00 (384 bytes).
    QmdV04_00,
    WORDS,
    LAYOUT
);
