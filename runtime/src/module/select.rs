//! Choosing the image of a fatbin that runs on a given GPU.
//!
//! Compatibility rules (NVIDIA's CUDA Programming Guide, "binary compatibility", and the CUDA 12.9 notes on
//! family-specific features):
//!
//! - SASS built for `sm_XY` runs on devices of compute capability `X.Z` with `Z >= Y` (same major only).
//! - SASS built for `sm_XYa` (architecture-specific) runs only on compute capability `X.Y` exactly.
//! - SASS built for `sm_XYf` (family-specific, CUDA 12.9+) runs on the same family: major `X`, minor `>= Y`
//!   (e.g. `sm_100f` on 10.0 and 10.3, `sm_120f` on 12.0 and 12.1).
//! - PTX for `compute_XY` can be compiled for any device of compute capability `>= X.Y`; `compute_XYa` only for
//!   `X.Y`; `compute_XYf` for the family as above.
//!
//! Preference: SASS for exactly the device (arch-specific first, then family-specific, then generic), then
//! compatible SASS of the same major with the highest minor, then PTX with the highest compatible version (compiled
//! at load time when a [`PtxCompiler`] is given).

use std::borrow::Cow;
use std::fmt;

use crate::error::{Error, Result};
use crate::module::fatbin::{Entry, EntryKind, Fatbin};

/// A compute capability `major.minor` (the SM version: 8.6 is `sm_86`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ComputeCapability {
    /// Major version (architecture generation).
    pub major: u32,
    /// Minor version (one decimal digit).
    pub minor: u32,
}

impl ComputeCapability {
    /// From an SM number as written in `sm_86` / fatbin headers (86 -> 8.6, 120 -> 12.0).
    pub const fn from_sm(sm: u32) -> Self {
        ComputeCapability {
            major: sm / 10,
            minor: sm % 10,
        }
    }

    /// The SM number (8.6 -> 86).
    pub const fn sm(self) -> u32 {
        self.major.saturating_mul(10).saturating_add(self.minor)
    }
}

impl fmt::Display for ComputeCapability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sm_{}", self.sm())
    }
}

/// Which devices of the target's generation an image may run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ArchVariant {
    /// Plain `sm_XY`.
    Generic,
    /// `sm_XYa`: only this exact compute capability.
    ArchSpecific,
    /// `sm_XYf`: this family (same major, minor at least Y).
    FamilySpecific,
}

/// The target of an image: compute capability and variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TargetArch {
    /// Compute capability built for.
    pub cc: ComputeCapability,
    /// `a` / `f` / none.
    pub variant: ArchVariant,
}

impl TargetArch {
    fn suffix(self) -> &'static str {
        match self.variant {
            ArchVariant::Generic => "",
            ArchVariant::ArchSpecific => "a",
            ArchVariant::FamilySpecific => "f",
        }
    }

    /// The virtual-architecture name, e.g. `compute_90a`.
    pub fn compute_name(self) -> String {
        format!("compute_{}{}", self.cc.sm(), self.suffix())
    }

    /// Whether SASS for this target runs on a device of compute capability `device`.
    pub fn sass_runs_on(self, device: ComputeCapability) -> bool {
        match self.variant {
            ArchVariant::ArchSpecific => self.cc == device,
            ArchVariant::Generic | ArchVariant::FamilySpecific => {
                self.cc.major == device.major && self.cc.minor <= device.minor
            }
        }
    }

    /// Whether PTX for this target can be compiled for a device of compute capability `device`.
    pub fn ptx_compiles_for(self, device: ComputeCapability) -> bool {
        match self.variant {
            ArchVariant::Generic => self.cc <= device,
            ArchVariant::ArchSpecific => self.cc == device,
            ArchVariant::FamilySpecific => {
                self.cc.major == device.major && self.cc.minor <= device.minor
            }
        }
    }
}

impl fmt::Display for TargetArch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sm_{}{}", self.cc.sm(), self.suffix())
    }
}

/// Compiles PTX to a CUBIN for a device (implemented by [`crate::module::compiler::NvJitLink`]).
pub trait PtxCompiler {
    /// Compiles `ptx` (text, without NUL) to a CUBIN for `device`.
    fn compile_ptx(&self, ptx: &[u8], device: ComputeCapability) -> Result<Vec<u8>>;
}

/// The image chosen for a device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Selection<'f, 'a> {
    /// SASS that runs as is.
    Sass(&'f Entry<'a>),
    /// Only PTX fits: it must be compiled for the device.
    Ptx(&'f Entry<'a>),
}

impl<'f, 'a> Selection<'f, 'a> {
    /// The chosen entry.
    pub fn entry(&self) -> &'f Entry<'a> {
        match *self {
            Selection::Sass(e) | Selection::Ptx(e) => e,
        }
    }
}

