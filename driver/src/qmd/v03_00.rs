//! QMD V03_00: Ampere (`AMPERE_COMPUTE_A` 0xC6C0, `AMPERE_COMPUTE_B` 0xC7C0) and Ada (`ADA_COMPUTE_A` 0xC9C0).
//! 64 words (256 bytes). Bit ranges: `NVC9C0_QMDV03_00_*` (same launch fields as `NVC6C0_QMDV03_00_*`), see
//! [`fields`]. Unverified on hardware.

#[rustfmt::skip] // generated file, kept as the generator writes it
#[path = "fields_v03_00.rs"]
pub mod fields;

use super::{DependentLayout, Layout, QmdVersion, ReleaseLayout, ShiftedField, SplitAddress};
use fields as f;

/// Size in 32-bit words (2048 bits).
pub const WORDS: usize = f::SIZE_BITS / 32;

// One argument per header field of the release: a plain transcription table, not an API.
#[allow(clippy::too_many_arguments)]
const fn release(
    enable: super::Field,
    structure_size: super::Field,
    membar_type: super::Field,
    reduction_enable: super::Field,
    reduction_op: super::Field,
    reduction_format: super::Field,
    trap_type: super::Field,
    payload64: super::Field,
    lo: super::Field,
    hi: super::Field,
    payload_lo: super::Field,
    payload_hi: super::Field,
) -> ReleaseLayout {
    ReleaseLayout {
        enable,
        structure_size,
        membar_type,
        reduction_enable,
        reduction_op,
        reduction_format,
        trap_type,
        payload64,
        // `RELEASEn_ADDRESS_LOWER` (32 bits) + `RELEASEn_ADDRESS_UPPER` (8 bits): a 40-bit VA, unshifted.
        address: SplitAddress { lo, hi, shift: 0 },
        payload_lo,
        payload_hi,
    }
}

/// Launch layout of QMD V03_00.
pub const LAYOUT: Layout = Layout {
    version: QmdVersion::V03_00,
    words: WORDS,
    major_version: f::QMD_MAJOR_VERSION,
    minor_version: f::QMD_VERSION,
    qmd_type: None,
    qmd_group_id: f::QMD_GROUP_ID,
    sm_global_caching_enable: Some(f::SM_GLOBAL_CACHING_ENABLE),
    grid: [
        f::CTA_RASTER_WIDTH,
        f::CTA_RASTER_HEIGHT,
        f::CTA_RASTER_DEPTH,
    ],
    block: [
        f::CTA_THREAD_DIMENSION0,
        f::CTA_THREAD_DIMENSION1,
        f::CTA_THREAD_DIMENSION2,
    ],
    // PROGRAM_ADDRESS_LOWER (32) + PROGRAM_ADDRESS_UPPER (17): 49-bit VA, unshifted.
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
    register_count: f::REGISTER_COUNT_V,
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
    cb_addr_lo: f::CONSTANT_BUFFER_ADDR_LOWER,
    cb_addr_hi: f::CONSTANT_BUFFER_ADDR_UPPER,
    cb_addr_shift: 0,
    cb_size: f::CONSTANT_BUFFER_SIZE_SHIFTED4,
    release: [
        release(
            f::RELEASE0_ENABLE,
            f::RELEASE0_STRUCTURE_SIZE,
            f::RELEASE0_MEMBAR_TYPE,
            f::RELEASE0_REDUCTION_ENABLE,
            f::RELEASE0_REDUCTION_OP,
            f::RELEASE0_REDUCTION_FORMAT,
            f::RELEASE0_TRAP_TYPE,
            f::RELEASE0_PAYLOAD64B,
            f::RELEASE0_ADDRESS_LOWER,
            f::RELEASE0_ADDRESS_UPPER,
            f::RELEASE0_PAYLOAD_LOWER,
            f::RELEASE0_PAYLOAD_UPPER,
        ),
        release(
            f::RELEASE1_ENABLE,
            f::RELEASE1_STRUCTURE_SIZE,
            f::RELEASE1_MEMBAR_TYPE,
            f::RELEASE1_REDUCTION_ENABLE,
            f::RELEASE1_REDUCTION_OP,
            f::RELEASE1_REDUCTION_FORMAT,
            f::RELEASE1_TRAP_TYPE,
            f::RELEASE1_PAYLOAD64B,
            f::RELEASE1_ADDRESS_LOWER,
            f::RELEASE1_ADDRESS_UPPER,
            f::RELEASE1_PAYLOAD_LOWER,
            f::RELEASE1_PAYLOAD_UPPER,
        ),
        release(
            f::RELEASE2_ENABLE,
            f::RELEASE2_STRUCTURE_SIZE,
            f::RELEASE2_MEMBAR_TYPE,
            f::RELEASE2_REDUCTION_ENABLE,
            f::RELEASE2_REDUCTION_OP,
            f::RELEASE2_REDUCTION_FORMAT,
            f::RELEASE2_TRAP_TYPE,
            f::RELEASE2_PAYLOAD64B,
            f::RELEASE2_ADDRESS_LOWER,
            f::RELEASE2_ADDRESS_UPPER,
            f::RELEASE2_PAYLOAD_LOWER,
            f::RELEASE2_PAYLOAD_UPPER,
        ),
    ],
    dependent: [
        DependentLayout {
            enable: f::DEPENDENT_QMD0_ENABLE,
            action: f::DEPENDENT_QMD0_ACTION,
            prefetch: f::DEPENDENT_QMD0_PREFETCH,
            pointer: Some(f::DEPENDENT_QMD0_POINTER),
        },
        // V03_00 defines no DEPENDENT_QMD1_POINTER.
        DependentLayout {
            enable: f::DEPENDENT_QMD1_ENABLE,
            action: f::DEPENDENT_QMD1_ACTION,
            prefetch: f::DEPENDENT_QMD1_PREFETCH,
            pointer: None,
        },
    ],
    cwd_reference_count_id: f::CWD_REFERENCE_COUNT_ID,
    cwd_reference_count_delta_minus_one: f::CWD_REFERENCE_COUNT_DELTA_MINUS_ONE,
    cwd_reference_count_incr_enable: f::CWD_REFERENCE_COUNT_INCR_ENABLE,
    cwd_reference_count_decr_enable: f::CWD_REFERENCE_COUNT_DECR_ENABLE,
};

super::qmd_struct!(
    /// A QMD V03_00 (256 bytes).
    QmdV03_00,
    WORDS,
    LAYOUT
);
