//! A simulated `nvidia.ko` + GPU for hardware-free tests of the `nvidia.ko` backend.
//!
//! It answers the RM calls [`crate::gpu::nvk::NvkGpu`] makes (allocations, the controls of
//! [`crate::rm::controls`] with Hopper-like replies), backs every memory object with host memory,
//! and, when a doorbell is rung, executes the channel's new GPFIFO entries: method headers
//! (`NVC56F_DMA_*` layout), host semaphores (`SEM_ADDR_LO/HI`, `SEM_PAYLOAD_LO/HI`, `SEM_EXECUTE`
//! release/acquire, clc56f.h), copy-engine pitch copies (`OFFSET_IN/OUT_*`, `LINE_LENGTH_IN`,
//! `LAUNCH_DMA`, clc6b5.h offsets) and `SET_OBJECT`; compute launches (`SEND_PCAS_A`, clc6c0.h) are
//! recorded, not run. It checks the invariants the real modules enforce that nvbare relies on
//! (objects freed children-first, UVM ranges created before mapping, GPFIFO entries inside mapped
//! memory) and counts live objects, so leak and ordering bugs fail tests.
//!
//! This is a test double, not evidence about real hardware.

use super::{CardInfo, MapVia};
use crate::error::{Error, Result};
use crate::gpu::backend::NvkBackend;
use crate::rm::abi::r580::{self as abi, Uuid};
use crate::rm::abi::{class, Pod};
use crate::rm::{controls, CpuMapping, DmaMapRequest, Handle, NvStatus, Rm, RmControl};
use std::collections::HashMap;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// Host memory standing in for one RM memory object.
type Backing = Arc<[AtomicU64]>;

#[derive(Debug, Clone)]
struct SimObject {
    handle: Handle,
    parent: Handle,
    class: u32,
}

#[derive(Debug, Clone)]
struct SimChannel {
    handle: Handle,
    token: u32,
    gpfifo_va: u64,
    entries: u32,
    userd: Handle,
    userd_offset: u64,
    /// Error notifier memory.
    notifier: Handle,
    /// Entries consumed (GP_GET).
    get: u32,
    /// Per-channel method state.
    sem_addr: u64,
    sem_payload: u64,
    ce: [u32; 8],
}

/// What the simulated GPU did, for assertions.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SimStats {
    /// Semaphore releases executed.
    pub releases: u64,
    /// Copy-engine launches executed and bytes moved.
    pub copies: u64,
    pub copied_bytes: u64,
    /// QMD addresses of compute launches (`SEND_PCAS_A << 8`).
    pub launches: Vec<u64>,
    /// Classes bound with `SET_OBJECT`.
    pub bound: Vec<u32>,
    /// GPFIFO entries executed.
    pub entries: u64,
}

#[derive(Debug, Default)]
struct SimState {
    next_handle: u32,
    objects: Vec<SimObject>,
    memory: HashMap<Handle, Backing>,
    /// Live CPU mappings per memory object (RM refuses nothing here, but nvbare must unmap
    /// before it frees, so the simulator checks that order).
    cpu_mappings: HashMap<Handle, usize>,
    /// (va, length, memory) from fixed-VA DMA mappings.
    va_map: Vec<(u64, u64, Handle)>,
    uvm_ranges: Vec<(u64, u64)>,
    uvm_mapped: Vec<(u64, u64, Handle)>,
    uvm_channels: Vec<Handle>,
    uvm_gpu: bool,
    uvm_vaspace: bool,
    channels: Vec<SimChannel>,
    stats: SimStats,
    clock_ns: u64,
    /// MMU fault the debugger object reports (address, fault type, access type).
    mmu_fault: Option<(u64, u32, u32)>,
    /// Whether `UVM_REGISTER_GPU_VASPACE` fails (error-path tests).
    refuse_uvm_vaspace: bool,
}

/// The simulated kernel driver and GPU. See the module docs.
#[derive(Debug)]
pub struct SimGpu {
    state: Mutex<SimState>,
    me: std::sync::Weak<SimGpu>,
}

const GPU_UUID: Uuid = [0x5a; 16];
const TOKEN_BASE: u32 = 0x100;
/// Framebuffer size the simulated card reports.
const SIM_FB_SIZE: u64 = 128 << 20;
/// Most backing storage (all memory objects together) the simulator hands out; a larger request
/// fails with `NV_ERR_NO_MEMORY` as RM would, instead of aborting the process on allocation.
const SIM_MEMORY_LIMIT: u64 = 1 << 30;

