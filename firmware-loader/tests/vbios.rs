//! VBIOS / FWSEC parsing and FWSEC-FRTS building against synthetic ROMs (tests/support).
#![allow(clippy::cast_possible_truncation)] // test data generation

mod support;

use nvbare_firmware::falcon::{LoadParams, LoadTarget};
use nvbare_firmware::vbios::{
    build_fwsec, build_fwsec_frts, build_fwsec_sb, CodeType, FalconUcodeDesc, FwsecCommand,
    FwsecVariant, RomStart, Vbios,
};
use nvbare_firmware::Error;
use support::{build, default_rom, put16, put32, Leading, Spec};

#[test]
fn parses_the_image_chain() {
    let (rom, _) = default_rom();
    let v = Vbios::parse(&rom).unwrap();
    assert_eq!(v.rom_offset, 0);
    assert_eq!(v.rom_start, RomStart::Direct);
    let got: Vec<_> = v
        .images
        .iter()
        .map(|i| (i.offset, i.len, i.code_type(), i.last))
        .collect();
    assert_eq!(
        got,
        vec![
            (0x000, 0x400, CodeType::PcAt, false),
            (0x400, 0x200, CodeType::Efi, false),
            (0x600, 0x1400, CodeType::NvExtended, true),
        ]
    );
    let x86 = &v.images[0];
    assert_eq!(x86.rom_signature, 0xAA55);
    assert_eq!(x86.pcir_offset, 0x40);
    assert_eq!(x86.pcir.vendor_id, 0x10DE);
    assert_eq!(x86.pcir.device_id, 0x2204);
    assert_eq!(x86.pcir.image_len, 2);
    let npde = x86.npde.unwrap();
    assert_eq!(
        (npde.revision, npde.len, npde.subimage_len, npde.last_image),
        (0x101, 0x0C, 2, Some(0))
    );
    assert_eq!(v.rom().len(), 0x1A00);
    assert_eq!(v.image(CodeType::Efi).unwrap().offset, 0x400);
}

#[test]
fn parses_bit_falcon_data_and_ucode_table() {
    let (rom, _) = default_rom();
    let v = Vbios::parse(&rom).unwrap();
    // The decoy at 0xC0 has a bad checksum and is skipped.
    assert_eq!(v.bit.header.offset, 0x100);
    assert_eq!(
        (
            v.bit.header.header_size,
            v.bit.header.token_size,
            v.bit.header.token_entries
        ),
        (12, 6, 3)
    );
    let toks: Vec<_> = v
        .bit
        .tokens
        .iter()
        .map(|t| (t.id, t.data_version, t.data_size, t.data_ptr))
        .collect();
    assert_eq!(
        toks,
        vec![
            (0x32, 1, 4, 0x1A0),
            (0x70, 1, 4, 0x1A4),
            (0x70, 2, 4, 0x180)
        ]
    );
    // The v2 token is used, not the v1 one (which points at 0xDEADBEEF).
    assert_eq!(v.falcon_data.unwrap().ucode_table_ptr, 0x500);
    // Extended image at 0x600 minus the 0x400-byte PC-AT image.
    assert_eq!(v.expansion_rom_offset, 0x200);
    let t = v.ucode_table.as_ref().unwrap();
    assert_eq!(t.offset, 0x700);
    assert_eq!(
        (
            t.header.version,
            t.header.header_size,
            t.header.entry_size,
            t.header.entry_count
        ),
        (1, 6, 6, 3)
    );
    let e: Vec<_> = t
        .entries
        .iter()
        .map(|e| (e.application_id, e.target_id, e.desc_ptr))
        .collect();
    assert_eq!(
        e,
        vec![(0x45, 7, 0x1240), (0x85, 7, 0x600), (0x10, 0, 0xFFFF_FFF0)]
    );
}

