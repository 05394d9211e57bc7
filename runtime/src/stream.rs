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

    pub(crate) fn launch_packed(
        &self,
        func: &Function,
        cfg: LaunchConfig,
        params: &[u8],
    ) -> Result<()> {
        let k = func.code.as_ref().ok_or(Error::NotYetImplemented(
            "launching a Function built from a bare parameter table (it has no device code); load it with Device::load_module",
        ))?;
        let gpu = self.device.gpu();
        let slm = gpu.ensure_local_memory(
            k.info
                .local_bytes
                .saturating_add(crate::launch::LOCAL_RESERVED_PER_THREAD),
        )?;
        // Build once at VA 0 to learn the size and catch every error before submitting.
        let probe = crate::launch::build_launch_data(gpu.hal(), &k.info, cfg, params, slm, 0)?;
        let len = u64::try_from(probe.bytes.len()).unwrap_or(u64::MAX);
        let compute = gpu.classes.compute;
        let mut built: Result<()> = Ok(());
        gpu.run(
            nvbare_driver::gpu::nvk::Engine::Compute,
            len,
            |c, data_va, data| match crate::launch::build_launch_data(
                gpu.hal(),
                &k.info,
                cfg,
                params,
                slm,
                data_va,
            ) {
                Ok(ld) => {
                    if let Some(d) = data.get_mut(..ld.bytes.len()) {
                        d.copy_from_slice(&ld.bytes);
                    }
                    c.launch_qmd(compute, data_va + ld.qmd_offset as u64)
                }
                Err(e) => {
                    built = Err(e);
                    Err(nvbare_driver::Error::InvalidArgument {
                        what: "launch",
                        detail: "launch data".into(),
                    })
                }
            },
        )
        .map_err(|e| match std::mem::replace(&mut built, Ok(())) {
            Err(inner) => inner,
            Ok(()) => Error::from(e),
        })?;
        Ok(())
    }
}
