//! Per-kernel QMD templates: encode once what a kernel fixes, patch only what a launch changes.
//!
//! [`build_launch`](super::build_launch) fills a whole QMD (every field through a checked setter) for each launch. Most of it is
//! the same for every launch of one kernel: version, QMD group, cache and membar flags, program address and
//! prefetch, register and barrier counts, `SASS_VERSION`, local memory, constant bank 0 size/valid/invalidate,
//! and (unless it is patched) the shared-memory size and SM carve-out. A [`QmdTemplate`] holds those words,
//! encoded once by [`build_launch`](super::build_launch) itself from a base [`LaunchDesc`], and [`QmdTemplate::patch`] copies them
//! and writes only the per-launch fields of a [`LaunchPatch`] at the layout's fixed word/bit positions (grid,
//! block, constant bank 0 address, release semaphore address/payload, and the shared-memory size + SM
//! carve-out when given). Every patched value is checked as [`build_launch`](super::build_launch) checks it, in the same order,
//! with the same errors; nothing allocates.
//!
//! The result is bit-identical to `build_launch(&base.with_patch(&patch))` (a property test compares the two
//! over random descriptions and patches for all three versions, errors included). Templates made through
//! [`crate::hal::Hal::build_launch_template`] also re-check the chip's per-launch limits on every patch, as
//! [`crate::hal::Hal::build_launch_qmd`] does. Unverified on hardware (as every QMD encoding here).

use super::launch::{check_shared, LaunchDesc, LaunchRelease};
use super::{
    AnyQmd, Field, Layout, Qmd, QmdV03_00, QmdV04_00, QmdV05_00, QmdVersion, ReleaseSemaphore,
    ShiftedField, SmSharedConfig, SplitAddress,
};
use crate::error::{Error, Result};
use crate::hal::LaunchLimits;

/// A new shared-memory size for one launch (dynamic shared memory), with its SM carve-out choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SharedPatch {
    /// As [`LaunchDesc::shared_mem_bytes`].
    pub shared_mem_bytes: u32,
    /// As [`LaunchDesc::sm_shared`].
    pub sm_shared: SmSharedConfig,
}

/// What changes from one launch of a kernel to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LaunchPatch {
    /// Grid size in CTAs (each >= 1).
    pub grid: [u32; 3],
    /// CTA size in threads (each >= 1).
    pub block: [u32; 3],
    /// Constant bank 0 GPU VA (this launch's parameters).
    pub cbank0_va: u64,
    /// Completion semaphore written through release 0 (`None`: no release).
    pub release: Option<LaunchRelease>,
    /// `None` keeps the template's shared-memory size and carve-out.
    pub shared: Option<SharedPatch>,
}

impl LaunchDesc {
    /// This description with the per-launch fields of `p` replaced: the description a patched template
    /// encodes.
    pub fn with_patch(&self, p: &LaunchPatch) -> LaunchDesc {
        let mut d = *self;
        d.grid = p.grid;
        d.block = p.block;
        d.cbank0_va = p.cbank0_va;
        d.release = p.release;
        if let Some(s) = p.shared {
            d.shared_mem_bytes = s.shared_mem_bytes;
            d.sm_shared = s.sm_shared;
        }
        d
    }

    /// The per-launch part of this description (shared memory as given here).
    pub fn patch(&self) -> LaunchPatch {
        LaunchPatch {
            grid: self.grid,
            block: self.block,
            cbank0_va: self.cbank0_va,
            release: self.release,
            shared: Some(SharedPatch {
                shared_mem_bytes: self.shared_mem_bytes,
                sm_shared: self.sm_shared,
            }),
        }
    }
}

