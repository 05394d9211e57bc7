//! Reaching a PCI device from user space: sysfs discovery, VFIO, BAR MMIO, DMA memory, interrupts.
