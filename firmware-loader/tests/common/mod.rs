//! Synthetic firmware images (no NVIDIA bytes) for the malformed-input tests and the fuzz seeds.
#![allow(dead_code, clippy::cast_possible_truncation)]

fn put16(v: &mut Vec<u8>, x: u16) {
    v.extend_from_slice(&x.to_le_bytes());
}
fn put32(v: &mut Vec<u8>, x: u32) {
    v.extend_from_slice(&x.to_le_bytes());
}
fn put64(v: &mut Vec<u8>, x: u64) {
    v.extend_from_slice(&x.to_le_bytes());
}

/// A little-endian relocatable ELF (64- or 32-bit) whose sections are `sections`, plus a
/// `.shstrtab`. Layout: header, section contents, string table, section headers (8-aligned).
pub fn elf(is64: bool, machine: u16, sections: &[(&str, &[u8])]) -> Vec<u8> {
    let ehsize: usize = if is64 { 64 } else { 52 };
    let shentsize: usize = if is64 { 64 } else { 40 };
    let mut body = Vec::new();
    let mut offsets = Vec::new();
    for (_, data) in sections {
        offsets.push(ehsize + body.len());
        body.extend_from_slice(data);
    }
    let mut strtab = vec![0u8];
    let mut names = Vec::new();
    for (name, _) in sections {
        names.push(strtab.len());
        strtab.extend_from_slice(name.as_bytes());
        strtab.push(0);
    }
    let shstr_name = strtab.len();
    strtab.extend_from_slice(b".shstrtab\0");
    let strtab_off = ehsize + body.len();
    body.extend_from_slice(&strtab);
    while (ehsize + body.len()) % 8 != 0 {
        body.push(0);
    }
    let shoff = ehsize + body.len();
    let shnum = sections.len() + 2;

    let mut f = Vec::new();
    f.extend_from_slice(&[0x7f, b'E', b'L', b'F', if is64 { 2 } else { 1 }, 1, 1, 0]);
    f.extend_from_slice(&[0; 8]);
    put16(&mut f, 1); // ET_REL
    put16(&mut f, machine);
    put32(&mut f, 1);
    if is64 {
        put64(&mut f, 0);
        put64(&mut f, 0);
        put64(&mut f, shoff as u64);
    } else {
        put32(&mut f, 0);
        put32(&mut f, 0);
        put32(&mut f, shoff as u32);
    }
    put32(&mut f, 0);
    put16(&mut f, ehsize as u16);
    put16(&mut f, 0);
    put16(&mut f, 0);
    put16(&mut f, shentsize as u16);
    put16(&mut f, shnum as u16);
    put16(&mut f, (shnum - 1) as u16);
    assert_eq!(f.len(), ehsize);
    f.extend_from_slice(&body);

    let sh = |f: &mut Vec<u8>, name: usize, ty: u32, off: usize, size: usize| {
        if is64 {
            put32(f, name as u32);
            put32(f, ty);
            put64(f, 0);
            put64(f, 0);
            put64(f, off as u64);
            put64(f, size as u64);
            put32(f, 0);
            put32(f, 0);
            put64(f, 1);
            put64(f, 0);
        } else {
            for x in [name as u32, ty, 0, 0, off as u32, size as u32, 0, 0, 1, 0] {
                put32(f, x);
            }
        }
    };
    sh(&mut f, 0, 0, 0, 0);
    for (i, (_, data)) in sections.iter().enumerate() {
        sh(&mut f, names[i], 1, offsets[i], data.len());
    }
    sh(&mut f, shstr_name, 3, strtab_off, strtab.len());
    f
}

/// A GSP-RM-like ELF64: `.fwimage`, `.fwversion` = "570.144", two signature sections.
pub fn gsp_elf() -> Vec<u8> {
    let image: Vec<u8> = (0..600u32).map(|i| (i % 251) as u8).collect();
    elf(
        true,
        0xf3,
        &[
            (".fwimage", &image),
            (".fwversion", b"570.144\0"),
            (".fwsignature_ga10x", &[0x11; 64]),
            (".fwsignature_tu10x", &[0x22; 32]),
        ],
    )
}

/// An FMC-like ELF32: hash (48), signature (96), publickey (97), image.
pub fn fmc_elf() -> Vec<u8> {
    elf(
        false,
        0,
        &[
            ("hash", &[1; 48]),
            ("signature", &[2; 96]),
            ("publickey", &[3; 97]),
            ("image", &[4; 300]),
        ],
    )
}

/// Offsets of the fields of [`hs_image`], for corrupting them.
pub mod hs_off {
    pub const BIN_DATA_OFFSET: usize = 0x10;
    pub const BIN_DATA_SIZE: usize = 0x14;
    pub const HS: usize = 0x18;
    pub const SIG_PROD_OFFSET: usize = HS;
    pub const SIG_PROD_SIZE: usize = HS + 4;
    pub const PATCH_LOC_OFFSET: usize = HS + 8;
    pub const META_SIZE: usize = HS + 20;
    pub const LOAD_HEADER_OFFSET: usize = HS + 28;
    pub const LOAD_HEADER_SIZE: usize = HS + 32;
}

