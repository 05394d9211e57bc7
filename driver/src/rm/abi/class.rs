//! RM class numbers used by this driver (OpenRM 580.142 `src/common/sdk/nvidia/inc/class/cl*.h`
//! and `nvos.h`).

/// `NV01_ROOT_CLIENT` (nvos.h).
pub const NV01_ROOT_CLIENT: u32 = 0x41;
/// `NV01_DEVICE_0` (cl0080.h).
pub const NV01_DEVICE_0: u32 = 0x80;
/// `NV20_SUBDEVICE_0` (cl2080.h).
pub const NV20_SUBDEVICE_0: u32 = 0x2080;
/// `NV01_MEMORY_SYSTEM` (cl003e.h): pinned system memory.
pub const NV01_MEMORY_SYSTEM: u32 = 0x3e;
/// `NV01_MEMORY_LOCAL_USER` (cl0040.h): video memory.
pub const NV01_MEMORY_LOCAL_USER: u32 = 0x40;
/// `NV01_MEMORY_VIRTUAL` (cl0070.h).
pub const NV01_MEMORY_VIRTUAL: u32 = 0x70;
/// `NV01_MEMORY_SYSTEM_OS_DESCRIPTOR` (cl0071.h): user memory registered with RM.
pub const NV01_MEMORY_SYSTEM_OS_DESCRIPTOR: u32 = 0x71;
/// `GT200_DEBUGGER` (cl83de.h).
pub const GT200_DEBUGGER: u32 = 0x83de;
/// `FERMI_CONTEXT_SHARE_A` (cl9067.h).
pub const FERMI_CONTEXT_SHARE_A: u32 = 0x9067;
/// `FERMI_VASPACE_A` (cl90f1.h).
pub const FERMI_VASPACE_A: u32 = 0x90f1;
/// `KEPLER_CHANNEL_GROUP_A` (cla06c.h).
pub const KEPLER_CHANNEL_GROUP_A: u32 = 0xa06c;

/// `VOLTA_USERMODE_A` (clc361.h).
pub const VOLTA_USERMODE_A: u32 = 0xc361;
/// `TURING_USERMODE_A` (clc461.h).
pub const TURING_USERMODE_A: u32 = 0xc461;
/// `AMPERE_USERMODE_A` (clc561.h).
pub const AMPERE_USERMODE_A: u32 = 0xc561;
/// `HOPPER_USERMODE_A` (clc661.h).
pub const HOPPER_USERMODE_A: u32 = 0xc661;
/// `BLACKWELL_USERMODE_A` (clc761.h).
pub const BLACKWELL_USERMODE_A: u32 = 0xc761;

/// `VOLTA_CHANNEL_GPFIFO_A` (clc36f.h).
pub const VOLTA_CHANNEL_GPFIFO_A: u32 = 0xc36f;
/// `TURING_CHANNEL_GPFIFO_A` (clc46f.h).
pub const TURING_CHANNEL_GPFIFO_A: u32 = 0xc46f;
/// `AMPERE_CHANNEL_GPFIFO_A` (clc56f.h).
pub const AMPERE_CHANNEL_GPFIFO_A: u32 = 0xc56f;
/// `HOPPER_CHANNEL_GPFIFO_A` (clc86f.h).
pub const HOPPER_CHANNEL_GPFIFO_A: u32 = 0xc86f;
/// `BLACKWELL_CHANNEL_GPFIFO_A` (clc96f.h).
pub const BLACKWELL_CHANNEL_GPFIFO_A: u32 = 0xc96f;
/// `BLACKWELL_CHANNEL_GPFIFO_B` (clca6f.h).
pub const BLACKWELL_CHANNEL_GPFIFO_B: u32 = 0xca6f;

/// `TURING_COMPUTE_A` (clc5c0.h).
pub const TURING_COMPUTE_A: u32 = 0xc5c0;
/// `AMPERE_COMPUTE_A` (clc6c0.h).
pub const AMPERE_COMPUTE_A: u32 = 0xc6c0;
/// `AMPERE_COMPUTE_B` (clc7c0.h).
pub const AMPERE_COMPUTE_B: u32 = 0xc7c0;
/// `ADA_COMPUTE_A` (clc9c0.h).
pub const ADA_COMPUTE_A: u32 = 0xc9c0;
/// `HOPPER_COMPUTE_A` (clcbc0.h).
pub const HOPPER_COMPUTE_A: u32 = 0xcbc0;
/// `BLACKWELL_COMPUTE_A` (clcdc0.h).
pub const BLACKWELL_COMPUTE_A: u32 = 0xcdc0;
/// `BLACKWELL_COMPUTE_B` (clcec0.h).
pub const BLACKWELL_COMPUTE_B: u32 = 0xcec0;

/// `TURING_DMA_COPY_A` (clc5b5.h).
pub const TURING_DMA_COPY_A: u32 = 0xc5b5;
/// `AMPERE_DMA_COPY_A` (clc6b5.h).
pub const AMPERE_DMA_COPY_A: u32 = 0xc6b5;
/// `AMPERE_DMA_COPY_B` (clc7b5.h).
pub const AMPERE_DMA_COPY_B: u32 = 0xc7b5;
/// `HOPPER_DMA_COPY_A` (clc8b5.h).
pub const HOPPER_DMA_COPY_A: u32 = 0xc8b5;
/// `BLACKWELL_DMA_COPY_A` (clc9b5.h).
pub const BLACKWELL_DMA_COPY_A: u32 = 0xc9b5;
/// `BLACKWELL_DMA_COPY_B` (clcab5.h).
pub const BLACKWELL_DMA_COPY_B: u32 = 0xcab5;
