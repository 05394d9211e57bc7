//! [`Stream`]: ordered work on a device, with bounded waits.

use crate::device::Device;
use crate::error::{Error, Result};
use crate::launch::{Function, LaunchBuilder, LaunchConfig};
use std::time::Duration;

/// A queue of work on one device. All streams of a device share its timeline, so work is ordered
/// across them.
#[derive(Debug, Clone)]
pub struct Stream {
    pub(crate) device: Device,
}

impl Stream {
    /// The device.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Starts a launch of `func`.
    pub fn launch_builder<'a>(&'a self, func: &'a Function) -> LaunchBuilder<'a> {
        LaunchBuilder::new(self, func)
    }

    /// Waits for all work submitted so far, bounded by the device's default timeout.
    pub fn synchronize(&self) -> Result<()> {
        self.synchronize_timeout(self.device.inner.timeout)
    }

    /// Waits for all work submitted so far, for at most `timeout`; on expiry returns the driver's
    /// `Timeout` error and the device stays usable.
    pub fn synchronize_timeout(&self, timeout: Duration) -> Result<()> {
        let gpu = self.device.gpu();
        let target = gpu.last_submitted();
        gpu.wait(target, timeout).map_err(Error::from)
    }

    pub(crate) fn launch_packed(&self, _func: &Function, _cfg: LaunchConfig, _params: &[u8]) -> Result<()> {
        Err(Error::NotYetImplemented("kernel launch submission (QMD build and compute-channel methods) is not wired in this build"))
    }
}
