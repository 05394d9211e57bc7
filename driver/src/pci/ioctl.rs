//! VFIO and iommufd ioctl entry points.
//!
//! Every request number is derived here from the ioctl type and base that `linux/vfio.h` and
//! `linux/iommufd.h` define, with nix's `request_code_none!` (all VFIO/iommufd ioctls are `_IO`:
//! no size or direction is encoded, the argument struct carries its own `argsz`/`size`). The type and
//! base come from the `vfio-bindings` crate; the offsets are the ones listed in `linux/vfio.h`
//! (`VFIO_BASE + n`) and `linux/iommufd.h` (`IOMMUFD_CMD_BASE + n`). No final number is copied.
//!
//! The generated functions are `unsafe`: the caller must pass a valid file descriptor of the right
//! kind and, for pointer arguments, a pointer to a live, correctly sized and initialised struct
//! whose `argsz`/`size` field matches it. See `SAFETY.md`, section "PCI/VFIO layer".

use nix::libc::c_ulong;
use vfio_bindings::bindings::vfio::{
    vfio_device_attach_iommufd_pt, vfio_device_bind_iommufd, vfio_device_info, vfio_group_status,
    vfio_iommu_type1_dma_map, vfio_iommu_type1_dma_unmap, vfio_irq_info, vfio_irq_set,
    vfio_region_info, VFIO_BASE, VFIO_TYPE,
};

/// `IOMMUFD_TYPE` of `linux/iommufd.h`: iommufd shares VFIO's ioctl type character `';'`.
pub const IOMMUFD_TYPE: u8 = VFIO_TYPE;
/// `IOMMUFD_CMD_BASE` of `linux/iommufd.h`.
pub const IOMMUFD_CMD_BASE: u32 = 0x80;

/// Offsets from `VFIO_BASE`, as listed in `linux/vfio.h`.
pub mod nr {
    /// `VFIO_GET_API_VERSION`
    pub const GET_API_VERSION: u32 = 0;
    /// `VFIO_CHECK_EXTENSION`
    pub const CHECK_EXTENSION: u32 = 1;
    /// `VFIO_SET_IOMMU`
    pub const SET_IOMMU: u32 = 2;
    /// `VFIO_GROUP_GET_STATUS`
    pub const GROUP_GET_STATUS: u32 = 3;
    /// `VFIO_GROUP_SET_CONTAINER`
    pub const GROUP_SET_CONTAINER: u32 = 4;
    /// `VFIO_GROUP_UNSET_CONTAINER`
    pub const GROUP_UNSET_CONTAINER: u32 = 5;
    /// `VFIO_GROUP_GET_DEVICE_FD`
    pub const GROUP_GET_DEVICE_FD: u32 = 6;
    /// `VFIO_DEVICE_GET_INFO`
    pub const DEVICE_GET_INFO: u32 = 7;
    /// `VFIO_DEVICE_GET_REGION_INFO`
    pub const DEVICE_GET_REGION_INFO: u32 = 8;
    /// `VFIO_DEVICE_GET_IRQ_INFO`
    pub const DEVICE_GET_IRQ_INFO: u32 = 9;
    /// `VFIO_DEVICE_SET_IRQS`
    pub const DEVICE_SET_IRQS: u32 = 10;
    /// `VFIO_DEVICE_RESET`
    pub const DEVICE_RESET: u32 = 11;
    /// `VFIO_IOMMU_GET_INFO` (shares its number with `VFIO_DEVICE_GET_PCI_HOT_RESET_INFO`; the fd
    /// kind tells them apart).
    pub const IOMMU_GET_INFO: u32 = 12;
    /// `VFIO_IOMMU_MAP_DMA`
    pub const IOMMU_MAP_DMA: u32 = 13;
    /// `VFIO_IOMMU_UNMAP_DMA`
    pub const IOMMU_UNMAP_DMA: u32 = 14;
    /// `VFIO_DEVICE_BIND_IOMMUFD` (cdev interface, Linux 6.6+)
    pub const DEVICE_BIND_IOMMUFD: u32 = 18;
    /// `VFIO_DEVICE_ATTACH_IOMMUFD_PT` (cdev interface, Linux 6.6+)
    pub const DEVICE_ATTACH_IOMMUFD_PT: u32 = 19;

    /// Offsets from `IOMMUFD_CMD_BASE`, as listed in `linux/iommufd.h` (`enum { IOMMUFD_CMD_... }`).
    pub mod iommufd {
        /// `IOMMU_DESTROY`
        pub const DESTROY: u32 = 0;
        /// `IOMMU_IOAS_ALLOC`
        pub const IOAS_ALLOC: u32 = 1;
        /// `IOMMU_IOAS_MAP`
        pub const IOAS_MAP: u32 = 5;
        /// `IOMMU_IOAS_UNMAP`
        pub const IOAS_UNMAP: u32 = 6;
    }
}

