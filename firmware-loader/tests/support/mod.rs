//! A synthetic VBIOS builder for the VBIOS/FWSEC tests and fuzz seeds.
//!
//! Builds, from the layouts documented in open-gpu-kernel-modules (`pci_exp_table.h`,
//! `kernel_gsp_vbios_tu102.c`, `kernel_gsp_fwsec.c`, `kernel_gsp_frts_tu102.c`) and nova-core
//! (`vbios.rs`, `firmware/fwsec.rs`), a ROM with an x86 PC-AT image (BIT header and tokens, Falcon
//! data), an optional EFI image, and an NVIDIA extended image (falcon ucode table, a FWSEC v3
//! descriptor with four signatures and its ucode, a FWSEC v2 descriptor and its ucode). No byte
//! comes from a real VBIOS.
#![allow(dead_code, clippy::cast_possible_truncation)]

/// What goes in front of the ROM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leading {
    None,
    /// `n` bytes of 0xEE (a multiple of 512).
    Junk(usize),
    /// IFR header v1 pointing at the ROM at 0x1000.
    IfrV1,
    /// IFR header v3 with a ROM directory pointing at the ROM at 0x2000.
    IfrV3,
}

#[derive(Debug, Clone, Copy)]
pub struct Spec {
    pub leading: Leading,
    pub efi: bool,
    /// NPDE structures in every image.
    pub npde: bool,
}

impl Default for Spec {
    fn default() -> Self {
        Self {
            leading: Leading::None,
            efi: true,
            npde: true,
        }
    }
}

/// ROM-relative offsets of everything the builder placed (add `rom_offset` for input offsets).
#[derive(Debug, Clone, Copy, Default)]
pub struct Layout {
    pub rom_offset: usize,
    pub x86: usize,
    pub efi: Option<usize>,
    pub ext: usize,
    pub rom_len: usize,
    pub bit: usize,
    pub decoy_bit: usize,
    pub tokens: usize,
    pub falcon_data: usize,
    pub expansion_rom_offset: usize,
    pub table: usize,
    pub desc_v3: usize,
    pub ucode_v3: usize,
    pub desc_v2: usize,
    pub ucode_v2: usize,
}

impl Layout {
    /// Input offset of a ROM offset.
    pub fn abs(&self, rom_off: usize) -> usize {
        self.rom_offset + rom_off
    }
}

// ---- FWSEC v3 (production entry) ----
pub const V3_IMEM: usize = 0x100;
pub const V3_DMEM: usize = 0x300;
pub const V3_PKC: usize = 0x180;
pub const V3_SIG_VERSIONS: u16 = 0b1010_0110; // fuse versions 1, 2, 5, 7
pub const V3_SIG_COUNT: u8 = 4;
pub const V3_DESC_SIZE: usize = 44 + 4 * 384;
pub const V3_MAPPER: usize = 0x40; // DMEM offset of the DMEM mapper
pub const V3_CMD_IN: usize = 0x100; // DMEM offset of the command buffer
pub const V3_IMEM_PHYS: u32 = 0x0;
pub const V3_DMEM_PHYS: u32 = 0x0;
pub const V3_ENGINE_MASK: u16 = 0x0400;
pub const V3_UCODE_ID: u8 = 9;
/// Byte of signature `k`.
pub fn sig_byte(k: usize) -> u8 {
    0xA0 + k as u8
}

// ---- FWSEC v2 (debug entry) ----
pub const V2_IMEM: usize = 0x100;
pub const V2_IMEM_SEC_BASE: u32 = 0x80;
pub const V2_IMEM_SEC_SIZE: u32 = 0x80;
pub const V2_VIRT_ENTRY: u32 = 0x10;
pub const V2_DMEM_OFFSET: usize = 0x100;
pub const V2_DMEM: usize = 0x200;
pub const V2_IFACE: usize = 0x20;
pub const V2_MAPPER: usize = 0x80;
pub const V2_CMD_IN: usize = 0xC0;

/// Filler for code/data bytes, so stray writes are visible.
pub fn fill(i: usize) -> u8 {
    (i.wrapping_mul(7) ^ 0x5A) as u8
}

pub fn put16(b: &mut [u8], at: usize, v: u16) {
    b[at..at + 2].copy_from_slice(&v.to_le_bytes());
}
pub fn put32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}
pub fn get32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

