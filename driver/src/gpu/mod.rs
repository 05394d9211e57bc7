//! The device object graph on top of RM: memory, VA space, channels, submission, fault reports.
//!
//! Hardware-independent parts (VA allocation, ring arithmetic, copy chunking, timeline values,
//! allocation parameters, control-reply decoding) are unit-tested here. The parts that talk to a
//! GPU ([`nvk`]) are **unverified**: no GPU was available to this work.

pub mod backend;
pub mod cmd;
pub mod copy;
pub mod fault;
pub mod info;
pub mod memory;
pub mod nvk;
pub mod ring;
pub mod timeline;
pub mod va;

/// Runs every decoder of GPU/RM-written data and the allocators on arbitrary bytes; used by the
/// `rm_replies` fuzz target and its seed regression test. Must never panic.
pub fn fuzz_entry(data: &[u8]) {
    use crate::rm::abi::{r580 as abi, Pod};
    fn fill<P: Pod>(data: &[u8], at: &mut usize) -> Box<P> {
        let mut p = Box::new(P::zeroed());
        let dst = p.as_bytes_mut();
        let n = dst.len().min(data.len().saturating_sub(*at));
        if let (Some(d), Some(s)) = (dst.get_mut(..n), data.get(*at..*at + n)) {
            d.copy_from_slice(s);
        }
        *at += n;
        p
    }
    let mut at = 0;
    let name = fill::<abi::Nv2080GetNameString>(data, &mut at);
    let gid = fill::<abi::Nv2080GetGidInfo>(data, &mut at);
    let arch = fill::<abi::Nv2080McGetArchInfo>(data, &mut at);
    let gr = fill::<abi::GrGetInfoV2>(data, &mut at);
    let fb = fill::<abi::Nv2080FbGetInfoV2>(data, &mut at);
    let cl = fill::<abi::Nv0080GetClassListV2>(data, &mut at);
    if let Ok(info) = info::GpuInfo::decode(&name, &gid, &arch, &gr, &fb, &cl) {
        let _ = info.to_string();
        let _ = nvk::EngineClasses::pick(&info.classes);
    }
    let mut n16 = [0u8; 16];
    for (d, s) in n16.iter_mut().zip(data) {
        *d = *s;
    }
    let mut report = fault::FaultReport {
        notifier: Some(fault::Notification::parse(&n16)),
        ..Default::default()
    };
    let sm = fill::<abi::Nv83deReadAllSmErrorStates>(data, &mut 0);
    let count = usize::from(data.first().copied().unwrap_or(0));
    report.add_sm_states(&sm, u32::from(data.get(1).copied().unwrap_or(0)), count);
    report.add_mmu_faults(&fill::<abi::Nv83deReadMmuFaultInfo>(data, &mut 0));
    let _ = report.to_string();

    // Allocators and rings driven by the bytes as a little command language.
    let word = |i: usize| -> u64 {
        let mut b = [0u8; 8];
        for (k, d) in b.iter_mut().enumerate() {
            *d = data.get(i * 8 + k).copied().unwrap_or(0);
        }
        u64::from_le_bytes(b)
    };
    if let Ok(mut va) = va::VaAllocator::new(0x10_0000, 0x1000_0000) {
        let mut live = Vec::new();
        for i in 0..data.len() / 8 {
            let w = word(i);
            match w % 4 {
                0 | 1 => {
                    if let Ok(a) = va.alloc((w >> 8) % 0x100_0000, 4096 << ((w >> 4) % 8)) {
                        live.push(a);
                    }
                }
                2 => {
                    if !live.is_empty() {
                        let idx = usize::try_from((w >> 8) % live.len() as u64).unwrap_or(0);
                        let a = live.swap_remove(idx);
                        let _ = va.free_after(a, w >> 32);
                    }
                }
                _ => va.reclaim(w >> 32),
            }
        }
    }
    if let Ok(mut arena) = ring::PushArena::new(4096) {
        for i in 0..data.len() / 8 {
            let w = word(i);
            if w % 3 == 0 {
                arena.reclaim(w >> 16);
            } else {
                let _ = arena.alloc((w >> 8) % 8192, w >> 16);
            }
        }
    }
    if let Ok(mut r) = ring::GpfifoRing::new(u32::from(data.first().copied().unwrap_or(2)).max(2)) {
        for b in data {
            let _ = r.push(u32::from(*b));
        }
    }
    if let Ok(it) = copy::split_copy(word(0), word(1), word(2) % (1 << 36), word(3) % (1 << 33)) {
        let _ = it.remaining();
        let _ = it.take(1000).count();
    }
    let _ = memory::alloc_params(
        0,
        word(0),
        memory::PageSize::for_size(word(1)),
        memory::Placement::Sysmem,
    );
    let _ = nvk::local_memory_size(
        word(0),
        u32::from(data.first().copied().unwrap_or(0)),
        2,
        9,
        8,
    );
}

#[cfg(test)]
mod fuzz_seed_tests {
    /// Runs the fuzz entry over every committed seed (driver/fuzz/seeds/rm_replies).
    #[test]
    fn seeds_do_not_panic() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/rm_replies");
        let mut n = 0;
        for e in std::fs::read_dir(&dir).expect("seed directory") {
            let data = std::fs::read(e.expect("entry").path()).expect("seed");
            super::fuzz_entry(&data);
            n += 1;
        }
        assert!(n >= 3, "expected seeds in {}", dir.display());
        super::fuzz_entry(&[]);
    }
}
