//! Bootloaders in an `nvfw_bin_hdr` container:
//!
//! * the GSP RISC-V bootloader (`bootloader-*.bin`), whose application header is
//!   `RM_RISCV_UCODE_DESC` (open-gpu-kernel-modules `src/nvidia/arch/nvalloc/common/inc/rmRiscvUcode.h`;
//!   nova-core `firmware/riscv.rs`);
//! * the generic falcon bootloader of Turing/GA100 (`gen_bootloader-*.bin`) that loads FWSEC by DMA,
//!   whose application header is a falcon bootloader descriptor (nova-core `firmware/fwsec/bootloader.rs`).

use crate::bin::{BinFile, BinHeader};
use crate::error::{Error, Result};
use crate::reader::{add, u64_of};

/// `RM_RISCV_UCODE_DESC`. Versions 1–4 have the first 19 fields (76 bytes); version 5 (r570,
/// "entire RISC-V image signed as code", Hopper and later) adds `fb_reserved_size` and
/// `signed_as_code` (84 bytes).
///
/// ```text
/// #[repr(C)] struct RM_RISCV_UCODE_DESC {
///     u32 version; u32 bootloaderOffset; u32 bootloaderSize; u32 bootloaderParamOffset;
///     u32 bootloaderParamSize; u32 riscvElfOffset; u32 riscvElfSize; u32 appVersion;
///     u32 manifestOffset; u32 manifestSize; u32 monitorDataOffset; u32 monitorDataSize;
///     u32 monitorCodeOffset; u32 monitorCodeSize; u32 bIsMonitorEnabled;
///     u32 swbromCodeOffset; u32 swbromCodeSize; u32 swbromDataOffset; u32 swbromDataSize;
///     u32 fbReservedSize; u32 bSignedAsCode;   // version 5 only
/// }
/// ```
/// Offsets are offsets into the payload (`nvfw_bin_hdr.data_offset..`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct RiscvUcodeDesc {
    pub version: u32,
    pub bootloader_offset: u32,
    pub bootloader_size: u32,
    pub bootloader_param_offset: u32,
    pub bootloader_param_size: u32,
    pub riscv_elf_offset: u32,
    pub riscv_elf_size: u32,
    pub app_version: u32,
    pub manifest_offset: u32,
    pub manifest_size: u32,
    pub monitor_data_offset: u32,
    pub monitor_data_size: u32,
    pub monitor_code_offset: u32,
    pub monitor_code_size: u32,
    pub is_monitor_enabled: u32,
    pub swbrom_code_offset: u32,
    pub swbrom_code_size: u32,
    pub swbrom_data_offset: u32,
    pub swbrom_data_size: u32,
    /// Version 5 only.
    pub fb_reserved_size: Option<u32>,
    /// Version 5 only.
    pub signed_as_code: Option<u32>,
}

impl RiscvUcodeDesc {
    /// Size in bytes of a descriptor of `version`, or `None` for a version this crate does not know.
    pub fn size_for_version(version: u32) -> Option<u64> {
        match version {
            1..=4 => Some(76),
            5 => Some(84),
            _ => None,
        }
    }
}

/// A parsed GSP RISC-V bootloader: descriptor and payload.
#[derive(Debug, Clone)]
pub struct RiscvBootloader {
    pub bin: BinHeader,
    pub desc: RiscvUcodeDesc,
    /// The payload handed to the GSP (`sysmemAddrOfBootloader`, `sizeOfBootloader` = its length).
    pub ucode: Vec<u8>,
}

fn check_range(what: &'static str, offset: u32, size: u32, payload_len: usize) -> Result<()> {
    let end = add(what, u64::from(offset), u64::from(size))?;
    if end > u64_of(payload_len) {
        return Err(Error::OutOfBounds {
            what,
            offset: u64::from(offset),
            len: u64::from(size),
            input_len: u64_of(payload_len),
        });
    }
    Ok(())
}

