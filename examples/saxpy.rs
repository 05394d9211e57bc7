//! y = a*x + y on the GPU, checked against the CPU.
//!
//!     cargo run --release --example saxpy

mod common;
use nvbare::{Device, LaunchConfig};
use std::process::ExitCode;

fn run() -> Result<(), common::CheckError> {
    let dev = Device::open(0)?;
    let f = dev.load_module(common::KERNELS)?.function("saxpy")?;
    let n: i32 = 1_000_003;
    let a = 2.5f32;
    let x: Vec<f32> = (0..n).map(|i| (i % 1000) as f32 * 0.5).collect();
    let y: Vec<f32> = (0..n).map(|i| (i % 7) as f32).collect();
    let dx = dev.htod_copy(&x)?;
    let dy = dev.htod_copy(&y)?;
    dev.default_stream()
        .launch_builder(&f)
        .arg(&a)
        .arg(&dx)
        .arg(&dy)
        .arg(&n)
        .launch(LaunchConfig::for_num_elems(n.unsigned_abs()))?;
    let out = dev.dtoh_copy(&dy)?;
    let bad = out
        .iter()
        .zip(x.iter().zip(&y))
        .filter(|(o, (x, y))| (**o - (a * **x + **y)).abs() > 1e-5)
        .count();
    if bad != 0 {
        return Err(common::CheckError::Mismatch(format!(
            "{bad} of {n} results differ from the CPU"
        )));
    }
    println!("saxpy: {n} elements match the CPU");
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            common::report("saxpy", &e);
            ExitCode::from(1)
        }
    }
}
