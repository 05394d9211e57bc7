//! Parameter structs of the 580 driver branch, transcribed from NVIDIA/open-gpu-kernel-modules tag
//! `580.142`:
//! - `src/common/sdk/nvidia/inc/nvos.h` (NVOS00/02/21/33/34/46/47/54/64, memory/VA space/context
//!   share/channel group parameters, NVOS flag fields),
//! - `src/nvidia/arch/nvalloc/unix/include/nv-ioctl.h`, `nv-ioctl-numbers.h`, `nv_escape.h`,
//!   `nv-unix-nvos-params-wrappers.h` (the `/dev/nvidiactl` escapes and their structs),
//! - `src/common/sdk/nvidia/inc/class/cl0080.h`, `cl2080.h`, `cl0070.h`, `cl83de.h`,
//!   `alloc/alloc_channel.h` (allocation parameters),
//! - `src/common/sdk/nvidia/inc/ctrl/...` (control parameters, cited per struct),
//! - `kernel-open/nvidia-uvm/uvm_ioctl.h`, `uvm_linux_ioctl.h`, `uvm_types.h` (UVM ioctls).
//!
//! Implicit C padding is written out as `_pad*` fields. Sizes and offsets are tested below against
//! numbers obtained by compiling those headers (x86_64/aarch64 LP64 ABI).
#![allow(missing_docs)]

use super::pod;

/// `NvHandle`.
pub type NvHandle = u32;

// ---------------------------------------------------------------------------------------------
// /dev/nvidiactl escapes (nv_escape.h, nv-ioctl-numbers.h)

/// `NV_IOCTL_MAGIC`.
pub const NV_IOCTL_MAGIC: u8 = b'F';
/// `NV_IOCTL_BASE`: first of the Linux-specific escapes.
pub const NV_IOCTL_BASE: u8 = 200;
pub const NV_ESC_RM_ALLOC_MEMORY: u8 = 0x27;
pub const NV_ESC_RM_FREE: u8 = 0x29;
pub const NV_ESC_RM_CONTROL: u8 = 0x2a;
pub const NV_ESC_RM_ALLOC: u8 = 0x2b;
pub const NV_ESC_RM_MAP_MEMORY: u8 = 0x4e;
pub const NV_ESC_RM_UNMAP_MEMORY: u8 = 0x4f;
pub const NV_ESC_RM_MAP_MEMORY_DMA: u8 = 0x57;
pub const NV_ESC_RM_UNMAP_MEMORY_DMA: u8 = 0x58;
pub const NV_ESC_CARD_INFO: u8 = NV_IOCTL_BASE;
pub const NV_ESC_REGISTER_FD: u8 = NV_IOCTL_BASE + 1;
pub const NV_ESC_CHECK_VERSION_STR: u8 = NV_IOCTL_BASE + 10;

/// `NV_MAX_DEVICES` (nvlimits.h).
pub const NV_MAX_DEVICES: usize = 32;
/// `NV_MAX_SUBDEVICES` (nvlimits.h).
pub const NV_MAX_SUBDEVICES: usize = 8;

// ---------------------------------------------------------------------------------------------
// RM core calls (nvos.h)

/// `NVOS00_PARAMETERS` (free).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Nvos00 {
    pub h_root: NvHandle,
    pub h_object_parent: NvHandle,
    pub h_object_old: NvHandle,
    pub status: u32,
}

/// `NVOS02_PARAMETERS` (`NV_ESC_RM_ALLOC_MEMORY`: OS descriptors, system memory).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Nvos02 {
    pub h_root: NvHandle,
    pub h_object_parent: NvHandle,
    pub h_object_new: NvHandle,
    pub h_class: u32,
    pub flags: u32,
    pub _pad0: u32,
    pub p_memory: u64,
    pub limit: u64,
    pub status: u32,
    pub _pad1: u32,
}

/// `nv_ioctl_nvos02_parameters_with_fd`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Nvos02WithFd {
    pub params: Nvos02,
    pub fd: i32,
    pub _pad: u32,
}

/// `NVOS21_PARAMETERS` (alloc).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Nvos21 {
    pub h_root: NvHandle,
    pub h_object_parent: NvHandle,
    pub h_object_new: NvHandle,
    pub h_class: u32,
    pub p_alloc_parms: u64,
    pub params_size: u32,
    pub status: u32,
}

/// `NVOS64_PARAMETERS` (alloc with requested access rights).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Nvos64 {
    pub h_root: NvHandle,
    pub h_object_parent: NvHandle,
    pub h_object_new: NvHandle,
    pub h_class: u32,
    pub p_alloc_parms: u64,
    pub p_rights_requested: u64,
    pub params_size: u32,
    pub flags: u32,
    pub status: u32,
    pub _pad: u32,
}

/// `NVOS33_PARAMETERS` (map memory for the CPU).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Nvos33 {
    pub h_client: NvHandle,
    pub h_device: NvHandle,
    pub h_memory: NvHandle,
    pub _pad0: u32,
    pub offset: u64,
    pub length: u64,
    pub p_linear_address: u64,
    pub status: u32,
    pub flags: u32,
}

/// `nv_ioctl_nvos33_parameters_with_fd`: the `/dev/nvidia<N>` fd the mapping is later `mmap`ed from.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Nvos33WithFd {
    pub params: Nvos33,
    pub fd: i32,
    pub _pad: u32,
}

/// `NVOS34_PARAMETERS` (unmap CPU mapping).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Nvos34 {
    pub h_client: NvHandle,
    pub h_device: NvHandle,
    pub h_memory: NvHandle,
    pub _pad0: u32,
    pub p_linear_address: u64,
    pub status: u32,
    pub flags: u32,
}

