//! `cubin-info [--json] FILE`: prints per-kernel launch metadata of a CUBIN.
//!
//! Text output: architecture, ELF layout, and per kernel its registers, static shared bytes, stack (local) bytes,
//! parameter block and each parameter, launch bounds, barriers, cluster dims, externs and every `.nv.info`
//! attribute (unknown ones by number). `--json` prints
//! `{"arch":"sm_90","kernels":[{"name","registers","shared_bytes","local_bytes","param_bytes","params":[{"offset","size"}],...}]}`.

use std::fmt::Write as _;
use std::process::ExitCode;

use nvbare::module::compress::DEFAULT_MAX_UNCOMPRESSED;
use nvbare::module::fatbin::{EntryKind, Fatbin};
use nvbare::module::nvinfo::Format;
use nvbare::module::select::{cubin_for, ComputeCapability};
use nvbare::module::{Cubin, Kernel};
use std::borrow::Cow;

/// Every input kind cubin-info understands goes through here: a CUBIN ELF is used as it is; a fatbin (raw, or
/// inside a host object/executable) gives the SASS image chosen for `sm` when one is named, else every SASS image.
fn parse_input(data: &[u8], sm: Option<u32>) -> nvbare::Result<Vec<Cow<'_, [u8]>>> {
    // A CUDA ELF (e_machine EM_CUDA = 190) is a CUBIN, parsed (and its errors reported) by the caller; anything
    // else must be a fatbin or a host ELF holding one.
    let e_machine = data.get(18..20).map(|b| u16::from_le_bytes([b[0], b[1]]));
    if data.starts_with(b"\x7fELF") && e_machine == Some(190) {
        return Ok(vec![Cow::Borrowed(data)]);
    }
    let fatbin = Fatbin::parse(data)?;
    match sm {
        Some(sm) => Ok(vec![cubin_for(
            &fatbin,
            ComputeCapability::from_sm(sm),
            None,
            DEFAULT_MAX_UNCOMPRESSED,
        )?]),
        None => fatbin
            .entries
            .iter()
            .filter(|e| e.kind == EntryKind::Elf)
            .map(|e| fatbin.image(e, DEFAULT_MAX_UNCOMPRESSED))
            .collect(),
    }
}

fn json_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn json_dims(d: Option<[u32; 3]>) -> String {
    match d {
        Some([x, y, z]) => format!("[{x},{y},{z}]"),
        None => "null".into(),
    }
}

fn kernel_json(k: &Kernel) -> String {
    let params: Vec<String> = k
        .params
        .iter()
        .map(|p| format!("{{\"offset\":{},\"size\":{}}}", p.offset, p.size))
        .collect();
    let externs: Vec<String> = k.externs.iter().map(|e| json_str(e)).collect();
    format!(
        "{{\"name\":{},\"registers\":{},\"shared_bytes\":{},\"local_bytes\":{},\"param_bytes\":{},\"params\":[{}],\
         \"param_base\":{},\"max_threads\":{},\"required_threads\":{},\"max_registers\":{},\"barriers\":{},\
         \"cluster_dims\":{},\"explicit_cluster\":{},\"code_bytes\":{},\"externs\":[{}]}}",
        json_str(&k.name),
        k.registers,
        k.shared_bytes,
        k.stack_bytes,
        k.param_bytes,
        params.join(","),
        k.param_base.map_or("null".into(), |b| b.to_string()),
        json_dims(k.max_threads),
        json_dims(k.required_threads),
        k.max_registers.map_or("null".into(), |b| b.to_string()),
        k.barriers,
        json_dims(k.cluster_dims),
        k.explicit_cluster,
        k.code_size,
        externs.join(","),
    )
}

fn dims(d: Option<[u32; 3]>) -> String {
    d.map_or("-".into(), |[x, y, z]| format!("{x}x{y}x{z}"))
}

fn print_text(c: &Cubin<'_>) {
    println!(
        "arch {} ({:?} ELF layout, e_flags {:#x}{})",
        c.arch,
        c.layout,
        c.elf.header.flags,
        if c.relocatable { ", relocatable" } else { "" }
    );
    println!(
        "global data {} bytes, constant bank 3 {} bytes, constant bank 4 {} bytes, reserved shared {} bytes",
        c.global_bytes(),
        c.const_bank_bytes(3).unwrap_or(0),
        c.const_bank_bytes(4).unwrap_or(0),
        c.reserved_shared_bytes()
    );
    for k in &c.kernels {
        println!("kernel {}", k.name);
        println!(
            "  registers {}  shared {} B  stack {} B  frame {} B  code {} B",
            k.registers, k.shared_bytes, k.stack_bytes, k.frame_bytes, k.code_size
        );
        let base = k.param_base.map_or("-".into(), |b| format!("{b:#x}"));
        println!(
            "  params {} B at c[0x0][{}]  (constant bank 0: {} B)",
            k.param_bytes, base, k.cbank0_bytes
        );
        for p in &k.params {
            println!(
                "    #{}: offset {:#x} size {} (log2 align {})",
                p.ordinal, p.offset, p.size, p.log_alignment
            );
        }
        println!(
            "  max threads {}  required threads {}  max registers {}  barriers {}  cluster {}{}",
            dims(k.max_threads),
            dims(k.required_threads),
            k.max_registers.map_or("-".into(), |r| r.to_string()),
            k.barriers,
            dims(k.cluster_dims),
            if k.explicit_cluster {
                " (explicit)"
            } else {
                ""
            }
        );
        if !k.externs.is_empty() {
            println!("  externs: {}", k.externs.join(", "));
        }
        for a in &k.attributes {
            let name = a.name().map_or_else(
                || format!("unknown attribute {:#04x}", a.id.0),
                |n| n.to_string(),
            );
            let value = match a.format {
                Format::Sized => a
                    .payload
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<Vec<_>>()
                    .join(""),
                Format::None => String::new(),
                _ => format!("{:#x}", a.value),
            };
            println!("    attr {name} {value}");
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    const USAGE: &str = "usage: cubin-info [--json] [--sm N] FILE   (FILE: CUBIN, fatbin, or host ELF with a fatbin)";
    let (mut json, mut sm, mut file) = (false, None, None);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--json" => json = true,
            "--sm" => match it
                .next()
                .map(|v| v.trim_start_matches("sm_").parse::<u32>())
            {
                Some(Ok(v)) => sm = Some(v),
                _ => {
                    eprintln!("{USAGE}");
                    return ExitCode::from(2);
                }
            },
            f if file.is_none() && !f.starts_with("--") => file = Some(f.to_owned()),
            _ => {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let Some(file) = file else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let data = match std::fs::read(&file) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("cubin-info: {file}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let images = match parse_input(&data, sm) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cubin-info: {file}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut cubins = Vec::with_capacity(images.len());
    for image in &images {
        match Cubin::parse(image) {
            Ok(c) => cubins.push(c),
            Err(e) => {
                eprintln!("cubin-info: {file}: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    for c in &cubins {
        if json {
            let ks: Vec<String> = c.kernels.iter().map(kernel_json).collect();
            println!(
                "{{\"arch\":{},\"kernels\":[{}]}}",
                json_str(&c.arch.to_string()),
                ks.join(",")
            );
        } else {
            print_text(c);
        }
    }
    ExitCode::SUCCESS
}
