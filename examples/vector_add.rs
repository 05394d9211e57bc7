//! c = a + b on the GPU, checked against the CPU.
//!
//!     cargo run --release --example vector_add

mod common;
use nvbare::{Device, LaunchConfig};
use std::process::ExitCode;

fn run() -> Result<(), common::CheckError> {
    let dev = Device::open(0)?;
    let module = dev.load_module(common::KERNELS)?;
    let f = module.function("vector_add")?;
    let n: i32 = 1 << 20;
    let a: Vec<f32> = (0..n).map(|i| i as f32).collect();
    let b: Vec<f32> = (0..n).map(|i| (2 * i) as f32).collect();
    let da = dev.htod_copy(&a)?;
    let db = dev.htod_copy(&b)?;
    let dc = dev.alloc_zeros::<f32>(a.len())?;
    let stream = dev.default_stream();
    stream
        .launch_builder(&f)
        .arg(&da)
        .arg(&db)
        .arg(&dc)
        .arg(&n)
        .launch(LaunchConfig::for_num_elems(n.unsigned_abs()))?;
    let c = dev.dtoh_copy(&dc)?;
    let bad = c
        .iter()
        .zip(a.iter().zip(&b))
        .filter(|(c, (a, b))| **c != **a + **b)
        .count();
    if bad != 0 {
        return Err(common::CheckError::Mismatch(format!(
            "{bad} of {n} results differ from the CPU"
        )));
    }
    println!("vector_add: {n} elements match the CPU");
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            common::report("vector_add", &e);
            ExitCode::from(1)
        }
    }
}
