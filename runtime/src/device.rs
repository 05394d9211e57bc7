//! [`Device`]: one GPU, opened through the first backend that is present.
//!
//! Backend choice: `/dev/nvidiactl` present → the `nvidia.ko` backend
//! ([`nvbare_driver::gpu::nvk::NvkGpu`]). Otherwise a GPU bound to `vfio-pci` is reported (the VFIO
//! backend is not wired into this runtime yet), and with neither a [`Error::NoGpu`] error lists
//! what was looked for.
//!
//! **Unverified on hardware**: opening a real GPU has not been run (no GPU available to this
//! work); the probing and error paths are unit-tested.

use crate::error::{Error, Result};
use nvbare_driver::gpu::backend::NvkBackend;
use nvbare_driver::gpu::info::GpuInfo;
use nvbare_driver::gpu::nvk::NvkGpu;
use nvbare_driver::rm::ioctl::{NodeScan, NvidiaCtl};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// sysfs directory of the `vfio-pci` driver (bound devices appear as `DDDD:BB:SS.F` entries).
pub const VFIO_PCI_DRIVER_DIR: &str = "/sys/bus/pci/drivers/vfio-pci";

/// What [`probe`] found on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    /// Kernel-driver nodes under `/dev`.
    pub nodes: NodeScan,
    /// PCI addresses of NVIDIA devices (vendor 0x10de) bound to `vfio-pci`.
    pub vfio_nvidia: Vec<String>,
    /// The directories that were examined (for messages).
    pub dev_dir: PathBuf,
    pub vfio_dir: PathBuf,
}

/// Looks for GPUs under `dev_dir` (normally `/dev`) and `vfio_dir` (normally
/// [`VFIO_PCI_DRIVER_DIR`]).
pub fn probe(dev_dir: &Path, vfio_dir: &Path) -> Probe {
    let mut vfio_nvidia: Vec<String> = std::fs::read_dir(vfio_dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_owned();
            // PCI addresses look like 0000:01:00.0
            if name.len() != 12 || name.as_bytes().get(4) != Some(&b':') {
                return None;
            }
            let vendor = std::fs::read_to_string(e.path().join("vendor")).ok()?;
            (vendor.trim().eq_ignore_ascii_case("0x10de")).then_some(name)
        })
        .collect();
    vfio_nvidia.sort();
    Probe {
        nodes: NodeScan::scan(dev_dir),
        vfio_nvidia,
        dev_dir: dev_dir.to_owned(),
        vfio_dir: vfio_dir.to_owned(),
    }
}

impl Probe {
    /// The "no usable GPU" explanation: everything looked for and what was there.
    pub fn describe(&self) -> String {
        let d = self.dev_dir.display();
        let nodes = if self.nodes.gpu_nodes.is_empty() {
            format!("no {d}/nvidia<N> nodes")
        } else {
            format!("{d}/nvidia<N> for N in {:?}", self.nodes.gpu_nodes)
        };
        format!(
            "looked for {d}/nvidiactl ({}), {nodes}, {d}/nvidia-uvm ({}), and NVIDIA devices bound to vfio-pci under {} ({})",
            if self.nodes.nvidiactl { "present" } else { "absent: nvidia.ko not loaded" },
            if self.nodes.uvm { "present" } else { "absent: nvidia-uvm.ko not loaded" },
            self.vfio_dir.display(),
            if self.vfio_nvidia.is_empty() { "none".to_owned() } else { self.vfio_nvidia.join(", ") }
        )
    }

    /// The error to return when this probe leaves no backend to use.
    pub fn no_gpu(&self) -> Error {
        Error::NoGpu {
            looked_for: self.describe(),
        }
    }
}

/// Default bound on every wait the runtime makes (synchronize, copies).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug)]
pub(crate) struct DeviceInner {
    pub(crate) gpu: Arc<NvkGpu>,
    pub(crate) index: usize,
    pub(crate) timeout: Duration,
}

/// One GPU. Cheap to clone (shared).
#[derive(Debug, Clone)]
pub struct Device {
    pub(crate) inner: Arc<DeviceInner>,
}

