//! A GPU driven through `nvidia.ko`: the RM object graph, memory, channels and submission.
//!
//! Object graph (parents first), after tinygrad `ops_nv.py` (`NVDevice.__init__`, `NVKIface`):
//! root client → device (`NV01_DEVICE_0`) → subdevice (`NV20_SUBDEVICE_0`), virtual memory
//! (`NV01_MEMORY_VIRTUAL`), usermode doorbell (`*_USERMODE_A`, mapped), VA space
//! (`FERMI_VASPACE_A`, externally owned, registered with UVM), channel group
//! (`KEPLER_CHANNEL_GROUP_A`) → context share (`FERMI_CONTEXT_SHARE_A`) → GPFIFO channels for
//! compute and copy, each with USERD in a shared CPU-mapped area, an error notifier, its engine
//! object, a work-submit token and a UVM registration; a `GT200_DEBUGGER` object for fault reports.
//!
//! Memory is RM memory (`NV01_MEMORY_LOCAL_USER` / `NV01_MEMORY_SYSTEM`) placed at a GPU VA chosen
//! by nvbare's allocator ([`super::va`]): `RM_MAP_MEMORY_DMA` at that fixed VA, a UVM external
//! range and `UVM_MAP_EXTERNAL_ALLOCATION`. Frees are deferred until the timeline passes the last
//! submission made before the free.
//!
//! Submission: command words are copied into a CPU-mapped pushbuffer arena, a GPFIFO entry pointing
//! at them is written to the ring, GP_PUT is published in USERD, and the channel's work-submit token
//! is written to the usermode doorbell (`NVC361_NOTIFY_CHANNEL_PENDING`, offset 0x90, clc361.h).
//!
//! **Unverified**: no GPU was available to this work. Nothing in this module has run against
//! `nvidia.ko`; it follows the sequences cited above and compiles against the ABI structs that are
//! layout-tested in `rm::abi::r580`.

use super::backend::{KernelDriver, NvkBackend};
use super::cmd::{Commands, SUBC_COMPUTE, SUBC_COPY};
use super::copy::{split_copy, MAX_COPY_CHUNK};
use super::fault::{FaultReport, Notification, ERROR_NOTIFIER_OFFSET, NOTIFICATION_SIZE};
use super::info::{self, GpuInfo};
use super::memory::{self, PageSize, Placement};
use super::ring::{GpfifoRing, PushArena};
use super::timeline::Timeline;
use super::va::VaAllocator;
use crate::error::{Error, Result};
use crate::hal::{self, Hal};
use crate::rm::abi::{class, r580 as abi, Pod};
use crate::rm::ioctl::{CardInfo, MapVia, NvidiaCtl};
use crate::rm::{controls, kind, CpuMapping, DmaMapRequest, Handle, Object, Rm};
use std::sync::atomic::{fence, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

/// Doorbell register in the usermode region (`NVC361_NOTIFY_CHANNEL_PENDING`, clc361.h).
pub const DOORBELL_OFFSET: usize = 0x90;
/// Size of the usermode region to map (`NVC361_NV_USERMODE__SIZE`).
pub const USERMODE_SIZE: u64 = 0x1_0000;
/// GP_GET and GP_PUT in the USERD control area (`AmpereAControlGPFifo`, clc56f.h).
pub const USERD_GP_GET: usize = 0x88;
pub const USERD_GP_PUT: usize = 0x8c;
/// GPFIFO entries per channel (tinygrad uses 0x10000).
pub const GPFIFO_ENTRIES: u32 = 0x1_0000;
/// Bytes of ring + USERD reserved per channel in the GPFIFO area.
pub const CHANNEL_AREA_STRIDE: u64 = 0x10_0000;
/// Pushbuffer arena size.
pub const PUSH_ARENA_BYTES: u64 = 2 << 20;
/// Per-submission data arena size (constant bank 0 and QMD of each launch).
pub const DATA_ARENA_BYTES: u64 = 4 << 20;
/// Alignment of data arena chunks (QMDs need 256 bytes).
pub const DATA_ALIGN: u64 = 256;
/// Shared and local memory windows in the GPU VA space (tinygrad `ops_nv.py` `_setup_gpfifos`).
pub const SHARED_WINDOW: u64 = 0x7294_0000_0000;
pub const LOCAL_WINDOW: u64 = 0x7293_0000_0000;

/// Local (per-thread stack/spill) memory for `per_thread` bytes: returns the per-thread size
/// rounded as the hardware allocates it, the bytes per TPC, and the total to allocate
/// (tinygrad `ops_nv.py` `_ensure_has_local_memory`: per thread rounded to 32 B; per TPC
/// `round_up(round_up(per_thread*32, 0x200) * max_warps_per_sm * sms_per_tpc, 0x8000)`; total
/// `round_up(per_tpc * tpcs_per_gpc * gpcs, 0x20000)`).
pub fn local_memory_size(
    per_thread: u64,
    max_warps_per_sm: u32,
    sms_per_tpc: u32,
    tpcs_per_gpc: u32,
    gpcs: u32,
) -> Result<(u64, u64, u64)> {
    let up = |v: u64, a: u64| v.checked_add(a - 1).map(|x| x / a * a);
    let ovf = || Error::OutOfRange {
        what: "local memory size",
        value: per_thread,
        limit: u64::from(u32::MAX),
    };
    let per_thread = up(per_thread, 32).ok_or_else(ovf)?;
    let warp = up(per_thread.checked_mul(32).ok_or_else(ovf)?, 0x200).ok_or_else(ovf)?;
    let per_tpc = warp
        .checked_mul(u64::from(max_warps_per_sm))
        .and_then(|v| v.checked_mul(u64::from(sms_per_tpc)))
        .and_then(|v| up(v, 0x8000))
        .ok_or_else(ovf)?;
    let total = per_tpc
        .checked_mul(u64::from(tpcs_per_gpc))
        .and_then(|v| v.checked_mul(u64::from(gpcs)))
        .and_then(|v| up(v, 0x2_0000))
        .ok_or_else(ovf)?;
    Ok((per_thread, per_tpc, total))
}
/// VA range for memory that is also CPU-mapped and for UVM channel registrations.
pub const LOW_VA: (u64, u64) = (0x10_0000_0000, 0x10_0000_0000);
/// VA range for everything else (up to 2^48).
pub const HIGH_VA: (u64, u64) = (0x20_0000_0000, (1 << 48) - 0x20_0000_0000);
/// Length of the VA window UVM reserves per registered channel (tinygrad: 64 MiB).
pub const CHANNEL_UVM_WINDOW: u64 = 0x400_0000;

/// Encodes a GPFIFO entry for a pushbuffer segment at `va` of `dwords` words (clc56f.h
/// `NVC56F_GP_ENTRY0/1`: GET 31:2 (+GET_HI 7:0 of word 1), LEVEL 9:9, LENGTH 30:10), with the
/// level bit set as tinygrad does.
pub fn gp_entry(va: u64, dwords: u32) -> Result<u64> {
    if va % 4 != 0 || va >= 1 << 40 {
        return Err(Error::InvalidArgument {
            what: "pushbuffer address",
            detail: format!("{va:#x} must be 4-aligned and below 2^40"),
        });
    }
    if dwords == 0 || dwords >= 1 << 21 {
        return Err(Error::OutOfRange {
            what: "pushbuffer dwords",
            value: u64::from(dwords),
            limit: (1 << 21) - 1,
        });
    }
    Ok(va | (1 << 41) | (u64::from(dwords) << 42))
}

/// Which channel a submission goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// The compute channel (also runs host semaphore methods).
    Compute,
    /// The copy-engine channel.
    Copy,
}