/// `NVOS46_PARAMETERS` (map memory into a GPU VA space).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Nvos46 {
    pub h_client: NvHandle,
    pub h_device: NvHandle,
    pub h_dma: NvHandle,
    pub h_memory: NvHandle,
    pub offset: u64,
    pub length: u64,
    pub flags: u32,
    pub flags2: u32,
    pub kind_override: u32,
    pub _pad0: u32,
    pub dma_offset: u64,
    pub status: u32,
    pub _pad1: u32,
}

/// `NVOS47_PARAMETERS` (unmap GPU mapping).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Nvos47 {
    pub h_client: NvHandle,
    pub h_device: NvHandle,
    pub h_dma: NvHandle,
    pub h_memory: NvHandle,
    pub flags: u32,
    pub _pad0: u32,
    pub dma_offset: u64,
    pub size: u64,
    pub status: u32,
    pub _pad1: u32,
}

/// `NVOS54_PARAMETERS` (control).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Nvos54 {
    pub h_client: NvHandle,
    pub h_object: NvHandle,
    pub cmd: u32,
    pub flags: u32,
    pub params: u64,
    pub params_size: u32,
    pub status: u32,
}

// NVOS02 flags (nvos.h)
pub const NVOS02_FLAGS_PHYSICALITY_NONCONTIGUOUS: (u32, u32, u32) = (7, 4, 1);
pub const NVOS02_FLAGS_COHERENCY_CACHED: (u32, u32, u32) = (15, 12, 1);
pub const NVOS02_FLAGS_MAPPING_NO_MAP: (u32, u32, u32) = (31, 30, 1);

// NVOS33 flags (nvos.h): CACHING_TYPE 25:23.
pub const NVOS33_FLAGS_CACHING_TYPE_CACHED: (u32, u32, u32) = (25, 23, 0);
pub const NVOS33_FLAGS_CACHING_TYPE_UNCACHED: (u32, u32, u32) = (25, 23, 1);
pub const NVOS33_FLAGS_CACHING_TYPE_WRITECOMBINED: (u32, u32, u32) = (25, 23, 2);

// NVOS46 flags (nvos.h)
pub const NVOS46_FLAGS_CACHE_SNOOP_ENABLE: (u32, u32, u32) = (4, 4, 1);
pub const NVOS46_FLAGS_PAGE_SIZE_4KB: (u32, u32, u32) = (11, 8, 1);
pub const NVOS46_FLAGS_PAGE_SIZE_BIG: (u32, u32, u32) = (11, 8, 2);
pub const NVOS46_FLAGS_PAGE_SIZE_HUGE: (u32, u32, u32) = (11, 8, 4);
pub const NVOS46_FLAGS_DMA_OFFSET_FIXED_TRUE: (u32, u32, u32) = (15, 15, 1);

// NVOS32 attributes for NV_MEMORY_ALLOCATION_PARAMS (nvos.h)
pub const NVOS32_TYPE_IMAGE: u32 = 0;
pub const NVOS32_TYPE_NOTIFIER: u32 = 13;
pub const NVOS32_ATTR_PAGE_SIZE_4KB: (u32, u32, u32) = (24, 23, 1);
pub const NVOS32_ATTR_PAGE_SIZE_BIG: (u32, u32, u32) = (24, 23, 2);
pub const NVOS32_ATTR_PAGE_SIZE_HUGE: (u32, u32, u32) = (24, 23, 3);
pub const NVOS32_ATTR_LOCATION_VIDMEM: (u32, u32, u32) = (26, 25, 0);
pub const NVOS32_ATTR_LOCATION_PCI: (u32, u32, u32) = (26, 25, 1);
pub const NVOS32_ATTR_PHYSICALITY_CONTIGUOUS: (u32, u32, u32) = (28, 27, 2);
pub const NVOS32_ATTR_PHYSICALITY_ALLOW_NONCONTIGUOUS: (u32, u32, u32) = (28, 27, 3);
pub const NVOS32_ATTR2_ZBC_PREFER_NO_ZBC: (u32, u32, u32) = (1, 0, 1);
pub const NVOS32_ATTR2_GPU_CACHEABLE_YES: (u32, u32, u32) = (3, 2, 1);
pub const NVOS32_ATTR2_GPU_CACHEABLE_NO: (u32, u32, u32) = (3, 2, 2);
pub const NVOS32_ATTR2_PAGE_SIZE_HUGE_2MB: (u32, u32, u32) = (21, 20, 1);
pub const NVOS32_ALLOC_FLAGS_IGNORE_BANK_PLACEMENT: u32 = 0x1;
pub const NVOS32_ALLOC_FLAGS_ALIGNMENT_FORCE: u32 = 0x100;
pub const NVOS32_ALLOC_FLAGS_MEMORY_HANDLE_PROVIDED: u32 = 0x4000;
pub const NVOS32_ALLOC_FLAGS_MAP_NOT_REQUIRED: u32 = 0x8000;
pub const NVOS32_ALLOC_FLAGS_PERSISTENT_VIDMEM: u32 = 0x10000;

/// Places a `(hi, lo, value)` field constant.
pub const fn f((hi, lo, v): (u32, u32, u32)) -> u32 {
    let _ = hi;
    v << lo
}

// ---------------------------------------------------------------------------------------------
// Linux escapes (nv-ioctl.h)

/// `nv_pci_info_t`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct NvPciInfo {
    pub domain: u32,
    pub bus: u8,
    pub slot: u8,
    pub function: u8,
    pub _pad: u8,
    pub vendor_id: u16,
    pub device_id: u16,
}

/// `nv_ioctl_card_info_t` (`NV_ESC_CARD_INFO` takes an array of these).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct CardInfo {
    pub valid: u8,
    pub _pad0: [u8; 3],
    pub pci_info: NvPciInfo,
    pub gpu_id: u32,
    pub interrupt_line: u16,
    pub _pad1: [u8; 2],
    pub reg_address: u64,
    pub reg_size: u64,
    pub fb_address: u64,
    pub fb_size: u64,
    pub minor_number: u32,
    pub dev_name: [u8; 10],
    pub _pad2: [u8; 2],
}

