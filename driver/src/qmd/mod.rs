//! Queue meta data (QMD): the in-memory descriptor of one compute grid launch.
//!
//! One module per QMD version behind one trait, [`Qmd`]:
//! - [`v03_00`]: QMD V03_00, 256 bytes (Ampere `AMPERE_COMPUTE_A/B`, Ada `ADA_COMPUTE_A`),
//! - [`v04_00`]: QMD V04_00, 384 bytes (Hopper `HOPPER_COMPUTE_A`),
//! - [`v05_00`]: QMD V05_00, 384 bytes (Blackwell `BLACKWELL_COMPUTE_A/B`).
//!
//! Field bit ranges come from NVIDIA's QMD class headers (open-gpu-doc `classes/compute/cl*c0qmd.h`), transcribed
//! into `fields_v*.rs` by `scripts/gen/qmd/gen.py`. Every field is a compile-time [`Field`] constant (word index,
//! shift, width); nothing is looked up by name at run time. The per-version differences that matter for a launch
//! (shifted addresses, shared-memory size units, indexed vs named release fields, ...) are captured in one
//! [`Layout`] constant per version, and the semantic setters of [`Qmd`] are written once against it.
//!
//! Writes are checked: a value that does not fit its field returns [`Error::QmdValueTooWide`]. The
//! `*_unchecked` fast path only `debug_assert!`s.
//!
//! [`decode()`] turns QMD bytes back into every field with its value (and enum name) for each version.
//!
//! Encoding is unit-tested against the header bit ranges; it is **unverified on hardware**.

// Errors are built lazily (`ok_or_else`) on the launch path on purpose: `Error` has drop glue, so an eagerly
// built `ok_or(Error::..)` costs a construction and a drop on every successful call (seen with callgrind,
// bench/results/launch-encode-2026-11-21-template.md); clippy's lint assumes the value is free.
#![allow(clippy::unnecessary_lazy_evaluations)]

use crate::error::{Error, Result};
use std::fmt;

pub mod decode;
pub mod launch;
pub mod pushdecode;
pub mod template;
pub mod v03_00;
pub mod v04_00;
pub mod v05_00;

pub use decode::{decode, DecodedField, DecodedQmd};
pub use launch::{build_launch, AnyQmd, LaunchDesc, LaunchRelease, SHARED_MEMORY_GRANULARITY};
pub use pushdecode::PushQmdDecoder;
pub use template::{AnyQmdTemplate, LaunchPatch, QmdTemplate, SharedPatch};

/// Required alignment of a QMD in GPU memory: `SEND_PCAS_A` and `DEPENDENT_QMD*_POINTER` take its address `>> 8`.
pub const QMD_ALIGNMENT: u64 = 256;
pub use v03_00::QmdV03_00;
pub use v04_00::QmdV04_00;
pub use v05_00::QmdV05_00;

/// Enum values a header defines for a field: `(value, name)`.
pub type EnumValues = &'static [(u32, &'static str)];

/// One QMD bit field: bits `lo..=hi` of the QMD (bit `n` is bit `n % 32` of little-endian 32-bit word `n / 32`).
/// Every field of the three supported versions lies inside one 32-bit word (checked by the generator and by
/// [`Field::new`] at compile time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Field {
    /// Header name without the `NVxxxx_QMDVyy_zz_` prefix.
    pub name: &'static str,
    /// Instance index for a field of an [`IndexedField`] array.
    pub index: Option<u8>,
    /// Lowest bit.
    pub lo: u16,
    /// Highest bit (inclusive).
    pub hi: u16,
    /// Enum value names from the header.
    pub values: EnumValues,
}

impl Field {
    /// A field covering bits `lo..=hi`. Evaluated at compile time for the generated tables; a range that is
    /// reversed or crosses a 32-bit word is rejected there.
    #[inline]
    pub const fn new(name: &'static str, lo: u16, hi: u16, values: EnumValues) -> Self {
        assert!(
            lo <= hi && lo / 32 == hi / 32,
            "QMD field must lie inside one 32-bit word"
        );
        Field {
            name,
            index: None,
            lo,
            hi,
            values,
        }
    }

    /// Width in bits (1..=32).
    #[inline]
    pub const fn width(self) -> u32 {
        (self.hi - self.lo) as u32 + 1
    }

    /// Largest value the field holds.
    #[inline]
    pub const fn max(self) -> u32 {
        u32::MAX >> (32 - self.width())
    }

    /// Index of the 32-bit word holding the field.
    #[inline]
    pub const fn word(self) -> usize {
        (self.lo / 32) as usize
    }

    /// Bit position of the field inside its word.
    #[inline]
    pub const fn shift(self) -> u32 {
        (self.lo % 32) as u32
    }

    /// In-word mask of the field.
    #[inline]
    pub const fn mask(self) -> u32 {
        self.max() << self.shift()
    }

    /// Header name of `value`, if the header names it.
    pub fn value_name(self, value: u32) -> Option<&'static str> {
        self.values
            .iter()
            .find(|(v, _)| *v == value)
            .map(|(_, n)| *n)
    }

    #[cold]
    fn too_wide(self, value: u64) -> Error {
        Error::QmdValueTooWide {
            field: self.name,
            index: self.index,
            value,
            bits: self.width(),
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.index {
            Some(i) => write!(f, "{}({i})", self.name),
            None => f.write_str(self.name),
        }
    }
}

/// An array of equally spaced fields (`NAME(i)` in the header): instance `i` covers bits
/// `lo + i*stride ..= lo + i*stride + width - 1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IndexedField {
    /// Header name without prefix.
    pub name: &'static str,
    /// Lowest bit of instance 0.
    pub lo: u16,
    /// Width of each instance in bits.
    pub width: u8,
    /// Distance in bits between instances.
    pub stride: u16,
    /// Number of instances (derived from the layout; the header leaves it implicit).
    pub count: u8,
    /// Enum value names from the header.
    pub values: EnumValues,
}

impl IndexedField {
    /// Table constructor (generated code); every instance is checked at compile time to lie in one word.
    pub const fn new(
        name: &'static str,
        lo: u16,
        width: u8,
        stride: u16,
        count: u8,
        values: EnumValues,
    ) -> Self {
        let f = IndexedField {
            name,
            lo,
            width,
            stride,
            count,
            values,
        };
        let mut i = 0;
        while i < count {
            let _ = f.nth(i);
            i += 1;
        }
        f
    }

    /// Instance `i`. Only for compile-time use with constant indices (an out-of-range index fails the build).
    #[inline]
    pub(crate) const fn nth(self, i: u8) -> Field {
        assert!(i < self.count, "QMD indexed field instance out of range");
        let lo = self.lo + (i as u16) * self.stride;
        let mut f = Field::new(self.name, lo, lo + self.width as u16 - 1, self.values);
        f.index = Some(i);
        f
    }