/// Engine classes chosen for this GPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineClasses {
    pub channel: u32,
    pub compute: u32,
    pub copy: u32,
    pub usermode: u32,
}

impl EngineClasses {
    /// Picks every class from the device's class list.
    pub fn pick(available: &[u32]) -> Result<Self> {
        Ok(EngineClasses {
            channel: info::pick_class(available, info::CHANNEL_CLASSES)?,
            compute: info::pick_class(available, info::COMPUTE_CLASSES)?,
            copy: info::pick_class(available, info::COPY_CLASSES)?,
            usermode: info::pick_class(available, info::USERMODE_CLASSES)?,
        })
    }
}

/// A region of GPU memory with a fixed GPU VA and, optionally, a CPU mapping.
#[derive(Debug)]
pub struct GpuMemory {
    /// Weak: the GPU's own internal buffers (semaphore, rings, arenas) are `GpuMemory` too, and a
    /// strong reference would keep the GPU alive forever.
    gpu: Weak<NvkGpu>,
    inner: Option<MemoryParts>,
    va: u64,
    size: u64,
    placement: Placement,
}

#[derive(Debug)]
struct MemoryParts {
    object: Object<kind::Memory>,
    cpu: Option<CpuMapping>,
    /// `cpu` is the host memory an OS-descriptor `object` was registered over, which must stay
    /// mapped until the object is freed; otherwise `cpu` is a CPU mapping *of* `object`, which
    /// must be unmapped before the object is freed (SAFETY.md, "RM memory mappings").
    cpu_backs_object: bool,
}

impl Drop for MemoryParts {
    fn drop(&mut self) {
        // The fields then drop in declaration order: the object, then whatever `cpu` is left.
        if !self.cpu_backs_object {
            drop(self.cpu.take());
        }
    }
}

impl GpuMemory {
    /// GPU virtual address.
    pub fn va(&self) -> u64 {
        self.va
    }
    /// Size in bytes (page-rounded).
    pub fn size(&self) -> u64 {
        self.size
    }
    /// Where it lives.
    pub fn placement(&self) -> Placement {
        self.placement
    }
    /// The CPU mapping, when the memory was allocated with one.
    pub fn cpu(&self) -> Option<&CpuMapping> {
        self.inner.as_ref().and_then(|p| p.cpu.as_ref())
    }
    fn cpu_required(&self) -> Result<&CpuMapping> {
        self.cpu().ok_or(Error::InvalidArgument {
            what: "GPU memory",
            detail: "not CPU-mapped".into(),
        })
    }
}

impl Drop for GpuMemory {
    fn drop(&mut self) {
        if let Some(parts) = self.inner.take() {
            match self.gpu.upgrade() {
                Some(gpu) => gpu.defer_free(PendingFree {
                    va: self.va,
                    size: self.size,
                    parts,
                }),
                // The GPU is being torn down: its channels are gone, so nothing can still use the
                // memory; the RM objects free now and UVM's ranges go with its file.
                None => drop(parts),
            }
        }
    }
}

#[derive(Debug)]
struct PendingFree {
    va: u64,
    size: u64,
    parts: MemoryParts,
}

/// A GPFIFO channel with its engine object.
#[derive(Debug)]
struct Channel {
    engine: Object<kind::Engine>,
    object: Object<kind::Channel>,
    /// Offset of this channel's ring in the GPFIFO area; USERD follows the ring.
    area_offset: u64,
    token: u32,
    notifier: GpuMemory,
    ring: GpfifoRing,
}

impl Channel {
    fn userd(&self) -> Result<usize> {
        let off = self.area_offset + u64::from(self.ring.entries()) * 8;
        usize::try_from(off).map_err(|_| Error::OutOfRange {
            what: "USERD offset",
            value: off,
            limit: usize::MAX as u64,
        })
    }
}

/// Mutable submission state, one lock for both channels (submissions are ordered on one timeline).
#[derive(Debug)]
struct SubmitState {
    timeline: Timeline,
    arena: PushArena,
    data_arena: PushArena,
    compute: Option<Channel>,
    copy: Option<Channel>,
    /// Memory freed by the user, torn down once the timeline passes each fence.
    pending: Vec<(u64, PendingFree)>,
}

/// A GPU on `nvidia.ko` with its RM objects, channels and allocators.
#[derive(Debug)]
pub struct NvkGpu {
    /// Facts about the GPU.
    pub info: GpuInfo,
    /// What `NV_ESC_CARD_INFO` said about it.
    pub card: CardInfo,
    /// Classes in use.
    pub classes: EngineClasses,
    /// Per-chip choices (QMD version, constant bank layout, limits).
    hal: Box<dyn Hal>,
    /// Local memory currently bound: (memory, bytes per thread it covers).
    local_mem: Mutex<Option<(GpuMemory, u64)>>,
    /// Debugger object (freed before the channels whose engine it watches).
    debugger: Mutex<Option<(Object<kind::Debugger>, Handle)>>,
    state: Mutex<SubmitState>,
    low_va: Mutex<VaAllocator>,
    high_va: Mutex<VaAllocator>,
    /// Last timeline value any submission will write (for deferred frees).
    last_submitted: AtomicU64,
    /// Timeline semaphore memory (8 bytes at offset 0), GPU-visible and CPU-mapped.
    semaphore: Mutex<Option<GpuMemory>>,
    semaphore_va: AtomicU64,
    /// Pushbuffer arena memory.
    push: Mutex<Option<GpuMemory>>,
    /// Data arena memory (constant banks, QMDs).
    data: Mutex<Option<GpuMemory>>,
    push_va: AtomicU64,
    /// GPFIFO rings + USERD of both channels.
    gpfifo_area: Mutex<Option<GpuMemory>>,
    channel_group: Mutex<Option<(Object<kind::ChannelGroup>, Object<kind::ContextShare>)>>,
    doorbell: CpuMapping,
    _usermode: Object<kind::Usermode>,
    vaspace: Object<kind::VaSpace>,
    virtmem: Object<kind::VirtualMemory>,
    subdevice: Object<kind::Subdevice>,
    device: Object<kind::Device>,
    client: Object<kind::Client>,
    backend: Arc<dyn NvkBackend>,
}

fn lock<T>(m: &Mutex<T>) -> Result<MutexGuard<'_, T>> {
    m.lock().map_err(|_| Error::InvalidArgument {
        what: "GPU state",
        detail: "a previous operation panicked while holding the lock".into(),
    })
}

/// Returns `va` to `alloc` at once (nothing submitted can still use it).
fn free_va_now(alloc: &Mutex<VaAllocator>, va: u64) -> Result<()> {
    let mut a = lock(alloc)?;
    a.free_after(va, 0)?;
    a.reclaim(0);
    Ok(())
}

/// `original`, or, when undoing its partial effect (`cleanup`) failed too, both.
fn after_cleanup(original: Error, what: &'static str, cleanup: Result<()>) -> Error {
    match cleanup {
        Ok(()) => original,
        Err(source) => Error::CleanupAfterError {
            what,
            original: Box::new(original),
            source: Box::new(source),
        },
    }
}

impl NvkGpu {
    /// Opens GPU `index` (in `NV_ESC_CARD_INFO` order) and builds the whole object graph.
    pub fn open(ctl: Arc<NvidiaCtl>, index: usize) -> Result<Arc<Self>> {
        Self::open_with(Arc::new(KernelDriver::new(ctl)?), index)
    }

