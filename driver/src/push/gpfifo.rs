//! GPFIFO entries: 8 bytes each, pointing the PBDMA at a pushbuffer segment (or carrying a control opcode).
//!
//! Layout from the host class headers (`NVC56F_GP_ENTRY*` in clc56f.h; the same bit ranges in
//! `NVC86F_GP_ENTRY*` clc86f.h, `NVC96F_GP_ENTRY*` clc96f.h, `NVCA6F_GP_ENTRY*` clca6f.h):
//! - `GP_ENTRY__SIZE` 8
//! - `GP_ENTRY0_FETCH` 0:0 (UNCONDITIONAL 0, CONDITIONAL 1), `GP_ENTRY0_GET` 31:2 (address bits 31:2),
//!   `GP_ENTRY0_OPERAND` 31:0 (control entries)
//! - `GP_ENTRY1_GET_HI` 7:0 (address bits 39:32), `GP_ENTRY1_LEVEL` 9:9 (MAIN 0, SUBROUTINE 1),
//!   `GP_ENTRY1_LENGTH` 30:10 (dwords; 0 makes a control entry), `GP_ENTRY1_SYNC` 31:31 (PROCEED 0, WAIT 1),
//!   `GP_ENTRY1_OPCODE` 7:0 (control entries: NOP 0, ILLEGAL 1, GP_CRC 2, PB_CRC 3,
//!   SET_PB_SEGMENT_EXTENDED_BASE 4 — the last from clc86f.h on).
//!
//! The Fermi-era `GP_ENTRY0_NO_CONTEXT_SWITCH` bit (cl906f.h, 1:1) is not defined by the Ampere and later
//! headers (ENTRY0_GET starts at bit 2 there), so it is not offered here.

use crate::error::Error;

/// Bytes per entry (`GP_ENTRY__SIZE`).
pub const GP_ENTRY_SIZE: usize = 8;
/// Largest pushbuffer segment length in dwords (`GP_ENTRY1_LENGTH` is 21 bits).
pub const MAX_LENGTH_DWORDS: u32 = (1 << 21) - 1;
/// Addresses reachable without `SET_PB_SEGMENT_EXTENDED_BASE` (GET 31:2 + GET_HI 7:0 = 40 bits).
pub const MAX_ADDRESS: u64 = (1 << 40) - 1;

/// `GP_ENTRY0_FETCH`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Fetch {
    /// `UNCONDITIONAL` (0).
    #[default]
    Unconditional,
    /// `CONDITIONAL` (1).
    Conditional,
}

/// `GP_ENTRY1_LEVEL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Level {
    /// `MAIN` (0).
    #[default]
    Main,
    /// `SUBROUTINE` (1).
    Subroutine,
}

/// `GP_ENTRY1_SYNC`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Sync {
    /// `PROCEED` (0).
    #[default]
    Proceed,
    /// `WAIT` (1): wait until previous pushbuffer data was consumed before fetching this one.
    Wait,
}

/// `GP_ENTRY1_OPCODE` of a control entry (LENGTH 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Opcode {
    /// `NOP` (0).
    Nop,
    /// `ILLEGAL` (1).
    Illegal,
    /// `GP_CRC` (2).
    GpCrc,
    /// `PB_CRC` (3).
    PbCrc,
    /// `SET_PB_SEGMENT_EXTENDED_BASE` (4), operand `GP_ENTRY0_PB_EXTENDED_BASE_OPERAND` 24:8.
    SetPbSegmentExtendedBase,
    /// A value the headers do not name.
    Other(u8),
}

impl Opcode {
    /// Raw 8-bit value.
    pub const fn raw(self) -> u8 {
        match self {
            Self::Nop => 0,
            Self::Illegal => 1,
            Self::GpCrc => 2,
            Self::PbCrc => 3,
            Self::SetPbSegmentExtendedBase => 4,
            Self::Other(v) => v,
        }
    }

    /// From the raw value.
    pub const fn from_raw(v: u8) -> Self {
        match v {
            0 => Self::Nop,
            1 => Self::Illegal,
            2 => Self::GpCrc,
            3 => Self::PbCrc,
            4 => Self::SetPbSegmentExtendedBase,
            v => Self::Other(v),
        }
    }
}

