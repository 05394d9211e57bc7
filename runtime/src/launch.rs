//! Kernel launches: [`LaunchConfig`] (validated), the parameter table a kernel declares, and the
//! launch builder that checks every argument against it **before** anything is submitted.
//!
//! `stream.launch_builder(&func).arg(&x).arg(&buf).launch(cfg)`.

use crate::buffer::{DeviceBuffer, DeviceRepr};
use crate::error::{Error, Result};
use crate::stream::Stream;

/// Grid and block dimensions and dynamic shared memory of a launch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LaunchConfig {
    /// Blocks in x, y, z.
    pub grid_dim: (u32, u32, u32),
    /// Threads per block in x, y, z.
    pub block_dim: (u32, u32, u32),
    /// Dynamic shared memory per block, bytes.
    pub shared_mem_bytes: u32,
}

impl LaunchConfig {
    /// One-dimensional launch covering `n` elements with 256-thread blocks (`n >= 1`).
    pub fn for_num_elems(n: u32) -> Self {
        LaunchConfig { grid_dim: (n.div_ceil(256).max(1), 1, 1), block_dim: (256, 1, 1), shared_mem_bytes: 0 }
    }

    /// Checks the configuration against `limits`: no zero dimension, grid and block within the
    /// hardware maxima, threads per block, and static + dynamic shared memory.
    pub fn validate(&self, limits: &Limits, static_shared: u64) -> Result<()> {
        let g = [self.grid_dim.0, self.grid_dim.1, self.grid_dim.2];
        let b = [self.block_dim.0, self.block_dim.1, self.block_dim.2];
        for (axis, (&v, &max)) in ["x", "y", "z"].iter().zip(g.iter().zip(&limits.max_grid)) {
            if v == 0 || v > max {
                return Err(Error::InvalidLaunchConfig(format!("grid {axis} = {v} (must be 1..={max})")));
            }
        }
        for (axis, (&v, &max)) in ["x", "y", "z"].iter().zip(b.iter().zip(&limits.max_block)) {
            if v == 0 || v > max {
                return Err(Error::InvalidLaunchConfig(format!("block {axis} = {v} (must be 1..={max})")));
            }
        }
        let threads = b.iter().map(|&v| u64::from(v)).product::<u64>();
        if threads > u64::from(limits.max_threads_per_block) {
            return Err(Error::InvalidLaunchConfig(format!("{threads} threads per block (limit {})", limits.max_threads_per_block)));
        }
        let shared = static_shared.saturating_add(u64::from(self.shared_mem_bytes));
        if shared > u64::from(limits.max_shared_per_block) {
            return Err(Error::InvalidLaunchConfig(format!(
                "{shared} bytes of shared memory per block ({static_shared} static + {} dynamic; limit {})",
                self.shared_mem_bytes, limits.max_shared_per_block
            )));
        }
        Ok(())
    }
}

/// The launch limits a configuration is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_grid: [u32; 3],
    pub max_block: [u32; 3],
    pub max_threads_per_block: u32,
    pub max_shared_per_block: u32,
}

impl Limits {
    /// sm_80..sm_120 limits without shared-memory opt-in (CUDA programming guide, "technical
    /// specifications per compute capability": 48 KiB shared without opt-in).
    pub const DEFAULT: Limits = Limits { max_grid: [(1 << 31) - 1, 65535, 65535], max_block: [1024, 1024, 64], max_threads_per_block: 1024, max_shared_per_block: 48 * 1024 };
}

/// One kernel parameter: where it sits in the parameter block and how big it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamSlot {
    /// Byte offset in the parameter block.
    pub offset: u32,
    /// Size in bytes.
    pub size: u32,
}

/// A kernel's parameter table (from the CUBIN's `.nv.info` `KPARAM_INFO` records).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamTable {
    /// Kernel name, for messages.
    pub kernel: String,
    /// Parameters in declaration order.
    pub params: Vec<ParamSlot>,
    /// Size of the whole parameter block.
    pub param_bytes: u32,
}