impl Device {
    /// Opens GPU `index` (0-based, in `nvidia.ko`'s order).
    ///
    /// Without a usable GPU this returns [`Error::NoGpu`] naming `/dev/nvidiactl`, the
    /// `/dev/nvidia<N>` nodes and the `vfio-pci` sysfs directory it checked.
    pub fn open(index: usize) -> Result<Self> {
        let p = probe(Path::new("/dev"), Path::new(VFIO_PCI_DRIVER_DIR));
        if p.nodes.nvidiactl {
            let ctl = NvidiaCtl::open()?;
            let gpu = NvkGpu::open(ctl, index)?;
            return Ok(Device {
                inner: Arc::new(DeviceInner {
                    gpu,
                    index,
                    timeout: DEFAULT_TIMEOUT,
                }),
            });
        }
        if !p.vfio_nvidia.is_empty() {
            return Err(Error::NotYetImplemented(
                "an NVIDIA GPU is bound to vfio-pci, but the VFIO (GSP-RM) backend is not wired into the runtime yet; bind the GPU to nvidia.ko instead",
            ));
        }
        Err(p.no_gpu())
    }

    /// Opens GPU `index` through a given `nvidia.ko`-style backend (tests use
    /// `nvbare_driver::rm::ioctl::sim::SimGpu`).
    pub fn open_backend(backend: Arc<dyn NvkBackend>, index: usize) -> Result<Self> {
        let gpu = NvkGpu::open_with(backend, index)?;
        Ok(Device {
            inner: Arc::new(DeviceInner {
                gpu,
                index,
                timeout: DEFAULT_TIMEOUT,
            }),
        })
    }

    /// RM objects currently allocated through this device's backend (for leak checks), when the
    /// backend counts them.
    pub fn live_rm_objects(&self) -> Option<usize> {
        self.inner.gpu.live_rm_objects()
    }

    /// SM version `(major, minor)` of this GPU's chip (from its HAL), e.g. `(9, 0)` for sm_90.
    pub fn sm_version(&self) -> (u8, u8) {
        self.inner.gpu.hal().sm_version()
    }

    /// Facts about the GPU.
    pub fn info(&self) -> &GpuInfo {
        &self.inner.gpu.info
    }

    /// Index this device was opened with.
    pub fn index(&self) -> usize {
        self.inner.index
    }

    /// Version of the `nvidia.ko` driving it.
    pub fn driver_version(&self) -> &str {
        self.inner.gpu.driver_version()
    }

    /// Waits (bounded by the device's default timeout) for all submitted work.
    pub fn synchronize(&self) -> Result<()> {
        self.default_stream().synchronize()
    }

    /// The device's stream (all work is ordered on one timeline).
    pub fn default_stream(&self) -> crate::stream::Stream {
        crate::stream::Stream {
            device: self.clone(),
        }
    }

    /// Launch limits of this GPU (from its chip HAL): grid/block maxima, threads per block, shared
    /// memory per block after opt-in.
    pub fn limits(&self) -> crate::launch::Limits {
        let l = self.inner.gpu.hal().limits();
        crate::launch::Limits {
            max_grid: l.max_grid_dims,
            max_block: l.max_block_dims,
            max_threads_per_block: l.max_threads_per_block,
            max_shared_per_block: l.max_shared_per_block_optin,
        }
    }

