//! CUDA binary loading: CUBIN (NVIDIA ELF) and fatbin containers, kernel metadata, relocations.
//!
//! - [`cubin`]: parse a CUBIN ([`Cubin::parse`]) into per-kernel launch metadata ([`Kernel`]).
//! - [`image`]: place it at a device address and apply relocations ([`Cubin::load`] -> [`LoadedImage`]).
//! - [`elf`], [`nvinfo`], [`reloc`]: the checked ELF reader, `.nv.info` attributes, `R_CUDA_*` relocations.

pub mod cubin;
pub mod elf;
pub mod image;
pub mod nvinfo;
pub mod reloc;

pub use cubin::{Cubin, ElfLayout, Kernel, Param, SmArch};
pub use image::{KernelLaunch, LoadedImage};

pub mod compiler;
pub mod compress;
pub mod fatbin;
pub mod select;
