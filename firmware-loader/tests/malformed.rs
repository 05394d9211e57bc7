//! Malformed inputs: every truncation, out-of-range offsets and lengths, overflowing values and
//! wrong magics give a typed error and never a panic.

#![allow(clippy::cast_possible_truncation)]

mod common;

use common::hs_off;
use nvbare_firmware::booter::HsImage;
use nvbare_firmware::bootloader::{FalconBootloader, RiscvBootloader};
use nvbare_firmware::fmc::FmcImage;
use nvbare_firmware::gsp::GspImage;
use nvbare_firmware::Error;

fn set32(f: &mut [u8], off: usize, v: u32) {
    f[off..off + 4].copy_from_slice(&v.to_le_bytes());
}

#[test]
fn bin_containers_truncated_at_every_length() {
    for (name, full) in [
        ("hs", common::hs_image(2, 0x40)),
        ("riscv v4", common::riscv_bootloader(4)),
        ("riscv v5", common::riscv_bootloader(5)),
        ("falcon bl", common::falcon_bootloader()),
    ] {
        for len in 0..full.len() {
            let t = &full[..len];
            // The payload ends the file, so every shorter input lacks part of a header or of the
            // payload: always an out-of-bounds read.
            let e = match name {
                "hs" => HsImage::parse(t).map(|_| ()),
                "falcon bl" => FalconBootloader::parse(t).map(|_| ()),
                _ => RiscvBootloader::parse(t).map(|_| ()),
            };
            assert!(
                matches!(e, Err(Error::OutOfBounds { .. })),
                "{name} truncated to {len}: {e:?}"
            );
        }
    }
}

#[test]
fn elf_images_truncated_at_every_length() {
    let gsp = common::gsp_elf();
    for len in 0..gsp.len() {
        let e = GspImage::parse(&gsp[..len]);
        assert!(
            matches!(
                e,
                Err(Error::Elf { .. }
                    | Error::MissingSection { .. }
                    | Error::InvalidField { .. }
                    | Error::OutOfBounds { .. })
            ),
            "gsp truncated to {len}: {e:?}"
        );
    }
    let fmc = common::fmc_elf();
    for len in 0..fmc.len() {
        let e = FmcImage::parse(&fmc[..len]);
        assert!(e.is_err(), "fmc truncated to {len}");
    }
}

#[test]
fn hs_offsets_outside_the_file() {
    let good = common::hs_image(2, 0x40);
    let cases: &[(usize, u32, &str)] = &[
        (
            hs_off::SIG_PROD_OFFSET,
            0x10_0000,
            "signatures past the end",
        ),
        (
            hs_off::SIG_PROD_OFFSET,
            u32::MAX,
            "signature offset at u32::MAX",
        ),
        (
            hs_off::PATCH_LOC_OFFSET,
            u32::MAX - 1,
            "patch location pointer at u32::MAX",
        ),
        (
            hs_off::LOAD_HEADER_OFFSET,
            u32::MAX,
            "load header at u32::MAX",
        ),
        (
            hs_off::LOAD_HEADER_SIZE,
            u32::MAX,
            "load header size u32::MAX",
        ),
        (hs_off::BIN_DATA_OFFSET, u32::MAX, "payload offset u32::MAX"),
        (hs_off::BIN_DATA_SIZE, u32::MAX, "payload size u32::MAX"),
        (0x0c, u32::MAX, "application header offset u32::MAX"),
    ];
    for &(off, v, what) in cases {
        let mut f = good.clone();
        set32(&mut f, off, v);
        let e = HsImage::parse(&f);
        assert!(matches!(e, Err(Error::OutOfBounds { .. })), "{what}: {e:?}");
    }
}

