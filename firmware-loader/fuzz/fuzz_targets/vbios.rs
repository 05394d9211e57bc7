//! Fuzz target: VBIOS parsing and FWSEC building must never panic or hang on any input (body in
//! ../targets.rs).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../targets.rs"]
mod targets;

fuzz_target!(|data: &[u8]| {
    let _ = targets::vbios(data);
});
