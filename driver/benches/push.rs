//! Kernel-launch pushbuffer build time (std only, no criterion).
//!
//! `cargo bench -p nvbare-driver --bench push` runs 3 rounds of 1,000,000 launches per variant (best round kept); under `cargo test`
//! (no `--bench` argument) it runs a short smoke pass so the target stays checked.
//!
//! One launch = the Hopper (CBC0 + C86F) method sequence a runtime pushes per kernel, everything but a
//! real QMD body: host semaphore acquire (wait for the previous launch), INVALIDATE_SHADER_CACHES_NO_WFI,
//! SET_INLINE_QMD_ADDRESS_A/B, LOAD_INLINE_QMD_DATA x64 (THE BENCH COPIES A ZEROED 256-BYTE BLOCK here
//! as a stand-in for the QMD, which the QMD module builds), SEND_PCAS_A, SEND_SIGNALING_PCAS2_B, host
//! semaphore release with timestamp, plus the GPFIFO entry for the segment.
//!
//! Variants in the same run:
//! - `prealloc`: [`PushBuffer`] over a buffer allocated once, cleared per launch (the intended use);
//! - `fresh_vec`: the same builder over a `Vec` allocated per launch (peer: allocation per launch);
//! - `naive_vec`: header + data per method pushed onto a fresh `Vec` (peer: no form choice, allocation).

use std::hint::black_box;
use std::time::Instant;

use nvbare_driver::class::{c86f, cbc0};
use nvbare_driver::push::gpfifo::GpEntry;
use nvbare_driver::push::{Bound, PushBuffer, Subchannel};
use nvbare_driver::Error;

const QMD_WORDS: usize = 64;

#[derive(Clone, Copy)]
struct Launch {
    sem_addr: u64,
    wait_value: u64,
    signal_value: u64,
    qmd_addr: u64,
    pb_addr: u64,
}

fn build(pb: &mut PushBuffer<'_>, l: &Launch, qmd: &[u32; QMD_WORDS]) -> Result<[u32; 2], Error> {
    let host = Bound::<c86f::Class>::assume(Subchannel::new(0)?);
    let cmp = Bound::<cbc0::Class>::assume(Subchannel::new(1)?);
    let lo = u32::try_from(l.sem_addr & 0xffff_ffff).unwrap_or(0) >> 2;
    let hi = u32::try_from(l.sem_addr >> 32).unwrap_or(0);
    // wait: semaphore acquire (>= wait_value, 64-bit)
    pb.push(host, c86f::SemAddrLo { offset: lo })?;
    pb.push(host, c86f::SemAddrHi { offset: hi })?;
    pb.push(host, c86f::SemPayloadLo { payload: u32::try_from(l.wait_value & 0xffff_ffff).unwrap_or(0) })?;
    pb.push(host, c86f::SemPayloadHi { payload: u32::try_from(l.wait_value >> 32).unwrap_or(0) })?;
    pb.push(
        host,
        c86f::SemExecute {
            operation: c86f::SemExecuteOperation::AcqCircGeq,
            acquire_switch_tsg: c86f::SemExecuteAcquireSwitchTsg::En,
            payload_size: c86f::SemExecutePayloadSize::V64bit,
            ..Default::default()
        },
    )?;
    pb.push(cmp, cbc0::InvalidateShaderCachesNoWfi { instruction: true, global_data: true, constant: true })?;
    let q8 = l.qmd_addr >> 8;
    pb.push(
        cmp,
        cbc0::SetInlineQmdAddressA {
            qmd_address_shifted8_upper: u32::try_from(q8 >> 32).unwrap_or(0),
            inline_size: cbc0::SetInlineQmdAddressAInlineSize::Inline256,
        },
    )?;
    pb.push(cmp, cbc0::SetInlineQmdAddressB { qmd_address_shifted8_lower: u32::try_from(q8 & 0xffff_ffff).unwrap_or(0) })?;
    pb.push_array::<cbc0::LoadInlineQmdData>(cmp, 0, qmd)?;
    pb.push(cmp, cbc0::SendPcasA { qmd_address_shifted8: u32::try_from(q8 & 0xffff_ffff).unwrap_or(0) })?;
    pb.push(
        cmp,
        cbc0::SendSignalingPcas2B {
            pcas_action: cbc0::SendSignalingPcas2BPcasAction::InvalidateCopySchedule,
            ..Default::default()
        },
    )?;
    // signal: semaphore release with timestamp
    pb.push(host, c86f::SemAddrLo { offset: lo })?;
    pb.push(host, c86f::SemAddrHi { offset: hi })?;
    pb.push(host, c86f::SemPayloadLo { payload: u32::try_from(l.signal_value & 0xffff_ffff).unwrap_or(0) })?;
    pb.push(host, c86f::SemPayloadHi { payload: u32::try_from(l.signal_value >> 32).unwrap_or(0) })?;
    pb.push(
        host,
        c86f::SemExecute {
            operation: c86f::SemExecuteOperation::Release,
            release_wfi: c86f::SemExecuteReleaseWfi::En,
            payload_size: c86f::SemExecutePayloadSize::V64bit,
            release_timestamp: c86f::SemExecuteReleaseTimestamp::En,
            ..Default::default()
        },
    )?;
    let len = u32::try_from(pb.len()).map_err(|_| Error::GpEntryOutOfRange { what: "length", value: u64::MAX })?;
    GpEntry::segment(l.pb_addr, len)?.encode()
}