#[test]
fn hs_invalid_values() {
    let good = common::hs_image(2, 0x40);
    let patch_loc_ptr =
        u32::from_le_bytes(good[hs_off::PATCH_LOC_OFFSET..][..4].try_into().unwrap()) as usize;
    let num_sig_ptr = patch_loc_ptr + 20;

    // Signature patch location beyond the payload: u32::MAX + signature size.
    let mut f = good.clone();
    set32(&mut f, patch_loc_ptr, u32::MAX);
    assert!(matches!(
        HsImage::parse(&f),
        Err(Error::OutOfBounds {
            what: "HS patch location + signature size",
            ..
        })
    ));
    // Patch location before the DMEM data start.
    let mut f = good.clone();
    set32(&mut f, patch_loc_ptr, 0x10);
    assert!(matches!(
        HsImage::parse(&f),
        Err(Error::InvalidField {
            what: "HS patch location",
            ..
        })
    ));
    // Zero signatures, and a count that does not divide the signature block.
    let mut f = good.clone();
    set32(&mut f, num_sig_ptr, 0);
    assert!(matches!(
        HsImage::parse(&f),
        Err(Error::InvalidField {
            what: "HS signature count",
            ..
        })
    ));
    let mut f = good.clone();
    set32(&mut f, num_sig_ptr, 3);
    assert!(matches!(
        HsImage::parse(&f),
        Err(Error::InvalidField {
            what: "nvfw_hs_header_v2.sig_prod_size",
            ..
        })
    ));
    // Metadata of the wrong size.
    let mut f = good.clone();
    set32(&mut f, hs_off::META_SIZE, 13);
    assert!(matches!(
        HsImage::parse(&f),
        Err(Error::InvalidField {
            what: "nvfw_hs_header_v2.meta_data_size",
            ..
        })
    ));
    // Load header too small for its apps; no app.
    let mut f = good.clone();
    set32(&mut f, hs_off::LOAD_HEADER_SIZE, 24);
    assert!(matches!(HsImage::parse(&f), Err(Error::OutOfBounds { .. })));
    let load =
        u32::from_le_bytes(good[hs_off::LOAD_HEADER_OFFSET..][..4].try_into().unwrap()) as usize;
    let mut f = good.clone();
    set32(&mut f, load + 16, 0);
    assert!(matches!(
        HsImage::parse(&f),
        Err(Error::InvalidField {
            what: "nvfw_hs_load_header_v2.num_apps",
            ..
        })
    ));
    // An app count whose record size overflows u32 arithmetic still fails cleanly.
    let mut f = good.clone();
    set32(&mut f, load + 16, u32::MAX);
    assert!(matches!(HsImage::parse(&f), Err(Error::OutOfBounds { .. })));
    // IMEM load range past the payload.
    let mut f = good.clone();
    set32(&mut f, load + 24, 0x1000);
    assert!(matches!(
        HsImage::parse(&f),
        Err(Error::OutOfBounds {
            what: "falcon secure IMEM load",
            ..
        })
    ));
    let mut f = good.clone();
    set32(&mut f, load + 20, u32::MAX);
    assert!(matches!(HsImage::parse(&f), Err(Error::Overflow { .. })));
    // engine_id_mask wider than 16 bits.
    let mut f = good.clone();
    set32(&mut f, patch_loc_ptr + 12, 0x1_0000);
    assert!(matches!(
        HsImage::parse(&f),
        Err(Error::InvalidField {
            what: "HS signature parameters.engine_id_mask",
            ..
        })
    ));
    // Fuse version with no signature.
    let h = HsImage::parse(&good).unwrap();
    assert!(matches!(
        h.sign_for_fuse(2),
        Err(Error::NoSignatureForFuse {
            fuse_version: 2,
            num_sigs: 2
        })
    ));
}