/// The request number of the VFIO ioctl at `VFIO_BASE + offset`.
pub const fn vfio_request(offset: u32) -> c_ulong {
    nix::request_code_none!(VFIO_TYPE, VFIO_BASE + offset) as c_ulong
}

/// The request number of the iommufd ioctl at `IOMMUFD_CMD_BASE + offset`.
pub const fn iommufd_request(offset: u32) -> c_ulong {
    nix::request_code_none!(IOMMUFD_TYPE, IOMMUFD_CMD_BASE + offset) as c_ulong
}

nix::ioctl_none_bad!(vfio_get_api_version, vfio_request(nr::GET_API_VERSION));
nix::ioctl_write_int_bad!(vfio_check_extension, vfio_request(nr::CHECK_EXTENSION));
nix::ioctl_write_int_bad!(vfio_set_iommu, vfio_request(nr::SET_IOMMU));
nix::ioctl_readwrite_bad!(
    vfio_group_get_status,
    vfio_request(nr::GROUP_GET_STATUS),
    vfio_group_status
);
nix::ioctl_write_ptr_bad!(
    vfio_group_set_container,
    vfio_request(nr::GROUP_SET_CONTAINER),
    nix::libc::c_int
);
nix::ioctl_write_ptr_bad!(
    vfio_group_get_device_fd,
    vfio_request(nr::GROUP_GET_DEVICE_FD),
    nix::libc::c_char
);
nix::ioctl_readwrite_bad!(
    vfio_device_get_info,
    vfio_request(nr::DEVICE_GET_INFO),
    vfio_device_info
);
nix::ioctl_readwrite_bad!(
    vfio_device_get_region_info,
    vfio_request(nr::DEVICE_GET_REGION_INFO),
    vfio_region_info
);
nix::ioctl_readwrite_bad!(
    vfio_device_get_irq_info,
    vfio_request(nr::DEVICE_GET_IRQ_INFO),
    vfio_irq_info
);
nix::ioctl_write_ptr_bad!(
    vfio_device_set_irqs,
    vfio_request(nr::DEVICE_SET_IRQS),
    vfio_irq_set
);
nix::ioctl_none_bad!(vfio_device_reset, vfio_request(nr::DEVICE_RESET));
nix::ioctl_write_ptr_bad!(
    vfio_iommu_map_dma,
    vfio_request(nr::IOMMU_MAP_DMA),
    vfio_iommu_type1_dma_map
);
nix::ioctl_readwrite_bad!(
    vfio_iommu_unmap_dma,
    vfio_request(nr::IOMMU_UNMAP_DMA),
    vfio_iommu_type1_dma_unmap
);
nix::ioctl_readwrite_bad!(
    vfio_device_bind_iommufd_ioctl,
    vfio_request(nr::DEVICE_BIND_IOMMUFD),
    vfio_device_bind_iommufd
);
nix::ioctl_readwrite_bad!(
    vfio_device_attach_iommufd_pt_ioctl,
    vfio_request(nr::DEVICE_ATTACH_IOMMUFD_PT),
    vfio_device_attach_iommufd_pt
);
nix::ioctl_readwrite_bad!(
    iommu_ioas_alloc,
    iommufd_request(nr::iommufd::IOAS_ALLOC),
    IommuIoasAlloc
);
nix::ioctl_readwrite_bad!(
    iommu_ioas_map,
    iommufd_request(nr::iommufd::IOAS_MAP),
    IommuIoasMap
);
nix::ioctl_readwrite_bad!(
    iommu_ioas_unmap,
    iommufd_request(nr::iommufd::IOAS_UNMAP),
    IommuIoasUnmap
);
nix::ioctl_write_ptr_bad!(
    iommu_destroy,
    iommufd_request(nr::iommufd::DESTROY),
    IommuDestroy
);

// iommufd argument structs. `vfio-bindings` does not carry `linux/iommufd.h`, so these are
// transcribed from it (struct iommu_destroy, iommu_ioas_alloc, iommu_ioas_map, iommu_ioas_unmap);
// layouts are pinned by the size assertions in the tests below.

/// `struct iommu_destroy` of `linux/iommufd.h`.
#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct IommuDestroy {
    /// `sizeof(struct iommu_destroy)`
    pub size: u32,
    /// Object to destroy.
    pub id: u32,
}