    /// [`NvkGpu::open`] over any [`NvkBackend`].
    pub fn open_with(backend: Arc<dyn NvkBackend>, index: usize) -> Result<Arc<Self>> {
        let ctl = backend.clone();
        let cards = ctl.card_info()?;
        let card = *cards.get(index).ok_or(Error::NoSuchGpu {
            index,
            count: cards.len(),
        })?;
        let rm: Arc<dyn Rm> = ctl.rm();
        let client = Object::new_client(rm)?;

        // The RM build version must name the same branch as the version-check ioctl that picked
        // the ABI module (`NV0000_CTRL_CMD_SYSTEM_GET_BUILD_VERSION_V2`, ctrl0000system.h).
        let mut build = Box::new(abi::Nv0000GetBuildVersionV2::zeroed());
        client.control::<controls::SystemGetBuildVersionV2>(&mut build)?;
        let rm_version = crate::rm::abi::c_str(&build.driver_version_buffer);
        crate::rm::abi::DriverAbi::for_version(&rm_version)?;
        if rm_version.split('.').next() != ctl.driver_version().split('.').next() {
            return Err(Error::DriverVersionMismatch {
                sent: ctl.driver_version().to_owned(),
                module: rm_version,
            });
        }

        let mut id = abi::Nv0000GpuGetIdInfoV2::zeroed();
        id.gpu_id = card.gpu_id;
        client.control::<controls::GpuGetIdInfoV2>(&mut id)?;

        let mut dev_params = abi::Nv0080Alloc::zeroed();
        dev_params.device_id = id.device_instance;
        dev_params.h_client_share = client.handle().0;
        dev_params.va_mode = abi::NV_DEVICE_ALLOCATION_VAMODE_OPTIONAL_MULTIPLE_VASPACES;
        let device: Object<kind::Device> = client.alloc(class::NV01_DEVICE_0, &mut dev_params)?;
        ctl.note_device(device.handle(), card.minor);
        let subdevice: Object<kind::Subdevice> = device.alloc(
            class::NV20_SUBDEVICE_0,
            &mut abi::Nv2080Alloc { sub_device_id: 0 },
        )?;

        let info = GpuInfo::query(&device, &subdevice)?;
        let chipset =
            crate::Chipset::from_id(info.chipset_id).map_err(|_| Error::InvalidArgument {
                what: "chipset",
                detail: format!(
                    "id {:#x} (from MC_GET_ARCH_INFO) is not a chip nvbare knows",
                    info.chipset_id
                ),
            })?;
        let hal = hal::for_chipset(chipset)?;
        let want = hal.classes();
        let classes = EngineClasses {
            channel: info::require_class(
                &info.classes,
                want.channel_gpfifo,
                info::CHANNEL_CLASSES,
            )?,
            compute: info::require_class(&info.classes, want.compute, info::COMPUTE_CLASSES)?,
            copy: info::require_class(&info.classes, want.copy, info::COPY_CLASSES)?,
            usermode: info::require_class(&info.classes, want.usermode, info::USERMODE_CLASSES)?,
        };

        let mut vm = abi::MemoryVirtualAlloc::zeroed();
        vm.limit = 0x1_ffff_ffff_ffff;
        let virtmem: Object<kind::VirtualMemory> =
            device.alloc(class::NV01_MEMORY_VIRTUAL, &mut vm)?;

        let usermode: Object<kind::Usermode> = subdevice.alloc(classes.usermode, &mut ())?;
        let doorbell = ctl.map_memory(
            client.handle(),
            device.handle(),
            usermode.handle(),
            0,
            USERMODE_SIZE,
            0,
            MapVia::GpuNode,
        )?;

        let mut vas = abi::VaSpaceAlloc::zeroed();
        vas.va_base = 0x1000;
        vas.va_size = 0x1_ffff_fb00_0000;
        vas.flags = abi::NV_VASPACE_ALLOCATION_FLAGS_ENABLE_PAGE_FAULTING
            | abi::NV_VASPACE_ALLOCATION_FLAGS_IS_EXTERNALLY_OWNED;
        let vaspace: Object<kind::VaSpace> = device.alloc(class::FERMI_VASPACE_A, &mut vas)?;

        ctl.uvm_register_gpu(info.uuid)?;
        // From here `NvkGpu`'s drop unregisters both; until it exists, undo the GPU registration
        // by hand so a later open in this process does not find it taken.
        if let Err(e) = ctl.uvm_register_gpu_vaspace(info.uuid, client.handle(), vaspace.handle()) {
            return Err(after_cleanup(
                e,
                "UVM_UNREGISTER_GPU after a failed VA space registration",
                ctl.uvm_unregister_gpu(info.uuid),
            ));
        }

        let gpu = Arc::new(NvkGpu {
            info,
            card,
            classes,
            hal,
            local_mem: Mutex::new(None),
            state: Mutex::new(SubmitState {
                timeline: Timeline::new(),
                arena: PushArena::new(PUSH_ARENA_BYTES)?,
                data_arena: PushArena::new(DATA_ARENA_BYTES)?,
                compute: None,
                copy: None,
                pending: Vec::new(),
            }),
            low_va: Mutex::new(VaAllocator::new(LOW_VA.0, LOW_VA.1)?),
            high_va: Mutex::new(VaAllocator::new(HIGH_VA.0, HIGH_VA.1)?),
            last_submitted: AtomicU64::new(0),
            semaphore: Mutex::new(None),
            semaphore_va: AtomicU64::new(0),
            push: Mutex::new(None),
            data: Mutex::new(None),
            push_va: AtomicU64::new(0),
            gpfifo_area: Mutex::new(None),
            debugger: Mutex::new(None),
            channel_group: Mutex::new(None),
            doorbell,
            _usermode: usermode,
            vaspace,
            virtmem,
            subdevice,
            device,
            client,
            backend,
        });
        gpu.setup_channels()?;
        gpu.init_engines()?;
        Ok(gpu)
    }

    fn setup_channels(self: &Arc<Self>) -> Result<()> {
        let sem = self.alloc(4096, Placement::Sysmem, true)?;
        sem.cpu_required()?.write_u64(0, 0)?;
        self.semaphore_va.store(sem.va(), Ordering::Release);
        *lock(&self.semaphore)? = Some(sem);
        let push = self.alloc(PUSH_ARENA_BYTES, Placement::Sysmem, true)?;
        self.push_va.store(push.va(), Ordering::Release);
        *lock(&self.push)? = Some(push);
        *lock(&self.data)? = Some(self.alloc(DATA_ARENA_BYTES, Placement::Sysmem, true)?);

        let mut cg = abi::ChannelGroupAlloc::zeroed();
        cg.engine_type = abi::NV2080_ENGINE_TYPE_GRAPHICS;
        let group: Object<kind::ChannelGroup> =
            self.device.alloc(class::KEPLER_CHANNEL_GROUP_A, &mut cg)?;
        let area = self.alloc(
            3 * CHANNEL_AREA_STRIDE,
            Placement::Vram { contiguous: true },
            true,
        )?;
        let mut cs = abi::CtxShareAlloc {
            h_va_space: self.vaspace.handle().0,
            flags: abi::NV_CTXSHARE_ALLOCATION_FLAGS_SUBCONTEXT_ASYNC,
            subctx_id: 0,
        };
        let ctxshare: Object<kind::ContextShare> =
            group.alloc(class::FERMI_CONTEXT_SHARE_A, &mut cs)?;

        let compute = self.new_channel(&group, &ctxshare, &area, 0, Engine::Compute)?;
        let copy = self.new_channel(&group, &ctxshare, &area, CHANNEL_AREA_STRIDE, Engine::Copy)?;
        let mut sched = abi::GpfifoSchedule {
            b_enable: 1,
            b_skip_submit: 0,
            b_skip_enable: 0,
        };
        group.control::<controls::ChannelGroupSchedule>(&mut sched)?;

        let mut dbg = abi::Nv83deAlloc {
            h_debugger_client_obsolete: 0,
            h_app_client: self.client.handle().0,
            h_class_3d_object: compute.engine.handle().0,
        };
        let debugger: Object<kind::Debugger> =
            self.device.alloc(class::GT200_DEBUGGER, &mut dbg)?;
        *lock(&self.debugger)? = Some((debugger, compute.object.handle()));
        *lock(&self.gpfifo_area)? = Some(area);
        *lock(&self.channel_group)? = Some((group, ctxshare));
        let mut st = lock(&self.state)?;
        st.compute = Some(compute);
        st.copy = Some(copy);
        Ok(())
    }

