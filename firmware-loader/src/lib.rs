//! `nvbare-firmware`: bytes in, typed images out.
//!
//! Parses the firmware NVIDIA ships for GSP-RM based GPUs (GSP ELF images, the `nvfw_bin_hdr`
//! container used by booters and the RISC-V bootloader, Hopper/Blackwell FMC images) and the
//! GPU's own VBIOS (PCI expansion ROM, BIT tokens, FWSEC). Every parser is bounds-checked with
//! checked arithmetic and returns a typed [`Error`] on malformed input; none panics.
#![forbid(unsafe_code)]

pub mod abi;
pub mod bin;
pub mod booter;
pub mod bootloader;
pub mod chip;
pub mod elf;
pub mod error;
pub mod falcon;
pub mod finder;
pub mod fmc;
pub mod gsp;
pub mod radix3;
mod reader;
pub mod vbios;
pub mod wpr;

pub use chip::{Architecture, Chipset};
pub use error::{Error, Result};
