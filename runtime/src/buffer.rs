//! [`DeviceBuffer`]: typed GPU memory, and [`DeviceRepr`]: types that can live in it and be passed
//! to kernels.
//!
//! Host↔device copies go through the buffer's CPU mapping (BAR1 window of video memory) after the
//! device has finished earlier work. **Unverified on hardware** (no GPU available); the size and
//! byte-conversion logic is unit-tested.

use crate::device::Device;
use crate::error::{Error, Result};
use nvbare_driver::gpu::memory::Placement;
use nvbare_driver::gpu::nvk::GpuMemory;
use std::marker::PhantomData;

/// A type with a fixed byte representation shared by host and device: plain numbers and arrays
/// of them.
///
/// # Safety
/// `SIZE` and `ALIGN` must equal the type's size and alignment in device code (the C ABI), and
/// `write_le`/`read_le` must produce/consume exactly `SIZE` bytes of that representation. Kernels
/// read these bytes as the C type, so a wrong implementation makes them read garbage.
pub unsafe trait DeviceRepr: Copy + 'static {
    /// Bytes in device memory.
    const SIZE: usize;
    /// Alignment in device memory.
    const ALIGN: usize;
    /// Appends the little-endian device representation.
    fn write_le(&self, out: &mut Vec<u8>);
    /// Reads a value from exactly `SIZE` bytes.
    fn read_le(bytes: &[u8]) -> Self;
}

