//! Runs every committed fuzz seed (`driver/fuzz/seeds/<target>/*`) through its target's code (the same
//! `targets.rs` the fuzz binaries run), and checks the synthetic seeds generated here are committed.
//!
//! Regenerate the seeds with `NVBARE_WRITE_SEEDS=1 cargo test -p nvbare-driver --test fuzz_seeds`.

#[path = "../fuzz/src/targets.rs"]
mod targets;

use std::path::PathBuf;

use nvbare_driver::hal;
use nvbare_driver::qmd::{LaunchDesc, LaunchRelease};
use nvbare_driver::Chipset;

/// A fuzz target: its name (seed directory) and body.
type Target = (&'static str, fn(&[u8]));

const TARGETS: [Target; 3] = [
    ("push_decode", targets::push_decode),
    ("qmd_decode", targets::qmd_decode),
    ("pci_addr", targets::pci_addr),
];

fn seed_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/seeds"))
}

fn le(words: &[u32]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

fn launch_qmd(chip: Chipset) -> Vec<u32> {
    let h = hal::for_chipset(chip).unwrap();
    let d = LaunchDesc {
        grid: [4, 1, 1],
        block: [64, 1, 1],
        program_va: 0x1_0000_0000,
        program_size: 0x200,
        register_count: 16,
        shared_mem_bytes: 0,
        sm_shared: h.sm_shared_config(0).unwrap(),
        local_mem_per_thread: 0,
        cbank0_va: 0x2_0000_0000,
        cbank0_size: 0x160,
        barrier_count: 0,
        sass_version: h.sass_version(),
        release: Some(LaunchRelease {
            address: 0x3_0000_0000,
            payload: 1,
        }),
    };
    h.build_launch_qmd(&d).unwrap().words().to_vec()
}

/// Synthetic seeds: `(target, file name, bytes)`.
fn seeds() -> Vec<(&'static str, &'static str, Vec<u8>)> {
    let mut v = Vec::new();
    // push_decode: [mask, host, base(4), class bytes..., words...]
    // SET_OBJECT CBC0 on subc 1, host semaphore release, inline V04_00 QMD at 0x2_0000_1000, SEND_PCAS_A.
    let qmd = launch_qmd(Chipset::Gh100);
    let mut w = vec![
        0x2001_2000,
        0x0000_cbc0,
        0x2005_0017,
        0x2345_6780,
        1,
        7,
        5,
        0x0310_0001,
    ];
    w.extend_from_slice(&[0x2002_20c6, 0x4000_0000, 0x0200_0010, 0x2060_20c8]);
    w.extend_from_slice(&qmd);
    w.extend_from_slice(&[0x2001_20ad, 0x0200_0010, 0x8003_20b0]);
    let mut s = vec![0x00, 0xff, 0, 0, 0, 0];
    s.extend(le(&w));
    v.push(("push_decode", "hopper_inline_qmd.bin", s));
    // Ampere C7C0 bound up front (class index 5 = C7C0 in the class tables), SEND_PCAS_A whose QMD lies in
    // the input itself: base 0 and the QMD address points at the seed's own bytes.
    let qmd = launch_qmd(Chipset::Ga102);
    let mut s = vec![0x02, 0x00, 0, 0, 0, 0, 5];
    s.extend(le(&[0x2001_20ad, 0x0000_0000]));
    s.extend(le(&qmd));
    v.push(("push_decode", "ampere_pcas_memory.bin", s));
    // Odd header forms: immediate, non-incrementing, one-inc, END_PB_SEGMENT, reserved, truncated count.
    let mut s = vec![0x01, 0x02, 0, 0, 0, 0, 0xf0, 0xc0, 0xce];
    s.extend(le(&[
        0x8003_20b0,
        0x6002_20c8,
        1,
        2,
        0xa002_0017,
        3,
        4,
        0xe000_0000,
        0xc000_0000,
        0x2fff_20c8,
        9,
    ]));
    v.push(("push_decode", "header_forms.bin", s));
    v.push(("push_decode", "empty.bin", Vec::new()));
    // qmd_decode: one launch QMD per version, a short input and a V03_00-sized zero block.
    v.push((
        "qmd_decode",
        "v03_00_launch.bin",
        le(&launch_qmd(Chipset::Ga102)),
    ));
    v.push((
        "qmd_decode",
        "v04_00_launch.bin",
        le(&launch_qmd(Chipset::Gh100)),
    ));
    v.push((
        "qmd_decode",
        "v05_00_launch.bin",
        le(&launch_qmd(Chipset::Gb202)),
    ));
    v.push(("qmd_decode", "short.bin", vec![1, 2, 3, 4, 5]));
    v.push(("qmd_decode", "zero_256.bin", vec![0; 256]));
    // pci_addr: addresses, status texts, raw bytes.
    v.push(("pci_addr", "full.txt", b"0000:65:00.0".to_vec()));
    v.push(("pci_addr", "short.txt", b"01:00.1\n".to_vec()));
    v.push(("pci_addr", "bad_device.txt", b"0000:01:20.0".to_vec()));
    v.push((
        "pci_addr",
        "status.txt",
        b"Name:\tx\nVmLck:\t    128 kB\nVmPin:\t0 kB\n".to_vec(),
    ));
    v.push((
        "pci_addr",
        "raw.bin",
        vec![0xff, 0xff, 0xff, 0xff, 0x12, 0x1f, 0x07, 0x00],
    ));
    v
}

#[test]
fn every_seed_runs_through_its_target() {
    let dir = seed_dir();
    if std::env::var_os("NVBARE_WRITE_SEEDS").is_some() {
        for (t, name, bytes) in seeds() {
            std::fs::create_dir_all(dir.join(t)).unwrap();
            std::fs::write(dir.join(t).join(name), bytes).unwrap();
        }
    }
    // Generated seeds are committed, byte for byte.
    for (t, name, bytes) in seeds() {
        let path = dir.join(t).join(name);
        let got = std::fs::read(&path).unwrap_or_else(|e| {
            panic!("{}: {e} (regenerate: NVBARE_WRITE_SEEDS=1)", path.display())
        });
        assert_eq!(got, bytes, "{} differs from its generator", path.display());
    }
    // Every file in each seed directory (including minimized fuzz findings added later) runs through its
    // target without panicking.
    let mut total = 0;
    for (t, run) in TARGETS {
        let mut n = 0;
        for entry in std::fs::read_dir(dir.join(t)).unwrap() {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            run(&bytes);
            n += 1;
        }
        assert!(n > 0, "no seeds for {t}");
        total += n;
    }
    eprintln!("{total} seeds ran through their targets");
}

/// The seeds reach the interesting paths: the Hopper seed's inline QMD is decoded with names, the Ampere
/// seed's `SEND_PCAS_A` QMD is read from the input memory.
#[test]
fn seeds_reach_the_qmd_hook() {
    use nvbare_driver::push::decode::{Decoder, Item};
    use nvbare_driver::qmd::PushQmdDecoder;
    let all = seeds();
    let hopper = &all
        .iter()
        .find(|s| s.1 == "hopper_inline_qmd.bin")
        .unwrap()
        .2;
    let words: Vec<u32> = hopper[6..]
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let hook = PushQmdDecoder::new();
    let items = Decoder::new().with_qmd_fields(&hook).decode(&words);
    assert!(items
        .iter()
        .any(|i| matches!(i, Item::InlineQmd { decoded: Some(d), .. } if d.version == "V04_00")));

    let amp = &all
        .iter()
        .find(|s| s.1 == "ampere_pcas_memory.bin")
        .unwrap()
        .2;
    // The QMD starts at byte 15 of the input (7 prefix bytes + 2 words): SEND_PCAS_A address 0 is not it, so
    // decoding at base 0 reads the input from its start (partial garbage) - it must still not panic and give
    // a labelled result.
    let words: Vec<u32> = amp[7..]
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let hook = PushQmdDecoder::new().with_memory(0, amp);
    let items = Decoder::new()
        .bind(1, 0xC7C0)
        .with_qmd_fields(&hook)
        .decode(&words);
    assert!(items.iter().any(|i| matches!(
        i,
        Item::QmdAt {
            decoded: Some(_),
            address: 0,
            ..
        }
    )));
}
