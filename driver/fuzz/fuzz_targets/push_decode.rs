#![no_main]
//! Fuzz target `push_decode`: the body is `targets::push_decode` (shared with the seed regression test
//! `driver/tests/fuzz_seeds.rs`).
use libfuzzer_sys::fuzz_target;

#[path = "../src/targets.rs"]
mod targets;

fuzz_target!(|data: &[u8]| targets::push_decode(data));
