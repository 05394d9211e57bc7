//! Print every field of a QMD: `cargo run -p nvbare-driver --example qmd_dump -- FILE [v03|v04|v05]`.
//!
//! FILE holds the raw little-endian QMD bytes (256 or 384 bytes). Without a version argument the version is
//! detected from the length and the stored major version. With `--demo` instead of FILE, a sample launch QMD of
//! each version is built and printed.

use nvbare_driver::qmd::decode::detect_version;
use nvbare_driver::qmd::{decode, AnyQmd, LaunchDesc, LaunchRelease, QmdVersion, SmSharedConfig};
use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;

/// Write `text` to stdout; a closed pipe is not an error worth a panic.
fn emit(text: &str) -> ExitCode {
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: writing output: {e}");
            ExitCode::FAILURE
        }
    }
}

fn demo() -> nvbare_driver::Result<String> {
    let mut out = String::new();
    let d = LaunchDesc {
        grid: [64, 1, 1],
        block: [128, 1, 1],
        program_va: 0x10_0000_0000,
        program_size: 0x400,
        register_count: 24,
        shared_mem_bytes: 0x400,
        sm_shared: SmSharedConfig {
            min_bytes: 8192,
            max_bytes: 100 * 1024,
            target_bytes: 8192,
        },
        local_mem_per_thread: 0,
        cbank0_va: 0x20_0000_0000,
        cbank0_size: 0x180,
        barrier_count: 1,
        sass_version: 0x86,
        release: Some(LaunchRelease {
            address: 0x30_0000_0000,
            payload: 1,
        }),
    };
    for v in QmdVersion::ALL {
        let q = AnyQmd::build(v, &d)?;
        let dec = q.decode();
        let _ = writeln!(out, "{} ({} bytes), non-zero fields:", v, v.size_bytes());
        for f in dec.nonzero() {
            let _ = writeln!(out, "  {f}");
        }
    }
    Ok(out)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        eprintln!("usage: qmd_dump FILE [v03|v04|v05] | qmd_dump --demo");
        return ExitCode::FAILURE;
    };
    if path == "--demo" {
        return match demo() {
            Ok(text) => emit(&text),
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: reading {path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let version = match args.get(1).map(String::as_str) {
        Some("v03") => Some(QmdVersion::V03_00),
        Some("v04") => Some(QmdVersion::V04_00),
        Some("v05") => Some(QmdVersion::V05_00),
        Some(other) => {
            eprintln!("error: unknown version {other} (v03, v04, v05)");
            return ExitCode::FAILURE;
        }
        None => detect_version(&bytes),
    };
    let Some(version) = version else {
        eprintln!(
            "error: cannot tell the QMD version of {} bytes; pass v03, v04 or v05",
            bytes.len()
        );
        return ExitCode::FAILURE;
    };
    match decode(version, &bytes) {
        Ok(d) => emit(&d.to_string()),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
