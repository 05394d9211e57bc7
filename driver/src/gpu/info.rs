//! GPU facts (name, UUID, chip, SM layout, VRAM, L2, class list) and the choice of engine classes.
//!
//! The decoders take the control structs RM returns and are unit-tested with constructed replies;
//! issuing the controls on a live GPU ([`GpuInfo::query`]) is **unverified** (no GPU available).

use crate::error::{Error, Result};
use crate::rm::abi::{c_str, class, r580 as abi, Pod};
use crate::rm::{controls, kind, Object};
use std::fmt;

/// What nvbare learned about a GPU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GpuInfo {
    /// Marketing name (`NV2080_CTRL_CMD_GPU_GET_NAME_STRING`).
    pub name: String,
    /// 16-byte GPU UUID (`NV2080_CTRL_CMD_GPU_GET_GID_INFO`, binary SHA-1 format).
    pub uuid: [u8; 16],
    /// `NV_PMC_BOOT_42` chipset id (`architecture | implementation` from `MC_GET_ARCH_INFO`).
    pub chipset_id: u32,
    /// Raw `NV2080_CTRL_GR_INFO_INDEX_SM_VERSION` value.
    pub sm_version_raw: u32,
    /// GPCs, TPCs per GPC, SMs per TPC (the "litter" maxima, floorswept units included).
    pub gpcs: u32,
    pub tpcs_per_gpc: u32,
    pub sms_per_tpc: u32,
    /// Warps an SM holds at most.
    pub max_warps_per_sm: u32,
    /// Video memory in bytes (`FB_INFO_INDEX_RAM_SIZE`, reported in KiB).
    pub vram_bytes: u64,
    /// L2 cache in bytes (`FB_INFO_INDEX_L2CACHE_SIZE`).
    pub l2_bytes: u64,
    /// BAR1 aperture in bytes (`FB_INFO_INDEX_BAR1_SIZE`, reported in KiB).
    pub bar1_bytes: u64,
    /// Every class the device offers (`NV0080_CTRL_CMD_GPU_GET_CLASSLIST_V2`).
    pub classes: Vec<u32>,
}

impl GpuInfo {
    /// Upper bound on SMs (`gpcs * tpcs_per_gpc * sms_per_tpc`); saturates instead of overflowing.
    pub fn sm_slots(&self) -> u32 {
        self.gpcs
            .saturating_mul(self.tpcs_per_gpc)
            .saturating_mul(self.sms_per_tpc)
    }

    /// UUID in the usual `GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` form.
    pub fn uuid_string(&self) -> String {
        format_uuid(&self.uuid)
    }

    /// Queries everything above through the device and subdevice objects.
    pub fn query(
        device: &Object<kind::Device>,
        subdevice: &Object<kind::Subdevice>,
    ) -> Result<Self> {
        let mut name = abi::Nv2080GetNameString::zeroed();
        subdevice.control::<controls::GpuGetNameString>(&mut name)?;
        let mut gid = abi::Nv2080GetGidInfo::zeroed();
        gid.flags = abi::NV2080_GPU_CMD_GPU_GET_GID_FLAGS_FORMAT_BINARY;
        subdevice.control::<controls::GpuGetGidInfo>(&mut gid)?;
        let mut arch = abi::Nv2080McGetArchInfo::zeroed();
        subdevice.control::<controls::McGetArchInfo>(&mut arch)?;
        let mut gr = gr_info_request(&GR_INDICES);
        subdevice.control::<controls::GrGetInfoV2>(&mut gr)?;
        let mut fb = fb_info_request(&FB_INDICES);
        subdevice.control::<controls::FbGetInfoV2>(&mut fb)?;
        let mut cl = Box::new(abi::Nv0080GetClassListV2::zeroed());
        device.control::<controls::GpuGetClassListV2>(&mut cl)?;
        Self::decode(&name, &gid, &arch, &gr, &fb, &cl)
    }