    /// Instance `i`, or [`Error::QmdIndexOutOfRange`].
    pub fn at(self, i: usize) -> Result<Field> {
        match u8::try_from(i) {
            Ok(i8) if i8 < self.count => Ok(self.nth(i8)),
            _ => Err(Error::QmdIndexOutOfRange {
                field: self.name,
                index: i,
                count: self.count,
            }),
        }
    }

    /// Every instance in order.
    pub fn iter(self) -> impl Iterator<Item = Field> {
        (0..self.count).map(move |i| self.nth(i))
    }
}

/// One entry of a version's field table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldDef {
    /// A single field.
    One(Field),
    /// An indexed array of fields.
    Array(IndexedField),
}

impl FieldDef {
    /// The field(s) this entry stands for.
    pub fn fields(self) -> impl Iterator<Item = Field> {
        let (one, arr) = match self {
            FieldDef::One(f) => (Some(f), None),
            FieldDef::Array(a) => (None, Some(a)),
        };
        one.into_iter()
            .chain(arr.into_iter().flat_map(IndexedField::iter))
    }
}

/// Supported QMD versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QmdVersion {
    /// QMD V03_00 (Ampere, Ada).
    V03_00,
    /// QMD V04_00 (Hopper).
    V04_00,
    /// QMD V05_00 (Blackwell).
    V05_00,
}

impl QmdVersion {
    /// Every supported version.
    pub const ALL: [QmdVersion; 3] = [QmdVersion::V03_00, QmdVersion::V04_00, QmdVersion::V05_00];

    /// `(major, minor)` as written to the QMD's version fields.
    pub const fn numbers(self) -> (u32, u32) {
        match self {
            QmdVersion::V03_00 => (3, 0),
            QmdVersion::V04_00 => (4, 0),
            QmdVersion::V05_00 => (5, 0),
        }
    }

    /// QMD size in bytes.
    pub const fn size_bytes(self) -> usize {
        self.layout().words * 4
    }

    /// The field table of this version, in header order.
    pub const fn fields(self) -> &'static [FieldDef] {
        match self {
            QmdVersion::V03_00 => v03_00::fields::ALL,
            QmdVersion::V04_00 => v04_00::fields::ALL,
            QmdVersion::V05_00 => v05_00::fields::ALL,
        }
    }

    /// The launch-relevant layout of this version.
    pub const fn layout(self) -> &'static Layout {
        match self {
            QmdVersion::V03_00 => &v03_00::LAYOUT,
            QmdVersion::V04_00 => &v04_00::LAYOUT,
            QmdVersion::V05_00 => &v05_00::LAYOUT,
        }
    }
}

impl fmt::Display for QmdVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (major, minor) = self.numbers();
        write!(f, "QMDV{major:02}_{minor:02}")
    }
}

/// A field that holds `value >> shift` (the header's `_SHIFTED4`, `_SHIFTED6`, `_SHIFTED7`, `_SHIFTED8` suffixes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShiftedField {
    /// Storage field.
    pub field: Field,
    /// Right shift applied to the byte value before storing.
    pub shift: u32,
}

/// The little-endian 32-bit words of `bytes` (a trailing partial word is left out).
pub(crate) fn le_words(bytes: &[u8]) -> impl Iterator<Item = u32> + '_ {
    bytes
        .chunks_exact(4)
        .filter_map(|c| <[u8; 4]>::try_from(c).ok())
        .map(u32::from_le_bytes)
}

/// A 64-bit value split over a low 32-bit field and a high field, stored right-shifted by `shift`
/// (e.g. `PROGRAM_ADDRESS_LOWER/UPPER`, `CONSTANT_BUFFER_ADDR_LOWER_SHIFTED6/UPPER_SHIFTED6`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SplitAddress {
    /// Bits 0..32 of `value >> shift`.
    pub lo: Field,
    /// Bits 32.. of `value >> shift`.
    pub hi: Field,
    /// Right shift (alignment = `1 << shift`).
    pub shift: u32,
}

impl SplitAddress {
    /// Number of significant address bits this pair can hold.
    pub const fn address_bits(self) -> u32 {
        self.lo.width() + self.hi.width() + self.shift
    }

    /// The `(lo, hi)` field values that store `addr`, after checking its alignment ([`Error::QmdMisaligned`])
    /// and width ([`Error::QmdValueTooWide`], reported for field `what`). Shared by [`Qmd`] and the templates.
    #[inline(always)]
    pub(crate) fn split(self, what: &'static str, addr: u64) -> Result<(u32, u32)> {
        let align = 1u64 << self.shift;
        if addr % align != 0 {
            return Err(Error::QmdMisaligned {
                what,
                value: addr,
                align,
            });
        }
        let bits = self.address_bits();
        if bits < 64 && addr >> bits != 0 {
            return Err(Error::QmdValueTooWide {
                field: what,
                index: self.lo.index,
                value: addr,
                bits,
            });
        }
        let shifted = addr >> self.shift;
        // Both halves fit their fields: checked above.
        Ok(((shifted & 0xffff_ffff) as u32, (shifted >> 32) as u32))
    }
}

/// The fields of one release semaphore.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReleaseLayout {
    /// `RELEASEn_ENABLE`: write the semaphore when the grid completes.
    pub enable: Field,
    /// `RELEASEn_STRUCTURE_SIZE`: one word or a four-word (payload + timestamp) report.
    pub structure_size: Field,
    /// `RELEASEn_MEMBAR_TYPE`: memory barrier before the write.
    pub membar_type: Field,
    /// `RELEASEn_REDUCTION_ENABLE`: reduce into the semaphore instead of writing it.
    pub reduction_enable: Field,
    /// `RELEASEn_REDUCTION_OP`.
    pub reduction_op: Field,
    /// `RELEASEn_REDUCTION_FORMAT` (signed / unsigned).
    pub reduction_format: Field,
    /// `RELEASEn_NON_BLOCKING_INTR_TYPE` (V03 in clc6c0qmd.h) / `RELEASE_TRAP_TYPE`.
    pub trap_type: Field,
    /// `RELEASEn_PAYLOAD64B`: the payload is 64-bit.
    pub payload64: Field,
    /// `RELEASEn_ADDRESS_LOWER/UPPER`: the semaphore's GPU VA.
    pub address: SplitAddress,
    /// `RELEASEn_PAYLOAD_LOWER`.
    pub payload_lo: Field,
    /// `RELEASEn_PAYLOAD_UPPER` (used with `payload64`).
    pub payload_hi: Field,
}

/// The fields of one dependent-QMD slot. QMD V03_00 has no pointer for slot 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DependentLayout {
    /// `DEPENDENT_QMDn_ENABLE`: schedule the dependent QMD when this one completes.
    pub enable: Field,
    /// `DEPENDENT_QMDn_ACTION`.
    pub action: Field,
    /// `DEPENDENT_QMDn_PREFETCH`.
    pub prefetch: Field,
    /// `DEPENDENT_QMDn_POINTER`: the dependent QMD's address `>> 8`.
    pub pointer: Option<Field>,
}

