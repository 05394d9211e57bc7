//! Fuzz target `fatbin`: parse (raw containers and host ELF), decompress every image, select for several SMs.
//! Run from `runtime/`: `RUSTC_BOOTSTRAP=1 cargo fuzz run fatbin fuzz/seeds/fatbin` (seeds: `fuzz/make_fatbin_seeds.py`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use nvbare::module::fatbin::Fatbin;
use nvbare::module::select::{cubin_for, select, ComputeCapability};

/// Small decompression limit: the target checks the bound, not throughput.
const LIMIT: u64 = 1 << 22;

fuzz_target!(|data: &[u8]| {
    let Ok(fatbin) = Fatbin::parse(data) else {
        return;
    };
    for entry in &fatbin.entries {
        if let Ok(image) = fatbin.image(entry, LIMIT) {
            assert!(u64::try_from(image.len()).unwrap() <= entry.uncompressed_size().max(LIMIT));
        }
        let _ = entry.compression(&fatbin);
    }
    let _ = fatbin.summary();
    for sm in [75, 80, 86, 90, 100, 103, 120, 121] {
        let _ = select(&fatbin, ComputeCapability::from_sm(sm));
        let _ = cubin_for(&fatbin, ComputeCapability::from_sm(sm), None, LIMIT);
    }
});
