//! `GspFwWprMeta` and the frame-buffer (WPR2) layout CPU-RM computes for it on Turing, Ampere
//! and Ada.
//!
//! Structure: open-gpu-kernel-modules `src/nvidia/arch/nvalloc/common/inc/gsp/gsp_fw_wpr_meta.h`
//! (tags 535.113.01 and 570.144; both 256 bytes). Placement: `kgspCalculateFbLayout_TU102` in
//! `src/nvidia/src/kernel/gpu/gsp/arch/turing/kernel_gsp_tu102.c` and `kgspGetFwHeapSize` /
//! `_kgspCalculateFwHeapSize` in `kernel_gsp.c` of the same tags (also nova-core `fb.rs` and
//! `gsp/fw.rs`). Layout, top of FB downwards:
//!
//! ```text
//! fbSize ─ VGA workspace ─ (gap) ─ gspFwWprEnd (128K aligned) ─ FRTS (1 MiB, 0 on GA100)
//!   ─ boot binary (4K aligned) ─ GSP-RM ELF (64K aligned) ─ WPR heap (1M aligned)
//!   ─ GspFwWprMeta (1 MiB) = gspFwWprStart ─ non-WPR heap = gspFwRsvdStart
//! ```
//!
//! Not modelled (paths of the normal bare-metal boot only): vGPU (partition counts, vGPU heap
//! sizes), the registry heap-size override, the WPR end margin of a boot retry, and Hopper/
//! Blackwell, whose layout FSP computes.
//!
//! **Unverified on hardware**: the numbers follow the OpenRM sources line by line and are checked
//! against hand computations in the tests, not against a running GPU.

use crate::abi::{FirmwareVersion, WprMetaLayout};
use crate::chip::{Architecture, Chipset};
use crate::error::{Error, Result};
use crate::reader::Reader;

/// `GSP_FW_WPR_META_MAGIC`.
pub const WPR_META_MAGIC: u64 = 0xdc3a_ae21_371a_60b3;
/// `GSP_FW_WPR_META_REVISION`.
pub const WPR_META_REVISION: u64 = 1;
/// `GSP_FW_WPR_META_VERIFIED` (written by Booter).
pub const WPR_META_VERIFIED: u64 = 0xa0a0_a0a0_a0a0_a0a0;
/// Size of `GspFwWprMeta` in both releases.
pub const WPR_META_SIZE: usize = 256;

/// `GspFwWprMeta`. Field order is the structure's order; `flags` and `pmu_reserved_size` exist
/// only in r570 (they are padding in r535).
///
/// ```text
/// #[repr(C)] struct GspFwWprMeta {            // offset
///     u64 magic, revision;                    // 0x00
///     u64 sysmemAddrOfRadix3Elf, sizeOfRadix3Elf, sysmemAddrOfBootloader, sizeOfBootloader; // 0x10
///     u64 bootloaderCodeOffset, bootloaderDataOffset, bootloaderManifestOffset;             // 0x30
///     u64 sysmemAddrOfSignature, sizeOfSignature;   // 0x48 (r570: union with heap free-list offset)
///     u64 gspFwRsvdStart, nonWprHeapOffset, nonWprHeapSize, gspFwWprStart;                  // 0x58
///     u64 gspFwHeapOffset, gspFwHeapSize, gspFwOffset, bootBinOffset, frtsOffset, frtsSize; // 0x78
///     u64 gspFwWprEnd, fbSize, vgaWorkspaceOffset, vgaWorkspaceSize, bootCount;             // 0xa8
///     u64 partitionRpcAddr; u16 partitionRpcRequestOffset, partitionRpcReplyOffset;         // 0xd0
///     u32 elfCodeOffset, elfDataOffset, elfCodeSize, elfDataSize, lsUcodeVersion;            // 0xdc
///     u8  gspFwHeapVfPartitionCount;                                                         // 0xf0
///     r535: u8 padding[7];   r570: u8 flags; u8 padding[2]; u32 pmuReservedSize;             // 0xf1
///     u64 verified;                                                                          // 0xf8
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct GspFwWprMeta {
    pub magic: u64,
    pub revision: u64,
    pub sysmem_addr_of_radix3_elf: u64,
    pub size_of_radix3_elf: u64,
    pub sysmem_addr_of_bootloader: u64,
    pub size_of_bootloader: u64,
    pub bootloader_code_offset: u64,
    pub bootloader_data_offset: u64,
    pub bootloader_manifest_offset: u64,
    pub sysmem_addr_of_signature: u64,
    pub size_of_signature: u64,
    pub gsp_fw_rsvd_start: u64,
    pub non_wpr_heap_offset: u64,
    pub non_wpr_heap_size: u64,
    pub gsp_fw_wpr_start: u64,
    pub gsp_fw_heap_offset: u64,
    pub gsp_fw_heap_size: u64,
    pub gsp_fw_offset: u64,
    pub boot_bin_offset: u64,
    pub frts_offset: u64,
    pub frts_size: u64,
    pub gsp_fw_wpr_end: u64,
    pub fb_size: u64,
    pub vga_workspace_offset: u64,
    pub vga_workspace_size: u64,
    pub boot_count: u64,
    pub partition_rpc_addr: u64,
    pub partition_rpc_request_offset: u16,
    pub partition_rpc_reply_offset: u16,
    pub elf_code_offset: u32,
    pub elf_data_offset: u32,
    pub elf_code_size: u32,
    pub elf_data_size: u32,
    pub ls_ucode_version: u32,
    pub gsp_fw_heap_vf_partition_count: u8,
    /// r570 only (`GSP_FW_FLAGS_*`).
    pub flags: u8,
    /// r570 only.
    pub pmu_reserved_size: u32,
    pub verified: u64,
}

