//! The `nvidia.ko` / RM ABI: `#[repr(C)]` parameter structs, class numbers, flag fields, and the
//! choice of ABI module from the loaded driver's version.
//!
//! RM's parameter structs change between driver branches, so they live in one module per branch
//! ([`r580`]); [`DriverAbi::for_version`] maps the version string the driver reports to a module and
//! refuses versions without one. Adding r570 or r590 means adding a module next to `r580.rs`,
//! a variant here, and making the users generic where the layouts differ.

pub mod class;
pub mod r580;

use crate::error::{Error, Result};

/// Plain-old-data ABI struct: `#[repr(C)]`, every field an integer or an array of them, all padding
/// spelled out as fields, so every byte is initialized and every bit pattern is valid.
///
/// # Safety
/// Implement only for types meeting the description above (checked for each implementation by a
/// size/offset test against numbers from the C headers). See `SAFETY.md`, "RM ABI structs".
pub unsafe trait Pod: Copy + 'static {
    /// The all-zero value (the starting point of every RM parameter struct).
    fn zeroed() -> Self {
        // SAFETY: `Pod` types are valid for every bit pattern, including all zeros.
        unsafe { std::mem::zeroed() }
    }

    /// The struct's bytes, for handing to a backend.
    fn as_bytes_mut(&mut self) -> &mut [u8] {
        let len = std::mem::size_of::<Self>();
        // SAFETY: `Pod` types have no implicit padding and no invalid bit patterns, so viewing
        // (and writing) their storage as `len` initialized bytes is sound; the borrow of `self`
        // keeps the storage alive and exclusive for the slice's lifetime.
        unsafe { std::slice::from_raw_parts_mut((self as *mut Self).cast::<u8>(), len) }
    }

    /// The struct's bytes, read-only.
    fn as_bytes(&self) -> &[u8] {
        let len = std::mem::size_of::<Self>();
        // SAFETY: as in `as_bytes_mut`, shared borrow.
        unsafe { std::slice::from_raw_parts((self as *const Self).cast::<u8>(), len) }
    }
}

/// Implements [`Pod`] for ABI structs defined in this module tree.
macro_rules! pod {
    ($($t:ty),* $(,)?) => {$(
        // SAFETY: `#[repr(C)]`, integer/array fields only, padding explicit; layout checked by the
        // module's size/offset tests (SAFETY.md, "RM ABI structs").
        unsafe impl $crate::rm::abi::Pod for $t {}
    )*};
}
pub(crate) use pod;

// SAFETY: zero-sized; the byte view is empty.
unsafe impl Pod for () {}
// SAFETY: an array of `Pod` elements has no padding between elements and every bit pattern of
// each element is valid.
unsafe impl<T: Pod, const N: usize> Pod for [T; N] {}

// SAFETY: integers are valid for every bit pattern and have no padding.
unsafe impl Pod for u32 {}

/// Which ABI module matches the loaded driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DriverAbi {
    /// The 580 branch (layouts transcribed from open-gpu-kernel-modules tag 580.142).
    R580,
}

/// Branches this build has an ABI module for, for error messages.
pub const KNOWN_BRANCHES: &str = "r580 (580.x)";

impl DriverAbi {
    /// Picks the ABI module for a driver version string such as `"580.142"` or `"580.95.05"`.
    pub fn for_version(version: &str) -> Result<Self> {
        let unsupported = || Error::UnsupportedDriverVersion {
            version: version.to_owned(),
            known: KNOWN_BRANCHES,
        };
        let major = version.trim().split('.').next().ok_or_else(unsupported)?;
        if major.is_empty() || !major.bytes().all(|b| b.is_ascii_digit()) {
            return Err(unsupported());
        }
        match major.parse::<u32>() {
            Ok(580) => Ok(DriverAbi::R580),
            _ => Err(unsupported()),
        }
    }
}

/// Reads a NUL-terminated C string out of a fixed byte buffer (lossy UTF-8, stops at the first
/// NUL or the end of the buffer).
pub fn c_str(buf: &[u8]) -> String {
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(buf.get(..end).unwrap_or_default()).into_owned()
}

/// Builds a C-style bit field value: `value` placed at bits `hi:lo` (OpenRM `DRF_NUM` notation).
/// Bits of `value` beyond the field width are an error.
pub fn field(hi: u32, lo: u32, value: u32) -> Result<u32> {
    if hi < lo || hi > 31 {
        return Err(Error::InvalidArgument {
            what: "bit field",
            detail: format!("{hi}:{lo}"),
        });
    }
    let width = hi - lo + 1;
    let max = if width == 32 {
        u32::MAX
    } else {
        (1u32 << width) - 1
    };
    if value > max {
        return Err(Error::OutOfRange {
            what: "bit field value",
            value: u64::from(value),
            limit: u64::from(max),
        });
    }
    Ok(value << lo)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_to_module() {
        assert_eq!(DriverAbi::for_version("580.142").unwrap(), DriverAbi::R580);
        assert_eq!(
            DriverAbi::for_version("580.95.05").unwrap(),
            DriverAbi::R580
        );
        for bad in ["570.86.15", "590.1", "", "abc", ".580", "5800.1", "-580"] {
            let e = DriverAbi::for_version(bad).unwrap_err();
            let msg = e.to_string();
            assert!(
                msg.contains(&format!("{bad:?}")) && msg.contains("r580"),
                "{msg}"
            );
        }
    }

    #[test]
    fn c_strings() {
        assert_eq!(c_str(b"580.142\0junk"), "580.142");
        assert_eq!(c_str(b"no-nul"), "no-nul");
        assert_eq!(c_str(b""), "");
    }

    #[test]
    fn bit_fields() {
        // NVOS46_FLAGS_PAGE_SIZE is 11:8, _4KB = 1 (nvos.h).
        assert_eq!(field(11, 8, 1).unwrap(), 0x100);
        assert_eq!(field(31, 0, u32::MAX).unwrap(), u32::MAX);
        assert!(matches!(
            field(11, 8, 16),
            Err(crate::error::Error::OutOfRange {
                what: "bit field value",
                ..
            })
        ));
        assert!(matches!(
            field(3, 8, 0),
            Err(crate::error::Error::InvalidArgument {
                what: "bit field",
                ..
            })
        ));
        assert!(matches!(
            field(32, 0, 0),
            Err(crate::error::Error::InvalidArgument {
                what: "bit field",
                ..
            })
        ));
    }
}
