//! `nvbare`: a thin runtime API over `nvbare-driver`, familiar to cudarc users.
//!
//! - [`device`]: [`Device::open`] picks a backend (the `nvidia.ko` ioctls when `/dev/nvidiactl`
//!   exists) or explains which GPU nodes were looked for.
//! - [`buffer`]: [`DeviceBuffer`] and [`DeviceRepr`], host↔device copies with checked sizes.
//! - [`launch`]: [`LaunchConfig`], kernel parameter tables and the checked launch builder.
//! - [`stream`], [`event`]: ordering, bounded waits, GPU timing.
//! - [`module`]: loading CUBIN/fatbin binaries (hardware-independent): per-kernel launch metadata,
//!   relocations, SASS selection, optional run-time compilers (NVRTC, nvJitLink via `dlopen`).
#![deny(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]

pub mod buffer;
pub mod device;
pub mod error;
pub mod event;
pub mod launch;
pub mod module;
pub mod stream;

pub use buffer::{DeviceBuffer, DeviceRepr};
pub use device::Device;
pub use error::{Error, Result};
pub use event::Event;
pub use launch::{Function, LaunchConfig, Module};
pub use stream::Stream;