/// The fixed part of a kernel's launches, encoded once for QMD version `Q`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QmdTemplate<Q: Qmd> {
    /// The base launch's QMD without a release.
    no_release: Q,
    /// The same with release 0 configured as [`ReleaseSemaphore::write64`] at address 0, payload 0: only the
    /// address and payload fields differ per launch.
    with_release: Q,
    /// The base description (its per-launch fields are what `patch` overwrites).
    base: LaunchDesc,
    /// Chip limits re-checked per launch (templates made through the HAL).
    limits: Option<LaunchLimits>,
    /// Registers per warp of the kernel ([`crate::hal::registers_per_warp`]; 0 without limits).
    regs_per_warp: u64,
    /// Per-launch bounds for the fast path: a launch inside all of them passes every check (limits and
    /// field widths combined); one outside takes the checked path, which reports the exact error.
    fast: FastBounds,
    /// Constant bank 0 address fields (`CONSTANT_BUFFER_ADDR_*(0)`), looked up once.
    cb0: SplitAddress,
}

impl<Q: Qmd> QmdTemplate<Q> {
    /// Encode the fixed part of `base` (checked as [`build_launch`](super::build_launch) checks it; the base's own grid, block,
    /// constant bank 0 address and release are checked too, then overwritten by every patch).
    pub fn new(base: &LaunchDesc) -> Result<Self> {
        let no_release: Q = super::build_launch(&LaunchDesc {
            release: None,
            ..*base
        })?;
        let with_release: Q = super::build_launch(&LaunchDesc {
            release: Some(LaunchRelease {
                address: 0,
                payload: 0,
            }),
            ..*base
        })?;
        // The base's own release must be encodable too (it is what `patch(&base.patch())` rewrites).
        if base.release.is_some() {
            super::build_launch::<Q>(base)?;
        }
        let l = Q::LAYOUT;
        let cb0 = SplitAddress {
            lo: l.cb_addr_lo.at(0)?,
            hi: l.cb_addr_hi.at(0)?,
            shift: l.cb_addr_shift,
        };
        Ok(QmdTemplate {
            no_release,
            with_release,
            base: *base,
            limits: None,
            regs_per_warp: 0,
            fast: FastBounds::new(Q::LAYOUT, None, 0, cb0),
            cb0,
        })
    }

    /// As [`QmdTemplate::new`], and every patch is also checked against `limits` as
    /// [`crate::hal::Hal::check_launch`] checks a full description (the kernel-fixed parts are checked here).
    pub fn with_limits(base: &LaunchDesc, limits: LaunchLimits) -> Result<Self> {
        crate::hal::check_launch_limits(&limits, base)?;
        let mut t = Self::new(base)?;
        t.limits = Some(limits);
        t.regs_per_warp = crate::hal::registers_per_warp(&limits, base.register_count);
        t.fast = FastBounds::new(Q::LAYOUT, Some(&limits), t.regs_per_warp, t.cb0);
        Ok(t)
    }

    /// The base description the template was made from.
    pub fn base(&self) -> &LaunchDesc {
        &self.base
    }

    /// The QMD for one launch: the template's words with `p`'s fields written. Equal to
    /// `build_launch(&self.base().with_patch(p))`, errors included (for a template made with limits: equal to
    /// checking the limits first, as [`crate::hal::Hal::build_launch_qmd`] does).
    #[inline]
    pub fn patch(&self, p: &LaunchPatch) -> Result<Q> {
        let mut q = self.start(p).clone();
        self.patch_words(p, q.words_mut())?;
        Ok(q)
    }

    /// The encoded words `p` starts from.
    #[inline(always)]
    fn start(&self, p: &LaunchPatch) -> &Q {
        match p.release {
            Some(_) => &self.with_release,
            None => &self.no_release,
        }
    }