    fn new_channel(
        self: &Arc<Self>,
        group: &Object<kind::ChannelGroup>,
        ctxshare: &Object<kind::ContextShare>,
        area: &GpuMemory,
        offset: u64,
        engine: Engine,
    ) -> Result<Channel> {
        let notifier = self.alloc(64 << 10, Placement::Sysmem, true)?;
        let area_handle =
            area.inner
                .as_ref()
                .map(|p| p.object.handle())
                .ok_or(Error::InvalidArgument {
                    what: "GPFIFO area",
                    detail: "freed".into(),
                })?;
        let notifier_handle =
            notifier
                .inner
                .as_ref()
                .map(|p| p.object.handle())
                .ok_or(Error::InvalidArgument {
                    what: "notifier",
                    detail: "freed".into(),
                })?;
        let mut p = abi::ChannelAlloc::zeroed();
        p.gp_fifo_offset = area.va() + offset;
        p.gp_fifo_entries = GPFIFO_ENTRIES;
        p.h_context_share = ctxshare.handle().0;
        p.h_object_error = notifier_handle.0;
        p.h_object_buffer = area_handle.0;
        p.h_userd_memory[0] = area_handle.0;
        p.userd_offset[0] = offset + u64::from(GPFIFO_ENTRIES) * 8;
        let object: Object<kind::Channel> = group.alloc(self.classes.channel, &mut p)?;
        let engine_class = match engine {
            Engine::Compute => self.classes.compute,
            Engine::Copy => self.classes.copy,
        };
        let engine_obj: Object<kind::Engine> = object.alloc(engine_class, &mut ())?;
        let mut tok = abi::NvC36fGetWorkSubmitToken {
            work_submit_token: u32::MAX,
        };
        object.control::<controls::GpfifoGetWorkSubmitToken>(&mut tok)?;
        // Everything that can fail comes before the UVM registration, which has no undo here.
        let ring = GpfifoRing::new(GPFIFO_ENTRIES)?;
        let window = lock(&self.low_va)?.alloc(CHANNEL_UVM_WINDOW, 4096)?;
        if let Err(e) = self.backend.uvm_register_channel(
            self.info.uuid,
            self.client.handle(),
            object.handle(),
            window,
            CHANNEL_UVM_WINDOW,
        ) {
            // Give the window back so a retry does not lose VA space.
            return Err(after_cleanup(
                e,
                "returning the channel's UVM window VA",
                free_va_now(&self.low_va, window),
            ));
        }
        Ok(Channel {
            engine: engine_obj,
            object,
            area_offset: offset,
            token: tok.work_submit_token,
            notifier,
            ring,
        })
    }

    /// Allocates `size` bytes (rounded up to pages) at `placement`, mapped on the GPU and, when
    /// `cpu_access`, into this process (BAR1 for video memory).
    pub fn alloc(
        self: &Arc<Self>,
        size: u64,
        placement: Placement,
        cpu_access: bool,
    ) -> Result<GpuMemory> {
        self.reclaim()?;
        let page = match placement {
            Placement::Sysmem => PageSize::K4,
            Placement::Vram { .. } => PageSize::for_size(size),
            Placement::Host => return self.alloc_host(size),
        };
        let size = memory::round_to_pages(size, page)?;
        let (cls, mut params) =
            memory::alloc_params(self.client.handle().0, size, page, placement)?;
        let object: Object<kind::Memory> = self.device.alloc(cls, &mut params)?;
        let cpu = if cpu_access {
            let via = if placement == Placement::Sysmem {
                MapVia::Control
            } else {
                MapVia::GpuNode
            };
            Some(self.backend.map_memory(
                self.client.handle(),
                self.device.handle(),
                object.handle(),
                0,
                size,
                memory::cpu_map_flags(placement),
                via,
            )?)
        } else {
            None
        };
        self.place(object, size, page, cpu, placement)
    }

    /// Allocates `size` bytes of host memory owned by nvbare (anonymous shared mapping), registers
    /// it with RM as an OS descriptor and maps it on the GPU: memory both sides reach directly.
    pub fn alloc_host(self: &Arc<Self>, size: u64) -> Result<GpuMemory> {
        let size = memory::round_to_pages(size, PageSize::K4)?;
        let cpu = crate::rm::ioctl::anonymous_mapping(size)?;
        let handle = self.backend.alloc_os_descriptor(
            self.client.handle(),
            self.device.handle(),
            cpu.addr(),
            size,
        )?;
        let object: Object<kind::Memory> = self
            .device
            .adopt(handle, class::NV01_MEMORY_SYSTEM_OS_DESCRIPTOR);
        self.place(object, size, PageSize::K4, Some(cpu), Placement::Host)
    }

    /// Gives `object` a GPU VA (from the low window when it has a CPU mapping) through RM and UVM.
    fn place(
        self: &Arc<Self>,
        object: Object<kind::Memory>,
        size: u64,
        page: PageSize,
        cpu: Option<CpuMapping>,
        placement: Placement,
    ) -> Result<GpuMemory> {
        let cpu_access = cpu.is_some();
        // Built first so that every error path below drops object and CPU memory in the right
        // order.
        let parts = MemoryParts {
            object,
            cpu,
            cpu_backs_object: placement == Placement::Host,
        };
        let va = if cpu_access {
            lock(&self.low_va)?.alloc(size, page.bytes())?
        } else {
            lock(&self.high_va)?.alloc(size, page.bytes())?
        };
        let result = (|| {
            self.backend.uvm_create_external_range(va, size)?;
            let mapped = self.backend.rm().map_dma(&DmaMapRequest {
                client: self.client.handle(),
                device: self.device.handle(),
                dma: self.virtmem.handle(),
                memory: parts.object.handle(),
                offset: 0,
                length: size,
                flags: memory::dma_map_flags(PageSize::K4),
                gpu_va: va,
            });
            let mapped = mapped.and_then(|got| {
                if got == va {
                    Ok(())
                } else {
                    Err(Error::InvalidArgument {
                        what: "RM_MAP_MEMORY_DMA",
                        detail: format!("asked for VA {va:#x}, RM placed it at {got:#x}"),
                    })
                }
            });
            if let Err(e) = mapped.and_then(|()| {
                self.backend.uvm_map_external_allocation(
                    self.info.uuid,
                    self.client.handle(),
                    parts.object.handle(),
                    va,
                    size,
                )
            }) {
                return Err(after_cleanup(
                    e,
                    "freeing the UVM range of a failed GPU mapping",
                    self.backend.uvm_free(va, size),
                ));
            }
            Ok(())
        })();
        match result {
            Ok(()) => Ok(GpuMemory {
                gpu: Arc::downgrade(self),
                inner: Some(parts),
                va,
                size,
                placement,
            }),
            Err(e) => {
                let alloc = if cpu_access {
                    &self.low_va
                } else {
                    &self.high_va
                };
                Err(after_cleanup(
                    e,
                    "returning the VA range of a failed GPU mapping",
                    free_va_now(alloc, va),
                ))
            }
        }
    }

