//! Radix3 page tables through which the GSP bootloader reads the GSP-RM image.
//!
//! Layout (open-gpu-kernel-modules `kernel_gsp.c` `kgspCreateRadix3`; nova-core
//! `firmware/gsp.rs`): 4 KiB pages, 8-byte little-endian entries, 512 entries a page.
//! Level 0 is one page whose entries are the addresses of the level-1 pages; level-1 entries are
//! the addresses of the level-2 pages; level-2 entries are the addresses of the image's data pages.
//! Unused entries are zero. `sysmemAddrOfRadix3Elf` in `GspFwWprMeta` is the address of level 0;
//! OpenRM allocates level 0, level 1 and level 2 back to back in one buffer ([`Radix3Tables::to_bytes`]).

use crate::error::{Error, Result};
use crate::reader::u64_of;

/// Page size of the radix3 tables and of the mapped image (`LIBOS_MEMORY_REGION_RADIX_PAGE_SIZE`).
pub const PAGE_SIZE: u64 = 4096;
/// Entries in one table page.
pub const ENTRIES_PER_PAGE: u64 = PAGE_SIZE / 8;

/// How many pages each level needs for an image of a given size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Radix3Layout {
    /// Image size in bytes.
    pub image_size: u64,
    /// Data pages (`ceil(image_size / 4096)`).
    pub data_pages: u64,
    /// Level-2 pages (`ceil(data_pages / 512)`).
    pub level2_pages: u64,
    /// Level-1 pages (`ceil(level2_pages / 512)`).
    pub level1_pages: u64,
}

/// The filled tables, each a whole number of pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Radix3Tables {
    pub level0: Vec<u8>,
    pub level1: Vec<u8>,
    pub level2: Vec<u8>,
}

impl Radix3Tables {
    /// Level 0, level 1 and level 2 back to back, as OpenRM places them in one allocation.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.level0.len() + self.level1.len() + self.level2.len());
        v.extend_from_slice(&self.level0);
        v.extend_from_slice(&self.level1);
        v.extend_from_slice(&self.level2);
        v
    }
}

fn pages_for(entries: u64) -> u64 {
    entries.div_ceil(ENTRIES_PER_PAGE)
}

impl Radix3Layout {
    /// Page counts for an image of `image_size` bytes. Fails for an empty image and for one
    /// that would need more than one level-0 page (over 512 GiB).
    pub fn new(image_size: u64) -> Result<Self> {
        if image_size == 0 {
            return Err(Error::InvalidField {
                what: "radix3 image size",
                value: 0,
                reason: "empty image",
            });
        }
        let data_pages = image_size.div_ceil(PAGE_SIZE);
        let level2_pages = pages_for(data_pages);
        let level1_pages = pages_for(level2_pages);
        if level1_pages > ENTRIES_PER_PAGE {
            return Err(Error::InvalidField {
                what: "radix3 image size",
                value: image_size,
                reason: "needs more than one level-0 page",
            });
        }
        Ok(Self {
            image_size,
            data_pages,
            level2_pages,
            level1_pages,
        })
    }

    /// Total table pages (level 0 + level 1 + level 2); saturates for a hand-made layout whose
    /// counts do not come from [`Radix3Layout::new`].
    pub fn table_pages(&self) -> u64 {
        self.level1_pages
            .saturating_add(self.level2_pages)
            .saturating_add(1)
    }

    /// The fields are public: a layout whose page counts are not the ones [`Radix3Layout::new`]
    /// derives from `image_size` is refused before anything is sized from it.
    fn check(&self) -> Result<()> {
        if *self != Self::new(self.image_size)? {
            return Err(Error::InvalidField {
                what: "radix3 layout page counts",
                value: self.image_size,
                reason: "do not match the image size (build the layout with Radix3Layout::new)",
            });
        }
        Ok(())
    }

    /// Builds the tables from the bus addresses of the level-1 pages, the level-2 pages and the
    /// image's data pages. Every address must be 4 KiB aligned and each list must have exactly
    /// the number of entries this layout needs.
    pub fn build(
        &self,
        level1_addrs: &[u64],
        level2_addrs: &[u64],
        data_addrs: &[u64],
    ) -> Result<Radix3Tables> {
        self.check()?;
        Ok(Radix3Tables {
            level0: fill(
                "radix3 level-1 page addresses",
                level1_addrs,
                self.level1_pages,
                1,
            )?,
            level1: fill(
                "radix3 level-2 page addresses",
                level2_addrs,
                self.level2_pages,
                self.level1_pages,
            )?,
            level2: fill(
                "radix3 data page addresses",
                data_addrs,
                self.data_pages,
                self.level2_pages,
            )?,
        })
    }

    /// The tables for OpenRM's single contiguous allocation at bus address `base`: level 0 at
    /// `base`, then the level-1 pages, then the level-2 pages; `data_addrs` are the image pages.
    pub fn build_contiguous(&self, base: u64, data_addrs: &[u64]) -> Result<Radix3Tables> {
        self.check()?;
        let page = |i: u64| -> Result<u64> {
            i.checked_mul(PAGE_SIZE)
                .and_then(|o| base.checked_add(o))
                .ok_or(Error::Overflow {
                    what: "radix3 table address",
                })
        };
        let l1: Vec<u64> = (1..=self.level1_pages).map(page).collect::<Result<_>>()?;
        // check(): level1_pages <= 512 and level2_pages <= 512 * 512, so these cannot overflow.
        let first_l2 = self.level1_pages.saturating_add(1);
        let l2: Vec<u64> = (first_l2..first_l2.saturating_add(self.level2_pages))
            .map(page)
            .collect::<Result<_>>()?;
        self.build(&l1, &l2, data_addrs)
    }
}

