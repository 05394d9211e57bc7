//! `/dev/nvidia-uvm`: registering the GPU, its VA space and channels with UVM, and placing RM
//! memory at fixed GPU virtual addresses (external ranges), as CUDA and tinygrad (`ops_nv.py`,
//! `NVKIface`) do on `nvidia.ko`.
//!
//! Request numbers are UVM's plain command numbers (`UVM_IOCTL_BASE(i)` is `i` on Linux,
//! uvm_ioctl.h); every parameter struct ends with an `rmStatus` reported as [`Error::Uvm`].
//!
//! **Unverified**: not run against `nvidia-uvm.ko` (no GPU available to this work).

use super::super::abi::r580 as abi;
use super::super::abi::Pod;
use super::super::{Handle, NvStatus};
use super::{open_node, NVIDIA_UVM};
use crate::error::{Error, Result};
use nix::libc;
use std::fs::File;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};

fn uvm_ioctl<P: Pod>(
    fd: BorrowedFd<'_>,
    cmd: abi::UvmCmd<P>,
    params: &mut P,
    op: &'static str,
    status: impl Fn(&P) -> u32,
) -> Result<()> {
    let ptr: *mut P = params;
    // The request is UVM's plain command number; UVM reads `sizeof(params)` for that command.
    let req = nix::sys::ioctl::ioctl_num_type::from(cmd.nr);
    // SAFETY: `ptr` points to a live, exclusively borrowed `P`, and `cmd: UvmCmd<P>` ties the
    // command to exactly that struct, whose layout is UVM's (size-tested in abi::r580); `P: Pod`
    // makes whatever UVM writes back valid (SAFETY.md, "nvidia.ko ioctls").
    let ret = unsafe { libc::ioctl(fd.as_raw_fd(), req, ptr) };
    if ret < 0 {
        return Err(Error::Ioctl {
            op,
            node: NVIDIA_UVM,
            source: std::io::Error::last_os_error(),
        });
    }
    NvStatus(status(params))
        .check()
        .map_err(|status| Error::Uvm { op, status })
}

/// An initialized `/dev/nvidia-uvm` file (one per process is enough).
#[derive(Debug)]
pub struct Uvm {
    fd: File,
    /// Second fd used only for `UVM_MM_INITIALIZE` (it must be a different open file).
    _mm_fd: Option<File>,
}

impl Uvm {
    /// Opens and initializes UVM (`UVM_INITIALIZE`, then `UVM_MM_INITIALIZE` on a second fd; its
    /// failure is tolerated, as CUDA does, since older modules lack it).
    pub fn open() -> Result<Self> {
        let fd = open_node(NVIDIA_UVM)?;
        let mut init = abi::UvmInitialize::zeroed();
        uvm_ioctl(
            fd.as_fd(),
            abi::UVM_INITIALIZE,
            &mut init,
            "INITIALIZE",
            |p| p.rm_status,
        )?;
        let mm_fd = open_node(NVIDIA_UVM).ok().filter(|mm| {
            let mut p = abi::UvmMmInitialize {
                uvm_fd: fd.as_raw_fd(),
                rm_status: 0,
            };
            uvm_ioctl(
                mm.as_fd(),
                abi::UVM_MM_INITIALIZE,
                &mut p,
                "MM_INITIALIZE",
                |p| p.rm_status,
            )
            .is_ok()
        });
        Ok(Uvm { fd, _mm_fd: mm_fd })
    }

    /// `UVM_REGISTER_GPU` for a whole (non-MIG) GPU: `rmCtrlFd = -1` lets UVM use its own RM
    /// client, as tinygrad does (a control fd and client are only needed for MIG partitions).
    pub fn register_gpu(&self, uuid: abi::Uuid) -> Result<()> {
        let mut p = abi::UvmRegisterGpu::zeroed();
        p.gpu_uuid = uuid;
        p.rm_ctrl_fd = -1;
        uvm_ioctl(
            self.fd.as_fd(),
            abi::UVM_REGISTER_GPU,
            &mut p,
            "REGISTER_GPU",
            |p| p.rm_status,
        )
    }

    /// `UVM_UNREGISTER_GPU`.
    pub fn unregister_gpu(&self, uuid: abi::Uuid) -> Result<()> {
        let mut p = abi::UvmUnregisterGpu {
            gpu_uuid: uuid,
            rm_status: 0,
        };
        uvm_ioctl(
            self.fd.as_fd(),
            abi::UVM_UNREGISTER_GPU,
            &mut p,
            "UNREGISTER_GPU",
            |p| p.rm_status,
        )
    }