impl GspFwWprMeta {
    /// The 256 bytes as the firmware reads them.
    pub fn to_bytes(&self, layout: WprMetaLayout) -> [u8; WPR_META_SIZE] {
        let mut b = [0u8; WPR_META_SIZE];
        let u64s = [
            self.magic,
            self.revision,
            self.sysmem_addr_of_radix3_elf,
            self.size_of_radix3_elf,
            self.sysmem_addr_of_bootloader,
            self.size_of_bootloader,
            self.bootloader_code_offset,
            self.bootloader_data_offset,
            self.bootloader_manifest_offset,
            self.sysmem_addr_of_signature,
            self.size_of_signature,
            self.gsp_fw_rsvd_start,
            self.non_wpr_heap_offset,
            self.non_wpr_heap_size,
            self.gsp_fw_wpr_start,
            self.gsp_fw_heap_offset,
            self.gsp_fw_heap_size,
            self.gsp_fw_offset,
            self.boot_bin_offset,
            self.frts_offset,
            self.frts_size,
            self.gsp_fw_wpr_end,
            self.fb_size,
            self.vga_workspace_offset,
            self.vga_workspace_size,
            self.boot_count,
            self.partition_rpc_addr,
        ];
        for (chunk, v) in b.chunks_exact_mut(8).zip(u64s) {
            chunk.copy_from_slice(&v.to_le_bytes());
        }
        b[0xd8..0xda].copy_from_slice(&self.partition_rpc_request_offset.to_le_bytes());
        b[0xda..0xdc].copy_from_slice(&self.partition_rpc_reply_offset.to_le_bytes());
        let u32s = [
            self.elf_code_offset,
            self.elf_data_offset,
            self.elf_code_size,
            self.elf_data_size,
            self.ls_ucode_version,
        ];
        for (chunk, v) in b[0xdc..0xf0].chunks_exact_mut(4).zip(u32s) {
            chunk.copy_from_slice(&v.to_le_bytes());
        }
        b[0xf0] = self.gsp_fw_heap_vf_partition_count;
        if layout == WprMetaLayout::R570 {
            b[0xf1] = self.flags;
            b[0xf4..0xf8].copy_from_slice(&self.pmu_reserved_size.to_le_bytes());
        }
        b[0xf8..0x100].copy_from_slice(&self.verified.to_le_bytes());
        b
    }

    /// Reads a `GspFwWprMeta` back (e.g. from a memory dump); checks the magic.
    pub fn from_bytes(bytes: &[u8], layout: WprMetaLayout) -> Result<Self> {
        let r = Reader::new(bytes);
        const W: &str = "GspFwWprMeta";
        let q = |i: u64| r.u64(W, i * 8);
        let m = Self {
            magic: q(0)?,
            revision: q(1)?,
            sysmem_addr_of_radix3_elf: q(2)?,
            size_of_radix3_elf: q(3)?,
            sysmem_addr_of_bootloader: q(4)?,
            size_of_bootloader: q(5)?,
            bootloader_code_offset: q(6)?,
            bootloader_data_offset: q(7)?,
            bootloader_manifest_offset: q(8)?,
            sysmem_addr_of_signature: q(9)?,
            size_of_signature: q(10)?,
            gsp_fw_rsvd_start: q(11)?,
            non_wpr_heap_offset: q(12)?,
            non_wpr_heap_size: q(13)?,
            gsp_fw_wpr_start: q(14)?,
            gsp_fw_heap_offset: q(15)?,
            gsp_fw_heap_size: q(16)?,
            gsp_fw_offset: q(17)?,
            boot_bin_offset: q(18)?,
            frts_offset: q(19)?,
            frts_size: q(20)?,
            gsp_fw_wpr_end: q(21)?,
            fb_size: q(22)?,
            vga_workspace_offset: q(23)?,
            vga_workspace_size: q(24)?,
            boot_count: q(25)?,
            partition_rpc_addr: q(26)?,
            partition_rpc_request_offset: r.u16(W, 0xd8u64)?,
            partition_rpc_reply_offset: r.u16(W, 0xdau64)?,
            elf_code_offset: r.u32(W, 0xdcu64)?,
            elf_data_offset: r.u32(W, 0xe0u64)?,
            elf_code_size: r.u32(W, 0xe4u64)?,
            elf_data_size: r.u32(W, 0xe8u64)?,
            ls_ucode_version: r.u32(W, 0xecu64)?,
            gsp_fw_heap_vf_partition_count: r.u8(W, 0xf0u64)?,
            flags: if layout == WprMetaLayout::R570 {
                r.u8(W, 0xf1u64)?
            } else {
                0
            },
            pmu_reserved_size: if layout == WprMetaLayout::R570 {
                r.u32(W, 0xf4u64)?
            } else {
                0
            },
            verified: r.u64(W, 0xf8u64)?,
        };
        if m.magic != WPR_META_MAGIC {
            return Err(Error::BadMagic {
                what: "GspFwWprMeta.magic",
                expected: WPR_META_MAGIC,
                found: m.magic,
            });
        }
        Ok(m)
    }
}