/// `struct iommu_ioas_alloc` of `linux/iommufd.h`.
#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct IommuIoasAlloc {
    /// `sizeof(struct iommu_ioas_alloc)`
    pub size: u32,
    /// Must be 0.
    pub flags: u32,
    /// Output: the new IOAS id.
    pub out_ioas_id: u32,
}

/// `struct iommu_ioas_map` of `linux/iommufd.h`.
#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct IommuIoasMap {
    /// `sizeof(struct iommu_ioas_map)`
    pub size: u32,
    /// `IOMMU_IOAS_MAP_*` flags.
    pub flags: u32,
    /// IOAS to map into.
    pub ioas_id: u32,
    /// Must be 0.
    pub reserved: u32,
    /// Process virtual address of the memory.
    pub user_va: u64,
    /// Length in bytes.
    pub length: u64,
    /// IOVA (input with `FIXED_IOVA`, output otherwise).
    pub iova: u64,
}

/// `IOMMU_IOAS_MAP_FIXED_IOVA` (bit 0).
pub const IOMMU_IOAS_MAP_FIXED_IOVA: u32 = 1 << 0;
/// `IOMMU_IOAS_MAP_WRITEABLE` (bit 1).
pub const IOMMU_IOAS_MAP_WRITEABLE: u32 = 1 << 1;
/// `IOMMU_IOAS_MAP_READABLE` (bit 2).
pub const IOMMU_IOAS_MAP_READABLE: u32 = 1 << 2;

/// `struct iommu_ioas_unmap` of `linux/iommufd.h`.
#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct IommuIoasUnmap {
    /// `sizeof(struct iommu_ioas_unmap)`
    pub size: u32,
    /// IOAS to unmap from.
    pub ioas_id: u32,
    /// First IOVA.
    pub iova: u64,
    /// Length in bytes (in/out).
    pub length: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `_IO(type, nr)` of the kernel's `asm-generic/ioctl.h`, written out independently of nix:
    /// direction NONE (0) << 30, size 0 << 16, type << 8, nr.
    fn io(ty: u8, nr: u32) -> c_ulong {
        (c_ulong::from(ty) << 8) | c_ulong::from(nr)
    }

    #[test]
    fn vfio_numbers_match_linux_layout() {
        // linux/vfio.h: #define VFIO_TYPE (';') and #define VFIO_BASE 100.
        assert_eq!(VFIO_TYPE, b';');
        assert_eq!(VFIO_BASE, 100);
        for off in 0..=20 {
            assert_eq!(vfio_request(off), io(b';', 100 + off), "offset {off}");
        }
        // The numbers as the kernel's headers expand them (_IO(';', 100 + n)).
        assert_eq!(vfio_request(nr::GET_API_VERSION), 0x3b64);
        assert_eq!(vfio_request(nr::GROUP_GET_DEVICE_FD), 0x3b6a);
        assert_eq!(vfio_request(nr::DEVICE_SET_IRQS), 0x3b6e);
        assert_eq!(vfio_request(nr::DEVICE_RESET), 0x3b6f);
        assert_eq!(vfio_request(nr::IOMMU_MAP_DMA), 0x3b71);
        assert_eq!(vfio_request(nr::IOMMU_UNMAP_DMA), 0x3b72);
        assert_eq!(vfio_request(nr::DEVICE_BIND_IOMMUFD), 0x3b76);
        assert_eq!(vfio_request(nr::DEVICE_ATTACH_IOMMUFD_PT), 0x3b77);
    }

    #[test]
    fn iommufd_numbers_match_linux_layout() {
        assert_eq!(iommufd_request(nr::iommufd::DESTROY), io(b';', 0x80));
        assert_eq!(iommufd_request(nr::iommufd::IOAS_ALLOC), 0x3b81);
        assert_eq!(iommufd_request(nr::iommufd::IOAS_MAP), 0x3b85);
        assert_eq!(iommufd_request(nr::iommufd::IOAS_UNMAP), 0x3b86);
    }

    #[test]
    fn abi_struct_sizes() {
        use std::mem::size_of;
        assert_eq!(size_of::<IommuDestroy>(), 8);
        assert_eq!(size_of::<IommuIoasAlloc>(), 12);
        assert_eq!(size_of::<IommuIoasMap>(), 40);
        assert_eq!(size_of::<IommuIoasUnmap>(), 24);
        assert_eq!(size_of::<vfio_irq_set>(), 20);
        assert_eq!(size_of::<vfio_region_info>(), 32);
        assert_eq!(size_of::<vfio_iommu_type1_dma_map>(), 32);
    }
}