    pub(crate) fn gpu(&self) -> &Arc<NvkGpu> {
        &self.inner.gpu
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("nvbare-probe-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn copies_over_the_simulated_gpu() {
        // SAFETY: the simulator is used from this thread only.
        let sim = unsafe { nvbare_driver::rm::ioctl::sim::SimGpu::new() };
        let dev = Device::open_backend(sim.clone(), 0).unwrap();
        assert_eq!(dev.info().name, "nvbare-sim");
        let host: Vec<u32> = (0..10_000).collect();
        let buf = dev.htod_copy(&host).unwrap();
        assert_eq!(
            sim.read_va(buf.device_ptr() + 4 * 9_999, 4).unwrap(),
            9_999u32.to_le_bytes()
        );
        assert_eq!(dev.dtoh_copy(&buf).unwrap(), host);
        let mut short = vec![0u32; 3];
        assert!(matches!(
            dev.dtoh_copy_into(&buf, &mut short),
            Err(Error::LengthMismatch { .. })
        ));
        let empty = dev.htod_copy::<u8>(&[]).unwrap();
        assert!(empty.is_empty() && dev.dtoh_copy(&empty).unwrap().is_empty());
        dev.synchronize().unwrap();
        let objects = dev.live_rm_objects().unwrap();
        for _ in 0..20 {
            let b = dev.htod_copy(&[1u8; 5000]).unwrap();
            assert_eq!(dev.dtoh_copy(&b).unwrap()[4999], 1);
        }
        dev.synchronize().unwrap();
        dev.inner.gpu.reclaim().unwrap();
        assert_eq!(
            dev.live_rm_objects(),
            Some(objects),
            "alloc/free loop leaves no RM objects behind"
        );
        drop((buf, empty, dev));
        assert_eq!(
            sim.live_objects(),
            0,
            "dropping the device frees every RM object"
        );
    }

    /// Opening a device, using it and dropping everything, five times over one simulated GPU:
    /// nothing accumulates (RM objects, UVM ranges, UVM registrations).
    #[test]
    fn open_use_drop_loop_does_not_grow() {
        // SAFETY: the simulator is used from this thread only.
        let sim = unsafe { nvbare_driver::rm::ioctl::sim::SimGpu::new() };
        for round in 0..5u32 {
            let dev = Device::open_backend(sim.clone(), 0).unwrap();
            let host = vec![round; 4096];
            let buf = dev.htod_copy(&host).unwrap();
            assert_eq!(dev.dtoh_copy(&buf).unwrap(), host);
            let stream = dev.default_stream();
            stream.synchronize().unwrap();
            drop((buf, stream, dev));
            assert_eq!(sim.live_objects(), 0, "round {round}: RM objects left");
            assert_eq!(sim.live_uvm_mappings(), 0, "round {round}: UVM ranges left");
            assert_eq!(
                sim.uvm_registered(),
                (false, false, 0),
                "round {round}: UVM registrations left"
            );
        }
    }

    #[test]
    fn empty_machine_names_everything_it_looked_for() {
        let dev = tmp("dev-empty");
        let p = probe(&dev, Path::new("/nonexistent-nvbare-vfio"));
        let msg = p.no_gpu().to_string();
        std::fs::remove_dir_all(&dev).unwrap();
        assert!(msg.starts_with("no usable GPU found"), "{msg}");
        assert!(
            msg.contains("nvidiactl (absent: nvidia.ko not loaded)"),
            "{msg}"
        );
        assert!(
            msg.contains("no ") && msg.contains("/nvidia<N> nodes"),
            "{msg}"
        );
        assert!(msg.contains("nvidia-uvm (absent"), "{msg}");
        assert!(
            msg.contains("vfio-pci under /nonexistent-nvbare-vfio (none)"),
            "{msg}"
        );
    }

    #[test]
    fn finds_nodes_and_vfio_devices() {
        let dev = tmp("dev-full");
        for n in ["nvidiactl", "nvidia0", "nvidia-uvm"] {
            std::fs::write(dev.join(n), b"").unwrap();
        }
        let vfio = tmp("vfio");
        for (bdf, vendor) in [("0000:41:00.0", "0x10de\n"), ("0000:42:00.0", "0x8086\n")] {
            std::fs::create_dir_all(vfio.join(bdf)).unwrap();
            std::fs::write(vfio.join(bdf).join("vendor"), vendor).unwrap();
        }
        std::fs::create_dir_all(vfio.join("module")).unwrap();
        let p = probe(&dev, &vfio);
        std::fs::remove_dir_all(&dev).unwrap();
        std::fs::remove_dir_all(&vfio).unwrap();
        assert!(p.nodes.nvidiactl && p.nodes.uvm);
        assert_eq!(p.nodes.gpu_nodes, vec![0]);
        assert_eq!(p.vfio_nvidia, vec!["0000:41:00.0".to_owned()]);
        assert!(p.describe().contains("N in [0]"));
    }

    /// On a machine without `/dev/nvidiactl` (CI), `Device::open` must fail with `NoGpu` or the
    /// VFIO message, never panic.
    #[test]
    fn open_without_driver_is_a_typed_error() {
        if Path::new("/dev/nvidiactl").exists() {
            eprintln!("skipped: /dev/nvidiactl exists on this machine");
            return;
        }
        match Device::open(0) {
            Err(Error::NoGpu { looked_for }) => assert!(looked_for.contains("/dev/nvidiactl")),
            Err(Error::NotYetImplemented(m)) => assert!(m.contains("vfio-pci")),
            other => panic!("unexpected {other:?}"),
        }
    }
}