/// What the layout computation needs to know about the GPU and the loaded firmware.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WprInputs {
    pub chip: Chipset,
    pub version: FirmwareVersion,
    /// Usable frame-buffer size in bytes (`kmemsysGetUsableFbSize`).
    pub fb_size: u64,
    /// `NV_PDISP_VGA_WORKSPACE_BASE` decoded to a byte address, when the chip has display and the
    /// register holds a valid address; `None` otherwise (then the workspace is the top 1 MiB).
    pub vga_workspace_base: Option<u64>,
    /// Low end of the MMU-locked range set up by the VBIOS, when valid (`memmgrReadMmuLock`).
    pub mmu_lock_lo: Option<u64>,
    /// Size of `.fwimage` (`sizeOfRadix3Elf`).
    pub gsp_image_size: u64,
    /// Size of the RISC-V bootloader payload (`sizeOfBootloader`).
    pub bootloader_size: u64,
    /// `RM_RISCV_UCODE_DESC` monitor code / monitor data / manifest offsets.
    pub bootloader_code_offset: u64,
    pub bootloader_data_offset: u64,
    pub bootloader_manifest_offset: u64,
    /// Bus address of radix3 level 0, of the bootloader payload and of the signature blob.
    pub sysmem_addr_of_radix3_elf: u64,
    pub sysmem_addr_of_bootloader: u64,
    pub sysmem_addr_of_signature: u64,
    pub size_of_signature: u64,
    /// r570 `GSP_FW_FLAGS_CLOCK_BOOST` (OpenRM's default unless the registry disables it).
    pub clock_boost: bool,
}

/// `NV_PRAMIN` window size: the VGA workspace default when display is absent.
const PRAMIN_SIZE: u64 = 1 << 20;
/// `VBIOS_WORKSPACE_SIZE` used when the workspace register points below the PRAMIN window.
const VBIOS_WORKSPACE_SIZE: u64 = 0x20000;
const MIB: u64 = 1 << 20;
/// FRTS size (`NV_PGC6_AON_FRTS_INPUT_WPR_SIZE_..._1MB_IN_4K` * 4K); 0 on GA100.
const FRTS_SIZE: u64 = MIB;

fn align_down(v: u64, a: u64) -> u64 {
    v - v % a
}

fn align_up(what: &'static str, v: u64, a: u64) -> Result<u64> {
    v.checked_add(a - 1)
        .map(|x| align_down(x, a))
        .ok_or(Error::Overflow { what })
}

