//! GPU memory: allocation parameters for video memory (4 KiB / 64 KiB / 2 MiB pages) and pinned
//! system memory, CPU/GPU mapping flags, and the allocation objects themselves.
//!
//! Parameter building is hardware-independent and unit-tested; the allocations on a live GPU are
//! **unverified** (no GPU available). Field values: OpenRM 580.142 `nvos.h` (NVOS32/NVOS33/NVOS46),
//! sequence as in tinygrad `ops_nv.py` (`NVKIface.alloc`).

use crate::error::{Error, Result};
use crate::rm::abi::r580::{self as abi, f};
use crate::rm::abi::Pod;

/// GPU page size for an allocation and its mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageSize {
    /// 4 KiB.
    K4,
    /// 64 KiB ("big" pages).
    K64,
    /// 2 MiB ("huge" pages).
    M2,
}

impl PageSize {
    /// Bytes.
    pub const fn bytes(self) -> u64 {
        match self {
            PageSize::K4 => 4 << 10,
            PageSize::K64 => 64 << 10,
            PageSize::M2 => 2 << 20,
        }
    }

    /// The page size tinygrad picks: 2 MiB for allocations of 8 MiB and more, else 4 KiB; nvbare
    /// also uses 64 KiB pages from 256 KiB up.
    pub fn for_size(size: u64) -> Self {
        if size >= 8 << 20 {
            PageSize::M2
        } else if size >= 256 << 10 {
            PageSize::K64
        } else {
            PageSize::K4
        }
    }

    /// `NVOS46_FLAGS_PAGE_SIZE_*` for mapping with this page size.
    pub fn map_flag(self) -> u32 {
        match self {
            PageSize::K4 => f(abi::NVOS46_FLAGS_PAGE_SIZE_4KB),
            PageSize::K64 => f(abi::NVOS46_FLAGS_PAGE_SIZE_BIG),
            PageSize::M2 => f(abi::NVOS46_FLAGS_PAGE_SIZE_HUGE),
        }
    }
}

/// Rounds `size` up to whole pages; zero and overflow are errors.
pub fn round_to_pages(size: u64, page: PageSize) -> Result<u64> {
    if size == 0 {
        return Err(Error::InvalidArgument {
            what: "allocation size",
            detail: "zero bytes".into(),
        });
    }
    let p = page.bytes();
    size.checked_add(p - 1)
        .map(|s| s & !(p - 1))
        .ok_or(Error::OutOfRange {
            what: "allocation size",
            value: size,
            limit: u64::MAX - p,
        })
}

/// Where an allocation lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Video memory (`NV01_MEMORY_LOCAL_USER`), GPU-cached.
    Vram { contiguous: bool },
    /// Pinned system memory reached over PCIe (`NV01_MEMORY_SYSTEM`), not GPU-cached.
    Sysmem,
    /// Memory of this process registered with RM as an OS descriptor
    /// (`NV01_MEMORY_SYSTEM_OS_DESCRIPTOR`).
    Host,
}

/// Class and `NV_MEMORY_ALLOCATION_PARAMS` for `size` bytes (already page-rounded) with `page`
/// pages at `placement`; `owner` is the client handle.
pub fn alloc_params(
    owner: u32,
    size: u64,
    page: PageSize,
    placement: Placement,
) -> Result<(u32, abi::MemoryAlloc)> {
    if size == 0 || size % page.bytes() != 0 {
        return Err(Error::InvalidArgument {
            what: "allocation size",
            detail: format!(
                "{size:#x} is not a non-zero multiple of {:#x}",
                page.bytes()
            ),
        });
    }
    let mut p = abi::MemoryAlloc::zeroed();
    p.owner = owner;
    p.size = size;
    p.alignment = page.bytes();
    p.limit = size - 1;
    p.format = 6; // pitch format as tinygrad passes it
    let page_attr = match page {
        PageSize::K4 => f(abi::NVOS32_ATTR_PAGE_SIZE_4KB),
        PageSize::K64 => f(abi::NVOS32_ATTR_PAGE_SIZE_BIG),
        PageSize::M2 => f(abi::NVOS32_ATTR_PAGE_SIZE_HUGE),
    };
    p.flags = abi::NVOS32_ALLOC_FLAGS_MAP_NOT_REQUIRED
        | abi::NVOS32_ALLOC_FLAGS_MEMORY_HANDLE_PROVIDED
        | abi::NVOS32_ALLOC_FLAGS_ALIGNMENT_FORCE
        | abi::NVOS32_ALLOC_FLAGS_IGNORE_BANK_PLACEMENT;
    p.attr2 = f(abi::NVOS32_ATTR2_ZBC_PREFER_NO_ZBC);
    if page == PageSize::M2 {
        p.attr2 |= f(abi::NVOS32_ATTR2_PAGE_SIZE_HUGE_2MB);
    }
    let class = match placement {
        Placement::Vram { contiguous } => {
            p.type_ = abi::NVOS32_TYPE_IMAGE;
            p.flags |= abi::NVOS32_ALLOC_FLAGS_PERSISTENT_VIDMEM;
            p.attr = page_attr
                | f(abi::NVOS32_ATTR_LOCATION_VIDMEM)
                | if contiguous {
                    f(abi::NVOS32_ATTR_PHYSICALITY_CONTIGUOUS)
                } else {
                    f(abi::NVOS32_ATTR_PHYSICALITY_ALLOW_NONCONTIGUOUS)
                };
            p.attr2 |= f(abi::NVOS32_ATTR2_GPU_CACHEABLE_YES);
            crate::rm::abi::class::NV01_MEMORY_LOCAL_USER
        }
        Placement::Host => {
            return Err(Error::InvalidArgument {
                what: "allocation placement",
                detail: "host memory is registered (OS descriptor), not allocated by RM".into(),
            });
        }
        Placement::Sysmem => {
            p.type_ = abi::NVOS32_TYPE_NOTIFIER;
            p.attr = page_attr
                | f(abi::NVOS32_ATTR_LOCATION_PCI)
                | f(abi::NVOS32_ATTR_PHYSICALITY_ALLOW_NONCONTIGUOUS);
            p.attr2 |= f(abi::NVOS32_ATTR2_GPU_CACHEABLE_NO);
            crate::rm::abi::class::NV01_MEMORY_SYSTEM
        }
    };
    Ok((class, p))
}

