//! In-guest tests of the PCI/VFIO layer against the real kernel VFIO, driving QEMU's `edu` device.
//!
//! Run by `scripts/checks/vfio-guest.sh` inside a QEMU q35 guest with an emulated Intel IOMMU (the
//! binary is built static and put in the guest's initramfs). It only uses `nvbare_driver::pci`'s
//! public API, prints one line per test and a final `N passed, N failed` line, and exits non-zero
//! if a test failed. Running it on a host is pointless (and it refuses unless it finds an edu device).
//!
//! The edu device (QEMU `docs/specs/edu.rst`): BAR0 registers, a factorial unit, a DMA engine with a
//! 4 KiB internal buffer at device address 0x40000 that masks RAM addresses to 28 bits, and MSI.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::OpenOptionsExt;
use std::time::{Duration, Instant};

use nvbare_driver::pci::{
    kernel_group_viable, Bar, Bdf, DeviceFilter, IrqKind, OpenOptions, PciTransport, Sysfs,
    Unusable, VfioDevice, VfioMode,
};
use nvbare_driver::poll::poll_timeout;
use nvbare_driver::Error;

/// edu BAR0 register offsets and bits (QEMU docs/specs/edu.rst).
mod edu {
    pub const VENDOR: u16 = 0x1234;
    pub const DEVICE: u16 = 0x11e8;
    /// 0xRRrr00ed: major, minor, 0x00, 0xed.
    pub const ID: u64 = 0x00;
    pub const LIVENESS: u64 = 0x04;
    pub const FACTORIAL: u64 = 0x08;
    pub const STATUS: u64 = 0x20;
    pub const STATUS_COMPUTING: u32 = 0x01;
    pub const STATUS_IRQ_ON_FACTORIAL: u32 = 0x80;
    pub const IRQ_STATUS: u64 = 0x24;
    pub const IRQ_ACK: u64 = 0x64;
    pub const IRQ_FACTORIAL: u32 = 0x001;
    pub const IRQ_DMA: u32 = 0x100;
    pub const DMA_SRC: u64 = 0x80;
    pub const DMA_DST: u64 = 0x88;
    pub const DMA_COUNT: u64 = 0x90;
    pub const DMA_CMD: u64 = 0x98;
    pub const DMA_START: u64 = 0x1;
    pub const DMA_TO_RAM: u64 = 0x2;
    pub const DMA_IRQ: u64 = 0x4;
    /// Device-side address of edu's DMA buffer.
    pub const BUFFER: u64 = 0x40000;
    /// The DMA engine keeps only 28 address bits.
    pub const DMA_WINDOW_END: u64 = 1 << 28;
}

type TestResult = Result<String, String>;

struct Runner {
    passed: u32,
    failed: u32,
}

impl Runner {
    fn run(&mut self, name: &str, f: impl FnOnce() -> TestResult) -> bool {
        let t = Instant::now();
        let r = f();
        let ms = t.elapsed().as_millis();
        match r {
            Ok(note) => {
                self.passed += 1;
                println!("test {name} ... ok ({ms} ms) {note}");
                true
            }
            Err(why) => {
                self.failed += 1;
                println!("test {name} ... FAILED ({ms} ms): {why}");
                false
            }
        }
    }
}

fn e(err: Error) -> String {
    let mut s = err.to_string();
    let mut src = std::error::Error::source(&err);
    while let Some(x) = src {
        s.push_str(&format!(": {x}"));
        src = x.source();
    }
    s
}

/// Kernel log reader positioned at the end, to find messages caused by what follows.
struct Kmsg(File);

impl Kmsg {
    fn open() -> Result<Self, String> {
        let mut f = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(nix::libc::O_NONBLOCK)
            .open("/dev/kmsg")
            .map_err(|x| format!("open /dev/kmsg: {x}"))?;
        f.seek(SeekFrom::End(0))
            .map_err(|x| format!("seek /dev/kmsg: {x}"))?;
        Ok(Self(f))
    }

