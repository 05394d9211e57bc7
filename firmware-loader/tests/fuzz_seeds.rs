//! Runs every committed fuzz seed through its target's parsers (regression test for fuzz
//! findings), and checks the synthetic seeds are what `common::seeds()` generates.
//!
//! Regenerate the seeds with `NVBARE_WRITE_SEEDS=1 cargo test -p nvbare-firmware --test fuzz_seeds`.

mod common;

use nvbare_firmware::booter::HsImage;
use nvbare_firmware::bootloader::{FalconBootloader, RiscvBootloader};
use nvbare_firmware::fmc::FmcImage;
use nvbare_firmware::gsp::GspImage;
use nvbare_firmware::Chipset;
use std::path::PathBuf;

fn seed_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/seeds"))
}

/// What each fuzz target does with an input (mirrors fuzz/fuzz_targets/*.rs).
fn run_target(target: &str, data: &[u8]) {
    match target {
        "gsp_elf" => {
            if let Ok(g) = GspImage::parse(data) {
                let _ = (g.image().len(), g.sections(), g.signatures());
                for &c in Chipset::ALL {
                    let _ = g.signature_for(c, false);
                    let _ = g.signature_for(c, true);
                }
            }
        }
        "fmc" => {
            if let Ok(f) = FmcImage::parse(data) {
                let _ = f.sections();
            }
        }
        "bin_container" => {
            if let Ok(h) = HsImage::parse(data) {
                let _ = h.signatures().count();
                for fuse in 0..4 {
                    let _ = h.signature_index_for_fuse(fuse);
                }
                let _ = h.sign_for_fuse(u32::from(data.last().copied().unwrap_or(0)));
            }
            let _ = RiscvBootloader::parse(data);
            let _ = FalconBootloader::parse(data);
        }
        other => panic!("unknown fuzz target directory {other}"),
    }
}

#[test]
fn synthetic_seeds_are_committed() {
    let write = std::env::var_os("NVBARE_WRITE_SEEDS").is_some();
    for (target, name, bytes) in common::seeds() {
        let path = seed_dir().join(target).join(name);
        if write {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &bytes).unwrap();
        }
        let on_disk = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(
            on_disk,
            bytes,
            "{} differs from common::seeds()",
            path.display()
        );
    }
}

#[test]
fn every_seed_runs_through_its_parsers() {
    let mut n = 0;
    for target in ["gsp_elf", "fmc", "bin_container"] {
        let dir = seed_dir().join(target);
        for e in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = e.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            run_target(target, &data);
            n += 1;
        }
    }
    assert!(n >= 9, "only {n} seeds");
}

#[test]
fn valid_seeds_parse() {
    assert_eq!(
        GspImage::parse(&common::gsp_elf()).unwrap().version,
        "570.144"
    );
    let f = common::fmc_elf();
    let f = FmcImage::parse(&f).unwrap();
    assert_eq!(
        (
            f.hash.len(),
            f.signature.len(),
            f.public_key.len(),
            f.image.len()
        ),
        (48, 96, 97, 300)
    );
    let h = HsImage::parse(&common::hs_image(2, 0x40)).unwrap();
    assert_eq!(
        (h.num_sigs, h.sig_size, h.patch_loc, h.brom.pkc_data_offset),
        (2, 0x40, 0x210, 0x10)
    );
    let s = h.sign_for_fuse(1).unwrap();
    assert_eq!(&s.image()[0x210..0x250], &[1u8; 0x40]);
    assert_eq!(
        RiscvBootloader::parse(&common::riscv_bootloader(5))
            .unwrap()
            .desc
            .fb_reserved_size,
        Some(0x8000)
    );
    assert_eq!(
        RiscvBootloader::parse(&common::riscv_bootloader(4))
            .unwrap()
            .desc
            .fb_reserved_size,
        None
    );
    assert_eq!(
        FalconBootloader::parse(&common::falcon_bootloader())
            .unwrap()
            .boot_addr(),
        0xfd00
    );
}
