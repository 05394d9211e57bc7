//! CUBIN loader tests on synthetic images built here (no assets needed): metadata, placement, relocations,
//! unresolved externals, and typed errors for malformed inputs. Also replays the fuzz seeds.

// Test code: casts are on values this file built or on tool output.
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::type_complexity
)]

use std::path::Path;

use nvbare::module::elf::Elf;
use nvbare::module::{Cubin, ElfLayout, External};
use nvbare::Error;

struct Sec {
    name: &'static str,
    kind: u32,
    flags: u64,
    data: Vec<u8>,
    size: Option<u64>,
    link: u32,
    info: u32,
    align: u64,
    entsize: u64,
}

fn sec(name: &'static str, kind: u32, flags: u64, data: Vec<u8>) -> Sec {
    Sec {
        name,
        kind,
        flags,
        data,
        size: None,
        link: 0,
        info: 0,
        align: 4,
        entsize: 0,
    }
}

fn attr(fmt: u8, id: u8, value: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![fmt, id];
    v.extend_from_slice(&value.to_le_bytes());
    v.extend_from_slice(payload);
    v
}

fn words(w: &[u32]) -> Vec<u8> {
    w.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn sym(name: u32, info: u8, other: u8, shndx: u16, value: u64, size: u64) -> Vec<u8> {
    let mut v = name.to_le_bytes().to_vec();
    v.extend_from_slice(&[info, other]);
    v.extend_from_slice(&shndx.to_le_bytes());
    v.extend_from_slice(&value.to_le_bytes());
    v.extend_from_slice(&size.to_le_bytes());
    v
}

fn rela(offset: u64, symbol: u32, kind: u32, addend: i64) -> Vec<u8> {
    let mut v = offset.to_le_bytes().to_vec();
    v.extend_from_slice(&((u64::from(symbol) << 32) | u64::from(kind)).to_le_bytes());
    v.extend_from_slice(&addend.to_le_bytes());
    v
}

/// A minimal new-layout (ABI v8) sm_90 CUBIN with one kernel `k(void*, int)`, a global `g` in `.nv.global`,
/// bank 4 holding `&g + 4` (R_CUDA_64) and the code loading `&g` through ABS32_LO_32/HI_32; with `printf` a
/// second bank-4 slot points at the undefined `vprintf`.
fn synthetic(printf: bool) -> Vec<u8> {
    let mut strtab = b"\0k\0g\0vprintf\0".to_vec();
    strtab.push(0);
    // Section indices (fixed order below).
    const TEXT: u16 = 6;
    const GLOBAL: u16 = 11;
    let mut symtab = vec![0u8; 24];
    symtab.extend(sym(1, 0x12, 0x10, TEXT, 0, 128)); // 1: k, FUNC GLOBAL, STO_CUDA_ENTRY
    symtab.extend(sym(3, 0x11, 0, GLOBAL, 8, 4)); // 2: g, OBJECT GLOBAL
    symtab.extend(sym(5, 0x12, 0, 0, 0, 0)); // 3: vprintf, undefined
    let module_info = [
        attr(4, 0x2f, 8, &words(&[1, 42])), // REGCOUNT k = 42
        attr(4, 0x11, 8, &words(&[1, 16])), // FRAME_SIZE k = 16
        attr(4, 0x12, 8, &words(&[1, 32])), // MIN_STACK_SIZE k = 32
    ]
    .concat();
    let kparam = |ordinal: u16, offset: u16, size: u32| {
        let mut p = words(&[0]);
        p.extend_from_slice(&ordinal.to_le_bytes());
        p.extend_from_slice(&offset.to_le_bytes());
        p.extend_from_slice(&((size << 18) | (0x1f << 12)).to_le_bytes());
        attr(4, 0x17, 12, &p)
    };
    let mut kinfo = [
        kparam(1, 8, 4),
        kparam(0, 0, 8),
        attr(4, 0x0a, 8, &words(&[7, (12 << 16) | 0x210])), // PARAM_CBANK: base 0x210, 12 bytes
        attr(3, 0x19, 12, &[]),                             // CBANK_PARAM_SIZE 12
        attr(4, 0x05, 12, &words(&[256, 1, 1])),            // MAX_THREADS
        attr(4, 0x3d, 12, &words(&[2, 1, 1])),              // CTA_PER_CLUSTER
        attr(1, 0x3e, 0, &[]),                              // EXPLICIT_CLUSTER
        attr(2, 0x4c, 3, &[]),                              // NUM_BARRIERS 3
        attr(3, 0x1b, 64, &[]),                             // MAXREG_COUNT
        attr(4, 0x1c, 8, &words(&[0x60, 0x70])),            // EXIT_INSTR_OFFSETS
        attr(4, 0x99, 2, &[0xab, 0xcd]),                    // unknown id: kept, not fatal
    ]
    .concat();
    if printf {
        kinfo.extend(attr(4, 0x0f, 4, &words(&[3]))); // EXTERNS vprintf
    }
    let mut text = vec![0u8; 128];
    text[0x14..0x18].copy_from_slice(&0xdead_beefu32.to_le_bytes()); // overwritten by LO_32
    let mut const4_rel = rela(0, 2, 2, 4);
    if printf {
        const4_rel.extend(rela(8, 3, 2, 0));
    }
    let text_rel = [rela(0x10, 2, 0x38, 0), rela(0x20, 2, 0x39, 0)].concat();
    let mut secs = vec![
        sec("", 0, 0, vec![]),
        sec(".shstrtab", 3, 0, vec![]),
        sec(".strtab", 3, 0, strtab),
        Sec {
            link: 2,
            info: 1,
            align: 8,
            entsize: 24,
            ..sec(".symtab", 2, 0, symtab)
        },
        Sec {
            link: 3,
            ..sec(".nv.info", 0x7000_0000, 0, module_info)
        },
        Sec {
            link: 3,
            info: 6,
            ..sec(".nv.info.k", 0x7000_0000, 0x40, kinfo)
        },
        Sec {
            link: 3,
            info: 42 << 24,
            align: 128,
            ..sec(".text.k", 1, 0x6, text)
        },
        Sec {
            info: 6,
            ..sec(".nv.constant0.k", 1, 0x42, vec![0; 0x21c])
        },
        Sec {
            size: Some(512),
            align: 16,
            info: 6,
            ..sec(".nv.shared.k", 8, 0x43, vec![])
        },
        Sec {
            align: 8,
            ..sec(".nv.constant4", 1, 0x2, vec![0; 16])
        },
        Sec {
            link: 3,
            info: 9,
            align: 8,
            entsize: 24,
            ..sec(".rela.nv.constant4", 4, 0x40, const4_rel)
        },
        Sec {
            size: Some(64),
            ..sec(".nv.global", 8, 0x3, vec![])
        },
        Sec {
            link: 3,
            info: 6,
            align: 8,
            entsize: 24,
            ..sec(".rela.text.k", 4, 0x40, text_rel)
        },
    ];
    // Section names.
    let mut shstr = vec![0u8];
    let mut name_off = Vec::new();
    for s in &secs {
        if s.name.is_empty() {
            name_off.push(0u32);
        } else {
            name_off.push(shstr.len() as u32);
            shstr.extend_from_slice(s.name.as_bytes());
            shstr.push(0);
        }
    }
    secs[1].data = shstr;
    // Layout: header, section data, section table.
    let mut out = vec![0u8; 64];
    let mut offsets = Vec::new();
    for s in &secs {
        while out.len() % 8 != 0 {
            out.push(0);
        }
        offsets.push(out.len() as u64);
        out.extend_from_slice(&s.data);
    }
    while out.len() % 8 != 0 {
        out.push(0);
    }
    let shoff = out.len() as u64;
    for (i, s) in secs.iter().enumerate() {
        out.extend_from_slice(&name_off[i].to_le_bytes());
        out.extend_from_slice(&s.kind.to_le_bytes());
        out.extend_from_slice(&s.flags.to_le_bytes());
        out.extend_from_slice(&0u64.to_le_bytes());
        out.extend_from_slice(&(if i == 0 { 0 } else { offsets[i] }).to_le_bytes());
        out.extend_from_slice(&s.size.unwrap_or(s.data.len() as u64).to_le_bytes());
        out.extend_from_slice(&s.link.to_le_bytes());
        out.extend_from_slice(&s.info.to_le_bytes());
        out.extend_from_slice(&s.align.to_le_bytes());
        out.extend_from_slice(&s.entsize.to_le_bytes());
    }
    out[..16].copy_from_slice(&[
        0x7f, b'E', b'L', b'F', 2, 1, 1, 0x41, 8, 0, 0, 0, 0, 0, 0, 0,
    ]);
    out[16..18].copy_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    out[18..20].copy_from_slice(&190u16.to_le_bytes()); // EM_CUDA
    out[20..24].copy_from_slice(&1u32.to_le_bytes());
    out[40..48].copy_from_slice(&shoff.to_le_bytes());
    out[48..52].copy_from_slice(&0x0600_5a04u32.to_le_bytes()); // sm_90, as CUDA 13 writes it
    out[52..54].copy_from_slice(&64u16.to_le_bytes());
    out[58..60].copy_from_slice(&64u16.to_le_bytes());
    out[60..62].copy_from_slice(&(secs.len() as u16).to_le_bytes());
    out[62..64].copy_from_slice(&1u16.to_le_bytes());
    out
}

#[test]
fn synthetic_cubin_metadata() {
    let data = synthetic(false);
    let c = Cubin::parse(&data).unwrap();
    assert_eq!(c.layout, ElfLayout::V8);
    assert_eq!(c.arch.to_string(), "sm_90");
    assert_eq!(c.kernels.len(), 1);
    let k = &c.kernels[0];
    assert_eq!(k.name, "k");
    assert_eq!((k.registers, k.frame_bytes, k.stack_bytes), (42, 16, 32));
    assert_eq!((k.param_base, k.param_bytes), (Some(0x210), 12));
    let params: Vec<_> = k
        .params
        .iter()
        .map(|p| (p.ordinal, p.offset, p.size))
        .collect();
    assert_eq!(params, [(0, 0, 8), (1, 8, 4)]);
    assert_eq!(k.max_threads, Some([256, 1, 1]));
    assert_eq!(k.cluster_dims, Some([2, 1, 1]));
    assert!(k.explicit_cluster);
    assert_eq!((k.barriers, k.max_registers), (3, Some(64)));
    assert_eq!(k.exit_offsets, [0x60, 0x70]);
    assert_eq!(k.shared_bytes, 512);
    assert_eq!(k.cbank0_bytes, 0x21c);
    assert!(k
        .attributes
        .iter()
        .any(|a| a.id.0 == 0x99 && a.name().is_none() && a.payload == [0xab, 0xcd]));
    assert_eq!(c.global_bytes(), 64);
    assert_eq!(c.const_bank_bytes(4), Some(16));
}

#[test]
fn synthetic_cubin_load_applies_relocations() {
    let data = synthetic(false);
    let c = Cubin::parse(&data).unwrap();
    let base = 0x2_0000_0000u64;
    let img = c.load(base).unwrap();
    let text = img.section_address(6).unwrap();
    let global = img.section_address(11).unwrap();
    assert_eq!(text, base, "code goes first");
    assert_eq!(img.kernel("k").unwrap().code_address, text);
    assert!(
        global >= base + img.bytes.len() as u64,
        ".nv.global is the zero tail"
    );
    assert_eq!(img.size, global - base + 64);
    let g = global + 8;
    let bank4 = img.const_banks.iter().find(|b| b.bank == 4).unwrap();
    let at = (bank4.address - base) as usize;
    assert_eq!(
        u64::from_le_bytes(img.bytes[at..at + 8].try_into().unwrap()),
        g + 4
    );
    let t = (text - base) as usize;
    assert_eq!(&img.bytes[t + 0x14..t + 0x18], &(g as u32).to_le_bytes());
    assert_eq!(
        &img.bytes[t + 0x24..t + 0x28],
        &((g >> 32) as u32).to_le_bytes()
    );
    assert_eq!(img.relocations_applied, 3);
    // Misaligned and overflowing bases are refused.
    assert!(matches!(
        c.load(base + 8),
        Err(Error::BadLoadAddress { .. })
    ));
    // The highest aligned base still fits this 208-byte image; a large zero tail does not.
    assert!(c.load(u64::MAX - 255).is_ok());
    let mut big = data.clone();
    let at = shdr(&big, 11) + 32;
    big[at..at + 8].copy_from_slice(&(1u64 << 39).to_le_bytes());
    let e = Cubin::parse(&big).unwrap().load(u64::MAX - 255);
    assert!(matches!(e, Err(Error::BadLoadAddress { .. })), "{e:?}");
    assert_eq!(
        Cubin::parse(&big).unwrap().load(base).unwrap().size,
        (1 << 39) + 0x90
    );
}

#[test]
fn unresolved_vprintf_is_named() {
    let data = synthetic(true);
    let c = Cubin::parse(&data).unwrap();
    assert_eq!(c.kernels[0].externs, ["vprintf"]);
    match c.load(0x1000_0000) {
        Err(Error::UnresolvedSymbol { symbol }) => assert_eq!(symbol, "vprintf"),
        other => panic!("expected UnresolvedSymbol, got {other:?}"),
    }
}

#[test]
fn foreign_layouts_are_named() {
    let mut data = synthetic(false);
    data[7] = 0x42;
    let e = Cubin::parse(&data).unwrap_err();
    assert!(matches!(e, Error::UnsupportedCubin { .. }));
    assert!(e.to_string().contains("0x42/8"), "{e}");
    data[7] = 0x33; // 0x33 needs ABI version 7
    assert!(Cubin::parse(&data)
        .unwrap_err()
        .to_string()
        .contains("0x33/8"));
    data[8] = 7;
    assert_eq!(Cubin::parse(&data).unwrap().layout, ElfLayout::V7);
    let mut data = synthetic(false);
    data[18] = 62; // x86-64
    assert!(matches!(
        Cubin::parse(&data),
        Err(Error::UnsupportedCubin { .. })
    ));
}

#[test]
fn every_truncation_is_a_typed_error() {
    let data = synthetic(true);
    for len in 0..data.len() {
        match Cubin::parse(&data[..len]) {
            Err(Error::MalformedCubin { .. }) => {}
            other => panic!("truncated to {len}: {other:?}"),
        }
    }
}

fn shdr(data: &[u8], index: usize) -> usize {
    let shoff = u64::from_le_bytes(data[40..48].try_into().unwrap()) as usize;
    shoff + index * 64
}

#[test]
fn bad_offsets_and_sizes_are_typed_errors() {
    let base = synthetic(true);
    let cases: Vec<(&str, Box<dyn Fn(&mut Vec<u8>)>)> = vec![
        (
            "e_shoff past the end",
            Box::new(|d| d[40..48].copy_from_slice(&u64::MAX.to_le_bytes())),
        ),
        (
            "e_shnum too large",
            Box::new(|d| d[60..62].copy_from_slice(&0xffffu16.to_le_bytes())),
        ),
        (
            "e_shstrndx out of range",
            Box::new(|d| d[62..64].copy_from_slice(&99u16.to_le_bytes())),
        ),
        (
            "section offset overflow",
            Box::new(|d| {
                let at = shdr(d, 6) + 24;
                d[at..at + 8].copy_from_slice(&u64::MAX.to_le_bytes());
            }),
        ),
        (
            "section size overflow",
            Box::new(|d| {
                let at = shdr(d, 6) + 32;
                d[at..at + 8].copy_from_slice(&(u64::MAX - 3).to_le_bytes());
            }),
        ),
        (
            "symbol entsize",
            Box::new(|d| {
                let at = shdr(d, 3) + 56;
                d[at..at + 8].copy_from_slice(&7u64.to_le_bytes());
            }),
        ),
        (
            "attribute size past section",
            Box::new(|d| {
                // First record of .nv.info.k: a KPARAM_INFO with size 12 -> 0xffff.
                let off =
                    u64::from_le_bytes(d[shdr(d, 5) + 24..shdr(d, 5) + 32].try_into().unwrap())
                        as usize;
                d[off + 2..off + 4].copy_from_slice(&0xffffu16.to_le_bytes());
            }),
        ),
        (
            "per-kernel section linked to the wrong code section",
            Box::new(|d| {
                let at = shdr(d, 5) + 44; // .nv.info.k sh_info -> .nv.constant0.k
                d[at..at + 4].copy_from_slice(&7u32.to_le_bytes());
            }),
        ),
        (
            "kernel symbol in a non-code section",
            Box::new(|d| {
                let symtab =
                    u64::from_le_bytes(d[shdr(d, 3) + 24..shdr(d, 3) + 32].try_into().unwrap())
                        as usize;
                d[symtab + 24 + 6..symtab + 24 + 8].copy_from_slice(&4u16.to_le_bytes());
            }),
        ),
    ];
    for (what, mutate) in cases {
        let mut d = base.clone();
        mutate(&mut d);
        match Cubin::parse(&d) {
            Err(Error::MalformedCubin { .. }) => {}
            other => panic!("{what}: expected MalformedCubin, got {other:?}"),
        }
    }
    // A relocation pointing outside its target is caught at load time.
    let mut d = synthetic(false);
    let rel =
        u64::from_le_bytes(d[shdr(&d, 10) + 24..shdr(&d, 10) + 32].try_into().unwrap()) as usize;
    d[rel..rel + 8].copy_from_slice(&0xfff0u64.to_le_bytes());
    let c = Cubin::parse(&d).unwrap();
    assert!(matches!(c.load(0), Err(Error::MalformedCubin { .. })));
    // A zero-filled section claiming an absurd size is refused, not allocated.
    let mut d = synthetic(false);
    let at = shdr(&d, 11) + 32;
    d[at..at + 8].copy_from_slice(&u64::MAX.to_le_bytes());
    let c = Cubin::parse(&d).unwrap();
    let e = c.load(0).unwrap_err();
    assert!(matches!(e, Error::MalformedCubin { .. }), "{e:?}");
}

/// Exercises everything a parser can be asked on an input, as the fuzz target does.
fn exercise(data: &[u8]) {
    let _ = Elf::parse(data);
    if let Ok(c) = Cubin::parse(data) {
        let _ = c.relocation_sections();
        let _ = c.load(0);
        let _ = c.load(0x7fff_0000_0000);
        let _ = c.relocate(0x7f12_3456_0000, &mut |e: External<'_>| match e {
            External::Shared { value, .. } => Some(0x1000 + value),
            External::Undefined { symbol, .. } => u64::try_from(symbol)
                .ok()
                .map(|s| 0x7f00_0000_0000 + 16 * s),
        });
    }
}

