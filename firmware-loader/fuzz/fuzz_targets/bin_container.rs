//! Fuzz target: `nvfw_bin_hdr` containers (body in ../targets.rs).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../targets.rs"]
mod targets;

fuzz_target!(|data: &[u8]| {
    targets::bin_container(data);
});