/// `NV_RM_API_VERSION_STRING_LENGTH`.
pub const NV_RM_API_VERSION_STRING_LENGTH: usize = 64;
/// `NV_RM_API_VERSION_CMD_STRICT`.
pub const NV_RM_API_VERSION_CMD_STRICT: u32 = 0;
/// `NV_RM_API_VERSION_CMD_QUERY` (`'2'`).
pub const NV_RM_API_VERSION_CMD_QUERY: u32 = b'2' as u32;
/// `NV_RM_API_VERSION_REPLY_RECOGNIZED`.
pub const NV_RM_API_VERSION_REPLY_RECOGNIZED: u32 = 1;

/// `nv_ioctl_rm_api_version_t` (`NV_ESC_CHECK_VERSION_STR`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct RmApiVersion {
    pub cmd: u32,
    pub reply: u32,
    pub version_string: [u8; NV_RM_API_VERSION_STRING_LENGTH],
}

/// `nv_ioctl_register_fd_t`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct RegisterFd {
    pub ctl_fd: i32,
}

// ---------------------------------------------------------------------------------------------
// Allocation parameters

/// `NV0080_ALLOC_PARAMETERS` (cl0080.h).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Nv0080Alloc {
    pub device_id: u32,
    pub h_client_share: NvHandle,
    pub h_target_client: NvHandle,
    pub h_target_device: NvHandle,
    pub flags: u32,
    pub _pad0: u32,
    pub va_space_size: u64,
    pub va_start_internal: u64,
    pub va_limit_internal: u64,
    pub va_mode: u32,
    pub _pad1: u32,
}
/// `NV_DEVICE_ALLOCATION_VAMODE_OPTIONAL_MULTIPLE_VASPACES` (nvos.h).
pub const NV_DEVICE_ALLOCATION_VAMODE_OPTIONAL_MULTIPLE_VASPACES: u32 = 0;

/// `NV2080_ALLOC_PARAMETERS` (cl2080.h).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Nv2080Alloc {
    pub sub_device_id: u32,
}

/// `NV_MEMORY_VIRTUAL_ALLOCATION_PARAMS` (cl0070.h).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct MemoryVirtualAlloc {
    pub offset: u64,
    pub limit: u64,
    pub h_va_space: NvHandle,
    pub _pad: u32,
}

/// `NV_MEMORY_ALLOCATION_PARAMS` (nvos.h).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct MemoryAlloc {
    pub owner: u32,
    pub type_: u32,
    pub flags: u32,
    pub width: u32,
    pub height: u32,
    pub pitch: i32,
    pub attr: u32,
    pub attr2: u32,
    pub format: u32,
    pub compr_covg: u32,
    pub zcull_covg: u32,
    pub _pad0: u32,
    pub range_lo: u64,
    pub range_hi: u64,
    pub size: u64,
    pub alignment: u64,
    pub offset: u64,
    pub limit: u64,
    pub address: u64,
    pub ctag_offset: u32,
    pub h_va_space: NvHandle,
    pub internalflags: u32,
    pub tag: u32,
    pub numa_node: i32,
    pub _pad1: u32,
}

/// `NV_VASPACE_ALLOCATION_PARAMETERS` (nvos.h).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct VaSpaceAlloc {
    pub index: u32,
    pub flags: u32,
    pub va_size: u64,
    pub va_start_internal: u64,
    pub va_limit_internal: u64,
    pub big_page_size: u32,
    pub _pad0: u32,
    pub va_base: u64,
    pub pasid: u32,
    pub _pad1: u32,
}
pub const NV_VASPACE_ALLOCATION_FLAGS_IS_EXTERNALLY_OWNED: u32 = 1 << 3;
pub const NV_VASPACE_ALLOCATION_FLAGS_ENABLE_PAGE_FAULTING: u32 = 1 << 6;

/// `NV_CHANNEL_GROUP_ALLOCATION_PARAMETERS` (nvos.h).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ChannelGroupAlloc {
    pub h_object_error: NvHandle,
    pub h_object_ecc_error: NvHandle,
    pub h_va_space: NvHandle,
    pub engine_type: u32,
    pub b_is_calling_context_vgpu_plugin: u8,
    pub _pad: [u8; 3],
}
/// `NV2080_ENGINE_TYPE_GRAPHICS` (cl2080_notification.h).
pub const NV2080_ENGINE_TYPE_GRAPHICS: u32 = 1;

/// `NV_CTXSHARE_ALLOCATION_PARAMETERS` (nvos.h).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct CtxShareAlloc {
    pub h_va_space: NvHandle,
    pub flags: u32,
    pub subctx_id: u32,
}
/// `NV_CTXSHARE_ALLOCATION_FLAGS_SUBCONTEXT_ASYNC` (field 1:0).
pub const NV_CTXSHARE_ALLOCATION_FLAGS_SUBCONTEXT_ASYNC: u32 = 1;

/// `NV_MEMORY_DESC_PARAMS` (alloc/alloc_channel.h).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct MemoryDesc {
    pub base: u64,
    pub size: u64,
    pub address_space: u32,
    pub cache_attrib: u32,
}

