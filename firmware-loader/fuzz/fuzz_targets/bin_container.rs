#![no_main]
//! `nvfw_bin_hdr` containers: HS ucode (booters, scrubber), RISC-V bootloader, falcon bootloader.
use libfuzzer_sys::fuzz_target;
use nvbare_firmware::booter::HsImage;
use nvbare_firmware::bootloader::{FalconBootloader, RiscvBootloader};

fuzz_target!(|data: &[u8]| {
    if let Ok(h) = HsImage::parse(data) {
        let _ = h.signatures().count();
        for fuse in 0..4 {
            let _ = h.signature_index_for_fuse(fuse);
        }
        let fuse = data.last().copied().unwrap_or(0);
        let _ = h.sign_for_fuse(u32::from(fuse));
    }
    if let Ok(r) = RiscvBootloader::parse(data) {
        let _ = r.ucode.len();
    }
    if let Ok(f) = FalconBootloader::parse(data) {
        let _ = f.boot_addr();
    }
});