macro_rules! repr_num {
    ($($t:ty),*) => {$(
        // SAFETY: fixed-size integer/float: C size and alignment equal Rust's on every target
        // nvbare supports (x86_64, aarch64), and to/from_le_bytes give the device representation.
        unsafe impl DeviceRepr for $t {
            const SIZE: usize = std::mem::size_of::<$t>();
            const ALIGN: usize = std::mem::align_of::<$t>();
            fn write_le(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            fn read_le(bytes: &[u8]) -> Self {
                let mut a = [0u8; std::mem::size_of::<$t>()];
                let n = a.len().min(bytes.len());
                if let (Some(d), Some(s)) = (a.get_mut(..n), bytes.get(..n)) {
                    d.copy_from_slice(s);
                }
                <$t>::from_le_bytes(a)
            }
        }
    )*};
}
repr_num!(u8, i8, u16, i16, u32, i32, u64, i64, f32, f64);

// SAFETY: an array of `DeviceRepr` elements is laid out contiguously with the element's alignment
// in C as in Rust; the byte form is the elements' byte forms in order.
unsafe impl<T: DeviceRepr, const N: usize> DeviceRepr for [T; N] {
    const SIZE: usize = T::SIZE * N;
    const ALIGN: usize = T::ALIGN;
    fn write_le(&self, out: &mut Vec<u8>) {
        for x in self {
            x.write_le(out);
        }
    }
    fn read_le(bytes: &[u8]) -> Self {
        std::array::from_fn(|i| T::read_le(bytes.get(i * T::SIZE..).unwrap_or_default()))
    }
}

/// Bytes of `len` elements of `T`, or an overflow error.
pub(crate) fn byte_len<T: DeviceRepr>(what: &'static str, len: usize) -> Result<u64> {
    len.checked_mul(T::SIZE)
        .and_then(|b| u64::try_from(b).ok())
        .ok_or(Error::SizeOverflow {
            what,
            count: len,
            elem_size: T::SIZE,
        })
}

/// The device representation of a slice.
pub fn to_bytes<T: DeviceRepr>(src: &[T]) -> Vec<u8> {
    let mut out = Vec::with_capacity(src.len().saturating_mul(T::SIZE));
    for x in src {
        x.write_le(&mut out);
    }
    out
}

/// Decodes `dst.len()` elements from `bytes` (which must hold exactly that many).
pub fn from_bytes<T: DeviceRepr>(bytes: &[u8], dst: &mut [T]) -> Result<()> {
    let want = dst.len().checked_mul(T::SIZE).ok_or(Error::SizeOverflow {
        what: "decode",
        count: dst.len(),
        elem_size: T::SIZE,
    })?;
    if bytes.len() != want {
        return Err(Error::LengthMismatch {
            what: "decode bytes",
            dst: want,
            src: bytes.len(),
        });
    }
    for (d, chunk) in dst.iter_mut().zip(bytes.chunks_exact(T::SIZE.max(1))) {
        *d = T::read_le(chunk);
    }
    Ok(())
}

/// `len` elements of `T` in GPU memory.
#[derive(Debug)]
pub struct DeviceBuffer<T: DeviceRepr> {
    pub(crate) mem: Option<GpuMemory>,
    pub(crate) len: usize,
    pub(crate) device: Device,
    _t: PhantomData<T>,
}

impl<T: DeviceRepr> DeviceBuffer<T> {
    /// Elements.
    pub fn len(&self) -> usize {
        self.len
    }
    /// Whether it holds no elements.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// GPU virtual address of element 0 (0 for an empty buffer).
    pub fn device_ptr(&self) -> u64 {
        self.mem.as_ref().map_or(0, GpuMemory::va)
    }
    /// The device it lives on.
    pub fn device(&self) -> &Device {
        &self.device
    }
}

impl Device {
    /// Allocates `len` zeroed elements.
    pub fn alloc_zeros<T: DeviceRepr>(&self, len: usize) -> Result<DeviceBuffer<T>> {
        let bytes = byte_len::<T>("alloc_zeros", len)?;
        let mem = if bytes == 0 {
            None
        } else {
            let m = self
                .gpu()
                .alloc(bytes, Placement::Vram { contiguous: false }, true)?;
            let zeros = vec![
                0u8;
                usize::try_from(bytes).map_err(|_| Error::SizeOverflow {
                    what: "alloc_zeros",
                    count: len,
                    elem_size: T::SIZE
                })?
            ];
            self.gpu().write(&m, 0, &zeros)?;
            Some(m)
        };
        Ok(DeviceBuffer {
            mem,
            len,
            device: self.clone(),
            _t: PhantomData,
        })
    }

    /// Allocates a buffer holding a copy of `src`.
    pub fn htod_copy<T: DeviceRepr>(&self, src: &[T]) -> Result<DeviceBuffer<T>> {
        let mut b = self.alloc_zeros::<T>(src.len())?;
        self.htod_copy_into(src, &mut b)?;
        Ok(b)
    }

    /// Copies `src` into `dst`; the lengths must match.
    pub fn htod_copy_into<T: DeviceRepr>(
        &self,
        src: &[T],
        dst: &mut DeviceBuffer<T>,
    ) -> Result<()> {
        if src.len() != dst.len {
            return Err(Error::LengthMismatch {
                what: "htod_copy_into",
                dst: dst.len,
                src: src.len(),
            });
        }
        let Some(mem) = dst.mem.as_ref() else {
            return Ok(());
        };
        self.synchronize()?;
        self.gpu().write(mem, 0, &to_bytes(src))?;
        Ok(())
    }

    /// Copies a buffer back to a new `Vec`.
    pub fn dtoh_copy<T: DeviceRepr + Default>(&self, src: &DeviceBuffer<T>) -> Result<Vec<T>> {
        let mut v = vec![T::default(); src.len];
        self.dtoh_copy_into(src, &mut v)?;
        Ok(v)
    }

    /// Copies `src` into `dst`; the lengths must match.
    pub fn dtoh_copy_into<T: DeviceRepr>(
        &self,
        src: &DeviceBuffer<T>,
        dst: &mut [T],
    ) -> Result<()> {
        if src.len != dst.len() {
            return Err(Error::LengthMismatch {
                what: "dtoh_copy_into",
                dst: dst.len(),
                src: src.len,
            });
        }
        let Some(mem) = src.mem.as_ref() else {
            return Ok(());
        };
        self.synchronize()?;
        let n = usize::try_from(byte_len::<T>("dtoh_copy_into", src.len)?).map_err(|_| {
            Error::SizeOverflow {
                what: "dtoh_copy_into",
                count: src.len,
                elem_size: T::SIZE,
            }
        })?;
        let mut bytes = vec![0u8; n];
        self.gpu().read(mem, 0, &mut bytes)?;
        from_bytes(&bytes, dst)
    }
}

impl Device {
    /// Copies `src` into `dst` on the GPU (copy engine); the lengths must match.
    pub fn dtod_copy<T: DeviceRepr>(
        &self,
        src: &DeviceBuffer<T>,
        dst: &mut DeviceBuffer<T>,
    ) -> Result<()> {
        if src.len != dst.len {
            return Err(Error::LengthMismatch {
                what: "dtod_copy",
                dst: dst.len,
                src: src.len,
            });
        }
        let bytes = byte_len::<T>("dtod_copy", src.len)?;
        if bytes == 0 {
            return Ok(());
        }
        self.gpu().copy(src.device_ptr(), dst.device_ptr(), bytes)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_round_trip() {
        let v = [1.5f32, -2.0, f32::MAX];
        let b = to_bytes(&v);
        assert_eq!(b.len(), 12);
        assert_eq!(&b[..4], &1.5f32.to_le_bytes());
        let mut back = [0f32; 3];
        from_bytes(&b, &mut back).unwrap();
        assert_eq!(back, v);
        let arr = [[1u16, 2], [3, 4]];
        let b = to_bytes(&arr);
        assert_eq!(b, vec![1, 0, 2, 0, 3, 0, 4, 0]);
        let mut back = [[0u16; 2]; 2];
        from_bytes(&b, &mut back).unwrap();
        assert_eq!(back, arr);
        assert_eq!(<[u64; 3]>::SIZE, 24);
        assert_eq!(<[u64; 3]>::ALIGN, 8);
    }

    #[test]
    fn size_errors() {
        let mut d = [0u32; 2];
        assert!(matches!(
            from_bytes(&[0u8; 7], &mut d),
            Err(Error::LengthMismatch { .. })
        ));
        assert!(matches!(
            byte_len::<u64>("x", usize::MAX),
            Err(Error::SizeOverflow { .. })
        ));
        assert_eq!(byte_len::<u64>("x", 3).unwrap(), 24);
    }
}