/// Writes a ROM header + PCIR (at +0x40) + optional NPDE (at +0x60) for an image at `at`.
fn image_header(rom: &mut [u8], at: usize, blocks: u16, code_type: u8, last: bool, npde: bool) {
    put16(rom, at, 0xAA55);
    put16(rom, at + 0x18, 0x40);
    let p = at + 0x40;
    rom[p..p + 4].copy_from_slice(b"PCIR");
    put16(rom, p + 4, 0x10DE);
    put16(rom, p + 6, 0x2204);
    put16(rom, p + 0x0A, 0x18);
    rom[p + 0x0C] = 3;
    rom[p + 0x0D..p + 0x10].copy_from_slice(&[0x00, 0x00, 0x03]);
    put16(rom, p + 0x10, blocks);
    put16(rom, p + 0x12, 1);
    rom[p + 0x14] = code_type;
    rom[p + 0x15] = if last { 0x80 } else { 0 };
    if npde {
        // (0x40 + 0x18 + 0xF) & !0xF = 0x60
        let n = at + 0x60;
        rom[n..n + 4].copy_from_slice(b"NPDE");
        put16(rom, n + 4, 0x101);
        put16(rom, n + 6, 0x0C);
        put16(rom, n + 8, blocks);
        rom[n + 0x0A] = if last { 0x80 } else { 0 };
    }
}

fn bit_header(rom: &mut [u8], at: usize, entries: u8, good_checksum: bool) {
    put16(rom, at, 0xB8FF);
    rom[at + 2..at + 6].copy_from_slice(b"BIT\0");
    put16(rom, at + 6, 0x0100);
    rom[at + 8] = 12;
    rom[at + 9] = 6;
    rom[at + 10] = entries;
    let sum = rom[at..at + 11].iter().fold(0u8, |a, &b| a.wrapping_add(b));
    rom[at + 11] = 0u8.wrapping_sub(sum).wrapping_add(u8::from(!good_checksum));
}

fn token(rom: &mut [u8], at: usize, id: u8, ver: u8, size: u16, ptr: u16) {
    rom[at] = id;
    rom[at + 1] = ver;
    put16(rom, at + 2, size);
    put16(rom, at + 4, ptr);
}

/// The DMEM-mapper (`FalconAppifDmemmapperV3`) contents before patching.
fn dmem_mapper(dmem: &mut [u8], at: usize, cmd_in: usize) {
    dmem[at..at + 4].copy_from_slice(b"DMAP");
    put16(dmem, at + 4, 3);
    put16(dmem, at + 6, 64);
    put32(dmem, at + 8, cmd_in as u32);
    put32(dmem, at + 12, 0x80);
    for w in 4..16 {
        if w != 11 {
            put32(dmem, at + w * 4, 0x1111_0000 + w as u32);
        }
    }
    put32(dmem, at + 44, 0); // init_cmd
}

