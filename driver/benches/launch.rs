//! Complete kernel-launch command encoding on the CPU: QMD + methods + GPFIFO entry, into preallocated memory.
//! (A CPU measurement: nothing is submitted to a GPU.)
//!
//! `cargo bench -p nvbare-driver --bench launch` runs 3 rounds of 1,000,000 launches per variant and chip
//! (variants interleaved, best round kept); under `cargo test` (no `--bench` argument) it runs a short smoke
//! pass, which also checks that the variants encode the same method sequence.
//!
//! One launch, per chip with its own compute + host classes and QMD version (from the chip's HAL):
//! 1. the launch's QMD, built by the QMD module through the HAL (`Hal::build_launch_qmd`: limit checks +
//!    `build_launch`), with a per-launch grid size, constant bank 0 address (a ring of parameter buffers) and
//!    completion payload (the program address is the kernel's, fixed);
//! 2. host semaphore acquire (64-bit, circular >=) waiting for the previous launch;
//! 3. `SET_INLINE_QMD_ADDRESS_A/B` (INLINE_384 on the 384-byte QMD classes) + `LOAD_INLINE_QMD_DATA` with the
//!    QMD words (64 on V03_00, 96 on V04_00/V05_00);
//! 4. `SEND_PCAS_A` + `SEND_SIGNALING_PCAS2_B`;
//! 5. host semaphore release (64-bit, WFI);
//! 6. the GPFIFO entry for the segment, written into a preallocated ring.
//!
//! Variants:
//! - `prealloc`: [`PushBuffer`] over a slot of a pushbuffer allocated once (ring of 64 slots), class
//!   sequences from `class::seq`, QMD words copied once into the pushbuffer, GPFIFO entry into the ring;
//! - `template`: as `prealloc`, but the QMD is the kernel's template (`Hal::build_launch_template`, built once
//!   outside the loop) patched per launch (`AnyQmdTemplate::patch`: grid, cbank0 address, release; the
//!   per-launch limits re-checked); the smoke pass checks it writes the same words as `prealloc`;
//! - `fresh_vec` (peer): the same encoders over a `Vec` allocated per launch, copied into the slot;
//! - `naive` (peer): the same sequence the straightforward way: QMD bytes (`to_bytes`, a `Vec`) turned into a
//!   `Vec` of words, every method written as its own one-word INC header + data (also every QMD word) onto
//!   a fresh `Vec`, the GPFIFO entry onto a fresh `Vec`, then both copied into the same preallocated memory.
//!
//! Time per launch is reported as wall-clock and as this thread's CPU time (`getrusage(RUSAGE_THREAD)`), since
//! the machine this runs on may be shared; the load average is printed before and after.

use std::hint::black_box;
use std::time::{Duration, Instant};

use nvbare_driver::class::seq::{ComputeSequences, HostSequences, Semaphore, SemaphoreOp};
use nvbare_driver::class::{c56f, c7c0, c86f, ca6f, cbc0, cec0, Class, Method};
use nvbare_driver::hal::{self, Hal};
use nvbare_driver::push::decode::{Decoder, Item};
use nvbare_driver::push::gpfifo::GpEntry;
use nvbare_driver::push::{Bound, MethodHeader, PushBuffer, SecOp, Subchannel};
use nvbare_driver::qmd::{AnyQmdTemplate, LaunchDesc, LaunchPatch, LaunchRelease};
use nvbare_driver::{Chipset, Error};

/// Words per pushbuffer slot (a launch takes 130 at most).
const SLOT_WORDS: usize = 256;
/// Slots in the pushbuffer / entries in the GPFIFO ring.
const SLOTS: usize = 64;
const PB_VA: u64 = 0x3_0000_0000;
const QMD_VA: u64 = 0x2_0000_0000;
const SEM_VA: u64 = 0x1_0000_1000;

/// Preallocated launch memory: pushbuffer slots and GPFIFO ring (stand-ins for the DMA buffers).
struct Ring {
    pb: Vec<u32>,
    gpfifo: Vec<u32>,
}

impl Ring {
    fn new() -> Self {
        Ring {
            pb: vec![0; SLOTS * SLOT_WORDS],
            gpfifo: vec![0; SLOTS * 2],
        }
    }