    /// Waits up to `timeout` for a record containing every string in `needles`.
    fn wait_for(&mut self, needles: &[&str], timeout: Duration) -> Result<String, String> {
        let start = Instant::now();
        let mut buf = vec![0u8; 8192];
        loop {
            // Bounded even while other records keep arriving.
            if start.elapsed() > timeout {
                return Err(format!(
                    "no kernel message containing {needles:?} within {timeout:?}"
                ));
            }
            match self.0.read(&mut buf) {
                Ok(n) => {
                    let rec = String::from_utf8_lossy(buf.get(..n).unwrap_or(&[])).into_owned();
                    let msg = rec
                        .split_once(';')
                        .map_or(rec.as_str(), |(_, m)| m)
                        .trim()
                        .to_owned();
                    if needles.iter().all(|s| msg.contains(s)) {
                        return Ok(msg);
                    }
                }
                Err(x) if x.kind() == std::io::ErrorKind::WouldBlock => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                Err(x) if x.raw_os_error() == Some(nix::libc::EPIPE) => {} // overwritten records
                Err(x) => return Err(format!("read /dev/kmsg: {x}")),
            }
        }
    }
}

/// Runs one edu DMA transfer and waits for its completion (command bit clears).
fn edu_dma(bar: &Bar, src: u64, dst: u64, len: u64, cmd: u64) -> Result<(), String> {
    bar.write64(edu::DMA_SRC, src).map_err(e)?;
    bar.write64(edu::DMA_DST, dst).map_err(e)?;
    bar.write64(edu::DMA_COUNT, len).map_err(e)?;
    bar.write64(edu::DMA_CMD, cmd | edu::DMA_START).map_err(e)?;
    poll_timeout("edu DMA completion", Duration::from_secs(10), || {
        Ok((bar.read64(edu::DMA_CMD)? & edu::DMA_START == 0).then_some(()))
    })
    .map_err(e)
}

/// The outcome expected when opening a device whose IOMMU group another driver holds.
fn check_not_viable(r: Result<VfioDevice, Error>, other: Bdf) -> TestResult {
    match r {
        Err(Error::DeviceUnusable {
            reason:
                Unusable::GroupNotViable {
                    group,
                    other: blocker,
                    driver,
                },
            ..
        }) => {
            if driver != "virtio-pci" {
                return Err(format!(
                    "blocked by {blocker} bound to {driver:?}, expected virtio-pci"
                ));
            }
            // The kernel's own verdict on the group agrees with the sysfs reasoning.
            let path = std::path::PathBuf::from(format!("/dev/vfio/{group}"));
            if kernel_group_viable(&path).map_err(e)? {
                return Err(format!("kernel says group {group} is viable"));
            }
            Ok(format!(
                "{other}: group {group} blocked by {blocker} ({driver}); kernel agrees"
            ))
        }
        Err(x) => Err(format!("wrong error: {}", e(x))),
        Ok(_) => Err(format!("opened {other} although its group is not viable")),
    }
}

