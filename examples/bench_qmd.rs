//! Measures how long building a complete launch QMD takes, per QMD version (std `Instant` loop).
//!
//! Run with `cargo run --release -p nvbare-driver --example bench_qmd [iterations]`.

use nvbare_driver::hal;
use nvbare_driver::qmd::{
    build_launch, LaunchDesc, LaunchRelease, Qmd, QmdV03_00, QmdV04_00, QmdV05_00,
};
use nvbare_driver::Chipset;
use std::hint::black_box;
use std::time::Instant;

fn desc(i: u64) -> LaunchDesc {
    LaunchDesc {
        grid: [1024, 1, 1],
        block: [256, 1, 1],
        program_va: 0x10_0000_0000 + (i & 0xff) * 0x100,
        program_size: 0x1000,
        register_count: 32,
        shared_mem_bytes: 0x400,
        sm_shared: nvbare_driver::qmd::SmSharedConfig {
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
            payload: i,
        }),
    }
}

fn bench<Q: Qmd>(iters: u64) -> nvbare_driver::Result<f64> {
    // Warm up, then time.
    for i in 0..iters / 10 {
        black_box(build_launch::<Q>(black_box(&desc(i)))?);
    }
    let t = Instant::now();
    for i in 0..iters {
        let q = build_launch::<Q>(black_box(&desc(i)))?;
        black_box(q.words());
    }
    Ok(t.elapsed().as_nanos() as f64 / iters as f64)
}

fn main() -> nvbare_driver::Result<()> {
    let iters: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(2_000_000);
    println!("QMD build, {iters} iterations each");
    println!(
        "V03_00 (Ampere/Ada): {:7.1} ns/QMD",
        bench::<QmdV03_00>(iters)?
    );
    println!(
        "V04_00 (Hopper):     {:7.1} ns/QMD",
        bench::<QmdV04_00>(iters)?
    );
    println!(
        "V05_00 (Blackwell):  {:7.1} ns/QMD",
        bench::<QmdV05_00>(iters)?
    );
    // Through the HAL (limits check + version dispatch), as the runtime calls it.
    for chip in [Chipset::Ga102, Chipset::Gh100, Chipset::Gb202] {
        let h = hal::for_chipset(chip)?;
        let d = LaunchDesc {
            sm_shared: h.sm_shared_config(0x400)?,
            sass_version: h.sass_version(),
            ..desc(0)
        };
        let t = Instant::now();
        for i in 0..iters {
            let q = h.build_launch_qmd(black_box(&LaunchDesc {
                release: Some(LaunchRelease {
                    address: 0x1000,
                    payload: i,
                }),
                ..d
            }))?;
            black_box(q.words());
        }
        println!(
            "hal {chip} ({}): {:7.1} ns/QMD",
            h.qmd_version(),
            t.elapsed().as_nanos() as f64 / iters as f64
        );
    }
    Ok(())
}
