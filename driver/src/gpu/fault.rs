//! Fault reports: what the GPU says when it stops a channel.
//!
//! Three sources, read after a channel stopped or a wait timed out:
//! - the channel's *error notifier* (an `NvNotification`, nvgputypes.h), written by RM with a
//!   `ROBUST_CHANNEL_*` code (nverror.h) when it tears the channel down;
//! - per-SM error state and the MMU fault record, through the `GT200_DEBUGGER` object
//!   (`NV83DE_CTRL_CMD_DEBUG_READ_ALL_SM_ERROR_STATES`, `..._READ_MMU_FAULT_INFO`), as tinygrad's
//!   `on_device_hang` does.
//!
//! Decoding is hardware-independent and unit-tested; reading the sources on a live GPU is
//! **unverified** (no GPU available to this work).

use crate::rm::abi::r580 as abi;
use std::fmt;

/// Offset of error-notifier record `NV_CHANNELGPFIFO_NOTIFICATION_TYPE_ERROR` (index 0) in the
/// notifier buffer; each record is 16 bytes (nvos.h, nvgputypes.h).
pub const ERROR_NOTIFIER_OFFSET: usize = 0;
/// Bytes of one `NvNotification` record.
pub const NOTIFICATION_SIZE: usize = 16;
/// Records in a GPFIFO channel's notifier buffer (`NV_CHANNELGPFIFO_NOTIFICATION_TYPE__SIZE_1`).
pub const NOTIFICATION_COUNT: usize = 3;

/// One decoded `NvNotification` record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Notification {
    /// Nanoseconds since 1970 when RM wrote it.
    pub timestamp_ns: u64,
    /// `info32`: for the error record, the `ROBUST_CHANNEL_*` code.
    pub info32: u32,
    /// `info16`.
    pub info16: u16,
    /// `status` (bit 15 set while "in progress").
    pub status: u16,
}

impl Notification {
    /// Decodes a 16-byte record (little-endian).
    pub fn parse(b: &[u8; NOTIFICATION_SIZE]) -> Self {
        let [t0, t1, t2, t3, t4, t5, t6, t7, i0, i1, i2, i3, s0, s1, s2, s3] = *b;
        let lo = u32::from_le_bytes([t0, t1, t2, t3]);
        let hi = u32::from_le_bytes([t4, t5, t6, t7]);
        Notification {
            timestamp_ns: (u64::from(hi) << 32) | u64::from(lo),
            info32: u32::from_le_bytes([i0, i1, i2, i3]),
            info16: u16::from_le_bytes([s0, s1]),
            status: u16::from_le_bytes([s2, s3]),
        }
    }

    /// Whether RM has written an error (a fresh, zeroed notifier reads as no error).
    pub fn is_error(&self) -> bool {
        self.status != 0 || self.info32 != 0
    }
}

/// Name of a `ROBUST_CHANNEL_*` error code (nverror.h), for the codes a compute/copy user sees.
pub fn robust_channel_error_name(code: u32) -> Option<&'static str> {
    Some(match code {
        13 => "ROBUST_CHANNEL_GR_EXCEPTION",
        31 => "ROBUST_CHANNEL_FIFO_ERROR_MMU_ERR_FLT",
        32 => "ROBUST_CHANNEL_PBDMA_ERROR",
        39 => "ROBUST_CHANNEL_CE0_ERROR",
        40 => "ROBUST_CHANNEL_CE1_ERROR",
        41 => "ROBUST_CHANNEL_CE2_ERROR",
        43 => "ROBUST_CHANNEL_RESETCHANNEL_VERIF_ERROR",
        44 => "ROBUST_CHANNEL_GR_FAULT_DURING_CTXSW",
        45 => "ROBUST_CHANNEL_PREEMPTIVE_REMOVAL",
        70 => "ROBUST_CHANNEL_CE3_ERROR",
        71 => "ROBUST_CHANNEL_CE4_ERROR",
        72 => "ROBUST_CHANNEL_CE5_ERROR",
        75 => "ROBUST_CHANNEL_CE6_ERROR",
        76 => "ROBUST_CHANNEL_CE7_ERROR",
        77 => "ROBUST_CHANNEL_CE8_ERROR",
        85 => "ROBUST_CHANNEL_CE9_ERROR",
        119 => "GSP_RPC_TIMEOUT",
        _ => return None,
    })
}

