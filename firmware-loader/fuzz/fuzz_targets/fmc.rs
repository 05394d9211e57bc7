#![no_main]
//! FMC ELF32 images.
use libfuzzer_sys::fuzz_target;
use nvbare_firmware::fmc::FmcImage;

fuzz_target!(|data: &[u8]| {
    if let Ok(f) = FmcImage::parse(data) {
        let _ = f.sections();
        let _ = (
            f.image.len(),
            f.hash.len(),
            f.signature.len(),
            f.public_key.len(),
        );
    }
});