    fn defer_free(&self, f: PendingFree) {
        let fence_value = self.last_submitted.load(Ordering::Acquire);
        if let Ok(mut st) = self.state.lock() {
            st.pending.push((fence_value, f));
        }
        // If the lock is poisoned the parts drop here; RM frees them with the client at the latest.
    }

    /// The timeline value the GPU has reached.
    pub fn completed(&self) -> Result<u64> {
        let sem = lock(&self.semaphore)?;
        match sem.as_ref() {
            Some(m) => m.cpu_required()?.read_u64(0),
            None => Ok(0),
        }
    }

    /// Tears down memory whose last use has completed.
    pub fn reclaim(&self) -> Result<()> {
        let done = self.completed()?;
        let ready: Vec<PendingFree> = {
            let mut st = lock(&self.state)?;
            st.arena.reclaim(done);
            st.data_arena.reclaim(done);
            let (ready, keep): (Vec<_>, Vec<_>) = std::mem::take(&mut st.pending)
                .into_iter()
                .partition(|(f, _)| *f <= done);
            st.pending = keep;
            ready.into_iter().map(|(_, f)| f).collect()
        };
        // Every ready allocation is torn down even when one step fails; the first failure is
        // returned. A VA range whose UVM range or DMA mapping could not be removed is not handed
        // out again (a later mapping there would fail or alias).
        let mut first_err = None;
        for f in ready {
            let unmapped = self.backend.uvm_free(f.va, f.size).and_then(|()| {
                self.backend.rm().unmap_dma(
                    self.client.handle(),
                    self.device.handle(),
                    self.virtmem.handle(),
                    f.parts.object.handle(),
                    f.va,
                )
            });
            let cpu_mapped = f.parts.cpu.is_some();
            drop(f.parts); // munmap + RM free
            let alloc = if cpu_mapped {
                &self.low_va
            } else {
                &self.high_va
            };
            let step = unmapped.and_then(|()| free_va_now(alloc, f.va));
            if let Err(e) = step {
                first_err.get_or_insert(e);
            }
        }
        first_err.map_or(Ok(()), Err)
    }

    /// The last timeline value handed to a submission (0 before the first).
    pub fn last_submitted(&self) -> u64 {
        self.last_submitted.load(Ordering::Acquire)
    }

    /// GPU VA of the timeline semaphore (8 bytes).
    pub fn semaphore_va(&self) -> u64 {
        self.semaphore_va.load(Ordering::Acquire)
    }

    /// Submits the command words `build` produces to `engine`'s channel. `build` receives the
    /// timeline value this submission must release and the semaphore VA, and must end its commands
    /// with a release of that value. Returns the value.
    pub fn submit(
        &self,
        engine: Engine,
        build: impl FnOnce(u64, u64, &mut Vec<u32>) -> Result<()>,
    ) -> Result<u64> {
        self.submit_with_data(engine, 0, |value, sem, _data_va, _data, words| {
            build(value, sem, words)
        })
    }

    /// Reserves `bytes` of `arena` for the submission that will signal `value`. When the space is
    /// still in use, waits (bounded; the caller holds the state lock, so nothing new is submitted
    /// meanwhile) for everything submitted so far, reclaims, and tries once more.
    fn arena_alloc(
        &self,
        arena: &mut PushArena,
        bytes: u64,
        value: u64,
        wait_what: &'static str,
        what: &'static str,
    ) -> Result<u64> {
        if let Some(o) = arena.alloc(bytes, value)? {
            return Ok(o);
        }
        let last = self.last_submitted.load(Ordering::Acquire);
        let done = Timeline::wait(
            wait_what,
            last,
            Duration::from_secs(10),
            || self.completed(),
            || Ok(()),
        )?;
        arena.reclaim(done);
        arena.alloc(bytes, value)?.ok_or(Error::InvalidArgument {
            what,
            detail: "no space after waiting for idle".into(),
        })
    }

    /// Like [`NvkGpu::submit`], with `data_len` bytes of GPU-visible scratch (256-byte aligned, in
    /// system memory, reused once this submission completes): `build` also receives its GPU VA and
    /// a zeroed buffer to fill, which is copied there before the submission is published.
    pub fn submit_with_data(
        &self,
        engine: Engine,
        data_len: u64,
        build: impl FnOnce(u64, u64, u64, &mut [u8], &mut Vec<u32>) -> Result<()>,
    ) -> Result<u64> {
        let sem_va = self.semaphore_va();
        let data_guard = lock(&self.data)?;
        let data_mem = data_guard.as_ref().ok_or(Error::InvalidArgument {
            what: "data arena",
            detail: "not set up".into(),
        })?;
        let push_guard = lock(&self.push)?;
        let push = push_guard.as_ref().ok_or(Error::InvalidArgument {
            what: "pushbuffer",
            detail: "not set up".into(),
        })?;
        let area_guard = lock(&self.gpfifo_area)?;
        let area = area_guard.as_ref().ok_or(Error::InvalidArgument {
            what: "GPFIFO area",
            detail: "not set up".into(),
        })?;
        let area_cpu = area.cpu_required()?;
        let mut st = lock(&self.state)?;
        // Taken only once the entry is published (see `Timeline::peek_next`); the state lock is
        // held throughout, so no other submission can take the same value.
        let value = st.timeline.peek_next()?;
        let data_len_aligned = data_len
            .checked_add(DATA_ALIGN - 1)
            .map(|v| v & !(DATA_ALIGN - 1))
            .ok_or(Error::OutOfRange {
                what: "submission data",
                value: data_len,
                limit: DATA_ARENA_BYTES,
            })?;
        let data_off = if data_len_aligned == 0 {
            0
        } else {
            // One alignment unit of slack, so the aligned start still fits.
            let request = data_len_aligned
                .checked_add(DATA_ALIGN)
                .ok_or(Error::OutOfRange {
                    what: "submission data",
                    value: data_len,
                    limit: DATA_ARENA_BYTES,
                })?;
            let o = self.arena_alloc(
                &mut st.data_arena,
                request,
                value,
                "data arena space",
                "data arena",
            )?;
            o.checked_add(DATA_ALIGN - 1)
                .map(|v| v & !(DATA_ALIGN - 1))
                .ok_or(Error::OutOfRange {
                    what: "data arena offset",
                    value: o,
                    limit: DATA_ARENA_BYTES,
                })?
        };
        let mut data = vec![
            0u8;
            usize::try_from(data_len).map_err(|_| Error::OutOfRange {
                what: "submission data",
                value: data_len,
                limit: usize::MAX as u64
            })?
        ];
        let mut words = Vec::new();
        build(
            value,
            sem_va,
            data_mem.va() + data_off,
            &mut data,
            &mut words,
        )?;
        if !data.is_empty() {
            let off = usize::try_from(data_off).map_err(|_| Error::OutOfRange {
                what: "data offset",
                value: data_off,
                limit: usize::MAX as u64,
            })?;
            data_mem.cpu_required()?.write_bytes(off, &data)?;
        }
        let bytes = u64::try_from(words.len())
            .unwrap_or(u64::MAX)
            .saturating_mul(4);
        let offset = self.arena_alloc(
            &mut st.arena,
            bytes,
            value,
            "pushbuffer space",
            "pushbuffer",
        )?;
        let cpu = push.cpu_required()?;
        let off = usize::try_from(offset).map_err(|_| Error::OutOfRange {
            what: "pushbuffer offset",
            value: offset,
            limit: usize::MAX as u64,
        })?;
        for (i, w) in words.iter().enumerate() {
            cpu.write_u32(off + i * 4, *w)?;
        }
        let dwords = u32::try_from(words.len()).map_err(|_| Error::OutOfRange {
            what: "pushbuffer dwords",
            value: bytes / 4,
            limit: u64::from(u32::MAX),
        })?;
        let entry = gp_entry(push.va() + offset, dwords)?;
        let ch = match engine {
            Engine::Compute => st.compute.as_mut(),
            Engine::Copy => st.copy.as_mut(),
        }
        .ok_or(Error::InvalidArgument {
            what: "channel",
            detail: "not set up".into(),
        })?;
        let userd = ch.userd()?;
        let area_off = usize::try_from(ch.area_offset).map_err(|_| Error::OutOfRange {
            what: "ring offset",
            value: ch.area_offset,
            limit: usize::MAX as u64,
        })?;
        let get = area_cpu.read_u32(userd + USERD_GP_GET)?;
        let (slot, put) = ch.ring.push(get)?;
        let slot = usize::try_from(slot).unwrap_or(usize::MAX);
        area_cpu.write_u64(area_off + slot.saturating_mul(8), entry)?;
        fence(Ordering::SeqCst);
        area_cpu.write_u32(userd + USERD_GP_PUT, put)?;
        fence(Ordering::SeqCst);
        // From here the entry is visible to the GPU: the value is taken.
        let token = ch.token;
        st.timeline.commit(value);
        self.last_submitted.store(value, Ordering::Release);
        self.backend
            .ring_doorbell(&self.doorbell, DOORBELL_OFFSET, token)?;
        Ok(value)
    }