#[test]
fn parses_fwsec_descriptors() {
    let (rom, _) = default_rom();
    let v = Vbios::parse(&rom).unwrap();
    let p = v.fwsec(FwsecVariant::Prod).unwrap();
    assert_eq!(
        (
            p.application_id,
            p.desc_offset,
            p.desc_size,
            p.ucode_offset,
            p.ucode_len
        ),
        (0x85, 0x800, 1580, 0xE2C, 0x400)
    );
    let FalconUcodeDesc::V3(d) = p.desc else {
        panic!("expected v3")
    };
    assert_eq!(d.hdr, 0x062C_0301);
    assert_eq!(
        (
            d.pkc_data_offset,
            d.interface_offset,
            d.imem_load_size,
            d.dmem_load_size
        ),
        (0x180, 0, 0x100, 0x300)
    );
    assert_eq!(
        (
            d.engine_id_mask,
            d.ucode_id,
            d.signature_count,
            d.signature_versions
        ),
        (0x400, 9, 4, 0xA6)
    );
    let b = p.brom_params().unwrap();
    assert_eq!(
        (b.pkc_data_offset, b.engine_id_mask, b.ucode_id),
        (0x180, 0x400, 9)
    );

    let g = v.fwsec(FwsecVariant::Debug).unwrap();
    assert_eq!(
        (
            g.application_id,
            g.desc_offset,
            g.desc_size,
            g.ucode_offset,
            g.ucode_len
        ),
        (0x45, 0x1440, 60, 0x147C, 0x300)
    );
    let FalconUcodeDesc::V2(d) = g.desc else {
        panic!("expected v2")
    };
    assert_eq!(d.hdr, 0x003C_0201);
    assert_eq!(
        (
            d.virtual_entry,
            d.interface_offset,
            d.imem_load_size,
            d.imem_sec_base,
            d.imem_sec_size
        ),
        (0x10, 0x20, 0x100, 0x80, 0x80)
    );
    assert_eq!((d.dmem_offset, d.dmem_load_size), (0x100, 0x200));
    assert!(g.brom_params().is_none());
}

#[test]
fn leading_headers_are_skipped() {
    for (leading, off, start) in [
        (Leading::Junk(0x800), 0x800, RomStart::Scanned),
        (Leading::IfrV1, 0x1000, RomStart::Ifr { version: 1 }),
        (Leading::IfrV3, 0x2000, RomStart::Ifr { version: 3 }),
    ] {
        let (rom, _) = build(Spec {
            leading,
            ..Spec::default()
        });
        let v = Vbios::parse(&rom).unwrap();
        assert_eq!((v.rom_offset, v.rom_start), (off, start), "{leading:?}");
        assert_eq!(v.images.len(), 3);
        assert_eq!(v.fwsec(FwsecVariant::Prod).unwrap().desc_offset, 0x800);
    }
}

#[test]
fn without_efi_the_expansion_offset_is_zero() {
    let (rom, _) = build(Spec {
        efi: false,
        ..Spec::default()
    });
    let v = Vbios::parse(&rom).unwrap();
    assert_eq!(v.images.len(), 2);
    assert_eq!(v.expansion_rom_offset, 0);
    assert_eq!(v.falcon_data.unwrap().ucode_table_ptr, 0x500);
    assert_eq!(v.ucode_table.as_ref().unwrap().offset, 0x500);
    assert_eq!(v.fwsec(FwsecVariant::Prod).unwrap().desc_offset, 0x600);
}

#[test]
fn without_npde_the_pcir_length_and_flag_are_used() {
    let (rom, _) = build(Spec {
        npde: false,
        ..Spec::default()
    });
    let v = Vbios::parse(&rom).unwrap();
    assert!(v.images.iter().all(|i| i.npde.is_none()));
    assert_eq!(
        v.images.iter().map(|i| i.len).collect::<Vec<_>>(),
        vec![0x400, 0x200, 0x1400]
    );
    assert!(v.images[2].last);
}

/// Bytes of the v3 ucode as stored in the ROM (before patching).
fn v3_original(rom: &[u8]) -> Vec<u8> {
    rom[0xE2C..0xE2C + 0x400].to_vec()
}

