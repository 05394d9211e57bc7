//! Regression test over the committed seeds of the `fatbin` fuzz target (`runtime/fuzz/seeds/fatbin/`,
//! synthetic, written by `runtime/fuzz/make_fatbin_seeds.py`): every seed goes through what the fuzz target does,
//! and since the seeds are valid by construction, each must parse and decode.

use std::path::Path;

use nvbare::module::compress::Compression;
use nvbare::module::fatbin::{EntryKind, Fatbin};
use nvbare::module::select::{cubin_for, select, ComputeCapability};

const LIMIT: u64 = 1 << 22;

#[test]
fn every_seed_parses_decodes_and_selects() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/fatbin");
    let mut names = Vec::new();
    for file in std::fs::read_dir(&dir).unwrap() {
        let path = file.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let data = std::fs::read(&path).unwrap();
        let fatbin = Fatbin::parse(&data).unwrap_or_else(|e| panic!("seed {name}: {e}"));
        for entry in &fatbin.entries {
            let image = fatbin
                .image(entry, LIMIT)
                .unwrap_or_else(|e| panic!("seed {name}: {e}"));
            assert!(
                !image.is_empty() || entry.uncompressed_size() == 0,
                "seed {name}"
            );
        }
        for sm in [75, 80, 86, 90, 100, 103, 120, 121] {
            let _ = select(&fatbin, ComputeCapability::from_sm(sm));
            let _ = cubin_for(&fatbin, ComputeCapability::from_sm(sm), None, LIMIT);
        }
        names.push((
            name,
            fatbin.entries.len(),
            fatbin
                .entries
                .iter()
                .map(|e| e.compression(&fatbin))
                .collect::<Vec<_>>(),
        ));
    }
    assert!(names.len() >= 10, "seeds: {names:?}");
    let find = |n: &str| {
        names
            .iter()
            .find(|(name, ..)| name == n)
            .unwrap_or_else(|| panic!("seed {n} missing"))
    };
    assert_eq!(find("zstd-ptx").2, [Compression::Zstd]);
    assert_eq!(find("lz4-elf").2, [Compression::Lz4]);
    assert_eq!(find("group-zstd").2, [Compression::Zstd, Compression::Zstd]);
    assert_eq!(find("two-containers").1, 2);
    assert_eq!(find("host-elf").1, 1);
    assert_eq!(find("empty-container").1, 0);
    assert_eq!(find("host-elf32").1, 1);

    // Decoded contents of the compressed seeds.
    let data = std::fs::read(dir.join("group-zstd")).unwrap();
    let f = Fatbin::parse(&data).unwrap();
    assert_eq!(f.entries[0].kind, EntryKind::Ptx);
    assert_eq!(f.image(&f.entries[0], LIMIT).unwrap().as_ref(), b"ptx");
    assert_eq!(
        f.image(&f.entries[1], LIMIT).unwrap().as_ref(),
        b"elfelfelf!"
    );
    let data = std::fs::read(dir.join("host-elf")).unwrap();
    let f = Fatbin::parse(&data).unwrap();
    assert_eq!(f.wrappers.len(), 1);
    assert_eq!(f.wrappers[0].container, Some(0));
}