    /// Waits until the timeline reaches `value`, for at most `timeout`. While waiting, a channel
    /// error notifier that RM has written ends the wait with [`Error::GpuFault`].
    pub fn wait(&self, value: u64, timeout: Duration) -> Result<()> {
        Timeline::wait(
            "GPU timeline semaphore",
            value,
            timeout,
            || self.completed(),
            || self.check_channels(),
        )?;
        self.reclaim()
    }

    fn check_channels(&self) -> Result<()> {
        let found = {
            let st = lock(&self.state)?;
            let mut found = None;
            for ch in [st.compute.as_ref(), st.copy.as_ref()]
                .into_iter()
                .flatten()
            {
                let n = read_notifier(&ch.notifier)?;
                if n.is_error() {
                    found = Some(n);
                    break;
                }
            }
            found
        };
        match found {
            Some(n) => Err(Error::GpuFault(self.fault_report(Some(n)))),
            None => Ok(()),
        }
    }

    /// Collects the error notifier, SM error states and MMU fault records.
    pub fn fault_report(&self, notifier: Option<Notification>) -> FaultReport {
        let mut r = FaultReport {
            notifier,
            ..Default::default()
        };
        let dbg = match lock(&self.debugger) {
            Ok(dbg) => dbg,
            Err(e) => {
                r.note_unread("debugger object", &e);
                return r;
            }
        };
        if let Some((debugger, channel)) = dbg.as_ref() {
            let mut p = Box::new(abi::Nv83deReadAllSmErrorStates::zeroed());
            p.h_target_channel = channel.0;
            p.num_sms_to_read = u32::try_from(abi::NV83DE_CTRL_DEBUG_MAX_SMS_PER_CALL).unwrap_or(0);
            match debugger.control::<controls::DebugReadAllSmErrorStates>(&mut p) {
                Ok(()) => {
                    if r.add_sm_states(&p, 0, abi::NV83DE_CTRL_DEBUG_MAX_SMS_PER_CALL) {
                        let mut m = abi::Nv83deReadMmuFaultInfo::zeroed();
                        match debugger.control::<controls::DebugReadMmuFaultInfo>(&mut m) {
                            Ok(()) => r.add_mmu_faults(&m),
                            Err(e) => r.note_unread("MMU fault info", &e),
                        }
                    }
                }
                Err(e) => r.note_unread("SM error states", &e),
            }
        }
        r
    }

    /// Copies `src` into CPU-mapped GPU memory at `offset`.
    pub fn write(&self, mem: &GpuMemory, offset: u64, src: &[u8]) -> Result<()> {
        let off = usize::try_from(offset).map_err(|_| Error::OutOfRange {
            what: "offset",
            value: offset,
            limit: usize::MAX as u64,
        })?;
        mem.cpu_required()?.write_bytes(off, src)
    }

    /// Copies CPU-mapped GPU memory at `offset` into `dst`.
    pub fn read(&self, mem: &GpuMemory, offset: u64, dst: &mut [u8]) -> Result<()> {
        let off = usize::try_from(offset).map_err(|_| Error::OutOfRange {
            what: "offset",
            value: offset,
            limit: usize::MAX as u64,
        })?;
        mem.cpu_required()?.read_bytes(off, dst)
    }

    /// RM objects the backend currently has allocated for this process, when it counts them.
    pub fn live_rm_objects(&self) -> Option<usize> {
        self.backend.live_objects()
    }

    /// The chip HAL.
    pub fn hal(&self) -> &dyn Hal {
        self.hal.as_ref()
    }

    /// Submits commands `f` writes to `engine`'s channel, ordered after everything submitted
    /// before (a semaphore acquire of the previous timeline value) and followed by the release of
    /// this submission's value. `data_len` bytes of scratch are passed as in
    /// [`NvkGpu::submit_with_data`]. Returns the timeline value.
    pub fn run(
        &self,
        engine: Engine,
        data_len: u64,
        f: impl FnOnce(&mut Commands, u64, &mut [u8]) -> Result<()>,
    ) -> Result<u64> {
        let ch = self.classes.channel;
        self.submit_with_data(engine, data_len, |value, sem, data_va, data, words| {
            let mut c = Commands::new();
            if value > 1 {
                c.acquire(ch, sem, value - 1)?;
            }
            f(&mut c, data_va, data)?;
            c.release(ch, sem, value, false)?;
            words.extend_from_slice(c.words());
            Ok(())
        })
    }

    fn init_engines(&self) -> Result<()> {
        let (compute, copy) = (self.classes.compute, self.classes.copy);
        self.run(Engine::Compute, 0, |c, _, _| {
            c.set_object(SUBC_COMPUTE, compute)?;
            c.set_windows(compute, LOCAL_WINDOW, SHARED_WINDOW)
        })?;
        let v = self.run(Engine::Copy, 0, |c, _, _| c.set_object(SUBC_COPY, copy))?;
        self.wait(v, Duration::from_secs(10))
    }

    /// Makes sure local memory covers `per_thread` bytes per thread (growing it if needed, as
    /// tinygrad `_ensure_has_local_memory` does); returns the per-thread size bound.
    pub fn ensure_local_memory(self: &Arc<Self>, per_thread: u64) -> Result<u64> {
        let mut lm = lock(&self.local_mem)?;
        if let Some((_, have)) = lm.as_ref() {
            if *have >= per_thread {
                return Ok(*have);
            }
        }
        let i = &self.info;
        let (pt, per_tpc, total) = local_memory_size(
            per_thread,
            i.max_warps_per_sm,
            i.sms_per_tpc,
            i.tpcs_per_gpc,
            i.gpcs,
        )?;
        let mem = self.alloc(total, Placement::Vram { contiguous: false }, false)?;
        let (compute, va) = (self.classes.compute, mem.va());
        self.run(Engine::Compute, 0, |c, _, _| {
            c.set_local_memory(compute, va, per_tpc)
        })?;
        // The old buffer (if any) is freed once this submission has passed (deferred free).
        *lm = Some((mem, pt));
        Ok(pt)
    }

