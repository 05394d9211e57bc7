#![no_main]
//! Fuzz target `qmd_decode`: the body is `targets::qmd_decode` (shared with the seed regression test
//! `driver/tests/fuzz_seeds.rs`).
use libfuzzer_sys::fuzz_target;

#[path = "../src/targets.rs"]
mod targets;

fuzz_target!(|data: &[u8]| targets::qmd_decode(data));
