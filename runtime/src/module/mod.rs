//! CUDA binary loading: CUBIN (NVIDIA ELF) and fatbin containers, kernel metadata, relocations.
//!
//! - [`cubin`]: parse a CUBIN ([`Cubin::parse`]) into per-kernel launch metadata ([`Kernel`]).
//! - [`image`]: place it at a device address and apply relocations ([`Cubin::load`] -> [`LoadedImage`]);
//!   [`Cubin::relocate`] does the same for relocatable (`-rdc`) images, with a resolver for linker-chosen values.
//! - [`elf`], [`nvinfo`], [`reloc`]: the checked ELF reader (CUBINs and host ELFs), `.nv.info` attributes,
//!   `R_CUDA_*` relocations.
//! - [`fatbin`], [`compress`], [`select`]: fatbin containers, compressed entries, choosing the image for an SM.
//! - [`compiler`]: NVRTC and nvJitLink loaded at run time, when present.

pub mod compiler;
pub mod compress;
pub mod cubin;
pub mod elf;
pub mod fatbin;
pub mod image;
pub mod nvinfo;
pub mod reloc;
pub mod select;

pub use cubin::{Cubin, ElfLayout, Kernel, Param, SmArch};
pub use image::{External, KernelLaunch, LoadedImage};
