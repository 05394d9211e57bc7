//! The crate's one error type: a variant per failing operation, sources kept.

use std::time::Duration;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every way a driver operation can fail.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A bounded wait ran out of time (see [`crate::poll::poll_timeout`]).
    #[error("timed out after {waited:?} waiting for {what}")]
    Timeout { what: &'static str, waited: Duration },
}
