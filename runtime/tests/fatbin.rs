//! Fatbin parsing, decompression and SASS selection, checked against real nvcc 13 output and `cuobjdump`.
//!
//! Assets: `scripts/assets/cuda-1-toolkit.sh` (CUDA 13 tree with nvcc/cuobjdump/nvJitLink) and
//! `scripts/assets/cuda-2-fatbins.sh` (the fatbins, from `runtime/tests/fatbin-src/*.cu`), under
//! `$NVBARE_TEST_ASSETS/cuda/`. Malformed-input tests use synthetic data and always run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use nvbare::module::compiler::NvJitLink;
use nvbare::module::compress::{Compression, DEFAULT_MAX_UNCOMPRESSED};
use nvbare::module::fatbin::{flags, EntryKind, Fatbin, PointerSize, Storage};
use nvbare::module::select::{cubin_for, select, ArchVariant, ComputeCapability, Selection};
use nvbare::Error;

const LIMIT: u64 = DEFAULT_MAX_UNCOMPRESSED;

fn assets_root() -> PathBuf {
    std::env::var_os("NVBARE_TEST_ASSETS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/test-assets"))
}

/// The asset root when the toolkit and the fatbins are there; `None` (after saying so) when they are not.
fn assets() -> Option<PathBuf> {
    let root = assets_root();
    let need = [
        root.join("cuda/13/.complete"),
        root.join("cuda/fatbins/.complete"),
    ];
    if need.iter().all(|p| p.exists()) {
        return Some(root);
    }
    if std::env::var("NVBARE_REQUIRE_ASSETS").as_deref() == Ok("1") {
        panic!("missing test assets {need:?}: run scripts/test-all.sh");
    }
    eprintln!("skipped: run scripts/test-all.sh to fetch assets (missing {need:?})");
    None
}

fn fatbin_path(root: &Path, name: &str) -> PathBuf {
    root.join("cuda/fatbins").join(name)
}

fn cc(sm: u32) -> ComputeCapability {
    ComputeCapability::from_sm(sm)
}

/// One image as `cuobjdump -elf -ptx` describes it (header block of each "Fatbin elf/ptx code").
#[derive(Debug, Default, PartialEq, Eq)]
struct Described {
    kind: &'static str,
    arch: String,
    code_version: String,
    compile_size: String,
    compressed: bool,
    debug: bool,
    identifier: Option<String>,
    ptxas_options: Option<String>,
}

fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("running {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn cuobjdump(root: &Path) -> Command {
    Command::new(root.join("cuda/13/bin/cuobjdump"))
}

/// Parses the header blocks of `cuobjdump -elf -ptx`, in output order (concatenated groups expanded).
fn cuobjdump_describe(root: &Path, file: &Path) -> Vec<Described> {
    let text = run(cuobjdump(root).arg("-elf").arg("-ptx").arg(file));
    let mut out = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let kind = match line.trim() {
            "Fatbin elf code:" => "elf",
            "Fatbin ptx code:" => "ptx",
            _ => continue,
        };
        lines.next(); // =====
        let mut d = Described {
            kind,
            ..Default::default()
        };
        for l in lines.by_ref() {
            let l = l.trim();
            if let Some(v) = l.strip_prefix("arch = ") {
                d.arch = v.to_owned();
            } else if let Some(v) = l.strip_prefix("code version = ") {
                d.code_version = v.to_owned();
            } else if let Some(v) = l.strip_prefix("compile_size = ") {
                d.compile_size = v.to_owned();
            } else if l == "compressed" {
                d.compressed = true;
            } else if l == "has debug info" {
                d.debug = true;
            } else if let Some(v) = l.strip_prefix("identifier = ") {
                d.identifier = Some(v.to_owned());
            } else if let Some(v) = l.strip_prefix("ptxasOptions =") {
                d.ptxas_options = Some(v.trim().to_owned());
            } else if l.starts_with("host = ") {
            } else {
                break;
            }
        }
        out.push(d);
    }
    out
}

