//! Command encoding for the nvidia.ko channels: picks the class-specific method sequences of
//! [`crate::class::seq`] for the classes this GPU uses and writes them into a word buffer.
//!
//! Subchannels: compute on 1, copy on 4 (as tinygrad `ops_nv.py` binds them); host methods on 0.
//! **Unverified on hardware** (the sequences are the push module's, unverified there too).

use crate::class::seq::{ComputeSequences, CopySequences, HostSequences, Semaphore, SemaphoreOp};
use crate::class::{
    c56f, c6b5, c6c0, c7b5, c7c0, c86f, c8b5, c96f, c9b5, c9c0, ca6f, cab5, cbc0, cdc0, cec0, Class,
};
use crate::error::{Error, Result};
use crate::gpu::info;
use crate::push::{Bound, PushBuffer, Subchannel};

/// Subchannel of the compute object.
pub const SUBC_COMPUTE: u8 = 1;
/// Subchannel of the copy object.
pub const SUBC_COPY: u8 = 4;
/// `NVC56F_SET_OBJECT` (method offset 0 of every host class, clc56f.h).
pub const SET_OBJECT: u32 = 0;

/// Words reserved per submission buffer.
pub const MAX_WORDS: usize = 4096;

fn subc(n: u8) -> Result<Subchannel> {
    Subchannel::new(n)
}

macro_rules! host {
    ($class:expr, |$C:ident| $body:expr) => {
        match $class {
            c56f::Class::ID => {
                type $C = c56f::Class;
                $body
            }
            c86f::Class::ID => {
                type $C = c86f::Class;
                $body
            }
            c96f::Class::ID => {
                type $C = c96f::Class;
                $body
            }
            ca6f::Class::ID => {
                type $C = ca6f::Class;
                $body
            }
            _ => Err(Error::NoSupportedClass {
                role: info::CHANNEL_CLASSES.role,
                wanted: info::CHANNEL_CLASSES.preference,
            }),
        }
    };
}

macro_rules! compute {
    ($class:expr, |$C:ident| $body:expr) => {
        match $class {
            c6c0::Class::ID => {
                type $C = c6c0::Class;
                $body
            }
            c7c0::Class::ID => {
                type $C = c7c0::Class;
                $body
            }
            c9c0::Class::ID => {
                type $C = c9c0::Class;
                $body
            }
            cbc0::Class::ID => {
                type $C = cbc0::Class;
                $body
            }
            cdc0::Class::ID => {
                type $C = cdc0::Class;
                $body
            }
            cec0::Class::ID => {
                type $C = cec0::Class;
                $body
            }
            _ => Err(Error::NoSupportedClass {
                role: info::COMPUTE_CLASSES.role,
                wanted: info::COMPUTE_CLASSES.preference,
            }),
        }
    };
}

macro_rules! copy {
    ($class:expr, |$C:ident| $body:expr) => {
        match $class {
            c6b5::Class::ID => {
                type $C = c6b5::Class;
                $body
            }
            c7b5::Class::ID => {
                type $C = c7b5::Class;
                $body
            }
            c8b5::Class::ID => {
                type $C = c8b5::Class;
                $body
            }
            c9b5::Class::ID => {
                type $C = c9b5::Class;
                $body
            }
            cab5::Class::ID => {
                type $C = cab5::Class;
                $body
            }
            _ => Err(Error::NoSupportedClass {
                role: info::COPY_CLASSES.role,
                wanted: info::COPY_CLASSES.preference,
            }),
        }
    };
}

/// Builds one submission's words.
#[derive(Debug)]
pub struct Commands {
    buf: Vec<u32>,
    len: usize,
}

impl Default for Commands {
    fn default() -> Self {
        Self::new()
    }
}

impl Commands {
    /// An empty buffer of [`MAX_WORDS`].
    pub fn new() -> Self {
        Commands {
            buf: vec![0; MAX_WORDS],
            len: 0,
        }
    }

