//! Fuzzes the CUBIN parser and loader: any input must give Ok or a typed error, never a panic, hang or
//! unbounded allocation. Seeds: `runtime/fuzz/seeds/cubin/` (synthetic images from
//! `runtime/tests/cubin_synthetic.rs` and tiny NVRTC-compiled CUBINs, two of them `-rdc`).
//! Run from `runtime/`: `RUSTC_BOOTSTRAP=1 cargo fuzz run cubin fuzz/seeds/cubin`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nvbare::module::elf::Elf;
use nvbare::module::{Cubin, External};

fuzz_target!(|data: &[u8]| {
    let _ = Elf::parse(data);
    if let Ok(c) = Cubin::parse(data) {
        let _ = c.relocation_sections();
        let _ = c.global_bytes();
        for k in &c.kernels {
            let _ = k.attributes.iter().map(|a| a.name()).count();
        }
        let _ = c.load(0);
        let _ = c.load(0x7fff_0000_0000);
        // Relocatable images too, with every shared variable and external given a value.
        let _ = c.relocate(0x7f12_3456_0000, &mut |e: External<'_>| match e {
            External::Shared { value, .. } => Some(0x1000 + value),
            External::Undefined { symbol, .. } => u64::try_from(symbol)
                .ok()
                .map(|s| 0x7f00_0000_0000 + 16 * s),
        });
    }
});