#[test]
fn fwsec_frts_v3_exact_bytes() {
    let (rom, _) = default_rom();
    let v = Vbios::parse(&rom).unwrap();
    let fw = build_fwsec_frts(&v, 0x1_2345_6000, 0x10_0000, 5).unwrap();
    assert_eq!(
        *fw.load_params(),
        LoadParams {
            imem_ns: None,
            imem_sec: LoadTarget {
                src_start: 0,
                dst_start: 0,
                len: 0x100
            },
            dmem: LoadTarget {
                src_start: 0x100,
                dst_start: 0,
                len: 0x300
            },
            boot_addr: 0,
        }
    );
    let img = fw.image();
    assert_eq!(img.len(), 0x400);
    let mut want = v3_original(&rom);
    // DMEM mapper at DMEM 0x40: init_cmd (+44) = FRTS (0x15). Image offset 0x100 + 0x40 + 44.
    want[0x16C..0x170].copy_from_slice(&[0x15, 0, 0, 0]);
    // Command buffer at DMEM 0x100 = image 0x200: READ_VBIOS {1, 24, 0u64, 0, 2} then
    // FRTS_REGION {1, 20, 0x123456000 >> 12, 0x100000 >> 12, FB = 2}.
    #[rustfmt::skip]
    let cmd: [u8; 44] = [
        0x01, 0, 0, 0,  0x18, 0, 0, 0,  0, 0, 0, 0, 0, 0, 0, 0,  0, 0, 0, 0,  0x02, 0, 0, 0,
        0x01, 0, 0, 0,  0x14, 0, 0, 0,  0x56, 0x34, 0x12, 0x00,  0x00, 0x01, 0, 0,  0x02, 0, 0, 0,
    ];
    want[0x200..0x22C].copy_from_slice(&cmd);
    // Fuse version 5 with signature versions 0b1010_0110: bits 1 and 2 are below bit 5, so
    // signature #2 (filled with 0xA2) goes at DMEM 0x180 = image 0x280..0x400.
    want[0x280..0x400].fill(0xA2);
    assert_eq!(img, &want[..]);
}

#[test]
fn signature_choice_follows_the_fuse_version() {
    let (rom, _) = default_rom();
    let v = Vbios::parse(&rom).unwrap();
    for (fuse, byte) in [(1u32, 0xA0u8), (2, 0xA1), (5, 0xA2), (7, 0xA3)] {
        let fw = build_fwsec_frts(&v, 0x1000, 0x1000, fuse).unwrap();
        assert!(
            fw.image()[0x280..0x400].iter().all(|&b| b == byte),
            "fuse {fuse}"
        );
    }
    for fuse in [0u32, 3, 4, 6, 8, 15, 16, 31, 32, 40, u32::MAX] {
        assert!(
            matches!(
                build_fwsec_frts(&v, 0x1000, 0x1000, fuse),
                Err(Error::FwsecNoSignature {
                    versions: 0xA6,
                    count: 4,
                    ..
                })
            ),
            "fuse {fuse}"
        );
    }
}

#[test]
fn fwsec_sb_writes_only_the_read_vbios_descriptor() {
    let (rom, _) = default_rom();
    let v = Vbios::parse(&rom).unwrap();
    let fw = build_fwsec_sb(&v, 1).unwrap();
    let mut want = v3_original(&rom);
    want[0x16C..0x170].copy_from_slice(&[0x19, 0, 0, 0]);
    want[0x200..0x218].copy_from_slice(&[
        1, 0, 0, 0, 0x18, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0,
    ]);
    want[0x280..0x400].fill(0xA0);
    assert_eq!(fw.image(), &want[..]);
}

#[test]
fn fwsec_v2_load_params_and_patch() {
    let (rom, _) = default_rom();
    let v = Vbios::parse(&rom).unwrap();
    let fw = build_fwsec(
        &v,
        FwsecVariant::Debug,
        FwsecCommand::Frts {
            offset: 0x7FF0_0000,
            size: 0x10_0000,
        },
        0,
    )
    .unwrap();
    assert_eq!(
        *fw.load_params(),
        LoadParams {
            imem_ns: Some(LoadTarget {
                src_start: 0,
                dst_start: 0,
                len: 0x80
            }),
            imem_sec: LoadTarget {
                src_start: 0x80,
                dst_start: 0x80,
                len: 0x80
            },
            dmem: LoadTarget {
                src_start: 0x100,
                dst_start: 0,
                len: 0x200
            },
            boot_addr: 0x10,
        }
    );
    let mut want = rom[0x147C..0x147C + 0x300].to_vec();
    // DMEM at image 0x100; mapper at DMEM 0x80 -> init_cmd at 0x100 + 0x80 + 44 = 0x1AC.
    want[0x1AC..0x1B0].copy_from_slice(&[0x15, 0, 0, 0]);
    // Command buffer at DMEM 0xC0 -> image 0x1C0; 0x7FF00000 >> 12 = 0x7FF00.
    #[rustfmt::skip]
    let cmd: [u8; 44] = [
        1, 0, 0, 0,  0x18, 0, 0, 0,  0, 0, 0, 0, 0, 0, 0, 0,  0, 0, 0, 0,  2, 0, 0, 0,
        1, 0, 0, 0,  0x14, 0, 0, 0,  0x00, 0xFF, 0x07, 0x00,  0x00, 0x01, 0, 0,  2, 0, 0, 0,
    ];
    want[0x1C0..0x1EC].copy_from_slice(&cmd);
    assert_eq!(fw.image(), &want[..]);
}

