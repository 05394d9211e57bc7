//! The channel control area (USERD): where software writes GP_PUT and reads GP_GET.
//!
//! Layout transcribed from `Nvc56fControl` (clc56f.h) and `Nvc86fControl` (clc86f.h): 128 dwords,
//! `Put` 0x40, `Get` 0x44, `Reference` 0x48, `PutHi` 0x4c, `TopLevelGet` 0x58, `TopLevelGetHi` 0x5c,
//! `GetHi` 0x60, `GPGet` 0x88, `GPPut` 0x8c. The Blackwell headers (`Nvc96fControl` clc96f.h,
//! `Nvca6fControl` clca6f.h) publish only `GPPut` at 0x8c in the same 128-dword area; they do not name
//! GP_GET, so [`UserdLayout::gp_get`] is `None` for those classes.
//!
//! This module is layout only; the channel code does the (volatile) accesses.

/// The control area as a `#[repr(C)]` struct (Ampere C56F / Hopper C86F layout).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelControl {
    /// `Ignored00[0x010]` 0x00..0x3f.
    pub ignored00: [u32; 0x10],
    /// `Put` 0x40: put offset.
    pub put: u32,
    /// `Get` 0x44: get offset, read only.
    pub get: u32,
    /// `Reference` 0x48.
    pub reference: u32,
    /// `PutHi` 0x4c.
    pub put_hi: u32,
    /// `Ignored01[0x002]` 0x50..0x57.
    pub ignored01: [u32; 2],
    /// `TopLevelGet` 0x58.
    pub top_level_get: u32,
    /// `TopLevelGetHi` 0x5c.
    pub top_level_get_hi: u32,
    /// `GetHi` 0x60.
    pub get_hi: u32,
    /// `Ignored02[0x007]` 0x64..0x7f.
    pub ignored02: [u32; 7],
    /// `Ignored03` 0x80 (used to be engine yield).
    pub ignored03: u32,
    /// `Ignored04[0x001]` 0x84.
    pub ignored04: [u32; 1],
    /// `GPGet` 0x88: GPFIFO get index, read only.
    pub gp_get: u32,
    /// `GPPut` 0x8c: GPFIFO put index.
    pub gp_put: u32,
    /// `Ignored05[0x5c]` 0x90..0x1ff.
    pub ignored05: [u32; 0x5c],
}

/// Byte offset of `GPGet`.
pub const GP_GET_OFFSET: usize = 0x88;
/// Byte offset of `GPPut`.
pub const GP_PUT_OFFSET: usize = 0x8c;
/// Size of the control area in bytes.
pub const CONTROL_SIZE: usize = 0x200;

const _: () = assert!(core::mem::offset_of!(ChannelControl, put) == 0x40);
const _: () = assert!(core::mem::offset_of!(ChannelControl, get_hi) == 0x60);
const _: () = assert!(core::mem::offset_of!(ChannelControl, gp_get) == GP_GET_OFFSET);
const _: () = assert!(core::mem::offset_of!(ChannelControl, gp_put) == GP_PUT_OFFSET);
const _: () = assert!(core::mem::size_of::<ChannelControl>() == CONTROL_SIZE);

/// Where GP_PUT/GP_GET live for one host class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserdLayout {
    /// Host class id.
    pub class: u32,
    /// Byte offset of GP_PUT.
    pub gp_put: usize,
    /// Byte offset of GP_GET, if the class header names it.
    pub gp_get: Option<usize>,
    /// Size of the control area in bytes.
    pub size: usize,
}

/// Control-area layout of a host class (C56F, C86F, C96F, CA6F); `None` for other ids.
pub const fn userd_layout(host_class: u32) -> Option<UserdLayout> {
    match host_class {
        0xC56F | 0xC86F => Some(UserdLayout {
            class: host_class,
            gp_put: GP_PUT_OFFSET,
            gp_get: Some(GP_GET_OFFSET),
            size: CONTROL_SIZE,
        }),
        // Nvc96fControl / Nvca6fControl: Ignored00[0x23] then GPPut, Ignored01[0x5c].
        0xC96F | 0xCA6F => Some(UserdLayout {
            class: host_class,
            gp_put: 0x23 * 4,
            gp_get: None,
            size: (0x23 + 1 + 0x5c) * 4,
        }),
        _ => None,
    }
}

/// Next GP_PUT value after writing `n` entries at index `put` of a ring of `entries` entries.
pub fn advance_gp_put(put: u32, n: u32, entries: u32) -> Option<u32> {
    if entries == 0 || put >= entries {
        return None;
    }
    u32::try_from((u64::from(put) + u64::from(n)) % u64::from(entries)).ok()
}
