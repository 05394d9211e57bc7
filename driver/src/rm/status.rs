//! `NV_STATUS`: RM's 32-bit status code, printed by name.

use super::status_table::STATUS_NAMES;
use std::fmt;

/// An RM status code (`NV_STATUS`). Displays as its OpenRM name and number, e.g.
/// `NV_ERR_INVALID_ARGUMENT (0x0000001f)`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct NvStatus(pub u32);

impl NvStatus {
    /// `NV_OK`.
    pub const OK: NvStatus = NvStatus(0);
    /// `NV_ERR_NO_MEMORY`.
    pub const NO_MEMORY: NvStatus = NvStatus(0x51);
    /// `NV_ERR_INVALID_ARGUMENT`.
    pub const INVALID_ARGUMENT: NvStatus = NvStatus(0x1f);

    /// Whether this is `NV_OK`.
    pub fn is_ok(self) -> bool {
        self.0 == 0
    }

    /// The OpenRM name (`NV_ERR_...`, `NV_WARN_...`), or `None` for a number RM does not define.
    pub fn name(self) -> Option<&'static str> {
        STATUS_NAMES
            .binary_search_by_key(&self.0, |&(v, _)| v)
            .ok()
            .and_then(|i| STATUS_NAMES.get(i))
            .map(|&(_, n)| n)
    }

    /// `Ok(())` for `NV_OK`, otherwise the status.
    pub fn check(self) -> Result<(), NvStatus> {
        if self.is_ok() {
            Ok(())
        } else {
            Err(self)
        }
    }
}

impl fmt::Display for NvStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => write!(f, "{n} ({:#010x})", self.0),
            None => write!(f, "unknown RM status {:#010x}", self.0),
        }
    }
}

impl fmt::Debug for NvStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique_by_value() {
        assert!(
            STATUS_NAMES.windows(2).all(|w| w[0].0 < w[1].0),
            "table must be strictly sorted for binary search"
        );
        assert!(STATUS_NAMES.len() > 100);
    }

    #[test]
    fn names_known_codes() {
        assert_eq!(NvStatus(0).name(), Some("NV_OK"));
        assert_eq!(NvStatus::NO_MEMORY.name(), Some("NV_ERR_NO_MEMORY"));
        assert_eq!(
            NvStatus::INVALID_ARGUMENT.name(),
            Some("NV_ERR_INVALID_ARGUMENT")
        );
        assert_eq!(NvStatus(0xFFFF).name(), Some("NV_ERR_GENERIC"));
        assert_eq!(NvStatus(0x65).name(), Some("NV_ERR_TIMEOUT"));
        assert_eq!(NvStatus(0x0001_0001).name(), Some("NV_WARN_HOT_SWITCH"));
        assert_eq!(
            NvStatus(0x1f).to_string(),
            "NV_ERR_INVALID_ARGUMENT (0x0000001f)"
        );
    }

    #[test]
    fn unknown_code_prints_number() {
        assert_eq!(NvStatus(0xdead_beef).name(), None);
        assert_eq!(
            NvStatus(0xdead_beef).to_string(),
            "unknown RM status 0xdeadbeef"
        );
        assert!(matches!(NvStatus(7).check(), Err(NvStatus(7))));
        assert!(NvStatus::OK.check().is_ok());
    }
}