/// `NV_CHANNEL_ALLOC_PARAMS` = `NV_CHANNELGPFIFO_ALLOCATION_PARAMETERS` (alloc/alloc_channel.h).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ChannelAlloc {
    pub h_object_error: NvHandle,
    pub h_object_buffer: NvHandle,
    pub gp_fifo_offset: u64,
    pub gp_fifo_entries: u32,
    pub flags: u32,
    pub h_context_share: NvHandle,
    pub h_va_space: NvHandle,
    pub h_userd_memory: [NvHandle; NV_MAX_SUBDEVICES],
    pub userd_offset: [u64; NV_MAX_SUBDEVICES],
    pub engine_type: u32,
    pub cid: u32,
    pub sub_device_id: u32,
    pub h_object_ecc_error: NvHandle,
    pub instance_mem: MemoryDesc,
    pub userd_mem: MemoryDesc,
    pub ramfc_mem: MemoryDesc,
    pub mthdbuf_mem: MemoryDesc,
    pub h_phys_channel_group: NvHandle,
    pub internal_flags: u32,
    pub error_notifier_mem: MemoryDesc,
    pub ecc_error_notifier_mem: MemoryDesc,
    pub process_id: u32,
    pub sub_process_id: u32,
    pub encrypt_iv: [u32; 3],
    pub decrypt_iv: [u32; 3],
    pub hmac_nonce: [u32; 8],
    pub tpc_config_id: u32,
    pub _pad: u32,
}

/// `NV83DE_ALLOC_PARAMETERS` (cl83de.h).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Nv83deAlloc {
    pub h_debugger_client_obsolete: NvHandle,
    pub h_app_client: NvHandle,
    pub h_class_3d_object: NvHandle,
}

// ---------------------------------------------------------------------------------------------
// Control parameters

/// `NV0000_CTRL_SYSTEM_GET_BUILD_VERSION_V2_PARAMS` (ctrl0000/ctrl0000system.h).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Nv0000GetBuildVersionV2 {
    pub driver_version_buffer: [u8; 256],
    pub version_buffer: [u8; 256],
    pub driver_branch: [u8; 256],
    pub title_buffer: [u8; 256],
    pub changelist_number: u32,
    pub official_changelist_number: u32,
}

/// `NV0000_CTRL_GPU_GET_ID_INFO_V2_PARAMS` (ctrl0000/ctrl0000gpu.h).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Nv0000GpuGetIdInfoV2 {
    pub gpu_id: u32,
    pub gpu_flags: u32,
    pub device_instance: u32,
    pub sub_device_instance: u32,
    pub sli_status: u32,
    pub board_id: u32,
    pub gpu_instance: u32,
    pub numa_id: i32,
}

/// `NV0080_CTRL_GPU_CLASSLIST_MAX_SIZE`.
pub const NV0080_CTRL_GPU_CLASSLIST_MAX_SIZE: usize = 200;
/// `NV0080_CTRL_GPU_GET_CLASSLIST_V2_PARAMS` (ctrl0080/ctrl0080gpu.h).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Nv0080GetClassListV2 {
    pub num_classes: u32,
    pub class_list: [u32; NV0080_CTRL_GPU_CLASSLIST_MAX_SIZE],
}

/// `NV0080_CTRL_GR_INFO` (ctrl0080/ctrl0080gr.h).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct GrInfo {
    pub index: u32,
    pub data: u32,
}
/// `NV0080_CTRL_GR_INFO_MAX_SIZE`.
pub const NV0080_CTRL_GR_INFO_MAX_SIZE: usize = 0x3a;
pub const NV_GR_INFO_INDEX_SM_VERSION: u32 = 0x0c;
pub const NV_GR_INFO_INDEX_MAX_WARPS_PER_SM: u32 = 0x0d;
pub const NV_GR_INFO_INDEX_MAX_THREADS_PER_WARP: u32 = 0x0e;
pub const NV_GR_INFO_INDEX_LITTER_NUM_GPCS: u32 = 0x14;
pub const NV_GR_INFO_INDEX_LITTER_NUM_TPC_PER_GPC: u32 = 0x17;
pub const NV_GR_INFO_INDEX_LITTER_NUM_SM_PER_TPC: u32 = 0x20;

/// `NV0080_CTRL_GR_ROUTE_INFO`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct GrRouteInfo {
    pub flags: u32,
    pub _pad: u32,
    pub route: u64,
}

/// `NV0080_CTRL_GR_GET_INFO_V2_PARAMS` = `NV2080_CTRL_GR_GET_INFO_V2_PARAMS`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct GrGetInfoV2 {
    pub gr_info_list_size: u32,
    pub gr_info_list: [GrInfo; NV0080_CTRL_GR_INFO_MAX_SIZE],
    pub _pad: u32,
    pub gr_route_info: GrRouteInfo,
}

/// `NV2080_CTRL_GPU_GET_GID_INFO_PARAMS` (ctrl2080/ctrl2080gpu.h).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Nv2080GetGidInfo {
    pub index: u32,
    pub flags: u32,
    pub length: u32,
    pub data: [u8; 256],
}
/// `NV2080_GPU_CMD_GPU_GET_GID_FLAGS_FORMAT_BINARY` (field 1:0).
pub const NV2080_GPU_CMD_GPU_GET_GID_FLAGS_FORMAT_BINARY: u32 = 2;

/// `NV2080_CTRL_GPU_GET_NAME_STRING_PARAMS` (ctrl2080/ctrl2080gpu.h); the union is read as ASCII.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Nv2080GetNameString {
    pub gpu_name_string_flags: u32,
    pub gpu_name_string: [u8; 128],
}

/// `NV2080_CTRL_FB_INFO`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct FbInfo {
    pub index: u32,
    pub data: u32,
}
pub const NV2080_CTRL_FB_INFO_MAX_LIST_SIZE: usize = 0x80;
pub const NV2080_CTRL_FB_INFO_INDEX_BAR1_SIZE: u32 = 0x05;
pub const NV2080_CTRL_FB_INFO_INDEX_RAM_SIZE: u32 = 0x07;
pub const NV2080_CTRL_FB_INFO_INDEX_L2CACHE_SIZE: u32 = 0x1b;
pub const NV2080_CTRL_FB_INFO_INDEX_USABLE_RAM_SIZE: u32 = 0x20;

