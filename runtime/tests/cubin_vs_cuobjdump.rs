//! Compares the CUBIN loader with NVIDIA's own tools on every kernel of the test corpus.
//!
//! Assets (from `scripts/test-all.sh`): `$NVBARE_TEST_ASSETS/cuda/{13,12.9}` (cuda-1-toolkit.sh) and
//! `$NVBARE_TEST_ASSETS/cuda/corpus/<ver>/sm_XX/*.cubin` (cuda-3-corpus.sh). For each CUBIN this runs
//! `cuobjdump -res-usage`, `cuobjdump -elf` and `nvdisasm -c` (CUDA 13.4) and checks, per kernel: registers,
//! stack, static shared, local and constant-bank-0 sizes, every parameter's offset and size, the name of every
//! `.nv.info` attribute, the values of the launch attributes, EXIT offsets against the disassembly; per file:
//! global and constant bank sizes, every section's size, every relocation section's entry count and type names;
//! and that loading applies the bank-4 address table as cuobjdump's symbol table says.

// Test code: casts are on values this file built or on tool output.
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::type_complexity
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use nvbare::module::nvinfo::AttrId;
use nvbare::module::reloc::RelocKind;
use nvbare::module::Cubin;
use nvbare::Error;

fn assets_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("NVBARE_TEST_ASSETS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/test-assets"));
    let needed = [
        dir.join("cuda/13/.complete"),
        dir.join("cuda/corpus/13/.stamp"),
        dir.join("cuda/corpus/12.9/.stamp"),
    ];
    if needed.iter().all(|p| p.exists()) {
        return Some(dir);
    }
    if std::env::var("NVBARE_REQUIRE_ASSETS").is_ok_and(|v| v == "1") {
        panic!(
            "missing CUDA toolkit/corpus assets under {}: run scripts/test-all.sh",
            dir.display()
        );
    }
    eprintln!("skipped: run scripts/test-all.sh to fetch assets (CUDA toolkit and cubin corpus)");
    None
}

fn corpus(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for ver in ["13", "12.9"] {
        let vdir = dir.join("cuda/corpus").join(ver);
        for arch in std::fs::read_dir(&vdir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_dir())
        {
            for f in std::fs::read_dir(&arch).unwrap().map(|e| e.unwrap().path()) {
                if f.extension().is_some_and(|e| e == "cubin") {
                    files.push(f);
                }
            }
        }
    }
    files.sort();
    files
}