#[test]
fn signature_choice_with_edited_public_fields() {
    // `num_sigs` and `sig_size` are public: edited values are typed errors, never a panic.
    let mut h = HsImage::parse(&common::hs_image(2, 0x40)).unwrap();
    assert_eq!(h.signature_index_for_fuse(1).unwrap(), 0);
    assert_eq!(h.signature_index_for_fuse(0).unwrap(), 1);
    assert!(matches!(
        h.signature_index_for_fuse(2),
        Err(Error::NoSignatureForFuse {
            fuse_version: 2,
            num_sigs: 2
        })
    ));
    h.num_sigs = 0;
    assert!(matches!(
        h.signature_index_for_fuse(0),
        Err(Error::NoSignatureForFuse {
            fuse_version: 0,
            num_sigs: 0
        })
    ));
    assert_eq!(h.signatures().count(), 0);
    h.num_sigs = 3;
    assert!(
        matches!(
            h.sign_for_fuse(0),
            Err(Error::NoSignatureForFuse {
                fuse_version: 0,
                num_sigs: 3
            })
        ),
        "index 2 lies past the two signatures in the file"
    );
    let mut h = HsImage::parse(&common::hs_image(2, 0x40)).unwrap();
    h.sig_size = u32::MAX;
    assert!(h.signature(1).is_none());
    assert!(h.sign_for_fuse(1).is_err());
}

#[test]
fn wrong_magic() {
    let mut f = common::hs_image(1, 16);
    f[0] = 0xdf;
    assert!(matches!(
        HsImage::parse(&f),
        Err(Error::BadMagic {
            expected: 0x10de,
            found: 0x10df,
            ..
        })
    ));
    assert!(matches!(
        RiscvBootloader::parse(&f),
        Err(Error::BadMagic { .. })
    ));
    assert!(matches!(
        FalconBootloader::parse(&f),
        Err(Error::BadMagic { .. })
    ));
    let mut g = common::gsp_elf();
    g[1] = b'X';
    assert!(matches!(GspImage::parse(&g), Err(Error::Elf { .. })));
    let mut m = common::fmc_elf();
    m[0] = 0;
    assert!(matches!(FmcImage::parse(&m), Err(Error::Elf { .. })));
}

#[test]
fn riscv_descriptor_errors() {
    let good = common::riscv_bootloader(5);
    let mut f = good.clone();
    set32(&mut f, 0x18, 9);
    assert!(matches!(
        RiscvBootloader::parse(&f),
        Err(Error::InvalidField {
            what: "RM_RISCV_UCODE_DESC.version",
            value: 9,
            ..
        })
    ));
    // Monitor code (word 12/13) beyond the payload.
    let mut f = good.clone();
    set32(&mut f, 0x18 + 13 * 4, 0x1000);
    assert!(matches!(
        RiscvBootloader::parse(&f),
        Err(Error::OutOfBounds {
            what: "RISC-V bootloader: monitor code",
            ..
        })
    ));
    let mut f = good;
    set32(&mut f, 0x18 + 8 * 4, u32::MAX);
    assert!(matches!(
        RiscvBootloader::parse(&f),
        Err(Error::OutOfBounds {
            what: "RISC-V bootloader: manifest",
            ..
        })
    ));
    let mut f = common::falcon_bootloader();
    set32(&mut f, 0x18, 0x0100_0000);
    assert!(matches!(
        FalconBootloader::parse(&f),
        Err(Error::InvalidField { .. })
    ));
}