fn main() {
    let bdf: Bdf = match std::env::args()
        .nth(1)
        .unwrap_or_else(|| "0000:00:04.0".into())
        .parse()
    {
        Ok(b) => b,
        Err(x) => {
            println!("bad PCI address: {}", e(x));
            println!("0 passed, 1 failed");
            std::process::exit(1);
        }
    };
    let sysfs = Sysfs::default();
    let mut t = Runner {
        passed: 0,
        failed: 0,
    };
    let opts = OpenOptions {
        iova_window: 0x10_0000..edu::DMA_WINDOW_END,
        ..OpenOptions::default()
    };

    t.run("discover_edu_by_id", || {
        let found = sysfs
            .list(DeviceFilter::id(edu::VENDOR, edu::DEVICE))
            .map_err(e)?;
        let d = found
            .iter()
            .find(|d| d.bdf == bdf)
            .ok_or(format!("{bdf} not among {found:?}"))?;
        let group = d
            .iommu_group
            .ok_or("edu has no IOMMU group (is intel_iommu=on?)")?;
        let nv = sysfs.list(DeviceFilter::NVIDIA_DISPLAY).map_err(e)?;
        if !nv.is_empty() {
            return Err(format!(
                "NVIDIA filter matched {nv:?} in a guest without NVIDIA devices"
            ));
        }
        Ok(format!(
            "class {:06x}, IOMMU group {group}, driver {:?}",
            d.class, d.driver
        ))
    });

    t.run("unbound_device_is_typed_error", || {
        sysfs.unbind(bdf).map_err(e)?;
        match VfioDevice::open(bdf, &opts) {
            Err(Error::DeviceUnusable {
                reason: Unusable::NotBound,
                ..
            }) => Ok("NotBound".into()),
            Err(other) => Err(format!("wrong error: {}", e(other))),
            Ok(_) => Err("opened a device that is not bound to vfio-pci".into()),
        }
    });

    t.run("group_not_viable_is_typed_error", || {
        // The second edu sits behind a conventional PCI bridge, so it shares an IOMMU group with a
        // virtio-rng device that virtio-pci owns: VFIO must refuse that group.
        let edus = sysfs
            .list(DeviceFilter::id(edu::VENDOR, edu::DEVICE))
            .map_err(e)?;
        let other = edus
            .iter()
            .find(|d| d.bdf != bdf)
            .ok_or("no second edu device")?
            .bdf;
        sysfs.bind_vfio_pci(other).map_err(e)?;
        let r = check_not_viable(VfioDevice::open(other, &opts), other);
        let _ = sysfs.unbind(other);
        r
    });

    t.run("bind_vfio_pci", || {
        sysfs.bind_vfio_pci(bdf).map_err(e)?;
        let d = sysfs.device(bdf).map_err(e)?;
        if d.driver.as_deref() != Some("vfio-pci") {
            return Err(format!("driver is {:?}", d.driver));
        }
        let group = d.iommu_group.ok_or("no IOMMU group")?;
        let viable =
            kernel_group_viable(std::path::Path::new(&format!("/dev/vfio/{group}"))).map_err(e)?;
        viable
            .then(|| format!("kernel: group {group} viable"))
            .ok_or(format!("kernel: group {group} not viable"))
    });

    let dev = match VfioDevice::open(bdf, &opts) {
        Ok(d) => {
            t.run("open_type1", || {
                if d.mode() == VfioMode::Type1 {
                    Ok(format!("regions/irqs {:?}", d.counts()))
                } else {
                    Err(format!("mode {:?}", d.mode()))
                }
            });
            d
        }
        Err(x) => {
            t.run("open_type1", || Err(e(x)));
            println!("{} passed, {} failed", t.passed, t.failed);
            std::process::exit(1);
        }
    };

    t.run("config_space_ids", || {
        let v = dev.config_read_u16(0).map_err(e)?;
        let d = dev.config_read_u16(2).map_err(e)?;
        if (v, d) != (edu::VENDOR, edu::DEVICE) {
            return Err(format!("read {v:04x}:{d:04x}"));
        }
        match dev.config_read_u32(0xfffe) {
            Err(Error::OutOfBounds { .. }) => Ok(format!("{v:04x}:{d:04x}")),
            other => Err(format!("config read past the end gave {other:?}")),
        }
    });

    t.run("wrong_bar_index_is_typed_error", || {
        match dev.map_bar(6) {
            Err(Error::BarIndex { index: 6 }) => {}
            other => return Err(format!("BAR 6: {other:?}")),
        }
        match dev.map_bar(1) {
            Err(Error::BarUnavailable { index: 1, .. }) => {
                Ok("BAR6 -> BarIndex, BAR1 -> BarUnavailable".into())
            }
            other => Err(format!("BAR 1: {other:?}")),
        }
    });

    let bar = match dev.map_bar(0) {
        Ok(b) => b,
        Err(x) => {
            t.run("map_bar0", || Err(e(x)));
            println!("{} passed, {} failed", t.passed, t.failed);
            std::process::exit(1);
        }
    };

    t.run("bar0_identification", || {
        let id = bar.read32(edu::ID).map_err(e)?;
        if id & 0xffff != 0x00ed {
            return Err(format!("id register {id:#010x}"));
        }
        Ok(format!(
            "edu version {}.{} (id {id:#010x}), BAR0 {} bytes",
            id >> 24,
            (id >> 16) & 0xff,
            bar.len()
        ))
    });

    t.run("bar0_liveness_inverts", || {
        for v in [0u32, 0x1234_5678, 0xffff_ffff] {
            bar.write32(edu::LIVENESS, v).map_err(e)?;
            let r = bar.read32(edu::LIVENESS).map_err(e)?;
            if r != !v {
                return Err(format!("wrote {v:#x}, read {r:#x}"));
            }
        }
        Ok(String::new())
    });

    t.run("mmio_bounds_are_typed_errors", || {
        let len = u64::try_from(bar.len()).map_err(|x| x.to_string())?;
        match (bar.read32(len), bar.read32(2), bar.write64(len - 4, 0)) {
            (
                Err(Error::OutOfBounds { .. }),
                Err(Error::Misaligned { .. }),
                Err(Error::OutOfBounds { .. }),
            ) => Ok(String::new()),
            other => Err(format!("{other:?}")),
        }
    });

    t.run("factorial_polled", || {
        bar.write32(edu::STATUS, 0).map_err(e)?;
        bar.write32(edu::FACTORIAL, 10).map_err(e)?;
        poll_timeout("edu factorial", Duration::from_secs(10), || {
            Ok((bar.read32(edu::STATUS)? & edu::STATUS_COMPUTING == 0).then_some(()))
        })
        .map_err(e)?;
        let r = bar.read32(edu::FACTORIAL).map_err(e)?;
        (r == 3_628_800)
            .then(|| "10! = 3628800".to_owned())
            .ok_or(format!("10! read as {r}"))
    });

    // MSIs are memory writes by the device: like DMA they need bus mastering.
    t.run("bus_master_enable", || {
        dev.enable_bus_master().map_err(e)?;
        let cmd = dev.config_read_u16(4).map_err(e)?;
        (cmd & 0x4 != 0)
            .then(|| format!("command {cmd:#06x}"))
            .ok_or(format!("command {cmd:#06x}"))
    });

    let irqs = match dev.enable_interrupts(IrqKind::Msi, 1) {
        Ok(i) => Some(i),
        Err(x) => {
            t.run("enable_msi", || Err(e(x)));
            None
        }
    };

    if let Some(irqs) = &irqs {
        t.run("msi_wait_times_out_when_idle", || {
            let s = Instant::now();
            match irqs.wait(0, Duration::from_millis(50)) {
                Err(Error::Timeout { .. }) if s.elapsed() >= Duration::from_millis(50) => {
                    Ok(String::new())
                }
                other => Err(format!("{other:?}")),
            }
        });
        t.run("factorial_with_msi", || {
            bar.write32(edu::STATUS, edu::STATUS_IRQ_ON_FACTORIAL)
                .map_err(e)?;
            bar.write32(edu::FACTORIAL, 5).map_err(e)?;
            let n = irqs.wait(0, Duration::from_secs(10)).map_err(e)?;
            let st = bar.read32(edu::IRQ_STATUS).map_err(e)?;
            bar.write32(edu::IRQ_ACK, st).map_err(e)?;
            bar.write32(edu::STATUS, 0).map_err(e)?;
            let r = bar.read32(edu::FACTORIAL).map_err(e)?;
            if st & edu::IRQ_FACTORIAL == 0 || r != 120 {
                return Err(format!("irq status {st:#x}, 5! = {r}"));
            }
            Ok(format!("MSI count {n}, irq status {st:#x}, 5! = 120"))
        });
    }

    const LEN: usize = 1024; // QEMU 7.2's edu mishandles a full 4096-byte transfer.
    t.run("dma_host_to_device_to_host_with_msi", || {
        let src = dev.alloc_dma(LEN).map_err(e)?;
        let dst = dev.alloc_dma(LEN).map_err(e)?;
        for (buf, end) in [
            (&src, src.iova() + src.mapped_len()),
            (&dst, dst.iova() + dst.mapped_len()),
        ] {
            if end > edu::DMA_WINDOW_END {
                return Err(format!(
                    "IOVA {:#x} outside edu's 28-bit window",
                    buf.iova()
                ));
            }
        }
        let pattern: Vec<u8> = (0..LEN)
            .map(|i| u8::try_from((i * 7 + 3) % 256).unwrap_or(0))
            .collect();
        src.write_bytes(0, &pattern).map_err(e)?;
        dst.fill(0).map_err(e)?;
        let mut msis = 0;
        edu_dma(
            &bar,
            src.iova(),
            edu::BUFFER,
            u64::try_from(LEN).map_err(|x| x.to_string())?,
            edu::DMA_IRQ,
        )?;
        if let Some(irqs) = &irqs {
            msis += irqs.wait(0, Duration::from_secs(10)).map_err(e)?;
            let st = bar.read32(edu::IRQ_STATUS).map_err(e)?;
            if st & edu::IRQ_DMA == 0 {
                return Err(format!("irq status {st:#x} after DMA"));
            }
            bar.write32(edu::IRQ_ACK, st).map_err(e)?;
        }
        edu_dma(
            &bar,
            edu::BUFFER,
            dst.iova(),
            u64::try_from(LEN).map_err(|x| x.to_string())?,
            edu::DMA_TO_RAM | edu::DMA_IRQ,
        )?;
        if let Some(irqs) = &irqs {
            msis += irqs.wait(0, Duration::from_secs(10)).map_err(e)?;
            let st = bar.read32(edu::IRQ_STATUS).map_err(e)?;
            bar.write32(edu::IRQ_ACK, st).map_err(e)?;
        }
        let mut back = vec![0u8; LEN];
        dst.read_bytes(0, &mut back).map_err(e)?;
        if back != pattern {
            let first = back
                .iter()
                .zip(&pattern)
                .position(|(a, b)| a != b)
                .unwrap_or(0);
            return Err(format!("data differs from byte {first}"));
        }
        Ok(format!(
            "{LEN} bytes via IOVAs {:#x} -> edu -> {:#x}, {msis} MSIs",
            src.iova(),
            dst.iova()
        ))
    });

    t.run("dma_in_multi_page_buffer", || {
        // A buffer over 2 MiB: huge pages if the guest has any reserved, else 4 KiB pages with THP
        // requested. The device reads from its last page and writes into its first.
        let big = dev.alloc_dma((2 << 20) + 4096).map_err(e)?;
        let tail = big.len() - 256;
        let pattern: Vec<u8> = (0..256u32)
            .map(|i| u8::try_from((i * 13 + 1) % 256).unwrap_or(0))
            .collect();
        big.fill(0).map_err(e)?;
        big.write_bytes(tail, &pattern).map_err(e)?;
        edu_dma(
            &bar,
            big.iova() + u64::try_from(tail).map_err(|x| x.to_string())?,
            edu::BUFFER,
            256,
            0,
        )?;
        edu_dma(&bar, edu::BUFFER, big.iova(), 256, edu::DMA_TO_RAM)?;
        let mut got = vec![0u8; 256];
        big.read_bytes(0, &mut got).map_err(e)?;
        if got != pattern {
            return Err("data did not arrive at the start of the buffer".into());
        }
        let reserved = std::fs::read_to_string("/proc/sys/vm/nr_hugepages").unwrap_or_default();
        let reserved: u32 = reserved.trim().parse().unwrap_or(0);
        if reserved >= 2 && (!big.huge_pages() || big.iova() % (2 << 20) != 0) {
            return Err(format!(
                "{reserved} huge pages reserved but the buffer is {big:?}"
            ));
        }
        Ok(format!(
            "{} bytes at IOVA {:#x}, mapped {:#x}, huge pages: {}",
            big.len(),
            big.iova(),
            big.mapped_len(),
            big.huge_pages()
        ))
    });

    t.run("dma_to_unmapped_iova_is_blocked", || {
        let mut kmsg = Kmsg::open()?;
        let iova = 0x0ff0_0000u64; // inside edu's window, never handed out by the allocator here
        edu_dma(&bar, iova, edu::BUFFER, 64, 0)?;
        let line = kmsg.wait_for(
            &["DMAR", "fault addr", &format!("{iova:#x}")],
            Duration::from_secs(10),
        )?;
        Ok(format!("kernel: {line}"))
    });

    t.run("dropped_buffer_is_unmapped", || {
        let buf = dev.alloc_dma(LEN).map_err(e)?;
        buf.fill(0).map_err(e)?;
        let iova = buf.iova();
        // While mapped, the device can write into it.
        let marker: Vec<u8> = (0..64u8).map(|i| i ^ 0x5a).collect();
        let stage = dev.alloc_dma(64).map_err(e)?;
        stage.write_bytes(0, &marker).map_err(e)?;
        edu_dma(&bar, stage.iova(), edu::BUFFER, 64, 0)?;
        edu_dma(&bar, edu::BUFFER, iova, 64, edu::DMA_TO_RAM)?;
        let mut got = [0u8; 64];
        buf.read_bytes(0, &mut got).map_err(e)?;
        if got[..] != marker[..] {
            return Err("device write into a mapped buffer did not arrive".into());
        }
        drop(buf);
        let mut kmsg = Kmsg::open()?;
        edu_dma(&bar, edu::BUFFER, iova, 64, edu::DMA_TO_RAM)?;
        let line = kmsg.wait_for(
            &["DMAR", "fault addr", &format!("{iova:#x}")],
            Duration::from_secs(10),
        )?;
        Ok(format!("after drop: {line}"))
    });

    t.run("dma_beyond_memlock_limit_is_typed_error", || {
        use nix::sys::resource::{getrlimit, setrlimit, Resource};
        let (soft, hard) = getrlimit(Resource::RLIMIT_MEMLOCK).map_err(|x| x.to_string())?;
        setrlimit(Resource::RLIMIT_MEMLOCK, 64 << 10, hard).map_err(|x| x.to_string())?;
        let r = dev.alloc_dma(1 << 20);
        setrlimit(Resource::RLIMIT_MEMLOCK, soft, hard).map_err(|x| x.to_string())?;
        match r {
            Err(Error::MemlockLimit {
                requested,
                limit,
                locked,
            }) => Ok(format!(
                "requested {requested}, locked {locked}, limit {limit}"
            )),
            other => Err(format!("{other:?}")),
        }
    });

    t.run("memlock_check_counts_the_huge_page_rounding", || {
        // 2 MiB + 4 KiB fits a 3 MiB limit, but backed by huge pages it pins 4 MiB.
        use nix::sys::resource::{getrlimit, setrlimit, Resource};
        let (soft, hard) = getrlimit(Resource::RLIMIT_MEMLOCK).map_err(|x| x.to_string())?;
        setrlimit(Resource::RLIMIT_MEMLOCK, 3 << 20, hard).map_err(|x| x.to_string())?;
        let r = dev.alloc_dma((2 << 20) + 4096);
        setrlimit(Resource::RLIMIT_MEMLOCK, soft, hard).map_err(|x| x.to_string())?;
        match r {
            Err(Error::MemlockLimit {
                requested, limit, ..
            }) if requested == 4 << 20 => Ok(format!(
                "huge-page mapping of {requested} bytes refused under limit {limit}"
            )),
            Ok(buf) if !buf.huge_pages() => Ok(format!("no huge pages: {buf:?} fits the limit")),
            other => Err(format!("{other:?}")),
        }
    });

    t.run("reset_matches_device_flags", || match dev.reset() {
        Ok(()) if dev.can_reset() => {
            let id = bar.read32(edu::ID).map_err(e)?;
            (id & 0xff == 0xed)
                .then(|| "reset done".to_owned())
                .ok_or(format!("id {id:#x} after reset"))
        }
        Err(Error::ResetUnsupported { .. }) if !dev.can_reset() => {
            Ok("device offers no reset: typed error".into())
        }
        other => Err(format!("can_reset {} but {other:?}", dev.can_reset())),
    });

    drop(irqs);
    drop(bar);
    drop(dev);
    println!("{} passed, {} failed", t.passed, t.failed);
    std::process::exit(if t.failed == 0 { 0 } else { 1 });
}