#[test]
fn bad_frts_regions_are_rejected() {
    let (rom, _) = default_rom();
    let v = Vbios::parse(&rom).unwrap();
    for (off, size) in [
        (0, 0x1000),
        (0x1000, 0),
        (0x1001, 0x1000),
        (0x1000, 0x1800),
        (1u64 << 44, 0x1000),
        (0x1000, 1u64 << 44),
    ] {
        assert!(
            matches!(
                build_fwsec_frts(&v, off, size, 5),
                Err(Error::FwsecFrtsRegion { .. })
            ),
            "{off:#x} {size:#x}"
        );
    }
}

// ---------------------------------------------------------------- malformed input

#[test]
fn every_truncation_is_an_error() {
    let (rom, _) = default_rom();
    for len in 0..rom.len() {
        assert!(
            Vbios::parse(&rom[..len]).is_err(),
            "prefix of {len} bytes parsed"
        );
    }
    let (rom, _) = build(Spec {
        leading: Leading::IfrV3,
        ..Spec::default()
    });
    for len in (0..rom.len()).step_by(7) {
        assert!(
            Vbios::parse(&rom[..len]).is_err(),
            "IFR prefix of {len} bytes parsed"
        );
    }
}

/// Recomputes the checksum of the BIT header at 0x100 after a patch.
fn rebit(r: &mut [u8]) {
    let sum = r[0x100..0x10B].iter().fold(0u8, |a, &b| a.wrapping_add(b));
    r[0x10B] = 0u8.wrapping_sub(sum);
}

fn parse_patched(f: impl FnOnce(&mut Vec<u8>)) -> Result<Vbios, Error> {
    let (mut rom, _) = default_rom();
    f(&mut rom);
    Vbios::parse(&rom)
}

#[test]
fn wrong_magic() {
    // PCIR signature of the EFI image.
    assert!(matches!(
        parse_patched(|r| r[0x440] = b'X'),
        Err(Error::BadMagic {
            what: "PCI data structure",
            ..
        })
    ));
    // ROM signature of the extended image.
    assert!(matches!(
        parse_patched(|r| r[0x600] = 0),
        Err(Error::BadMagic {
            what: "ROM header signature",
            ..
        })
    ));
    // No BIT header at all: break the real one's checksum (the decoy is already broken).
    assert!(matches!(
        parse_patched(|r| r[0x10B] ^= 1),
        Err(Error::VbiosNoBitHeader)
    ));
    // No ROM header anywhere.
    assert!(matches!(
        Vbios::parse(&[0xEE; 4096]),
        Err(Error::VbiosNoRomImage { input_len: 4096 })
    ));
    assert!(matches!(
        Vbios::parse(&[]),
        Err(Error::VbiosNoRomImage { input_len: 0 })
    ));
    // IFR v3 with a broken ROM directory, and an unknown IFR version.
    let (mut rom, _) = build(Spec {
        leading: Leading::IfrV3,
        ..Spec::default()
    });
    rom[0x1100] = b'X';
    assert!(matches!(
        Vbios::parse(&rom),
        Err(Error::BadMagic {
            what: "ROM directory",
            ..
        })
    ));
    let (mut rom, _) = build(Spec {
        leading: Leading::IfrV1,
        ..Spec::default()
    });
    rom[5] = 9;
    assert!(matches!(Vbios::parse(&rom), Err(Error::VbiosIfrVersion(9))));
    // Ucode table version, descriptor version, descriptor without version flag.
    assert!(matches!(
        parse_patched(|r| r[0x700] = 2),
        Err(Error::UnsupportedVersion {
            what: "falcon ucode table",
            version: 2
        })
    ));
    assert!(matches!(
        parse_patched(|r| r[0x801] = 4),
        Err(Error::UnsupportedVersion {
            what: "falcon ucode descriptor",
            version: 4
        })
    ));
    assert!(matches!(
        parse_patched(|r| r[0x800] = 0),
        Err(Error::UnsupportedVersion { version: 1, .. })
    ));
}

