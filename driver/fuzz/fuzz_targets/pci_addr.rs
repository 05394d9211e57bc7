#![no_main]
//! Fuzz target `pci_addr`: the body is `targets::pci_addr` (shared with the seed regression test
//! `driver/tests/fuzz_seeds.rs`).
use libfuzzer_sys::fuzz_target;

#[path = "../src/targets.rs"]
mod targets;

fuzz_target!(|data: &[u8]| targets::pci_addr(data));
