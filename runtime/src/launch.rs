//! Kernel launches: [`LaunchConfig`] (validated), the parameter table a kernel declares, and the
//! launch builder that checks every argument against it **before** anything is submitted.
//!
//! `stream.launch_builder(&func).arg(&x).arg(&buf).launch(cfg)`.

use crate::buffer::{DeviceBuffer, DeviceRepr};
use crate::error::{Error, Result};
use crate::module::cubin::{Cubin, Kernel};
use crate::module::fatbin::Fatbin;
use crate::module::select::{cubin_for, ComputeCapability};
use crate::stream::Stream;
use nvbare_driver::gpu::memory::Placement;
use nvbare_driver::gpu::nvk::GpuMemory;
use std::borrow::Cow;
use std::sync::Arc;

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
        LaunchConfig {
            grid_dim: (n.div_ceil(256).max(1), 1, 1),
            block_dim: (256, 1, 1),
            shared_mem_bytes: 0,
        }
    }

    /// Checks the configuration against `limits`: no zero dimension, grid and block within the
    /// hardware maxima, threads per block, and static + dynamic shared memory.
    pub fn validate(&self, limits: &Limits, static_shared: u64) -> Result<()> {
        let g = [self.grid_dim.0, self.grid_dim.1, self.grid_dim.2];
        let b = [self.block_dim.0, self.block_dim.1, self.block_dim.2];
        for (axis, (&v, &max)) in ["x", "y", "z"].iter().zip(g.iter().zip(&limits.max_grid)) {
            if v == 0 || v > max {
                return Err(Error::InvalidLaunchConfig(format!(
                    "grid {axis} = {v} (must be 1..={max})"
                )));
            }
        }
        for (axis, (&v, &max)) in ["x", "y", "z"].iter().zip(b.iter().zip(&limits.max_block)) {
            if v == 0 || v > max {
                return Err(Error::InvalidLaunchConfig(format!(
                    "block {axis} = {v} (must be 1..={max})"
                )));
            }
        }
        let threads = b.iter().map(|&v| u64::from(v)).product::<u64>();
        if threads > u64::from(limits.max_threads_per_block) {
            return Err(Error::InvalidLaunchConfig(format!(
                "{threads} threads per block (limit {})",
                limits.max_threads_per_block
            )));
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
    pub const DEFAULT: Limits = Limits {
        max_grid: [(1 << 31) - 1, 65535, 65535],
        max_block: [1024, 1024, 64],
        max_threads_per_block: 1024,
        max_shared_per_block: 48 * 1024,
    };
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
    /// The table of a CUBIN kernel (parameters in ordinal order).
    pub fn from_kernel(k: &Kernel) -> Self {
        let mut ps = k.params.clone();
        ps.sort_by_key(|p| p.ordinal);
        ParamTable {
            kernel: k.name.clone(),
            params: ps
                .iter()
                .map(|p| ParamSlot {
                    offset: u32::from(p.offset),
                    size: u32::from(p.size),
                })
                .collect(),
            param_bytes: k.param_bytes,
        }
    }

    /// Checks the table itself (every parameter inside the block, no overlap) and the arguments
    /// against it — count, sizes, alignment of each offset for its argument — and returns the
    /// parameter block bytes.
    pub fn pack(&self, args: &[Arg]) -> Result<Vec<u8>> {
        let kernel = || self.kernel.clone();
        if args.len() != self.params.len() {
            return Err(Error::ArgCount {
                kernel: kernel(),
                expected: self.params.len(),
                got: args.len(),
            });
        }
        let total = usize::try_from(self.param_bytes).map_err(|_| Error::BadParamTable {
            kernel: kernel(),
            detail: "parameter block too large".into(),
        })?;
        let mut block = vec![0u8; total];
        let mut used: Vec<(usize, usize)> = Vec::with_capacity(args.len());
        for (index, (slot, arg)) in self.params.iter().zip(args).enumerate() {
            let off = slot.offset as usize;
            let size = slot.size as usize;
            let end = off
                .checked_add(size)
                .filter(|&e| e <= total)
                .ok_or_else(|| Error::BadParamTable {
                    kernel: kernel(),
                    detail: format!(
                        "parameter {index} at {off}+{size} exceeds the {total}-byte block"
                    ),
                })?;
            if used.iter().any(|&(s, e)| off < e && s < end) {
                return Err(Error::BadParamTable {
                    kernel: kernel(),
                    detail: format!("parameter {index} overlaps another"),
                });
            }
            used.push((off, end));
            if arg.bytes.len() != size {
                return Err(Error::ArgSize {
                    kernel: kernel(),
                    index,
                    expected: size,
                    got: arg.bytes.len(),
                });
            }
            if arg.align == 0 || off % arg.align != 0 {
                return Err(Error::ArgAlign {
                    kernel: kernel(),
                    index,
                    offset: off,
                    align: arg.align,
                });
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
        Arg {
            bytes,
            align: T::ALIGN,
        }
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
    pub(crate) code: Option<Arc<KernelCode>>,
}

/// What a launch needs from a loaded kernel (plain data, from the CUBIN loader's
/// [`KernelLaunch`](crate::module::KernelLaunch)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelInfo {
    /// GPU VA of the first instruction.
    pub code_address: u64,
    /// Code bytes (for instruction prefetch).
    pub code_size: u64,
    /// Constant bank 0 template (relocations applied).
    pub cbank0: Vec<u8>,
    /// Offset of the parameters in bank 0 (`None`: the chip's default).
    pub param_base: Option<u32>,
    /// Registers per thread.
    pub registers: u32,
    /// Local (stack + spill) bytes per thread.
    pub local_bytes: u64,
    /// Named barriers.
    pub barriers: u32,
    /// Static shared memory.
    pub static_shared: u64,
}

impl KernelInfo {
    /// From a placed CUBIN kernel.
    pub fn from_launch(k: &crate::module::KernelLaunch) -> Self {
        KernelInfo {
            code_address: k.code_address,
            code_size: k.meta.code_size,
            cbank0: k.cbank0.clone(),
            param_base: k.meta.param_base,
            registers: k.meta.registers,
            local_bytes: k
                .meta
                .local_bytes
                .saturating_add(u64::from(k.meta.stack_bytes)),
            barriers: k.meta.barriers,
            static_shared: k.meta.shared_bytes,
        }
    }
}

/// A loaded kernel's launch data and the module memory it lives in.
#[derive(Debug)]
pub(crate) struct KernelCode {
    pub(crate) info: KernelInfo,
    /// Keeps the module's code in GPU memory while any function of it lives.
    pub(crate) _image: Arc<GpuMemory>,
}

/// Bytes the driver reserves per thread on top of the kernel's own local memory (tinygrad
/// `ops_nv.py` adds 0x240 to `EIATTR_MIN_STACK_SIZE`).
pub const LOCAL_RESERVED_PER_THREAD: u64 = 0x240;

/// Constant bank 0 followed (256-aligned) by the QMD of one launch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchData {
    /// Bank 0 at offset 0, QMD at `qmd_offset`.
    pub bytes: Vec<u8>,
    /// Bank 0 size in bytes.
    pub cbank0_size: usize,
    /// Offset of the QMD.
    pub qmd_offset: usize,
}

/// Builds bank 0 (template, driver words of the chip's layout, parameters) and the QMD for a
/// launch whose data will sit at GPU VA `data_va`. `slm` is the per-thread local memory bound.
/// Hardware-independent: unit-tested with real kernels from the example fatbin.
pub fn build_launch_data(
    hal: &dyn nvbare_driver::hal::Hal,
    k: &KernelInfo,
    cfg: LaunchConfig,
    params: &[u8],
    slm: u64,
    data_va: u64,
) -> Result<LaunchData> {
    let layout = hal.cbank0();
    let limits = hal.limits();
    let us = |v: u32| usize::try_from(v).unwrap_or(usize::MAX);
    let param_base = us(k.param_base.unwrap_or(layout.param_offset));
    let mut cbank = k.cbank0.clone();
    let end = [
        param_base.saturating_add(params.len()),
        us(layout.shared_window_offset).saturating_add(8),
        us(layout.local_window_offset).saturating_add(8),
    ]
    .into_iter()
    .chain(
        layout
            .fixed_words
            .iter()
            .map(|&(o, _)| us(o).saturating_add(4)),
    )
    .fold(cbank.len(), usize::max);
    let cb_len = end
        .checked_add(15)
        .map(|v| v & !15)
        .ok_or(Error::InvalidLaunchConfig(
            "constant bank 0 too large".into(),
        ))?;
    if cb_len > 64 * 1024 {
        return Err(Error::InvalidLaunchConfig(format!(
            "constant bank 0 of {cb_len} bytes exceeds 64 KiB"
        )));
    }
    cbank.resize(cb_len, 0);
    let mut put = |off: usize, bytes: &[u8]| {
        if let Some(d) = cbank.get_mut(off..off.saturating_add(bytes.len())) {
            d.copy_from_slice(bytes);
        }
    };
    put(
        us(layout.shared_window_offset),
        &nvbare_driver::gpu::nvk::SHARED_WINDOW.to_le_bytes(),
    );
    put(
        us(layout.local_window_offset),
        &nvbare_driver::gpu::nvk::LOCAL_WINDOW.to_le_bytes(),
    );
    for &(o, v) in layout.fixed_words {
        put(us(o), &v.to_le_bytes());
    }
    put(param_base, params);
    let qmd_offset = cb_len
        .checked_add(255)
        .map(|v| v & !255)
        .ok_or(Error::InvalidLaunchConfig("launch data too large".into()))?;
    let qmd_size = hal.qmd_size_bytes();
    let shared = k
        .static_shared
        .saturating_add(u64::from(cfg.shared_mem_bytes))
        .saturating_add(u64::from(limits.reserved_shared_per_block));
    let shared = u32::try_from(shared)
        .map_err(|_| Error::InvalidLaunchConfig(format!("{shared} bytes of shared memory")))?;
    let slm = u32::try_from(slm).map_err(|_| {
        Error::InvalidLaunchConfig(format!("{slm} bytes of local memory per thread"))
    })?;
    let desc = nvbare_driver::qmd::LaunchDesc {
        grid: [cfg.grid_dim.0, cfg.grid_dim.1, cfg.grid_dim.2],
        block: [cfg.block_dim.0, cfg.block_dim.1, cfg.block_dim.2],
        program_va: k.code_address,
        program_size: u32::try_from(k.code_size).unwrap_or(u32::MAX),
        register_count: k.registers.max(1),
        shared_mem_bytes: shared,
        sm_shared: hal.sm_shared_config(shared)?,
        local_mem_per_thread: slm,
        cbank0_va: data_va,
        cbank0_size: u32::try_from(cb_len).unwrap_or(u32::MAX),
        barrier_count: k.barriers,
        sass_version: hal.sass_version(),
        release: None,
    };
    hal.check_launch(&desc)?;
    let q = hal.build_launch_qmd(&desc)?;
    let mut bytes = vec![0u8; qmd_offset.saturating_add(qmd_size)];
    if let Some(d) = bytes.get_mut(..cb_len) {
        d.copy_from_slice(&cbank);
    }
    if let Some(d) = bytes.get_mut(qmd_offset..) {
        q.write_bytes(d)?;
    }
    Ok(LaunchData {
        bytes,
        cbank0_size: cb_len,
        qmd_offset,
    })
}

/// Picks the CUBIN for a GPU of compute capability `cc` out of `image` (a CUBIN is taken as is; a
/// fatbin gives its best SASS for `cc`).
pub fn select_cubin(image: &[u8], cc: ComputeCapability) -> Result<Cow<'_, [u8]>> {
    if image.starts_with(b"\x7fELF") {
        Ok(Cow::Borrowed(image))
    } else {
        let fb = Fatbin::parse(image)?;
        Ok(Cow::Owned(cubin_for(&fb, cc, None, 1 << 30)?.into_owned()))
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
        self.functions
            .iter()
            .find(|f| f.table.kernel == name)
            .cloned()
            .ok_or_else(|| Error::NoSuchKernel {
                name: name.to_owned(),
                available: self
                    .functions
                    .iter()
                    .map(|f| f.table.kernel.clone())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}

impl crate::device::Device {
    /// Loads a CUBIN or fatbin (picking the SASS for this GPU) and uploads its code.
    pub fn load_module(&self, image: &[u8]) -> Result<Module> {
        let (major, minor) = self.gpu().hal().sm_version();
        let cubin_bytes = select_cubin(
            image,
            ComputeCapability {
                major: u32::from(major),
                minor: u32::from(minor),
            },
        )?;
        let cubin = Cubin::parse(&cubin_bytes)?;
        // Lay out once to learn the size, then at the allocated address for real.
        let size = cubin.load(0)?.size;
        // 4 KiB after the code: instruction prefetch may read past the end (tinygrad ops_nv.py).
        let alloc = size.checked_add(0x1000).ok_or(Error::SizeOverflow {
            what: "module image",
            count: 1,
            elem_size: usize::MAX,
        })?;
        let mem = self
            .gpu()
            .alloc(alloc, Placement::Vram { contiguous: false }, true)?;
        let loaded = cubin.load(mem.va())?;
        let mut bytes = loaded.bytes.clone();
        bytes.resize(
            usize::try_from(alloc).map_err(|_| Error::SizeOverflow {
                what: "module image",
                count: 1,
                elem_size: usize::MAX,
            })?,
            0,
        );
        self.gpu().write(&mem, 0, &bytes)?;
        let mem = Arc::new(mem);
        let functions = loaded
            .kernels
            .iter()
            .map(|k| Function {
                table: ParamTable::from_kernel(&k.meta),
                static_shared: k.meta.shared_bytes,
                code: Some(Arc::new(KernelCode {
                    info: KernelInfo::from_launch(k),
                    _image: mem.clone(),
                })),
            })
            .collect();
        Ok(Module { functions })
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
        LaunchBuilder {
            stream,
            func,
            args: Vec::new(),
        }
    }

    /// Appends an argument.
    pub fn arg<A: KernelArg + ?Sized>(mut self, a: &A) -> Self {
        self.args.push(a.to_arg());
        self
    }

    /// Validates `cfg` and the arguments, then launches. Nothing is submitted if any check fails.
    pub fn launch(self, cfg: LaunchConfig) -> Result<()> {
        let block = self.prepare(cfg, &self.stream.device.limits())?;
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
            params: vec![
                ParamSlot { offset: 0, size: 4 },
                ParamSlot { offset: 8, size: 8 },
                ParamSlot {
                    offset: 16,
                    size: 8,
                },
                ParamSlot {
                    offset: 24,
                    size: 4,
                },
            ],
            param_bytes: 28,
        }
    }

    #[test]
    fn packs_matching_arguments() {
        let args = [
            2.0f32.to_arg(),
            0x7000_0000_1000u64.to_arg(),
            0x7000_0000_2000u64.to_arg(),
            100i32.to_arg(),
        ];
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
        assert!(
            matches!(
                e,
                Error::ArgCount {
                    expected: 4,
                    got: 1,
                    ..
                }
            ),
            "{e}"
        );
        let e = t
            .pack(&[2.0f64.to_arg(), 0u64.to_arg(), 0u64.to_arg(), 1i32.to_arg()])
            .unwrap_err();
        assert!(
            matches!(
                e,
                Error::ArgSize {
                    index: 0,
                    expected: 4,
                    got: 8,
                    ..
                }
            ),
            "{e}"
        );
        let e = t
            .pack(&[2.0f32.to_arg(), 0u64.to_arg(), 0u32.to_arg(), 1i32.to_arg()])
            .unwrap_err();
        assert!(matches!(e, Error::ArgSize { index: 2, .. }), "{e}");
        // A 4-byte parameter at offset 2 cannot hold a 4-aligned argument.
        let odd = ParamTable {
            kernel: "k".into(),
            params: vec![ParamSlot { offset: 2, size: 4 }],
            param_bytes: 8,
        };
        let e = odd.pack(&[1u32.to_arg()]).unwrap_err();
        assert!(
            matches!(
                e,
                Error::ArgAlign {
                    offset: 2,
                    align: 4,
                    ..
                }
            ),
            "{e}"
        );
        assert!(e.to_string().contains("not aligned"));
    }

    #[test]
    fn rejects_inconsistent_tables() {
        let out = ParamTable {
            kernel: "k".into(),
            params: vec![ParamSlot { offset: 8, size: 8 }],
            param_bytes: 12,
        };
        assert!(matches!(
            out.pack(&[0u64.to_arg()]),
            Err(Error::BadParamTable { .. })
        ));
        let overlap = ParamTable {
            kernel: "k".into(),
            params: vec![
                ParamSlot { offset: 0, size: 8 },
                ParamSlot { offset: 4, size: 4 },
            ],
            param_bytes: 8,
        };
        assert!(matches!(
            overlap.pack(&[0u64.to_arg(), 0u32.to_arg()]),
            Err(Error::BadParamTable { .. })
        ));
        let huge = ParamTable {
            kernel: "k".into(),
            params: vec![ParamSlot {
                offset: u32::MAX,
                size: u32::MAX,
            }],
            param_bytes: 8,
        };
        assert!(matches!(
            huge.pack(&[0u64.to_arg()]),
            Err(crate::error::Error::BadParamTable { detail, .. }) if detail.contains("exceeds")
        ));
        let empty = ParamTable {
            kernel: "k".into(),
            params: vec![],
            param_bytes: 0,
        };
        assert_eq!(empty.pack(&[]).unwrap(), Vec::<u8>::new());
    }

    const KERNELS: &[u8] = include_bytes!("../../examples/kernels/nvbare_examples.fatbin");

    fn loaded(sm: u32) -> crate::module::LoadedImage {
        let cubin = select_cubin(KERNELS, ComputeCapability::from_sm(sm)).unwrap();
        Cubin::parse(&cubin)
            .unwrap()
            .load(0x7f00_0000_0000)
            .unwrap()
    }

    /// The parameter tables come from the CUBIN loader's metadata of the committed example kernels,
    /// for every SM the fatbin carries, and the launch checks use them.
    #[test]
    fn example_kernels_have_expected_parameter_tables() {
        for sm in [80, 86, 89, 90, 100, 120] {
            let img = loaded(sm);
            let mut names: Vec<_> = img.kernels.iter().map(|k| k.meta.name.clone()).collect();
            names.sort();
            assert_eq!(
                names,
                ["args", "empty", "oob_store", "saxpy", "spin", "vector_add"],
                "sm_{sm}"
            );
            let saxpy = ParamTable::from_kernel(&img.kernel("saxpy").unwrap().meta);
            assert_eq!(
                saxpy.params,
                vec![
                    ParamSlot { offset: 0, size: 4 },
                    ParamSlot { offset: 8, size: 8 },
                    ParamSlot {
                        offset: 16,
                        size: 8
                    },
                    ParamSlot {
                        offset: 24,
                        size: 4
                    }
                ],
                "sm_{sm}"
            );
            let args = ParamTable::from_kernel(&img.kernel("args").unwrap().meta);
            assert_eq!(args.params.len(), 12);
            assert_eq!(
                args.params[10],
                ParamSlot {
                    offset: 48,
                    size: 12
                },
                "Vec3 by value, sm_{sm}"
            );
            assert_eq!(
                args.params[11],
                ParamSlot {
                    offset: 64,
                    size: 8
                },
                "pointer after the struct, sm_{sm}"
            );
            let ok = [
                1.5f32.to_arg(),
                0x1000u64.to_arg(),
                0x2000u64.to_arg(),
                7i32.to_arg(),
            ];
            assert!(saxpy.pack(&ok).is_ok());
            let bad = [
                1.5f64.to_arg(),
                0x1000u64.to_arg(),
                0x2000u64.to_arg(),
                7i32.to_arg(),
            ];
            assert!(matches!(
                saxpy.pack(&bad),
                Err(Error::ArgSize { index: 0, .. })
            ));
            assert!(ParamTable::from_kernel(&img.kernel("empty").unwrap().meta)
                .pack(&[])
                .unwrap()
                .is_empty());
        }
    }

    fn qmd_field(d: &nvbare_driver::qmd::DecodedQmd, name: &str) -> u32 {
        d.fields
            .iter()
            .find(|f| f.field.name == name && f.field.index.is_none())
            .map(|f| f.value)
            .unwrap_or_else(|| panic!("field {name}"))
    }

    /// Bank 0 and QMD for a real kernel on each chip family: parameters at the kernel's parameter
    /// base, driver windows at the HAL's offsets, grid/block/program address in the QMD.
    #[test]
    fn launch_data_for_real_kernels() {
        use nvbare_driver::Chipset;
        for (chip, sm) in [
            (Chipset::Ga100, 80),
            (Chipset::Ad102, 89),
            (Chipset::Gh100, 90),
            (Chipset::Gb202, 120),
        ] {
            let hal = nvbare_driver::hal::for_chipset(chip).unwrap();
            let img = loaded(sm);
            let kl = img.kernel("saxpy").unwrap();
            let info = KernelInfo::from_launch(kl);
            let table = ParamTable::from_kernel(&kl.meta);
            let params = table
                .pack(&[
                    2.0f32.to_arg(),
                    0xAAAA_0000u64.to_arg(),
                    0xBBBB_0000u64.to_arg(),
                    1000i32.to_arg(),
                ])
                .unwrap();
            let cfg = LaunchConfig {
                grid_dim: (4, 2, 1),
                block_dim: (256, 1, 1),
                shared_mem_bytes: 0,
            };
            let data_va = 0x10_0000_1000u64;
            let ld = build_launch_data(hal.as_ref(), &info, cfg, &params, 0x260, data_va).unwrap();
            let base =
                usize::try_from(info.param_base.unwrap_or(hal.cbank0().param_offset)).unwrap();
            assert_eq!(
                &ld.bytes[base..base + params.len()],
                &params[..],
                "{chip:?}"
            );
            let sw = usize::try_from(hal.cbank0().shared_window_offset).unwrap();
            assert_eq!(
                &ld.bytes[sw..sw + 8],
                &nvbare_driver::gpu::nvk::SHARED_WINDOW.to_le_bytes()
            );
            assert_eq!(ld.qmd_offset % 256, 0);
            let q =
                nvbare_driver::qmd::decode(hal.qmd_version(), &ld.bytes[ld.qmd_offset..]).unwrap();
            let (gx, gy) = if hal.qmd_version() == nvbare_driver::qmd::QmdVersion::V03_00 {
                ("CTA_RASTER_WIDTH", "CTA_RASTER_HEIGHT")
            } else {
                ("GRID_WIDTH", "GRID_HEIGHT")
            };
            assert_eq!(qmd_field(&q, gx), 4, "{chip:?}");
            assert_eq!(qmd_field(&q, gy), 2, "{chip:?}");
            assert_eq!(qmd_field(&q, "CTA_THREAD_DIMENSION0"), 256, "{chip:?}");
            // Too many threads is caught before any submission.
            let too_big = LaunchConfig {
                block_dim: (1024, 2, 1),
                ..cfg
            };
            assert!(
                build_launch_data(hal.as_ref(), &info, too_big, &params, 0x260, data_va).is_err()
            );
        }
    }

    fn field_at(d: &nvbare_driver::qmd::DecodedQmd, name: &str, index: Option<u8>) -> u64 {
        d.fields
            .iter()
            .find(|f| f.field.name == name && f.field.index == index)
            .map(|f| u64::from(f.value))
            .unwrap_or_else(|| panic!("field {name}"))
    }

    /// The whole launch path over the simulated GPU: module upload, argument checks, bank 0 and
    /// QMD in GPU memory as the (simulated) GPU reads them, completion, copy-engine copies, events
    /// and teardown. The simulated GPU records launches; it does not run SASS.
    #[test]
    fn launch_path_over_the_simulated_gpu() {
        // SAFETY: the simulator is used from this thread only.
        let sim = unsafe { nvbare_driver::rm::ioctl::sim::SimGpu::new() };
        let dev = crate::Device::open_backend(sim.clone(), 0).unwrap();
        let module = dev.load_module(KERNELS).unwrap();
        let f = module.function("saxpy").unwrap();
        assert!(matches!(
            module.function("nope"),
            Err(Error::NoSuchKernel { .. })
        ));
        let x = dev.htod_copy(&[1.0f32; 64]).unwrap();
        let y = dev.htod_copy(&[3.0f32; 64]).unwrap();
        let s = dev.default_stream();
        let launches = sim.stats().launches.len();
        let cfg = LaunchConfig {
            grid_dim: (2, 1, 1),
            block_dim: (32, 1, 1),
            shared_mem_bytes: 0,
        };
        let e = s
            .launch_builder(&f)
            .arg(&2.0f64)
            .arg(&x)
            .arg(&y)
            .arg(&64i32)
            .launch(cfg)
            .unwrap_err();
        assert!(matches!(e, Error::ArgSize { index: 0, .. }), "{e}");
        assert_eq!(
            sim.stats().launches.len(),
            launches,
            "nothing submitted for a rejected launch"
        );
        s.launch_builder(&f)
            .arg(&2.0f32)
            .arg(&x)
            .arg(&y)
            .arg(&64i32)
            .launch(cfg)
            .unwrap();
        s.synchronize().unwrap();
        let st = sim.stats();
        assert_eq!(st.launches.len(), launches + 1);
        let qmd_va = *st.launches.last().unwrap();
        let hal = dev.gpu().hal();
        let q = nvbare_driver::qmd::decode(
            hal.qmd_version(),
            &sim.read_va(qmd_va, hal.qmd_size_bytes()).unwrap(),
        )
        .unwrap();
        assert_eq!(field_at(&q, "GRID_WIDTH", None), 2);
        assert_eq!(field_at(&q, "CTA_THREAD_DIMENSION0", None), 32);
        let code = f.code.as_ref().unwrap();
        let prog = (field_at(&q, "PROGRAM_ADDRESS_UPPER", None) << 32)
            | field_at(&q, "PROGRAM_ADDRESS_LOWER", None);
        assert_eq!(prog, code.info.code_address);
        let cb = ((field_at(&q, "CONSTANT_BUFFER_ADDR_UPPER_SHIFTED6", Some(0)) << 32)
            | field_at(&q, "CONSTANT_BUFFER_ADDR_LOWER_SHIFTED6", Some(0)))
            << 6;
        let base = u64::from(code.info.param_base.unwrap_or(hal.cbank0().param_offset));
        let params = sim.read_va(cb + base, 28).unwrap();
        assert_eq!(&params[0..4], &2.0f32.to_le_bytes());
        assert_eq!(&params[8..16], &x.device_ptr().to_le_bytes());
        assert_eq!(&params[16..24], &y.device_ptr().to_le_bytes());
        assert_eq!(&params[24..28], &64i32.to_le_bytes());
        // The code the QMD points at is the module's text, uploaded.
        assert_eq!(sim.read_va(prog, 16).unwrap().len(), 16);

        let mut z = dev.alloc_zeros::<f32>(64).unwrap();
        dev.dtod_copy(&x, &mut z).unwrap();
        assert_eq!(dev.dtoh_copy(&z).unwrap(), vec![1.0f32; 64]);
        assert!(sim.stats().copies >= 1);

        let e1 = s.record_event().unwrap();
        s.launch_builder(&f)
            .arg(&1.0f32)
            .arg(&x)
            .arg(&y)
            .arg(&64i32)
            .launch(cfg)
            .unwrap();
        let e2 = s.record_event().unwrap();
        assert!(
            matches!(e2.elapsed_since(&e1), Err(Error::EventNotReached))
                || e2.elapsed_since(&e1).is_ok()
        );
        s.synchronize().unwrap();
        assert!(e2.elapsed_since(&e1).unwrap() > std::time::Duration::ZERO);

        drop((f, module, x, y, z, e1, e2, s, dev));
        assert_eq!(sim.live_objects(), 0, "every RM object freed");
        assert_eq!(sim.live_uvm_mappings(), 0);
    }

    #[test]
    fn config_validation() {
        let l = Limits::DEFAULT;
        assert!(LaunchConfig::for_num_elems(1000).validate(&l, 0).is_ok());
        assert_eq!(LaunchConfig::for_num_elems(1000).grid_dim, (4, 1, 1));
        let bad = |grid, block, shared| {
            LaunchConfig {
                grid_dim: grid,
                block_dim: block,
                shared_mem_bytes: shared,
            }
            .validate(&l, 0)
        };
        assert!(bad((0, 1, 1), (1, 1, 1), 0)
            .unwrap_err()
            .to_string()
            .contains("grid x = 0"));
        assert!(bad((1, 1, 1), (1, 0, 1), 0)
            .unwrap_err()
            .to_string()
            .contains("block y = 0"));
        assert!(
            matches!(bad((1, 65536, 1), (1, 1, 1), 0), Err(crate::error::Error::InvalidLaunchConfig(m)) if m.contains("grid y"))
        );
        assert!(
            matches!(bad((1 << 31, 1, 1), (1, 1, 1), 0), Err(crate::error::Error::InvalidLaunchConfig(m)) if m.contains("grid x"))
        );
        assert!(
            matches!(bad((1, 1, 1), (1, 1, 65), 0), Err(crate::error::Error::InvalidLaunchConfig(m)) if m.contains("block z"))
        );
        assert!(bad((1, 1, 1), (1024, 2, 1), 0)
            .unwrap_err()
            .to_string()
            .contains("2048 threads"));
        assert!(bad((1, 1, 1), (32, 1, 1), 48 * 1024 + 1)
            .unwrap_err()
            .to_string()
            .contains("shared memory"));
        let c = LaunchConfig {
            grid_dim: (1, 1, 1),
            block_dim: (32, 1, 1),
            shared_mem_bytes: 1024,
        };
        assert!(
            c.validate(&l, 48 * 1024).is_err(),
            "static + dynamic shared counts"
        );
        assert!(
            matches!(c.validate(&l, u64::MAX), Err(crate::error::Error::InvalidLaunchConfig(m)) if m.contains("18446744073709551615 bytes of shared memory per block "))
        );
    }
}