#[test]
fn pointers_outside_the_rom() {
    // Falcon data -> ucode table pointer.
    assert!(matches!(
        parse_patched(|r| put32(r, 0x180, 0xFFFF_0000)),
        Err(Error::OutOfBounds {
            what: "falcon ucode table",
            ..
        })
    ));
    assert!(matches!(
        parse_patched(|r| put32(r, 0x180, 0x1A00 - 0x200 - 3)),
        Err(Error::OutOfBounds { .. })
    ));
    // BIT token data pointer.
    assert!(matches!(
        parse_patched(|r| put16(r, 0x10C + 12 + 4, 0xFFFE)),
        Err(Error::OutOfBounds {
            what: "BIT Falcon data",
            ..
        })
    ));
    // FWSEC descriptor pointer.
    assert!(matches!(
        parse_patched(|r| put32(r, 0x700 + 6 + 6 + 2, 0x1900)),
        Err(Error::OutOfBounds { .. })
    ));
    // PCIR pointer of the x86 image.
    assert!(matches!(
        parse_patched(|r| put16(r, 0x18, 0xFFF0)),
        Err(Error::OutOfBounds {
            what: "PCI data structure",
            ..
        })
    ));
    // BIT token table running past the ROM.
    let r = parse_patched(|r| {
        r[0x109] = 255;
        r[0x10A] = 255;
        rebit(r);
    });
    assert!(
        matches!(
            r,
            Err(Error::OutOfBounds {
                what: "BIT token",
                ..
            })
        ),
        "{r:?}"
    );
    // Extended image longer than the input.
    assert!(matches!(
        parse_patched(|r| put16(r, 0x668, 0x20)),
        Err(Error::OutOfBounds {
            what: "ROM image",
            ..
        })
    ));
}

#[test]
fn overflowing_sizes() {
    // v3 IMEM load size 0xFFFFFFFF: the ucode cannot be in the ROM.
    assert!(matches!(
        parse_patched(|r| put32(r, 0x800 + 20, u32::MAX)),
        Err(Error::OutOfBounds {
            what: "FWSEC ucode",
            ..
        })
    ));
    // More signatures than the descriptor size holds.
    assert!(matches!(
        parse_patched(|r| r[0x800 + 39] = 200),
        Err(Error::TooSmall { .. })
    ));
    // Descriptor size below the v3 minimum.
    assert!(matches!(
        parse_patched(|r| put16(r, 0x802, 20)),
        Err(Error::TooSmall { min: 44, .. })
    ));
    // Table entry size below 6, BIT token size below 6.
    assert!(matches!(
        parse_patched(|r| r[0x702] = 5),
        Err(Error::TooSmall { min: 6, .. })
    ));
    let r = parse_patched(|r| {
        r[0x109] = 5;
        rebit(r);
    });
    assert!(
        matches!(
            r,
            Err(Error::TooSmall {
                what: "BIT token size",
                ..
            })
        ),
        "{r:?}"
    );
    // 255 table entries run past the ROM.
    assert!(matches!(
        parse_patched(|r| {
            r[0x702] = 255;
            r[0x703] = 255
        }),
        Err(Error::OutOfBounds { .. })
    ));
}

fn build_patched(f: impl FnOnce(&mut Vec<u8>)) -> Result<(), Error> {
    let (mut rom, _) = default_rom();
    f(&mut rom);
    let v = Vbios::parse(&rom)?;
    build_fwsec_frts(&v, 0x1000, 0x1000, 5).map(|_| ())
}

