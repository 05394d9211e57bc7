#![no_main]
//! GSP-RM ELF images: parse, then exercise every accessor.
use libfuzzer_sys::fuzz_target;
use nvbare_firmware::gsp::GspImage;
use nvbare_firmware::Chipset;

fuzz_target!(|data: &[u8]| {
    if let Ok(g) = GspImage::parse(data) {
        let _ = g.image().len();
        let _ = g.sections();
        let _ = g.signatures();
        for &c in Chipset::ALL {
            let _ = g.signature_for(c, false);
            let _ = g.signature_for(c, true);
        }
    }
});