fn variant_rank(v: ArchVariant) -> u8 {
    match v {
        ArchVariant::ArchSpecific => 2,
        ArchVariant::FamilySpecific => 1,
        ArchVariant::Generic => 0,
    }
}

/// Picks the best image of `fatbin` for a device of compute capability `device` (see the module documentation).
/// Fails with [`Error::NoImageForSm`] listing the fatbin's images when nothing fits.
pub fn select<'f, 'a>(
    fatbin: &'f Fatbin<'a>,
    device: ComputeCapability,
) -> Result<Selection<'f, 'a>> {
    let exact = fatbin
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::Elf && e.target.cc == device)
        .max_by_key(|e| variant_rank(e.target.variant));
    if let Some(e) = exact {
        return Ok(Selection::Sass(e));
    }
    // Same major, lower minor; highest minor wins, then the more specific variant.
    let compatible = fatbin
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::Elf && e.target.sass_runs_on(device))
        .max_by_key(|e| (e.target.cc, variant_rank(e.target.variant)));
    if let Some(e) = compatible {
        return Ok(Selection::Sass(e));
    }
    let ptx = fatbin
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::Ptx && e.target.ptx_compiles_for(device))
        .max_by_key(|e| (e.target.cc, variant_rank(e.target.variant)));
    if let Some(e) = ptx {
        return Ok(Selection::Ptx(e));
    }
    Err(Error::NoImageForSm {
        target: device.to_string(),
        reason: "no SASS for this SM or an older one of the same major, and no PTX at or below it",
        available: fatbin.summary(),
    })
}

/// Returns a CUBIN for `device`: the selected SASS (decompressed), or the selected PTX compiled with `compiler`.
/// Without a compiler, PTX-only input fails with [`Error::NoImageForSm`] saying a PTX compiler is needed.
/// `limit` bounds decompressed sizes.
pub fn cubin_for<'a>(
    fatbin: &Fatbin<'a>,
    device: ComputeCapability,
    compiler: Option<&dyn PtxCompiler>,
    limit: u64,
) -> Result<Cow<'a, [u8]>> {
    match select(fatbin, device)? {
        Selection::Sass(e) => fatbin.image(e, limit),
        Selection::Ptx(e) => {
            let Some(compiler) = compiler else {
                return Err(Error::NoImageForSm {
                    target: device.to_string(),
                    reason: "only PTX fits and no PTX compiler (nvJitLink) was given; see module::compiler",
                    available: fatbin.summary(),
                });
            };
            let ptx = fatbin.image(e, limit)?;
            Ok(Cow::Owned(compiler.compile_ptx(&ptx, device)?))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(sm: u32, variant: ArchVariant) -> TargetArch {
        TargetArch {
            cc: ComputeCapability::from_sm(sm),
            variant,
        }
    }
    fn cc(sm: u32) -> ComputeCapability {
        ComputeCapability::from_sm(sm)
    }

    #[test]
    fn sass_rules() {
        use ArchVariant::*;
        assert!(t(80, Generic).sass_runs_on(cc(86)));
        assert!(t(80, Generic).sass_runs_on(cc(89)));
        assert!(!t(86, Generic).sass_runs_on(cc(80)));
        assert!(!t(80, Generic).sass_runs_on(cc(90)));
        assert!(t(90, ArchSpecific).sass_runs_on(cc(90)));
        assert!(!t(100, ArchSpecific).sass_runs_on(cc(103)));
        assert!(t(100, FamilySpecific).sass_runs_on(cc(103)));
        assert!(!t(103, FamilySpecific).sass_runs_on(cc(100)));
        assert!(t(120, FamilySpecific).sass_runs_on(cc(121)));
        assert!(!t(120, FamilySpecific).sass_runs_on(cc(100)));
    }

    #[test]
    fn ptx_rules() {
        use ArchVariant::*;
        assert!(t(80, Generic).ptx_compiles_for(cc(120)));
        assert!(!t(90, Generic).ptx_compiles_for(cc(89)));
        assert!(!t(90, ArchSpecific).ptx_compiles_for(cc(100)));
        assert!(t(100, FamilySpecific).ptx_compiles_for(cc(103)));
        assert!(!t(100, FamilySpecific).ptx_compiles_for(cc(120)));
    }

    #[test]
    fn names() {
        assert_eq!(t(90, ArchVariant::ArchSpecific).to_string(), "sm_90a");
        assert_eq!(
            t(100, ArchVariant::FamilySpecific).compute_name(),
            "compute_100f"
        );
        assert_eq!(
            cc(121),
            ComputeCapability {
                major: 12,
                minor: 1
            }
        );
    }
}
