//! `nvbare-driver`: the hardware-facing core of nvbare.
//!
//! Layers, bottom up:
//! - [`pci`]: reaching a PCI device from user space (sysfs discovery, VFIO, BAR MMIO, DMA memory, interrupts).
//! - [`rm`]: the resource-manager (RM) object model and its backends (`nvidia.ko` ioctls; GSP RPC later).
//! - [`gpu`]: the device object graph built on RM: memory, VA space, channels, submission, faults.
//! - [`push`], [`class`], [`qmd`]: typed command encoding (pushbuffers, class methods, queue meta data) and decoding.
//! - [`hal`]: per-chip choices, made once from the chipset.
//!
//! `unsafe` is confined to the MMIO, VFIO, DMA and ioctl modules; see `SAFETY.md` at the repository root.
#![deny(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]

pub mod class;
pub mod error;
pub mod gpu;
pub mod hal;
pub mod pci;
pub mod poll;
pub mod push;
pub mod qmd;
pub mod rm;

pub use error::{Error, Result};
pub use nvbare_firmware::chip::{Architecture, Chipset};