impl RiscvBootloader {
    /// Parses `bootloader-*.bin`.
    pub fn parse(file: &[u8]) -> Result<Self> {
        let bin = BinFile::parse(file)?;
        let what = "RM_RISCV_UCODE_DESC";
        let at = bin.app_header(what, 4)?;
        let version = bin.reader().u32(what, at)?;
        let size = RiscvUcodeDesc::size_for_version(version).ok_or(Error::InvalidField {
            what: "RM_RISCV_UCODE_DESC.version",
            value: u64::from(version),
            reason: "known versions are 1 to 5",
        })?;
        let at = bin.app_header(what, size)?;
        let mut c = bin.reader().cursor(what, add(what, at, 4)?);
        let mut desc = RiscvUcodeDesc {
            version,
            bootloader_offset: c.u32()?,
            bootloader_size: c.u32()?,
            bootloader_param_offset: c.u32()?,
            bootloader_param_size: c.u32()?,
            riscv_elf_offset: c.u32()?,
            riscv_elf_size: c.u32()?,
            app_version: c.u32()?,
            manifest_offset: c.u32()?,
            manifest_size: c.u32()?,
            monitor_data_offset: c.u32()?,
            monitor_data_size: c.u32()?,
            monitor_code_offset: c.u32()?,
            monitor_code_size: c.u32()?,
            is_monitor_enabled: c.u32()?,
            swbrom_code_offset: c.u32()?,
            swbrom_code_size: c.u32()?,
            swbrom_data_offset: c.u32()?,
            swbrom_data_size: c.u32()?,
            fb_reserved_size: None,
            signed_as_code: None,
        };
        if version >= 5 {
            desc.fb_reserved_size = Some(c.u32()?);
            desc.signed_as_code = Some(c.u32()?);
        }
        let ucode = bin.data()?;
        let n = ucode.len();
        check_range(
            "RISC-V bootloader: bootloader code",
            desc.bootloader_offset,
            desc.bootloader_size,
            n,
        )?;
        check_range(
            "RISC-V bootloader: bootloader parameters",
            desc.bootloader_param_offset,
            desc.bootloader_param_size,
            n,
        )?;
        check_range(
            "RISC-V bootloader: RISC-V ELF",
            desc.riscv_elf_offset,
            desc.riscv_elf_size,
            n,
        )?;
        check_range(
            "RISC-V bootloader: manifest",
            desc.manifest_offset,
            desc.manifest_size,
            n,
        )?;
        check_range(
            "RISC-V bootloader: monitor data",
            desc.monitor_data_offset,
            desc.monitor_data_size,
            n,
        )?;
        check_range(
            "RISC-V bootloader: monitor code",
            desc.monitor_code_offset,
            desc.monitor_code_size,
            n,
        )?;
        check_range(
            "RISC-V bootloader: SW-BROM code",
            desc.swbrom_code_offset,
            desc.swbrom_code_size,
            n,
        )?;
        check_range(
            "RISC-V bootloader: SW-BROM data",
            desc.swbrom_data_offset,
            desc.swbrom_data_size,
            n,
        )?;
        Ok(Self {
            bin: bin.header,
            desc,
            ucode: ucode.to_vec(),
        })
    }
}

/// Falcon bootloader descriptor at the head of `gen_bootloader-*.bin`.
///
/// ```text
/// #[repr(C)] struct BootloaderDesc {
///     u32 start_tag;     // IMEM tag the bootloader starts at (boot address = start_tag << 8)
///     u32 dmem_load_off; // DMEM offset of the descriptor the driver fills in
///     u32 code_off;      // code offset in the payload
///     u32 code_size;     // code size
///     u32 data_off;      // data offset in the payload
///     u32 data_size;     // data size
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct FalconBootloaderDesc {
    pub start_tag: u32,
    pub dmem_load_off: u32,
    pub code_off: u32,
    pub code_size: u32,
    pub data_off: u32,
    pub data_size: u32,
}

/// A parsed generic falcon bootloader.
#[derive(Debug, Clone)]
pub struct FalconBootloader {
    pub bin: BinHeader,
    pub desc: FalconBootloaderDesc,
    /// The bootloader code (`code_off .. code_off + code_size` of the payload).
    pub code: Vec<u8>,
}

impl FalconBootloader {
    /// Parses `gen_bootloader-*.bin`.
    pub fn parse(file: &[u8]) -> Result<Self> {
        let bin = BinFile::parse(file)?;
        let what = "falcon bootloader descriptor";
        let at = bin.app_header(what, 24)?;
        let mut c = bin.reader().cursor(what, at);
        let desc = FalconBootloaderDesc {
            start_tag: c.u32()?,
            dmem_load_off: c.u32()?,
            code_off: c.u32()?,
            code_size: c.u32()?,
            data_off: c.u32()?,
            data_size: c.u32()?,
        };
        // The start tag addresses 256-byte IMEM blocks; the boot address must fit in 32 bits.
        if desc.start_tag > 0x00ff_ffff {
            return Err(Error::InvalidField {
                what: "falcon bootloader descriptor.start_tag",
                value: u64::from(desc.start_tag),
                reason: "IMEM block tag beyond the 32-bit address space",
            });
        }
        if desc.code_size == 0 {
            return Err(Error::InvalidField {
                what: "falcon bootloader descriptor.code_size",
                value: 0,
                reason: "empty code",
            });
        }
        let payload = bin.data()?;
        check_range(
            "falcon bootloader: code",
            desc.code_off,
            desc.code_size,
            payload.len(),
        )?;
        check_range(
            "falcon bootloader: data",
            desc.data_off,
            desc.data_size,
            payload.len(),
        )?;
        let code = crate::reader::Reader::new(payload).bytes(
            "falcon bootloader: code",
            u64::from(desc.code_off),
            u64::from(desc.code_size),
        )?;
        Ok(Self {
            bin: bin.header,
            desc,
            code: code.to_vec(),
        })
    }

    /// IMEM address execution starts at (`start_tag << 8`).
    pub fn boot_addr(&self) -> u32 {
        self.desc.start_tag << 8
    }
}