/// `NV_PFAULT_FAULT_TYPE_*` name (hwref/hopper/gh100/dev_fault.h; same values on Ampere/Blackwell).
pub fn fault_type_name(t: u32) -> &'static str {
    match t {
        0x0 => "PDE",
        0x1 => "PDE_SIZE",
        0x2 => "PTE",
        0x3 => "VA_LIMIT_VIOLATION",
        0x4 => "UNBOUND_INST_BLOCK",
        0x5 => "PRIV_VIOLATION",
        0x6 => "RO_VIOLATION",
        0x7 => "WO_VIOLATION",
        0x8 => "PITCH_MASK_VIOLATION",
        0x9 => "WORK_CREATION",
        0xa => "UNSUPPORTED_APERTURE",
        0xb => "COMPRESSION_FAILURE",
        0xc => "UNSUPPORTED_KIND",
        0xd => "REGION_VIOLATION",
        0xe => "POISONED",
        0xf => "ATOMIC_VIOLATION",
        _ => "UNKNOWN",
    }
}

/// `NV_PFAULT_ACCESS_TYPE_*` name (virtual access types, dev_fault.h).
pub fn access_type_name(t: u32) -> &'static str {
    match t {
        0x0 => "READ",
        0x1 => "WRITE",
        0x2 => "ATOMIC",
        0x3 => "PREFETCH",
        0x4 => "ATOMIC_WEAK",
        0x8 => "PHYS_READ",
        0x9 => "PHYS_WRITE",
        0xa => "PHYS_ATOMIC",
        0xb => "PHYS_PREFETCH",
        _ => "UNKNOWN",
    }
}

/// One MMU fault RM recorded for the channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MmuFault {
    /// Faulting GPU virtual address.
    pub address: u64,
    /// `NV_PFAULT_FAULT_TYPE_*`.
    pub fault_type: u32,
    /// `NV_PFAULT_ACCESS_TYPE_*`.
    pub access_type: u32,
}

/// One SM with a pending exception.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmError {
    /// SM index as RM numbers them.
    pub sm: u32,
    /// Global and warp error status registers.
    pub global_esr: u32,
    pub warp_esr: u32,
    /// PC of the faulting warp.
    pub warp_pc: u64,
    /// Address reported with the error, if any.
    pub esr_addr: u64,
}

/// Everything known about why a channel stopped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultReport {
    /// The channel's error notifier, when RM wrote one.
    pub notifier: Option<Notification>,
    /// MMU faults (from `READ_MMU_FAULT_INFO`).
    pub mmu_faults: Vec<MmuFault>,
    /// SMs with exceptions (from `READ_ALL_SM_ERROR_STATES`).
    pub sm_errors: Vec<SmError>,
    /// Sources that could not be read, each with the error (so a report that looks empty says
    /// why).
    pub unread: Vec<(&'static str, String)>,
}

impl FaultReport {
    /// Adds the SM error states from a `READ_ALL_SM_ERROR_STATES` reply that started at SM
    /// `first_sm` and covered `count` SMs; returns whether RM flagged an MMU fault.
    pub fn add_sm_states(
        &mut self,
        p: &abi::Nv83deReadAllSmErrorStates,
        first_sm: u32,
        count: usize,
    ) -> bool {
        for (i, e) in p.sm_error_state_array.iter().take(count).enumerate() {
            if e.hww_global_esr != 0 || e.hww_warp_esr != 0 {
                let idx = u32::try_from(i).unwrap_or(u32::MAX);
                self.sm_errors.push(SmError {
                    sm: first_sm.saturating_add(idx),
                    global_esr: e.hww_global_esr,
                    warp_esr: e.hww_warp_esr,
                    warp_pc: e.hww_warp_esr_pc64,
                    esr_addr: e.hww_esr_addr,
                });
            }
        }
        p.mmu_fault.valid != 0
    }

    /// Adds the entries of a `READ_MMU_FAULT_INFO` reply (its `count` is clamped to the array).
    pub fn add_mmu_faults(&mut self, p: &abi::Nv83deReadMmuFaultInfo) {
        let n = usize::try_from(p.count).unwrap_or(usize::MAX);
        self.mmu_faults
            .extend(p.mmu_fault_info_list.iter().take(n).map(|e| MmuFault {
                address: e.fault_address,
                fault_type: e.fault_type,
                access_type: e.access_type,
            }));
    }

    /// Whether anything was found.
    pub fn is_empty(&self) -> bool {
        self.notifier.is_none() && self.mmu_faults.is_empty() && self.sm_errors.is_empty()
    }

    /// Records that `source` could not be read.
    pub fn note_unread(&mut self, source: &'static str, error: &crate::error::Error) {
        self.unread.push((source, error.to_string()));
    }
}