    /// Write `p`'s fields into `w`, a copy of [`QmdTemplate::start`]`(p)`.
    #[inline(always)]
    fn patch_words(&self, p: &LaunchPatch, w: &mut [u32]) -> Result<()> {
        if p.shared.is_none() && self.fast.admits(p) {
            // Every check `patch_words_checked` makes passes (see `FastBounds`): write the values.
            let l = Q::LAYOUT;
            for (f, v) in l.grid.into_iter().zip(p.grid) {
                put_masked(w, f, v);
            }
            for (f, v) in l.block.into_iter().zip(p.block) {
                put_masked(w, f, v);
            }
            let cb = p.cbank0_va >> self.cb0.shift;
            put_masked(w, self.cb0.lo, lo32(cb));
            put_masked(w, self.cb0.hi, hi32(cb));
            if let Some(r) = p.release {
                let f = &l.release[0];
                let a = r.address >> f.address.shift;
                put_masked(w, f.address.lo, lo32(a));
                put_masked(w, f.address.hi, hi32(a));
                put_masked(w, f.payload_lo, lo32(r.payload));
                put_masked(w, f.payload_hi, hi32(r.payload));
            }
            return Ok(());
        }
        self.patch_words_checked(p, w)
    }

    /// [`QmdTemplate::patch_words`] with every check in [`build_launch`](super::build_launch)'s order (the exact error).
    #[cold]
    #[inline(never)]
    fn patch_words_checked(&self, p: &LaunchPatch, w: &mut [u32]) -> Result<()> {
        let l = Q::LAYOUT;
        if let Some(lim) = &self.limits {
            crate::hal::check_launch_shape(
                lim,
                p.grid,
                p.block,
                self.base.register_count,
                self.regs_per_warp,
                p.shared.map(|s| s.shared_mem_bytes),
            )?;
        }
        for (what, v) in [("grid", p.grid), ("block", p.block)] {
            if v.contains(&0) {
                return Err(Error::QmdInvalidLaunch { what, value: 0 });
            }
        }
        let shared = match p.shared {
            Some(s) => Some((check_shared(s.shared_mem_bytes, s.sm_shared)?, s.sm_shared)),
            None => None,
        };
        for (f, v) in l.grid.into_iter().zip(p.grid) {
            put(w, f, v)?;
        }
        for (f, v) in l.block.into_iter().zip(p.block) {
            put(w, f, v)?;
        }
        if let Some((bytes, sm)) = shared {
            // Rare path (dynamic shared memory changed): the QMD's own checked setters.
            let sf = l.shared_memory_size;
            let stored = shifted(sf, bytes)?;
            put(w, sf.field, stored)?;
            for (f, b) in [
                (l.min_sm_config_shared_mem_size, sm.min_bytes),
                (l.max_sm_config_shared_mem_size, sm.max_bytes),
                (l.target_sm_config_shared_mem_size, sm.target_bytes),
            ] {
                put(w, f, SmSharedConfig::encode(b)?)?;
            }
        }
        put_address(w, self.cb0, "CONSTANT_BUFFER_ADDR", p.cbank0_va)?;
        if let Some(r) = p.release {
            let align = ReleaseSemaphore::write64(r.address, r.payload)
                .structure
                .alignment();
            if r.address % align != 0 {
                return Err(Error::QmdMisaligned {
                    what: "RELEASE address",
                    value: r.address,
                    align,
                });
            }
            let f = &l.release[0];
            put_address(w, f.address, "RELEASE_ADDRESS", r.address)?;
            put(w, f.payload_lo, lo32(r.payload))?;
            put(w, f.payload_hi, hi32(r.payload))?;
        }
        Ok(())
    }
}

/// Bounds a launch must be inside for [`QmdTemplate::patch`]'s fast path: the chip limits (if any) folded with
/// the QMD field widths, and the address alignments and widths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FastBounds {
    /// Largest grid size per dimension (field width and chip limit).
    grid_max: [u32; 3],
    /// Largest block size per dimension.
    block_max: [u32; 3],
    /// Largest threads per block.
    threads_max: u64,
    /// Registers per warp of the kernel and registers per SM (`u64::MAX` without limits).
    regs_per_warp: u64,
    regs_per_sm: u64,
    /// Constant bank 0 address: alignment mask and the bits it may have.
    cb0_align_mask: u64,
    cb0_bits: u32,
    /// Release address: alignment mask (8-byte, `SEMAPHORE_TWO_WORDS`) and bits.
    rel_align_mask: u64,
    rel_bits: u32,
}