/// `NV2080_CTRL_FB_GET_INFO_V2_PARAMS` (ctrl2080/ctrl2080fb.h).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Nv2080FbGetInfoV2 {
    pub fb_info_list_size: u32,
    pub fb_info_list: [FbInfo; NV2080_CTRL_FB_INFO_MAX_LIST_SIZE],
}

/// `NV2080_CTRL_MC_GET_ARCH_INFO_PARAMS` (ctrl2080/ctrl2080mc.h); `architecture | implementation`
/// is the `NV_PMC_BOOT_42` chipset id (e.g. 0x180 | 0x0 = GH100).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Nv2080McGetArchInfo {
    pub architecture: u32,
    pub implementation: u32,
    pub revision: u32,
    pub sub_revision: u8,
    pub _pad: [u8; 3],
}

/// `NVC36F_CTRL_CMD_GPFIFO_GET_WORK_SUBMIT_TOKEN_PARAMS` (ctrlc36f.h).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct NvC36fGetWorkSubmitToken {
    pub work_submit_token: u32,
}

/// `NVA06F_CTRL_GPFIFO_SCHEDULE_PARAMS` = `NVA06C_CTRL_GPFIFO_SCHEDULE_PARAMS` (ctrla06f/ctrla06fgpfifo.h).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct GpfifoSchedule {
    pub b_enable: u8,
    pub b_skip_submit: u8,
    pub b_skip_enable: u8,
}

/// `NV83DE_SM_ERROR_STATE_REGISTERS` (ctrl83de/ctrl83dedebug.h).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct SmErrorState {
    pub hww_global_esr: u32,
    pub hww_warp_esr: u32,
    pub hww_warp_esr_pc: u32,
    pub hww_global_esr_report_mask: u32,
    pub hww_warp_esr_report_mask: u32,
    pub _pad: u32,
    pub hww_esr_addr: u64,
    pub hww_warp_esr_pc64: u64,
    pub hww_cga_esr: u32,
    pub hww_cga_esr_report_mask: u32,
}

/// `NV83DE_MMU_FAULT_INFO`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Nv83deMmuFaultInfo {
    pub valid: u8,
    pub _pad: [u8; 3],
    pub fault_info: u32,
}

/// `NV83DE_CTRL_DEBUG_MAX_SMS_PER_CALL`.
pub const NV83DE_CTRL_DEBUG_MAX_SMS_PER_CALL: usize = 100;

/// `NV83DE_CTRL_DEBUG_READ_ALL_SM_ERROR_STATES_PARAMS`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Nv83deReadAllSmErrorStates {
    pub h_target_channel: NvHandle,
    pub num_sms_to_read: u32,
    pub sm_error_state_array: [SmErrorState; NV83DE_CTRL_DEBUG_MAX_SMS_PER_CALL],
    pub mmu_fault_info: u32,
    pub mmu_fault: Nv83deMmuFaultInfo,
    pub starting_sm: u32,
}

/// `NV83DE_CTRL_DEBUG_READ_MMU_FAULT_INFO_ENTRY`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct MmuFaultInfoEntry {
    pub fault_address: u64,
    pub fault_type: u32,
    pub access_type: u32,
}
/// `NV83DE_CTRL_DEBUG_READ_MMU_FAULT_INFO_MAX_ENTRIES`.
pub const NV83DE_CTRL_DEBUG_READ_MMU_FAULT_INFO_MAX_ENTRIES: usize = 4;

/// `NV83DE_CTRL_DEBUG_READ_MMU_FAULT_INFO_PARAMS`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Nv83deReadMmuFaultInfo {
    pub mmu_fault_info_list: [MmuFaultInfoEntry; NV83DE_CTRL_DEBUG_READ_MMU_FAULT_INFO_MAX_ENTRIES],
    pub count: u32,
    pub _pad: u32,
}

// ---------------------------------------------------------------------------------------------
// UVM (kernel-open/nvidia-uvm/uvm_ioctl.h, uvm_linux_ioctl.h, uvm_types.h). On Linux the request
// number is the plain command number (`UVM_IOCTL_BASE(i)` is `i`).

/// A UVM command number tied to the parameter struct UVM reads and writes for it. UVM's request
/// numbers carry no size, so this pairing is what keeps the kernel's copies inside the struct:
/// `rm::ioctl::uvm` takes the struct type from the command (SAFETY.md, "nvidia.ko ioctls").
pub struct UvmCmd<P> {
    /// The plain command number (the `ioctl` request on Linux).
    pub nr: u32,
    _params: std::marker::PhantomData<fn() -> P>,
}

impl<P> UvmCmd<P> {
    const fn new(nr: u32) -> Self {
        UvmCmd {
            nr,
            _params: std::marker::PhantomData,
        }
    }
}

impl<P> Clone for UvmCmd<P> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<P> Copy for UvmCmd<P> {}
impl<P> std::fmt::Debug for UvmCmd<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "UvmCmd({:#x})", self.nr)
    }
}

pub const UVM_INITIALIZE: UvmCmd<UvmInitialize> = UvmCmd::new(0x3000_0001);
/// Takes no parameters.
pub const UVM_DEINITIALIZE: u32 = 0x3000_0002;
pub const UVM_REGISTER_GPU_VASPACE: UvmCmd<UvmRegisterGpuVaSpace> = UvmCmd::new(25);
pub const UVM_UNREGISTER_GPU_VASPACE: UvmCmd<UvmUnregisterGpu> = UvmCmd::new(26);
pub const UVM_REGISTER_CHANNEL: UvmCmd<UvmRegisterChannel> = UvmCmd::new(27);
pub const UVM_UNREGISTER_CHANNEL: UvmCmd<UvmUnregisterChannel> = UvmCmd::new(28);
pub const UVM_MAP_EXTERNAL_ALLOCATION: UvmCmd<UvmMapExternalAllocation> = UvmCmd::new(33);
pub const UVM_FREE: UvmCmd<UvmRange> = UvmCmd::new(34);
pub const UVM_REGISTER_GPU: UvmCmd<UvmRegisterGpu> = UvmCmd::new(37);
pub const UVM_UNREGISTER_GPU: UvmCmd<UvmUnregisterGpu> = UvmCmd::new(38);
pub const UVM_CREATE_EXTERNAL_RANGE: UvmCmd<UvmRange> = UvmCmd::new(73);
pub const UVM_MM_INITIALIZE: UvmCmd<UvmMmInitialize> = UvmCmd::new(75);
/// `UVM_MAX_GPUS` = `NV_MAX_DEVICES * UVM_PARENT_ID_MAX_SUB_PROCESSORS` (32 * 8).
pub const UVM_MAX_GPUS: usize = 256;