    fn slot(&mut self, i: u64) -> (u64, &mut [u32], &mut [u32]) {
        let s = usize::try_from(i % SLOTS as u64).unwrap_or(0);
        let pb = &mut self.pb[s * SLOT_WORDS..(s + 1) * SLOT_WORDS];
        let gp = &mut self.gpfifo[s * 2..s * 2 + 2];
        (PB_VA + (s * SLOT_WORDS * 4) as u64, pb, gp)
    }
}

/// What changes per launch: grid size, the constant bank 0 copy (a ring of parameter buffers) and the
/// completion payload.
fn launch_patch(i: u64) -> LaunchPatch {
    LaunchPatch {
        grid: [1 + u32::try_from(i & 0x3ff).unwrap_or(0), 1, 1],
        block: [256, 1, 1],
        cbank0_va: 0x20_0000_0000 + (i % SLOTS as u64) * 0x200,
        release: Some(LaunchRelease {
            address: SEM_VA + 0x100,
            payload: i + 1,
        }),
        shared: None,
    }
}

/// The full description of launch `i` (the kernel's fixed part + [`launch_patch`]).
fn launch_desc(h: &dyn Hal, i: u64) -> Result<LaunchDesc, Error> {
    let base = LaunchDesc {
        grid: [1024, 1, 1],
        block: [256, 1, 1],
        program_va: 0x10_0000_0000,
        program_size: 0x1000,
        register_count: 32,
        shared_mem_bytes: 0x400,
        sm_shared: h.sm_shared_config(0x400)?,
        local_mem_per_thread: 0,
        cbank0_va: 0x20_0000_0000,
        cbank0_size: 0x180,
        barrier_count: 1,
        sass_version: h.sass_version(),
        release: None,
    };
    Ok(base.with_patch(&launch_patch(i)))
}

fn qmd_va(i: u64) -> u64 {
    QMD_VA + (i % SLOTS as u64) * 0x200
}

fn acquire(i: u64) -> (Semaphore, SemaphoreOp) {
    (
        Semaphore {
            address: SEM_VA,
            payload: i,
            wide: true,
        },
        SemaphoreOp::AcquireCircGeq { switch_tsg: true },
    )
}

fn release(i: u64) -> (Semaphore, SemaphoreOp) {
    (
        Semaphore {
            address: SEM_VA,
            payload: i + 1,
            wide: true,
        },
        SemaphoreOp::Release {
            wfi: true,
            timestamp: false,
        },
    )
}

fn lo32(v: u64) -> u32 {
    u32::try_from(v & 0xffff_ffff).unwrap_or(0)
}

fn hi32(v: u64) -> u32 {
    u32::try_from(v >> 32).unwrap_or(u32::MAX)
}

/// Method offsets of one chip's classes, taken from the typed methods' table entries.
struct Offsets {
    sem_addr_lo: u32,
    sem_addr_hi: u32,
    sem_payload_lo: u32,
    sem_payload_hi: u32,
    sem_execute: u32,
    inline_a: u32,
    inline_b: u32,
    load_inline: u32,
    send_pcas_a: u32,
    send_signaling_pcas2_b: u32,
}

/// One chip's launch encoders.
trait Chip {
    const OFFSETS: Offsets;
    type Host: HostSequences;
    type Compute: ComputeSequences;
    const CHIPSET: Chipset;
    /// `SET_INLINE_QMD_ADDRESS_A` data for `upper` and a QMD of `qmd_words` words (written by hand for the naive
    /// variant; the others use `ComputeSequences::load_inline_qmd`, and the quick check compares the two).
    fn inline_address_a(upper: u32, qmd_words: usize) -> u32;
}

macro_rules! chip {
    ($name:ident, $chip:expr, $host:ident, $comp:ident, |$u:ident, $n:ident| $a:expr) => {
        struct $name;
        impl Chip for $name {
            type Host = $host::Class;
            type Compute = $comp::Class;
            const CHIPSET: Chipset = $chip;
            const OFFSETS: Offsets = Offsets {
                sem_addr_lo: <$host::SemAddrLo as Method>::DESC.offset,
                sem_addr_hi: <$host::SemAddrHi as Method>::DESC.offset,
                sem_payload_lo: <$host::SemPayloadLo as Method>::DESC.offset,
                sem_payload_hi: <$host::SemPayloadHi as Method>::DESC.offset,
                sem_execute: <$host::SemExecute as Method>::DESC.offset,
                inline_a: <$comp::SetInlineQmdAddressA as Method>::DESC.offset,
                inline_b: <$comp::SetInlineQmdAddressB as Method>::DESC.offset,
                load_inline: <$comp::LoadInlineQmdData as Method>::DESC.offset,
                send_pcas_a: <$comp::SendPcasA as Method>::DESC.offset,
                send_signaling_pcas2_b: <$comp::SendSignalingPcas2B as Method>::DESC.offset,
            };
            fn inline_address_a($u: u32, $n: usize) -> u32 {
                let m: $comp::SetInlineQmdAddressA = $a;
                m.to_word()
            }
        }
    };
}