impl SimGpu {
    /// A simulated H100-like GPU.
    ///
    /// # Safety
    /// Memory handed out by the simulator is a Rust allocation shared between the CPU mappings it
    /// returns and the simulated GPU, which runs inside doorbell writes. The caller must not
    /// access those mappings from two threads at once, nor from one thread while another rings a
    /// doorbell: use the simulator and its mappings from one thread at a time, as the tests do.
    pub unsafe fn new() -> Arc<Self> {
        Arc::new_cyclic(|me| SimGpu {
            state: Mutex::new(SimState {
                next_handle: 0xcaf0_0000,
                ..Default::default()
            }),
            me: me.clone(),
        })
    }

    fn st(&self) -> Result<MutexGuard<'_, SimState>> {
        self.state.lock().map_err(|_| Error::InvalidArgument {
            what: "simulator",
            detail: "poisoned".into(),
        })
    }

    /// Live RM objects (the root client included).
    pub fn live_objects(&self) -> usize {
        self.state
            .lock()
            .map(|s| s.objects.len())
            .unwrap_or(usize::MAX)
    }

    /// Live UVM mappings.
    pub fn live_uvm_mappings(&self) -> usize {
        self.state
            .lock()
            .map(|s| s.uvm_mapped.len())
            .unwrap_or(usize::MAX)
    }

    /// What the GPU executed so far.
    pub fn stats(&self) -> SimStats {
        self.state
            .lock()
            .map(|s| s.stats.clone())
            .unwrap_or_default()
    }

    /// Whether the UVM GPU and VA space registrations are active.
    pub fn uvm_registered(&self) -> (bool, bool, usize) {
        self.state
            .lock()
            .map(|s| (s.uvm_gpu, s.uvm_vaspace, s.uvm_channels.len()))
            .unwrap_or_default()
    }

    /// Makes the GPU stop the first channel as RM does on a fault: writes `code` (a
    /// `ROBUST_CHANNEL_*` number) to its error notifier and, with `mmu`, has the debugger object
    /// report an MMU fault `(address, fault type, access type)`. `code` 0 clears the notifier.
    pub fn inject_fault(&self, code: u32, mmu: Option<(u64, u32, u32)>) -> Result<()> {
        let mut st = self.st()?;
        st.mmu_fault = mmu;
        let n = st
            .channels
            .first()
            .map(|c| c.notifier)
            .ok_or_else(|| sim_err("no channel".into()))?;
        st.set_mem_u32(n, 8, code)?;
        st.set_mem_u32(n, 12, if code == 0 { 0 } else { 0xffff_0000 })?;
        Ok(())
    }

    /// Makes `UVM_REGISTER_GPU_VASPACE` fail with `NV_ERR_INSUFFICIENT_RESOURCES` (`true`) or
    /// succeed again (`false`), to test the error path of opening a GPU.
    pub fn refuse_uvm_vaspace(&self, refuse: bool) -> Result<()> {
        self.st()?.refuse_uvm_vaspace = refuse;
        Ok(())
    }

    /// Reads `len` bytes at GPU VA `va` (for test assertions on GPU-side memory).
    pub fn read_va(&self, va: u64, len: usize) -> Result<Vec<u8>> {
        let st = self.st()?;
        (0..len).map(|i| st.read_u8(va + i as u64)).collect()
    }
}

fn sim_err(detail: String) -> Error {
    Error::InvalidArgument {
        what: "simulated GPU",
        detail,
    }
}

impl SimState {
    fn backing_at(&self, va: u64) -> Result<(&Backing, u64)> {
        let &(base, _, mem) = self
            .va_map
            .iter()
            .find(|&&(b, l, _)| va >= b && va < b + l)
            .ok_or_else(|| sim_err(format!("GPU access to unmapped VA {va:#x}")))?;
        let b = self
            .memory
            .get(&mem)
            .ok_or_else(|| sim_err(format!("VA {va:#x} maps freed memory")))?;
        Ok((b, va - base))
    }

    fn word(b: &Backing, byte: u64) -> Result<(&AtomicU64, u32)> {
        let idx = usize::try_from(byte / 8).map_err(|_| sim_err("offset".into()))?;
        let w = b
            .get(idx)
            .ok_or_else(|| sim_err(format!("offset {byte:#x} outside memory")))?;
        Ok((w, u32::try_from(byte % 8).unwrap_or(0) * 8))
    }