impl ParamTable {
    /// Checks the table itself (every parameter inside the block, no overlap) and the arguments
    /// against it — count, sizes, alignment of each offset for its argument — and returns the
    /// parameter block bytes.
    pub fn pack(&self, args: &[Arg]) -> Result<Vec<u8>> {
        let kernel = || self.kernel.clone();
        if args.len() != self.params.len() {
            return Err(Error::ArgCount { kernel: kernel(), expected: self.params.len(), got: args.len() });
        }
        let total = usize::try_from(self.param_bytes).map_err(|_| Error::BadParamTable { kernel: kernel(), detail: "parameter block too large".into() })?;
        let mut block = vec![0u8; total];
        let mut used: Vec<(usize, usize)> = Vec::with_capacity(args.len());
        for (index, (slot, arg)) in self.params.iter().zip(args).enumerate() {
            let off = slot.offset as usize;
            let size = slot.size as usize;
            let end = off.checked_add(size).filter(|&e| e <= total).ok_or_else(|| Error::BadParamTable {
                kernel: kernel(),
                detail: format!("parameter {index} at {off}+{size} exceeds the {total}-byte block"),
            })?;
            if used.iter().any(|&(s, e)| off < e && s < end) {
                return Err(Error::BadParamTable { kernel: kernel(), detail: format!("parameter {index} overlaps another") });
            }
            used.push((off, end));
            if arg.bytes.len() != size {
                return Err(Error::ArgSize { kernel: kernel(), index, expected: size, got: arg.bytes.len() });
            }
            if arg.align == 0 || off % arg.align != 0 {
                return Err(Error::ArgAlign { kernel: kernel(), index, offset: off, align: arg.align });
            }
            if let Some(dst) = block.get_mut(off..end) {
                dst.copy_from_slice(&arg.bytes);
            }
        }
        Ok(block)
    }
}

/// A kernel argument in device representation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arg {
    pub bytes: Vec<u8>,
    pub align: usize,
}

/// What can be passed to a kernel: [`DeviceRepr`] values and device buffers (as their address).
pub trait KernelArg {
    /// The argument's bytes and alignment.
    fn to_arg(&self) -> Arg;
}

impl<T: DeviceRepr> KernelArg for T {
    fn to_arg(&self) -> Arg {
        let mut bytes = Vec::with_capacity(T::SIZE);
        self.write_le(&mut bytes);
        Arg { bytes, align: T::ALIGN }
    }
}

impl<T: DeviceRepr> KernelArg for DeviceBuffer<T> {
    fn to_arg(&self) -> Arg {
        self.device_ptr().to_arg()
    }
}

/// A loaded kernel.
#[derive(Debug, Clone)]
pub struct Function {
    pub(crate) table: ParamTable,
    pub(crate) static_shared: u64,
}

impl Function {
    /// A function description from a parameter table (its code is loaded by a module).
    pub fn from_table(table: ParamTable, static_shared: u64) -> Self {
        Function { table, static_shared }
    }
    /// Kernel name.
    pub fn name(&self) -> &str {
        &self.table.kernel
    }
    /// Its parameter table.
    pub fn params(&self) -> &ParamTable {
        &self.table
    }
}

/// Code loaded onto a device: the kernels of one CUBIN or fatbin.
#[derive(Debug)]
pub struct Module {
    pub(crate) functions: Vec<Function>,
}

impl Module {
    /// A kernel by name.
    pub fn function(&self, name: &str) -> Result<Function> {
        self.functions.iter().find(|f| f.table.kernel == name).cloned().ok_or_else(|| Error::NoSuchKernel {
            name: name.to_owned(),
            available: self.functions.iter().map(|f| f.table.kernel.clone()).collect::<Vec<_>>().join(", "),
        })
    }
}

impl crate::device::Device {
    /// Loads a CUBIN or fatbin (picking the SASS for this GPU) and uploads its code.
    pub fn load_module(&self, image: &[u8]) -> Result<Module> {
        let _ = image;
        Err(Error::NotYetImplemented("module loading onto the device (CUBIN/fatbin placement and upload) is not wired in this build"))
    }
}

/// Collects arguments for one launch; see the module docs.
#[derive(Debug)]
pub struct LaunchBuilder<'a> {
    stream: &'a Stream,
    func: &'a Function,
    args: Vec<Arg>,
}

impl<'a> LaunchBuilder<'a> {
    pub(crate) fn new(stream: &'a Stream, func: &'a Function) -> Self {
        LaunchBuilder { stream, func, args: Vec::new() }
    }

    /// Appends an argument.
    pub fn arg<A: KernelArg + ?Sized>(mut self, a: &A) -> Self {
        self.args.push(a.to_arg());
        self
    }

    /// Validates `cfg` and the arguments, then launches. Nothing is submitted if any check fails.
    pub fn launch(self, cfg: LaunchConfig) -> Result<()> {
        let block = self.prepare(cfg, &Limits::DEFAULT)?;
        self.stream.launch_packed(self.func, cfg, &block)
    }