    /// `UVM_REGISTER_GPU_VASPACE`.
    pub fn register_gpu_vaspace(
        &self,
        uuid: abi::Uuid,
        ctl: BorrowedFd<'_>,
        client: Handle,
        vaspace: Handle,
    ) -> Result<()> {
        let mut p = abi::UvmRegisterGpuVaSpace {
            gpu_uuid: uuid,
            rm_ctrl_fd: ctl.as_raw_fd(),
            h_client: client.0,
            h_va_space: vaspace.0,
            rm_status: 0,
        };
        uvm_ioctl(
            self.fd.as_fd(),
            abi::UVM_REGISTER_GPU_VASPACE,
            &mut p,
            "REGISTER_GPU_VASPACE",
            |p| p.rm_status,
        )
    }

    /// `UVM_UNREGISTER_GPU_VASPACE`.
    pub fn unregister_gpu_vaspace(&self, uuid: abi::Uuid) -> Result<()> {
        let mut p = abi::UvmUnregisterGpu {
            gpu_uuid: uuid,
            rm_status: 0,
        };
        uvm_ioctl(
            self.fd.as_fd(),
            abi::UVM_UNREGISTER_GPU_VASPACE,
            &mut p,
            "UNREGISTER_GPU_VASPACE",
            |p| p.rm_status,
        )
    }

    /// `UVM_REGISTER_CHANNEL`: tells UVM about a channel and the VA range reserved for its
    /// RM-internal buffers.
    pub fn register_channel(
        &self,
        uuid: abi::Uuid,
        ctl: BorrowedFd<'_>,
        client: Handle,
        channel: Handle,
        base: u64,
        length: u64,
    ) -> Result<()> {
        let mut p = abi::UvmRegisterChannel::zeroed();
        p.gpu_uuid = uuid;
        p.rm_ctrl_fd = ctl.as_raw_fd();
        p.h_client = client.0;
        p.h_channel = channel.0;
        p.base = base;
        p.length = length;
        uvm_ioctl(
            self.fd.as_fd(),
            abi::UVM_REGISTER_CHANNEL,
            &mut p,
            "REGISTER_CHANNEL",
            |p| p.rm_status,
        )
    }

    /// `UVM_UNREGISTER_CHANNEL`.
    pub fn unregister_channel(
        &self,
        uuid: abi::Uuid,
        client: Handle,
        channel: Handle,
    ) -> Result<()> {
        let mut p = abi::UvmUnregisterChannel {
            gpu_uuid: uuid,
            h_client: client.0,
            h_channel: channel.0,
            rm_status: 0,
        };
        uvm_ioctl(
            self.fd.as_fd(),
            abi::UVM_UNREGISTER_CHANNEL,
            &mut p,
            "UNREGISTER_CHANNEL",
            |p| p.rm_status,
        )
    }

    /// `UVM_CREATE_EXTERNAL_RANGE`: reserves `[base, base+length)` for external allocations.
    pub fn create_external_range(&self, base: u64, length: u64) -> Result<()> {
        let mut p = abi::UvmRange {
            base,
            length,
            rm_status: 0,
            _pad: 0,
        };
        uvm_ioctl(
            self.fd.as_fd(),
            abi::UVM_CREATE_EXTERNAL_RANGE,
            &mut p,
            "CREATE_EXTERNAL_RANGE",
            |p| p.rm_status,
        )
    }

    /// `UVM_MAP_EXTERNAL_ALLOCATION`: maps RM memory `memory` at `base` on the GPU `uuid`.
    pub fn map_external_allocation(
        &self,
        uuid: abi::Uuid,
        ctl: BorrowedFd<'_>,
        client: Handle,
        memory: Handle,
        base: u64,
        length: u64,
    ) -> Result<()> {
        let mut p = Box::new(abi::UvmMapExternalAllocation::zeroed());
        p.base = base;
        p.length = length;
        if let Some(a) = p.per_gpu_attributes.first_mut() {
            a.gpu_uuid = uuid;
            a.gpu_mapping_type = abi::UVM_GPU_MAPPING_TYPE_READ_WRITE_ATOMIC;
        }
        p.gpu_attributes_count = 1;
        p.rm_ctrl_fd = ctl.as_raw_fd();
        p.h_client = client.0;
        p.h_memory = memory.0;
        uvm_ioctl(
            self.fd.as_fd(),
            abi::UVM_MAP_EXTERNAL_ALLOCATION,
            &mut *p,
            "MAP_EXTERNAL_ALLOCATION",
            |p| p.rm_status,
        )
    }

    /// `UVM_FREE`: removes the range starting at `base`.
    pub fn free(&self, base: u64, length: u64) -> Result<()> {
        let mut p = abi::UvmRange {
            base,
            length,
            rm_status: 0,
            _pad: 0,
        };
        uvm_ioctl(self.fd.as_fd(), abi::UVM_FREE, &mut p, "FREE", |p| {
            p.rm_status
        })
    }
}
