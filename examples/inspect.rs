//! Prints what a firmware file is and what is in it.
//!
//!     cargo run -p nvbare-firmware --example inspect -- [--json] FILE
//!
//! Recognises GSP-RM ELF images, FMC images, HS ucode (booters, scrubber), the GSP RISC-V
//! bootloader and the generic falcon bootloader. To support another format (e.g. VBIOS ROMs), add
//! a [`Kind`] variant, a probe in [`detect`] and an arm in [`describe`].

use nvbare_firmware::booter::HsImage;
use nvbare_firmware::bootloader::{FalconBootloader, RiscvBootloader};
use nvbare_firmware::fmc::FmcImage;
use nvbare_firmware::gsp::{ChipFamily, GspImage};
use nvbare_firmware::vbios::Vbios;
use nvbare_firmware::{bin, elf, Chipset, Error};
use serde_json::{json, Value};
use std::process::ExitCode;

/// What a file was recognised as.
enum Kind<'a> {
    GspRm(GspImage<'a>),
    Fmc(FmcImage<'a>),
    HsUcode(HsImage),
    RiscvBootloader(RiscvBootloader),
    FalconBootloader(FalconBootloader),
    Vbios(Box<Vbios>),
}

/// Tries each parser that fits the file's magic; the first that accepts it wins. When none does,
/// the error of the most specific one is returned.
fn detect(data: &[u8]) -> Result<Kind<'_>, Error> {
    if elf::is_elf(data) {
        return match GspImage::parse(data) {
            Ok(g) => Ok(Kind::GspRm(g)),
            Err(gsp_err) => FmcImage::parse(data).map(Kind::Fmc).map_err(|fmc_err| {
                // ELF32 files are FMC candidates, ELF64 ones GSP-RM candidates.
                if data.get(4) == Some(&1) {
                    fmc_err
                } else {
                    gsp_err
                }
            }),
        };
    }
    if bin::is_bin_container(data) {
        let hs = HsImage::parse(data);
        if let Ok(h) = hs {
            return Ok(Kind::HsUcode(h));
        }
        if let Ok(r) = RiscvBootloader::parse(data) {
            return Ok(Kind::RiscvBootloader(r));
        }
        if let Ok(f) = FalconBootloader::parse(data) {
            return Ok(Kind::FalconBootloader(f));
        }
        return hs.map(Kind::HsUcode);
    }
    // A VBIOS dump starts with the PCI ROM signature 0x55AA, an IFR header, or junk before one;
    // the parser tries those starts itself.
    match Vbios::parse(data) {
        Ok(v) => Ok(Kind::Vbios(Box::new(v))),
        // A file that starts like a PCI ROM gets the VBIOS parser's own error.
        Err(e) if data.starts_with(&[0x55, 0xAA]) => Err(e),
        Err(_) => Err(Error::UnknownFormat {
            head: data.iter().take(8).copied().collect(),
        }),
    }
}

/// Chips named by the path (`.../nvidia/<chip>/...`).
fn chips_in_path(path: &str) -> Vec<String> {
    path.split('/')
        .filter_map(|c| c.parse::<Chipset>().ok())
        .map(|c| c.name().to_owned())
        .collect()
}

