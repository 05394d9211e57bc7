//! What [`super::nvk::NvkGpu`] needs from the kernel side: RM calls, CPU mappings, OS descriptors and
//! the UVM calls. [`KernelDriver`] is the real one (`nvidia.ko` + `nvidia-uvm.ko`); tests use an
//! in-memory stand-in to check the object graph, submissions and teardown without a GPU.

use crate::error::Result;
use crate::rm::abi::r580::Uuid;
use crate::rm::ioctl::uvm::Uvm;
use crate::rm::ioctl::{CardInfo, MapVia, NvidiaCtl};
use crate::rm::{CpuMapping, Handle, Rm};
use std::fmt;
use std::sync::Arc;

/// The kernel-side services of the `nvidia.ko` backend.
pub trait NvkBackend: Send + Sync + fmt::Debug {
    /// The RM call carrier.
    fn rm(&self) -> Arc<dyn Rm>;
    /// Driver version string.
    fn driver_version(&self) -> &str;
    /// GPUs present.
    fn card_info(&self) -> Result<Vec<CardInfo>>;
    /// Records which `/dev/nvidia<minor>` a device object belongs to.
    fn note_device(&self, device: Handle, minor: u32);
    /// Maps RM memory into this process.
    #[allow(clippy::too_many_arguments)]
    fn map_memory(
        &self,
        client: Handle,
        device: Handle,
        memory: Handle,
        offset: u64,
        length: u64,
        flags: u32,
        via: MapVia,
    ) -> Result<CpuMapping>;
    /// Registers this process's memory at `addr` as an OS descriptor.
    fn alloc_os_descriptor(
        &self,
        client: Handle,
        device: Handle,
        addr: usize,
        len: u64,
    ) -> Result<Handle>;
    /// `UVM_REGISTER_GPU`.
    fn uvm_register_gpu(&self, uuid: Uuid) -> Result<()>;
    /// `UVM_UNREGISTER_GPU`.
    fn uvm_unregister_gpu(&self, uuid: Uuid) -> Result<()>;
    /// `UVM_REGISTER_GPU_VASPACE`.
    fn uvm_register_gpu_vaspace(&self, uuid: Uuid, client: Handle, vaspace: Handle) -> Result<()>;
    /// `UVM_UNREGISTER_GPU_VASPACE`.
    fn uvm_unregister_gpu_vaspace(&self, uuid: Uuid) -> Result<()>;
    /// `UVM_REGISTER_CHANNEL`.
    fn uvm_register_channel(
        &self,
        uuid: Uuid,
        client: Handle,
        channel: Handle,
        base: u64,
        length: u64,
    ) -> Result<()>;
    /// `UVM_UNREGISTER_CHANNEL`.
    fn uvm_unregister_channel(&self, uuid: Uuid, client: Handle, channel: Handle) -> Result<()>;
    /// `UVM_CREATE_EXTERNAL_RANGE`.
    fn uvm_create_external_range(&self, base: u64, length: u64) -> Result<()>;
    /// `UVM_MAP_EXTERNAL_ALLOCATION`.
    fn uvm_map_external_allocation(
        &self,
        uuid: Uuid,
        client: Handle,
        memory: Handle,
        base: u64,
        length: u64,
    ) -> Result<()>;
    /// `UVM_FREE`.
    fn uvm_free(&self, base: u64, length: u64) -> Result<()>;
    /// RM objects currently allocated through this backend, when it counts them.
    fn live_objects(&self) -> Option<usize> {
        None
    }
    /// Tells the GPU a channel has new work: writes the channel's work-submit `token` to the
    /// usermode doorbell register at `offset`.
    fn ring_doorbell(&self, doorbell: &CpuMapping, offset: usize, token: u32) -> Result<()> {
        doorbell.write_u32(offset, token)
    }
}

/// `/dev/nvidiactl` + `/dev/nvidia-uvm`.
#[derive(Debug)]
pub struct KernelDriver {
    /// The RM control connection.
    pub ctl: Arc<NvidiaCtl>,
    /// The UVM file.
    pub uvm: Uvm,
}

impl KernelDriver {
    /// Opens UVM next to an open control connection.
    pub fn new(ctl: Arc<NvidiaCtl>) -> Result<Self> {
        Ok(KernelDriver {
            ctl,
            uvm: Uvm::open()?,
        })
    }
}

impl NvkBackend for KernelDriver {
    fn rm(&self) -> Arc<dyn Rm> {
        self.ctl.clone()
    }
    fn driver_version(&self) -> &str {
        self.ctl.driver_version()
    }
    fn card_info(&self) -> Result<Vec<CardInfo>> {
        self.ctl.card_info()
    }
    fn note_device(&self, device: Handle, minor: u32) {
        self.ctl.note_device(device, minor)
    }
    fn map_memory(
        &self,
        client: Handle,
        device: Handle,
        memory: Handle,
        offset: u64,
        length: u64,
        flags: u32,
        via: MapVia,
    ) -> Result<CpuMapping> {
        self.ctl
            .map_memory(client, device, memory, offset, length, flags, via)
    }
    fn alloc_os_descriptor(
        &self,
        client: Handle,
        device: Handle,
        addr: usize,
        len: u64,
    ) -> Result<Handle> {
        self.ctl.alloc_os_descriptor(client, device, addr, len)
    }
    fn uvm_register_gpu(&self, uuid: Uuid) -> Result<()> {
        self.uvm.register_gpu(uuid)
    }
    fn uvm_unregister_gpu(&self, uuid: Uuid) -> Result<()> {
        self.uvm.unregister_gpu(uuid)
    }
    fn uvm_register_gpu_vaspace(&self, uuid: Uuid, client: Handle, vaspace: Handle) -> Result<()> {
        self.uvm
            .register_gpu_vaspace(uuid, self.ctl.ctl_fd(), client, vaspace)
    }
    fn uvm_unregister_gpu_vaspace(&self, uuid: Uuid) -> Result<()> {
        self.uvm.unregister_gpu_vaspace(uuid)
    }
    fn uvm_register_channel(
        &self,
        uuid: Uuid,
        client: Handle,
        channel: Handle,
        base: u64,
        length: u64,
    ) -> Result<()> {
        self.uvm
            .register_channel(uuid, self.ctl.ctl_fd(), client, channel, base, length)
    }
    fn uvm_unregister_channel(&self, uuid: Uuid, client: Handle, channel: Handle) -> Result<()> {
        self.uvm.unregister_channel(uuid, client, channel)
    }
    fn uvm_create_external_range(&self, base: u64, length: u64) -> Result<()> {
        self.uvm.create_external_range(base, length)
    }
    fn uvm_map_external_allocation(
        &self,
        uuid: Uuid,
        client: Handle,
        memory: Handle,
        base: u64,
        length: u64,
    ) -> Result<()> {
        self.uvm
            .map_external_allocation(uuid, self.ctl.ctl_fd(), client, memory, base, length)
    }
    fn uvm_free(&self, base: u64, length: u64) -> Result<()> {
        self.uvm.free(base, length)
    }
    fn live_objects(&self) -> Option<usize> {
        Some(self.ctl.live_objects())
    }
}
