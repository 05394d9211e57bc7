//! nvbare's counterpart of `bench/cuda_baseline.cu`: the same figures, printed in the same format
//! (`name value unit`, one per line). See `bench/README.md` for how to run both.
//!
//!     cargo run --release --example nvbare_baseline

mod common;
use nvbare::{Device, LaunchConfig};
use std::process::ExitCode;
use std::time::{Duration, Instant};

const LAUNCHES: u32 = 10_000;
const BW_BYTES: usize = 256 << 20;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn run() -> nvbare::Result<()> {
    let t = Instant::now();
    let dev = Device::open(0)?;
    println!("context_open_ms {:.3} ms", t.elapsed().as_secs_f64() * 1e3);

    let empty = dev.load_module(common::KERNELS)?.function("empty")?;
    let stream = dev.default_stream();
    let one = LaunchConfig {
        grid_dim: (1, 1, 1),
        block_dim: (1, 1, 1),
        shared_mem_bytes: 0,
    };
    stream.launch_builder(&empty).launch(one)?;
    stream.synchronize()?;

    let t = Instant::now();
    for _ in 0..LAUNCHES {
        stream.launch_builder(&empty).launch(one)?;
    }
    let cpu = t.elapsed();
    stream.synchronize()?;
    println!(
        "cpu_time_per_launch_us {:.3} us",
        cpu.as_secs_f64() * 1e6 / f64::from(LAUNCHES)
    );

    let mut lat = Vec::with_capacity(1000);
    for _ in 0..1000 {
        let t = Instant::now();
        stream.launch_builder(&empty).launch(one)?;
        stream.synchronize()?;
        lat.push(t.elapsed());
    }
    println!(
        "empty_launch_to_completion_us {:.3} us",
        median(lat).as_secs_f64() * 1e6
    );

    let host: Vec<u8> = (0..BW_BYTES)
        .map(|i| u8::try_from(i % 251).unwrap_or(0))
        .collect();
    let mut a = dev.alloc_zeros::<u8>(BW_BYTES)?;
    let mut b = dev.alloc_zeros::<u8>(BW_BYTES)?;
    let gb = BW_BYTES as f64 / 1e9;
    let t = Instant::now();
    dev.htod_copy_into(&host, &mut a)?;
    dev.synchronize()?;
    println!("h2d_bandwidth {:.2} GB/s", gb / t.elapsed().as_secs_f64());
    let mut back = vec![0u8; BW_BYTES];
    let t = Instant::now();
    dev.dtoh_copy_into(&a, &mut back)?;
    println!("d2h_bandwidth {:.2} GB/s", gb / t.elapsed().as_secs_f64());
    let t = Instant::now();
    dev.dtod_copy(&a, &mut b)?;
    dev.synchronize()?;
    println!(
        "d2d_bandwidth {:.2} GB/s",
        2.0 * gb / t.elapsed().as_secs_f64()
    );
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            common::report("nvbare_baseline", &e);
            ExitCode::from(1)
        }
    }
}