// Ampere GA102: C7C0 + C56F, QMD V03_00 (256 bytes; C7C0 has no INLINE_SIZE field).
chip!(Ga102, Chipset::Ga102, c56f, c7c0, |u, _n| {
    c7c0::SetInlineQmdAddressA {
        qmd_address_shifted8_upper: u,
    }
});
// Hopper GH100: CBC0 + C86F, QMD V04_00 (384 bytes).
chip!(Gh100, Chipset::Gh100, c86f, cbc0, |u, n| {
    cbc0::SetInlineQmdAddressA {
        qmd_address_shifted8_upper: u,
        inline_size: if n > 64 {
            cbc0::SetInlineQmdAddressAInlineSize::Inline384
        } else {
            cbc0::SetInlineQmdAddressAInlineSize::Inline256
        },
    }
});
// Blackwell GB202: CEC0 + CA6F, QMD V05_00 (384 bytes).
chip!(Gb202, Chipset::Gb202, ca6f, cec0, |u, n| {
    cec0::SetInlineQmdAddressA {
        qmd_address_shifted8_upper: u,
        inline_size: if n > 64 {
            cec0::SetInlineQmdAddressAInlineSize::Inline384
        } else {
            cec0::SetInlineQmdAddressAInlineSize::Inline256
        },
    }
});

/// `prealloc`: one launch into slot `i` of `ring`; returns the words used.
fn launch_prealloc<C: Chip>(h: &dyn Hal, ring: &mut Ring, i: u64) -> Result<usize, Error> {
    let qmd = h.build_launch_qmd(&launch_desc(h, i)?)?;
    encode_in_slot::<C>(ring, i, qmd.words())
}

/// The pushbuffer of one launch (acquire, inline QMD load, launch, release) written into slot `i` of `ring`, and
/// its GPFIFO entry; shared by `prealloc` and `template`, which differ only in where the QMD words come from.
#[inline(always)]
fn encode_in_slot<C: Chip>(ring: &mut Ring, i: u64, qmd: &[u32]) -> Result<usize, Error> {
    let (va, slot, gp) = ring.slot(i);
    let mut pb = PushBuffer::new(slot);
    let host = Bound::<C::Host>::assume(Subchannel::new(0)?);
    let cmp = Bound::<C::Compute>::assume(Subchannel::new(1)?);
    let (s, op) = acquire(i);
    C::Host::semaphore(&mut pb, host, s, op)?;
    C::Compute::load_inline_qmd(&mut pb, cmp, qmd_va(i), qmd)?;
    C::Compute::launch_qmd(&mut pb, cmp, qmd_va(i))?;
    let (s, op) = release(i);
    C::Host::semaphore(&mut pb, host, s, op)?;
    let len = pb.len();
    let entry = GpEntry::segment(
        va,
        u32::try_from(len).map_err(|_| Error::GpEntryOutOfRange {
            what: "length",
            value: u64::MAX,
        })?,
    )?
    .encode()?;
    gp.copy_from_slice(&entry);
    Ok(len)
}

/// `template`: as `prealloc`, but the QMD comes from the kernel's template (built once, outside the loop,
/// through the HAL) with only the per-launch fields patched (`AnyQmdTemplate::patch`, limits re-checked).
fn launch_template<C: Chip>(t: &AnyQmdTemplate, ring: &mut Ring, i: u64) -> Result<usize, Error> {
    let qmd = t.patch(&launch_patch(i))?;
    encode_in_slot::<C>(ring, i, qmd.words())
}

