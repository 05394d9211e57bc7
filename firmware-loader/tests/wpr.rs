//! `GspFwWprMeta` layout computation, checked against hand computations of OpenRM's
//! `kgspCalculateFbLayout_TU102` / `_kgspCalculateFwHeapSize` (tags 535.113.01 and 570.144).

use nvbare_firmware::abi::{FirmwareVersion, WprMetaLayout};
use nvbare_firmware::wpr::{self, GspFwWprMeta, WprInputs, WPR_META_MAGIC};
use nvbare_firmware::{Chipset, Error};

const MIB: u64 = 1 << 20;

fn inputs(chip: Chipset, version: FirmwareVersion, fb_size: u64, image: u64, bl: u64) -> WprInputs {
    WprInputs {
        chip,
        version,
        fb_size,
        vga_workspace_base: None,
        mmu_lock_lo: None,
        gsp_image_size: image,
        bootloader_size: bl,
        bootloader_code_offset: 0x1800,
        bootloader_data_offset: 0x800,
        bootloader_manifest_offset: 0,
        sysmem_addr_of_radix3_elf: 0x1_0000_0000,
        sysmem_addr_of_bootloader: 0x1_1000_0000,
        sysmem_addr_of_signature: 0x1_2000_0000,
        size_of_signature: 0x1000,
        clock_boost: false,
    }
}

/// GA102, r570, 24 GiB, no display workspace register, ga102 gsp-570.144.bin (.fwimage 0x3c99000)
/// and bootloader-570.144.bin (payload 0x6000):
/// vga = fb - 1 MiB = 0x5fff00000; wprEnd = align128K(vga) = 0x5fff00000; frts = 0x5ffe00000 (1 MiB);
/// boot = align4K(0x5ffe00000 - 0x6000) = 0x5ffdfa000; elf = align64K(0x5ffdfa000 - 0x3c99000 = 0x5fc161000)
/// = 0x5fc160000; heap = 22 (LIBOS3) + 8 (base) + align1M(96K * 24 GiB = 2304K) = 3 + 96 (clients) = 129 MiB
/// (min 88; pre-scrubbed max = 256 - (1 + 1) - align1M(fb - elf = 0x3ea0000) = 256 - 2 - 63 = 191 MiB);
/// heapOffset = align1M(0x5fc160000 - 0x8100000 = 0x5f4060000) = 0x5f4000000; heapSize = align1M(0x8160000)
/// = 0x8100000; wprStart = heapOffset - 1 MiB = 0x5f3f00000; nonWpr = 0x5f3e00000, 1 MiB.
#[test]
fn ga102_r570_24g() {
    let m = wpr::compute(&inputs(
        Chipset::Ga102,
        FirmwareVersion::R570_144,
        24 << 30,
        0x3c9_9000,
        0x6000,
    ))
    .unwrap();
    assert_eq!(m.vga_workspace_offset, 0x5_fff0_0000);
    assert_eq!(m.vga_workspace_size, MIB);
    assert_eq!(m.gsp_fw_wpr_end, 0x5_fff0_0000);
    assert_eq!((m.frts_offset, m.frts_size), (0x5_ffe0_0000, MIB));
    assert_eq!(m.boot_bin_offset, 0x5_ffdf_a000);
    assert_eq!(m.gsp_fw_offset, 0x5_fc16_0000);
    assert_eq!(
        (m.gsp_fw_heap_offset, m.gsp_fw_heap_size),
        (0x5_f400_0000, 0x810_0000)
    );
    assert_eq!(m.gsp_fw_wpr_start, 0x5_f3f0_0000);
    assert_eq!(
        (m.non_wpr_heap_offset, m.non_wpr_heap_size),
        (0x5_f3e0_0000, MIB)
    );
    assert_eq!(m.gsp_fw_rsvd_start, 0x5_f3e0_0000);
    assert_eq!(
        (m.size_of_radix3_elf, m.size_of_bootloader, m.fb_size),
        (0x3c9_9000, 0x6000, 24 << 30)
    );
    assert_eq!(
        (m.magic, m.revision, m.verified, m.flags),
        (WPR_META_MAGIC, 1, 0, 0)
    );
}