/// An HS image in an `nvfw_bin_hdr` container with `num_sigs` signatures of `sig_size` bytes
/// (signature i filled with i+1). Payload: OS code 0..0x100, app code 0x100..0x200, OS data
/// 0x200..0x300, signature patched at payload 0x210.
pub fn hs_image(num_sigs: u32, sig_size: u32) -> Vec<u8> {
    let sigs_off = 0x3cu32;
    let sigs_len = num_sigs * sig_size;
    let patch_loc_off = sigs_off + sigs_len;
    let patch_sig_off = patch_loc_off + 4;
    let meta_off = patch_sig_off + 4;
    let num_sig_off = meta_off + 12;
    let load_off = num_sig_off + 4;
    let load_size = 36u32;
    let data_off = load_off + load_size;
    let data_size = 0x300u32;
    let mut f = Vec::new();
    for x in [
        0x10de,
        1,
        data_off + data_size - 24,
        0x18,
        data_off,
        data_size,
    ] {
        put32(&mut f, x);
    }
    for x in [
        sigs_off,
        sigs_len,
        patch_loc_off,
        patch_sig_off,
        meta_off,
        12,
        num_sig_off,
        load_off,
        load_size,
    ] {
        put32(&mut f, x);
    }
    for i in 0..num_sigs {
        f.extend(std::iter::repeat((i + 1) as u8).take(sig_size as usize));
    }
    put32(&mut f, 0x210); // patch location
    put32(&mut f, 0); // patch signature index
    for x in [num_sigs.saturating_sub(1), 1, 3] {
        put32(&mut f, x); // fuse_ver, engine_id_mask, ucode_id
    }
    put32(&mut f, num_sigs);
    for x in [0, 0x100, 0x200, 0x100, 1, 0x100, 0x100, 0x100, 0] {
        put32(&mut f, x);
    }
    assert_eq!(f.len(), data_off as usize);
    f.extend((0..data_size).map(|i| (i & 0xff) as u8 ^ 0x5a));
    f
}

/// A RISC-V bootloader container with an `RM_RISCV_UCODE_DESC` of `version` (4 or 5).
/// Payload 0x400 bytes: manifest 0..0x100, monitor data 0x100..0x200, monitor code 0x200..0x400.
pub fn riscv_bootloader(version: u32) -> Vec<u8> {
    let desc_len = if version >= 5 { 84u32 } else { 76 };
    let data_off = 0x18 + desc_len;
    let data_size = 0x400u32;
    let mut f = Vec::new();
    for x in [
        0x10de,
        1,
        data_off + data_size - 24,
        0x18,
        data_off,
        data_size,
    ] {
        put32(&mut f, x);
    }
    let mut desc = vec![
        version, 0x300, 0x80, 0x380, 0x10, 0, 0, 0x1234, 0, 0x100, 0x100, 0x100, 0x200, 0x200, 1,
        0, 0, 0, 0,
    ];
    if version >= 5 {
        desc.extend([0x8000, 0]);
    }
    for x in desc {
        put32(&mut f, x);
    }
    f.extend((0..data_size).map(|i| (i % 7) as u8));
    f
}

/// A generic falcon bootloader container: start tag 0xfd, code 0..0x200, data 0x200..0x300.
pub fn falcon_bootloader() -> Vec<u8> {
    let mut f = Vec::new();
    for x in [0x10de, 1, 0x318, 0x18, 0x30, 0x300] {
        put32(&mut f, x);
    }
    for x in [0xfd, 0, 0, 0x200, 0x200, 0x100] {
        put32(&mut f, x);
    }
    f.extend((0..0x300u32).map(|i| (i % 13) as u8));
    f
}

/// Every seed, by fuzz target: (target, file name, bytes).
pub fn seeds() -> Vec<(&'static str, &'static str, Vec<u8>)> {
    let mut v = vec![
        ("gsp_elf", "gsp_synthetic.elf", gsp_elf()),
        ("fmc", "fmc_synthetic.elf", fmc_elf()),
        ("bin_container", "hs_2sigs.bin", hs_image(2, 0x40)),
        ("bin_container", "hs_1sig.bin", hs_image(1, 0x10)),
        ("bin_container", "riscv_bl_v4.bin", riscv_bootloader(4)),
        ("bin_container", "riscv_bl_v5.bin", riscv_bootloader(5)),
        ("bin_container", "falcon_bl.bin", falcon_bootloader()),
    ];
    // A few near misses so the fuzzer starts at the error paths too.
    let mut bad = gsp_elf();
    if let Some(b) = bad.get_mut(4) {
        *b = 1;
    }
    v.push(("gsp_elf", "gsp_wrong_class.elf", bad));
    let mut bad = hs_image(2, 0x40);
    bad[hs_off::META_SIZE] = 13;
    v.push(("bin_container", "hs_bad_meta.bin", bad));
    v
}
