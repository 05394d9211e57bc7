//! Method sequences shared by every class of one kind: host semaphores/interrupt/WFI, compute QMD launch
//! and shader memory windows, copy-engine copies and fills. Implemented once per kind with a macro over
//! the generated class modules; every method goes through the checked push, so an address that does not
//! fit a class's field (e.g. SEM_ADDR_HI 7:0 on C56F) is an error, not a silent truncation.
//!
//! The orders follow what NVIDIA's UVM driver and Mesa push (semaphore: address, payload, execute;
//! copy: offsets, line length/count, then LAUNCH_DMA). None of these sequences has been executed on a GPU
//! by this project yet: UNVERIFIED on hardware.

// The macros span classes whose methods have different field sets; `..Default::default()` fills the
// fields some classes have and others lack.
#![allow(clippy::needless_update)]

use super::{
    c56f, c6b5, c6c0, c7b5, c7c0, c86f, c8b5, c96f, c9b5, c9c0, ca6f, cab5, cbc0, cdc0, cec0, Class,
};
use crate::error::Error;
use crate::push::{Bound, PushBuffer};

/// A host semaphore operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SemaphoreOp {
    /// Write the payload (`SEM_EXECUTE_OPERATION_RELEASE`), optionally after a WFI and with a timestamp.
    Release {
        /// `RELEASE_WFI_EN`.
        wfi: bool,
        /// `RELEASE_TIMESTAMP_EN` (the semaphore then takes 16 bytes: payload and timestamp).
        timestamp: bool,
    },
    /// Wait until the value at the address equals the payload (`OPERATION_ACQUIRE`).
    AcquireEq,
    /// Wait until the value is >= the payload, wrapping (`OPERATION_ACQ_CIRC_GEQ`); `switch_tsg` lets the
    /// scheduler switch away while waiting (`ACQUIRE_SWITCH_TSG_EN`).
    AcquireCircGeq {
        /// `ACQUIRE_SWITCH_TSG`.
        switch_tsg: bool,
    },
}

/// A semaphore: GPU virtual address, payload, width.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Semaphore {
    /// GPU VA, 4-byte aligned (8-byte for 64-bit payloads).
    pub address: u64,
    /// Payload.
    pub payload: u64,
    /// 64-bit payload (`PAYLOAD_SIZE_64BIT`) instead of 32-bit.
    pub wide: bool,
}

fn lo32(v: u64) -> u32 {
    u32::try_from(v & 0xFFFF_FFFF).unwrap_or(0)
}

fn hi32(v: u64) -> u32 {
    u32::try_from(v >> 32).unwrap_or(u32::MAX)
}

fn aligned(what: &'static str, address: u64, align: u64) -> Result<(), Error> {
    if address % align != 0 {
        return Err(Error::UnalignedAddress {
            what,
            address,
            align,
        });
    }
    Ok(())
}

