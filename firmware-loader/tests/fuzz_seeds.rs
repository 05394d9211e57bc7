//! Runs every committed fuzz seed through its target's parsers (regression test for fuzz
//! findings), and checks the synthetic seeds are what `common::seeds()` (ELF and `nvfw_bin_hdr`
//! images) and `vbios_seeds()` (ROMs from the `support` VBIOS builder) generate.
//!
//! Regenerate the seeds with `NVBARE_WRITE_SEEDS=1 cargo test -p nvbare-firmware --test fuzz_seeds`.

mod common;
mod support;
#[path = "../fuzz/targets.rs"]
mod targets;

use nvbare_firmware::booter::HsImage;
use nvbare_firmware::bootloader::{FalconBootloader, RiscvBootloader};
use nvbare_firmware::fmc::FmcImage;
use nvbare_firmware::gsp::GspImage;
use nvbare_firmware::vbios::build_fwsec_frts;
use std::path::PathBuf;
use support::{build, Leading, Spec};

fn seed_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/seeds"))
}

/// What each fuzz target does with an input: the fuzz binaries' own code.
fn run_target(target: &str, data: &[u8]) {
    match target {
        "gsp_elf" => targets::gsp_elf(data),
        "fmc" => targets::fmc(data),
        "bin_container" => targets::bin_container(data),
        "vbios" => {
            let _ = targets::vbios(data);
        }
        other => panic!("unknown fuzz target directory {other}"),
    }
}

/// The VBIOS seeds: (file name, bytes, whether they must parse and build FWSEC-FRTS).
fn vbios_seeds() -> Vec<(&'static str, Vec<u8>, bool)> {
    let d = Spec::default();
    let mut out = vec![
        ("x86-efi-ext.rom", build(d).0, true),
        ("x86-ext.rom", build(Spec { efi: false, ..d }).0, true),
        ("no-npde.rom", build(Spec { npde: false, ..d }).0, true),
        (
            "junk-prefix.rom",
            build(Spec {
                leading: Leading::Junk(0x400),
                ..d
            })
            .0,
            true,
        ),
        (
            "ifr-v1.rom",
            build(Spec {
                leading: Leading::IfrV1,
                ..d
            })
            .0,
            true,
        ),
        (
            "ifr-v3.rom",
            build(Spec {
                leading: Leading::IfrV3,
                ..d
            })
            .0,
            true,
        ),
    ];
    let full = build(d).0;
    out.push(("truncated.rom", full[..0x1000].to_vec(), false));
    let mut no_last = full.clone();
    no_last[0x655] = 0;
    no_last[0x66A] = 0;
    out.push(("no-last-image.rom", no_last, false));
    out
}

/// The `vbios` fuzz target, plus a fixed FWSEC-FRTS build whose success is returned.
fn exercise_vbios(data: &[u8]) -> bool {
    targets::vbios(data).is_some_and(|v| build_fwsec_frts(&v, 0x1_0000_0000, 0x10_0000, 5).is_ok())
}

#[test]
fn synthetic_seeds_are_committed() {
    let write = std::env::var_os("NVBARE_WRITE_SEEDS").is_some();
    let vbios = vbios_seeds()
        .into_iter()
        .map(|(name, bytes, _)| ("vbios", name, bytes));
    for (target, name, bytes) in common::seeds().into_iter().chain(vbios) {
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
    for target in ["gsp_elf", "fmc", "bin_container", "vbios"] {
        let dir = seed_dir().join(target);
        for e in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = e.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            run_target(target, &data);
            n += 1;
        }
    }
    let expected = common::seeds().len() + vbios_seeds().len();
    assert!(
        n >= expected,
        "only {n} seeds, expected at least {expected}"
    );
}

#[test]
fn vbios_seeds_parse_as_intended() {
    for (name, bytes, ok) in vbios_seeds() {
        assert_eq!(exercise_vbios(&bytes), ok, "{name}");
    }
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