/// TU102, r535, 8 GiB, VGA workspace register pointing below the PRAMIN window (so the workspace
/// moves to fb - 128 KiB), tu102 gsp-535.113.01.bin (.fwimage 0x16a3350), bootloader payload 0x1000:
/// vga = 0x1fffe0000; wprEnd = 0x1fffe0000; frts = 0x1ffee0000; boot = align4K(0x1ffedf000) = 0x1ffedf000;
/// elf = align64K(0x1ffedf000 - 0x16a3350 = 0x1fe83bcb0) = 0x1fe830000;
/// heap = 0 (LIBOS2) + 8 + align1M(96K * 8) = 1 + 96 = 105 MiB (min 64; r535 max = 256 MiB - (fb - elf
/// = 0x17d0000) = 232 MiB); heapOffset = align1M(0x1fe830000 - 0x6900000 = 0x1f7f30000) = 0x1f7f00000;
/// heapSize = align1M(0x6930000) = 0x6900000; wprStart = 0x1f7e00000; nonWpr = 0x1f7d00000.
#[test]
fn tu102_r535_8g_with_display() {
    let mut i = inputs(
        Chipset::Tu102,
        FirmwareVersion::R535_113_01,
        8 << 30,
        0x16a_3350,
        0x1000,
    );
    i.vga_workspace_base = Some(0x1_0000_0000);
    let m = wpr::compute(&i).unwrap();
    assert_eq!(
        (m.vga_workspace_offset, m.vga_workspace_size),
        (0x1_fffe_0000, 0x2_0000)
    );
    assert_eq!(m.gsp_fw_wpr_end, 0x1_fffe_0000);
    assert_eq!(m.frts_offset, 0x1_ffee_0000);
    assert_eq!(m.boot_bin_offset, 0x1_ffed_f000);
    assert_eq!(m.gsp_fw_offset, 0x1_fe83_0000);
    assert_eq!(
        (m.gsp_fw_heap_offset, m.gsp_fw_heap_size),
        (0x1_f7f0_0000, 0x690_0000)
    );
    assert_eq!(m.gsp_fw_wpr_start, 0x1_f7e0_0000);
    assert_eq!(m.non_wpr_heap_offset, 0x1_f7d0_0000);
    // A workspace register inside the PRAMIN window is used as is.
    i.vga_workspace_base = Some((8 << 30) - 0x4_0000);
    let m = wpr::compute(&i).unwrap();
    assert_eq!(
        (m.vga_workspace_offset, m.gsp_fw_wpr_end),
        ((8 << 30) - 0x4_0000, (8 << 30) - 0x4_0000)
    );
    // An MMU-locked range below the workspace lowers the WPR end (128 KiB aligned).
    i.mmu_lock_lo = Some(0x1_ffc0_1234);
    assert_eq!(wpr::compute(&i).unwrap().gsp_fw_wpr_end, 0x1_ffc0_0000);
    // One so low that the regions after the heap exceed the 256 MiB pre-scrubbed area cannot be
    // laid out (OpenRM's unsigned subtraction would wrap there).
    i.mmu_lock_lo = Some(0x1_f000_0000);
    assert!(matches!(
        wpr::compute(&i),
        Err(Error::LayoutDoesNotFit { .. })
    ));
}

/// GA100 has no FRTS; Ada has a scrubber, so the pre-scrubbed limit does not cap the heap; a tiny
/// FB on GA102 is capped by it.
#[test]
fn chip_specific_rules() {
    let m = wpr::compute(&inputs(
        Chipset::Ga100,
        FirmwareVersion::R570_144,
        40 << 30,
        0x1b3_4ea0,
        0x1000,
    ))
    .unwrap();
    assert_eq!((m.frts_size, m.frts_offset), (0, m.gsp_fw_wpr_end));
    // GA100 (LIBOS2): 0 + 8 + align1M(96K*40 = 3840K) = 4 + 96 = 108 MiB.
    assert_eq!(m.gsp_fw_heap_size, 108 * MIB);
    // AD102 48 GiB r570: 22 + 8 + align1M(96K*48 = 4608K) = 5 + 96 = 131 MiB.
    let m = wpr::compute(&inputs(
        Chipset::Ad102,
        FirmwareVersion::R570_144,
        48 << 30,
        0x3c9_9000,
        0x9000,
    ))
    .unwrap();
    assert_eq!(m.gsp_fw_heap_size, 131 * MIB);
    // AD102 r535 (LIBOS3 carve-out 20 MiB): 129 MiB.
    let m = wpr::compute(&inputs(
        Chipset::Ad102,
        FirmwareVersion::R535_113_01,
        48 << 30,
        0x244_8000,
        0x8000,
    ))
    .unwrap();
    assert_eq!(m.gsp_fw_heap_size, 129 * MIB);
    // GA102 r570 with a 0x9000000-byte image on 1 GiB: heap would be 22+8+1+96 = 127 MiB, but the
    // pre-scrubbed 256 MiB minus 2 MiB before and align1M(fb - elf) after it leaves less.
    let m = wpr::compute(&inputs(
        Chipset::Ga102,
        FirmwareVersion::R570_144,
        1 << 30,
        0x900_0000,
        0x6000,
    ))
    .unwrap();
    let post = ((1u64 << 30) - m.gsp_fw_offset).div_ceil(MIB) * MIB;
    assert_eq!(
        m.gsp_fw_heap_size,
        (256 * MIB - 2 * MIB - post) & !(MIB - 1)
    );
    assert!(m.gsp_fw_heap_size < 127 * MIB);
}