/// Which fields of a version a launch uses. One `const` per version module; the [`Qmd`] trait's provided
/// methods read it, so each version's setters compile to fixed word/shift/mask operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// The version this layout describes.
    pub version: QmdVersion,
    /// QMD size in 32-bit words.
    pub words: usize,
    /// `QMD_MAJOR_VERSION`.
    pub major_version: Field,
    /// `QMD_MINOR_VERSION`.
    pub minor_version: Field,
    /// `QMD_TYPE` (V04_00, V05_00); V03_00 has `IS_QUEUE` instead, left 0 (= grid).
    pub qmd_type: Option<Field>,
    /// `QMD_GROUP_ID`.
    pub qmd_group_id: Field,
    /// `SM_GLOBAL_CACHING_ENABLE` (V03_00 only).
    pub sm_global_caching_enable: Option<Field>,
    /// `CTA_RASTER_WIDTH/HEIGHT/DEPTH` (V03_00) or `GRID_WIDTH/HEIGHT/DEPTH` (V04_00, V05_00).
    pub grid: [Field; 3],
    /// `CTA_THREAD_DIMENSION0/1/2`.
    pub block: [Field; 3],
    /// `PROGRAM_ADDRESS_LOWER/UPPER` (V05_00: `_SHIFTED4`): the entry point GPU VA.
    pub program_address: SplitAddress,
    /// `PROGRAM_PREFETCH_ADDR_LOWER_SHIFTED/UPPER_SHIFTED` (address `>> 8`).
    pub program_prefetch_address: SplitAddress,
    /// `PROGRAM_PREFETCH_SIZE` (in 256-byte units).
    pub program_prefetch_size: Field,
    /// `PROGRAM_PREFETCH_TYPE`.
    pub program_prefetch_type: Field,
    /// `REGISTER_COUNT_V` (V03_00) / `REGISTER_COUNT`.
    pub register_count: Field,
    /// `BARRIER_COUNT`: named barriers the kernel uses.
    pub barrier_count: Field,
    /// `SHARED_MEMORY_SIZE` (bytes) or `SHARED_MEMORY_SIZE_SHIFTED7` (V05_00).
    pub shared_memory_size: ShiftedField,
    /// `MIN_SM_CONFIG_SHARED_MEM_SIZE` (encoded shared-memory carve-out).
    pub min_sm_config_shared_mem_size: Field,
    /// `MAX_SM_CONFIG_SHARED_MEM_SIZE`.
    pub max_sm_config_shared_mem_size: Field,
    /// `TARGET_SM_CONFIG_SHARED_MEM_SIZE`.
    pub target_sm_config_shared_mem_size: Field,
    /// `SHADER_LOCAL_MEMORY_LOW_SIZE` (`_SHIFTED4` on V05_00).
    pub shader_local_memory_low: ShiftedField,
    /// `SHADER_LOCAL_MEMORY_HIGH_SIZE` (`_SHIFTED4` on V05_00).
    pub shader_local_memory_high: ShiftedField,
    /// `SASS_VERSION` (the SM version the code was built for, e.g. 0x86).
    pub sass_version: Field,
    /// `API_VISIBLE_CALL_LIMIT`.
    pub api_visible_call_limit: Field,
    /// `SAMPLER_INDEX`.
    pub sampler_index: Field,
    /// `CWD_MEMBAR_TYPE`: memory barrier at the end of the grid.
    pub cwd_membar_type: Field,
    /// `INVALIDATE_TEXTURE_HEADER_CACHE`, `_TEXTURE_SAMPLER_CACHE`, `_TEXTURE_DATA_CACHE`, `_SHADER_DATA_CACHE`,
    /// `_INSTRUCTION_CACHE`, `_SHADER_CONSTANT_CACHE`, in [`CacheInvalidate`] order.
    pub invalidate: [Field; 6],
    /// `CONSTANT_BUFFER_VALID(i)`.
    pub cb_valid: IndexedField,
    /// `CONSTANT_BUFFER_INVALIDATE(i)`.
    pub cb_invalidate: IndexedField,
    /// `CONSTANT_BUFFER_ADDR_LOWER/UPPER` (V03_00) or `..._SHIFTED6`: instance `i` pairs with `cb_addr_hi`.
    pub cb_addr_lo: IndexedField,
    /// The high half matching `cb_addr_lo`.
    pub cb_addr_hi: IndexedField,
    /// Address shift of the constant buffer address fields (0 or 6).
    pub cb_addr_shift: u32,
    /// `CONSTANT_BUFFER_SIZE_SHIFTED4`.
    pub cb_size: IndexedField,
    /// Release semaphores 0..=2 (`RELEASEn_*` / `RELEASE_SEMAPHOREn_*`).
    pub release: [ReleaseLayout; 3],
    /// Dependent-QMD slots 0 and 1.
    pub dependent: [DependentLayout; 2],
    /// `CWD_REFERENCE_COUNT_ID`.
    pub cwd_reference_count_id: Field,
    /// `CWD_REFERENCE_COUNT_DELTA_MINUS_ONE`.
    pub cwd_reference_count_delta_minus_one: Field,
    /// `CWD_REFERENCE_COUNT_INCR_ENABLE`.
    pub cwd_reference_count_incr_enable: Field,
    /// `CWD_REFERENCE_COUNT_DECR_ENABLE`.
    pub cwd_reference_count_decr_enable: Field,
}

/// Cache invalidations performed at launch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheInvalidate {
    /// `INVALIDATE_TEXTURE_HEADER_CACHE`.
    pub texture_header: bool,
    /// `INVALIDATE_TEXTURE_SAMPLER_CACHE`.
    pub texture_sampler: bool,
    /// `INVALIDATE_TEXTURE_DATA_CACHE`.
    pub texture_data: bool,
    /// `INVALIDATE_SHADER_DATA_CACHE`.
    pub shader_data: bool,
    /// `INVALIDATE_INSTRUCTION_CACHE`.
    pub instruction: bool,
    /// `INVALIDATE_SHADER_CONSTANT_CACHE`.
    pub shader_constant: bool,
}

impl CacheInvalidate {
    fn as_array(self) -> [bool; 6] {
        [
            self.texture_header,
            self.texture_sampler,
            self.texture_data,
            self.shader_data,
            self.instruction,
            self.shader_constant,
        ]
    }

    fn from_array(a: [bool; 6]) -> Self {
        let [texture_header, texture_sampler, texture_data, shader_data, instruction, shader_constant] =
            a;
        CacheInvalidate {
            texture_header,
            texture_sampler,
            texture_data,
            shader_data,
            instruction,
            shader_constant,
        }
    }
}