/// `NvProcessorUuid`.
pub type Uuid = [u8; 16];

/// `UVM_INITIALIZE_PARAMS`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct UvmInitialize {
    pub flags: u64,
    pub rm_status: u32,
    pub _pad: u32,
}

/// `UVM_MM_INITIALIZE_PARAMS`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct UvmMmInitialize {
    pub uvm_fd: i32,
    pub rm_status: u32,
}

/// `UVM_REGISTER_GPU_PARAMS`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct UvmRegisterGpu {
    pub gpu_uuid: Uuid,
    pub numa_enabled: u8,
    pub _pad: [u8; 3],
    pub numa_node_id: i32,
    pub rm_ctrl_fd: i32,
    pub h_client: NvHandle,
    pub h_smc_part_ref: NvHandle,
    pub rm_status: u32,
}

/// `UVM_UNREGISTER_GPU_PARAMS` and `UVM_UNREGISTER_GPU_VASPACE_PARAMS` (same layout).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct UvmUnregisterGpu {
    pub gpu_uuid: Uuid,
    pub rm_status: u32,
}

/// `UVM_REGISTER_GPU_VASPACE_PARAMS`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct UvmRegisterGpuVaSpace {
    pub gpu_uuid: Uuid,
    pub rm_ctrl_fd: i32,
    pub h_client: NvHandle,
    pub h_va_space: NvHandle,
    pub rm_status: u32,
}

/// `UVM_REGISTER_CHANNEL_PARAMS`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct UvmRegisterChannel {
    pub gpu_uuid: Uuid,
    pub rm_ctrl_fd: i32,
    pub h_client: NvHandle,
    pub h_channel: NvHandle,
    pub _pad0: u32,
    pub base: u64,
    pub length: u64,
    pub rm_status: u32,
    pub _pad1: u32,
}

/// `UVM_UNREGISTER_CHANNEL_PARAMS`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct UvmUnregisterChannel {
    pub gpu_uuid: Uuid,
    pub h_client: NvHandle,
    pub h_channel: NvHandle,
    pub rm_status: u32,
}

/// `UVM_CREATE_EXTERNAL_RANGE_PARAMS` and `UVM_FREE_PARAMS` (same layout).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct UvmRange {
    pub base: u64,
    pub length: u64,
    pub rm_status: u32,
    pub _pad: u32,
}

/// `UvmGpuMappingAttributes` (uvm_types.h).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct UvmGpuMappingAttributes {
    pub gpu_uuid: Uuid,
    pub gpu_mapping_type: u32,
    pub gpu_caching_type: u32,
    pub gpu_format_type: u32,
    pub gpu_element_bits: u32,
    pub gpu_compression_type: u32,
}
/// `UvmGpuMappingTypeReadWriteAtomic`.
pub const UVM_GPU_MAPPING_TYPE_READ_WRITE_ATOMIC: u32 = 1;

/// `UVM_MAP_EXTERNAL_ALLOCATION_PARAMS`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct UvmMapExternalAllocation {
    pub base: u64,
    pub length: u64,
    pub offset: u64,
    pub per_gpu_attributes: [UvmGpuMappingAttributes; UVM_MAX_GPUS],
    pub gpu_attributes_count: u64,
    pub rm_ctrl_fd: i32,
    pub h_client: NvHandle,
    pub h_memory: NvHandle,
    pub rm_status: u32,
}

pod!(
    Nvos00,
    Nvos02,
    Nvos02WithFd,
    Nvos21,
    Nvos64,
    Nvos33,
    Nvos33WithFd,
    Nvos34,
    Nvos46,
    Nvos47,
    Nvos54,
    NvPciInfo,
    CardInfo,
    RmApiVersion,
    RegisterFd,
    Nv0080Alloc,
    Nv2080Alloc,
    MemoryVirtualAlloc,
    MemoryAlloc,
    VaSpaceAlloc,
    ChannelGroupAlloc,
    CtxShareAlloc,
    MemoryDesc,
    ChannelAlloc,
    Nv83deAlloc,
    Nv0000GetBuildVersionV2,
    Nv0000GpuGetIdInfoV2,
    Nv0080GetClassListV2,
    GrInfo,
    GrRouteInfo,
    GrGetInfoV2,
    Nv2080GetGidInfo,
    Nv2080GetNameString,
    Nv2080McGetArchInfo,
    FbInfo,
    Nv2080FbGetInfoV2,
    NvC36fGetWorkSubmitToken,
    GpfifoSchedule,
    SmErrorState,
    Nv83deMmuFaultInfo,
    Nv83deReadAllSmErrorStates,
    MmuFaultInfoEntry,
    Nv83deReadMmuFaultInfo,
    UvmInitialize,
    UvmMmInitialize,
    UvmRegisterGpu,
    UvmUnregisterGpu,
    UvmRegisterGpuVaSpace,
    UvmRegisterChannel,
    UvmUnregisterChannel,
    UvmRange,
    UvmGpuMappingAttributes,
    UvmMapExternalAllocation,
);