impl FastBounds {
    fn new(
        l: &Layout,
        limits: Option<&LaunchLimits>,
        regs_per_warp: u64,
        cb0: SplitAddress,
    ) -> Self {
        let lim3 = |f: [Field; 3], lim: Option<[u32; 3]>| {
            let mut out = [0u32; 3];
            for ((o, f), i) in out.iter_mut().zip(f).zip(0..) {
                let cap = lim.and_then(|a| a.get(i).copied()).unwrap_or(u32::MAX);
                *o = f.max().min(cap);
            }
            out
        };
        let rel = l.release[0].address;
        FastBounds {
            grid_max: lim3(l.grid, limits.map(|x| x.max_grid_dims)),
            block_max: lim3(l.block, limits.map(|x| x.max_block_dims)),
            threads_max: limits.map_or(u64::MAX, |x| x.max_threads_per_block.into()),
            regs_per_warp,
            regs_per_sm: limits.map_or(u64::MAX, |x| x.registers_per_sm.into()),
            cb0_align_mask: (1u64 << cb0.shift) - 1,
            cb0_bits: cb0.address_bits(),
            rel_align_mask: ReleaseSemaphore::write64(0, 0)
                .structure
                .alignment()
                .max(1 << rel.shift)
                - 1,
            rel_bits: rel.address_bits(),
        }
    }

    /// True when `p` (without a shared-memory change) passes every check of the checked path.
    #[inline(always)]
    fn admits(&self, p: &LaunchPatch) -> bool {
        let [g0, g1, g2] = p.grid;
        let [b0, b1, b2] = p.block;
        let [gm0, gm1, gm2] = self.grid_max;
        let [bm0, bm1, bm2] = self.block_max;
        let dims = (g0.wrapping_sub(1) < gm0)
            & (g1.wrapping_sub(1) < gm1)
            & (g2.wrapping_sub(1) < gm2)
            & (b0.wrapping_sub(1) < bm0)
            & (b1.wrapping_sub(1) < bm1)
            & (b2.wrapping_sub(1) < bm2);
        if !dims {
            return false;
        }
        // Block dimensions are at most 32 bits each and below their maxima here, so the product of two fits;
        // the third is checked without overflow.
        let threads = u64::from(b0) * u64::from(b1);
        let threads = threads.saturating_mul(u64::from(b2));
        let regs = threads.div_ceil(32).saturating_mul(self.regs_per_warp);
        let fits = |a: u64, bits: u32| bits >= 64 || a >> bits == 0;
        let rel_ok = match p.release {
            Some(r) => (r.address & self.rel_align_mask == 0) & fits(r.address, self.rel_bits),
            None => true,
        };
        (threads <= self.threads_max)
            & (regs <= self.regs_per_sm)
            & (p.cbank0_va & self.cb0_align_mask == 0)
            & fits(p.cbank0_va, self.cb0_bits)
            & rel_ok
    }
}

/// Write a value already known to fit (masked to the field all the same).
#[inline(always)]
fn put_masked(w: &mut [u32], f: Field, v: u32) {
    if let Some(slot) = w.get_mut(f.word()) {
        *slot = (*slot & !f.mask()) | ((v << f.shift()) & f.mask());
    }
}

/// [`Qmd::set`] on raw words (same checks, same errors).
#[inline(always)]
fn put(w: &mut [u32], f: Field, v: u32) -> Result<()> {
    if v > f.max() {
        return Err(f.too_wide(v.into()));
    }
    let size_bits = w.len() * 32;
    let slot = w.get_mut(f.word()).ok_or_else(|| Error::QmdFieldOutside {
        field: f.name,
        bit: f.hi,
        size_bits,
    })?;
    *slot = (*slot & !f.mask()) | (v << f.shift());
    Ok(())
}