    /// Copies `len` bytes from GPU VA `src` to `dst` with the copy engine; returns the timeline
    /// value that marks completion.
    pub fn copy(&self, src: u64, dst: u64, len: u64) -> Result<u64> {
        let mut chunks = split_copy(src, dst, len, MAX_COPY_CHUNK)?.peekable();
        let ce = self.classes.copy;
        let mut last = self.last_submitted();
        while chunks.peek().is_some() {
            let group: Vec<_> = chunks.by_ref().take(64).collect();
            last = self.run(Engine::Copy, 0, |c, _, _| {
                for ch in &group {
                    c.copy(ce, ch.src, ch.dst, ch.len)?;
                }
                Ok(())
            })?;
        }
        Ok(last)
    }

    /// Records a GPU timestamp: after all earlier work, writes the next timeline value and the GPU
    /// time (ns) to the 16 bytes at `va` (8-aligned, GPU-visible). Returns the timeline value.
    pub fn timestamp(&self, va: u64) -> Result<u64> {
        let ch = self.classes.channel;
        self.run(Engine::Compute, 0, |c, _, _| {
            let v = self.last_submitted().saturating_add(1);
            c.release(ch, va, v, true)
        })
    }

    /// The subdevice object (for controls callers add).
    pub fn subdevice(&self) -> &Object<kind::Subdevice> {
        &self.subdevice
    }

    /// The device object.
    pub fn device(&self) -> &Object<kind::Device> {
        &self.device
    }

    /// The `nvidia.ko` version in use.
    pub fn driver_version(&self) -> &str {
        self.backend.driver_version()
    }
}

fn read_notifier(m: &GpuMemory) -> Result<Notification> {
    let mut b = [0u8; NOTIFICATION_SIZE];
    m.cpu_required()?
        .read_bytes(ERROR_NOTIFIER_OFFSET, &mut b)?;
    Ok(Notification::parse(&b))
}