    fn read_u8(&self, va: u64) -> Result<u8> {
        let (b, off) = self.backing_at(va)?;
        let (w, shift) = Self::word(b, off)?;
        Ok(((w.load(Ordering::Relaxed) >> shift) & 0xff) as u8)
    }

    fn write_u8(&self, va: u64, v: u8) -> Result<()> {
        let (b, off) = self.backing_at(va)?;
        let (w, shift) = Self::word(b, off)?;
        let mask = !(0xffu64 << shift);
        let old = w.load(Ordering::Relaxed);
        w.store((old & mask) | (u64::from(v) << shift), Ordering::Relaxed);
        Ok(())
    }

    fn read_u32(&self, va: u64) -> Result<u32> {
        let mut b = [0u8; 4];
        for (i, x) in b.iter_mut().enumerate() {
            *x = self.read_u8(va + i as u64)?;
        }
        Ok(u32::from_le_bytes(b))
    }

    fn read_u64(&self, va: u64) -> Result<u64> {
        Ok(u64::from(self.read_u32(va)?) | (u64::from(self.read_u32(va + 4)?) << 32))
    }

    fn write_u64(&self, va: u64, v: u64) -> Result<()> {
        for (i, x) in v.to_le_bytes().iter().enumerate() {
            self.write_u8(va + i as u64, *x)?;
        }
        Ok(())
    }

    fn mem_u32(&self, mem: Handle, byte: u64) -> Result<u32> {
        let b = self
            .memory
            .get(&mem)
            .ok_or_else(|| sim_err("USERD memory freed".into()))?;
        let (w, shift) = Self::word(b, byte)?;
        Ok(((w.load(Ordering::Relaxed) >> shift) & 0xffff_ffff) as u32)
    }

    fn set_mem_u32(&self, mem: Handle, byte: u64, v: u32) -> Result<()> {
        let b = self
            .memory
            .get(&mem)
            .ok_or_else(|| sim_err("USERD memory freed".into()))?;
        let (w, shift) = Self::word(b, byte)?;
        let mask = !(0xffff_ffffu64 << shift);
        let old = w.load(Ordering::Relaxed);
        w.store((old & mask) | (u64::from(v) << shift), Ordering::Relaxed);
        Ok(())
    }

    /// Runs one method; returns false if it blocks (unsatisfied acquire).
    fn method(&mut self, ch: usize, subc: u32, offset: u32, data: u32) -> Result<bool> {
        let mut c = self
            .channels
            .get(ch)
            .cloned()
            .ok_or_else(|| sim_err("channel".into()))?;
        let mut ok = true;
        match (offset, subc) {
            (0x0000, _) => self.stats.bound.push(data),
            (0x005c, _) => c.sem_addr = (c.sem_addr & !0xffff_ffff) | u64::from(data & !3),
            (0x0060, _) => {
                c.sem_addr = (c.sem_addr & 0xffff_ffff) | (u64::from(data & 0x01ff_ffff) << 32)
            }
            (0x0064, _) => c.sem_payload = (c.sem_payload & !0xffff_ffff) | u64::from(data),
            (0x0068, _) => c.sem_payload = (c.sem_payload & 0xffff_ffff) | (u64::from(data) << 32),
            (0x006c, _) => {
                let wide = data & (1 << 24) != 0;
                let payload = if wide {
                    c.sem_payload
                } else {
                    c.sem_payload & 0xffff_ffff
                };
                match data & 7 {
                    1 => {
                        if wide {
                            self.write_u64(c.sem_addr, payload)?;
                        } else {
                            for (i, x) in u32::try_from(payload & 0xffff_ffff)
                                .unwrap_or(0)
                                .to_le_bytes()
                                .iter()
                                .enumerate()
                            {
                                self.write_u8(c.sem_addr + i as u64, *x)?;
                            }
                        }
                        if data & (1 << 25) != 0 {
                            self.clock_ns += 1000;
                            self.write_u64(c.sem_addr + 8, self.clock_ns)?;
                        }
                        self.stats.releases += 1;
                    }
                    0 | 2 | 3 => {
                        let cur = if wide {
                            self.read_u64(c.sem_addr)?
                        } else {
                            u64::from(self.read_u32(c.sem_addr)?)
                        };
                        ok = if data & 7 == 0 {
                            cur == payload
                        } else {
                            cur >= payload
                        };
                    }
                    op => return Err(sim_err(format!("SEM_EXECUTE operation {op} not simulated"))),
                }
            }
            (0x02b4, 1) => self.stats.launches.push(u64::from(data) << 8),
            (0x0400..=0x041c, 4) => {
                if let Some(slot) = c.ce.get_mut(((offset - 0x400) / 4) as usize) {
                    *slot = data;
                }
            }
            (0x0300, 4) => {
                let src = (u64::from(c.ce[0]) << 32) | u64::from(c.ce[1]);
                let dst = (u64::from(c.ce[2]) << 32) | u64::from(c.ce[3]);
                let len = u64::from(c.ce[6]);
                for i in 0..len {
                    let v = self.read_u8(src + i)?;
                    self.write_u8(dst + i, v)?;
                }
                self.stats.copies += 1;
                self.stats.copied_bytes += len;
            }
            _ => {}
        }
        if let Some(slot) = self.channels.get_mut(ch) {
            *slot = c;
        }
        Ok(ok)
    }