/// One GPFIFO entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GpEntry {
    /// Fetch `length` dwords of pushbuffer at GPU virtual address `address`.
    Segment {
        /// Pushbuffer GPU VA, 4-byte aligned, below 2^40.
        address: u64,
        /// Length in dwords, 1..=2^21-1.
        length: u32,
        /// `FETCH`.
        fetch: Fetch,
        /// `LEVEL`.
        level: Level,
        /// `SYNC`.
        sync: Sync,
    },
    /// A control entry (LENGTH 0).
    Control {
        /// `OPCODE`.
        opcode: Opcode,
        /// `GP_ENTRY0_OPERAND`.
        operand: u32,
        /// `SYNC`.
        sync: Sync,
    },
}

impl GpEntry {
    /// A main-level, unconditional, non-waiting segment entry; checks address and length.
    pub fn segment(address: u64, length: u32) -> Result<Self, Error> {
        let e = Self::Segment {
            address,
            length,
            fetch: Fetch::Unconditional,
            level: Level::Main,
            sync: Sync::Proceed,
        };
        e.encode()?;
        Ok(e)
    }

    /// Encodes to the two entry words `[ENTRY0, ENTRY1]`.
    pub fn encode(&self) -> Result<[u32; 2], Error> {
        match *self {
            Self::Segment {
                address,
                length,
                fetch,
                level,
                sync,
            } => {
                if address & 3 != 0 || address > MAX_ADDRESS {
                    return Err(Error::GpEntryOutOfRange {
                        what: "address",
                        value: address,
                    });
                }
                if length == 0 || length > MAX_LENGTH_DWORDS {
                    return Err(Error::GpEntryOutOfRange {
                        what: "length",
                        value: u64::from(length),
                    });
                }
                let lo = u32::try_from(address & 0xFFFF_FFFC).unwrap_or(0);
                let hi = u32::try_from((address >> 32) & 0xFF).unwrap_or(0);
                let e0 = lo | u32::from(fetch == Fetch::Conditional);
                let e1 = hi
                    | (u32::from(level == Level::Subroutine) << 9)
                    | (length << 10)
                    | (u32::from(sync == Sync::Wait) << 31);
                Ok([e0, e1])
            }
            Self::Control {
                opcode,
                operand,
                sync,
            } => Ok([
                operand,
                u32::from(opcode.raw()) | (u32::from(sync == Sync::Wait) << 31),
            ]),
        }
    }

    /// Encodes to the 64-bit little-endian entry value (`ENTRY0 | ENTRY1 << 32`).
    pub fn encode_u64(&self) -> Result<u64, Error> {
        let [e0, e1] = self.encode()?;
        Ok(u64::from(e0) | (u64::from(e1) << 32))
    }

    /// Decodes two entry words (any values decode; bits no field covers are ignored).
    pub fn decode(words: [u32; 2]) -> Self {
        let [e0, e1] = words;
        let length = (e1 >> 10) & MAX_LENGTH_DWORDS;
        let sync = if e1 >> 31 != 0 {
            Sync::Wait
        } else {
            Sync::Proceed
        };
        if length == 0 {
            return Self::Control {
                opcode: Opcode::from_raw((e1 & 0xFF) as u8),
                operand: e0,
                sync,
            };
        }
        Self::Segment {
            address: u64::from(e0 & 0xFFFF_FFFC) | (u64::from(e1 & 0xFF) << 32),
            length,
            fetch: if e0 & 1 != 0 {
                Fetch::Conditional
            } else {
                Fetch::Unconditional
            },
            level: if (e1 >> 9) & 1 != 0 {
                Level::Subroutine
            } else {
                Level::Main
            },
            sync,
        }
    }
}

impl core::fmt::Display for GpEntry {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Segment { address, length, fetch, level, sync } => write!(
                f,
                "GP_ENTRY segment address={address:#x} length={length} dwords fetch={fetch:?} level={level:?} sync={sync:?}"
            ),
            Self::Control { opcode, operand, sync } => {
                write!(f, "GP_ENTRY control opcode={opcode:?} operand={operand:#x} sync={sync:?}")
            }
        }
    }
}