/// `NVOS46` flags for mapping at a fixed GPU VA with `page` pages (cache snooping on, as for
/// system memory the GPU must see coherently).
pub fn dma_map_flags(page: PageSize) -> u32 {
    page.map_flag()
        | f(abi::NVOS46_FLAGS_CACHE_SNOOP_ENABLE)
        | f(abi::NVOS46_FLAGS_DMA_OFFSET_FIXED_TRUE)
}

/// `NVOS33` flags for a CPU mapping: write-combined for video memory (BAR1), cached for system memory.
/// `nvidia.ko` replaces the caching type with `_DEFAULT` on `NV_ESC_RM_MAP_MEMORY` (escape.c: "Don't
/// allow userspace to override the caching type"), so these only matter to other backends.
pub fn cpu_map_flags(placement: Placement) -> u32 {
    match placement {
        Placement::Vram { .. } => f(abi::NVOS33_FLAGS_CACHING_TYPE_WRITECOMBINED),
        Placement::Sysmem | Placement::Host => f(abi::NVOS33_FLAGS_CACHING_TYPE_CACHED),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rm::abi::class;

    #[test]
    fn page_rounding() {
        assert_eq!(round_to_pages(1, PageSize::K4).unwrap(), 4096);
        assert_eq!(round_to_pages(4096, PageSize::K4).unwrap(), 4096);
        assert_eq!(round_to_pages(65537, PageSize::K64).unwrap(), 131072);
        assert_eq!(round_to_pages(1, PageSize::M2).unwrap(), 2 << 20);
        assert!(matches!(
            round_to_pages(0, PageSize::K4),
            Err(crate::error::Error::InvalidArgument {
                what: "allocation size",
                ..
            })
        ));
        assert!(matches!(
            round_to_pages(u64::MAX, PageSize::M2),
            Err(crate::error::Error::OutOfRange {
                what: "allocation size",
                ..
            })
        ));
        assert_eq!(PageSize::for_size(8 << 20), PageSize::M2);
        assert_eq!(PageSize::for_size(300 << 10), PageSize::K64);
        assert_eq!(PageSize::for_size(1), PageSize::K4);
    }

    #[test]
    fn vram_params_bits() {
        let (cls, p) = alloc_params(
            0xc1d0_0001,
            2 << 20,
            PageSize::M2,
            Placement::Vram { contiguous: true },
        )
        .unwrap();
        assert_eq!(cls, class::NV01_MEMORY_LOCAL_USER);
        // PAGE_SIZE 24:23 = HUGE(3), LOCATION 26:25 = VIDMEM(0), PHYSICALITY 28:27 = CONTIGUOUS(2).
        assert_eq!(p.attr, (3 << 23) | (2 << 27));
        // ZBC 1:0 = PREFER_NO_ZBC(1), GPU_CACHEABLE 3:2 = YES(1), PAGE_SIZE_HUGE 21:20 = 2MB(1).
        assert_eq!(p.attr2, 1 | (1 << 2) | (1 << 20));
        assert_eq!(p.flags, 0x8000 | 0x4000 | 0x100 | 0x1 | 0x10000);
        assert_eq!(
            (p.size, p.limit, p.alignment),
            (2 << 20, (2 << 20) - 1, 2 << 20)
        );
        assert!(matches!(
            alloc_params(0, 4096, PageSize::M2, Placement::Sysmem),
            Err(crate::error::Error::InvalidArgument {
                what: "allocation size",
                ..
            })
        ));
        assert!(matches!(
            alloc_params(0, 0, PageSize::K4, Placement::Sysmem),
            Err(crate::error::Error::InvalidArgument {
                what: "allocation size",
                ..
            })
        ));
        assert!(matches!(
            alloc_params(0, 4096, PageSize::K4, Placement::Host),
            Err(crate::error::Error::InvalidArgument {
                what: "allocation placement",
                ..
            })
        ));
    }

    #[test]
    fn sysmem_params_bits() {
        let (cls, p) = alloc_params(1, 4096, PageSize::K4, Placement::Sysmem).unwrap();
        assert_eq!(cls, class::NV01_MEMORY_SYSTEM);
        assert_eq!(p.type_, 13);
        assert_eq!(p.attr, (1 << 23) | (1 << 25) | (3 << 27));
        assert_eq!(p.attr2, 1 | (2 << 2));
        assert_eq!(dma_map_flags(PageSize::K4), 0x8110);
        assert_eq!(
            cpu_map_flags(Placement::Vram { contiguous: false }),
            2 << 23
        );
    }
}