    /// Executes channel `ch` up to its GP_PUT; returns whether it made progress.
    fn run_channel(&mut self, ch: usize) -> Result<bool> {
        let c = self
            .channels
            .get(ch)
            .cloned()
            .ok_or_else(|| sim_err("channel".into()))?;
        let put = self.mem_u32(c.userd, c.userd_offset + 0x8c)?;
        if put >= c.entries {
            return Err(sim_err(format!(
                "GP_PUT {put} outside the {}-entry GPFIFO",
                c.entries
            )));
        }
        let mut get = c.get;
        let mut progress = false;
        while get != put {
            let entry = self.read_u64(c.gpfifo_va + u64::from(get) * 8)?;
            let va = entry & 0xff_ffff_fffc;
            let dwords = (entry >> 42) & 0x1f_ffff;
            // Execute the whole segment; an unsatisfied acquire stops before the entry is consumed
            // (the real PBDMA would stall inside it; re-running it from the start is equivalent here
            // because nvbare puts acquires first in a segment).
            let mut i = 0u64;
            while i < dwords {
                let h = self.read_u32(va + i * 4)?;
                let (op, count, subc, addr) =
                    (h >> 29, (h >> 16) & 0x1fff, (h >> 13) & 7, (h & 0xfff) * 4);
                i += 1;
                match op {
                    1 | 3 | 5 => {
                        for k in 0..count {
                            let d = self.read_u32(va + (i + u64::from(k)) * 4)?;
                            let off = match op {
                                1 => addr + k * 4,
                                3 => addr,
                                _ => addr + if k == 0 { 0 } else { 4 },
                            };
                            if !self.method(ch, subc, off, d)? {
                                return Ok(progress);
                            }
                        }
                        i += u64::from(count);
                    }
                    4 => {
                        if !self.method(ch, subc, addr, count)? {
                            return Ok(progress);
                        }
                    }
                    other => {
                        return Err(sim_err(format!(
                            "method header sec_op {other} not simulated"
                        )))
                    }
                }
            }
            get = (get + 1) % c.entries;
            self.stats.entries += 1;
            if let Some(slot) = self.channels.get_mut(ch) {
                slot.get = get;
            }
            self.set_mem_u32(c.userd, c.userd_offset + 0x88, get)?;
            progress = true;
        }
        Ok(progress)
    }
}

fn from_bytes<P: Pod>(bytes: &[u8]) -> P {
    let mut p = P::zeroed();
    let dst = p.as_bytes_mut();
    let n = dst.len().min(bytes.len());
    if let (Some(d), Some(s)) = (dst.get_mut(..n), bytes.get(..n)) {
        d.copy_from_slice(s);
    }
    p
}

fn reply<P: Pod>(params: &mut [u8], f: impl FnOnce(&mut P)) {
    let mut p: P = from_bytes(params);
    f(&mut p);
    let src = p.as_bytes();
    let n = src.len().min(params.len());
    if let (Some(d), Some(s)) = (params.get_mut(..n), src.get(..n)) {
        d.copy_from_slice(s);
    }
}

