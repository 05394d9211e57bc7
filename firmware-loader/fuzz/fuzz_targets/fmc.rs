//! Fuzz target: FMC ELF32 images (body in ../targets.rs).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../targets.rs"]
mod targets;

fuzz_target!(|data: &[u8]| {
    targets::fmc(data);
});