#[test]
fn unsupported_and_impossible_layouts() {
    for chip in [Chipset::Gh100, Chipset::Gb202] {
        assert!(matches!(
            wpr::compute(&inputs(
                chip,
                FirmwareVersion::R570_144,
                80 << 30,
                0x3c9_9000,
                0x29000
            )),
            Err(Error::UnsupportedChip { .. })
        ));
    }
    for fb in [0, MIB, 64 * MIB] {
        let e = wpr::compute(&inputs(
            Chipset::Ga102,
            FirmwareVersion::R570_144,
            fb,
            0x3c9_9000,
            0x6000,
        ));
        assert!(
            matches!(e, Err(Error::LayoutDoesNotFit { .. })),
            "fb {fb:#x}: {e:?}"
        );
    }
    let e = wpr::compute(&inputs(
        Chipset::Ga102,
        FirmwareVersion::R570_144,
        u64::MAX,
        u64::MAX,
        u64::MAX,
    ));
    assert!(e.is_err());
    // Extreme frame-buffer sizes on every chip and version: a result or a typed error, never a
    // panic (the heap arithmetic is checked).
    for &chip in Chipset::ALL {
        for &version in FirmwareVersion::ALL {
            for fb in [u64::MAX, u64::MAX - 0xfff, 1 << 63, (1 << 63) - 1] {
                let mut i = inputs(chip, version, fb, 0x3c9_9000, 0x6000);
                let _ = wpr::compute(&i);
                i.vga_workspace_base = Some(fb - 1);
                i.mmu_lock_lo = Some(0);
                let _ = wpr::compute(&i);
            }
        }
    }
    let mut i = inputs(
        Chipset::Ga102,
        FirmwareVersion::R570_144,
        24 << 30,
        0x3c9_9000,
        0x6000,
    );
    i.vga_workspace_base = Some((24 << 30) + 1);
    assert!(matches!(wpr::compute(&i), Err(Error::InvalidField { .. })));
}

#[test]
fn bytes_layout_r535_and_r570() {
    let mut i = inputs(
        Chipset::Ga102,
        FirmwareVersion::R570_144,
        24 << 30,
        0x3c9_9000,
        0x6000,
    );
    i.clock_boost = true;
    let mut m = wpr::compute(&i).unwrap();
    m.pmu_reserved_size = 0x1234_5678;
    m.gsp_fw_heap_vf_partition_count = 7;
    let b = m.to_bytes(WprMetaLayout::R570);
    assert_eq!(&b[0..8], &WPR_META_MAGIC.to_le_bytes());
    assert_eq!(&b[8..16], &1u64.to_le_bytes());
    assert_eq!(&b[0x10..0x18], &0x1_0000_0000u64.to_le_bytes()); // sysmemAddrOfRadix3Elf
    assert_eq!(&b[0x48..0x50], &0x1_2000_0000u64.to_le_bytes()); // sysmemAddrOfSignature
    assert_eq!(&b[0x58..0x60], &m.gsp_fw_rsvd_start.to_le_bytes()); // gspFwRsvdStart
    assert_eq!(&b[0x88..0x90], &m.gsp_fw_offset.to_le_bytes()); // gspFwOffset
    assert_eq!(&b[0xb0..0xb8], &(24u64 << 30).to_le_bytes()); // fbSize
    assert_eq!((b[0xf0], b[0xf1]), (7, 1)); // vf partitions, flags (CLOCK_BOOST)
    assert_eq!(&b[0xf4..0xf8], &0x1234_5678u32.to_le_bytes());
    assert_eq!(
        GspFwWprMeta::from_bytes(&b, WprMetaLayout::R570).unwrap(),
        m
    );
    // r535 has padding where r570 has flags and pmuReservedSize.
    let b = m.to_bytes(WprMetaLayout::R535);
    assert_eq!(&b[0xf1..0xf8], &[0; 7]);
    let back = GspFwWprMeta::from_bytes(&b, WprMetaLayout::R535).unwrap();
    assert_eq!(
        (
            back.flags,
            back.pmu_reserved_size,
            back.gsp_fw_heap_vf_partition_count
        ),
        (0, 0, 7)
    );
    assert!(matches!(
        GspFwWprMeta::from_bytes(&b[..255], WprMetaLayout::R535),
        Err(Error::OutOfBounds { .. })
    ));
    assert!(matches!(
        GspFwWprMeta::from_bytes(&[0; 256], WprMetaLayout::R535),
        Err(Error::BadMagic { .. })
    ));
}