impl Rm for SimGpu {
    fn alloc_raw(
        &self,
        _client: Handle,
        parent: Handle,
        class: u32,
        params: &mut [u8],
    ) -> Result<Handle> {
        let mut st = self.st()?;
        if class != class::NV01_ROOT_CLIENT && !st.objects.iter().any(|o| o.handle == parent) {
            return Err(Error::Rm {
                op: "alloc",
                status: NvStatus(0x1e),
            });
        }
        st.next_handle = st.next_handle.checked_add(1).ok_or(Error::Rm {
            op: "alloc",
            status: NvStatus(0x1a), // NV_ERR_INSUFFICIENT_RESOURCES: handle space used up
        })?;
        let h = Handle(st.next_handle);
        match class {
            class::NV01_MEMORY_LOCAL_USER | class::NV01_MEMORY_SYSTEM => {
                let p: abi::MemoryAlloc = from_bytes(params);
                let in_use: u64 = st.memory.values().map(|b| b.len() as u64 * 8).sum();
                let words = p
                    .size
                    .checked_add(in_use)
                    .filter(|&total| total <= SIM_MEMORY_LIMIT)
                    .and_then(|_| usize::try_from(p.size.div_ceil(8)).ok())
                    .ok_or(Error::Rm {
                        op: "alloc",
                        status: NvStatus::NO_MEMORY,
                    })?;
                st.memory
                    .insert(h, (0..words).map(|_| AtomicU64::new(0)).collect());
            }
            c if c == class::HOPPER_USERMODE_A => {
                st.memory
                    .insert(h, (0..0x1_0000 / 8).map(|_| AtomicU64::new(0)).collect());
            }
            class::HOPPER_CHANNEL_GPFIFO_A => {
                let p: abi::ChannelAlloc = from_bytes(params);
                if p.gp_fifo_entries == 0 {
                    return Err(Error::Rm {
                        op: "alloc",
                        status: NvStatus::INVALID_ARGUMENT,
                    });
                }
                let token = TOKEN_BASE + u32::try_from(st.channels.len()).unwrap_or(0);
                st.channels.push(SimChannel {
                    handle: h,
                    token,
                    gpfifo_va: p.gp_fifo_offset,
                    entries: p.gp_fifo_entries,
                    userd: Handle(p.h_userd_memory[0]),
                    userd_offset: p.userd_offset[0],
                    notifier: Handle(p.h_object_error),
                    get: 0,
                    sem_addr: 0,
                    sem_payload: 0,
                    ce: [0; 8],
                });
            }
            _ => {}
        }
        st.objects.push(SimObject {
            handle: h,
            parent,
            class,
        });
        Ok(h)
    }

    fn free_raw(&self, _client: Handle, parent: Handle, object: Handle) -> Result<()> {
        let mut st = self.st()?;
        // Strict: nvbare frees children before parents, the client last, so anything still
        // below the object being freed is an ordering bug (real RM would free the subtree).
        if st.objects.iter().any(|o| o.parent == object) {
            return Err(sim_err(format!(
                "free of {object:?} while it still has children"
            )));
        }
        if st.cpu_mappings.get(&object).is_some_and(|&n| n > 0) {
            return Err(sim_err(format!(
                "free of memory {object:?} while it is still CPU-mapped"
            )));
        }
        let before = st.objects.len();
        st.objects
            .retain(|o| !(o.handle == object && o.parent == parent));
        if st.objects.len() == before {
            return Err(Error::Rm {
                op: "free",
                status: NvStatus(0x1e),
            });
        }
        st.memory.remove(&object);
        st.cpu_mappings.remove(&object);
        st.va_map.retain(|&(_, _, m)| m != object);
        st.channels.retain(|c| c.handle != object);
        Ok(())
    }