fn fill(what: &'static str, addrs: &[u64], expected: u64, pages: u64) -> Result<Vec<u8>> {
    if u64_of(addrs.len()) != expected {
        return Err(Error::CountMismatch {
            what,
            expected,
            found: u64_of(addrs.len()),
        });
    }
    let len = pages
        .checked_mul(PAGE_SIZE)
        .and_then(|l| usize::try_from(l).ok())
        .ok_or(Error::Overflow { what })?;
    let mut out = vec![0u8; len];
    for (slot, &a) in out.chunks_exact_mut(8).zip(addrs) {
        if a % PAGE_SIZE != 0 {
            return Err(Error::Misaligned {
                what,
                value: a,
                align: PAGE_SIZE,
            });
        }
        slot.copy_from_slice(&a.to_le_bytes());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(t: &[u8], i: usize) -> u64 {
        u64::from_le_bytes(t[i * 8..i * 8 + 8].try_into().unwrap())
    }

    #[test]
    fn page_counts() {
        // 63571696-byte image (ga102 gsp-570.144.bin .fwimage is 0x3c99000): 15513 data pages,
        // ceil(15513/512) = 31 level-2 pages, 1 level-1 page.
        let l = Radix3Layout::new(0x3c9_9000).unwrap();
        assert_eq!(
            (l.data_pages, l.level2_pages, l.level1_pages),
            (0x3c99, 31, 1)
        );
        let l = Radix3Layout::new(1).unwrap();
        assert_eq!((l.data_pages, l.level2_pages, l.level1_pages), (1, 1, 1));
        let l = Radix3Layout::new(512 * 4096 + 1).unwrap();
        assert_eq!((l.data_pages, l.level2_pages, l.level1_pages), (513, 2, 1));
        assert!(Radix3Layout::new(0).is_err());
        assert!(Radix3Layout::new(u64::MAX).is_err());
    }

    #[test]
    fn tables_hold_the_given_addresses() {
        let l = Radix3Layout::new(513 * 4096).unwrap();
        let data: Vec<u64> = (0..514).map(|i| 0x10_0000_0000 + i * 0x2000).collect();
        // 514 data pages -> 2 level-2 pages, 1 level-1 page.
        assert!(matches!(
            l.build_contiguous(0x8000_0000, &data[..512]),
            Err(Error::CountMismatch {
                expected: 513,
                found: 512,
                ..
            })
        ));
        let l = Radix3Layout::new(514 * 4096).unwrap();
        let t = l.build_contiguous(0x8000_0000, &data).unwrap();
        assert_eq!(t.level0.len(), 4096);
        assert_eq!(entry(&t.level0, 0), 0x8000_1000);
        assert_eq!(entry(&t.level0, 1), 0);
        assert_eq!(t.level1.len(), 4096);
        assert_eq!(entry(&t.level1, 0), 0x8000_2000);
        assert_eq!(entry(&t.level1, 1), 0x8000_3000);
        assert_eq!(entry(&t.level1, 2), 0);
        assert_eq!(t.level2.len(), 8192);
        assert_eq!(entry(&t.level2, 0), 0x10_0000_0000);
        assert_eq!(entry(&t.level2, 513), 0x10_0000_0000 + 513 * 0x2000);
        assert_eq!(entry(&t.level2, 514), 0);
        let all = t.to_bytes();
        assert_eq!(all.len(), 4 * 4096);
        assert_eq!(&all[4096..4104], &0x8000_2000u64.to_le_bytes());
    }

    #[test]
    fn bad_addresses_are_errors() {
        let l = Radix3Layout::new(4096).unwrap();
        assert!(matches!(
            l.build(&[0x1000], &[0x2000], &[0x3001]),
            Err(Error::Misaligned { value: 0x3001, .. })
        ));
        assert!(matches!(
            l.build(&[0x1000], &[], &[0x3000]),
            Err(Error::CountMismatch {
                expected: 1,
                found: 0,
                ..
            })
        ));
        assert!(matches!(
            l.build_contiguous(u64::MAX - 4095, &[0x3000]),
            Err(Error::Overflow { .. })
        ));
    }

    #[test]
    fn hand_made_layouts_are_refused() {
        // Page counts that do not follow from the image size would size the tables from them.
        let huge = Radix3Layout {
            level2_pages: 1 << 50,
            ..Radix3Layout::new(4096).unwrap()
        };
        assert!(matches!(
            huge.build(&[0x1000], &[0x2000], &[0x3000]),
            Err(Error::InvalidField { .. })
        ));
        assert!(matches!(
            huge.build_contiguous(0x1000, &[0x3000]),
            Err(Error::InvalidField { .. })
        ));
        let max = Radix3Layout {
            level1_pages: u64::MAX,
            level2_pages: u64::MAX,
            ..huge
        };
        assert_eq!(max.table_pages(), u64::MAX);
        assert!(max.build_contiguous(0, &[0x3000]).is_err());
        let empty = Radix3Layout {
            image_size: 0,
            ..huge
        };
        assert!(matches!(
            empty.build(&[], &[], &[]),
            Err(Error::InvalidField { value: 0, .. })
        ));
    }
}
