//! What each fuzz target does with one input. Included (`#[path]`) by the fuzz binaries in
//! `fuzz_targets/` and by the seed regression test `tests/fuzz_seeds.rs`, so the seeds run exactly
//! what the fuzzer runs. Every function must return for every input without panicking.
// Each fuzz binary uses one of these.
#![allow(dead_code)]

use nvbare_firmware::booter::HsImage;
use nvbare_firmware::bootloader::{FalconBootloader, RiscvBootloader};
use nvbare_firmware::fmc::FmcImage;
use nvbare_firmware::gsp::GspImage;
use nvbare_firmware::vbios::{build_fwsec, FwsecCommand, FwsecVariant, Vbios};
use nvbare_firmware::Chipset;

/// GSP-RM ELF images: parse, then exercise every accessor.
pub fn gsp_elf(data: &[u8]) {
    if let Ok(g) = GspImage::parse(data) {
        let _ = g.image().len();
        let _ = g.sections();
        let _ = g.signatures();
        for &c in Chipset::ALL {
            let _ = g.signature_for(c, false);
            let _ = g.signature_for(c, true);
        }
    }
}

/// FMC ELF32 images.
pub fn fmc(data: &[u8]) {
    if let Ok(f) = FmcImage::parse(data) {
        let _ = f.sections();
        let _ = (
            f.image.len(),
            f.hash.len(),
            f.signature.len(),
            f.public_key.len(),
        );
    }
}

/// `nvfw_bin_hdr` containers: HS ucode (booters, scrubber), RISC-V bootloader, falcon bootloader.
pub fn bin_container(data: &[u8]) {
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
}

/// VBIOS parsing and FWSEC building (FRTS and SB, production and debug). Returns the parsed
/// VBIOS, if any, for callers that check more.
pub fn vbios(data: &[u8]) -> Option<Vbios> {
    let v = Vbios::parse(data).ok()?;
    // Derive the FRTS region and fuse version from the last input bytes, so both valid and
    // invalid regions are exercised.
    let tail = |i: usize| {
        u64::from(
            data.get(data.len().wrapping_sub(i + 1))
                .copied()
                .unwrap_or(0),
        )
    };
    let offset = (tail(0) << 20) | (tail(1) << 12) | (tail(2) & 0x1);
    let size = (tail(3) & 0x3) << 20;
    let fuse = u32::try_from(tail(4) & 0x1F).unwrap_or(0);
    for variant in [FwsecVariant::Prod, FwsecVariant::Debug] {
        let _ = build_fwsec(&v, variant, FwsecCommand::Frts { offset, size }, fuse);
        let _ = build_fwsec(&v, variant, FwsecCommand::Sb, fuse);
    }
    Some(v)
}