    fn control_raw(
        &self,
        _client: Handle,
        _object: Handle,
        cmd: u32,
        _name: &'static str,
        params: &mut [u8],
    ) -> Result<()> {
        let st = self.st()?;
        let token_of = |h: Handle| st.channels.iter().find(|c| c.handle == h).map(|c| c.token);
        match cmd {
            controls::SystemGetBuildVersionV2::CMD => {
                reply::<abi::Nv0000GetBuildVersionV2>(params, |p| {
                    p.driver_version_buffer[..11].copy_from_slice(b"580.142-sim");
                })
            }
            controls::GpuGetIdInfoV2::CMD => {
                reply::<abi::Nv0000GpuGetIdInfoV2>(params, |p| p.device_instance = 0)
            }
            controls::GpuGetNameString::CMD => reply::<abi::Nv2080GetNameString>(params, |p| {
                p.gpu_name_string[..13].copy_from_slice(b"nvbare-sim\0\0\0");
            }),
            controls::GpuGetGidInfo::CMD => reply::<abi::Nv2080GetGidInfo>(params, |p| {
                p.length = 16;
                p.data[..16].copy_from_slice(&GPU_UUID);
            }),
            controls::McGetArchInfo::CMD => reply::<abi::Nv2080McGetArchInfo>(params, |p| {
                p.architecture = 0x180;
                p.implementation = 0;
            }),
            controls::GrGetInfoV2::CMD => reply::<abi::GrGetInfoV2>(params, |p| {
                for e in p.gr_info_list.iter_mut() {
                    e.data = match e.index {
                        abi::NV_GR_INFO_INDEX_SM_VERSION => 0x900,
                        abi::NV_GR_INFO_INDEX_LITTER_NUM_GPCS => 8,
                        abi::NV_GR_INFO_INDEX_LITTER_NUM_TPC_PER_GPC => 9,
                        abi::NV_GR_INFO_INDEX_LITTER_NUM_SM_PER_TPC => 2,
                        abi::NV_GR_INFO_INDEX_MAX_WARPS_PER_SM => 64,
                        _ => 0,
                    };
                }
            }),
            controls::FbGetInfoV2::CMD => reply::<abi::Nv2080FbGetInfoV2>(params, |p| {
                for e in p.fb_info_list.iter_mut() {
                    e.data = match e.index {
                        abi::NV2080_CTRL_FB_INFO_INDEX_RAM_SIZE => 80 << 20,
                        abi::NV2080_CTRL_FB_INFO_INDEX_L2CACHE_SIZE => 50 << 20,
                        abi::NV2080_CTRL_FB_INFO_INDEX_BAR1_SIZE => 128 << 20,
                        _ => 0,
                    };
                }
            }),
            controls::GpuGetClassListV2::CMD => reply::<abi::Nv0080GetClassListV2>(params, |p| {
                let list = [
                    class::HOPPER_CHANNEL_GPFIFO_A,
                    class::AMPERE_CHANNEL_GPFIFO_A,
                    class::HOPPER_COMPUTE_A,
                    class::ADA_COMPUTE_A,
                    class::HOPPER_DMA_COPY_A,
                    class::HOPPER_USERMODE_A,
                    class::TURING_USERMODE_A,
                ];
                let mut n = 0u32;
                for (slot, &c) in p.class_list.iter_mut().zip(&list) {
                    *slot = c;
                    n += 1;
                }
                p.num_classes = n;
            }),
            controls::GpfifoGetWorkSubmitToken::CMD => {
                let t =
                    token_of(_object).ok_or_else(|| sim_err("token for a non-channel".into()))?;
                reply::<abi::NvC36fGetWorkSubmitToken>(params, |p| p.work_submit_token = t);
            }
            controls::DebugReadAllSmErrorStates::CMD => {
                let fault = st.mmu_fault.is_some();
                reply::<abi::Nv83deReadAllSmErrorStates>(params, |p| {
                    p.mmu_fault.valid = u8::from(fault)
                });
            }
            controls::DebugReadMmuFaultInfo::CMD => {
                let f = st.mmu_fault;
                reply::<abi::Nv83deReadMmuFaultInfo>(params, |p| {
                    if let Some((address, fault_type, access_type)) = f {
                        p.count = 1;
                        p.mmu_fault_info_list[0] = abi::MmuFaultInfoEntry {
                            fault_address: address,
                            fault_type,
                            access_type,
                        };
                    }
                });
            }
            controls::ChannelGroupSchedule::CMD => {}
            other => return Err(sim_err(format!("control {other:#x} not simulated"))),
        }
        Ok(())
    }

    fn map_dma(&self, req: &DmaMapRequest) -> Result<u64> {
        let mut st = self.st()?;
        if !st.memory.contains_key(&req.memory) {
            return Err(Error::Rm {
                op: "map_dma",
                status: NvStatus(0x1e),
            });
        }
        if st
            .va_map
            .iter()
            .any(|&(b, l, _)| req.gpu_va < b + l && b < req.gpu_va + req.length)
        {
            return Err(sim_err(format!(
                "DMA mapping at {:#x} overlaps another",
                req.gpu_va
            )));
        }
        st.va_map.push((req.gpu_va, req.length, req.memory));
        Ok(req.gpu_va)
    }

    fn unmap_dma(
        &self,
        _client: Handle,
        _device: Handle,
        _dma: Handle,
        memory: Handle,
        gpu_va: u64,
    ) -> Result<()> {
        let mut st = self.st()?;
        st.va_map.retain(|&(b, _, m)| !(b == gpu_va && m == memory));
        Ok(())
    }

