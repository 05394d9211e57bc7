//! The crate's one error type.

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every way a runtime operation can fail.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An error from the driver layer.
    #[error(transparent)]
    Driver(#[from] nvbare_driver::Error),
}
