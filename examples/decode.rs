//! Decodes a pushbuffer: class, method names and fields.
//!
//! Usage:
//!   decode [--subc N=CLASS]... [--host CLASS] [--no-qmd] [--qmd-mem ADDR=PATH]... [--file PATH] [WORD...]
//!
//! Input: `--file PATH` reads little-endian u32 words from a binary file (`-` for stdin); hex words on
//! the command line (e.g. `20012000 0000cbc0`), or, with no words and no file, hex words from stdin.
//! `--subc 1=CBC0` starts with class 0xCBC0 bound on subchannel 1 (SET_OBJECT in the stream rebinds);
//! `--host C86F` decodes methods below 0x100 with that host class (default: inferred).
//! Inline QMDs (`LOAD_INLINE_QMD_DATA`) are printed as named QMD fields of the version the bound compute
//! class takes (HAL mapping); `--no-qmd` turns that off. `--qmd-mem 0x200000000=pool.bin` gives the bytes of
//! GPU memory at that address, so QMDs launched by address (`SEND_PCAS_A`) are decoded too.
//!
//! Example:
//!   cargo run -p nvbare-driver --example decode -- 20012000 0000cbc0 20050017 23456780 1 7 5 03100001

use std::io::Read;
use std::process::ExitCode;

use nvbare_driver::class;
use nvbare_driver::push::decode::{Decoder, Listing};
use nvbare_driver::qmd::PushQmdDecoder;

#[derive(Debug)]
struct Args {
    binds: Vec<(u8, u32)>,
    host: Option<u32>,
    file: Option<String>,
    words: Vec<u32>,
    qmd: bool,
    qmd_mem: Vec<(u64, String)>,
}

fn parse_hex(s: &str) -> Result<u32, String> {
    let t = s.trim_start_matches("0x").trim_start_matches("0X");
    u32::from_str_radix(t, 16).map_err(|e| format!("bad hex word {s:?}: {e}"))
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        binds: Vec::new(),
        host: None,
        file: None,
        words: Vec::new(),
        qmd: true,
        qmd_mem: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--subc" => {
                let v = it.next().ok_or("--subc needs N=CLASS")?;
                let (n, c) = v.split_once('=').ok_or("--subc needs N=CLASS")?;
                let n: u8 = n
                    .parse()
                    .map_err(|e| format!("bad subchannel {n:?}: {e}"))?;
                if n > 7 {
                    return Err(format!("subchannel {n} out of range 0..=7"));
                }
                a.binds.push((n, parse_hex(c)?));
            }
            "--host" => a.host = Some(parse_hex(&it.next().ok_or("--host needs CLASS")?)?),
            "--file" => a.file = Some(it.next().ok_or("--file needs a path")?),
            "--no-qmd" => a.qmd = false,
            "--qmd-mem" => {
                let v = it.next().ok_or("--qmd-mem needs ADDR=PATH")?;
                let (addr, path) = v.split_once('=').ok_or("--qmd-mem needs ADDR=PATH")?;
                let t = addr.trim_start_matches("0x").trim_start_matches("0X");
                let addr =
                    u64::from_str_radix(t, 16).map_err(|e| format!("bad address {addr:?}: {e}"))?;
                a.qmd_mem.push((addr, path.to_owned()));
            }
            "-h" | "--help" => return Err(String::new()),
            w => a.words.push(parse_hex(w)?),
        }
    }
    Ok(a)
}

fn words_from_bytes(b: &[u8]) -> Result<Vec<u32>, String> {
    if b.len() % 4 != 0 {
        return Err(format!("input is {} bytes, not a multiple of 4", b.len()));
    }
    Ok(b.chunks_exact(4)
        .filter_map(|c| <[u8; 4]>::try_from(c).ok())
        .map(u32::from_le_bytes)
        .collect())
}

fn run() -> Result<(), String> {
    let a = parse_args()?;
    let words = if let Some(path) = &a.file {
        let mut bytes = Vec::new();
        if path == "-" {
            std::io::stdin()
                .read_to_end(&mut bytes)
                .map_err(|e| format!("reading stdin: {e}"))?;
        } else {
            bytes = std::fs::read(path).map_err(|e| format!("reading {path}: {e}"))?;
        }
        words_from_bytes(&bytes)?
    } else if a.words.is_empty() {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| format!("reading stdin: {e}"))?;
        s.split_whitespace()
            .map(parse_hex)
            .collect::<Result<_, _>>()?
    } else {
        a.words
    };
    let mems: Vec<(u64, Vec<u8>)> = a
        .qmd_mem
        .iter()
        .map(|(addr, path)| {
            std::fs::read(path)
                .map(|b| (*addr, b))
                .map_err(|e| format!("reading {path}: {e}"))
        })
        .collect::<Result<_, _>>()?;
    let mut hook = PushQmdDecoder::new();
    for (addr, bytes) in &mems {
        hook = hook.with_memory(*addr, bytes);
    }
    let mut dec = Decoder::new();
    if a.qmd {
        dec = dec.with_qmd_fields(&hook);
    }
    for (n, c) in a.binds {
        if class::class_by_id(c).is_none() {
            eprintln!("note: class {c:#06x} is not known to this decoder; its methods show raw");
        }
        dec = dec.bind(n, c);
    }
    if let Some(h) = a.host {
        let desc = class::class_by_id(h)
            .filter(|d| d.kind == class::ClassKind::Host)
            .ok_or(format!(
                "{h:#06x} is not a known host class (C56F, C86F, C96F, CA6F)"
            ))?;
        dec = dec.host_class(desc);
    }
    print!("{}", Listing(dec.decode(&words)));
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("error: {e}");
            }
            eprintln!(
                "usage: decode [--subc N=CLASS]... [--host CLASS] [--no-qmd] [--qmd-mem ADDR=PATH]... [--file PATH|-] [HEXWORD...]"
            );
            ExitCode::from(2)
        }
    }
}
