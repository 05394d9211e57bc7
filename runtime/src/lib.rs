//! `nvbare`: a thin runtime API over `nvbare-driver`, familiar to cudarc users.
//!
//! - [`module`]: loading CUBIN/fatbin binaries (hardware-independent): per-kernel launch metadata,
//!   relocations, SASS selection, optional run-time compilers (NVRTC, nvJitLink via `dlopen`).
#![deny(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]

pub mod error;
pub mod module;

pub use error::{Error, Result};