    /// Builds the facts from the control replies.
    pub fn decode(
        name: &abi::Nv2080GetNameString,
        gid: &abi::Nv2080GetGidInfo,
        arch: &abi::Nv2080McGetArchInfo,
        gr: &abi::GrGetInfoV2,
        fb: &abi::Nv2080FbGetInfoV2,
        cl: &abi::Nv0080GetClassListV2,
    ) -> Result<Self> {
        let uuid_len = usize::try_from(gid.length).unwrap_or(usize::MAX);
        let uuid: [u8; 16] = gid
            .data
            .get(..16)
            .filter(|_| uuid_len == 16)
            .and_then(|s| s.try_into().ok())
            .ok_or(Error::InvalidArgument {
                what: "GPU UUID reply",
                detail: format!("length {} (expected 16)", gid.length),
            })?;
        let n = usize::try_from(cl.num_classes).unwrap_or(usize::MAX);
        let classes = cl.class_list.get(..n).ok_or(Error::OutOfRange {
            what: "class list length",
            value: u64::from(cl.num_classes),
            limit: abi::NV0080_CTRL_GPU_CLASSLIST_MAX_SIZE as u64,
        })?;
        let gr_val = |i| gr_value(gr, i);
        let fb_val = |i| fb_value(fb, i);
        Ok(GpuInfo {
            name: c_str(&name.gpu_name_string),
            uuid,
            chipset_id: arch.architecture | arch.implementation,
            sm_version_raw: gr_val(abi::NV_GR_INFO_INDEX_SM_VERSION)?,
            gpcs: gr_val(abi::NV_GR_INFO_INDEX_LITTER_NUM_GPCS)?,
            tpcs_per_gpc: gr_val(abi::NV_GR_INFO_INDEX_LITTER_NUM_TPC_PER_GPC)?,
            sms_per_tpc: gr_val(abi::NV_GR_INFO_INDEX_LITTER_NUM_SM_PER_TPC)?,
            max_warps_per_sm: gr_val(abi::NV_GR_INFO_INDEX_MAX_WARPS_PER_SM)?,
            vram_bytes: u64::from(fb_val(abi::NV2080_CTRL_FB_INFO_INDEX_RAM_SIZE)?) * 1024,
            l2_bytes: u64::from(fb_val(abi::NV2080_CTRL_FB_INFO_INDEX_L2CACHE_SIZE)?),
            bar1_bytes: u64::from(fb_val(abi::NV2080_CTRL_FB_INFO_INDEX_BAR1_SIZE)?) * 1024,
            classes: classes.to_vec(),
        })
    }
}

/// GR info indices nvbare asks for.
pub const GR_INDICES: [u32; 5] = [
    abi::NV_GR_INFO_INDEX_SM_VERSION,
    abi::NV_GR_INFO_INDEX_LITTER_NUM_GPCS,
    abi::NV_GR_INFO_INDEX_LITTER_NUM_TPC_PER_GPC,
    abi::NV_GR_INFO_INDEX_LITTER_NUM_SM_PER_TPC,
    abi::NV_GR_INFO_INDEX_MAX_WARPS_PER_SM,
];
/// FB info indices nvbare asks for.
pub const FB_INDICES: [u32; 3] = [
    abi::NV2080_CTRL_FB_INFO_INDEX_RAM_SIZE,
    abi::NV2080_CTRL_FB_INFO_INDEX_L2CACHE_SIZE,
    abi::NV2080_CTRL_FB_INFO_INDEX_BAR1_SIZE,
];

/// A `GR_GET_INFO_V2` request for `indices`.
pub fn gr_info_request(indices: &[u32]) -> abi::GrGetInfoV2 {
    let mut p = abi::GrGetInfoV2::zeroed();
    for (slot, &i) in p.gr_info_list.iter_mut().zip(indices) {
        slot.index = i;
    }
    p.gr_info_list_size =
        u32::try_from(indices.len().min(abi::NV0080_CTRL_GR_INFO_MAX_SIZE)).unwrap_or(0);
    p
}

/// An `FB_GET_INFO_V2` request for `indices`.
pub fn fb_info_request(indices: &[u32]) -> abi::Nv2080FbGetInfoV2 {
    let mut p = abi::Nv2080FbGetInfoV2::zeroed();
    for (slot, &i) in p.fb_info_list.iter_mut().zip(indices) {
        slot.index = i;
    }
    p.fb_info_list_size =
        u32::try_from(indices.len().min(abi::NV2080_CTRL_FB_INFO_MAX_LIST_SIZE)).unwrap_or(0);
    p
}

/// The value for `index` among the first `size` `(index, data)` entries of an RM info-list reply.
fn info_value(
    what: &'static str,
    entries: impl IntoIterator<Item = (u32, u32)>,
    size: u32,
    index: u32,
) -> Result<u32> {
    let n = usize::try_from(size).unwrap_or(usize::MAX);
    entries
        .into_iter()
        .take(n)
        .find(|&(i, _)| i == index)
        .map(|(_, data)| data)
        .ok_or(Error::InvalidArgument {
            what,
            detail: format!("index {index:#x} missing"),
        })
}

fn gr_value(p: &abi::GrGetInfoV2, index: u32) -> Result<u32> {
    let entries = p.gr_info_list.iter().map(|e| (e.index, e.data));
    info_value("GR info reply", entries, p.gr_info_list_size, index)
}

fn fb_value(p: &abi::Nv2080FbGetInfoV2, index: u32) -> Result<u32> {
    let entries = p.fb_info_list.iter().map(|e| (e.index, e.data));
    info_value("FB info reply", entries, p.fb_info_list_size, index)
}