#[test]
fn fwsec_build_errors() {
    let dmem = 0xE2C + 0x100;
    // PKC data offset puts the signature outside DMEM.
    assert!(matches!(
        build_patched(|r| put32(r, 0x808, 0x200)),
        Err(Error::OutOfBounds { .. })
    ));
    assert!(matches!(
        build_patched(|r| put32(r, 0x808, 0xFFFF_FF00)),
        Err(Error::OutOfBounds { .. })
    ));
    // Interface table outside DMEM.
    assert!(matches!(
        build_patched(|r| put32(r, 0x80C, 0x300)),
        Err(Error::OutOfBounds { .. })
    ));
    // Interface header version.
    assert!(matches!(
        build_patched(|r| r[dmem] = 2),
        Err(Error::UnsupportedVersion { version: 2, .. })
    ));
    // Entries smaller than 8 bytes.
    assert!(matches!(
        build_patched(|r| r[dmem + 2] = 4),
        Err(Error::TooSmall { .. })
    ));
    // No DMEM mapper.
    assert!(matches!(
        build_patched(|r| put32(r, dmem + 12, 5)),
        Err(Error::FwsecNoDmemMapper)
    ));
    // DMEM mapper / command buffer outside DMEM.
    assert!(matches!(
        build_patched(|r| put32(r, dmem + 16, 0x2F0)),
        Err(Error::OutOfBounds {
            what: "FWSEC DMEM mapper",
            ..
        })
    ));
    assert!(matches!(
        build_patched(|r| put32(r, dmem + 0x40 + 8, 0x2E0)),
        Err(Error::OutOfBounds {
            what: "FWSEC command buffer",
            ..
        })
    ));
    assert!(matches!(
        build_patched(|r| put32(r, dmem + 0x40 + 8, u32::MAX)),
        Err(Error::Overflow { .. } | Error::OutOfBounds { .. })
    ));
    // Entry count pointing past DMEM.
    assert!(matches!(
        build_patched(|r| {
            r[dmem + 3] = 255;
            put32(r, dmem + 12, 5)
        }),
        Err(Error::OutOfBounds { .. })
    ));
    // No FWSEC entry at all: production entry renamed.
    assert!(matches!(
        build_patched(|r| r[0x700 + 12] = 0x11),
        Err(Error::VbiosMissing(_))
    ));
}

#[test]
fn chains_terminate() {
    // No image flagged last: the walk runs off the end.
    let r = parse_patched(|r| {
        r[0x600 + 0x55] = 0;
        r[0x600 + 0x6A] = 0;
    });
    assert!(
        matches!(r, Err(Error::VbiosChainUnterminated { offset: 0x1A00 })),
        "{r:?}"
    );
    // Zero lengths in both PCIR and NPDE (an NPDE of length 0 is ignored).
    let r = parse_patched(|r| {
        put16(r, 0x450, 0);
        put16(r, 0x468, 0);
    });
    assert!(
        matches!(r, Err(Error::VbiosZeroImageLength { offset: 0x400 })),
        "{r:?}"
    );
    // 40 one-block images, none last.
    let mut rom = vec![0u8; 40 * 512];
    for i in 0..40 {
        let at = i * 512;
        put16(&mut rom, at, 0xAA55);
        put16(&mut rom, at + 0x18, 0x20);
        rom[at + 0x20..at + 0x24].copy_from_slice(b"PCIR");
        put16(&mut rom, at + 0x2A, 0x18);
        put16(&mut rom, at + 0x30, 1);
    }
    assert!(matches!(
        Vbios::parse(&rom),
        Err(Error::VbiosTooManyImages { limit: 32 })
    ));
    // An NBSI image ends the chain even though it is not flagged last.
    let (mut rom, _) = default_rom();
    rom[0x400 + 0x54] = 0x70;
    let images = nvbare_firmware::vbios::rom::walk_images(&rom).unwrap();
    assert_eq!(
        images
            .iter()
            .map(|i| (i.offset, i.last))
            .collect::<Vec<_>>(),
        vec![(0, false), (0x400, true)]
    );
}

/// Deterministic byte mutations of the synthetic ROM: parse and build never panic.
#[test]
fn mutations_never_panic() {
    let (rom, _) = default_rom();
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut parsed = 0;
    for _ in 0..3000 {
        let mut m = rom.clone();
        for _ in 0..(next() % 4 + 1) {
            let at = (next() % m.len() as u64) as usize;
            m[at] = next() as u8;
        }
        if let Ok(v) = Vbios::parse(&m) {
            parsed += 1;
            let _ = build_fwsec_frts(&v, 0x1000, 0x10_0000, (next() % 9) as u32);
            let _ = build_fwsec(&v, FwsecVariant::Debug, FwsecCommand::Sb, 0);
        }
    }
    assert!(parsed > 0);
}

/// The parsed structures are `Serialize` (for the `inspect` example's JSON output).
#[cfg(feature = "serde")]
#[test]
fn parsed_structures_are_serializable() {
    fn serializable<T: serde::Serialize>(_: &T) {}
    let (rom, _) = default_rom();
    let v = Vbios::parse(&rom).unwrap();
    serializable(&v);
    serializable(v.fwsec(FwsecVariant::Prod).unwrap());
}