/// `fresh_vec`: the `prealloc` encoders over a `Vec` allocated per launch, then copied into `ring`.
fn launch_fresh<C: Chip>(h: &dyn Hal, ring: &mut Ring, i: u64) -> Result<usize, Error> {
    let qmd = h.build_launch_qmd(&launch_desc(h, i)?)?;
    let mut buf = vec![0u32; SLOT_WORDS];
    let mut pb = PushBuffer::new(&mut buf);
    let host = Bound::<C::Host>::assume(Subchannel::new(0)?);
    let cmp = Bound::<C::Compute>::assume(Subchannel::new(1)?);
    let (s, op) = acquire(i);
    C::Host::semaphore(&mut pb, host, s, op)?;
    C::Compute::load_inline_qmd(&mut pb, cmp, qmd_va(i), qmd.words())?;
    C::Compute::launch_qmd(&mut pb, cmp, qmd_va(i))?;
    let (s, op) = release(i);
    C::Host::semaphore(&mut pb, host, s, op)?;
    let len = pb.len();
    let (va, slot, gp) = ring.slot(i);
    let entry = GpEntry::segment(va, u32::try_from(len).unwrap_or(u32::MAX))?.encode()?;
    let dst = slot.get_mut(..len).ok_or(Error::PushBufferFull {
        needed: len,
        available: SLOT_WORDS,
    })?;
    dst.copy_from_slice(pb.words());
    gp.copy_from_slice(&entry);
    Ok(len)
}

/// `naive`: the same launch built in fresh `Vec`s, one header per method, then copied into `ring`.
fn launch_naive<C: Chip>(h: &dyn Hal, ring: &mut Ring, i: u64) -> Result<usize, Error> {
    let qmd = h.build_launch_qmd(&launch_desc(h, i)?)?;
    let bytes = qmd.to_bytes();
    let qwords: Vec<u32> = bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let mut v: Vec<u32> = Vec::new();
    let mut m = |subc: u8, offset: u32, data: u32| -> Result<(), Error> {
        v.push(
            MethodHeader {
                op: SecOp::IncMethod,
                subchannel: subc,
                offset,
                count_or_data: 1,
            }
            .encode()?,
        );
        v.push(data);
        Ok(())
    };
    let o = &C::OFFSETS;
    let sem = |m: &mut dyn FnMut(u8, u32, u32) -> Result<(), Error>,
               payload: u64,
               exec: u32|
     -> Result<(), Error> {
        m(0, o.sem_addr_lo, lo32(SEM_VA) & !3)?;
        m(0, o.sem_addr_hi, hi32(SEM_VA))?;
        m(0, o.sem_payload_lo, lo32(payload))?;
        m(0, o.sem_payload_hi, hi32(payload))?;
        m(0, o.sem_execute, exec)
    };
    // SEM_EXECUTE (`clc56f.h`): OPERATION_ACQ_CIRC_GEQ (2:0 = 3) | ACQUIRE_SWITCH_TSG_EN (12) |
    // PAYLOAD_SIZE_64BIT (24); then OPERATION_RELEASE (1) | RELEASE_WFI_EN (20) | PAYLOAD_SIZE_64BIT (24).
    sem(&mut m, i, 0x0100_1003)?;
    let s = qmd_va(i) >> 8;
    m(1, o.inline_a, C::inline_address_a(hi32(s), qwords.len()))?;
    m(1, o.inline_b, lo32(s))?;
    for (k, w) in (0u32..).zip(&qwords) {
        m(1, o.load_inline + 4 * k, *w)?;
    }
    m(1, o.send_pcas_a, lo32(s))?;
    m(1, o.send_signaling_pcas2_b, 3)?; // PCAS_ACTION_INVALIDATE_COPY_SCHEDULE
    sem(&mut m, i + 1, 0x0110_0001)?;
    let (va, slot, gp) = ring.slot(i);
    let mut entries: Vec<u32> = Vec::new();
    entries.extend_from_slice(
        &GpEntry::segment(va, u32::try_from(v.len()).unwrap_or(u32::MAX))?.encode()?,
    );
    let dst = slot.get_mut(..v.len()).ok_or(Error::PushBufferFull {
        needed: v.len(),
        available: SLOT_WORDS,
    })?;
    dst.copy_from_slice(&v);
    gp.copy_from_slice(&entries);
    Ok(v.len())
}

/// This thread's CPU time (user + system).
fn thread_cpu() -> Option<Duration> {
    let u = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_THREAD).ok()?;
    let tv = |t: nix::sys::time::TimeVal| {
        Duration::from_secs(u64::try_from(t.tv_sec()).unwrap_or(0))
            + Duration::from_micros(u64::try_from(t.tv_usec()).unwrap_or(0))
    };
    Some(tv(u.user_time()) + tv(u.system_time()))
}