/// The stored value of a `_SHIFTEDn` field, checked as [`Qmd::set_shifted`] checks it.
fn shifted(f: ShiftedField, bytes: u32) -> Result<u32> {
    let align = 1u64 << f.shift;
    let bytes = u64::from(bytes);
    if bytes % align != 0 {
        return Err(Error::QmdMisaligned {
            what: f.field.name,
            value: bytes,
            align,
        });
    }
    u32::try_from(bytes >> f.shift)
        .ok()
        .filter(|&v| v <= f.field.max())
        .ok_or_else(|| Error::QmdValueTooWide {
            field: f.field.name,
            index: f.field.index,
            value: bytes,
            bits: f.field.width() + f.shift,
        })
}

/// [`Qmd::set_address`] on raw words (same checks, same errors).
#[inline(always)]
fn put_address(w: &mut [u32], a: SplitAddress, what: &'static str, addr: u64) -> Result<()> {
    let (lo, hi) = a.split(what, addr)?;
    put(w, a.lo, lo)?;
    put(w, a.hi, hi)
}

fn lo32(v: u64) -> u32 {
    u32::try_from(v & 0xffff_ffff).unwrap_or(0)
}

fn hi32(v: u64) -> u32 {
    u32::try_from(v >> 32).unwrap_or(u32::MAX)
}

/// A [`QmdTemplate`] of whichever version the chip uses (what [`crate::hal::Hal::build_launch_template`]
/// returns).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnyQmdTemplate {
    /// A V03_00 template (Ampere, Ada).
    V03_00(QmdTemplate<QmdV03_00>),
    /// A V04_00 template (Hopper).
    V04_00(QmdTemplate<QmdV04_00>),
    /// A V05_00 template (Blackwell).
    V05_00(QmdTemplate<QmdV05_00>),
}

impl AnyQmdTemplate {
    /// A template of `version` for `base` (no chip limits; see [`QmdTemplate::with_limits`]).
    pub fn new(
        version: QmdVersion,
        base: &LaunchDesc,
        limits: Option<LaunchLimits>,
    ) -> Result<Self> {
        fn one<Q: Qmd>(base: &LaunchDesc, limits: Option<LaunchLimits>) -> Result<QmdTemplate<Q>> {
            match limits {
                Some(l) => QmdTemplate::with_limits(base, l),
                None => QmdTemplate::new(base),
            }
        }
        Ok(match version {
            QmdVersion::V03_00 => AnyQmdTemplate::V03_00(one(base, limits)?),
            QmdVersion::V04_00 => AnyQmdTemplate::V04_00(one(base, limits)?),
            QmdVersion::V05_00 => AnyQmdTemplate::V05_00(one(base, limits)?),
        })
    }

    /// Version.
    pub fn version(&self) -> QmdVersion {
        match self {
            AnyQmdTemplate::V03_00(_) => QmdVersion::V03_00,
            AnyQmdTemplate::V04_00(_) => QmdVersion::V04_00,
            AnyQmdTemplate::V05_00(_) => QmdVersion::V05_00,
        }
    }

    /// The base description.
    pub fn base(&self) -> &LaunchDesc {
        match self {
            AnyQmdTemplate::V03_00(t) => t.base(),
            AnyQmdTemplate::V04_00(t) => t.base(),
            AnyQmdTemplate::V05_00(t) => t.base(),
        }
    }

    /// The QMD for one launch (see [`QmdTemplate::patch`]).
    #[inline]
    pub fn patch(&self, p: &LaunchPatch) -> Result<AnyQmd> {
        // Copy the template straight into the result, then patch it in place (one copy of the words).
        match self {
            AnyQmdTemplate::V03_00(t) => {
                let mut q = t.start(p).clone();
                t.patch_words(p, q.words_mut())?;
                Ok(AnyQmd::V03_00(q))
            }
            AnyQmdTemplate::V04_00(t) => {
                let mut q = t.start(p).clone();
                t.patch_words(p, q.words_mut())?;
                Ok(AnyQmd::V04_00(q))
            }
            AnyQmdTemplate::V05_00(t) => {
                let mut q = t.start(p).clone();
                t.patch_words(p, q.words_mut())?;
                Ok(AnyQmd::V05_00(q))
            }
        }
    }
}