#[cfg(test)]
mod tests {
    //! Expected numbers: `sizeof`/`offsetof` from a C program compiled against the 580.142
    //! headers listed in the module docs (gcc, x86_64).
    use super::*;
    use std::mem::{offset_of, size_of};

    #[test]
    fn rm_core_layouts() {
        assert_eq!(size_of::<Nvos00>(), 16);
        assert_eq!(offset_of!(Nvos00, status), 12);
        assert_eq!(size_of::<Nvos02>(), 48);
        assert_eq!(offset_of!(Nvos02, p_memory), 24);
        assert_eq!(offset_of!(Nvos02, limit), 32);
        assert_eq!(offset_of!(Nvos02, status), 40);
        assert_eq!(size_of::<Nvos02WithFd>(), 56);
        assert_eq!(offset_of!(Nvos02WithFd, fd), 48);
        assert_eq!(size_of::<Nvos21>(), 32);
        assert_eq!(offset_of!(Nvos21, p_alloc_parms), 16);
        assert_eq!(offset_of!(Nvos21, params_size), 24);
        assert_eq!(offset_of!(Nvos21, status), 28);
        assert_eq!(size_of::<Nvos64>(), 48);
        assert_eq!(offset_of!(Nvos64, p_rights_requested), 24);
        assert_eq!(offset_of!(Nvos64, params_size), 32);
        assert_eq!(offset_of!(Nvos64, flags), 36);
        assert_eq!(offset_of!(Nvos64, status), 40);
        assert_eq!(size_of::<Nvos33>(), 48);
        assert_eq!(offset_of!(Nvos33, offset), 16);
        assert_eq!(offset_of!(Nvos33, p_linear_address), 32);
        assert_eq!(offset_of!(Nvos33, flags), 44);
        assert_eq!(size_of::<Nvos33WithFd>(), 56);
        assert_eq!(offset_of!(Nvos33WithFd, fd), 48);
        assert_eq!(size_of::<Nvos34>(), 32);
        assert_eq!(offset_of!(Nvos34, p_linear_address), 16);
        assert_eq!(offset_of!(Nvos34, flags), 28);
        assert_eq!(size_of::<Nvos46>(), 64);
        assert_eq!(offset_of!(Nvos46, offset), 16);
        assert_eq!(offset_of!(Nvos46, flags), 32);
        assert_eq!(offset_of!(Nvos46, kind_override), 40);
        assert_eq!(offset_of!(Nvos46, dma_offset), 48);
        assert_eq!(offset_of!(Nvos46, status), 56);
        assert_eq!(size_of::<Nvos47>(), 48);
        assert_eq!(offset_of!(Nvos47, dma_offset), 24);
        assert_eq!(offset_of!(Nvos47, size), 32);
        assert_eq!(offset_of!(Nvos47, status), 40);
        assert_eq!(size_of::<Nvos54>(), 32);
        assert_eq!(offset_of!(Nvos54, params), 16);
        assert_eq!(offset_of!(Nvos54, params_size), 24);
        assert_eq!(offset_of!(Nvos54, status), 28);
    }

    #[test]
    fn linux_escape_layouts() {
        assert_eq!(size_of::<NvPciInfo>(), 12);
        assert_eq!(offset_of!(NvPciInfo, vendor_id), 8);
        assert_eq!(size_of::<CardInfo>(), 72);
        assert_eq!(offset_of!(CardInfo, pci_info), 4);
        assert_eq!(offset_of!(CardInfo, gpu_id), 16);
        assert_eq!(offset_of!(CardInfo, reg_address), 24);
        assert_eq!(offset_of!(CardInfo, minor_number), 56);
        assert_eq!(offset_of!(CardInfo, dev_name), 60);
        assert_eq!(size_of::<RmApiVersion>(), 72);
        assert_eq!(size_of::<RegisterFd>(), 4);
    }

    #[test]
    fn alloc_param_layouts() {
        assert_eq!(size_of::<Nv0080Alloc>(), 56);
        assert_eq!(offset_of!(Nv0080Alloc, va_space_size), 24);
        assert_eq!(offset_of!(Nv0080Alloc, va_mode), 48);
        assert_eq!(size_of::<Nv2080Alloc>(), 4);
        assert_eq!(size_of::<MemoryVirtualAlloc>(), 24);
        assert_eq!(offset_of!(MemoryVirtualAlloc, h_va_space), 16);
        assert_eq!(size_of::<MemoryAlloc>(), 128);
        assert_eq!(offset_of!(MemoryAlloc, range_lo), 48);
        assert_eq!(offset_of!(MemoryAlloc, size), 64);
        assert_eq!(offset_of!(MemoryAlloc, address), 96);
        assert_eq!(offset_of!(MemoryAlloc, ctag_offset), 104);
        assert_eq!(offset_of!(MemoryAlloc, numa_node), 120);
        assert_eq!(size_of::<VaSpaceAlloc>(), 56);
        assert_eq!(offset_of!(VaSpaceAlloc, va_size), 8);
        assert_eq!(offset_of!(VaSpaceAlloc, big_page_size), 32);
        assert_eq!(offset_of!(VaSpaceAlloc, va_base), 40);
        assert_eq!(offset_of!(VaSpaceAlloc, pasid), 48);
        assert_eq!(size_of::<ChannelGroupAlloc>(), 20);
        assert_eq!(size_of::<CtxShareAlloc>(), 12);
        assert_eq!(size_of::<MemoryDesc>(), 24);
        assert_eq!(size_of::<ChannelAlloc>(), 368);
        assert_eq!(offset_of!(ChannelAlloc, gp_fifo_offset), 8);
        assert_eq!(offset_of!(ChannelAlloc, h_userd_memory), 32);
        assert_eq!(offset_of!(ChannelAlloc, userd_offset), 64);
        assert_eq!(offset_of!(ChannelAlloc, engine_type), 128);
        assert_eq!(offset_of!(ChannelAlloc, instance_mem), 144);
        assert_eq!(offset_of!(ChannelAlloc, h_phys_channel_group), 240);
        assert_eq!(offset_of!(ChannelAlloc, error_notifier_mem), 248);
        assert_eq!(offset_of!(ChannelAlloc, process_id), 296);
        assert_eq!(offset_of!(ChannelAlloc, encrypt_iv), 304);
        assert_eq!(offset_of!(ChannelAlloc, tpc_config_id), 360);
        assert_eq!(size_of::<Nv83deAlloc>(), 12);
    }