#[test]
fn gsp_elf_content_errors() {
    let img: &[u8] = &[0; 16];
    // ELF32 is not a GSP-RM image.
    let e = common::elf(
        false,
        0xf3,
        &[
            (".fwimage", img),
            (".fwversion", b"1\0"),
            (".fwsignature_ga10x", img),
        ],
    );
    assert!(matches!(
        GspImage::parse(&e),
        Err(Error::InvalidField {
            what: "GSP-RM ELF class",
            ..
        })
    ));
    // Version without NUL, and with an embedded NUL.
    for v in [&b"570.144"[..], b"57\x00.144\0", b""] {
        let e = common::elf(
            true,
            0xf3,
            &[
                (".fwimage", img),
                (".fwversion", v),
                (".fwsignature_ga10x", img),
            ],
        );
        assert!(
            matches!(
                GspImage::parse(&e),
                Err(Error::InvalidField {
                    what: ".fwversion",
                    ..
                })
            ),
            "{v:?}"
        );
    }
    // No signature, no image, no version.
    let e = common::elf(true, 0xf3, &[(".fwimage", img), (".fwversion", b"1\0")]);
    assert!(matches!(
        GspImage::parse(&e),
        Err(Error::MissingSection { .. })
    ));
    let e = common::elf(
        true,
        0xf3,
        &[(".fwversion", b"1\0"), (".fwsignature_ga10x", img)],
    );
    assert!(
        matches!(GspImage::parse(&e), Err(Error::MissingSection { section, .. }) if section == ".fwimage")
    );
    // A section whose offset lies past the end of the file.
    let mut e = common::gsp_elf();
    let shoff = u64::from_le_bytes(e[0x28..0x30].try_into().unwrap()) as usize;
    let sh1_offset = shoff + 64 + 24;
    e[sh1_offset..sh1_offset + 8].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(matches!(GspImage::parse(&e), Err(Error::Elf { .. })));
    // Signature for a family the image lacks.
    let g = common::gsp_elf();
    let g = GspImage::parse(&g).unwrap();
    assert!(matches!(
        g.signature_for(nvbare_firmware::Chipset::Ad102, false),
        Err(Error::MissingSection { .. })
    ));
    assert_eq!(
        g.signature_for(nvbare_firmware::Chipset::Tu104, false)
            .unwrap(),
        &[0x22; 32]
    );
}

#[test]
fn fmc_content_errors() {
    let ok = |h: usize, s: usize, p: usize, i: usize| {
        let (h, s, p, i) = (vec![1u8; h], vec![2u8; s], vec![3u8; p], vec![4u8; i]);
        FmcImage::parse(&common::elf(
            false,
            0,
            &[
                ("hash", &h),
                ("signature", &s),
                ("publickey", &p),
                ("image", &i),
            ],
        ))
        .map(|_| ())
    };
    assert!(ok(48, 384, 384, 1).is_ok());
    assert!(matches!(
        ok(47, 96, 97, 10),
        Err(Error::InvalidField {
            what: "FMC hash section size",
            ..
        })
    ));
    assert!(matches!(
        ok(48, 385, 97, 10),
        Err(Error::InvalidField {
            what: "FMC signature section size",
            ..
        })
    ));
    assert!(matches!(
        ok(48, 96, 0, 10),
        Err(Error::InvalidField {
            what: "FMC publickey section size",
            ..
        })
    ));
    assert!(matches!(
        ok(48, 96, 97, 0),
        Err(Error::InvalidField {
            what: "FMC image section size",
            ..
        })
    ));
    let e = common::elf(
        false,
        0,
        &[
            ("hash", &[0; 48]),
            ("signature", &[0; 4]),
            ("image", &[0; 4]),
        ],
    );
    assert!(
        matches!(FmcImage::parse(&e), Err(Error::MissingSection { section, .. }) if section == "publickey")
    );
    let e = common::elf(
        true,
        0,
        &[
            ("hash", &[0; 48]),
            ("signature", &[0; 4]),
            ("publickey", &[0; 4]),
            ("image", &[0; 4]),
        ],
    );
    assert!(matches!(
        FmcImage::parse(&e),
        Err(Error::InvalidField {
            what: "FMC ELF class",
            ..
        })
    ));
}

#[test]
fn arbitrary_bytes_never_panic() {
    // A cheap deterministic sweep on top of the fuzz targets: mutate each byte of each seed.
    for (_, _, seed) in common::seeds() {
        for i in 0..seed.len() {
            for v in [0u8, 0xff, 0x80] {
                let mut f = seed.clone();
                f[i] = v;
                let _ = HsImage::parse(&f);
                let _ = RiscvBootloader::parse(&f);
                let _ = FalconBootloader::parse(&f);
                let _ = GspImage::parse(&f);
                let _ = FmcImage::parse(&f);
            }
        }
    }
}