/// Builds the ROM and its layout.
pub fn build(spec: Spec) -> (Vec<u8>, Layout) {
    let mut l = Layout {
        x86: 0,
        ..Layout::default()
    };
    let x86_len = 0x400;
    let efi_len = 0x200;
    let ext_len = 0x1400;
    l.efi = spec.efi.then_some(x86_len);
    l.ext = x86_len + if spec.efi { efi_len } else { 0 };
    l.rom_len = l.ext + ext_len;
    l.expansion_rom_offset = l.ext - x86_len;
    let mut rom = vec![0u8; l.rom_len];

    // x86 image: 2 blocks.
    image_header(&mut rom, 0, 2, 0x00, false, spec.npde);
    // A decoy BIT pattern with a bad checksum before the real one.
    l.decoy_bit = 0xC0;
    bit_header(&mut rom, l.decoy_bit, 1, false);
    l.bit = 0x100;
    bit_header(&mut rom, l.bit, 3, true);
    l.tokens = l.bit + 12;
    l.falcon_data = 0x180;
    token(&mut rom, l.tokens, 0x32, 1, 4, 0x1A0);
    // A v1 Falcon data token: must be skipped.
    token(&mut rom, l.tokens + 6, 0x70, 1, 4, 0x1A4);
    token(&mut rom, l.tokens + 12, 0x70, 2, 4, l.falcon_data as u16);
    put32(&mut rom, 0x1A4, 0xDEAD_BEEF);

    // EFI image: 1 block.
    if let Some(e) = l.efi {
        image_header(&mut rom, e, 1, 0x03, false, spec.npde);
    }

    // Extended image: 10 blocks, last.
    image_header(&mut rom, l.ext, 10, 0xE0, true, spec.npde);
    l.table = l.ext + 0x100;
    l.desc_v3 = l.ext + 0x200;
    l.ucode_v3 = l.desc_v3 + V3_DESC_SIZE;
    l.desc_v2 = l.ext + 0xE40;
    l.ucode_v2 = l.desc_v2 + 60;
    let rel = |abs: usize| (abs - l.expansion_rom_offset) as u32;
    put32(&mut rom, l.falcon_data, rel(l.table));

    // Falcon ucode table: header v1, 3 entries.
    let t = l.table;
    rom[t..t + 6].copy_from_slice(&[1, 6, 6, 3, 3, 44]);
    let entries = [
        (0x45u8, 0x07u8, rel(l.desc_v2)),
        (0x85, 0x07, rel(l.desc_v3)),
        (0x10, 0x00, 0xFFFF_FFF0),
    ];
    for (i, (app, target, ptr)) in entries.iter().enumerate() {
        let e = t + 6 + i * 6;
        rom[e] = *app;
        rom[e + 1] = *target;
        put32(&mut rom, e + 2, *ptr);
    }

    // FWSEC v3 descriptor.
    let d = l.desc_v3;
    put32(&mut rom, d, ((V3_DESC_SIZE as u32) << 16) | (3 << 8) | 1);
    put32(&mut rom, d + 4, (V3_IMEM + V3_DMEM) as u32); // stored size
    put32(&mut rom, d + 8, V3_PKC as u32);
    put32(&mut rom, d + 12, 0); // interface offset
    put32(&mut rom, d + 16, V3_IMEM_PHYS);
    put32(&mut rom, d + 20, V3_IMEM as u32);
    put32(&mut rom, d + 24, 0); // imem virt base
    put32(&mut rom, d + 28, V3_DMEM_PHYS);
    put32(&mut rom, d + 32, V3_DMEM as u32);
    put16(&mut rom, d + 36, V3_ENGINE_MASK);
    rom[d + 38] = V3_UCODE_ID;
    rom[d + 39] = V3_SIG_COUNT;
    put16(&mut rom, d + 40, V3_SIG_VERSIONS);
    for k in 0..usize::from(V3_SIG_COUNT) {
        let s = d + 44 + k * 384;
        rom[s..s + 384].fill(sig_byte(k));
    }
    // v3 ucode: code then DMEM.
    for i in 0..V3_IMEM + V3_DMEM {
        rom[l.ucode_v3 + i] = fill(i);
    }
    {
        let dmem = &mut rom[l.ucode_v3 + V3_IMEM..l.ucode_v3 + V3_IMEM + V3_DMEM];
        dmem[0..4].copy_from_slice(&[1, 4, 8, 2]); // appif header v1: 2 entries of 8 bytes
        put32(dmem, 4, 3); // some other application interface
        put32(dmem, 8, 0x200);
        put32(dmem, 12, 4); // DMEM mapper
        put32(dmem, 16, V3_MAPPER as u32);
        dmem_mapper(dmem, V3_MAPPER, V3_CMD_IN);
    }

    // FWSEC v2 descriptor.
    let d = l.desc_v2;
    let v2 = [
        (60u32 << 16) | (2 << 8) | 1,
        (V2_DMEM_OFFSET + V2_DMEM) as u32, // stored size
        (V2_DMEM_OFFSET + V2_DMEM) as u32, // uncompressed size
        V2_VIRT_ENTRY,
        V2_IFACE as u32,
        0,              // imem phys base
        V2_IMEM as u32, // imem load size
        0,              // imem virt base
        V2_IMEM_SEC_BASE,
        V2_IMEM_SEC_SIZE,
        V2_DMEM_OFFSET as u32,
        0, // dmem phys base
        V2_DMEM as u32,
        0,
        0,
    ];
    for (i, w) in v2.iter().enumerate() {
        put32(&mut rom, d + i * 4, *w);
    }
    for i in 0..V2_DMEM_OFFSET + V2_DMEM {
        rom[l.ucode_v2 + i] = fill(i + 3);
    }
    {
        let dmem = &mut rom[l.ucode_v2 + V2_DMEM_OFFSET..l.ucode_v2 + V2_DMEM_OFFSET + V2_DMEM];
        dmem[V2_IFACE..V2_IFACE + 4].copy_from_slice(&[1, 4, 8, 1]);
        put32(dmem, V2_IFACE + 4, 4);
        put32(dmem, V2_IFACE + 8, V2_MAPPER as u32);
        dmem_mapper(dmem, V2_MAPPER, V2_CMD_IN);
    }

    // Leading bytes.
    let prefix: Vec<u8> = match spec.leading {
        Leading::None => Vec::new(),
        Leading::Junk(n) => vec![0xEE; n],
        Leading::IfrV1 => {
            let mut p = vec![0u8; 0x1000];
            put32(&mut p, 0, 0x4947_564E);
            put32(&mut p, 4, (0x20 << 16) | (1 << 8));
            put32(&mut p, 0x24, 0x1000);
            p
        }
        Leading::IfrV3 => {
            let mut p = vec![0u8; 0x2000];
            put32(&mut p, 0, 0x4947_564E);
            put32(&mut p, 4, 3 << 8);
            put32(&mut p, 8, 0x40); // total data size
            put32(&mut p, 0x40, 0x100); // flash status offset
            put32(&mut p, 0x1100, 0x4452_4652); // "RFRD"
            put32(&mut p, 0x1108, 0x2000);
            p
        }
    };
    l.rom_offset = prefix.len();
    let mut out = prefix;
    out.extend_from_slice(&rom);
    (out, l)
}

/// The default ROM (x86 + EFI + extended image, NPDEs, no leading bytes).
pub fn default_rom() -> (Vec<u8>, Layout) {
    build(Spec::default())
}