/// Peer: one INC header per method, words pushed onto a Vec (no form choice).
fn build_naive(l: &Launch, qmd: &[u32; QMD_WORDS]) -> (Vec<u32>, [u32; 2]) {
    fn m(v: &mut Vec<u32>, subc: u32, off: u32, data: u32) {
        v.push((1 << 29) | (1 << 16) | (subc << 13) | (off >> 2));
        v.push(data);
    }
    let mut v = Vec::new();
    let lo = u32::try_from(l.sem_addr & 0xffff_ffff).unwrap_or(0);
    let hi = u32::try_from(l.sem_addr >> 32).unwrap_or(0);
    m(&mut v, 0, 0x5c, lo);
    m(&mut v, 0, 0x60, hi);
    m(&mut v, 0, 0x64, u32::try_from(l.wait_value & 0xffff_ffff).unwrap_or(0));
    m(&mut v, 0, 0x68, u32::try_from(l.wait_value >> 32).unwrap_or(0));
    m(&mut v, 0, 0x6c, 0x0100_1003);
    m(&mut v, 1, 0x1698, 0x1011);
    let q8 = l.qmd_addr >> 8;
    m(&mut v, 1, 0x318, u32::try_from(q8 >> 32).unwrap_or(0));
    m(&mut v, 1, 0x31c, u32::try_from(q8 & 0xffff_ffff).unwrap_or(0));
    v.push((1 << 29) | (64 << 16) | (1 << 13) | (0x320 >> 2));
    v.extend_from_slice(qmd);
    m(&mut v, 1, 0x2b4, u32::try_from(q8 & 0xffff_ffff).unwrap_or(0));
    m(&mut v, 1, 0x2c0, 3);
    m(&mut v, 0, 0x5c, lo);
    m(&mut v, 0, 0x60, hi);
    m(&mut v, 0, 0x64, u32::try_from(l.signal_value & 0xffff_ffff).unwrap_or(0));
    m(&mut v, 0, 0x68, u32::try_from(l.signal_value >> 32).unwrap_or(0));
    m(&mut v, 0, 0x6c, 0x0310_0001);
    let len = u32::try_from(v.len()).unwrap_or(0);
    let e = GpEntry::segment(l.pb_addr, len).and_then(|e| e.encode()).unwrap_or([0, 0]);
    (v, e)
}

fn launch(i: u64) -> Launch {
    Launch {
        sem_addr: 0x1_0000_1000,
        wait_value: i,
        signal_value: i + 1,
        qmd_addr: 0x2_0000_0000 + ((i & 0xff) << 8),
        pb_addr: 0x3_0000_0000 + ((i & 0xff) << 10),
    }
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let iters: u64 = if full { 1_000_000 } else { 1_000 };
    // Stand-in QMD body: zeroed 256 bytes (the QMD module provides real ones).
    let qmd = [0u32; QMD_WORDS];

    let mut buf = vec![0u32; 256];
    let mut words_per_launch = 0;
    let mut naive_words = 0;
    let (mut prealloc, mut fresh, mut naive) = (f64::MAX, f64::MAX, f64::MAX);
    // Three rounds, variants interleaved, best round kept (the machine is shared; this damps noise).
    for _round in 0..3 {
        let t = Instant::now();
        for i in 0..iters {
            let mut pb = PushBuffer::new(&mut buf);
            let e = build(&mut pb, &launch(i), black_box(&qmd)).expect("launch fits 256 words");
            words_per_launch = pb.len();
            black_box((pb.words(), e));
        }
        prealloc = prealloc.min(t.elapsed().as_nanos() as f64 / iters as f64);

        let t = Instant::now();
        for i in 0..iters {
            let mut v = vec![0u32; 256];
            let mut pb = PushBuffer::new(&mut v);
            let e = build(&mut pb, &launch(i), black_box(&qmd)).expect("launch fits 256 words");
            black_box((pb.words(), e));
        }
        fresh = fresh.min(t.elapsed().as_nanos() as f64 / iters as f64);

        let t = Instant::now();
        for i in 0..iters {
            let (v, e) = build_naive(&launch(i), black_box(&qmd));
            naive_words = v.len();
            black_box((&v, e));
        }
        naive = naive.min(t.elapsed().as_nanos() as f64 / iters as f64);
    }

    println!("push bench (best of 3 rounds x {iters} launches per variant{})", if full { "" } else { ", smoke pass" });
    println!("  prealloc  PushBuffer, buffer reused : {prealloc:8.1} ns/launch ({words_per_launch} words)");
    println!("  fresh_vec PushBuffer, Vec per launch: {fresh:8.1} ns/launch  ratio {:.2}x", fresh / prealloc);
    println!("  naive_vec header per method, Vec    : {naive:8.1} ns/launch ({naive_words} words) ratio {:.2}x", naive / prealloc);
}
