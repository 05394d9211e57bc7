//! Resource-manager (RM) object model: typed handles, the [`RmControl`] trait, and backends.
//!
//! RM is NVIDIA's resource manager: every GPU resource (client, device, memory, channel, engine object)
//! is an *object* with a 32-bit handle, a class number and a parent. Objects are created with *alloc*,
//! destroyed with *free*, and queried/configured with *control* calls, each identified by a 32-bit
//! command number and a parameter struct. The same model is reached two ways:
//!
//! - [`ioctl`]: through the open `nvidia.ko` (`/dev/nvidiactl`, `/dev/nvidia<N>`, `/dev/nvidia-uvm`);
//! - GSP RPC (VFIO backend, not in this module yet): the same calls serialized to GSP-RM firmware.
//!
//! Both implement [`Rm`]; everything above (the `gpu` module) only sees [`Rm`] and [`Object`].
//!
//! Objects free themselves on drop: an [`Object`] keeps its parent alive (an `Arc`), so children are
//! always freed before their parents, and the root client last.

pub mod abi;
pub mod controls;
pub mod cpumap;
pub mod ioctl;
mod status;
mod status_table;

pub use cpumap::CpuMapping;
pub use status::NvStatus;

use crate::error::Result;
use abi::Pod;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

/// An RM object handle (`NvHandle`). `0` is the null handle.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Handle(pub u32);