/// What our parser says about the same images, in the same shape.
fn our_description(fatbin: &Fatbin<'_>) -> Vec<Described> {
    fatbin
        .entries
        .iter()
        .map(|e| Described {
            kind: match e.kind {
                EntryKind::Elf => "elf",
                EntryKind::Ptx => "ptx",
                EntryKind::Other(_) => "other",
            },
            arch: e.target.to_string(),
            code_version: format!("[{},{}]", e.code_version.0, e.code_version.1),
            compile_size: match e.pointer_size {
                PointerSize::Bits64 => "64bit".into(),
                PointerSize::Bits32 => "32bit".into(),
            },
            compressed: e.flags & (flags::COMPRESSED_LZ4 | flags::COMPRESSED_ZSTD) != 0,
            debug: e.is_debug(),
            identifier: e
                .identifier
                .map(|s| String::from_utf8_lossy(s).into_owned()),
            ptxas_options: match e.kind {
                EntryKind::Ptx => Some(
                    e.options
                        .map(|s| String::from_utf8_lossy(s).trim().to_owned())
                        .unwrap_or_default(),
                ),
                _ => None,
            },
        })
        .collect()
}

/// `cuobjdump -lelf -lptx`: the file names of the ELF and PTX images, each list in numbering order.
fn cuobjdump_list(root: &Path, file: &Path) -> (Vec<String>, Vec<String>) {
    let out = Command::new(root.join("cuda/13/bin/cuobjdump"))
        .arg("-lelf")
        .arg("-lptx")
        .arg(file)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let (mut elf, mut ptx) = (Vec::new(), Vec::new());
    for line in text.lines() {
        let Some((head, name)) = line.split_once(": ") else {
            continue;
        };
        if head.starts_with("ELF file") {
            elf.push(name.trim().to_owned());
        } else if head.starts_with("PTX file") {
            ptx.push(name.trim().to_owned());
        }
    }
    (elf, ptx)
}