    fn map_cpu(
        &self,
        _client: Handle,
        _device: Handle,
        memory: Handle,
        offset: u64,
        length: u64,
        _flags: u32,
    ) -> Result<CpuMapping> {
        let st = self.st()?;
        let b = st.memory.get(&memory).cloned().ok_or(Error::Rm {
            op: "map_cpu",
            status: NvStatus(0x1e),
        })?;
        let end = offset
            .checked_add(length)
            .filter(|&e| e <= (b.len() as u64) * 8 && offset % 8 == 0 && length > 0);
        end.ok_or_else(|| {
            sim_err(format!(
                "CPU mapping {offset:#x}+{length:#x} outside memory"
            ))
        })?;
        let base = b.as_ptr().cast::<u8>().cast_mut();
        // SAFETY: `offset..offset+length` lies inside the backing allocation (checked above), which
        // the unmap closure keeps alive (it owns an `Arc` clone) until the mapping drops. The
        // storage is `AtomicU64`, i.e. interior-mutable, so writes through this pointer are
        // allowed; `SimGpu::new`'s contract excludes concurrent use.
        let ptr = NonNull::new(unsafe { base.add(usize::try_from(offset).unwrap_or(0)) })
            .ok_or_else(|| sim_err("null".into()))?;
        let keep = b.clone();
        let len = usize::try_from(length).map_err(|_| sim_err("mapping length".into()))?;
        let mut st = st;
        *st.cpu_mappings.entry(memory).or_insert(0) += 1;
        drop(st);
        let sim = self.me.clone();
        // SAFETY: as above; the closure drops its `Arc` and counts the unmap.
        Ok(unsafe {
            CpuMapping::from_raw(ptr, len, move |_, _| {
                drop(keep);
                if let Some(sim) = sim.upgrade() {
                    if let Ok(mut st) = sim.state.lock() {
                        if let Some(n) = st.cpu_mappings.get_mut(&memory) {
                            *n = n.saturating_sub(1);
                        }
                    }
                }
            })
        })
    }
}