macro_rules! raw_enum {
    ($(#[$m:meta])* $name:ident : $what:literal { $($(#[$vm:meta])* $variant:ident = $val:literal,)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vm])* #[doc = ""] #[doc = concat!("Field value ", stringify!($val), ".")] $variant = $val,)*
        }

        impl $name {
            /// Raw field value.
            pub const fn raw(self) -> u32 { self as u32 }

            /// From a raw field value.
            pub fn from_raw(v: u32) -> Result<Self> {
                match v {
                    $($val => Ok($name::$variant),)*
                    other => Err(Error::QmdBadEnum { what: $what, value: other }),
                }
            }
        }
    };
}

raw_enum! {
    /// `RELEASE*_STRUCTURE_SIZE`: what the semaphore release writes.
    SemaphoreStructure: "release structure size" {
        /// Payload and a 64-bit timestamp (16 bytes; `SEMAPHORE_FOUR_WORDS`).
        FourWordsWithTimestamp = 0,
        /// 32-bit payload (`SEMAPHORE_ONE_WORD`).
        OneWord = 1,
        /// 64-bit payload (`SEMAPHORE_TWO_WORDS`).
        TwoWords = 2,
    }
}

impl SemaphoreStructure {
    /// Required address alignment in bytes.
    pub const fn alignment(self) -> u64 {
        match self {
            SemaphoreStructure::FourWordsWithTimestamp => 16,
            SemaphoreStructure::OneWord => 4,
            SemaphoreStructure::TwoWords => 8,
        }
    }
}

raw_enum! {
    /// `RELEASE*_REDUCTION_OP`.
    ReductionOp: "reduction op" {
        Add = 0, Min = 1, Max = 2, Inc = 3, Dec = 4, And = 5, Or = 6, Xor = 7,
    }
}

raw_enum! {
    /// `RELEASE*_REDUCTION_FORMAT`.
    ReductionFormat: "reduction format" { Unsigned32 = 0, Signed32 = 1, }
}

raw_enum! {
    /// `RELEASE*_MEMBAR_TYPE`.
    ReleaseMembar: "release membar type" { None = 0, SysMembar = 1, }
}

raw_enum! {
    /// `RELEASE*_TRAP_TYPE` (`NON_BLOCKING_INTR_TYPE` in clc6c0qmd.h).
    TrapType: "release trap type" { None = 0, Unconditional = 1, Conditional = 2, ConditionalExt = 3, }
}

raw_enum! {
    /// `DEPENDENT_QMD*_ACTION`.
    DependentAction: "dependent QMD action" {
        IncrementPut = 0, Schedule = 1, InvalidateCopySchedule = 3, DecrementDependence = 4,
    }
}

raw_enum! {
    /// `CWD_MEMBAR_TYPE`: memory barrier at CTA completion.
    CwdMembarType: "CWD membar type" { L1None = 0, L1SysMembar = 1, L1Membar = 3, }
}

raw_enum! {
    /// `API_VISIBLE_CALL_LIMIT`.
    ApiVisibleCallLimit: "API visible call limit" { Limit32 = 0, NoCheck = 1, }
}

raw_enum! {
    /// `SAMPLER_INDEX`.
    SamplerIndex: "sampler index" { Independently = 0, ViaHeaderIndex = 1, }
}

raw_enum! {
    /// `PROGRAM_PREFETCH_TYPE`.
    PrefetchType: "program prefetch type" { PrefetchLaunch = 0, PrefetchPost = 1, }
}

raw_enum! {
    /// `QMD_TYPE` (V04_00, V05_00).
    QmdType: "QMD type" {
        Queue = 0, GridNull = 1, GridCta = 2, GridGpcCga = 3, GridGpuCga = 4, GridGpuGpcCga = 5,
    }
}

/// A release semaphore written when the grid completes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReleaseSemaphore {
    /// GPU VA of the semaphore (aligned to [`SemaphoreStructure::alignment`]).
    pub address: u64,
    /// Value written (or combined with a reduction).
    pub payload: u64,
    /// Write the full 64-bit payload (`PAYLOAD64B`).
    pub payload64: bool,
    /// One-word, two-word or four-word (with timestamp) report.
    pub structure: SemaphoreStructure,
    /// `Some((op, format))` performs a reduction instead of a plain write.
    pub reduction: Option<(ReductionOp, ReductionFormat)>,
    /// Memory barrier before the write.
    pub membar: ReleaseMembar,
    /// Interrupt / trap behaviour of the release.
    pub trap: TrapType,
}

impl ReleaseSemaphore {
    /// A plain 64-bit payload write (`SEMAPHORE_TWO_WORDS`, `PAYLOAD64B`) with a system-scope membar before it
    /// (what a fence needs). Unverified on hardware; tinygrad's working Ampere/Ada launches instead only set
    /// `RELEASEn_ENABLE`, address and payload, i.e. the four-word structure (payload + timestamp, 16 bytes) with
    /// no membar: see [`ReleaseSemaphore::with_timestamp`].
    pub const fn write64(address: u64, payload: u64) -> Self {
        ReleaseSemaphore {
            address,
            payload,
            payload64: true,
            structure: SemaphoreStructure::TwoWords,
            reduction: None,
            membar: ReleaseMembar::SysMembar,
            trap: TrapType::None,
        }
    }
}

impl ReleaseSemaphore {
    /// The four-word release (payload, then a 64-bit timestamp at +8; 16-byte aligned), 64-bit payload, with a
    /// system-scope membar.
    pub const fn with_timestamp(address: u64, payload: u64) -> Self {
        ReleaseSemaphore {
            structure: SemaphoreStructure::FourWordsWithTimestamp,
            ..ReleaseSemaphore::write64(address, payload)
        }
    }
}

/// A constant buffer binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConstantBuffer {
    /// GPU VA (64-byte aligned on V04_00/V05_00).
    pub address: u64,
    /// Size in bytes, a multiple of 16, at most 64 KiB.
    pub size: u32,
}

/// Largest constant bank size in bytes.
pub const MAX_CONSTANT_BUFFER_SIZE: u32 = 64 * 1024;

/// A dependent QMD launched (or otherwise acted upon) when this one completes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DependentQmd {
    /// GPU VA of the dependent QMD (256-byte aligned).
    pub qmd_address: u64,
    /// What to do with the dependent QMD.
    pub action: DependentAction,
    /// Prefetch the dependent QMD (`DEPENDENT_QMDn_PREFETCH`).
    pub prefetch: bool,
}

/// The three SM shared-memory configuration fields (`MIN/MAX/TARGET_SM_CONFIG_SHARED_MEM_SIZE`), in bytes of
/// shared-memory carve-out per SM. Encoded as `bytes / 4096 + 1` (the encoding Mesa's NAK `qmd.rs` and
/// tinygrad `ops_nv.py` use: 100 KiB -> 0x1a).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmSharedConfig {
    /// Smallest carve-out the launch accepts.
    pub min_bytes: u32,
    /// Largest carve-out the launch accepts.
    pub max_bytes: u32,
    /// Carve-out the launch asks for.
    pub target_bytes: u32,
}