#[derive(Clone, Copy)]
struct Timing {
    wall_ns: f64,
    cpu_ns: f64,
}

fn time(iters: u64, mut f: impl FnMut(u64) -> Result<usize, Error>) -> Result<Timing, Error> {
    let c0 = thread_cpu();
    let t0 = Instant::now();
    for i in 0..iters {
        black_box(f(black_box(i))?);
    }
    let wall = t0.elapsed();
    let cpu = thread_cpu()
        .zip(c0)
        .map(|(b, a)| b.saturating_sub(a))
        .unwrap_or(Duration::ZERO);
    Ok(Timing {
        wall_ns: wall.as_nanos() as f64 / iters as f64,
        cpu_ns: cpu.as_nanos() as f64 / iters as f64,
    })
}

/// Both variants produce the same method writes and GPFIFO entry for launch `i` (words differ: headers).
fn check_same<C: Chip>(h: &dyn Hal, i: u64) -> Result<(), String> {
    let mut a = Ring::new();
    let mut b = Ring::new();
    let na = launch_prealloc::<C>(h, &mut a, i).map_err(|e| e.to_string())?;
    let nb = launch_naive::<C>(h, &mut b, i).map_err(|e| e.to_string())?;
    let mut c = Ring::new();
    let nc = launch_fresh::<C>(h, &mut c, i).map_err(|e| e.to_string())?;
    if c.pb != a.pb || c.gpfifo != a.gpfifo || nc != na {
        return Err(format!("{}: fresh_vec and prealloc differ", C::CHIPSET));
    }
    // The template variant writes the very same words (template + patch == full build).
    let t = h
        .build_launch_template(&launch_desc(h, 0).map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    for j in [i, i + 1, i + 1000] {
        let mut a = Ring::new();
        let mut d = Ring::new();
        let na = launch_prealloc::<C>(h, &mut a, j).map_err(|e| e.to_string())?;
        let nd = launch_template::<C>(&t, &mut d, j).map_err(|e| e.to_string())?;
        if d.pb != a.pb || d.gpfifo != a.gpfifo || nd != na {
            return Err(format!(
                "{}: template and prealloc differ (launch {j})",
                C::CHIPSET
            ));
        }
    }
    // SET_OBJECT is done once per channel, not per launch: bind for the decoder.
    let dec = |w: &[u32]| {
        let mut d = Decoder::new()
            .bind(1, <C::Compute as Class>::ID)
            .bind(0, <C::Host as Class>::ID);
        d.decode(w)
    };
    let (sa, sb) = (a.slot(i).1[..na].to_vec(), b.slot(i).1[..nb].to_vec());
    let ma = methods_from(dec(&sa));
    let mb = methods_from(dec(&sb));
    if ma != mb || ma.is_empty() {
        return Err(format!(
            "{}: method sequences differ ({} vs {} writes)",
            C::CHIPSET,
            ma.len(),
            mb.len()
        ));
    }
    let ea = GpEntry::decode([a.slot(i).2[0], a.slot(i).2[1]]);
    let eb = GpEntry::decode([b.slot(i).2[0], b.slot(i).2[1]]);
    if ea
        != GpEntry::segment(a.slot(i).0, u32::try_from(na).unwrap_or(0))
            .map_err(|e| e.to_string())?
        || eb
            != GpEntry::segment(b.slot(i).0, u32::try_from(nb).unwrap_or(0))
                .map_err(|e| e.to_string())?
    {
        return Err(format!("{}: GPFIFO entries wrong", C::CHIPSET));
    }
    Ok(())
}

/// (class, offset, value) of every method write, for comparing the two variants.
fn methods_from(items: Vec<Item>) -> Vec<(u32, u32, u32)> {
    items
        .into_iter()
        .filter_map(|it| match it {
            Item::Method(m) => Some((m.class.map_or(0, |c| c.id), m.offset, m.value)),
            _ => None,
        })
        .collect()
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|_| "unavailable".into())
}

struct Row {
    chip: Chipset,
    qmd: String,
    words_fast: usize,
    words_naive: usize,
    fast: Timing,
    tmpl: Timing,
    fresh: Timing,
    naive: Timing,
}

