//! Reaching a PCI device from user space: sysfs discovery, VFIO, BAR MMIO, DMA memory, interrupts.
//!
//! GPU code talks to a device only through [`PciTransport`]; [`vfio::VfioDevice`] implements it.
//! All `unsafe` of this layer lives in [`ioctl`], [`vfio`], [`mmio`] and [`dma`]; the rules it relies
//! on are in `SAFETY.md`, section "PCI/VFIO layer".

pub mod dma;
pub mod ioctl;
pub mod mmio;
pub mod sysfs;
pub mod vfio;

pub use dma::DmaBuffer;
pub use mmio::Bar;
pub use sysfs::{Bdf, DeviceFilter, PciDeviceInfo, Requirements, Sysfs, Unusable, VfioAccess};
pub use vfio::{kernel_group_viable, Interrupts, IrqKind, OpenOptions, VfioDevice, VfioMode};

use crate::error::Result;

/// A PCI function the driver can program, however it is reached.
pub trait PciTransport: Send + Sync + std::fmt::Debug {
    /// The function's address.
    fn address(&self) -> Bdf;
    /// Reads `buf.len()` bytes of config space at `offset`.
    fn config_read(&self, offset: u16, buf: &mut [u8]) -> Result<()>;
    /// Writes `data` to config space at `offset`.
    fn config_write(&self, offset: u16, data: &[u8]) -> Result<()>;
    /// Maps BAR `index` (0..=5).
    fn map_bar(&self, index: u32) -> Result<Bar>;
    /// Allocates `len` bytes of DMA memory mapped for the device.
    fn alloc_dma(&self, len: usize) -> Result<DmaBuffer>;
    /// Sets the bus-master bit in the command register (needed before the device may DMA).
    fn enable_bus_master(&self) -> Result<()>;
    /// Routes `count` vectors of `kind` to eventfds.
    fn enable_interrupts(&self, kind: IrqKind, count: u32) -> Result<Interrupts>;
    /// Resets the function.
    fn reset(&self) -> Result<()>;

    /// Reads a little-endian `u16` from config space.
    fn config_read_u16(&self, offset: u16) -> Result<u16> {
        let mut b = [0u8; 2];
        self.config_read(offset, &mut b)?;
        Ok(u16::from_le_bytes(b))
    }
    /// Reads a little-endian `u32` from config space.
    fn config_read_u32(&self, offset: u16) -> Result<u32> {
        let mut b = [0u8; 4];
        self.config_read(offset, &mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    /// Writes a little-endian `u16` to config space.
    fn config_write_u16(&self, offset: u16, v: u16) -> Result<()> {
        self.config_write(offset, &v.to_le_bytes())
    }
    /// Writes a little-endian `u32` to config space.
    fn config_write_u32(&self, offset: u16, v: u32) -> Result<()> {
        self.config_write(offset, &v.to_le_bytes())
    }
}
