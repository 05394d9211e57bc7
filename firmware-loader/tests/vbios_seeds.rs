//! Runs every committed `vbios` fuzz seed through the parser and the FWSEC builder, and checks
//! that the seeds are still what the synthetic builder produces.
//!
//! Regenerate the seeds with
//! `NVBARE_WRITE_SEEDS=1 cargo test -p nvbare-firmware --test vbios_seeds -- --ignored`.

mod support;

use nvbare_firmware::vbios::{build_fwsec, build_fwsec_frts, FwsecCommand, FwsecVariant, Vbios};
use std::path::PathBuf;
use support::{build, Leading, Spec};

fn seed_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/vbios")
}

/// The seeds: (file name, bytes, whether they must parse and build).
fn seeds() -> Vec<(&'static str, Vec<u8>, bool)> {
    let d = Spec::default();
    let mut out = vec![
        ("x86-efi-ext.rom", build(d).0, true),
        ("x86-ext.rom", build(Spec { efi: false, ..d }).0, true),
        ("no-npde.rom", build(Spec { npde: false, ..d }).0, true),
        ("junk-prefix.rom", build(Spec { leading: Leading::Junk(0x400), ..d }).0, true),
        ("ifr-v1.rom", build(Spec { leading: Leading::IfrV1, ..d }).0, true),
        ("ifr-v3.rom", build(Spec { leading: Leading::IfrV3, ..d }).0, true),
    ];
    let full = build(d).0;
    out.push(("truncated.rom", full[..0x1000].to_vec(), false));
    let mut no_last = full.clone();
    no_last[0x655] = 0;
    no_last[0x66A] = 0;
    out.push(("no-last-image.rom", no_last, false));
    out
}

fn exercise(bytes: &[u8]) -> bool {
    let Ok(v) = Vbios::parse(bytes) else { return false };
    let frts = build_fwsec_frts(&v, 0x1_0000_0000, 0x10_0000, 5).is_ok();
    let _ = build_fwsec(&v, FwsecVariant::Debug, FwsecCommand::Sb, 0);
    frts
}

#[test]
fn every_seed_goes_through_the_parser() {
    let mut n = 0;
    for entry in std::fs::read_dir(seed_dir()).expect("seed directory") {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let _ = exercise(&bytes);
        n += 1;
    }
    assert!(n >= seeds().len(), "only {n} seeds in {}", seed_dir().display());
}

#[test]
fn seeds_match_the_builder() {
    for (name, bytes, ok) in seeds() {
        let on_disk = std::fs::read(seed_dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(on_disk == bytes, "{name} differs from the builder output; regenerate the seeds");
        assert_eq!(exercise(&bytes), ok, "{name}");
    }
}

#[test]
#[ignore = "writes the seed files; run with NVBARE_WRITE_SEEDS=1"]
fn write_seeds() {
    if std::env::var_os("NVBARE_WRITE_SEEDS").is_none() {
        return;
    }
    std::fs::create_dir_all(seed_dir()).unwrap();
    for (name, bytes, _) in seeds() {
        std::fs::write(seed_dir().join(name), bytes).unwrap();
    }
}