/// The two `-rdc` seeds (tiny NVRTC 13 images for sm_80 and sm_90, from a kernel with a device call, a shared
/// array, `__constant__` and `__device__` data): `load` refuses them and says to link first; `relocate` needs a
/// value for the shared array and applies every code relocation once it has one.
#[test]
fn rdc_seeds_relocate_with_a_resolver() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/cubin");
    for name in ["nvrtc13_sm80_tiny_rdc.cubin", "nvrtc13_sm90_tiny_rdc.cubin"] {
        let data = std::fs::read(dir.join(name)).unwrap();
        let c = Cubin::parse(&data).unwrap();
        assert!(c.relocatable, "{name}");
        let e = c.load(0x7f12_3456_0000).unwrap_err();
        assert!(e.to_string().contains("link it first"), "{name}: {e}");
        let mut asked = Vec::new();
        let img = c
            .relocate(0x7f12_3456_0000, &mut |e: External<'_>| {
                asked.push(e.name().to_string());
                Some(0x400)
            })
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            img.relocations_applied >= 5,
            "{name}: {}",
            img.relocations_applied
        );
        assert!(
            img.relocations_skipped > 0,
            "{name}: .debug_frame entries are skipped"
        );
        assert!(!img.kernels.is_empty());
    }
}

#[test]
fn fuzz_seeds_never_panic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/cubin");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let data = std::fs::read(e.unwrap().path()).unwrap();
        exercise(&data);
        n += 1;
    }
    assert!(n >= 3, "expected the committed seeds in {}", dir.display());
    exercise(&synthetic(true));
}

/// Regenerates the synthetic fuzz seeds: `cargo test -p nvbare --test cubin_synthetic -- --ignored`.
#[test]
#[ignore]
fn write_fuzz_seeds() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/cubin");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("synthetic.cubin"), synthetic(false)).unwrap();
    std::fs::write(dir.join("synthetic_printf.cubin"), synthetic(true)).unwrap();
    let mut v7 = synthetic(false);
    v7[7] = 0x33;
    v7[8] = 7;
    v7[48..52].copy_from_slice(&0x005a_055au32.to_le_bytes());
    std::fs::write(dir.join("synthetic_v7.cubin"), v7).unwrap();
}