impl Drop for NvkGpu {
    fn drop(&mut self) {
        // Give submitted work a bounded chance to finish before its memory and channels go.
        let last = self.last_submitted();
        let _ = Timeline::wait(
            "GPU idle at teardown",
            last,
            Duration::from_secs(2),
            || self.completed(),
            || Ok(()),
        );
        // Tear down memory still waiting for its fence, the channels, then the GPU's own buffers
        // (their UVM ranges too: `GpuMemory` cannot reach the GPU from its own drop any more), then
        // unregister from UVM. RM objects free themselves as the fields drop.
        let uuid = self.info.uuid;
        let client = self.client.handle();
        let backend = self.backend.clone();
        let release = |m: GpuMemory| {
            let _ = backend.uvm_free(m.va, m.size);
            drop(m);
        };
        if let Ok(d) = self.debugger.get_mut() {
            d.take(); // before the compute object it watches
        }
        if let Ok(st) = self.state.get_mut() {
            for (_, f) in st.pending.drain(..) {
                let _ = backend.uvm_free(f.va, f.size);
            }
            for ch in [st.compute.take(), st.copy.take()].into_iter().flatten() {
                let _ = backend.uvm_unregister_channel(uuid, client, ch.object.handle());
                let Channel {
                    engine,
                    object,
                    notifier,
                    ..
                } = ch;
                drop(engine);
                drop(object);
                release(notifier);
            }
        }
        if let Some((m, _)) = self.local_mem.get_mut().ok().and_then(Option::take) {
            release(m);
        }
        for m in [
            &mut self.semaphore,
            &mut self.push,
            &mut self.data,
            &mut self.gpfifo_area,
        ] {
            if let Some(m) = m.get_mut().ok().and_then(Option::take) {
                release(m);
            }
        }
        let _ = self.backend.uvm_unregister_gpu_vaspace(self.info.uuid);
        let _ = self.backend.uvm_unregister_gpu(self.info.uuid);
        // RM objects free themselves as the fields drop; the client goes last and takes anything left.
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gp_entry_matches_tinygrad_encoding() {
        // tinygrad ops_nv.py: (addr//4 << 2) | (len << 42) | (1 << 41)
        let addr = 0x12_3456_7000u64;
        assert_eq!(
            gp_entry(addr, 0x40).unwrap(),
            ((addr / 4) << 2) | (0x40 << 42) | (1 << 41)
        );
        assert!(matches!(
            gp_entry(2, 1),
            Err(crate::error::Error::InvalidArgument {
                what: "pushbuffer address",
                ..
            })
        ));
        assert!(matches!(
            gp_entry(1 << 40, 1),
            Err(crate::error::Error::InvalidArgument {
                what: "pushbuffer address",
                ..
            })
        ));
        assert!(matches!(
            gp_entry(0, 0),
            Err(crate::error::Error::OutOfRange {
                what: "pushbuffer dwords",
                ..
            })
        ));
        assert!(matches!(
            gp_entry(0, 1 << 21),
            Err(crate::error::Error::OutOfRange {
                what: "pushbuffer dwords",
                ..
            })
        ));
    }

    /// Host semaphore release of `value` at `sem` (clc56f.h: SEM_ADDR_LO 0x5c .. SEM_EXECUTE 0x6c,
    /// OPERATION_RELEASE = 1, PAYLOAD_SIZE_64BIT = bit 24), as one incrementing method group.
    fn release_words(sem: u64, value: u64) -> [u32; 6] {
        [
            (1 << 29) | (5 << 16) | (0x5c >> 2),
            (sem & 0xffff_ffff) as u32,
            (sem >> 32) as u32,
            (value & 0xffff_ffff) as u32,
            (value >> 32) as u32,
            1 | (1 << 24),
        ]
    }

    /// Bring-up, submission, deferred free and teardown against the simulated kernel driver/GPU.
    #[test]
    fn simulated_bring_up_submit_and_teardown() {
        // SAFETY: the simulator is used from this thread only.
        let sim = unsafe { crate::rm::ioctl::sim::SimGpu::new() };
        let gpu = NvkGpu::open_with(sim.clone(), 0).unwrap();
        assert_eq!(gpu.info.name, "nvbare-sim");
        assert_eq!(gpu.info.chipset_id, 0x180);
        assert_eq!(
            (gpu.classes.channel, gpu.classes.compute, gpu.classes.copy),
            (
                class::HOPPER_CHANNEL_GPFIFO_A,
                class::HOPPER_COMPUTE_A,
                class::HOPPER_DMA_COPY_A
            )
        );
        assert_eq!(sim.uvm_registered(), (true, true, 2));
        let objects_after_open = sim.live_objects();

        let before = sim.stats().releases;
        let v = gpu
            .submit(Engine::Compute, |value, sem, words| {
                words.extend(release_words(sem, value));
                Ok(())
            })
            .unwrap();
        gpu.wait(v, Duration::from_secs(1)).unwrap();
        assert_eq!(gpu.completed().unwrap(), v);
        assert_eq!(sim.stats().releases, before + 1);
        let v2 = gpu
            .submit(Engine::Copy, |value, sem, words| {
                words.extend(release_words(sem, value));
                Ok(())
            })
            .unwrap();
        assert_eq!(v2, v + 1);
        gpu.wait(v2, Duration::from_secs(1)).unwrap();

        // Memory: CPU writes are visible at the GPU VA; frees wait for the fence.
        let m = gpu
            .alloc(9 << 20, Placement::Vram { contiguous: false }, true)
            .unwrap();
        assert_eq!(m.size(), 10 << 20, "2 MiB pages from 8 MiB up");
        gpu.write(&m, 8, &[1, 2, 3, 4]).unwrap();
        assert_eq!(sim.read_va(m.va() + 8, 4).unwrap(), vec![1, 2, 3, 4]);
        let live = sim.live_objects();
        drop(m);
        gpu.reclaim().unwrap();
        assert_eq!(sim.live_objects(), live - 1, "all work done: freed at once");
        let m2 = gpu.alloc(4096, Placement::Sysmem, true).unwrap();
        let live = sim.live_objects();

        // A submission that fails while being built takes no timeline value: the next one still
        // completes (its acquire of the previous value is satisfiable).
        let e = gpu
            .submit(Engine::Compute, |_, _, _| {
                Err(Error::InvalidArgument {
                    what: "test",
                    detail: "refused".into(),
                })
            })
            .unwrap_err();
        assert!(matches!(e, Error::InvalidArgument { what: "test", .. }));
        let v3 = gpu
            .submit(Engine::Copy, |value, sem, words| {
                assert_eq!(value, v2 + 1, "the failed submission left no hole");
                words.extend(release_words(sem, value));
                Ok(())
            })
            .unwrap();
        gpu.wait(v3, Duration::from_secs(1)).unwrap();

        // A channel fault: the wait ends with a report naming the error and the faulting address.
        sim.inject_fault(31, Some((0x7_dead_0000, 2, 1))).unwrap();
        let pending = gpu
            .submit(Engine::Compute, |_, sem, words| {
                let mut w = release_words(sem, 1 << 41);
                w[5] = 3 | (1 << 24);
                words.extend(w);
                Ok(())
            })
            .unwrap();
        let e = gpu.wait(pending, Duration::from_secs(5)).unwrap_err();
        let msg = e.to_string();
        assert!(matches!(e, Error::GpuFault(_)), "{msg}");
        assert!(
            msg.contains("ROBUST_CHANNEL_FIFO_ERROR_MMU_ERR_FLT")
                && msg.contains("0x7dead0000")
                && msg.contains("PTE on WRITE"),
            "{msg}"
        );
        sim.inject_fault(0, None).unwrap();

        // A submission that waits for a value nobody writes: the wait is bounded (Timeout).
        let stuck = gpu
            .submit(Engine::Compute, |_, sem, words| {
                let mut w = release_words(sem, 1 << 40);
                w[5] = 3 | (1 << 24); // OPERATION_ACQ_CIRC_GEQ, 64-bit
                words.extend(w);
                Ok(())
            })
            .unwrap();
        let t = std::time::Instant::now();
        let e = gpu.wait(stuck, Duration::from_millis(50)).unwrap_err();
        assert!(matches!(e, Error::Timeout { .. }), "{e}");
        assert!(t.elapsed() < Duration::from_secs(1));
        drop(m2);
        gpu.reclaim().unwrap();
        assert_eq!(
            sim.live_objects(),
            live,
            "work submitted before the free is still pending: kept"
        );

        drop(gpu);
        assert_eq!(
            sim.live_objects(),
            0,
            "every RM object freed, client last ({objects_after_open} after open)"
        );
        assert_eq!(sim.live_uvm_mappings(), 0);
        assert_eq!(sim.uvm_registered(), (false, false, 0));
    }

    /// An allocation the (simulated) RM refuses comes back as its RM status and leaves no object
    /// behind.
    #[test]
    fn refused_allocation_is_typed_and_leaves_nothing() {
        // SAFETY: the simulator is used from this thread only.
        let sim = unsafe { crate::rm::ioctl::sim::SimGpu::new() };
        let gpu = NvkGpu::open_with(sim.clone(), 0).unwrap();
        let live = sim.live_objects();
        let e = gpu
            .alloc(2 << 30, Placement::Vram { contiguous: false }, true)
            .unwrap_err();
        assert!(
            matches!(e, Error::Rm { status, .. } if status == crate::rm::NvStatus::NO_MEMORY),
            "{e}"
        );
        assert_eq!(sim.live_objects(), live);
        let m = gpu
            .alloc(4096, Placement::Vram { contiguous: false }, true)
            .unwrap();
        assert_eq!(sim.live_objects(), live + 1);
        drop(m);
        gpu.reclaim().unwrap();
        assert_eq!(sim.live_objects(), live);
        drop(gpu);
        assert_eq!(sim.live_objects(), 0);
    }

    /// A data request near `u64::MAX` is a typed error (it overflowed the arena request before),
    /// and one larger than the arena is refused without waiting.
    #[test]
    fn oversized_submission_data_is_a_typed_error() {
        // SAFETY: the simulator is used from this thread only.
        let sim = unsafe { crate::rm::ioctl::sim::SimGpu::new() };
        let gpu = NvkGpu::open_with(sim.clone(), 0).unwrap();
        let before = gpu.last_submitted();
        for len in [u64::MAX - 300, u64::MAX, DATA_ARENA_BYTES + 1] {
            let e = gpu
                .submit_with_data(Engine::Compute, len, |_, _, _, _, _| Ok(()))
                .unwrap_err();
            assert!(
                matches!(
                    e,
                    Error::OutOfRange {
                        what: "submission data" | "pushbuffer bytes",
                        ..
                    }
                ),
                "{len:#x}: {e}"
            );
        }
        assert_eq!(gpu.last_submitted(), before, "nothing was submitted");
    }

    /// A failed UVM VA space registration while opening leaves the GPU unregistered and no RM
    /// object behind, so the next open succeeds.
    #[test]
    fn failed_open_undoes_uvm_registration() {
        // SAFETY: the simulator is used from this thread only.
        let sim = unsafe { crate::rm::ioctl::sim::SimGpu::new() };
        sim.refuse_uvm_vaspace(true).unwrap();
        let e = NvkGpu::open_with(sim.clone(), 0).unwrap_err();
        assert!(
            matches!(
                e,
                Error::Uvm {
                    op: "REGISTER_GPU_VASPACE",
                    ..
                }
            ),
            "{e}"
        );
        assert_eq!(sim.uvm_registered(), (false, false, 0));
        assert_eq!(sim.live_objects(), 0);
        sim.refuse_uvm_vaspace(false).unwrap();
        let gpu = NvkGpu::open_with(sim.clone(), 0).unwrap();
        assert_eq!(sim.uvm_registered(), (true, true, 2));
        drop(gpu);
        assert_eq!(sim.live_objects(), 0);
    }

    #[test]
    fn local_memory_sizing() {
        // H100-like: 64 warps/SM, 2 SM/TPC, 9 TPC/GPC, 8 GPC; 0x240 bytes per thread.
        let (pt, tpc, total) = local_memory_size(0x240, 64, 2, 9, 8).unwrap();
        assert_eq!(pt, 0x240);
        assert_eq!(tpc, 0x24_0000); // 0x240*32 = 0x4800 (already 0x200-aligned) * 64 * 2 = 0x24_0000, 0x8000-aligned
        assert_eq!(total, 0x24_0000 * 72);
        let (pt, ..) = local_memory_size(1, 64, 2, 9, 8).unwrap();
        assert_eq!(pt, 32);
        assert!(matches!(
            local_memory_size(u64::MAX, 64, 2, 9, 8),
            Err(crate::error::Error::OutOfRange {
                what: "local memory size",
                ..
            })
        ));
        assert_eq!(local_memory_size(0, 64, 2, 9, 8).unwrap(), (0, 0, 0));
    }

    #[test]
    fn va_windows_do_not_overlap() {
        assert!(LOW_VA.0 + LOW_VA.1 <= HIGH_VA.0);
        assert_eq!(HIGH_VA.0 + HIGH_VA.1, 1 << 48);
        assert!(2 * CHANNEL_AREA_STRIDE >= u64::from(GPFIFO_ENTRIES) * 8 + 0x200);
    }
}
