//! Fuzz target: VBIOS parsing and FWSEC building (FRTS and SB, production and debug) must never
//! panic or hang on any input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nvbare_firmware::vbios::{build_fwsec, FwsecCommand, FwsecVariant, Vbios};

fuzz_target!(|data: &[u8]| {
    let Ok(v) = Vbios::parse(data) else { return };
    // Derive the FRTS region and fuse version from the last input bytes, so both valid and
    // invalid regions are exercised.
    let tail = |i: usize| u64::from(data.get(data.len().wrapping_sub(i + 1)).copied().unwrap_or(0));
    let offset = (tail(0) << 20) | (tail(1) << 12) | (tail(2) & 0x1);
    let size = (tail(3) & 0x3) << 20;
    let fuse = u32::try_from(tail(4) & 0x1F).unwrap_or(0);
    for variant in [FwsecVariant::Prod, FwsecVariant::Debug] {
        let _ = build_fwsec(&v, variant, FwsecCommand::Frts { offset, size }, fuse);
        let _ = build_fwsec(&v, variant, FwsecCommand::Sb, fuse);
    }
});