impl SmSharedConfig {
    /// Encode one carve-out size (a multiple of 4 KiB).
    #[inline]
    pub fn encode(bytes: u32) -> Result<u32> {
        if bytes % 4096 != 0 {
            return Err(Error::QmdMisaligned {
                what: "SM shared-memory config",
                value: bytes.into(),
                align: 4096,
            });
        }
        Ok(bytes / 4096 + 1)
    }

    /// Decode an encoded carve-out size.
    pub fn decode(encoded: u32) -> Result<u32> {
        encoded
            .checked_sub(1)
            .and_then(|v| v.checked_mul(4096))
            .ok_or_else(|| Error::QmdBadEnum {
                what: "SM shared-memory config",
                value: encoded,
            })
    }
}

fn bool_field(v: u32) -> bool {
    v != 0
}

/// A QMD of one version. The semantic setters are provided once, against the version's [`Layout`].
///
/// All getters read what the setters wrote; a getter of an enum field returns an error on a value the header
/// does not define.
pub trait Qmd: Sized + Clone + fmt::Debug {
    /// The version's launch layout.
    const LAYOUT: &'static Layout;

    /// A zeroed QMD with only the version fields (`QMD_MAJOR_VERSION`, `QMD_VERSION`/`QMD_MINOR_VERSION`) set.
    fn new() -> Self;

    /// The QMD as little-endian 32-bit words.
    fn words(&self) -> &[u32];

    /// Mutable words.
    fn words_mut(&mut self) -> &mut [u32];

    /// Version of this QMD type.
    fn version(&self) -> QmdVersion {
        Self::LAYOUT.version
    }

    /// From raw words (any content; nothing is validated).
    fn from_words(words: &[u32]) -> Result<Self> {
        let mut q = Self::new();
        let dst = q.words_mut();
        if words.len() != dst.len() {
            return Err(Error::QmdBadLength {
                version: Self::LAYOUT.version,
                expected: dst.len() * 4,
                got: words.len().saturating_mul(4),
            });
        }
        dst.copy_from_slice(words);
        Ok(q)
    }