    fn with<T>(&mut self, f: impl FnOnce(&mut PushBuffer<'_>) -> Result<T>) -> Result<T> {
        let rest = self.buf.get_mut(self.len..).ok_or(Error::PushBufferFull {
            needed: 1,
            available: 0,
        })?;
        let mut pb = PushBuffer::new(rest);
        let r = f(&mut pb)?;
        self.len += pb.len();
        Ok(r)
    }

    /// The words written so far.
    pub fn words(&self) -> &[u32] {
        self.buf.get(..self.len).unwrap_or_default()
    }

    /// Binds `class` on subchannel `n` (`SET_OBJECT`).
    pub fn set_object(&mut self, n: u8, class: u32) -> Result<()> {
        let s = subc(n)?;
        self.with(|pb| pb.method_raw(s, SET_OBJECT, class))
    }

    /// Host semaphore operation on the 64-bit word at `va`.
    pub fn semaphore(
        &mut self,
        channel_class: u32,
        va: u64,
        payload: u64,
        op: SemaphoreOp,
    ) -> Result<()> {
        let s = subc(0)?;
        let sem = Semaphore {
            address: va,
            payload,
            wide: true,
        };
        self.with(|pb| {
            host!(channel_class, |C| C::semaphore(
                pb,
                Bound::<C>::assume(s),
                sem,
                op
            ))
        })
    }

    /// Waits until the 64-bit word at `va` reaches `value`.
    pub fn acquire(&mut self, channel_class: u32, va: u64, value: u64) -> Result<()> {
        self.semaphore(
            channel_class,
            va,
            value,
            SemaphoreOp::AcquireCircGeq { switch_tsg: true },
        )
    }

    /// After all earlier work of the channel, writes `value` (and, with `timestamp`, the GPU time
    /// at `va + 8`).
    pub fn release(
        &mut self,
        channel_class: u32,
        va: u64,
        value: u64,
        timestamp: bool,
    ) -> Result<()> {
        self.semaphore(
            channel_class,
            va,
            value,
            SemaphoreOp::Release {
                wfi: true,
                timestamp,
            },
        )
    }

    /// Copy-engine copy of `bytes` (one chunk, see [`crate::gpu::copy::split_copy`]).
    pub fn copy(&mut self, copy_class: u32, src: u64, dst: u64, bytes: u32) -> Result<()> {
        let s = subc(SUBC_COPY)?;
        self.with(|pb| {
            copy!(copy_class, |C| C::copy(
                pb,
                Bound::<C>::assume(s),
                src,
                dst,
                bytes,
                None
            ))
        })
    }

    /// Shared and local memory windows.
    pub fn set_windows(&mut self, compute_class: u32, local: u64, shared: u64) -> Result<()> {
        let s = subc(SUBC_COMPUTE)?;
        self.with(|pb| {
            compute!(compute_class, |C| C::set_windows(
                pb,
                Bound::<C>::assume(s),
                local,
                shared
            ))
        })
    }

    /// Local memory buffer and its per-TPC size.
    pub fn set_local_memory(
        &mut self,
        compute_class: u32,
        va: u64,
        bytes_per_tpc: u64,
    ) -> Result<()> {
        let s = subc(SUBC_COMPUTE)?;
        self.with(|pb| {
            compute!(compute_class, |C| {
                C::set_local_memory(pb, Bound::<C>::assume(s), va)?;
                C::set_local_memory_size(pb, Bound::<C>::assume(s), bytes_per_tpc, 0xff)
            })
        })
    }

    /// Launches the QMD at `qmd_va`.
    pub fn launch_qmd(&mut self, compute_class: u32, qmd_va: u64) -> Result<()> {
        let s = subc(SUBC_COMPUTE)?;
        self.with(|pb| {
            compute!(compute_class, |C| C::launch_qmd(
                pb,
                Bound::<C>::assume(s),
                qmd_va
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rm::abi::class;

    #[test]
    fn dispatches_every_supported_class() {
        let mut c = Commands::new();
        for ch in info::CHANNEL_CLASSES.preference {
            c.release(*ch, 0x1000, 7, false).unwrap();
        }
        for cc in info::COMPUTE_CLASSES.preference {
            c.launch_qmd(*cc, 0x10_0000).unwrap();
        }
        for ce in info::COPY_CLASSES.preference {
            c.copy(*ce, 0x1000, 0x2000, 64).unwrap();
        }
        assert!(!c.words().is_empty());
        assert!(c
            .release(class::VOLTA_CHANNEL_GPFIFO_A, 0x1000, 1, false)
            .is_err());
        assert!(matches!(
            c.launch_qmd(class::TURING_COMPUTE_A, 0x100),
            Err(crate::error::Error::NoSupportedClass {
                role: "compute",
                ..
            })
        ));
        assert!(
            c.launch_qmd(class::HOPPER_COMPUTE_A, 0x101).is_err(),
            "QMD must be 256-aligned"
        );
    }

    #[test]
    fn set_object_encodes_host_method_zero() {
        let mut c = Commands::new();
        c.set_object(SUBC_COMPUTE, class::HOPPER_COMPUTE_A).unwrap();
        let w = c.words();
        // Incrementing header: count 1, subchannel 1, method 0 (clc56f.h DMA header fields); then data.
        assert_eq!(
            w,
            &[(1 << 29) | (1 << 16) | (1 << 13), class::HOPPER_COMPUTE_A]
        );
    }
}
