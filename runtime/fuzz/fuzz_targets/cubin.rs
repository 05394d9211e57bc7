//! Fuzzes the CUBIN parser and loader: any input must give Ok or a typed error, never a panic, hang or
//! unbounded allocation. Seeds: `runtime/fuzz/seeds/cubin/` (synthetic images from
//! `runtime/tests/cubin_synthetic.rs` and two tiny NVRTC-compiled CUBINs).
#![no_main]

use libfuzzer_sys::fuzz_target;
use nvbare::module::elf::Elf;
use nvbare::module::Cubin;

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
    }
});
