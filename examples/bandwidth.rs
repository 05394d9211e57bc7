//! Host↔device copy bandwidth for sizes from 4 KiB to 256 MiB.
//!
//!     cargo run --release --example bandwidth

mod common;
use nvbare::Device;
use std::process::ExitCode;
use std::time::Instant;

fn gbps(bytes: usize, secs: f64) -> f64 {
    bytes as f64 / secs / 1e9
}

fn run() -> Result<(), common::CheckError> {
    let dev = Device::open(0)?;
    println!("{:>12} {:>12} {:>12}", "bytes", "H2D GB/s", "D2H GB/s");
    let mut size = 4096usize;
    while size <= 256 << 20 {
        let host: Vec<u8> = (0..size)
            .map(|i| u8::try_from(i % 251).unwrap_or(0))
            .collect();
        let mut buf = dev.alloc_zeros::<u8>(size)?;
        let reps = (1 << 28) / size;
        let reps = reps.clamp(1, 100);
        let t = Instant::now();
        for _ in 0..reps {
            dev.htod_copy_into(&host, &mut buf)?;
        }
        dev.synchronize()?;
        let h2d = gbps(size * reps, t.elapsed().as_secs_f64());
        let mut back = vec![0u8; size];
        let t = Instant::now();
        for _ in 0..reps {
            dev.dtoh_copy_into(&buf, &mut back)?;
        }
        let d2h = gbps(size * reps, t.elapsed().as_secs_f64());
        if back != host {
            return Err(common::CheckError::Mismatch(format!(
                "round trip of {size} bytes differs"
            )));
        }
        println!("{size:>12} {h2d:>12.2} {d2h:>12.2}");
        size *= 4;
    }
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            common::report("bandwidth", &e);
            ExitCode::from(1)
        }
    }
}