fn describe(kind: &Kind<'_>, path: &str) -> Value {
    match kind {
        Kind::GspRm(g) => {
            let chips: Vec<&str> = Chipset::ALL
                .iter()
                .filter(|c| g.signature_for(**c, false).is_ok())
                .map(|c| c.name())
                .collect();
            let per_chip: serde_json::Map<String, Value> = Chipset::ALL
                .iter()
                .filter_map(|c| {
                    let s = g.signature_for(*c, false).ok()?;
                    Some((c.name().to_owned(), json!({"section": ChipFamily::of(*c).signature_section(false), "size": s.len()})))
                })
                .collect();
            json!({
                "kind": "gsp-rm-elf",
                "version": g.version,
                "image_size": g.image().len(),
                "target_chips": chips,
                "sections": g.sections(),
                "signatures": {"count": g.signatures().len(), "sections": g.signatures(), "per_chip": per_chip},
            })
        }
        Kind::Fmc(f) => json!({
            "kind": "fmc-elf",
            "target_chips": chips_in_path(path),
            "image_size": f.image.len(),
            "hash_size": f.hash.len(),
            "signature_size": f.signature.len(),
            "public_key_size": f.public_key.len(),
            "sections": f.sections(),
        }),
        Kind::HsUcode(h) => {
            let by_fuse: Vec<Value> = (0..h.num_sigs)
                .filter_map(|fuse| {
                    h.signature_index_for_fuse(fuse)
                        .ok()
                        .map(|i| json!({"fuse_version": fuse, "signature_index": i}))
                })
                .collect();
            json!({
                "kind": "hs-ucode (booter/scrubber)",
                "target_chips": chips_in_path(path),
                "bin_header": h.bin,
                "hs_header_v2": h.hs,
                "load_header_v2": h.load,
                "signature_params": h.sig_params,
                "brom": h.brom,
                "patch_loc": h.patch_loc,
                "patch_sig": h.patch_sig,
                "signatures": {"count": h.num_sigs, "size": h.sig_size, "by_fuse_version": by_fuse},
                "load": h.ucode().load_params(),
                "payload_size": h.ucode().image().len(),
            })
        }
        Kind::RiscvBootloader(r) => json!({
            "kind": "riscv-bootloader",
            "target_chips": chips_in_path(path),
            "bin_header": r.bin,
            "riscv_ucode_desc": r.desc,
            "payload_size": r.ucode.len(),
        }),
        Kind::FalconBootloader(f) => json!({
            "kind": "falcon-bootloader",
            "target_chips": chips_in_path(path),
            "bin_header": f.bin,
            "desc": f.desc,
            "boot_addr": f.boot_addr(),
            "code_size": f.code.len(),
        }),
        Kind::Vbios(v) => json!({
            "kind": "vbios",
            "rom_size": v.rom().len(),
            "vbios": v,
        }),
    }
}

/// Flattened `key: value` lines for the text output.
fn print_text(prefix: &str, v: &Value) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                print_text(&p, v);
            }
        }
        Value::Array(a) if a.iter().all(|x| !x.is_object()) => {
            let items: Vec<String> = a
                .iter()
                .map(|x| x.to_string().trim_matches('"').to_owned())
                .collect();
            println!("{prefix}: [{}]", items.join(", "));
        }
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                print_text(&format!("{prefix}[{i}]"), v);
            }
        }
        Value::Number(n) => match n.as_u64() {
            Some(u) if u > 9 => println!("{prefix}: {u} ({u:#x})"),
            _ => println!("{prefix}: {n}"),
        },
        Value::String(s) => println!("{prefix}: {s}"),
        other => println!("{prefix}: {other}"),
    }
}

fn main() -> ExitCode {
    let mut json_out = false;
    let mut file = None;
    for a in std::env::args().skip(1) {
        match a.as_str() {
            "--json" => json_out = true,
            "-h" | "--help" => {
                eprintln!("usage: inspect [--json] FILE");
                return ExitCode::SUCCESS;
            }
            _ if file.is_none() => file = Some(a),
            _ => {
                eprintln!("usage: inspect [--json] FILE");
                return ExitCode::from(2);
            }
        }
    }
    let Some(path) = file else {
        eprintln!("usage: inspect [--json] FILE");
        return ExitCode::from(2);
    };
    let data = match std::fs::read(&path) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("inspect: reading {path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let kind = match detect(&data) {
        Ok(k) => k,
        Err(e) => {
            let mut msg = e.to_string();
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                msg.push_str(&format!(": {s}"));
                src = s.source();
            }
            eprintln!("inspect: {path}: {msg}");
            return ExitCode::FAILURE;
        }
    };
    let mut v = describe(&kind, &path);
    if let Value::Object(m) = &mut v {
        m.insert("file".into(), json!(path));
        m.insert("file_size".into(), json!(data.len()));
    }
    if json_out {
        match serde_json::to_string_pretty(&v) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("inspect: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        print_text("", &v);
    }
    ExitCode::SUCCESS
}