fn bench_chip<C: Chip>(iters: u64, rounds: u32) -> Result<Row, Box<dyn std::error::Error>> {
    let h = hal::for_chipset(C::CHIPSET)?;
    check_same::<C>(&*h, 7)?;
    let tpl = h.build_launch_template(&launch_desc(&*h, 0)?)?;
    let mut ring = Ring::new();
    let words_fast = launch_prealloc::<C>(&*h, &mut ring, 0)?;
    let words_naive = launch_naive::<C>(&*h, &mut ring, 0)?;
    // Warm-up.
    time(iters / 10 + 1, |i| launch_prealloc::<C>(&*h, &mut ring, i))?;
    time(iters / 10 + 1, |i| launch_template::<C>(&tpl, &mut ring, i))?;
    time(iters / 10 + 1, |i| launch_fresh::<C>(&*h, &mut ring, i))?;
    time(iters / 10 + 1, |i| launch_naive::<C>(&*h, &mut ring, i))?;
    let best = |a: Timing, b: Timing| Timing {
        wall_ns: a.wall_ns.min(b.wall_ns),
        cpu_ns: a.cpu_ns.min(b.cpu_ns),
    };
    let mut fast = Timing {
        wall_ns: f64::MAX,
        cpu_ns: f64::MAX,
    };
    let mut naive = fast;
    let mut fresh = fast;
    let mut tmpl = fast;
    for _ in 0..rounds {
        fast = best(
            fast,
            time(iters, |i| launch_prealloc::<C>(&*h, &mut ring, i))?,
        );
        tmpl = best(
            tmpl,
            time(iters, |i| launch_template::<C>(&tpl, &mut ring, i))?,
        );
        fresh = best(
            fresh,
            time(iters, |i| launch_fresh::<C>(&*h, &mut ring, i))?,
        );
        naive = best(
            naive,
            time(iters, |i| launch_naive::<C>(&*h, &mut ring, i))?,
        );
    }
    Ok(Row {
        chip: C::CHIPSET,
        qmd: h.qmd_version().to_string(),
        words_fast,
        words_naive,
        fast,
        tmpl,
        fresh,
        naive,
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let full = std::env::args().any(|a| a == "--bench");
    let (iters, rounds) = if full {
        (1_000_000u64, 3u32)
    } else {
        (2_000, 1)
    };
    println!("launch-encode bench: QMD + methods + GPFIFO entry per launch (CPU only, no GPU)");
    println!(
        "{} rounds x {iters} launches per variant and chip{}",
        rounds,
        if full { "" } else { " (smoke pass)" }
    );
    println!("loadavg before: {}", loadavg());
    let rows = [
        bench_chip::<Ga102>(iters, rounds)?,
        bench_chip::<Gh100>(iters, rounds)?,
        bench_chip::<Gb202>(iters, rounds)?,
    ];
    println!("loadavg after:  {}", loadavg());
    println!("chip   QMD        variant    words  wall ns/launch  cpu ns/launch  peer/prealloc (cpu, wall)");
    for r in &rows {
        println!(
            "{:<6} {:<10} prealloc   {:>5}  {:>14.1}  {:>13.1}",
            r.chip.to_string(),
            r.qmd,
            r.words_fast,
            r.fast.wall_ns,
            r.fast.cpu_ns
        );
        println!(
            "{:<6} {:<10} template   {:>5}  {:>14.1}  {:>13.1}  {:.2}x, {:.2}x",
            r.chip.to_string(),
            r.qmd,
            r.words_fast,
            r.tmpl.wall_ns,
            r.tmpl.cpu_ns,
            r.tmpl.cpu_ns / r.fast.cpu_ns,
            r.tmpl.wall_ns / r.fast.wall_ns
        );
        println!(
            "{:<6} {:<10} fresh_vec  {:>5}  {:>14.1}  {:>13.1}  {:.2}x, {:.2}x",
            r.chip.to_string(),
            r.qmd,
            r.words_fast,
            r.fresh.wall_ns,
            r.fresh.cpu_ns,
            r.fresh.cpu_ns / r.fast.cpu_ns,
            r.fresh.wall_ns / r.fast.wall_ns
        );
        println!(
            "{:<6} {:<10} naive      {:>5}  {:>14.1}  {:>13.1}  {:.2}x, {:.2}x",
            r.chip.to_string(),
            r.qmd,
            r.words_naive,
            r.naive.wall_ns,
            r.naive.cpu_ns,
            r.naive.cpu_ns / r.fast.cpu_ns,
            r.naive.wall_ns / r.fast.wall_ns
        );
    }
    Ok(())
}
