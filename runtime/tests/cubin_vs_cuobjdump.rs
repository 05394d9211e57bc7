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
    let arch_dir = file
        .parent()
        .unwrap()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
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

/// Checks `reloc::apply`'s instruction-field placement against NVIDIA's decoder: in every `-rdc` image (the only
/// ones with code relocations), write a distinct marker through each `R_CUDA_ABS32_32`/`ABS32_LO_32`/`ABS32_HI_32`
/// entry, hide the relocation sections (so nvdisasm prints raw immediates), and find each marker in the
/// disassembled instruction at the relocation's offset.
#[test]
fn code_relocations_land_where_nvdisasm_reads_them() {
    let Some(dir) = assets_dir() else { return };
    let nvdisasm = dir.join("cuda/13/bin/nvdisasm");
    let mut checked = 0usize;
    let mut errs = Vec::new();
    for file in corpus(&dir)
        .iter()
        .filter(|f| f.to_string_lossy().ends_with("_rdc.cubin"))
    {
        let data = std::fs::read(file).unwrap();
        let cubin = Cubin::parse(&data).unwrap();
        let mut patched = data.clone();
        let mut expect: Vec<(String, u64, u32)> = Vec::new();
        let shoff = u64::from_le_bytes(data[40..48].try_into().unwrap()) as usize;
        for s in cubin
            .elf
            .sections
            .iter()
            .filter(|s| s.kind == 4 || s.kind == 9)
        {
            let Some(target) = cubin.elf.sections.get(s.info as usize) else {
                continue;
            };
            let tname = cubin.elf.section_name(target).unwrap();
            if !tname.starts_with(".text.") {
                continue;
            }
            for r in cubin.elf.relocations(s).unwrap() {
                let kind = RelocKind::from_u32(r.kind);
                let marker = 0x0123_4000u32 + (expect.len() as u32 + 1) * 0x111;
                let value = match kind {
                    RelocKind::Abs32At32 | RelocKind::Abs32Lo32 => u64::from(marker),
                    RelocKind::Abs32Hi32 => u64::from(marker) << 32,
                    _ => continue,
                };
                let start = target.offset as usize;
                let text = &mut patched[start..start + target.size as usize];
                nvbare::module::reloc::apply(kind, text, r.offset, value).unwrap();
                expect.push((tname.to_string(), r.offset, marker));
            }
            // Make the relocation section PROGBITS so nvdisasm shows the raw fields.
            let type_at = shoff + s.index * 64 + 4;
            patched[type_at..type_at + 4].copy_from_slice(&1u32.to_le_bytes());
        }
        if expect.is_empty() {
            continue;
        }
        let tmp = std::env::temp_dir().join(format!(
            "nvbare-reloc-{}-{}.cubin",
            std::process::id(),
            checked
        ));
        std::fs::write(&tmp, &patched).unwrap();
        let out = run(&nvdisasm, &["-c"], &tmp);
        std::fs::remove_file(&tmp).unwrap();
        let Ok(out) = out else { continue }; // nvdisasm 13 refuses sm_61/sm_70
        let mut cur = String::new();
        let mut lines: BTreeMap<(String, u64), String> = BTreeMap::new();
        for line in out.lines() {
            if let Some(r) = line.strip_prefix("//--------------------- ") {
                cur = r.split_whitespace().next().unwrap_or("").to_string();
            } else if let Some((off, _)) = line
                .trim()
                .strip_prefix("/*")
                .and_then(|r| r.split_once("*/"))
            {
                if let Some(o) = hex(off) {
                    lines.insert((cur.clone(), o), line.trim().to_string());
                }
            }
        }
        for (sec, off, marker) in expect {
            checked += 1;
            let line = lines.get(&(sec.clone(), off)).cloned().unwrap_or_default();
            if !line.contains(&format!("{marker:#x}")) {
                errs.push(format!(
                    "{}: {sec}+{off:#x}: marker {marker:#x} not in `{line}`",
                    file.display()
                ));
            }
        }
    }
    eprintln!("{checked} code relocations placed where nvdisasm decodes them");
    assert!(errs.is_empty(), "{}", errs.join("\n"));
    assert!(checked > 100, "only {checked} code relocations checked");
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
