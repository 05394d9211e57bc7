//! Feeds arbitrary bytes to everything in nvbare-driver that decodes what RM or the GPU wrote
//! (control replies, notifiers, fault records) and to the allocators driven by caller input.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    nvbare_driver::gpu::fuzz_entry(data);
});