    /// The checks `launch` makes, without submitting: returns the parameter block.
    pub fn prepare(&self, cfg: LaunchConfig, limits: &Limits) -> Result<Vec<u8>> {
        cfg.validate(limits, self.func.static_shared)?;
        self.func.table.pack(&self.args)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `saxpy(float a, const float* x, float* y, int n)` as ptxas lays it out.
    fn saxpy() -> ParamTable {
        ParamTable {
            kernel: "saxpy".into(),
            params: vec![ParamSlot { offset: 0, size: 4 }, ParamSlot { offset: 8, size: 8 }, ParamSlot { offset: 16, size: 8 }, ParamSlot { offset: 24, size: 4 }],
            param_bytes: 28,
        }
    }

    #[test]
    fn packs_matching_arguments() {
        let args = [2.0f32.to_arg(), 0x7000_0000_1000u64.to_arg(), 0x7000_0000_2000u64.to_arg(), 100i32.to_arg()];
        let block = saxpy().pack(&args).unwrap();
        assert_eq!(block.len(), 28);
        assert_eq!(&block[0..4], &2.0f32.to_le_bytes());
        assert_eq!(&block[4..8], &[0; 4]);
        assert_eq!(&block[8..16], &0x7000_0000_1000u64.to_le_bytes());
        assert_eq!(&block[24..28], &100i32.to_le_bytes());
    }

    #[test]
    fn rejects_wrong_count_size_alignment() {
        let t = saxpy();
        let e = t.pack(&[2.0f32.to_arg()]).unwrap_err();
        assert!(matches!(e, Error::ArgCount { expected: 4, got: 1, .. }), "{e}");
        let e = t.pack(&[2.0f64.to_arg(), 0u64.to_arg(), 0u64.to_arg(), 1i32.to_arg()]).unwrap_err();
        assert!(matches!(e, Error::ArgSize { index: 0, expected: 4, got: 8, .. }), "{e}");
        let e = t.pack(&[2.0f32.to_arg(), 0u64.to_arg(), 0u32.to_arg(), 1i32.to_arg()]).unwrap_err();
        assert!(matches!(e, Error::ArgSize { index: 2, .. }), "{e}");
        // A 4-byte parameter at offset 2 cannot hold a 4-aligned argument.
        let odd = ParamTable { kernel: "k".into(), params: vec![ParamSlot { offset: 2, size: 4 }], param_bytes: 8 };
        let e = odd.pack(&[1u32.to_arg()]).unwrap_err();
        assert!(matches!(e, Error::ArgAlign { offset: 2, align: 4, .. }), "{e}");
        assert!(e.to_string().contains("not aligned"));
    }

    #[test]
    fn rejects_inconsistent_tables() {
        let out = ParamTable { kernel: "k".into(), params: vec![ParamSlot { offset: 8, size: 8 }], param_bytes: 12 };
        assert!(matches!(out.pack(&[0u64.to_arg()]), Err(Error::BadParamTable { .. })));
        let overlap = ParamTable { kernel: "k".into(), params: vec![ParamSlot { offset: 0, size: 8 }, ParamSlot { offset: 4, size: 4 }], param_bytes: 8 };
        assert!(matches!(overlap.pack(&[0u64.to_arg(), 0u32.to_arg()]), Err(Error::BadParamTable { .. })));
        let huge = ParamTable { kernel: "k".into(), params: vec![ParamSlot { offset: u32::MAX, size: u32::MAX }], param_bytes: 8 };
        assert!(huge.pack(&[0u64.to_arg()]).is_err());
        let empty = ParamTable { kernel: "k".into(), params: vec![], param_bytes: 0 };
        assert_eq!(empty.pack(&[]).unwrap(), Vec::<u8>::new());
    }

    #[test]
    fn config_validation() {
        let l = Limits::DEFAULT;
        assert!(LaunchConfig::for_num_elems(1000).validate(&l, 0).is_ok());
        assert_eq!(LaunchConfig::for_num_elems(1000).grid_dim, (4, 1, 1));
        let bad = |grid, block, shared| LaunchConfig { grid_dim: grid, block_dim: block, shared_mem_bytes: shared }.validate(&l, 0);
        assert!(bad((0, 1, 1), (1, 1, 1), 0).unwrap_err().to_string().contains("grid x = 0"));
        assert!(bad((1, 1, 1), (1, 0, 1), 0).unwrap_err().to_string().contains("block y = 0"));
        assert!(bad((1, 65536, 1), (1, 1, 1), 0).is_err());
        assert!(bad((1 << 31, 1, 1), (1, 1, 1), 0).is_err());
        assert!(bad((1, 1, 1), (1, 1, 65), 0).is_err());
        assert!(bad((1, 1, 1), (1024, 2, 1), 0).unwrap_err().to_string().contains("2048 threads"));
        assert!(bad((1, 1, 1), (32, 1, 1), 48 * 1024 + 1).unwrap_err().to_string().contains("shared memory"));
        let c = LaunchConfig { grid_dim: (1, 1, 1), block_dim: (32, 1, 1), shared_mem_bytes: 1024 };
        assert!(c.validate(&l, 48 * 1024).is_err(), "static + dynamic shared counts");
        assert!(c.validate(&l, u64::MAX).is_err());
    }
}