impl Handle {
    /// The null handle (`NV01_NULL_OBJECT`).
    pub const NULL: Handle = Handle(0);
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Handle({:#010x})", self.0)
    }
}

/// An RM control call: its command number and parameter struct, shared by every backend.
///
/// The command number encodes the class interface (`(class << 16) | (category << 8) | index`), as
/// in the OpenRM `ctrl*.h` headers; the parameter struct is the `#[repr(C)]` transcription.
pub trait RmControl {
    /// Command number (`NVxxxx_CTRL_CMD_...`).
    const CMD: u32;
    /// Parameter struct, in and out.
    type Params: Pod;
    /// Short name used in error messages.
    const NAME: &'static str;
}

/// A GPU virtual mapping request (`NVOS46`, `RM_MAP_MEMORY_DMA`).
#[derive(Debug, Clone, Copy)]
pub struct DmaMapRequest {
    /// Client owning every handle below.
    pub client: Handle,
    /// Device the memory belongs to.
    pub device: Handle,
    /// Virtual memory object (context DMA or `NV01_MEMORY_VIRTUAL`) that receives the mapping.
    pub dma: Handle,
    /// Physical memory object to map.
    pub memory: Handle,
    /// Offset into the memory object.
    pub offset: u64,
    /// Bytes to map.
    pub length: u64,
    /// `NVOS46_FLAGS_*`.
    pub flags: u32,
    /// Requested GPU VA when `flags` carries `DMA_OFFSET_FIXED`; ignored otherwise.
    pub gpu_va: u64,
}

/// A backend that carries RM calls: `nvidia.ko` ioctls today, GSP RPC later.
///
/// Methods take raw parameter bytes so the trait stays object-safe; [`RmExt`] adds the typed
/// forms used by the rest of the driver.
pub trait Rm: Send + Sync + fmt::Debug {
    /// Allocates an object of `class` under `parent` (both in `client`); returns its handle.
    /// For a new root client pass [`Handle::NULL`] for `client` and `parent`.
    fn alloc_raw(
        &self,
        client: Handle,
        parent: Handle,
        class: u32,
        params: &mut [u8],
    ) -> Result<Handle>;
    /// Frees `object` (and, in RM, every object below it).
    fn free_raw(&self, client: Handle, parent: Handle, object: Handle) -> Result<()>;
    /// Runs control command `cmd` on `object`, parameters in and out through `params`.
    fn control_raw(
        &self,
        client: Handle,
        object: Handle,
        cmd: u32,
        name: &'static str,
        params: &mut [u8],
    ) -> Result<()>;
    /// Maps `memory` into a GPU virtual address space; returns the GPU VA.
    fn map_dma(&self, req: &DmaMapRequest) -> Result<u64>;
    /// Undoes [`Rm::map_dma`] of `memory` at `gpu_va` in `dma`.
    fn unmap_dma(
        &self,
        client: Handle,
        device: Handle,
        dma: Handle,
        memory: Handle,
        gpu_va: u64,
    ) -> Result<()>;
    /// Maps `length` bytes of `memory` at `offset` into this process.
    /// `flags` are `NVOS33_FLAGS_*` (caching type, access).
    fn map_cpu(
        &self,
        client: Handle,
        device: Handle,
        memory: Handle,
        offset: u64,
        length: u64,
        flags: u32,
    ) -> Result<CpuMapping>;
}

/// Typed forms of the [`Rm`] calls.
pub trait RmExt: Rm {
    /// Runs control `C` on `object`.
    fn control<C: RmControl>(
        &self,
        client: Handle,
        object: Handle,
        params: &mut C::Params,
    ) -> Result<()> {
        self.control_raw(client, object, C::CMD, C::NAME, params.as_bytes_mut())
    }
}

impl<R: Rm + ?Sized> RmExt for R {}

/// What kind of RM object an [`Object`] is: a compile-time tag, so a channel cannot be passed
/// where a device is expected.
pub trait Kind: fmt::Debug + Send + Sync + 'static {}

macro_rules! kinds {
    ($($(#[$m:meta])* $name:ident),* $(,)?) => {$(
        $(#[$m])*
        #[derive(Debug)]
        pub enum $name {}
        impl Kind for $name {}
    )*};
}

/// Object kinds.
pub mod kind {
    use super::Kind;
    kinds!(
        /// `NV01_ROOT_CLIENT`.
        Client,
        /// `NV01_DEVICE_0`.
        Device,
        /// `NV20_SUBDEVICE_0`.
        Subdevice,
        /// `FERMI_VASPACE_A`.
        VaSpace,
        /// `NV01_MEMORY_VIRTUAL`.
        VirtualMemory,
        /// Physical memory: `NV01_MEMORY_LOCAL_USER`, `NV01_MEMORY_SYSTEM`, OS descriptors.
        Memory,
        /// `KEPLER_CHANNEL_GROUP_A`.
        ChannelGroup,
        /// `FERMI_CONTEXT_SHARE_A`.
        ContextShare,
        /// A GPFIFO channel (`*_CHANNEL_GPFIFO_*`).
        Channel,
        /// An engine object bound to a channel (compute or copy class).
        Engine,
        /// The usermode doorbell region (`*_USERMODE_A`).
        Usermode,
        /// `GT200_DEBUGGER`.
        Debugger,
    );
}

struct ObjectInner {
    rm: Arc<dyn Rm>,
    client: Handle,
    handle: Handle,
    class: u32,
    parent: Option<Arc<ObjectInner>>,
    /// Set once [`Object::free`] has freed the RM object, so `drop` does not free it twice.
    freed: bool,
}

impl ObjectInner {
    fn parent_handle(&self) -> Handle {
        self.parent.as_ref().map_or(Handle::NULL, |p| p.handle)
    }
}

impl Drop for ObjectInner {
    fn drop(&mut self) {
        if self.freed {
            return;
        }
        // Errors cannot leave `drop`; RM frees the whole subtree with the client in any case,
        // and `Object::free` is there for callers that want to see the status.
        let _ = self
            .rm
            .free_raw(self.client, self.parent_handle(), self.handle);
    }
}

/// An allocated RM object of kind `K`. Cloning shares it; the last clone frees it.
/// It keeps its parent alive, so children are always freed first.
pub struct Object<K: Kind> {
    inner: Arc<ObjectInner>,
    _kind: PhantomData<fn() -> K>,
}

impl<K: Kind> Clone for Object<K> {
    fn clone(&self) -> Self {
        Object {
            inner: self.inner.clone(),
            _kind: PhantomData,
        }
    }
}

impl<K: Kind> fmt::Debug for Object<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Object")
            .field(
                "kind",
                &std::any::type_name::<K>().rsplit("::").next().unwrap_or(""),
            )
            .field("handle", &self.inner.handle)
            .field("class", &format_args!("{:#x}", self.inner.class))
            .field("parent", &self.inner.parent_handle())
            .finish()
    }
}

impl Object<kind::Client> {
    /// Allocates a new root client (`NV01_ROOT_CLIENT`) on `rm`.
    pub fn new_client(rm: Arc<dyn Rm>) -> Result<Self> {
        let handle = rm.alloc_raw(
            Handle::NULL,
            Handle::NULL,
            abi::class::NV01_ROOT_CLIENT,
            &mut [],
        )?;
        Ok(Object {
            inner: Arc::new(ObjectInner {
                rm,
                client: handle,
                handle,
                class: abi::class::NV01_ROOT_CLIENT,
                parent: None,
                freed: false,
            }),
            _kind: PhantomData,
        })
    }
}

impl<K: Kind> Object<K> {
    /// This object's handle.
    pub fn handle(&self) -> Handle {
        self.inner.handle
    }
    /// The client this object belongs to.
    pub fn client(&self) -> Handle {
        self.inner.client
    }
    /// The class it was allocated with.
    pub fn class(&self) -> u32 {
        self.inner.class
    }
    /// The backend carrying this object's calls.
    pub fn rm(&self) -> &Arc<dyn Rm> {
        &self.inner.rm
    }