impl fmt::Display for FaultReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sep = "";
        if self.is_empty() {
            write!(f, "channel stopped with no fault recorded")?;
            sep = "; ";
        }
        if let Some(n) = &self.notifier {
            match robust_channel_error_name(n.info32) {
                Some(name) => write!(f, "channel error {name} ({})", n.info32)?,
                None => write!(f, "channel error code {}", n.info32)?,
            }
            sep = "; ";
        }
        for m in &self.mmu_faults {
            write!(
                f,
                "{sep}MMU fault at GPU VA {:#x}: {} on {}",
                m.address,
                fault_type_name(m.fault_type),
                access_type_name(m.access_type)
            )?;
            sep = "; ";
        }
        for s in &self.sm_errors {
            write!(
                f,
                "{sep}SM {} exception: global_esr={:#x} warp_esr={:#x} pc={:#x}",
                s.sm, s.global_esr, s.warp_esr, s.warp_pc
            )?;
            if s.esr_addr != 0 {
                write!(f, " addr={:#x}", s.esr_addr)?;
            }
            sep = "; ";
        }
        for (source, error) in &self.unread {
            write!(f, "{sep}could not read {source}: {error}")?;
            sep = "; ";
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rm::abi::Pod;

    #[test]
    fn notifier_decoding() {
        let mut b = [0u8; 16];
        assert!(!Notification::parse(&b).is_error());
        b[0..8].copy_from_slice(&0x1122_3344_5566_7788u64.to_le_bytes());
        b[8..12].copy_from_slice(&31u32.to_le_bytes());
        b[14..16].copy_from_slice(&0xffffu16.to_le_bytes());
        let n = Notification::parse(&b);
        assert_eq!(n.timestamp_ns, 0x1122_3344_5566_7788);
        assert_eq!(n.info32, 31);
        assert_eq!(n.status, 0xffff);
        assert!(n.is_error());
        let r = FaultReport {
            notifier: Some(n),
            ..Default::default()
        };
        assert_eq!(
            r.to_string(),
            "channel error ROBUST_CHANNEL_FIFO_ERROR_MMU_ERR_FLT (31)"
        );
    }

    #[test]
    fn report_names_the_faulting_address() {
        let mut mmu = abi::Nv83deReadMmuFaultInfo::zeroed();
        mmu.count = 1;
        mmu.mmu_fault_info_list[0] = abi::MmuFaultInfoEntry {
            fault_address: 0xdead_0000,
            fault_type: 2,
            access_type: 1,
        };
        mmu.mmu_fault_info_list[1].fault_address = 0x1234; // beyond count: ignored
        let mut r = FaultReport::default();
        r.add_mmu_faults(&mmu);
        assert_eq!(
            r.to_string(),
            "MMU fault at GPU VA 0xdead0000: PTE on WRITE"
        );
        mmu.count = 1000; // corrupt count is clamped to the array
        let mut r2 = FaultReport::default();
        r2.add_mmu_faults(&mmu);
        assert_eq!(r2.mmu_faults.len(), 4);
    }

    #[test]
    fn sm_states_keep_only_faulting_sms() {
        let mut p = Box::new(abi::Nv83deReadAllSmErrorStates::zeroed());
        p.sm_error_state_array[3].hww_warp_esr = 0x10;
        p.sm_error_state_array[3].hww_warp_esr_pc64 = 0x7f00;
        p.sm_error_state_array[99].hww_global_esr = 1;
        p.mmu_fault.valid = 1;
        let mut r = FaultReport::default();
        assert!(r.add_sm_states(&p, 100, 50));
        assert_eq!(r.sm_errors.len(), 1);
        assert_eq!(r.sm_errors[0].sm, 103);
        assert!(r.to_string().contains("SM 103 exception") && r.to_string().contains("pc=0x7f00"));
        assert_eq!(
            FaultReport::default().to_string(),
            "channel stopped with no fault recorded"
        );
    }

    #[test]
    fn unread_sources_are_named_in_the_report() {
        let mut r = FaultReport::default();
        r.note_unread(
            "SM error states",
            &crate::error::Error::Rm {
                op: "DEBUG_READ_ALL_SM_ERROR_STATES",
                status: crate::rm::NvStatus::INVALID_ARGUMENT,
            },
        );
        let msg = r.to_string();
        assert!(
            msg.starts_with(
                "channel stopped with no fault recorded; could not read SM error states: "
            ) && msg.contains("NV_ERR_INVALID_ARGUMENT"),
            "{msg}"
        );
    }
}
