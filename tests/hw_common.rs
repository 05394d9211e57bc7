//! Shared by the hardware tests: the NVBARE_HW gate and the example kernels.
#![allow(dead_code)]

/// Returns true (and prints a line) when hardware tests are disabled.
pub fn skip(test: &str) -> bool {
    if std::env::var("NVBARE_HW").as_deref() == Ok("1") {
        false
    } else {
        eprintln!("skipped {test}: hardware test, set NVBARE_HW=1 on a machine with an NVIDIA GPU to run it");
        true
    }
}

/// The committed example kernels (see scripts/build-example-kernels.sh).
pub const KERNELS: &[u8] = include_bytes!("../examples/kernels/nvbare_examples.fatbin");

/// Opens GPU 0 (`NVBARE_HW_GPU` overrides the index).
pub fn device() -> nvbare::Device {
    let idx = std::env::var("NVBARE_HW_GPU")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    nvbare::Device::open(idx).expect("open GPU")
}

/// Open file descriptors of this process.
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count())
        .unwrap_or(0)
}

/// Resident set size in pages.
pub fn rss_pages() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}