/// The corpus directory a CUBIN sits in: the `-arch` NVRTC compiled it for (`sm_90a`).
fn arch_dir(file: &Path) -> String {
    file.parent()
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn run(tool: &Path, args: &[&str], file: &Path) -> Result<String, String> {
    let out = Command::new(tool)
        .args(args)
        .arg(file)
        .output()
        .map_err(|e| format!("{}: {e}", tool.display()))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn hex(s: &str) -> Option<u64> {
    u64::from_str_radix(s.trim().trim_start_matches("0x"), 16).ok()
}

/// `cuobjdump -res-usage`: "Common" and per-function `KEY:value` maps.
fn parse_res_usage(text: &str) -> BTreeMap<String, BTreeMap<String, u64>> {
    let mut out = BTreeMap::new();
    let mut cur: Option<String> = None;
    for line in text.lines() {
        let t = line.trim();
        if let Some(name) = t
            .strip_prefix("Function ")
            .and_then(|r| r.strip_suffix(':'))
        {
            cur = Some(name.to_string());
        } else if t == "Common:" {
            cur = Some("<common>".into());
        } else if let Some(c) = &cur {
            let m: &mut BTreeMap<String, u64> = out.entry(c.clone()).or_default();
            for tok in t.split_whitespace() {
                if let Some((k, v)) = tok.split_once(':') {
                    if let Ok(v) = v.parse() {
                        m.insert(k.to_string(), v);
                    }
                }
            }
        }
    }
    out
}

#[derive(Debug, Default)]
struct ElfDump {
    /// index -> (name, size)
    sections: BTreeMap<usize, (String, u64)>,
    /// attribute section name -> [(attribute name, value tokens, raw value text)]
    attrs: BTreeMap<String, Vec<(String, Vec<u64>, String)>>,
    /// relocation section name -> [(offset, symbol, type name, addend)]
    relocs: BTreeMap<String, Vec<(u64, String, String, i64)>>,
    /// symbol name -> (value, section index)
    symbols: BTreeMap<String, (u64, usize)>,
}

fn parse_elf_dump(text: &str) -> ElfDump {
    let mut d = ElfDump::default();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if line.starts_with("Index Offset") {
            i += 1;
            while i < lines.len() && !lines[i].trim().is_empty() {
                let f: Vec<&str> = lines[i].split_whitespace().collect();
                if f.len() >= 9 {
                    // Unknown section types print as "UNKNOWN: <n>", so count from the right: the name is last.
                    let name = f
                        .last()
                        .filter(|n| n.starts_with('.'))
                        .map_or(String::new(), |n| n.to_string());
                    if let (Some(idx), Some(size)) = (hex(f[0]), hex(f[2])) {
                        d.sections.insert(idx as usize, (name, size));
                    }
                }
                i += 1;
            }
            continue;
        }
        if line.trim() == ".section .symtab" {
            i += 2; // header line
            while i < lines.len() && !lines[i].trim().is_empty() {
                let f: Vec<&str> = lines[i].split_whitespace().collect();
                if f.len() == 7 {
                    if let (Some(value), Some(shndx)) = (hex(f[1]), hex(f[5])) {
                        d.symbols
                            .entry(f[6].to_string())
                            .or_insert((value, shndx as usize));
                    }
                }
                i += 1;
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix(".section .rel") {
            let name = format!(".rel{}", rest.split_whitespace().next().unwrap_or(""));
            let mut entries = Vec::new();
            i += 1;
            while i < lines.len() && lines[i].starts_with("0x") {
                let f: Vec<&str> = lines[i].split_whitespace().collect();
                let addend = f.get(3).and_then(|a| hex(a)).map_or(0, |a| a as i64);
                entries.push((
                    hex(f[0]).unwrap_or(u64::MAX),
                    f[1].to_string(),
                    f[2].to_string(),
                    addend,
                ));
                i += 1;
            }
            d.relocs.insert(name, entries);
            continue;
        }
        if line.starts_with(".nv.info") || line.starts_with(".nv.compat") {
            let name = line.trim().to_string();
            let mut attrs = Vec::new();
            i += 1;
            while i < lines.len() && (lines[i].starts_with('\t') || lines[i].trim().is_empty()) {
                if let Some(a) = lines[i].strip_prefix("\tAttribute:\t") {
                    let mut vals = Vec::new();
                    let mut raw = String::new();
                    let mut j = i + 1;
                    while j < lines.len()
                        && !lines[j].starts_with("\tAttribute:")
                        && !lines[j].starts_with("\t<0x")
                        && lines[j].starts_with('\t')
                    {
                        if let Some(v) = lines[j].strip_prefix("\tValue:\t") {
                            raw = v.to_string();
                            vals = v
                                .split_whitespace()
                                .filter_map(|t| t.strip_prefix("0x"))
                                .filter_map(|t| u64::from_str_radix(t, 16).ok())
                                .collect();
                        } else if !lines[j].starts_with("\tFormat:") {
                            raw.push_str(lines[j]);
                        }
                        j += 1;
                    }
                    attrs.push((a.trim().to_string(), vals, raw));
                }
                i += 1;
            }
            d.attrs.insert(name, attrs);
            continue;
        }
        i += 1;
    }
    d
}

/// KPARAM_INFO values as (ordinal, offset, size).
fn kparam(raw: &str) -> Option<(u64, u64, u64)> {
    let field = |key: &str| -> Option<u64> {
        let at = raw.find(key)? + key.len();
        let rest = raw[at..].trim_start_matches([' ', ':', '\t']);
        hex(rest.split_whitespace().next()?)
    };
    Some((field("Ordinal")?, field("Offset")?, field("Size")?))
}

/// Offsets of EXIT instructions per `.text.<name>` section in `nvdisasm -c` output.
fn exits(text: &str) -> BTreeMap<String, Vec<u32>> {
    let mut out: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    let mut cur = String::new();
    for line in text.lines() {
        if let Some(r) = line.strip_prefix("//--------------------- ") {
            cur = r.split_whitespace().next().unwrap_or("").to_string();
            out.entry(cur.clone()).or_default();
        } else if let Some(r) = line.trim().strip_prefix("/*") {
            let Some((off, ins)) = r.split_once("*/") else {
                continue;
            };
            let ins = ins.trim().trim_end_matches(';').trim();
            let op = ins
                .split_whitespace()
                .find(|t| !t.starts_with('@'))
                .unwrap_or("");
            if op == "EXIT" || op.starts_with("EXIT.") {
                if let Some(o) = hex(off) {
                    out.entry(cur.clone()).or_default().push(o as u32);
                }
            }
        }
    }
    out
}

#[derive(Default, Clone)]
struct Tally {
    files: usize,
    kernels: usize,
    new_layout: usize,
    old_layout: usize,
    disasm_checked: usize,
    disasm_skipped_files: usize,
    relocs_checked: usize,
    loads: usize,
    unresolved: usize,
}

type ParamBases = BTreeMap<String, std::collections::BTreeSet<u32>>;

fn check_file(
    dir: &Path,
    bin: &Path,
    file: &Path,
    t: &mut Tally,
    errs: &mut Vec<String>,
    param_bases: &mut ParamBases,
) {
    let label = file
        .strip_prefix(dir.join("cuda/corpus"))
        .unwrap()
        .display()
        .to_string();
    let mut err = |m: String| errs.push(format!("{label}: {m}"));
    let data = std::fs::read(file).unwrap();
    let cubin = match Cubin::parse(&data) {
        Ok(c) => c,
        Err(e) => {
            err(format!("parse failed: {e}"));
            return;
        }
    };
    t.files += 1;
    let res = parse_res_usage(&run(&bin.join("cuobjdump"), &["-res-usage"], file).unwrap());
    let dump = parse_elf_dump(&run(&bin.join("cuobjdump"), &["-elf"], file).unwrap());
    let disasm = run(&bin.join("nvdisasm"), &["-c"], file)
        .ok()
        .map(|s| exits(&s));
    if disasm.is_none() {
        t.disasm_skipped_files += 1;
    }
    // Architecture: the directory name is the -arch NVRTC got.
    let arch_dir = arch_dir(file);
    if cubin.arch.to_string() != arch_dir {
        err(format!("arch {} but compiled for {arch_dir}", cubin.arch));
    }
    match cubin.layout {
        nvbare::module::ElfLayout::V7 => t.old_layout += 1,
        nvbare::module::ElfLayout::V8 => t.new_layout += 1,
    }

    // Module-wide sizes.
    let common = res.get("<common>").cloned().unwrap_or_default();
    let get = |m: &BTreeMap<String, u64>, k: &str| m.get(k).copied().unwrap_or(0);
    if cubin.global_bytes() != get(&common, "GLOBAL") {
        err(format!(
            "GLOBAL {} vs cuobjdump {}",
            cubin.global_bytes(),
            get(&common, "GLOBAL")
        ));
    }
    for bank in [2u8, 3, 4] {
        let theirs = get(&common, &format!("CONSTANT[{bank}]"));
        if cubin.const_bank_bytes(bank).unwrap_or(0) != theirs {
            err(format!(
                "CONSTANT[{bank}] {:?} vs cuobjdump {theirs}",
                cubin.const_bank_bytes(bank)
            ));
        }
    }
    // Sections.
    let ours: BTreeMap<usize, (String, u64)> = cubin
        .elf
        .sections
        .iter()
        .skip(1)
        .map(|s| {
            (
                s.index,
                (cubin.elf.section_name(s).unwrap().to_string(), s.size),
            )
        })
        .collect();
    if ours != dump.sections {
        err(format!(
            "section table differs: ours {ours:?}\ncuobjdump {:?}",
            dump.sections
        ));
    }
    // Relocations: count and type name of every entry.
    let our_relocs = cubin.relocation_sections().unwrap();
    if our_relocs.len() != dump.relocs.len() {
        err(format!(
            "{} relocation sections vs cuobjdump {}",
            our_relocs.len(),
            dump.relocs.len()
        ));
    }
    for s in cubin
        .elf
        .sections
        .iter()
        .filter(|s| s.kind == 4 || s.kind == 9)
    {
        let name = cubin.elf.section_name(s).unwrap();
        let entries = cubin.elf.relocations(s).unwrap();
        let Some(theirs) = dump.relocs.get(name) else {
            err(format!("cuobjdump has no relocation section {name}"));
            continue;
        };
        if entries.len() != theirs.len() {
            err(format!(
                "{name}: {} relocations vs cuobjdump {}",
                entries.len(),
                theirs.len()
            ));
            continue;
        }
        for (r, (off, _, ty, _)) in entries.iter().zip(theirs) {
            t.relocs_checked += 1;
            if r.offset != *off || RelocKind::from_u32(r.kind).name() != Some(ty.as_str()) {
                err(format!(
                    "{name}: relocation {:#x} type {:#x} vs cuobjdump {off:#x} {ty}",
                    r.offset, r.kind
                ));
            }
        }
    }

    // Kernels.
    let functions: Vec<&String> = res.keys().filter(|k| *k != "<common>").collect();
    if !cubin.relocatable && functions.len() != cubin.kernels.len() {
        err(format!(
            "{} kernels vs cuobjdump functions {functions:?}",
            cubin.kernels.len()
        ));
    }
    for k in &cubin.kernels {
        t.kernels += 1;
        let kname = &k.name;
        let Some(r) = res.get(kname) else {
            err(format!("kernel {kname} missing from cuobjdump -res-usage"));
            continue;
        };
        let checks = [
            ("REG", u64::from(k.registers)),
            ("STACK", u64::from(k.stack_bytes)),
            ("SHARED", k.shared_bytes),
            ("LOCAL", k.local_bytes),
            ("CONSTANT[0]", k.cbank0_bytes),
        ];
        for (key, ours) in checks {
            if get(r, key) != ours {
                err(format!(
                    "{kname}: {key} {ours} vs cuobjdump {}",
                    get(r, key)
                ));
            }
        }
        let info_name = format!(".nv.info.{kname}");
        let Some(attrs) = dump.attrs.get(&info_name) else {
            err(format!("cuobjdump shows no {info_name}"));
            continue;
        };
        // Parameters, in ordinal order.
        let mut theirs: Vec<(u64, u64, u64)> = attrs
            .iter()
            .filter(|a| a.0 == "EIATTR_KPARAM_INFO")
            .filter_map(|a| kparam(&a.2))
            .collect();
        theirs.sort();
        let ours: Vec<(u64, u64, u64)> = k
            .params
            .iter()
            .map(|p| (u64::from(p.ordinal), u64::from(p.offset), u64::from(p.size)))
            .collect();
        if ours != theirs {
            err(format!("{kname}: params {ours:?} vs cuobjdump {theirs:?}"));
        }
        // Attribute names, in order, and values of the launch attributes.
        let own: Vec<_> = k
            .attributes
            .iter()
            .filter(|a| {
                !matches!(
                    a.id,
                    AttrId::REGCOUNT
                        | AttrId::FRAME_SIZE
                        | AttrId::MIN_STACK_SIZE
                        | AttrId::MAX_STACK_SIZE
                )
            })
            .collect();
        if own.len() != attrs.len() {
            err(format!(
                "{kname}: {} attributes vs cuobjdump {}",
                own.len(),
                attrs.len()
            ));
            continue;
        }
        for (a, (tname, vals, _)) in own.iter().zip(attrs) {
            let expect = a
                .name()
                .map_or("unknown Attribute".to_string(), |n| format!("EIATTR_{n}"));
            if &expect != tname {
                err(format!(
                    "{kname}: attribute {:#x} named {expect} vs cuobjdump {tname}",
                    a.id.0
                ));
            }
            let single = vals.first().copied();
            let mismatch = match a.id {
                AttrId::MAX_THREADS => {
                    k.max_threads.map(|d| d.map(u64::from).to_vec()) != Some(vals.clone())
                }
                AttrId::REQNTID => {
                    k.required_threads.map(|d| d.map(u64::from).to_vec()) != Some(vals.clone())
                }
                AttrId::CTA_PER_CLUSTER => {
                    k.cluster_dims.map(|d| d.map(u64::from).to_vec()) != Some(vals.clone())
                }
                AttrId::NUM_BARRIERS => Some(u64::from(k.barriers)) != single,
                AttrId::MAXREG_COUNT => k.max_registers.map(u64::from) != single,
                AttrId::CBANK_PARAM_SIZE => Some(u64::from(k.param_bytes)) != single,
                AttrId::CRS_STACK_SIZE => k.crs_stack_bytes.map(u64::from) != single,
                AttrId::EXIT_INSTR_OFFSETS => {
                    k.exit_offsets
                        .iter()
                        .map(|&o| u64::from(o))
                        .collect::<Vec<_>>()
                        != *vals
                }
                AttrId::PARAM_CBANK => {
                    k.param_base.map(u64::from) != vals.get(1).map(|v| v & 0xffff)
                }
                AttrId::EXPLICIT_CLUSTER => !k.explicit_cluster,
                _ => false,
            };
            if mismatch {
                err(format!(
                    "{kname}: {tname} value {vals:?} disagrees with the parsed kernel {k:?}"
                ));
            }
        }
        if let Some(b) = k.param_base {
            param_bases
                .entry(cubin.arch.to_string())
                .or_default()
                .insert(b);
        }
        // EXIT instructions against the disassembly.
        if let Some(d) = &disasm {
            let mut theirs = d
                .get(&format!(".text.{kname}"))
                .cloned()
                .unwrap_or_default();
            let mut ours = k.exit_offsets.clone();
            theirs.sort();
            ours.sort();
            if theirs != ours {
                err(format!(
                    "{kname}: EXIT offsets {ours:x?} vs nvdisasm {theirs:x?}"
                ));
            }
            t.disasm_checked += 1;
        }
    }

    // Loading.
    let base = 0x7f12_3456_0000u64;
    let uses_externs = cubin.kernels.iter().any(|k| !k.externs.is_empty());
    match cubin.load(base) {
        Err(Error::UnsupportedCubin { .. }) if cubin.relocatable => {}
        Err(Error::UnresolvedSymbol { symbol }) if uses_externs && symbol == "vprintf" => {
            t.unresolved += 1
        }
        Err(e) => err(format!("load failed: {e}")),
        Ok(_) if cubin.relocatable || uses_externs => err("load should have failed".into()),
        Ok(img) => {
            t.loads += 1;
            let loaded_relocs: usize = dump
                .relocs
                .iter()
                .filter(|(n, _)| !n.ends_with("debug_frame"))
                .map(|(_, v)| v.len())
                .sum();
            if img.relocations_applied != loaded_relocs {
                err(format!(
                    "applied {} relocations, cuobjdump lists {loaded_relocs} outside .debug_frame",
                    img.relocations_applied
                ));
            }
            for k in &img.kernels {
                let text = img.section_address(k.meta.text_section).unwrap();
                let align = cubin.elf.sections[k.meta.text_section].align.max(1);
                if k.code_address != text + k.meta.entry_offset || text % align != 0 {
                    err(format!(
                        "{}: code address {:#x} (section at {text:#x})",
                        k.meta.name, k.code_address
                    ));
                }
            }
            // Bank 4 holds the addresses of globals: check each against cuobjdump's symbol table.
            for (sec, entries) in dump
                .relocs
                .iter()
                .filter(|(n, _)| n.ends_with(".nv.constant4") || n.ends_with(".nv.global.init"))
            {
                let target = dump
                    .sections
                    .iter()
                    .find(|(_, (n, _))| sec.ends_with(n.as_str()) && n.starts_with(".nv."))
                    .map(|(i, _)| *i);
                let Some(target_addr) = target.and_then(|i| img.section_address(i)) else {
                    err(format!("{sec}: target not placed"));
                    continue;
                };
                for (off, sym, _, addend) in entries {
                    let Some(&(value, shndx)) = dump.symbols.get(sym) else {
                        continue;
                    };
                    let expect = img.section_address(shndx).unwrap() + value;
                    let expect = expect.wrapping_add_signed(*addend);
                    let at = (target_addr - base + off) as usize;
                    let got = u64::from_le_bytes(img.bytes[at..at + 8].try_into().unwrap());
                    if got != expect {
                        err(format!(
                            "{sec}+{off:#x} ({sym}): {got:#x} vs expected {expect:#x}"
                        ));
                    }
                }
            }
        }
    }
}

#[test]
fn every_kernel_matches_cuobjdump_and_nvdisasm() {
    let Some(dir) = assets_dir() else { return };
    let bin = dir.join("cuda/13/bin");
    let files = corpus(&dir);
    assert!(files.len() >= 100, "corpus has only {} cubins", files.len());
    // The tools dominate the run time: check files on a few threads.
    let workers = 4;
    let results: Vec<(Tally, Vec<String>, ParamBases)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let (dir, bin, files) = (&dir, &bin, &files);
                s.spawn(move || {
                    let (mut t, mut errs, mut pb) =
                        (Tally::default(), Vec::new(), ParamBases::new());
                    for file in files.iter().skip(w).step_by(workers) {
                        check_file(dir, bin, file, &mut t, &mut errs, &mut pb);
                    }
                    (t, errs, pb)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut t = Tally::default();
    let mut errs = Vec::new();
    let mut param_bases = ParamBases::new();
    for (rt, re, rp) in results {
        t.files += rt.files;
        t.kernels += rt.kernels;
        t.new_layout += rt.new_layout;
        t.old_layout += rt.old_layout;
        t.disasm_checked += rt.disasm_checked;
        t.disasm_skipped_files += rt.disasm_skipped_files;
        t.relocs_checked += rt.relocs_checked;
        t.loads += rt.loads;
        t.unresolved += rt.unresolved;
        errs.extend(re);
        for (k, v) in rp {
            param_bases.entry(k).or_default().extend(v);
        }
    }
    eprintln!(
        "cubin corpus: {} files ({} new-layout, {} old-layout), {} kernel x arch entries matched cuobjdump, \
         {} against nvdisasm EXIT offsets ({} files nvdisasm 13 refuses), {} relocations named, {} images loaded, \
         {} refused for vprintf",
        t.files, t.new_layout, t.old_layout, t.kernels, t.disasm_checked, t.disasm_skipped_files, t.relocs_checked, t.loads, t.unresolved
    );
    eprintln!("parameter base (PARAM_CBANK) by arch: {param_bases:x?}");
    assert!(
        errs.is_empty(),
        "{} mismatches:\n{}",
        errs.len(),
        errs.join("\n")
    );
    assert!(
        t.kernels > 500 && t.old_layout > 0 && t.new_layout > 0 && t.loads > 0 && t.unresolved > 0
    );
}

/// nvdisasm's `-b` name for a corpus architecture directory (`sm_90a` -> `SM90a`), or `None` for the SMs nvdisasm
/// 13 refuses (sm_61, sm_70).
fn raw_arch(arch: &str) -> Option<String> {
    let sm = arch.strip_prefix("sm_")?;
    let num: u32 = sm.trim_end_matches('a').parse().ok()?;
    (num >= 75).then(|| format!("SM{sm}"))
}

/// Disassembles concatenated raw code; returns instruction text by byte offset.
fn disasm_raw(nvdisasm: &Path, arch: &str, code: &[u8], tag: &str) -> BTreeMap<u64, String> {
    // Unique per call: the tests run in parallel in one process.
    static SEQ: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = std::env::temp_dir().join(format!("nvbare-rdc-{}-{n}-{tag}.bin", std::process::id()));
    std::fs::write(&tmp, code).unwrap();
    let out = run(nvdisasm, &["-b", arch], &tmp);
    std::fs::remove_file(&tmp).unwrap();
    let out = out.unwrap_or_else(|e| panic!("nvdisasm -b {arch}: {e}"));
    let mut lines = BTreeMap::new();
    for line in out.lines() {
        if let Some((off, ins)) = line
            .trim()
            .strip_prefix("/*")
            .and_then(|r| r.split_once("*/"))
        {
            if let Some(o) = hex(off) {
                lines.insert(o, ins.trim().to_string());
            }
        }
    }
    lines
}

/// Whether `line` shows the operand a relocation of `kind` writes for value `v` (bank `bank` for CONST_FIELD).
fn shows_operand(kind: RelocKind, line: &str, v: u64, bank: Option<u8>) -> bool {
    let tokens: Vec<&str> = line
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '.'))
        .filter(|t| !t.is_empty())
        .collect();
    let has = |x: u64| tokens.contains(&format!("{x:#x}").as_str());
    match kind {
        RelocKind::Abs32At32 | RelocKind::Abs16At32 => has(v),
        RelocKind::Abs32Lo32 => has(v & 0xffff_ffff),
        RelocKind::Abs32Hi32 => has(v >> 32),
        RelocKind::Abs47At34 | RelocKind::Abs55At16And34 => {
            line.contains(&format!("CALL.ABS.NOINC {v:#x} "))
        }
        RelocKind::Abs24At40 => {
            line.contains(&format!("+{v:#x}]")) || line.contains(&format!("[{v:#x}]"))
        }
        RelocKind::ConstField19At40 | RelocKind::ConstField21At38 | RelocKind::ConstField22At37 => {
            let Some(bank) = bank else { return false };
            let pre = format!("c[{bank:#x}][");
            let imm = format!("{v:#x}]");
            let plus = format!("+{v:#x}]");
            line.split(&pre).skip(1).any(|r| {
                let r = r.split(']').next().map_or("", |x| x);
                let r = format!("{r}]");
                if v == 0 {
                    // c[N][0x0], or c[N][RZ] / c[N][URZ] / c[N][R2]: no immediate.
                    r == "0x0]" || !r.contains("0x")
                } else {
                    r == imm || r.ends_with(&plus)
                }
            })
        }
        _ => false,
    }
}

/// Disassembles the patched code sections of `img` (and the originals) with `nvdisasm -b raw` and checks that
/// every relocation targeting code shows the value it should (see [`shows_operand`]); `external` gives the value the
/// resolver chose for shared and undefined symbols. Counts verified entries per type in `per_type`.
#[allow(clippy::too_many_arguments)]
fn check_code_relocations(
    cubin: &Cubin<'_>,
    img: &nvbare::module::LoadedImage,
    nvdisasm: &Path,
    raw: &str,
    external: &dyn Fn(&str) -> u64,
    label: &str,
    per_type: &mut BTreeMap<&'static str, usize>,
    errs: &mut Vec<String>,
) {
    use nvbare::module::reloc::implicit_addend;
    let base = img.base;
    // Concatenate the code sections, patched and original, and disassemble both.
    let mut patched = Vec::new();
    let mut original = Vec::new();
    let mut at: BTreeMap<usize, u64> = BTreeMap::new();
    for s in &cubin.elf.sections {
        if !cubin.elf.section_name(s).unwrap().starts_with(".text.") {
            continue;
        }
        let addr = img.section_address(s.index).unwrap();
        let off = (addr - base) as usize;
        at.insert(s.index, patched.len() as u64);
        patched.extend_from_slice(&img.bytes[off..off + s.size as usize]);
        original.extend_from_slice(cubin.elf.section_data(s).unwrap());
    }
    let after = disasm_raw(nvdisasm, raw, &patched, "after");
    let before = disasm_raw(nvdisasm, raw, &original, "before");
    for rs in cubin
        .elf
        .sections
        .iter()
        .filter(|s| s.kind == 4 || s.kind == 9)
    {
        let Some(&start) = at.get(&(rs.info as usize)) else {
            continue;
        };
        let target = &cubin.elf.sections[rs.info as usize];
        let text = cubin.elf.section_data(target).unwrap();
        for r in cubin.elf.relocations(rs).unwrap() {
            let kind = RelocKind::from_u32(r.kind);
            let name = kind.name().unwrap_or("?");
            let sym = cubin.elf.symbol(r.symbol as usize).unwrap();
            let sym_name = cubin.elf.symbol_name(&sym).unwrap().to_string();
            let sec_name = cubin
                .elf
                .section_by_index(sym.section as usize)
                .filter(|_| sym.section != 0)
                .map(|s| cubin.elf.section_name(s).unwrap().to_string())
                .unwrap_or_default();
            // S, computed here from the placements and the resolver's answers.
            let (s_val, bank) = if sym.section == 0 || sec_name.starts_with(".nv.shared.") {
                (external(&sym_name), None)
            } else if let Some(n) = sec_name.strip_prefix(".nv.constant") {
                (sym.value, Some(n.parse::<u8>().unwrap()))
            } else {
                (
                    img.section_address(sym.section as usize).unwrap() + sym.value,
                    None,
                )
            };
            let a = match r.addend {
                Some(a) => a,
                None => {
                    let a = implicit_addend(kind, text, r.offset).unwrap();
                    // The unpatched instruction shows the implicit addend in the same operand.
                    let b = before.get(&(start + r.offset)).cloned().unwrap_or_default();
                    let shown = a == 0
                        || shows_operand(kind, &b, a as u64, Some(0))
                        || shows_operand(kind, &b, a as u64, bank);
                    if !shown {
                        errs.push(format!(
                            "{label}: {name} at {:#x}: implicit addend {a:#x} not in `{b}`",
                            r.offset
                        ));
                    }
                    a
                }
            };
            let v = s_val.wrapping_add_signed(a);
            let line = after.get(&(start + r.offset)).cloned().unwrap_or_default();
            if shows_operand(kind, &line, v, bank) {
                *per_type.entry(name).or_default() += 1;
            } else {
                errs.push(format!(
                        "{label}: {name} at {:#x} against {sym_name}: expected {v:#x} (bank {bank:?}) in `{line}`",
                        r.offset
                    ));
            }
        }
    }
}

/// Fails with every mismatch in `errs`, or when a type in `types` was never verified.
fn assert_verified(errs: &[String], per_type: &BTreeMap<&'static str, usize>, types: &[&str]) {
    assert!(
        errs.is_empty(),
        "{} mismatches:\n{}",
        errs.len(),
        errs.join("\n")
    );
    for t in types {
        assert!(
            per_type.get(t).copied().unwrap_or(0) > 0,
            "{t} never verified"
        );
    }
}

/// Applies every relocation of every `-rdc` corpus image with `Cubin::relocate` at a non-zero base (shared
/// variables and `vprintf` given distinct values by the resolver), then disassembles the patched code with
/// `nvdisasm -b SMxx` and checks that each relocated instruction shows the value it should: S + A for code and
/// global addresses (whole, low or high half), shared offsets, `c[bank][offset]` for constant-bank operands. For
/// REL entries the implicit addend read back by the loader must also be what nvdisasm shows in the unpatched
/// instruction. sm_70 images (nvdisasm 13 refuses them) must relocate; sm_61 images must be refused naming the
/// Pascal `_20` type.
#[test]
fn rdc_relocations_match_nvdisasm() {
    use nvbare::module::External;
    let Some(dir) = assets_dir() else { return };
    let nvdisasm = dir.join("cuda/13/bin/nvdisasm");
    let base = 0x7f12_3456_0000u64;
    let vprintf_at = 0x7f00_0abc_0000u64;
    let mut per_type: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut errs = Vec::new();
    let (mut files, mut pascal_refused, mut unverified_sm70) = (0usize, 0usize, 0usize);
    for file in corpus(&dir)
        .iter()
        .filter(|f| f.to_string_lossy().ends_with("_rdc.cubin"))
    {
        let label = file.display().to_string();
        let arch_dir = arch_dir(file);
        let data = std::fs::read(file).unwrap();
        let cubin = Cubin::parse(&data).unwrap();
        assert!(cubin.relocatable, "{label}");
        // `load` refuses relocatable images and says to link first.
        match cubin.load(base) {
            Err(e) if e.to_string().contains("link it first") => {}
            other => errs.push(format!("{label}: load gave {other:?}")),
        }
        // Without a resolver, the first external is named.
        match cubin.relocate(base, &mut nvbare::module::image::no_externals) {
            Err(Error::UnresolvedSymbol { .. }) | Err(Error::UnsupportedCubin { .. }) => {}
            other => errs.push(format!(
                "{label}: relocate without externals gave {:?}",
                other.map(|_| ())
            )),
        }
        let mut shared: BTreeMap<String, u64> = BTreeMap::new();
        let mut resolver = |e: External<'_>| -> Option<u64> {
            match e {
                External::Undefined {
                    name: "vprintf", ..
                } => Some(vprintf_at),
                External::Undefined { name, .. } | External::Shared { name, .. } => {
                    let next = 0x1200 + 0x100 * shared.len() as u64;
                    Some(*shared.entry(name.to_string()).or_insert(next))
                }
            }
        };
        let img = match cubin.relocate(base, &mut resolver) {
            Ok(img) => img,
            Err(e) if arch_dir == "sm_61" && e.to_string().contains("_20 (") => {
                pascal_refused += 1;
                continue;
            }
            Err(e) => {
                errs.push(format!("{label}: relocate failed: {e}"));
                continue;
            }
        };
        let Some(raw) = raw_arch(&arch_dir) else {
            unverified_sm70 += 1;
            continue;
        };
        files += 1;
        let externals = |name: &str| {
            if name == "vprintf" {
                vprintf_at
            } else {
                shared[name]
            }
        };
        check_code_relocations(
            &cubin,
            &img,
            &nvdisasm,
            &raw,
            &externals,
            &label,
            &mut per_type,
            &mut errs,
        );
    }
    eprintln!(
        "rdc relocations verified with nvdisasm in {files} images, per type: {per_type:?}; \
         {unverified_sm70} sm_70 images relocated but not decodable by nvdisasm 13; {pascal_refused} sm_61 images \
         refused for the Pascal _20 types"
    );
    assert_verified(
        &errs,
        &per_type,
        &[
            "R_CUDA_ABS32_32",
            "R_CUDA_ABS32_LO_32",
            "R_CUDA_ABS32_HI_32",
            "R_CUDA_ABS47_34",
            "R_CUDA_ABS55_16_34",
            "R_CUDA_ABS16_32",
            "R_CUDA_ABS24_40",
            "R_CUDA_CONST_FIELD19_40",
            "R_CUDA_CONST_FIELD21_38",
            "R_CUDA_CONST_FIELD22_37",
        ],
    );
    assert!(files >= 30 && pascal_refused >= 2 && unverified_sm70 >= 2);
}

/// Every proper prefix of real CUBINs (both layouts) is refused with `MalformedCubin`, never a panic.
#[test]
fn truncated_real_cubins_are_typed_errors() {
    let Some(dir) = assets_dir() else { return };
    let picks = [
        "13/sm_90/printf.cubin",
        "12.9/sm_75/printf.cubin",
        "13/sm_120/cluster.cubin",
        "12.9/sm_61/params.cubin",
    ];
    for p in picks {
        let data = std::fs::read(dir.join("cuda/corpus").join(p)).unwrap();
        Cubin::parse(&data).unwrap();
        for len in 0..data.len() {
            match Cubin::parse(&data[..len]) {
                Err(Error::MalformedCubin { .. }) => {}
                Err(e) => panic!("{p} truncated to {len}: {e}"),
                Ok(_) => panic!("{p} truncated to {len} parsed"),
            }
        }
    }
}

/// Links the 12.9 `-rdc` images with nvJitLink 12.9 (as `nvcc -dlink`/`cuLink*` would) and loads the result as a
/// whole program: the linked CUBIN keeps the call and global-address relocations (`ABS47_34`/`ABS55_16_34`,
/// `ABS32_LO_32`/`HI_32`) for the loader, which `load` now applies; each is checked with `nvdisasm -b`. The linked
/// `printf` image still needs `vprintf` and is refused naming it.
#[test]
fn nvjitlink_linked_rdc_images_load_and_match_nvdisasm() {
    use nvbare::module::compiler::NvJitLink;
    use nvbare::module::select::ComputeCapability;
    let Some(dir) = assets_dir() else { return };
    let lib = dir.join("cuda/12.9/lib/libnvJitLink.so.12");
    if !lib.exists() {
        assert!(
            std::env::var("NVBARE_REQUIRE_ASSETS").is_err(),
            "missing {}",
            lib.display()
        );
        eprintln!("skipped: run scripts/test-all.sh to fetch assets (CUDA 12.9 nvJitLink)");
        return;
    }
    let jit = NvJitLink::load_from(&lib).unwrap();
    let nvdisasm = dir.join("cuda/13/bin/nvdisasm");
    let base = 0x7f12_3456_0000u64;
    let mut per_type: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut errs = Vec::new();
    let mut loaded = 0usize;
    for arch in [
        "sm_75", "sm_80", "sm_86", "sm_89", "sm_90", "sm_100", "sm_120",
    ] {
        let sm: u32 = arch[3..].parse().unwrap();
        let link = |name: &str| {
            let rdc = std::fs::read(dir.join("cuda/corpus/12.9").join(arch).join(name)).unwrap();
            jit.link_cubins(&[&rdc], ComputeCapability::from_sm(sm), &[])
                .unwrap()
        };
        let linked = link("memory_rdc.cubin");
        let cubin = Cubin::parse(&linked).unwrap();
        assert!(!cubin.relocatable, "{arch}");
        let img = match cubin.load(base) {
            Ok(img) => img,
            Err(e) => {
                errs.push(format!("{arch}: linked memory_rdc does not load: {e}"));
                continue;
            }
        };
        loaded += 1;
        let label = format!("{arch} linked memory_rdc");
        let raw = raw_arch(arch).unwrap();
        let none = |name: &str| -> u64 { panic!("no external expected, got {name}") };
        check_code_relocations(
            &cubin,
            &img,
            &nvdisasm,
            &raw,
            &none,
            &label,
            &mut per_type,
            &mut errs,
        );

        let linked = link("printf_rdc.cubin");
        match Cubin::parse(&linked).unwrap().load(base) {
            Err(Error::UnresolvedSymbol { symbol }) if symbol == "vprintf" => {}
            other => errs.push(format!(
                "{arch}: linked printf_rdc gave {:?}",
                other.map(|_| ())
            )),
        }
    }
    eprintln!("nvJitLink-linked images: {loaded} loaded, code relocations verified per type: {per_type:?}");
    assert_verified(
        &errs,
        &per_type,
        &[
            "R_CUDA_ABS32_LO_32",
            "R_CUDA_ABS32_HI_32",
            "R_CUDA_ABS47_34",
            "R_CUDA_ABS55_16_34",
        ],
    );
}