impl NvkBackend for SimGpu {
    fn rm(&self) -> Arc<dyn Rm> {
        match self.me.upgrade() {
            Some(me) => me,
            None => Arc::new(SimGone),
        }
    }
    fn driver_version(&self) -> &str {
        "580.142-sim"
    }
    fn card_info(&self) -> Result<Vec<CardInfo>> {
        Ok(vec![CardInfo {
            gpu_id: 0x100,
            minor: 0,
            pci: (0, 0x41, 0, 0),
            vendor_id: 0x10de,
            device_id: 0x2330,
            reg_size: 16 << 20,
            fb_size: SIM_FB_SIZE,
        }])
    }
    fn note_device(&self, _device: Handle, _minor: u32) {}
    fn map_memory(
        &self,
        client: Handle,
        device: Handle,
        memory: Handle,
        offset: u64,
        length: u64,
        flags: u32,
        _via: MapVia,
    ) -> Result<CpuMapping> {
        self.map_cpu(client, device, memory, offset, length, flags)
    }
    fn alloc_os_descriptor(
        &self,
        _client: Handle,
        _device: Handle,
        _addr: usize,
        _len: u64,
    ) -> Result<Handle> {
        Err(sim_err("OS descriptors are not simulated".into()))
    }
    fn uvm_register_gpu(&self, uuid: Uuid) -> Result<()> {
        let mut st = self.st()?;
        if uuid != GPU_UUID || st.uvm_gpu {
            return Err(Error::Uvm {
                op: "REGISTER_GPU",
                status: NvStatus(0x1f),
            });
        }
        st.uvm_gpu = true;
        Ok(())
    }
    fn uvm_unregister_gpu(&self, _uuid: Uuid) -> Result<()> {
        self.st()?.uvm_gpu = false;
        Ok(())
    }
    fn uvm_register_gpu_vaspace(
        &self,
        _uuid: Uuid,
        _client: Handle,
        vaspace: Handle,
    ) -> Result<()> {
        let mut st = self.st()?;
        if st.refuse_uvm_vaspace {
            return Err(Error::Uvm {
                op: "REGISTER_GPU_VASPACE",
                status: NvStatus(0x1a),
            });
        }
        if !st.uvm_gpu
            || !st
                .objects
                .iter()
                .any(|o| o.handle == vaspace && o.class == class::FERMI_VASPACE_A)
        {
            return Err(Error::Uvm {
                op: "REGISTER_GPU_VASPACE",
                status: NvStatus(0x1f),
            });
        }
        st.uvm_vaspace = true;
        Ok(())
    }
    fn uvm_unregister_gpu_vaspace(&self, _uuid: Uuid) -> Result<()> {
        self.st()?.uvm_vaspace = false;
        Ok(())
    }
    fn uvm_register_channel(
        &self,
        _uuid: Uuid,
        _client: Handle,
        channel: Handle,
        _base: u64,
        _length: u64,
    ) -> Result<()> {
        let mut st = self.st()?;
        if !st.uvm_vaspace {
            return Err(Error::Uvm {
                op: "REGISTER_CHANNEL",
                status: NvStatus(0x1f),
            });
        }
        st.uvm_channels.push(channel);
        Ok(())
    }
    fn uvm_unregister_channel(&self, _uuid: Uuid, _client: Handle, channel: Handle) -> Result<()> {
        self.st()?.uvm_channels.retain(|&c| c != channel);
        Ok(())
    }
    fn uvm_create_external_range(&self, base: u64, length: u64) -> Result<()> {
        let mut st = self.st()?;
        if st
            .uvm_ranges
            .iter()
            .any(|&(b, l)| base < b + l && b < base + length)
        {
            return Err(Error::Uvm {
                op: "CREATE_EXTERNAL_RANGE",
                status: NvStatus(0x1f),
            });
        }
        st.uvm_ranges.push((base, length));
        Ok(())
    }
    fn uvm_map_external_allocation(
        &self,
        _uuid: Uuid,
        _client: Handle,
        memory: Handle,
        base: u64,
        length: u64,
    ) -> Result<()> {
        let mut st = self.st()?;
        if !st
            .uvm_ranges
            .iter()
            .any(|&(b, l)| base >= b && base + length <= b + l)
        {
            return Err(Error::Uvm {
                op: "MAP_EXTERNAL_ALLOCATION",
                status: NvStatus(0x1f),
            });
        }
        st.uvm_mapped.push((base, length, memory));
        Ok(())
    }
    fn uvm_free(&self, base: u64, _length: u64) -> Result<()> {
        let mut st = self.st()?;
        let n = st.uvm_ranges.len();
        st.uvm_ranges.retain(|&(b, _)| b != base);
        st.uvm_mapped.retain(|&(b, _, _)| b != base);
        if st.uvm_ranges.len() == n {
            return Err(Error::Uvm {
                op: "FREE",
                status: NvStatus(0x1f),
            });
        }
        Ok(())
    }
    fn live_objects(&self) -> Option<usize> {
        Some(SimGpu::live_objects(self))
    }
    fn ring_doorbell(&self, doorbell: &CpuMapping, offset: usize, token: u32) -> Result<()> {
        doorbell.write_u32(offset, token)?;
        let mut st = self.st()?;
        if !st.channels.iter().any(|c| c.token == token) {
            return Err(sim_err(format!("doorbell with unknown token {token:#x}")));
        }
        // Run every channel until none makes progress (cross-channel acquires resolve in order).
        // Each pass with progress consumes at least one GPFIFO entry, so with GP_PUT fixed there
        // are at most as many passes as entries; more means the work moved a GP_PUT itself.
        let max_passes = st
            .channels
            .iter()
            .map(|c| u64::from(c.entries))
            .sum::<u64>()
            .saturating_add(1);
        for _ in 0..max_passes {
            let mut progress = false;
            for ch in 0..st.channels.len() {
                progress |= st.run_channel(ch)?;
            }
            if !progress {
                return Ok(());
            }
        }
        Err(sim_err(format!(
            "doorbell {token:#x}: channels still progressing after {max_passes} passes \
             (submitted work rewrote a GP_PUT)"
        )))
    }
}

/// Stand-in returned by [`SimGpu::rm`] after the simulator is gone.
#[derive(Debug)]
struct SimGone;

impl Rm for SimGone {
    fn alloc_raw(&self, _: Handle, _: Handle, _: u32, _: &mut [u8]) -> Result<Handle> {
        Err(sim_err("simulator dropped".into()))
    }
    fn free_raw(&self, _: Handle, _: Handle, _: Handle) -> Result<()> {
        Ok(())
    }
    fn control_raw(
        &self,
        _: Handle,
        _: Handle,
        _: u32,
        _: &'static str,
        _: &mut [u8],
    ) -> Result<()> {
        Err(sim_err("simulator dropped".into()))
    }
    fn map_dma(&self, _: &DmaMapRequest) -> Result<u64> {
        Err(sim_err("simulator dropped".into()))
    }
    fn unmap_dma(&self, _: Handle, _: Handle, _: Handle, _: Handle, _: u64) -> Result<()> {
        Ok(())
    }
    fn map_cpu(
        &self,
        _: Handle,
        _: Handle,
        _: Handle,
        _: u64,
        _: u64,
        _: u32,
    ) -> Result<CpuMapping> {
        Err(sim_err("simulator dropped".into()))
    }
}