    #[test]
    fn control_param_layouts() {
        assert_eq!(size_of::<Nv0000GetBuildVersionV2>(), 1032);
        assert_eq!(size_of::<Nv0000GpuGetIdInfoV2>(), 32);
        assert_eq!(size_of::<Nv0080GetClassListV2>(), 804);
        assert_eq!(size_of::<GrGetInfoV2>(), 488);
        assert_eq!(offset_of!(GrGetInfoV2, gr_route_info), 472);
        assert_eq!(size_of::<Nv2080GetGidInfo>(), 268);
        assert_eq!(size_of::<Nv2080GetNameString>(), 132);
        assert_eq!(size_of::<Nv2080FbGetInfoV2>(), 1028);
        assert_eq!(size_of::<NvC36fGetWorkSubmitToken>(), 4);
        assert_eq!(size_of::<Nv2080McGetArchInfo>(), 16);
        assert_eq!(size_of::<GpfifoSchedule>(), 3);
        assert_eq!(size_of::<SmErrorState>(), 48);
        assert_eq!(offset_of!(SmErrorState, hww_esr_addr), 24);
        assert_eq!(offset_of!(SmErrorState, hww_cga_esr), 40);
        assert_eq!(size_of::<Nv83deReadAllSmErrorStates>(), 4824);
        assert_eq!(
            offset_of!(Nv83deReadAllSmErrorStates, sm_error_state_array),
            8
        );
        assert_eq!(offset_of!(Nv83deReadAllSmErrorStates, mmu_fault_info), 4808);
        assert_eq!(offset_of!(Nv83deReadAllSmErrorStates, mmu_fault), 4812);
        assert_eq!(offset_of!(Nv83deReadAllSmErrorStates, starting_sm), 4820);
        assert_eq!(size_of::<Nv83deReadMmuFaultInfo>(), 72);
        assert_eq!(offset_of!(Nv83deReadMmuFaultInfo, count), 64);
    }

    #[test]
    fn uvm_layouts() {
        assert_eq!(size_of::<UvmInitialize>(), 16);
        assert_eq!(size_of::<UvmMmInitialize>(), 8);
        assert_eq!(size_of::<UvmRegisterGpu>(), 40);
        assert_eq!(offset_of!(UvmRegisterGpu, rm_ctrl_fd), 24);
        assert_eq!(offset_of!(UvmRegisterGpu, rm_status), 36);
        assert_eq!(size_of::<UvmUnregisterGpu>(), 20);
        assert_eq!(size_of::<UvmRegisterGpuVaSpace>(), 32);
        assert_eq!(size_of::<UvmRegisterChannel>(), 56);
        assert_eq!(offset_of!(UvmRegisterChannel, base), 32);
        assert_eq!(offset_of!(UvmRegisterChannel, rm_status), 48);
        assert_eq!(size_of::<UvmUnregisterChannel>(), 28);
        assert_eq!(size_of::<UvmRange>(), 24);
        assert_eq!(size_of::<UvmGpuMappingAttributes>(), 36);
        assert_eq!(size_of::<UvmMapExternalAllocation>(), 9264);
        assert_eq!(offset_of!(UvmMapExternalAllocation, per_gpu_attributes), 24);
        assert_eq!(
            offset_of!(UvmMapExternalAllocation, gpu_attributes_count),
            9240
        );
        assert_eq!(offset_of!(UvmMapExternalAllocation, rm_ctrl_fd), 9248);
        assert_eq!(offset_of!(UvmMapExternalAllocation, rm_status), 9260);
    }

    #[test]
    fn flag_fields_match_headers() {
        // nvos.h: NVOS46_FLAGS_PAGE_SIZE 11:8 (_4KB=1), CACHE_SNOOP 4:4, DMA_OFFSET_FIXED 15:15.
        assert_eq!(
            f(NVOS46_FLAGS_PAGE_SIZE_4KB)
                | f(NVOS46_FLAGS_CACHE_SNOOP_ENABLE)
                | f(NVOS46_FLAGS_DMA_OFFSET_FIXED_TRUE),
            0x8110
        );
        // NVOS33_FLAGS_CACHING_TYPE 25:23, WRITECOMBINED = 2.
        assert_eq!(f(NVOS33_FLAGS_CACHING_TYPE_WRITECOMBINED), 2 << 23);
        // NVOS32_ATTR_PHYSICALITY 28:27, CONTIGUOUS = 2; PAGE_SIZE 24:23, HUGE = 3.
        assert_eq!(f(NVOS32_ATTR_PHYSICALITY_CONTIGUOUS), 2 << 27);
        assert_eq!(f(NVOS32_ATTR_PAGE_SIZE_HUGE), 3 << 23);
        // Every field constant's value fits its width.
        for (hi, lo, v) in [
            NVOS02_FLAGS_MAPPING_NO_MAP,
            NVOS32_ATTR2_PAGE_SIZE_HUGE_2MB,
            NVOS32_ATTR_LOCATION_PCI,
            NVOS32_ATTR2_GPU_CACHEABLE_NO,
        ] {
            assert!(super::super::field(hi, lo, v).is_ok());
        }
    }
}