    /// Allocates a child of kind `C` and class `class` with `params` (any [`Pod`] struct; use
    /// `()` for a class without parameters).
    pub fn alloc<C: Kind, P: Pod>(&self, class: u32, params: &mut P) -> Result<Object<C>> {
        let handle = self.inner.rm.alloc_raw(
            self.inner.client,
            self.inner.handle,
            class,
            params.as_bytes_mut(),
        )?;
        Ok(self.adopt(handle, class))
    }

    /// Takes ownership of a child that was created outside [`Object::alloc`] (e.g. an OS
    /// descriptor made with `NV_ESC_RM_ALLOC_MEMORY`): it is freed like any other child.
    pub fn adopt<C: Kind>(&self, handle: Handle, class: u32) -> Object<C> {
        Object {
            inner: Arc::new(ObjectInner {
                rm: self.inner.rm.clone(),
                client: self.inner.client,
                handle,
                class,
                parent: Some(self.inner.clone()),
                freed: false,
            }),
            _kind: PhantomData,
        }
    }

    /// Runs control `C` on this object.
    pub fn control<C: RmControl>(&self, params: &mut C::Params) -> Result<()> {
        self.inner
            .rm
            .control::<C>(self.inner.client, self.inner.handle, params)
    }

    /// Frees the object now and reports RM's status, if this is the last reference; otherwise
    /// just drops this reference and returns `Ok`.
    pub fn free(self) -> Result<()> {
        match Arc::try_unwrap(self.inner) {
            Ok(mut inner) => {
                inner.freed = true;
                inner
                    .rm
                    .free_raw(inner.client, inner.parent_handle(), inner.handle)
            }
            Err(_) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// An in-memory RM: hands out handles, records calls, refuses to free a parent with live
    /// children (as a strict RM would rather not be asked to).
    #[derive(Debug, Default)]
    struct FakeRm {
        next: Mutex<u32>,
        live: Mutex<Vec<(Handle, Handle)>>, // (object, parent)
        log: Mutex<Vec<String>>,
    }

    impl Rm for FakeRm {
        fn alloc_raw(
            &self,
            _client: Handle,
            parent: Handle,
            class: u32,
            params: &mut [u8],
        ) -> Result<Handle> {
            let mut n = self.next.lock().unwrap();
            *n += 1;
            let h = Handle(0xc100_0000 + *n);
            self.live.lock().unwrap().push((h, parent));
            self.log.lock().unwrap().push(format!(
                "alloc {class:#x} ({} param bytes) under {:#x} -> {:#x}",
                params.len(),
                parent.0,
                h.0
            ));
            Ok(h)
        }
        fn free_raw(&self, _client: Handle, parent: Handle, object: Handle) -> Result<()> {
            let mut live = self.live.lock().unwrap();
            if live.iter().any(|&(_, p)| p == object) {
                return Err(crate::Error::Rm {
                    op: "free",
                    status: NvStatus(0x1c),
                });
            }
            live.retain(|&(h, _)| h != object);
            self.log
                .lock()
                .unwrap()
                .push(format!("free {:#x} (parent {:#x})", object.0, parent.0));
            Ok(())
        }
        fn control_raw(
            &self,
            _client: Handle,
            object: Handle,
            cmd: u32,
            name: &'static str,
            params: &mut [u8],
        ) -> Result<()> {
            if let Some(b) = params.first_mut() {
                *b = 0x5a;
            }
            self.log
                .lock()
                .unwrap()
                .push(format!("control {name} {cmd:#x} on {:#x}", object.0));
            Ok(())
        }
        fn map_dma(&self, req: &DmaMapRequest) -> Result<u64> {
            Ok(req.gpu_va)
        }
        fn unmap_dma(&self, _: Handle, _: Handle, _: Handle, _: Handle, _: u64) -> Result<()> {
            Ok(())
        }
        fn map_cpu(
            &self,
            _: Handle,
            _: Handle,
            _: Handle,
            _: u64,
            _: u64,
            _: u32,
        ) -> Result<CpuMapping> {
            Err(crate::Error::InvalidArgument {
                what: "fake",
                detail: "no mappings".into(),
            })
        }
    }

    #[test]
    fn children_are_freed_before_parents_and_client_last() {
        let fake = Arc::new(FakeRm::default());
        let rm: Arc<dyn Rm> = fake.clone();
        let client = Object::new_client(rm).unwrap();
        let device: Object<kind::Device> = client
            .alloc(
                abi::class::NV01_DEVICE_0,
                &mut abi::r580::Nv0080Alloc::zeroed(),
            )
            .unwrap();
        let sub: Object<kind::Subdevice> = device
            .alloc(
                abi::class::NV20_SUBDEVICE_0,
                &mut abi::r580::Nv2080Alloc { sub_device_id: 0 },
            )
            .unwrap();
        let mut p = abi::r580::Nv2080GetNameString::zeroed();
        sub.control::<controls::GpuGetNameString>(&mut p).unwrap();
        assert_eq!(
            p.gpu_name_string_flags & 0xff,
            0x5a,
            "control parameters travel in and out"
        );
        // Drop the handles in the "wrong" order: the tree still frees bottom-up.
        drop(client);
        drop(device);
        assert!(fake.live.lock().unwrap().len() == 3);
        drop(sub);
        let log = fake.log.lock().unwrap().clone();
        let frees: Vec<_> = log
            .iter()
            .filter(|l| l.starts_with("free"))
            .cloned()
            .collect();
        assert_eq!(
            frees,
            vec![
                "free 0xc1000003 (parent 0xc1000002)",
                "free 0xc1000002 (parent 0xc1000001)",
                "free 0xc1000001 (parent 0x0)"
            ]
        );
        assert!(log
            .iter()
            .any(|l| l.contains("control GpuGetNameString 0x20800110")));
        assert!(log[1].contains("56 param bytes"), "{log:?}");
        assert!(fake.live.lock().unwrap().is_empty());
    }

    #[test]
    fn explicit_free_reports_status_and_does_not_double_free() {
        let fake = Arc::new(FakeRm::default());
        let rm: Arc<dyn Rm> = fake.clone();
        let client = Object::new_client(rm).unwrap();
        let device: Object<kind::Device> =
            client.alloc(abi::class::NV01_DEVICE_0, &mut ()).unwrap();
        let _child: Object<kind::Subdevice> =
            device.alloc(abi::class::NV20_SUBDEVICE_0, &mut ()).unwrap();
        // While the child lives it holds the device, so an explicit free only drops this reference
        // (a parent can never be freed under a live child).
        let e = device.clone().free();
        assert!(e.is_ok(), "a shared reference only drops itself");
        assert_eq!(fake.live.lock().unwrap().len(), 3);
        let dev2 = device.clone();
        drop(device);
        drop(_child);
        assert!(dev2.free().is_ok());
        let frees = fake
            .log
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.starts_with("free"))
            .count();
        assert_eq!(
            frees, 2,
            "device freed once (explicitly), child once; client still alive"
        );
        let err = crate::Error::Rm {
            op: "free",
            status: NvStatus(0x1c),
        }
        .to_string();
        assert!(err.contains("NV_ERR_"), "{err}");
    }
}