    /// From little-endian bytes (any content; nothing is validated).
    fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let mut q = Self::new();
        let dst = q.words_mut();
        if bytes.len() != dst.len() * 4 {
            return Err(Error::QmdBadLength {
                version: Self::LAYOUT.version,
                expected: dst.len() * 4,
                got: bytes.len(),
            });
        }
        for (w, v) in dst.iter_mut().zip(le_words(bytes)) {
            *w = v;
        }
        Ok(q)
    }

    /// Write the QMD as little-endian bytes into `out`, which must be exactly the QMD size.
    fn write_bytes(&self, out: &mut [u8]) -> Result<()> {
        let words = self.words();
        if out.len() != words.len() * 4 {
            return Err(Error::QmdBadLength {
                version: Self::LAYOUT.version,
                expected: words.len() * 4,
                got: out.len(),
            });
        }
        for (c, w) in out.chunks_exact_mut(4).zip(words) {
            c.copy_from_slice(&w.to_le_bytes());
        }
        Ok(())
    }

    /// The QMD as little-endian bytes.
    fn to_bytes(&self) -> Vec<u8> {
        self.words().iter().flat_map(|w| w.to_le_bytes()).collect()
    }

    /// Read a field. A field outside this QMD (from another version's table) is an error.
    #[inline]
    fn get(&self, f: Field) -> Result<u32> {
        let size_bits = self.words().len() * 32;
        self.words()
            .get(f.word())
            .map(|w| (w >> f.shift()) & f.max())
            .ok_or_else(|| Error::QmdFieldOutside {
                field: f.name,
                bit: f.hi,
                size_bits,
            })
    }

    /// Write a field, checking that `value` fits.
    #[inline]
    fn set(&mut self, f: Field, value: u32) -> Result<()> {
        if value > f.max() {
            return Err(f.too_wide(value.into()));
        }
        let size_bits = self.words().len() * 32;
        let w = self
            .words_mut()
            .get_mut(f.word())
            .ok_or_else(|| Error::QmdFieldOutside {
                field: f.name,
                bit: f.hi,
                size_bits,
            })?;
        *w = (*w & !f.mask()) | (value << f.shift());
        Ok(())
    }

    /// Write a field without the range check (fast path): the value is masked to the field; debug builds assert
    /// that it fits and that the field belongs to this QMD.
    #[inline(always)]
    fn set_unchecked(&mut self, f: Field, value: u32) {
        debug_assert!(
            value <= f.max(),
            "{f} = {value:#x} does not fit {} bits",
            f.width()
        );
        let words = self.words_mut();
        debug_assert!(f.word() < words.len(), "{f} is outside this QMD");
        if let Some(w) = words.get_mut(f.word()) {
            *w = (*w & !f.mask()) | ((value << f.shift()) & f.mask());
        }
    }

    /// Write a `u64` field value, checking it fits.
    fn set_u64(&mut self, f: Field, value: u64) -> Result<()> {
        let v = u32::try_from(value).map_err(|_| f.too_wide(value))?;
        self.set(f, v)
    }

    /// Write a value stored right-shifted (`_SHIFTEDn` fields): must be a multiple of `1 << shift`.
    #[inline]
    fn set_shifted(&mut self, f: ShiftedField, bytes: u64) -> Result<()> {
        let align = 1u64 << f.shift;
        if bytes % align != 0 {
            return Err(Error::QmdMisaligned {
                what: f.field.name,
                value: bytes,
                align,
            });
        }
        let stored = u32::try_from(bytes >> f.shift)
            .ok()
            .filter(|&v| v <= f.field.max())
            .ok_or_else(|| Error::QmdValueTooWide {
                field: f.field.name,
                index: f.field.index,
                value: bytes,
                bits: f.field.width() + f.shift,
            })?;
        self.set(f.field, stored)
    }

    /// Read a `_SHIFTEDn` field back as bytes.
    fn get_shifted(&self, f: ShiftedField) -> Result<u64> {
        Ok(u64::from(self.get(f.field)?) << f.shift)
    }

    /// Write a split (lo/hi, optionally shifted) address.
    #[inline]
    fn set_address(&mut self, a: SplitAddress, what: &'static str, addr: u64) -> Result<()> {
        let (lo, hi) = a.split(what, addr)?;
        // Both halves fit: `split` checked the width.
        self.set_unchecked(a.lo, lo);
        self.set_unchecked(a.hi, hi);
        Ok(())
    }

    /// Read a split address.
    fn get_address(&self, a: SplitAddress) -> Result<u64> {
        let lo = u64::from(self.get(a.lo)?);
        let hi = u64::from(self.get(a.hi)?);
        Ok(((hi << 32) | lo) << a.shift)
    }

    // ---- launch shape -------------------------------------------------------------------------------------

    /// Grid size in CTAs (`CTA_RASTER_*` / `GRID_*`).
    #[inline]
    fn set_grid(&mut self, grid: [u32; 3]) -> Result<()> {
        for (f, v) in Self::LAYOUT.grid.into_iter().zip(grid) {
            self.set(f, v)?;
        }
        Ok(())
    }

    /// Grid size in CTAs.
    fn grid(&self) -> Result<[u32; 3]> {
        let [x, y, z] = Self::LAYOUT.grid;
        Ok([self.get(x)?, self.get(y)?, self.get(z)?])
    }

    /// CTA size in threads (`CTA_THREAD_DIMENSION0/1/2`).
    #[inline]
    fn set_block(&mut self, block: [u32; 3]) -> Result<()> {
        for (f, v) in Self::LAYOUT.block.into_iter().zip(block) {
            self.set(f, v)?;
        }
        Ok(())
    }

    /// CTA size in threads.
    fn block(&self) -> Result<[u32; 3]> {
        let [x, y, z] = Self::LAYOUT.block;
        Ok([self.get(x)?, self.get(y)?, self.get(z)?])
    }

    // ---- program ------------------------------------------------------------------------------------------

    /// Entry point GPU VA (`PROGRAM_ADDRESS_*`; V05_00 stores it `>> 4`, so it must be 16-byte aligned).
    #[inline]
    fn set_program_address(&mut self, va: u64) -> Result<()> {
        self.set_address(Self::LAYOUT.program_address, "PROGRAM_ADDRESS", va)
    }

    /// Entry point GPU VA.
    fn program_address(&self) -> Result<u64> {
        self.get_address(Self::LAYOUT.program_address)
    }

    /// Instruction prefetch: `va` 256-byte aligned, `size` in bytes (rounded up to 256-byte units).
    #[inline]
    fn set_program_prefetch(&mut self, va: u64, size: u32, kind: PrefetchType) -> Result<()> {
        let l = Self::LAYOUT;
        self.set_address(l.program_prefetch_address, "PROGRAM_PREFETCH_ADDR", va)?;
        self.set(l.program_prefetch_size, size.div_ceil(256))?;
        self.set(l.program_prefetch_type, kind.raw())
    }

    /// Instruction prefetch `(va, size in bytes, type)`.
    fn program_prefetch(&self) -> Result<(u64, u32, PrefetchType)> {
        let l = Self::LAYOUT;
        let va = self.get_address(l.program_prefetch_address)?;
        let size = self.get(l.program_prefetch_size)? * 256;
        Ok((
            va,
            size,
            PrefetchType::from_raw(self.get(l.program_prefetch_type)?)?,
        ))
    }

    /// Registers per thread (`REGISTER_COUNT_V` / `REGISTER_COUNT`).
    #[inline]
    fn set_register_count(&mut self, regs: u32) -> Result<()> {
        self.set(Self::LAYOUT.register_count, regs)
    }

    /// Registers per thread.
    fn register_count(&self) -> Result<u32> {
        self.get(Self::LAYOUT.register_count)
    }

    /// Named barriers the program uses (`BARRIER_COUNT`).
    #[inline]
    fn set_barrier_count(&mut self, n: u32) -> Result<()> {
        self.set(Self::LAYOUT.barrier_count, n)
    }

    /// Named barriers.
    fn barrier_count(&self) -> Result<u32> {
        self.get(Self::LAYOUT.barrier_count)
    }

    /// `SASS_VERSION` (SM major << 4 | minor, e.g. 0x86).
    #[inline]
    fn set_sass_version(&mut self, v: u8) -> Result<()> {
        self.set(Self::LAYOUT.sass_version, v.into())
    }

    // ---- memory -------------------------------------------------------------------------------------------

    /// Shared memory per CTA in bytes (V05_00 stores it `>> 7`: must be a multiple of 128 there).
    #[inline]
    fn set_shared_memory_size(&mut self, bytes: u32) -> Result<()> {
        self.set_shifted(Self::LAYOUT.shared_memory_size, bytes.into())
    }

    /// Shared memory per CTA in bytes.
    fn shared_memory_size(&self) -> Result<u32> {
        let l = Self::LAYOUT.shared_memory_size;
        Ok(self.get(l.field)? << l.shift)
    }

    /// SM shared-memory carve-out configuration.
    #[inline]
    fn set_sm_shared_config(&mut self, c: SmSharedConfig) -> Result<()> {
        let l = Self::LAYOUT;
        self.set(
            l.min_sm_config_shared_mem_size,
            SmSharedConfig::encode(c.min_bytes)?,
        )?;
        self.set(
            l.max_sm_config_shared_mem_size,
            SmSharedConfig::encode(c.max_bytes)?,
        )?;
        self.set(
            l.target_sm_config_shared_mem_size,
            SmSharedConfig::encode(c.target_bytes)?,
        )
    }

    /// SM shared-memory carve-out configuration.
    fn sm_shared_config(&self) -> Result<SmSharedConfig> {
        let l = Self::LAYOUT;
        Ok(SmSharedConfig {
            min_bytes: SmSharedConfig::decode(self.get(l.min_sm_config_shared_mem_size)?)?,
            max_bytes: SmSharedConfig::decode(self.get(l.max_sm_config_shared_mem_size)?)?,
            target_bytes: SmSharedConfig::decode(self.get(l.target_sm_config_shared_mem_size)?)?,
        })
    }

    /// Local memory per thread in bytes: `low` (`SHADER_LOCAL_MEMORY_LOW_SIZE`) and `high`
    /// (`SHADER_LOCAL_MEMORY_HIGH_SIZE`); V05_00 stores both `>> 4`.
    #[inline]
    fn set_shader_local_memory(&mut self, low: u32, high: u32) -> Result<()> {
        let l = Self::LAYOUT;
        self.set_shifted(l.shader_local_memory_low, low.into())?;
        self.set_shifted(l.shader_local_memory_high, high.into())
    }

    /// Local memory per thread `(low, high)` in bytes.
    fn shader_local_memory(&self) -> Result<(u32, u32)> {
        let l = Self::LAYOUT;
        let low = self.get(l.shader_local_memory_low.field)? << l.shader_local_memory_low.shift;
        let high = self.get(l.shader_local_memory_high.field)? << l.shader_local_memory_high.shift;
        Ok((low, high))
    }

    // ---- constant buffers ---------------------------------------------------------------------------------

    /// Bind constant bank `bank` (0..8) and mark it valid.
    #[inline]
    fn set_constant_buffer(&mut self, bank: usize, cb: ConstantBuffer) -> Result<()> {
        let l = Self::LAYOUT;
        if cb.size % 16 != 0 {
            return Err(Error::QmdMisaligned {
                what: "CONSTANT_BUFFER_SIZE",
                value: cb.size.into(),
                align: 16,
            });
        }
        if cb.size > MAX_CONSTANT_BUFFER_SIZE {
            return Err(Error::QmdValueTooWide {
                field: "CONSTANT_BUFFER_SIZE",
                index: None,
                value: cb.size.into(),
                bits: 16,
            });
        }
        let addr = SplitAddress {
            lo: l.cb_addr_lo.at(bank)?,
            hi: l.cb_addr_hi.at(bank)?,
            shift: l.cb_addr_shift,
        };
        self.set_address(addr, "CONSTANT_BUFFER_ADDR", cb.address)?;
        self.set(l.cb_size.at(bank)?, cb.size / 16)?;
        self.set(l.cb_valid.at(bank)?, 1)
    }

    /// Unbind constant bank `bank` (clears valid, address and size).
    fn clear_constant_buffer(&mut self, bank: usize) -> Result<()> {
        let l = Self::LAYOUT;
        self.set(l.cb_valid.at(bank)?, 0)?;
        self.set(l.cb_addr_lo.at(bank)?, 0)?;
        self.set(l.cb_addr_hi.at(bank)?, 0)?;
        self.set(l.cb_size.at(bank)?, 0)
    }

    /// The binding of constant bank `bank`, if valid.
    fn constant_buffer(&self, bank: usize) -> Result<Option<ConstantBuffer>> {
        let l = Self::LAYOUT;
        if self.get(l.cb_valid.at(bank)?)? == 0 {
            return Ok(None);
        }
        let addr = SplitAddress {
            lo: l.cb_addr_lo.at(bank)?,
            hi: l.cb_addr_hi.at(bank)?,
            shift: l.cb_addr_shift,
        };
        Ok(Some(ConstantBuffer {
            address: self.get_address(addr)?,
            size: self.get(l.cb_size.at(bank)?)? * 16,
        }))
    }

    /// Invalidate the constant cache for bank `bank` at launch (`CONSTANT_BUFFER_INVALIDATE(i)`).
    #[inline]
    fn set_constant_buffer_invalidate(&mut self, bank: usize, on: bool) -> Result<()> {
        self.set(Self::LAYOUT.cb_invalidate.at(bank)?, on.into())
    }

    /// `CONSTANT_BUFFER_INVALIDATE(i)`.
    fn constant_buffer_invalidate(&self, bank: usize) -> Result<bool> {
        Ok(bool_field(self.get(Self::LAYOUT.cb_invalidate.at(bank)?)?))
    }

    // ---- completion -----------------------------------------------------------------------------------------

    /// Configure release semaphore `idx` (0..3); `None` disables it and clears its fields.
    #[inline]
    fn set_release(&mut self, idx: usize, rel: Option<&ReleaseSemaphore>) -> Result<()> {
        let r = *Self::LAYOUT
            .release
            .get(idx)
            .ok_or_else(|| Error::QmdIndexOutOfRange {
                field: "RELEASE",
                index: idx,
                count: 3,
            })?;
        let Some(rel) = rel else {
            for f in [
                r.enable,
                r.structure_size,
                r.membar_type,
                r.reduction_enable,
                r.reduction_op,
            ]
            .into_iter()
            .chain([
                r.reduction_format,
                r.trap_type,
                r.payload64,
                r.address.lo,
                r.address.hi,
            ])
            .chain([r.payload_lo, r.payload_hi])
            {
                self.set(f, 0)?;
            }
            return Ok(());
        };
        let align = rel.structure.alignment();
        if rel.address % align != 0 {
            return Err(Error::QmdMisaligned {
                what: "RELEASE address",
                value: rel.address,
                align,
            });
        }
        self.set_address(r.address, "RELEASE_ADDRESS", rel.address)?;
        self.set(r.payload_lo, (rel.payload & 0xffff_ffff) as u32)?;
        self.set(r.payload_hi, (rel.payload >> 32) as u32)?;
        self.set(r.payload64, rel.payload64.into())?;
        self.set(r.structure_size, rel.structure.raw())?;
        self.set(r.membar_type, rel.membar.raw())?;
        self.set(r.trap_type, rel.trap.raw())?;
        let (red_on, op, fmt) = match rel.reduction {
            Some((op, fmt)) => (1, op.raw(), fmt.raw()),
            None => (0, 0, 0),
        };
        self.set(r.reduction_enable, red_on)?;
        self.set(r.reduction_op, op)?;
        self.set(r.reduction_format, fmt)?;
        self.set(r.enable, 1)
    }

    /// Release semaphore `idx`, if enabled.
    fn release(&self, idx: usize) -> Result<Option<ReleaseSemaphore>> {
        let r = *Self::LAYOUT
            .release
            .get(idx)
            .ok_or_else(|| Error::QmdIndexOutOfRange {
                field: "RELEASE",
                index: idx,
                count: 3,
            })?;
        if self.get(r.enable)? == 0 {
            return Ok(None);
        }
        let reduction = if self.get(r.reduction_enable)? != 0 {
            Some((
                ReductionOp::from_raw(self.get(r.reduction_op)?)?,
                ReductionFormat::from_raw(self.get(r.reduction_format)?)?,
            ))
        } else {
            None
        };
        Ok(Some(ReleaseSemaphore {
            address: self.get_address(r.address)?,
            payload: (u64::from(self.get(r.payload_hi)?) << 32)
                | u64::from(self.get(r.payload_lo)?),
            payload64: bool_field(self.get(r.payload64)?),
            structure: SemaphoreStructure::from_raw(self.get(r.structure_size)?)?,
            reduction,
            membar: ReleaseMembar::from_raw(self.get(r.membar_type)?)?,
            trap: TrapType::from_raw(self.get(r.trap_type)?)?,
        }))
    }

    /// Chain dependent QMD slot `idx` (0..2); `None` disables it. V03_00 has no pointer for slot 1: setting
    /// `Some` there is [`Error::QmdUnsupported`].
    fn set_dependent_qmd(&mut self, idx: usize, dep: Option<DependentQmd>) -> Result<()> {
        let d = *Self::LAYOUT
            .dependent
            .get(idx)
            .ok_or_else(|| Error::QmdIndexOutOfRange {
                field: "DEPENDENT_QMD",
                index: idx,
                count: 2,
            })?;
        let Some(dep) = dep else {
            for f in [d.enable, d.action, d.prefetch]
                .into_iter()
                .chain(d.pointer)
            {
                self.set(f, 0)?;
            }
            return Ok(());
        };
        let pointer = d.pointer.ok_or_else(|| Error::QmdUnsupported {
            version: Self::LAYOUT.version,
            what: "dependent QMD pointer 1",
        })?;
        if dep.qmd_address % 256 != 0 {
            return Err(Error::QmdMisaligned {
                what: "dependent QMD address",
                value: dep.qmd_address,
                align: 256,
            });
        }
        let stored = u32::try_from(dep.qmd_address >> 8)
            .ok()
            .filter(|&v| v <= pointer.max())
            .ok_or_else(|| Error::QmdValueTooWide {
                field: pointer.name,
                index: None,
                value: dep.qmd_address,
                bits: pointer.width() + 8,
            })?;
        self.set(pointer, stored)?;
        self.set(d.action, dep.action.raw())?;
        self.set(d.prefetch, dep.prefetch.into())?;
        self.set(d.enable, 1)
    }

    /// Dependent QMD slot `idx`, if enabled (V03_00 slot 1 reports address 0: it has no pointer).
    fn dependent_qmd(&self, idx: usize) -> Result<Option<DependentQmd>> {
        let d = *Self::LAYOUT
            .dependent
            .get(idx)
            .ok_or_else(|| Error::QmdIndexOutOfRange {
                field: "DEPENDENT_QMD",
                index: idx,
                count: 2,
            })?;
        if self.get(d.enable)? == 0 {
            return Ok(None);
        }
        let qmd_address = match d.pointer {
            Some(p) => u64::from(self.get(p)?) << 8,
            None => 0,
        };
        Ok(Some(DependentQmd {
            qmd_address,
            action: DependentAction::from_raw(self.get(d.action)?)?,
            prefetch: bool_field(self.get(d.prefetch)?),
        }))
    }

    // ---- misc control -----------------------------------------------------------------------------------------

    /// Cache invalidations at launch.
    #[inline]
    fn set_invalidate(&mut self, inv: CacheInvalidate) -> Result<()> {
        for (f, on) in Self::LAYOUT.invalidate.into_iter().zip(inv.as_array()) {
            self.set(f, on.into())?;
        }
        Ok(())
    }

    /// Cache invalidations at launch.
    fn invalidate(&self) -> Result<CacheInvalidate> {
        let mut a = [false; 6];
        for (slot, f) in a.iter_mut().zip(Self::LAYOUT.invalidate) {
            *slot = bool_field(self.get(f)?);
        }
        Ok(CacheInvalidate::from_array(a))
    }

    /// `API_VISIBLE_CALL_LIMIT`.
    #[inline]
    fn set_api_visible_call_limit(&mut self, v: ApiVisibleCallLimit) -> Result<()> {
        self.set(Self::LAYOUT.api_visible_call_limit, v.raw())
    }

    /// `SAMPLER_INDEX`.
    #[inline]
    fn set_sampler_index(&mut self, v: SamplerIndex) -> Result<()> {
        self.set(Self::LAYOUT.sampler_index, v.raw())
    }

    /// `CWD_MEMBAR_TYPE`.
    #[inline]
    fn set_cwd_membar_type(&mut self, v: CwdMembarType) -> Result<()> {
        self.set(Self::LAYOUT.cwd_membar_type, v.raw())
    }

    /// `CWD_MEMBAR_TYPE`.
    fn cwd_membar_type(&self) -> Result<CwdMembarType> {
        CwdMembarType::from_raw(self.get(Self::LAYOUT.cwd_membar_type)?)
    }

    /// `QMD_GROUP_ID` (6 bits).
    #[inline]
    fn set_qmd_group_id(&mut self, id: u8) -> Result<()> {
        self.set(Self::LAYOUT.qmd_group_id, id.into())
    }

    /// `QMD_TYPE` (V04_00, V05_00); [`Error::QmdUnsupported`] on V03_00.
    #[inline]
    fn set_qmd_type(&mut self, t: QmdType) -> Result<()> {
        let f = Self::LAYOUT.qmd_type.ok_or_else(|| Error::QmdUnsupported {
            version: Self::LAYOUT.version,
            what: "QMD_TYPE",
        })?;
        self.set(f, t.raw())
    }

    /// `(QMD_MAJOR_VERSION, QMD_VERSION/QMD_MINOR_VERSION)` as stored.
    fn stored_version(&self) -> Result<(u32, u32)> {
        Ok((
            self.get(Self::LAYOUT.major_version)?,
            self.get(Self::LAYOUT.minor_version)?,
        ))
    }

    /// CWD reference counter update at completion: counter `id`, `delta` (>= 1), increment or decrement.
    /// `None` disables both.
    fn set_cwd_reference_count(&mut self, update: Option<(u32, u32, bool)>) -> Result<()> {
        let l = Self::LAYOUT;
        match update {
            None => {
                self.set(l.cwd_reference_count_incr_enable, 0)?;
                self.set(l.cwd_reference_count_decr_enable, 0)?;
                self.set(l.cwd_reference_count_id, 0)?;
                self.set(l.cwd_reference_count_delta_minus_one, 0)
            }
            Some((id, delta, increment)) => {
                let dm1 = delta.checked_sub(1).ok_or_else(|| Error::QmdValueTooWide {
                    field: l.cwd_reference_count_delta_minus_one.name,
                    index: None,
                    value: 0,
                    bits: l.cwd_reference_count_delta_minus_one.width(),
                })?;
                self.set(l.cwd_reference_count_id, id)?;
                self.set(l.cwd_reference_count_delta_minus_one, dm1)?;
                self.set(l.cwd_reference_count_incr_enable, increment.into())?;
                self.set(l.cwd_reference_count_decr_enable, (!increment).into())
            }
        }
    }
}