/// Extracts every ELF and PTX image with cuobjdump into a fresh directory; returns name -> bytes.
fn cuobjdump_extract(root: &Path, file: &Path, tag: &str) -> BTreeMap<String, Vec<u8>> {
    let dir = std::env::temp_dir().join(format!("nvbare-fatbin-test-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // cuobjdump exits non-zero when there is nothing of one kind to extract; the listing check covers counts.
    let _ = Command::new(root.join("cuda/13/bin/cuobjdump"))
        .current_dir(&dir)
        .args(["-xelf", "all", "-xptx", "all"])
        .arg(file)
        .output()
        .unwrap();
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let e = e.unwrap();
        out.insert(
            e.file_name().to_string_lossy().into_owned(),
            std::fs::read(e.path()).unwrap(),
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    out
}

/// Parses `name`, compares every image's header facts with `cuobjdump -elf -ptx`, the listing with
/// `cuobjdump -lelf -lptx`, and every image's bytes with what `cuobjdump -xelf/-xptx` extracts.
fn check_against_cuobjdump(root: &Path, name: &str) -> (usize, usize) {
    let path = fatbin_path(root, name);
    let data = std::fs::read(&path).unwrap();
    let fatbin = Fatbin::parse(&data).unwrap_or_else(|e| panic!("{name}: {e}"));

    assert_eq!(
        our_description(&fatbin),
        cuobjdump_describe(root, &path),
        "{name}: header facts differ from cuobjdump"
    );

    let (elf_names, ptx_names) = cuobjdump_list(root, &path);
    let ours_elf: Vec<_> = fatbin
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::Elf)
        .collect();
    let ours_ptx: Vec<_> = fatbin
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::Ptx)
        .collect();
    assert_eq!(ours_elf.len(), elf_names.len(), "{name}: ELF count");
    assert_eq!(ours_ptx.len(), ptx_names.len(), "{name}: PTX count");

    let extracted = cuobjdump_extract(root, &path, name);
    assert_eq!(
        extracted.len(),
        elf_names.len() + ptx_names.len(),
        "{name}: extracted files {:?}",
        extracted.keys()
    );
    for (entry, file) in ours_elf
        .iter()
        .zip(&elf_names)
        .chain(ours_ptx.iter().zip(&ptx_names))
    {
        // The listing names carry the SM (without the a/f suffix for SASS), e.g. "multi.1.sm_80.cubin".
        assert!(
            file.contains(&format!("sm_{}", entry.target.cc.sm())),
            "{name}: {file} vs {}",
            entry.target
        );
        let theirs = extracted
            .get(file)
            .unwrap_or_else(|| panic!("{name}: cuobjdump did not extract {file}"));
        let ours = fatbin
            .image(entry, LIMIT)
            .unwrap_or_else(|e| panic!("{name}: {file}: {e}"));
        assert_eq!(ours.len(), theirs.len(), "{name}: {file}: size");
        assert!(
            ours.as_ref() == theirs.as_slice(),
            "{name}: {file}: bytes differ"
        );
    }
    (ours_elf.len(), ours_ptx.len())
}

#[test]
fn real_fatbins_match_cuobjdump() {
    let Some(root) = assets() else { return };
    let expect = [
        ("multi.fatbin", 3, 1),
        ("multi-size.fatbin", 3, 1),
        ("multi-speed.fatbin", 2, 1),
        ("ptx-only.fatbin", 0, 1),
        ("sm90a.fatbin", 1, 1),
        ("sm100f.fatbin", 1, 1),
        ("concat.fatbin", 3, 2),
        ("ident.fatbin", 1, 1),
        ("debug.fatbin", 1, 0),
        ("host.o", 2, 1),
        ("rdc.o", 1, 0),
        ("host-exe", 6, 2),
    ];
    for (name, elf, ptx) in expect {
        assert_eq!(
            check_against_cuobjdump(&root, name),
            (elf, ptx),
            "{name}: entry counts"
        );
    }
}

fn load(root: &Path, name: &str) -> Vec<u8> {
    std::fs::read(fatbin_path(root, name)).unwrap()
}

#[test]
fn compression_methods_seen_in_real_output() {
    let Some(root) = assets() else { return };
    let methods = |name: &str| {
        let data = load(&root, name);
        let f = Fatbin::parse(&data).unwrap();
        f.entries
            .iter()
            .map(|e| (e.kind, e.compression(&f)))
            .collect::<Vec<_>>()
    };
    use Compression::*;
    use EntryKind::*;
    // Default mode: SASS stored, PTX zstd.
    assert_eq!(
        methods("multi.fatbin"),
        [(Elf, None), (Elf, None), (Elf, None), (Ptx, Zstd)]
    );
    // --compress-mode=size: every entry zstd.
    assert_eq!(
        methods("multi-size.fatbin"),
        [(Elf, Zstd), (Elf, Zstd), (Elf, Zstd), (Ptx, Zstd)]
    );
    // --compress-mode=speed -compress-all: every entry LZ4.
    assert_eq!(
        methods("multi-speed.fatbin"),
        [(Elf, Lz4), (Ptx, Lz4), (Elf, Lz4)]
    );
    // --concat: the groups are zstd, the sm_120 image outside them is stored.
    assert_eq!(
        methods("concat.fatbin"),
        [
            (Elf, None),
            (Ptx, Zstd),
            (Ptx, Zstd),
            (Elf, Zstd),
            (Elf, Zstd)
        ]
    );

    // Stored and compressed copies of the same image decode to the same bytes.
    let plain = load(&root, "multi.fatbin");
    let small = load(&root, "multi-size.fatbin");
    let (a, b) = (
        Fatbin::parse(&plain).unwrap(),
        Fatbin::parse(&small).unwrap(),
    );
    for (x, y) in a.entries.iter().zip(&b.entries) {
        assert_eq!(
            a.image(x, LIMIT).unwrap(),
            b.image(y, LIMIT).unwrap(),
            "{}",
            x.target
        );
    }
}

#[test]
fn arch_and_family_variants_and_strings() {
    let Some(root) = assets() else { return };
    let data = load(&root, "sm90a.fatbin");
    let f = Fatbin::parse(&data).unwrap();
    assert!(f
        .entries
        .iter()
        .all(|e| e.target.variant == ArchVariant::ArchSpecific && e.target.cc == cc(90)));
    let data = load(&root, "sm100f.fatbin");
    let f = Fatbin::parse(&data).unwrap();
    assert!(f
        .entries
        .iter()
        .all(|e| e.target.variant == ArchVariant::FamilySpecific && e.target.cc == cc(100)));
    let data = load(&root, "ident.fatbin");
    let f = Fatbin::parse(&data).unwrap();
    assert!(f
        .entries
        .iter()
        .all(|e| e.identifier == Some(b"nvbare-ident".as_slice())));
    assert_eq!(f.entries[1].options, Some(b"-O3 -lineinfo".as_slice()));
}

#[test]
fn host_executable_wrappers_resolve_to_containers() {
    let Some(root) = assets() else { return };
    let data = load(&root, "host-exe");
    let f = Fatbin::parse(&data).unwrap();
    assert_eq!(f.containers.len(), f.wrappers.len(), "{:?}", f.wrappers);
    let mut pointed: Vec<_> = f
        .wrappers
        .iter()
        .map(|w| w.container.expect("linked wrapper resolves"))
        .collect();
    pointed.sort_unstable();
    assert_eq!(pointed, (0..f.containers.len()).collect::<Vec<_>>());
    // Unlinked object: the wrapper's address is a relocation, left unresolved.
    let data = load(&root, "host.o");
    let f = Fatbin::parse(&data).unwrap();
    assert_eq!(f.wrappers.len(), 1);
    assert_eq!(f.wrappers[0].container, None);
}

fn selected(f: &Fatbin<'_>, sm: u32) -> String {
    match select(f, cc(sm)) {
        Ok(Selection::Sass(e)) => format!("SASS {}", e.target),
        Ok(Selection::Ptx(e)) => format!("PTX {}", e.target.compute_name()),
        Err(e) => format!("error: {e}"),
    }
}

#[test]
fn selection_on_real_fatbins() {
    let Some(root) = assets() else { return };
    let data = load(&root, "multi.fatbin");
    let f = Fatbin::parse(&data).unwrap();
    assert_eq!(selected(&f, 80), "SASS sm_80");
    assert_eq!(selected(&f, 86), "SASS sm_80");
    assert_eq!(selected(&f, 89), "SASS sm_80");
    assert_eq!(selected(&f, 90), "SASS sm_90");
    assert_eq!(selected(&f, 120), "SASS sm_120");
    assert_eq!(selected(&f, 121), "SASS sm_120");
    assert_eq!(selected(&f, 130), "PTX compute_120");
    let err = select(&f, cc(75)).unwrap_err();
    assert!(matches!(err, Error::NoImageForSm { .. }));
    let msg = err.to_string();
    assert!(
        msg.contains("sm_75")
            && msg.contains("SASS sm_80, SASS sm_90, SASS sm_120, PTX compute_120"),
        "unclear error: {msg}"
    );
    // No sm_10x SASS and the PTX is newer: nothing for sm_100.
    assert!(selected(&f, 100).starts_with("error"));
    // The chosen SASS is the decompressed, exact image.
    let cubin = cubin_for(&f, cc(86), None, LIMIT).unwrap();
    assert_eq!(&cubin[..4], b"\x7fELF");

    let data = load(&root, "sm90a.fatbin");
    let f = Fatbin::parse(&data).unwrap();
    assert_eq!(selected(&f, 90), "SASS sm_90a");
    assert!(
        selected(&f, 100).starts_with("error"),
        "sm_90a must not run on sm_100"
    );

    let data = load(&root, "sm100f.fatbin");
    let f = Fatbin::parse(&data).unwrap();
    assert_eq!(selected(&f, 100), "SASS sm_100f");
    assert_eq!(selected(&f, 103), "SASS sm_100f");
    assert!(selected(&f, 120).starts_with("error"));

    let data = load(&root, "concat.fatbin");
    let f = Fatbin::parse(&data).unwrap();
    assert_eq!(selected(&f, 90), "SASS sm_90");
    assert!(matches!(f.entries[3].storage, Storage::Grouped { .. }));
}

#[test]
fn ptx_only_needs_a_compiler() {
    let Some(root) = assets() else { return };
    let data = load(&root, "ptx-only.fatbin");
    let f = Fatbin::parse(&data).unwrap();
    assert_eq!(selected(&f, 86), "PTX compute_80");
    let err = cubin_for(&f, cc(86), None, LIMIT).unwrap_err();
    assert!(err.to_string().contains("PTX compiler"), "{err}");

    // With nvJitLink from the toolkit tree, the PTX becomes SASS for the device.
    let jit = NvJitLink::load_from(&root.join("cuda/13/lib/libnvJitLink.so.13")).unwrap();
    let cubin = cubin_for(&f, cc(86), Some(&jit), LIMIT).unwrap();
    assert_eq!(&cubin[..4], b"\x7fELF");
    assert_eq!(
        u16::from_le_bytes([cubin[18], cubin[19]]),
        190,
        "e_machine EM_CUDA"
    );
    // e_flags bits 8..16 hold the SM for ABI 8 CUBINs (0x6005604-style for sm_86).
    let e_flags = u32::from_le_bytes([cubin[48], cubin[49], cubin[50], cubin[51]]);
    assert_eq!((e_flags >> 8) & 0xff, 86, "e_flags {e_flags:#x}");
}

// ---- malformed input (synthetic, always runs) ----

/// A 64-byte entry header plus `ext` and `payload` (padded to 8).
fn entry(
    kind: u16,
    arch: u32,
    flag_word: u64,
    payload: &[u8],
    compressed: u32,
    uncompressed: u64,
) -> Vec<u8> {
    let padded = payload.len().div_ceil(8) * 8;
    let mut e = Vec::new();
    e.extend_from_slice(&kind.to_le_bytes());
    e.extend_from_slice(&0x0101u16.to_le_bytes());
    e.extend_from_slice(&64u32.to_le_bytes());
    e.extend_from_slice(&(padded as u64).to_le_bytes());
    e.extend_from_slice(&compressed.to_le_bytes());
    e.extend_from_slice(&0u32.to_le_bytes());
    e.extend_from_slice(&8u16.to_le_bytes());
    e.extend_from_slice(&1u16.to_le_bytes());
    e.extend_from_slice(&arch.to_le_bytes());
    e.extend_from_slice(&0u32.to_le_bytes());
    e.extend_from_slice(&0u32.to_le_bytes());
    e.extend_from_slice(&flag_word.to_le_bytes());
    e.extend_from_slice(&0u64.to_le_bytes());
    e.extend_from_slice(&uncompressed.to_le_bytes());
    e.extend_from_slice(payload);
    e.resize(64 + padded, 0);
    e
}

fn container(entries: &[Vec<u8>]) -> Vec<u8> {
    let body: Vec<u8> = entries.concat();
    let mut c = Vec::new();
    c.extend_from_slice(&0xBA55_ED50u32.to_le_bytes());
    c.extend_from_slice(&1u16.to_le_bytes());
    c.extend_from_slice(&16u16.to_le_bytes());
    c.extend_from_slice(&(body.len() as u64).to_le_bytes());
    c.extend_from_slice(&body);
    c
}

// zstd frame with one raw block "hello" (content size 5).
const ZSTD_HELLO: &[u8] = &[
    0x28, 0xb5, 0x2f, 0xfd, 0x20, 0x05, 0x29, 0x00, 0x00, b'h', b'e', b'l', b'l', b'o',
];

fn ok_synthetic() -> Vec<u8> {
    container(&[
        entry(2, 80, 0x11, b"not an ELF, just bytes", 0, 0),
        entry(1, 80, 0x11 | flags::COMPRESSED_ZSTD, ZSTD_HELLO, 14, 5),
    ])
}

#[test]
fn synthetic_fatbin_parses_and_decompresses() {
    let data = ok_synthetic();
    let f = Fatbin::parse(&data).unwrap();
    assert_eq!(f.entries.len(), 2);
    assert_eq!(f.image(&f.entries[1], LIMIT).unwrap().as_ref(), b"hello");
    assert_eq!(selected(&f, 86), "SASS sm_80");
}

#[test]
fn every_truncation_is_a_typed_error() {
    let data = ok_synthetic();
    for n in 0..data.len() {
        let err = Fatbin::parse(&data[..n]).unwrap_err();
        assert!(
            matches!(
                err,
                Error::FatbinTruncated { .. }
                    | Error::FatbinBadField { .. }
                    | Error::FatbinNotFatbin { .. }
            ),
            "prefix {n}: {err:?}"
        );
    }
}

#[test]
fn bad_offsets_and_overflowing_sizes() {
    let good = ok_synthetic();
    let patch = |at: usize, bytes: &[u8]| {
        let mut d = good.clone();
        d[at..at + bytes.len()].copy_from_slice(bytes);
        d
    };
    // Container size past the end, and overflowing u64.
    let e = Fatbin::parse(&patch(8, &(1u64 << 40).to_le_bytes())).unwrap_err();
    assert!(
        matches!(
            e,
            Error::FatbinTruncated {
                what: "fatbin container",
                ..
            }
        ),
        "{e:?}"
    );
    let e = Fatbin::parse(&patch(8, &u64::MAX.to_le_bytes())).unwrap_err();
    assert!(matches!(e, Error::FatbinBadField { .. }), "{e:?}");
    // Container header size below 16, and a bad version.
    assert!(matches!(
        Fatbin::parse(&patch(6, &[8, 0])).unwrap_err(),
        Error::FatbinBadField { .. }
    ));
    assert!(matches!(
        Fatbin::parse(&patch(4, &[2, 0])).unwrap_err(),
        Error::FatbinBadField { .. }
    ));
    // Entry header size smaller than 64 or past the container.
    assert!(matches!(
        Fatbin::parse(&patch(16 + 4, &32u32.to_le_bytes())).unwrap_err(),
        Error::FatbinBadField { .. }
    ));
    assert!(matches!(
        Fatbin::parse(&patch(16 + 4, &u32::MAX.to_le_bytes())).unwrap_err(),
        Error::FatbinBadField { .. }
    ));
    // Entry payload size past the container, and u64::MAX.
    assert!(matches!(
        Fatbin::parse(&patch(16 + 8, &4096u64.to_le_bytes())).unwrap_err(),
        Error::FatbinBadField { .. }
    ));
    assert!(matches!(
        Fatbin::parse(&patch(16 + 8, &u64::MAX.to_le_bytes())).unwrap_err(),
        Error::FatbinBadField { .. }
    ));
    // Identifier pointing outside the header.
    let mut d = patch(16 + 0x20, &64u32.to_le_bytes());
    d[16 + 0x24..16 + 0x28].copy_from_slice(&100u32.to_le_bytes());
    assert!(matches!(
        Fatbin::parse(&d).unwrap_err(),
        Error::FatbinBadField {
            what: "entry identifier",
            ..
        }
    ));
    // Options descriptor inside the fixed header.
    assert!(matches!(
        Fatbin::parse(&patch(16 + 0x14, &8u32.to_le_bytes())).unwrap_err(),
        Error::FatbinBadField { .. }
    ));
    // Bad magic, and a wrapper record on its own.
    assert!(matches!(
        Fatbin::parse(&patch(0, &[0; 4])).unwrap_err(),
        Error::FatbinBadMagic { .. }
    ));
    assert!(matches!(
        Fatbin::parse(&patch(0, &0x4662_43B1u32.to_le_bytes())).unwrap_err(),
        Error::FatbinNotFatbin { .. }
    ));
    // Both a and f flags.
    let both = (0x11 | flags::ARCH_SPECIFIC | flags::FAMILY_SPECIFIC).to_le_bytes();
    assert!(matches!(
        Fatbin::parse(&patch(16 + 0x28, &both)).unwrap_err(),
        Error::FatbinBadField { .. }
    ));
}

#[test]
fn bogus_compression_is_a_typed_error() {
    let second = 16 + 64 + 24; // offset of the zstd entry
    let good = ok_synthetic();
    let with = |at: usize, bytes: &[u8]| {
        let mut d = good.clone();
        d[at..at + bytes.len()].copy_from_slice(bytes);
        d
    };
    // The legacy compression flag, and two methods at once.
    let d = with(
        second + 0x28,
        &(0x11 | flags::COMPRESSED_LEGACY).to_le_bytes(),
    );
    assert!(matches!(
        Fatbin::parse(&d).unwrap_err(),
        Error::FatbinUnsupportedCompression { .. }
    ));
    let d = with(
        second + 0x28,
        &(0x11 | flags::COMPRESSED_LZ4 | flags::COMPRESSED_ZSTD).to_le_bytes(),
    );
    assert!(matches!(
        Fatbin::parse(&d).unwrap_err(),
        Error::FatbinUnsupportedCompression { .. }
    ));
    // Compressed size 0 or larger than the payload.
    assert!(matches!(
        Fatbin::parse(&with(second + 0x10, &0u32.to_le_bytes())).unwrap_err(),
        Error::FatbinBadField { .. }
    ));
    assert!(matches!(
        Fatbin::parse(&with(second + 0x10, &99u32.to_le_bytes())).unwrap_err(),
        Error::FatbinBadField { .. }
    ));
    // Corrupt zstd data: parses, fails to decompress.
    let d = with(second + 64, b"XXXX");
    let f = Fatbin::parse(&d).unwrap();
    assert!(matches!(
        f.image(&f.entries[1], LIMIT).unwrap_err(),
        Error::FatbinDecompress {
            algorithm: "zstd",
            ..
        }
    ));
    // Same data flagged as LZ4.
    let d = with(second + 0x28, &(0x11 | flags::COMPRESSED_LZ4).to_le_bytes());
    let f = Fatbin::parse(&d).unwrap();
    assert!(matches!(
        f.image(&f.entries[1], LIMIT).unwrap_err(),
        Error::FatbinDecompress {
            algorithm: "LZ4",
            ..
        }
    ));
    // Declared uncompressed size wrong (smaller: bomb guard; larger: short output; huge: refused up front).
    let d = with(second + 0x38, &3u64.to_le_bytes());
    let f = Fatbin::parse(&d).unwrap();
    assert!(matches!(
        f.image(&f.entries[1], LIMIT).unwrap_err(),
        Error::FatbinSizeMismatch {
            declared: 3,
            truncated: true,
            ..
        }
    ));
    let d = with(second + 0x38, &9u64.to_le_bytes());
    let f = Fatbin::parse(&d).unwrap();
    assert!(matches!(
        f.image(&f.entries[1], LIMIT).unwrap_err(),
        Error::FatbinSizeMismatch {
            declared: 9,
            actual: 5,
            ..
        }
    ));
    let d = with(second + 0x38, &u64::MAX.to_le_bytes());
    let f = Fatbin::parse(&d).unwrap();
    assert!(matches!(
        f.image(&f.entries[1], LIMIT).unwrap_err(),
        Error::FatbinTooLarge { .. }
    ));
}

#[test]
fn real_fatbin_mutations_never_panic() {
    let Some(root) = assets() else { return };
    for name in ["multi-size.fatbin", "concat.fatbin", "multi-speed.fatbin"] {
        let data = load(&root, name);
        // Every prefix is refused with an error.
        for n in (0..data.len()).step_by(7) {
            assert!(Fatbin::parse(&data[..n]).is_err(), "{name} prefix {n}");
        }
        // Flipping each byte of the container header and of every entry header (plus the first payload bytes):
        // parse, decode and select must not panic.
        let f = Fatbin::parse(&data).unwrap();
        let mut spots: Vec<usize> = (0..16).collect();
        for e in &f.entries {
            let at = usize::try_from(e.offset).unwrap();
            spots.extend(at..(at + 64 + e.header_extension.len() + 16).min(data.len()));
        }
        for at in spots {
            let mut d = data.clone();
            d[at] ^= 0xa5;
            if let Ok(f) = Fatbin::parse(&d) {
                // Decode only the image whose header was hit (decoding all is what the fuzz target does).
                if let Some(e) = f
                    .entries
                    .iter()
                    .rev()
                    .find(|e| usize::try_from(e.offset).unwrap() <= at)
                {
                    let _ = f.image(e, 1 << 24);
                }
                let _ = select(&f, cc(86));
            }
        }
    }
}

#[test]
fn malformed_host_elf_is_a_typed_error() {
    // The synthetic host ELF seed of the fuzz target: .nv_fatbin + .nvFatBinSegment, 4 section headers.
    let good =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/fatbin/host-elf"))
            .unwrap();
    assert_eq!(Fatbin::parse(&good).unwrap().wrappers[0].container, Some(0));
    let shoff = usize::try_from(u64::from_le_bytes(good[0x28..0x30].try_into().unwrap())).unwrap();
    let patched = |at: usize, bytes: &[u8]| {
        let mut d = good.clone();
        d[at..at + bytes.len()].copy_from_slice(bytes);
        Fatbin::parse(&d).map(|_| ())
    };
    let typed = |r: nvbare::Result<()>| {
        let e = r.unwrap_err();
        assert!(
            matches!(
                e,
                Error::FatbinBadField { .. }
                    | Error::FatbinTruncated { .. }
                    | Error::FatbinNotFatbin { .. }
                    | Error::FatbinBadMagic { .. }
                    | Error::FatbinHostElf { .. }
            ),
            "{e:?}"
        );
    };
    // Section header table offset near u64::MAX, past the end, and a too-small entry size.
    typed(patched(0x28, &(u64::MAX - 8).to_le_bytes()));
    typed(patched(0x28, &(1u64 << 32).to_le_bytes()));
    typed(patched(0x3a, &8u16.to_le_bytes()));
    // Section name table index out of range.
    typed(patched(0x3e, &9u16.to_le_bytes()));
    // .nv_fatbin (section 2) and .nvFatBinSegment (section 3) with offsets/sizes out of range or overflowing.
    for sec in [2usize, 3] {
        let h = shoff + sec * 64;
        typed(patched(h + 0x18, &(u64::MAX - 3).to_le_bytes()));
        typed(patched(h + 0x20, &u64::MAX.to_le_bytes()));
        typed(patched(h + 0x20, &4096u64.to_le_bytes()));
    }
    // A wrapper pointing inside .nv_fatbin but not at a container.
    let wrap_off = usize::try_from(u64::from_le_bytes(
        good[shoff + 3 * 64 + 0x18..shoff + 3 * 64 + 0x20]
            .try_into()
            .unwrap(),
    ))
    .unwrap();
    typed(patched(wrap_off + 8, &0x10008u64.to_le_bytes()));
    // Big-endian and unknown ELF class.
    typed(patched(5, &[2]));
    typed(patched(4, &[7]));
    // A CUBIN (e_machine EM_CUDA) is not a fatbin.
    let e = patched(18, &190u16.to_le_bytes()).unwrap_err();
    assert!(matches!(e, Error::FatbinNotFatbin { .. }), "{e:?}");
}
