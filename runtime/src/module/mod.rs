//! CUDA binary loading: CUBIN (NVIDIA ELF) and fatbin containers, kernel metadata, relocations.

pub mod compiler;
pub mod compress;
pub mod fatbin;
pub mod select;