/// `GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
pub fn format_uuid(u: &[u8; 16]) -> String {
    let h = |r: std::ops::Range<usize>| {
        u.get(r)
            .unwrap_or_default()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    format!(
        "GPU-{}-{}-{}-{}-{}",
        h(0..4),
        h(4..6),
        h(6..8),
        h(8..10),
        h(10..16)
    )
}

/// An engine role and the classes that can fill it, most preferred first.
#[derive(Debug, Clone, Copy)]
pub struct ClassRole {
    pub role: &'static str,
    pub preference: &'static [u32],
}

/// GPFIFO channel classes, newest first.
pub const CHANNEL_CLASSES: ClassRole = ClassRole {
    role: "GPFIFO channel",
    preference: &[
        class::BLACKWELL_CHANNEL_GPFIFO_B,
        class::BLACKWELL_CHANNEL_GPFIFO_A,
        class::HOPPER_CHANNEL_GPFIFO_A,
        class::AMPERE_CHANNEL_GPFIFO_A,
    ],
};
/// Compute classes, newest first.
pub const COMPUTE_CLASSES: ClassRole = ClassRole {
    role: "compute",
    preference: &[
        class::BLACKWELL_COMPUTE_B,
        class::BLACKWELL_COMPUTE_A,
        class::HOPPER_COMPUTE_A,
        class::ADA_COMPUTE_A,
        class::AMPERE_COMPUTE_B,
        class::AMPERE_COMPUTE_A,
    ],
};
/// Copy engine classes, newest first.
pub const COPY_CLASSES: ClassRole = ClassRole {
    role: "copy engine",
    preference: &[
        class::BLACKWELL_DMA_COPY_B,
        class::BLACKWELL_DMA_COPY_A,
        class::HOPPER_DMA_COPY_A,
        class::AMPERE_DMA_COPY_B,
        class::AMPERE_DMA_COPY_A,
    ],
};
/// Usermode (doorbell) classes: tinygrad's order first (`HOPPER_USERMODE_A`, then
/// `TURING_USERMODE_A`, ops_nv.py `setup_usermode`), then the others. Only clc361.h documents the
/// doorbell offset (0x90); the later classes keep that layout.
pub const USERMODE_CLASSES: ClassRole = ClassRole {
    role: "usermode doorbell",
    preference: &[
        class::HOPPER_USERMODE_A,
        class::TURING_USERMODE_A,
        class::AMPERE_USERMODE_A,
        class::BLACKWELL_USERMODE_A,
        class::VOLTA_USERMODE_A,
    ],
};

/// Picks the most preferred class of `role` that `available` contains.
pub fn pick_class(available: &[u32], role: ClassRole) -> Result<u32> {
    role.preference
        .iter()
        .copied()
        .find(|c| available.contains(c))
        .ok_or(Error::NoSupportedClass {
            role: role.role,
            wanted: role.preference,
        })
}

/// Checks that a class chosen elsewhere (the chip HAL) is offered by the device.
pub fn require_class(available: &[u32], wanted: u32, role: ClassRole) -> Result<u32> {
    if available.contains(&wanted) {
        Ok(wanted)
    } else {
        Err(Error::NoSupportedClass {
            role: role.role,
            wanted: role.preference,
        })
    }
}

impl fmt::Display for GpuInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "name:        {}", self.name)?;
        writeln!(f, "uuid:        {}", self.uuid_string())?;
        writeln!(f, "chipset:     {:#x}", self.chipset_id)?;
        writeln!(f, "sm version:  {:#x} (raw GR info)", self.sm_version_raw)?;
        writeln!(
            f,
            "SM slots:    {} ({} GPC x {} TPC x {} SM)",
            self.sm_slots(),
            self.gpcs,
            self.tpcs_per_gpc,
            self.sms_per_tpc
        )?;
        writeln!(f, "VRAM:        {} MiB", self.vram_bytes >> 20)?;
        writeln!(f, "L2:          {} KiB", self.l2_bytes >> 10)?;
        writeln!(f, "BAR1:        {} MiB", self.bar1_bytes >> 20)?;
        write!(
            f,
            "classes:     {}",
            self.classes
                .iter()
                .map(|c| format!("{c:#06x}"))
                .collect::<Vec<_>>()
                .join(" ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replies() -> (
        abi::Nv2080GetNameString,
        abi::Nv2080GetGidInfo,
        abi::Nv2080McGetArchInfo,
        abi::GrGetInfoV2,
        abi::Nv2080FbGetInfoV2,
        Box<abi::Nv0080GetClassListV2>,
    ) {
        let mut name = abi::Nv2080GetNameString::zeroed();
        name.gpu_name_string[..13].copy_from_slice(b"NVIDIA H100\0x");
        let mut gid = abi::Nv2080GetGidInfo::zeroed();
        gid.length = 16;
        for (i, b) in gid.data.iter_mut().take(16).enumerate() {
            *b = u8::try_from(i).unwrap();
        }
        let arch = abi::Nv2080McGetArchInfo {
            architecture: 0x180,
            implementation: 0,
            revision: 0xa1,
            sub_revision: 0,
            _pad: [0; 3],
        };
        let mut gr = gr_info_request(&GR_INDICES);
        for (e, v) in gr.gr_info_list.iter_mut().zip([0x900, 8, 9, 2, 64]) {
            e.data = v;
        }
        let mut fb = fb_info_request(&FB_INDICES);
        for (e, v) in
            fb.fb_info_list
                .iter_mut()
                .zip([80 * 1024 * 1024, 50 * 1024 * 1024, 128 * 1024 * 1024])
        {
            e.data = v;
        }
        let mut cl = Box::new(abi::Nv0080GetClassListV2::zeroed());
        let list = [
            class::HOPPER_CHANNEL_GPFIFO_A,
            class::HOPPER_COMPUTE_A,
            class::HOPPER_DMA_COPY_A,
            class::HOPPER_USERMODE_A,
            class::AMPERE_DMA_COPY_B,
        ];
        cl.class_list[..list.len()].copy_from_slice(&list);
        cl.num_classes = u32::try_from(list.len()).unwrap();
        (name, gid, arch, gr, fb, cl)
    }

    #[test]
    fn decodes_control_replies() {
        let (name, gid, arch, gr, fb, cl) = replies();
        let info = GpuInfo::decode(&name, &gid, &arch, &gr, &fb, &cl).unwrap();
        assert_eq!(info.name, "NVIDIA H100");
        assert_eq!(info.chipset_id, 0x180);
        assert_eq!(info.sm_version_raw, 0x900);
        assert_eq!(info.sm_slots(), 144);
        assert_eq!(info.vram_bytes, 80 << 30);
        assert_eq!(info.l2_bytes, 50 << 20);
        assert_eq!(info.classes.len(), 5);
        assert_eq!(
            info.uuid_string(),
            "GPU-00010203-0405-0607-0809-0a0b0c0d0e0f"
        );
        assert!(info.to_string().contains("SM slots:    144"));
    }

    #[test]
    fn rejects_malformed_replies() {
        let (name, mut gid, arch, mut gr, fb, mut cl) = replies();
        cl.num_classes = 1000;
        assert!(matches!(
            GpuInfo::decode(&name, &gid, &arch, &gr, &fb, &cl),
            Err(crate::error::Error::OutOfRange {
                what: "class list length",
                ..
            })
        ));
        cl.num_classes = 5;
        gid.length = 40;
        assert!(matches!(
            GpuInfo::decode(&name, &gid, &arch, &gr, &fb, &cl),
            Err(crate::error::Error::InvalidArgument {
                what: "GPU UUID reply",
                ..
            })
        ));
        gid.length = 16;
        gr.gr_info_list_size = 1; // SM version only: the rest is missing
        assert!(matches!(
            GpuInfo::decode(&name, &gid, &arch, &gr, &fb, &cl),
            Err(crate::error::Error::InvalidArgument {
                what: "GR info reply",
                ..
            })
        ));
    }

    #[test]
    fn class_choice_prefers_newest_available() {
        let (.., cl) = replies();
        let avail = &cl.class_list[..5];
        assert_eq!(
            pick_class(avail, COMPUTE_CLASSES).unwrap(),
            class::HOPPER_COMPUTE_A
        );
        assert_eq!(
            pick_class(avail, COPY_CLASSES).unwrap(),
            class::HOPPER_DMA_COPY_A
        );
        assert_eq!(
            pick_class(avail, CHANNEL_CLASSES).unwrap(),
            class::HOPPER_CHANNEL_GPFIFO_A
        );
        assert_eq!(
            pick_class(avail, USERMODE_CLASSES).unwrap(),
            class::HOPPER_USERMODE_A
        );
        let e = pick_class(&[class::TURING_COMPUTE_A], COMPUTE_CLASSES).unwrap_err();
        assert!(e.to_string().contains("compute"));
        assert!(matches!(
            require_class(avail, class::ADA_COMPUTE_A, COMPUTE_CLASSES),
            Err(crate::error::Error::NoSupportedClass {
                role: "compute",
                ..
            })
        ));
        assert!(require_class(avail, class::HOPPER_COMPUTE_A, COMPUTE_CLASSES).is_ok());
    }
}
