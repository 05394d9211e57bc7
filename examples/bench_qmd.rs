//! Measures how long building a complete launch QMD takes, per QMD version (std `Instant` loop).
//!
//! Run with `cargo run --release -p nvbare-driver --example bench_qmd [iterations]`.
//!
//! Prints wall-clock ns/QMD and CPU ns/QMD of this thread (`getrusage(RUSAGE_THREAD)`), which stays
//! meaningful on a loaded machine. The complete launch (QMD + methods + GPFIFO entry) is measured by
//! `cargo bench -p nvbare-driver --bench launch`.

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

/// CPU time (user + system) of this thread in nanoseconds, from `getrusage(RUSAGE_THREAD)`.
fn thread_cpu_ns() -> Option<u64> {
    use nix::sys::resource::{getrusage, UsageWho};
    let u = getrusage(UsageWho::RUSAGE_THREAD).ok()?;
    let ns = |t: nix::sys::time::TimeVal| -> Option<u64> {
        let s = u64::try_from(t.tv_sec()).ok()?;
        let us = u64::try_from(t.tv_usec()).ok()?;
        s.checked_mul(1_000_000_000)?
            .checked_add(us.checked_mul(1000)?)
    };
    ns(u.user_time())?.checked_add(ns(u.system_time())?)
}

/// Runs `f` `iters` times; returns (wall ns/iter, CPU ns/iter).
fn time(
    iters: u64,
    mut f: impl FnMut(u64) -> nvbare_driver::Result<()>,
) -> nvbare_driver::Result<(f64, Option<f64>)> {
    for i in 0..iters / 10 {
        f(i)?;
    }
    let cpu0 = thread_cpu_ns();
    let t = Instant::now();
    for i in 0..iters {
        f(i)?;
    }
    let wall = t.elapsed().as_nanos() as f64 / iters as f64;
    let cpu = cpu0
        .zip(thread_cpu_ns())
        .map(|(a, b)| b.saturating_sub(a) as f64 / iters as f64);
    Ok((wall, cpu))
}

fn report(what: &str, (wall, cpu): (f64, Option<f64>)) {
    match cpu {
        Some(cpu) => println!("{what:<28} {wall:7.1} ns/QMD wall  {cpu:7.1} ns/QMD cpu"),
        None => println!("{what:<28} {wall:7.1} ns/QMD wall"),
    }
}

fn bench<Q: Qmd>(iters: u64) -> nvbare_driver::Result<(f64, Option<f64>)> {
    time(iters, |i| {
        let q = build_launch::<Q>(black_box(&desc(i)))?;
        black_box(q.words());
        Ok(())
    })
}

fn main() -> nvbare_driver::Result<()> {
    let iters: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(2_000_000);
    println!("QMD build, {iters} iterations each");
    report("V03_00 (Ampere/Ada)", bench::<QmdV03_00>(iters)?);
    report("V04_00 (Hopper)", bench::<QmdV04_00>(iters)?);
    report("V05_00 (Blackwell)", bench::<QmdV05_00>(iters)?);
    // Through the HAL (limits check + version dispatch), as the runtime calls it.
    for chip in [Chipset::Ga102, Chipset::Gh100, Chipset::Gb202] {
        let h = hal::for_chipset(chip)?;
        let d = LaunchDesc {
            sm_shared: h.sm_shared_config(0x400)?,
            sass_version: h.sass_version(),
            ..desc(0)
        };
        let r = time(iters, |i| {
            let q = h.build_launch_qmd(black_box(&LaunchDesc {
                release: Some(LaunchRelease {
                    address: 0x1000,
                    payload: i,
                }),
                ..d
            }))?;
            black_box(q.words());
            Ok(())
        })?;
        report(&format!("hal {chip} ({})", h.qmd_version()), r);
    }
    Ok(())
}