/// Common `new()` body: zero words, then the version numbers.
pub(crate) fn init_version<Q: Qmd>(q: &mut Q) {
    let l = Q::LAYOUT;
    let (major, minor) = l.version.numbers();
    q.set_unchecked(l.major_version, major);
    q.set_unchecked(l.minor_version, minor);
}

/// Defines a version's QMD struct (`$words` little-endian 32-bit words) and its [`Qmd`] impl.
macro_rules! qmd_struct {
    ($(#[$m:meta])* $name:ident, $words:expr, $layout:path) => {
        $(#[$m])*
        #[derive(Clone, PartialEq, Eq)]
        #[repr(C)]
        pub struct $name {
            words: [u32; $words],
        }

        impl $crate::qmd::Qmd for $name {
            const LAYOUT: &'static $crate::qmd::Layout = &$layout;

            fn new() -> Self {
                let mut q = $name { words: [0; $words] };
                $crate::qmd::init_version(&mut q);
                q
            }

            #[inline(always)]
            fn words(&self) -> &[u32] {
                &self.words
            }

            #[inline(always)]
            fn words_mut(&mut self) -> &mut [u32] {
                &mut self.words
            }
        }

        impl Default for $name {
            fn default() -> Self {
                <$name as $crate::qmd::Qmd>::new()
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($name)).field("words", &&self.words[..]).finish()
            }
        }

        impl std::fmt::Display for $name {
            /// Every field with its value (see [`crate::qmd::decode()`]).
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Display::fmt(&$crate::qmd::decode::decode_words(<$name as $crate::qmd::Qmd>::LAYOUT.version, &self.words), f)
            }
        }
    };
}
pub(crate) use qmd_struct;