/// Computes `GspFwWprMeta` for a Turing, Ampere or Ada GPU.
pub fn compute(inp: &WprInputs) -> Result<GspFwWprMeta> {
    let chip = inp.chip;
    let arch = chip.arch();
    if matches!(arch, Architecture::Hopper | Architecture::Blackwell) {
        return Err(Error::UnsupportedChip {
            what: "host-computed WPR2 layout",
            chip,
        });
    }
    let abi = inp.version.abi();
    let h = &abi.heap;
    let fb = inp.fb_size;
    let fit = |what: &'static str| Error::LayoutDoesNotFit { what, fb_size: fb };
    let sub = |what: &'static str, a: u64, b: u64| a.checked_sub(b).ok_or_else(|| fit(what));

    let mut m = GspFwWprMeta {
        fb_size: fb,
        ..Default::default()
    };

    // VGA workspace.
    m.vga_workspace_offset = match inp.vga_workspace_base {
        Some(base) if base < sub("VGA workspace", fb, PRAMIN_SIZE)? => {
            sub("VGA workspace", fb, VBIOS_WORKSPACE_SIZE)?
        }
        Some(base) if base <= fb => base,
        Some(base) => {
            return Err(Error::InvalidField {
                what: "VGA workspace base",
                value: base,
                reason: "above the end of the frame buffer",
            })
        }
        None => sub("VGA workspace", fb, PRAMIN_SIZE)?,
    };
    m.vga_workspace_size = fb - m.vga_workspace_offset;
    let vbios_reserved = inp
        .mmu_lock_lo
        .map_or(m.vga_workspace_offset, |lo| lo.min(m.vga_workspace_offset));

    m.size_of_radix3_elf = inp.gsp_image_size;
    m.gsp_fw_wpr_end = align_down(vbios_reserved, 0x20000);
    m.frts_size = if chip == Chipset::Ga100 { 0 } else { FRTS_SIZE };
    m.frts_offset = sub("FRTS", m.gsp_fw_wpr_end, m.frts_size)?;
    m.size_of_bootloader = inp.bootloader_size;
    m.boot_bin_offset = align_down(
        sub("boot binary", m.frts_offset, inp.bootloader_size)?,
        0x1000,
    );
    m.gsp_fw_offset = align_down(
        sub("GSP-RM ELF", m.boot_bin_offset, inp.gsp_image_size)?,
        0x10000,
    );

    // Heap size (`_kgspCalculateFwHeapSize`).
    let libos2 = arch == Architecture::Turing || chip == Chipset::Ga100;
    let non_wpr = align_up("non-WPR heap", h.non_wpr_heap_tu10x, MIB)?;
    let meta_size = MIB; // NV_ALIGN_UP64(sizeof(GspFwWprMeta), 1 MiB)
    let posterior = match abi.wpr_meta {
        WprMetaLayout::R570 => align_up("post-heap size", fb - m.gsp_fw_offset, MIB)?,
        WprMetaLayout::R535 => fb - m.gsp_fw_offset,
    };
    let anterior = if h.prescrub_limit_counts_anterior {
        meta_size + non_wpr
    } else {
        0
    };
    let scrubber = arch == Architecture::Ada;
    let max_mb: u64 = if !scrubber && !(abi.prescrub_unlimited)(chip) {
        let reserved = anterior.checked_add(posterior).ok_or(Error::Overflow {
            what: "pre-scrubbed limit",
        })?;
        let left = h
            .prescrubbed_top_fb
            .checked_sub(reserved)
            .ok_or_else(|| fit("pre-scrubbed top of FB"))?;
        left >> 20
    } else {
        u64::from(u32::MAX)
    };
    let fb_gb = fb.div_ceil(1 << 30);
    let os = if libos2 {
        h.os_carveout_libos2
    } else {
        h.os_carveout_libos3
    };
    let min_mb = if libos2 {
        h.min_mb_libos2
    } else {
        h.min_mb_libos3
    };
    let per_gb = h.per_gb_fb.checked_mul(fb_gb).ok_or(Error::Overflow {
        what: "heap per GiB",
    })?;
    let heap = [
        h.base_rm_tu10x,
        align_up("heap per GiB", per_gb, MIB)?,
        align_up("client heap", h.client_alloc, MIB)?,
    ]
    .into_iter()
    .try_fold(os, |a, b| a.checked_add(b))
    .ok_or(Error::Overflow {
        what: "GSP heap size",
    })?;
    let heap = heap.max(min_mb << 20).min(max_mb << 20);

    m.gsp_fw_heap_offset = align_down(sub("WPR heap", m.gsp_fw_offset, heap)?, MIB);
    m.gsp_fw_heap_size = align_down(m.gsp_fw_offset - m.gsp_fw_heap_offset, MIB);
    m.gsp_fw_wpr_start = sub("GspFwWprMeta", m.gsp_fw_heap_offset, meta_size)?;
    m.non_wpr_heap_size = non_wpr;
    m.non_wpr_heap_offset = sub("non-WPR heap", m.gsp_fw_wpr_start, non_wpr)?;
    m.gsp_fw_rsvd_start = m.non_wpr_heap_offset;

    m.sysmem_addr_of_radix3_elf = inp.sysmem_addr_of_radix3_elf;
    m.sysmem_addr_of_bootloader = inp.sysmem_addr_of_bootloader;
    m.bootloader_code_offset = inp.bootloader_code_offset;
    m.bootloader_data_offset = inp.bootloader_data_offset;
    m.bootloader_manifest_offset = inp.bootloader_manifest_offset;
    m.sysmem_addr_of_signature = inp.sysmem_addr_of_signature;
    m.size_of_signature = inp.size_of_signature;
    m.revision = WPR_META_REVISION;
    m.magic = WPR_META_MAGIC;
    if abi.wpr_meta == WprMetaLayout::R570 && inp.clock_boost {
        m.flags |= 1; // GSP_FW_FLAGS_CLOCK_BOOST
    }
    Ok(m)
}