/// Host (channel) class sequences.
pub trait HostSequences: Class {
    /// SEM_ADDR_LO/HI, SEM_PAYLOAD_LO/HI, SEM_EXECUTE.
    fn semaphore(
        pb: &mut PushBuffer<'_>,
        on: Bound<Self>,
        sem: Semaphore,
        op: SemaphoreOp,
    ) -> Result<(), Error>;
    /// NON_STALL_INTERRUPT (handle 0).
    fn non_stall_interrupt(pb: &mut PushBuffer<'_>, on: Bound<Self>) -> Result<(), Error>;
    /// WFI with scope ALL.
    fn wait_for_idle(pb: &mut PushBuffer<'_>, on: Bound<Self>) -> Result<(), Error>;
}

macro_rules! host_sequences {
    ($($m:ident),*) => {$(
        impl HostSequences for $m::Class {
            fn semaphore(pb: &mut PushBuffer<'_>, on: Bound<Self>, sem: Semaphore, op: SemaphoreOp) -> Result<(), Error> {
                aligned("semaphore", sem.address, if sem.wide { 8 } else { 4 })?;
                if !sem.wide && sem.payload > u64::from(u32::MAX) {
                    return Err(Error::FieldOverflow { method: "SEM_PAYLOAD_LO", field: "PAYLOAD", value: sem.payload, bits: 32 });
                }
                let mut exec = $m::SemExecute {
                    payload_size: if sem.wide { $m::SemExecutePayloadSize::V64bit } else { $m::SemExecutePayloadSize::V32bit },
                    ..Default::default()
                };
                match op {
                    SemaphoreOp::Release { wfi, timestamp } => {
                        exec.operation = $m::SemExecuteOperation::Release;
                        exec.release_wfi = if wfi { $m::SemExecuteReleaseWfi::En } else { $m::SemExecuteReleaseWfi::Dis };
                        exec.release_timestamp = if timestamp {
                            $m::SemExecuteReleaseTimestamp::En
                        } else {
                            $m::SemExecuteReleaseTimestamp::Dis
                        };
                    }
                    SemaphoreOp::AcquireEq => exec.operation = $m::SemExecuteOperation::Acquire,
                    SemaphoreOp::AcquireCircGeq { switch_tsg } => {
                        exec.operation = $m::SemExecuteOperation::AcqCircGeq;
                        exec.acquire_switch_tsg = if switch_tsg {
                            $m::SemExecuteAcquireSwitchTsg::En
                        } else {
                            $m::SemExecuteAcquireSwitchTsg::Dis
                        };
                    }
                }
                pb.atomic(|pb| {
                    pb.push_checked(on, $m::SemAddrLo { offset: lo32(sem.address) >> 2 })?;
                    pb.push_checked(on, $m::SemAddrHi { offset: hi32(sem.address) })?;
                    pb.push_checked(on, $m::SemPayloadLo { payload: lo32(sem.payload) })?;
                    pb.push_checked(on, $m::SemPayloadHi { payload: hi32(sem.payload) })?;
                    pb.push_checked(on, exec)
                })
            }

            fn non_stall_interrupt(pb: &mut PushBuffer<'_>, on: Bound<Self>) -> Result<(), Error> {
                pb.push(on, $m::NonStallInterrupt { handle: 0 })
            }

            fn wait_for_idle(pb: &mut PushBuffer<'_>, on: Bound<Self>) -> Result<(), Error> {
                pb.push(on, $m::Wfi { scope: $m::WfiScope::All })
            }
        }
    )*};
}
host_sequences!(c56f, c86f, c96f, ca6f);

/// Compute class sequences.
pub trait ComputeSequences: Class {
    /// Launches the QMD at `qmd_address` (256-byte aligned): SEND_PCAS_A, then SEND_SIGNALING_PCAS2_B
    /// with PCAS_ACTION INVALIDATE_COPY_SCHEDULE.
    fn launch_qmd(pb: &mut PushBuffer<'_>, on: Bound<Self>, qmd_address: u64) -> Result<(), Error>;
    /// Writes a QMD inline: SET_INLINE_QMD_ADDRESS_A/B (256-byte aligned address) and LOAD_INLINE_QMD_DATA.
    fn load_inline_qmd(
        pb: &mut PushBuffer<'_>,
        on: Bound<Self>,
        qmd_address: u64,
        qmd: &[u32],
    ) -> Result<(), Error>;
    /// SET_SHADER_LOCAL_MEMORY_A/B (local memory buffer base).
    fn set_local_memory(
        pb: &mut PushBuffer<'_>,
        on: Bound<Self>,
        address: u64,
    ) -> Result<(), Error>;
    /// SET_SHADER_LOCAL_MEMORY_NON_THROTTLED_A/B/C (bytes, max SM count).
    fn set_local_memory_size(
        pb: &mut PushBuffer<'_>,
        on: Bound<Self>,
        bytes: u64,
        max_sm_count: u32,
    ) -> Result<(), Error>;
    /// SET_SHADER_LOCAL_MEMORY_WINDOW_A/B and SET_SHADER_SHARED_MEMORY_WINDOW_A/B.
    fn set_windows(
        pb: &mut PushBuffer<'_>,
        on: Bound<Self>,
        local: u64,
        shared: u64,
    ) -> Result<(), Error>;
}

/// SET_INLINE_QMD_ADDRESS_A for a QMD of `words` 32-bit words. Classes with an INLINE_SIZE field (Hopper and
/// later, `NVCBC0_SET_INLINE_QMD_ADDRESS_A_INLINE_SIZE` 30:30) take 256- or 384-byte QMDs and say which; the others
/// take 256-byte QMDs only. Any other length is an error rather than a silently truncated QMD.
macro_rules! inline_qmd_address_a {
    ($m:ident, sized, $upper:expr, $words:expr) => {
        match $words {
            64 => Ok($m::SetInlineQmdAddressA {
                qmd_address_shifted8_upper: $upper,
                inline_size: $m::SetInlineQmdAddressAInlineSize::Inline256,
            }),
            96 => Ok($m::SetInlineQmdAddressA {
                qmd_address_shifted8_upper: $upper,
                inline_size: $m::SetInlineQmdAddressAInlineSize::Inline384,
            }),
            n => Err(Error::InlineQmdSize {
                words: n,
                allowed: "64 (256-byte) or 96 (384-byte)",
            }),
        }
    };
    ($m:ident, , $upper:expr, $words:expr) => {
        match $words {
            64 => Ok($m::SetInlineQmdAddressA {
                qmd_address_shifted8_upper: $upper,
                ..Default::default()
            }),
            n => Err(Error::InlineQmdSize {
                words: n,
                allowed: "64 (256-byte)",
            }),
        }
    };
}

macro_rules! compute_sequences {
    ($($m:ident $($sized:ident)?),*) => {$(
        impl ComputeSequences for $m::Class {
            fn launch_qmd(pb: &mut PushBuffer<'_>, on: Bound<Self>, qmd_address: u64) -> Result<(), Error> {
                aligned("QMD", qmd_address, 256)?;
                let shifted = u32::try_from(qmd_address >> 8).map_err(|_| Error::FieldOverflow {
                    method: "SEND_PCAS_A", field: "QMD_ADDRESS_SHIFTED8", value: qmd_address >> 8, bits: 32,
                })?;
                pb.atomic(|pb| {
                    pb.push(on, $m::SendPcasA { qmd_address_shifted8: shifted })?;
                    pb.push(on, $m::SendSignalingPcas2B {
                        pcas_action: $m::SendSignalingPcas2BPcasAction::InvalidateCopySchedule,
                        ..Default::default()
                    })
                })
            }

            fn load_inline_qmd(pb: &mut PushBuffer<'_>, on: Bound<Self>, qmd_address: u64, qmd: &[u32]) -> Result<(), Error> {
                aligned("QMD", qmd_address, 256)?;
                let s = qmd_address >> 8;
                let addr_a = inline_qmd_address_a!($m, $($sized)?, hi32(s), qmd.len())?;
                pb.atomic(|pb| {
                    pb.push_checked(on, addr_a)?;
                    pb.push_checked(on, $m::SetInlineQmdAddressB { qmd_address_shifted8_lower: lo32(s) })?;
                    pb.push_array::<$m::LoadInlineQmdData>(on, 0, qmd)
                })
            }

            fn set_local_memory(pb: &mut PushBuffer<'_>, on: Bound<Self>, address: u64) -> Result<(), Error> {
                pb.atomic(|pb| {
                    pb.push_checked(on, $m::SetShaderLocalMemoryA { address_upper: hi32(address) })?;
                    pb.push_checked(on, $m::SetShaderLocalMemoryB { address_lower: lo32(address) })
                })
            }

            fn set_local_memory_size(pb: &mut PushBuffer<'_>, on: Bound<Self>, bytes: u64, max_sm_count: u32) -> Result<(), Error> {
                pb.atomic(|pb| {
                    pb.push_checked(on, $m::SetShaderLocalMemoryNonThrottledA { size_upper: hi32(bytes) })?;
                    pb.push_checked(on, $m::SetShaderLocalMemoryNonThrottledB { size_lower: lo32(bytes) })?;
                    pb.push_checked(on, $m::SetShaderLocalMemoryNonThrottledC { max_sm_count, ..Default::default() })
                })
            }

            fn set_windows(pb: &mut PushBuffer<'_>, on: Bound<Self>, local: u64, shared: u64) -> Result<(), Error> {
                pb.atomic(|pb| {
                    pb.push_checked(on, $m::SetShaderLocalMemoryWindowA { base_address_upper: hi32(local) })?;
                    pb.push_checked(on, $m::SetShaderLocalMemoryWindowB { base_address: lo32(local) })?;
                    pb.push_checked(on, $m::SetShaderSharedMemoryWindowA { base_address_upper: hi32(shared) })?;
                    pb.push_checked(on, $m::SetShaderSharedMemoryWindowB { base_address: lo32(shared) })
                })
            }
        }
    )*};
}
compute_sequences!(c6c0, c7c0, c9c0, cbc0 sized, cdc0 sized, cec0 sized);

/// Copy-engine class sequences.
pub trait CopySequences: Class {
    /// Copies `bytes` from `src` to `dst` (virtual addresses, pitch layout, one line), flushing at the end;
    /// with `release`, writes its 32-bit payload to its address once the copy is done.
    fn copy(
        pb: &mut PushBuffer<'_>,
        on: Bound<Self>,
        src: u64,
        dst: u64,
        bytes: u32,
        release: Option<Semaphore>,
    ) -> Result<(), Error>;
    /// Fills `count` 32-bit words at `dst` with `value` (remap with CONST_A, 4-byte components).
    fn fill_u32(
        pb: &mut PushBuffer<'_>,
        on: Bound<Self>,
        dst: u64,
        value: u32,
        count: u32,
        release: Option<Semaphore>,
    ) -> Result<(), Error>;
}

macro_rules! copy_sequences {
    ($($m:ident),*) => {$(
        impl CopySequences for $m::Class {
            fn copy(pb: &mut PushBuffer<'_>, on: Bound<Self>, src: u64, dst: u64, bytes: u32, release: Option<Semaphore>) -> Result<(), Error> {
                pb.atomic(|pb| Self::copy_inner(pb, on, src, dst, bytes, release))
            }

            fn fill_u32(pb: &mut PushBuffer<'_>, on: Bound<Self>, dst: u64, value: u32, count: u32, release: Option<Semaphore>) -> Result<(), Error> {
                pb.atomic(|pb| Self::fill_inner(pb, on, dst, value, count, release))
            }
        }

        impl $m::Class {
            fn copy_inner(pb: &mut PushBuffer<'_>, on: Bound<Self>, src: u64, dst: u64, bytes: u32, release: Option<Semaphore>) -> Result<(), Error> {
                pb.push_checked(on, $m::OffsetInUpper { upper: hi32(src) })?;
                pb.push_checked(on, $m::OffsetInLower { value: lo32(src) })?;
                pb.push_checked(on, $m::OffsetOutUpper { upper: hi32(dst) })?;
                pb.push_checked(on, $m::OffsetOutLower { value: lo32(dst) })?;
                pb.push(on, $m::LineLengthIn { value: bytes })?;
                pb.push(on, $m::LineCount { value: 1 })?;
                Self::pitch_launch(pb, on, false, release)
            }

            fn fill_inner(pb: &mut PushBuffer<'_>, on: Bound<Self>, dst: u64, value: u32, count: u32, release: Option<Semaphore>) -> Result<(), Error> {
                aligned("fill destination", dst, 4)?;
                pb.push(on, $m::SetRemapConstA { v: value })?;
                pb.push(on, $m::SetRemapComponents {
                    dst_x: $m::SetRemapComponentsDstX::ConstA,
                    component_size: $m::SetRemapComponentsComponentSize::Four,
                    num_src_components: $m::SetRemapComponentsNumSrcComponents::One,
                    num_dst_components: $m::SetRemapComponentsNumDstComponents::One,
                    ..Default::default()
                })?;
                pb.push_checked(on, $m::OffsetOutUpper { upper: hi32(dst) })?;
                pb.push_checked(on, $m::OffsetOutLower { value: lo32(dst) })?;
                pb.push(on, $m::LineLengthIn { value: count })?;
                pb.push(on, $m::LineCount { value: 1 })?;
                Self::pitch_launch(pb, on, true, release)
            }

            /// The one-line pitch-to-pitch `LAUNCH_DMA` (non-pipelined, flushed) both sequences end with, with the
            /// optional release.
            fn pitch_launch(pb: &mut PushBuffer<'_>, on: Bound<Self>, remap_enable: bool, release: Option<Semaphore>) -> Result<(), Error> {
                let launch = $m::LaunchDma {
                    data_transfer_type: $m::LaunchDmaDataTransferType::NonPipelined,
                    flush_enable: true,
                    src_memory_layout: $m::LaunchDmaSrcMemoryLayout::Pitch,
                    dst_memory_layout: $m::LaunchDmaDstMemoryLayout::Pitch,
                    remap_enable,
                    ..Default::default()
                };
                launch_with_release::<$m::Class, $m::LaunchDma>(pb, on, launch, release)
            }
        }

        impl CopyRelease for $m::LaunchDma {
            fn with_release(mut self) -> Result<Self, Error> {
                // "SEMAPHORE_TYPE 4:3" value 1: RELEASE_ONE_WORD_SEMAPHORE (C6B5) /
                // RELEASE_SEMAPHORE_NO_TIMESTAMP (C7B5 and later): a 32-bit payload write.
                self.semaphore_type = $m::LaunchDmaSemaphoreType::from_raw(1)
                    .ok_or_else(|| Error::UnknownEnumValue { method: "LAUNCH_DMA", field: "SEMAPHORE_TYPE", value: 1 })?;
                Ok(self)
            }

            fn set_semaphore(pb: &mut PushBuffer<'_>, on: Bound<$m::Class>, sem: Semaphore) -> Result<(), Error> {
                aligned("semaphore", sem.address, 4)?;
                let payload = u32::try_from(sem.payload).map_err(|_| Error::FieldOverflow {
                    method: "SET_SEMAPHORE_PAYLOAD", field: "PAYLOAD", value: sem.payload, bits: 32,
                })?;
                pb.push_checked(on, $m::SetSemaphoreA { upper: hi32(sem.address) })?;
                pb.push_checked(on, $m::SetSemaphoreB { lower: lo32(sem.address) })?;
                pb.push(on, $m::SetSemaphorePayload { payload })
            }
        }
    )*};
}

/// Per-class pieces of a copy-engine semaphore release.
trait CopyRelease: crate::class::Method {
    fn with_release(self) -> Result<Self, Error>;
    fn set_semaphore(
        pb: &mut PushBuffer<'_>,
        on: Bound<Self::Class>,
        sem: Semaphore,
    ) -> Result<(), Error>;
}

fn launch_with_release<C: Class, L: CopyRelease<Class = C>>(
    pb: &mut PushBuffer<'_>,
    on: Bound<C>,
    launch: L,
    release: Option<Semaphore>,
) -> Result<(), Error> {
    match release {
        Some(sem) => {
            if sem.wide {
                return Err(Error::SemaphoreUnsupported {
                    what: "copy-engine release sequences write 32-bit semaphore payloads only",
                });
            }
            L::set_semaphore(pb, on, sem)?;
            pb.push(on, launch.with_release()?)
        }
        None => pb.push(on, launch),
    }
}

copy_sequences!(c6b5, c7b5, c8b5, c9b5, cab5);
