//! Falcon/RISC-V heavy-secure ucode as it must be handed to a falcon, with a Signed/Unsigned typestate.
//!
//! A heavy-secure (HS) image is only accepted by a falcon after the right signature has been patched
//! into it. Parsers produce a [`FalconUcode<Unsigned>`]; the only way to obtain a
//! [`FalconUcode<Signed>`] (the type loaders accept) is [`FalconUcode::sign`], which writes the
//! chosen signature at the patch location, bounds-checked.

use crate::error::{Error, Result};
use std::fmt;
use std::marker::PhantomData;

/// Marker: no signature has been patched in yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unsigned {}
/// Marker: the signature for the target chip/fuse version has been patched in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signed {}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Unsigned {}
    impl Sealed for super::Signed {}
}
/// The signature state of a [`FalconUcode`].
pub trait SignState: sealed::Sealed {}
impl SignState for Unsigned {}
impl SignState for Signed {}

/// One contiguous copy from the image into a falcon memory (IMEM or DMEM).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct LoadTarget {
    /// Byte offset of the source in the image.
    pub src_start: u32,
    /// Byte offset of the destination in the falcon memory.
    pub dst_start: u32,
    /// Length in bytes.
    pub len: u32,
}

/// Where each part of an HS image goes and where execution starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct LoadParams {
    /// Non-secure IMEM part, if the image has one.
    pub imem_ns: Option<LoadTarget>,
    /// Secure IMEM part.
    pub imem_sec: LoadTarget,
    /// DMEM part.
    pub dmem: LoadTarget,
    /// IMEM address execution starts at.
    pub boot_addr: u32,
}

/// A falcon ucode image plus its load parameters, in signature state `S`.
pub struct FalconUcode<S: SignState> {
    image: Vec<u8>,
    load: LoadParams,
    _state: PhantomData<S>,
}

impl<S: SignState> FalconUcode<S> {
    /// The image bytes.
    pub fn image(&self) -> &[u8] {
        &self.image
    }
    /// Where each part goes.
    pub fn load_params(&self) -> &LoadParams {
        &self.load
    }
}

impl<S: SignState> fmt::Debug for FalconUcode<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FalconUcode")
            .field("state", &std::any::type_name::<S>())
            .field("image_len", &self.image.len())
            .field("load", &self.load)
            .finish()
    }
}

fn check_target(what: &'static str, t: &LoadTarget, image_len: usize) -> Result<()> {
    let end = t
        .src_start
        .checked_add(t.len)
        .ok_or(Error::Overflow { what })?;
    if usize::try_from(end).map_or(true, |end| end > image_len) {
        return Err(Error::OutOfBounds {
            what,
            offset: u64::from(t.src_start),
            len: u64::from(t.len),
            input_len: crate::reader::u64_of(image_len),
        });
    }
    Ok(())
}

impl FalconUcode<Unsigned> {
    /// Wraps an image whose load targets are all checked to lie inside it.
    pub fn new(image: Vec<u8>, load: LoadParams) -> Result<Self> {
        if let Some(ns) = &load.imem_ns {
            check_target("falcon non-secure IMEM load", ns, image.len())?;
        }
        check_target("falcon secure IMEM load", &load.imem_sec, image.len())?;
        check_target("falcon DMEM load", &load.dmem, image.len())?;
        Ok(Self {
            image,
            load,
            _state: PhantomData,
        })
    }

    /// Patches `signature` into the image at byte offset `patch_offset` and returns the signed image.
    pub fn sign(mut self, patch_offset: usize, signature: &[u8]) -> Result<FalconUcode<Signed>> {
        crate::reader::write(
            "signature patch location",
            &mut self.image,
            patch_offset,
            signature,
        )?;
        Ok(FalconUcode {
            image: self.image,
            load: self.load,
            _state: PhantomData,
        })
    }

    /// Mutable access for patches that must happen before signing (e.g. FWSEC's DMEM-mapper command).
    pub fn image_mut(&mut self) -> &mut [u8] {
        &mut self.image
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(len: u32) -> LoadParams {
        LoadParams {
            imem_ns: None,
            imem_sec: LoadTarget {
                src_start: 0,
                dst_start: 0,
                len,
            },
            dmem: LoadTarget {
                src_start: 0,
                dst_start: 0,
                len,
            },
            boot_addr: 0,
        }
    }

    #[test]
    fn sign_patches_bytes_in_place() {
        let u = FalconUcode::new(vec![0u8; 16], params(16)).unwrap();
        let s = u.sign(4, &[1, 2, 3]).unwrap();
        assert_eq!(&s.image()[..8], &[0, 0, 0, 0, 1, 2, 3, 0]);
    }

    #[test]
    fn sign_out_of_bounds_is_an_error() {
        let u = FalconUcode::new(vec![0u8; 16], params(16)).unwrap();
        assert!(matches!(
            u.sign(15, &[1, 2]),
            Err(Error::OutOfBounds { input_len: 16, .. })
        ));
        let u = FalconUcode::new(vec![0u8; 16], params(16)).unwrap();
        assert!(matches!(
            u.sign(usize::MAX, &[1]),
            Err(Error::Overflow { .. })
        ));
    }

    #[test]
    fn load_targets_are_checked() {
        assert!(FalconUcode::new(vec![0u8; 8], params(16)).is_err());
        let mut p = params(4);
        p.dmem = LoadTarget {
            src_start: u32::MAX,
            dst_start: 0,
            len: 2,
        };
        assert!(matches!(
            FalconUcode::new(vec![0u8; 8], p),
            Err(Error::Overflow { .. })
        ));
    }
}
