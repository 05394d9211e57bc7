//! Optional NVIDIA compilers, loaded at run time with `dlopen` (never linked): NVRTC (CUDA C++ -> PTX / CUBIN)
//! and nvJitLink (PTX -> CUBIN, used to run PTX-only fatbins).
//!
//! Search order for each library (first hit wins; [`Error::CompilerNotFound`] lists every place tried and keeps
//! the system loader's error for the bare sonames as its source):
//! 1. the environment variable `NVBARE_NVRTC` / `NVBARE_NVJITLINK`: a library file, or a directory holding it;
//! 2. `$CUDA_HOME`, then `$CUDA_PATH`: `lib64/` and `lib/`;
//! 3. pip-installed NVIDIA wheels in Python site-packages (`$VIRTUAL_ENV`, `$CONDA_PREFIX`, `~/.local`,
//!    `/usr/local`, `/usr`, and every `$PYTHONPATH` entry): `nvidia/cu13/lib`, `nvidia/cuda_nvrtc/lib`,
//!    `nvidia/nvjitlink/lib`;
//! 4. `/usr/local/cuda/lib64`;
//! 5. the plain soname through the system loader's own search (`LD_LIBRARY_PATH`, ld.so.cache).
//!
//! File names tried in each directory: `libnvrtc.so.13`, `libnvrtc.so.12`, `libnvrtc.so` (resp. `libnvJitLink…`).
//!
//! All `unsafe` here is FFI into these libraries; see the "Run-time compiler bindings" section of `SAFETY.md`.

use std::ffi::{c_char, c_int, c_uint, c_void, CStr, CString};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use libloading::Library;

use crate::error::{Error, Result};
use crate::module::select::{ComputeCapability, PtxCompiler};

/// Which library to look for.
struct LibSpec {
    name: &'static str,
    env: &'static str,
    files: &'static [&'static str],
    wheel_dirs: &'static [&'static str],
}

const NVRTC: LibSpec = LibSpec {
    name: "NVRTC",
    env: "NVBARE_NVRTC",
    files: &["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so"],
    wheel_dirs: &["nvidia/cu13/lib", "nvidia/cuda_nvrtc/lib"],
};

const NVJITLINK: LibSpec = LibSpec {
    name: "nvJitLink",
    env: "NVBARE_NVJITLINK",
    files: &[
        "libnvJitLink.so.13",
        "libnvJitLink.so.12",
        "libnvJitLink.so",
    ],
    wheel_dirs: &["nvidia/cu13/lib", "nvidia/nvjitlink/lib"],
};

/// Directories where pip puts packages for the prefixes above.
fn site_packages() -> Vec<PathBuf> {
    let mut prefixes: Vec<PathBuf> = Vec::new();
    for var in ["VIRTUAL_ENV", "CONDA_PREFIX"] {
        if let Some(v) = std::env::var_os(var) {
            prefixes.push(PathBuf::from(v));
        }
    }
    if let Some(home) = std::env::var_os("HOME") {
        prefixes.push(Path::new(&home).join(".local"));
    }
    prefixes.push(PathBuf::from("/usr/local"));
    prefixes.push(PathBuf::from("/usr"));
    let mut out = Vec::new();
    if let Some(pp) = std::env::var_os("PYTHONPATH") {
        out.extend(std::env::split_paths(&pp));
    }
    for prefix in prefixes {
        let lib = prefix.join("lib");
        let Ok(dir) = std::fs::read_dir(&lib) else {
            continue;
        };
        let mut pythons: Vec<PathBuf> = dir
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with("python3"))
            .map(|e| e.path())
            .collect();
        pythons.sort();
        for p in pythons.into_iter().rev() {
            out.push(p.join("site-packages"));
            out.push(p.join("dist-packages"));
        }
    }
    out.push(PathBuf::from("/usr/lib/python3/dist-packages"));
    out
}

/// Every candidate file, in search order; the last ones are bare sonames for the system loader.
fn candidates(spec: &LibSpec) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    let mut out: Vec<PathBuf> = Vec::new();
    if let Some(v) = std::env::var_os(spec.env) {
        let p = PathBuf::from(v);
        if p.is_dir() {
            dirs.push(p);
        } else {
            out.push(p);
        }
    }
    for var in ["CUDA_HOME", "CUDA_PATH"] {
        if let Some(v) = std::env::var_os(var) {
            let root = PathBuf::from(v);
            dirs.push(root.join("lib64"));
            dirs.push(root.join("lib"));
        }
    }
    for sp in site_packages() {
        for wd in spec.wheel_dirs {
            dirs.push(sp.join(wd));
        }
    }
    dirs.push(PathBuf::from("/usr/local/cuda/lib64"));
    for d in &dirs {
        for f in spec.files {
            out.push(d.join(f));
        }
    }
    out.extend(spec.files.iter().map(PathBuf::from));
    out
}

fn open_path(spec: &LibSpec, path: &Path) -> Result<Library> {
    // SAFETY: see SAFETY.md "Run-time compiler bindings" (1): loading NVIDIA's NVRTC / nvJitLink runs their ELF
    // initialisers, which have no preconditions on the caller; the library stays loaded while any handle or
    // function pointer taken from it lives (both are owned by the returned struct).
    unsafe { Library::new(path) }.map_err(|source| Error::CompilerLoad {
        library: spec.name,
        path: path.to_owned(),
        what: "dlopen",
        source,
    })
}

/// Opens the first candidate; bare sonames that fail to load count as "not found", not as load errors.
fn open_first(spec: &LibSpec) -> Result<(Library, PathBuf)> {
    open_in(spec, candidates(spec))
}

fn open_in(spec: &LibSpec, candidates: Vec<PathBuf>) -> Result<(Library, PathBuf)> {
    let mut searched = Vec::new();
    let mut loader = None;
    for path in candidates {
        let bare = path.components().count() == 1;
        if bare {
            // SAFETY: as in `open_path` (SAFETY.md "Run-time compiler bindings" (1)).
            match unsafe { Library::new(&path) } {
                Ok(lib) => return Ok((lib, path)),
                Err(e) => {
                    loader = Some(e);
                    searched.push(path);
                    continue;
                }
            }
        }
        if !path.is_file() {
            searched.push(path);
            continue;
        }
        return open_path(spec, &path).map(|lib| (lib, path));
    }
    Err(Error::CompilerNotFound {
        library: spec.name,
        searched,
        loader,
    })
}

/// Looks up `name` (NUL-terminated) in `lib` as a function pointer of type `T`.
///
/// # Safety
/// `T` must be the `extern "C"` function type the library's header declares for `name`.
unsafe fn sym<T: Copy>(
    lib: &Library,
    spec: &LibSpec,
    path: &Path,
    name: &'static [u8],
) -> Result<T> {
    // SAFETY: the caller guarantees that `T` matches the symbol's C declaration (SAFETY.md "Run-time compiler
    // bindings" (2)); the returned pointer is only used while `lib` is alive (it is stored next to it).
    let s = unsafe { lib.get::<T>(name) }.map_err(|source| Error::CompilerLoad {
        library: spec.name,
        path: path.to_owned(),
        what: symbol_name(name),
        source,
    })?;
    Ok(*s)
}

fn symbol_name(name: &'static [u8]) -> &'static str {
    std::str::from_utf8(name.strip_suffix(b"\0").unwrap_or(name)).unwrap_or("symbol")
}

/// Text of a NUL-terminated buffer filled by a library (lossy UTF-8, up to the first NUL).
fn c_buffer_text(buf: &[u8]) -> String {
    let end = buf.iter().position(|&c| c == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(buf.get(..end).unwrap_or(buf)).into_owned()
}

type NvrtcProgram = *mut c_void;

/// Takes a library's call lock. NVIDIA does not document NVRTC's or nvJitLink's thread safety in terms this crate can
/// rely on (and concurrent nvJitLink use has been reported to fail intermittently), so one thread at a time calls in;
/// compilation takes milliseconds, the lock nothing. The lock guards no data, so a poisoned lock is taken as is.
fn serialise(calls: &Mutex<()>) -> std::sync::MutexGuard<'_, ()> {
    calls
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Function pointers of NVRTC (signatures from `nvrtc.h`).
#[derive(Clone, Copy)]
struct NvrtcFns {
    get_error_string: unsafe extern "C" fn(c_int) -> *const c_char,
    version: unsafe extern "C" fn(*mut c_int, *mut c_int) -> c_int,
    create_program: unsafe extern "C" fn(
        *mut NvrtcProgram,
        *const c_char,
        *const c_char,
        c_int,
        *const *const c_char,
        *const *const c_char,
    ) -> c_int,
    destroy_program: unsafe extern "C" fn(*mut NvrtcProgram) -> c_int,
    compile_program: unsafe extern "C" fn(NvrtcProgram, c_int, *const *const c_char) -> c_int,
    get_ptx_size: unsafe extern "C" fn(NvrtcProgram, *mut usize) -> c_int,
    get_ptx: unsafe extern "C" fn(NvrtcProgram, *mut c_char) -> c_int,
    get_cubin_size: unsafe extern "C" fn(NvrtcProgram, *mut usize) -> c_int,
    get_cubin: unsafe extern "C" fn(NvrtcProgram, *mut c_char) -> c_int,
    get_log_size: unsafe extern "C" fn(NvrtcProgram, *mut usize) -> c_int,
    get_log: unsafe extern "C" fn(NvrtcProgram, *mut c_char) -> c_int,
}

/// NVRTC, loaded at run time: compiles CUDA C++ to PTX and (with `-arch=sm_XY`) to CUBIN.
pub struct Nvrtc {
    fns: NvrtcFns,
    path: PathBuf,
    // Serialises calls into the library (SAFETY.md "Run-time compiler bindings": thread safety).
    calls: Mutex<()>,
    // Keeps the code behind `fns` mapped; dropped last.
    _lib: Library,
}

impl std::fmt::Debug for Nvrtc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Nvrtc")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// Output of an NVRTC compilation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NvrtcOutput {
    /// PTX text (without the NUL); empty when the target was a real architecture and no PTX was kept.
    pub ptx: Vec<u8>,
    /// CUBIN, when compiled for a real architecture (`-arch=sm_XY`).
    pub cubin: Option<Vec<u8>>,
    /// The compilation log (warnings), possibly empty.
    pub log: String,
}

/// RAII owner of an `nvrtcProgram`.
struct Program<'a> {
    nvrtc: &'a Nvrtc,
    handle: NvrtcProgram,
}

impl Drop for Program<'_> {
    fn drop(&mut self) {
        // SAFETY: SAFETY.md "Run-time compiler bindings" (3): `handle` came from a successful nvrtcCreateProgram
        // and is destroyed exactly once, here.
        let _ = unsafe { (self.nvrtc.fns.destroy_program)(&mut self.handle) };
    }
}

impl Nvrtc {
    /// Every path [`Nvrtc::load`] would try, in order (reads the environment now).
    pub fn search_paths() -> Vec<PathBuf> {
        candidates(&NVRTC)
    }

    /// Finds and loads NVRTC (see the module documentation for the search order).
    pub fn load() -> Result<Self> {
        let (lib, path) = open_first(&NVRTC)?;
        Self::from_library(lib, path)
    }

    /// Loads NVRTC from `path` exactly.
    pub fn load_from(path: &Path) -> Result<Self> {
        let lib = open_path(&NVRTC, path)?;
        Self::from_library(lib, path.to_owned())
    }

    fn from_library(lib: Library, path: PathBuf) -> Result<Self> {
        let s = &NVRTC;
        let p = path.as_path();
        // SAFETY: each type below is transcribed from the declaration of the same name in nvrtc.h
        // (SAFETY.md "Run-time compiler bindings" (2)).
        let fns = unsafe {
            NvrtcFns {
                get_error_string: sym(&lib, s, p, b"nvrtcGetErrorString\0")?,
                version: sym(&lib, s, p, b"nvrtcVersion\0")?,
                create_program: sym(&lib, s, p, b"nvrtcCreateProgram\0")?,
                destroy_program: sym(&lib, s, p, b"nvrtcDestroyProgram\0")?,
                compile_program: sym(&lib, s, p, b"nvrtcCompileProgram\0")?,
                get_ptx_size: sym(&lib, s, p, b"nvrtcGetPTXSize\0")?,
                get_ptx: sym(&lib, s, p, b"nvrtcGetPTX\0")?,
                get_cubin_size: sym(&lib, s, p, b"nvrtcGetCUBINSize\0")?,
                get_cubin: sym(&lib, s, p, b"nvrtcGetCUBIN\0")?,
                get_log_size: sym(&lib, s, p, b"nvrtcGetProgramLogSize\0")?,
                get_log: sym(&lib, s, p, b"nvrtcGetProgramLog\0")?,
            }
        };
        Ok(Nvrtc {
            fns,
            path,
            calls: Mutex::new(()),
            _lib: lib,
        })
    }

    /// The file the library was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn error(&self, call: &'static str, code: c_int, log: String) -> Error {
        // SAFETY: SAFETY.md "Run-time compiler bindings" (4): nvrtcGetErrorString accepts any code and returns a
        // pointer to a static NUL-terminated string (or NULL, checked).
        let message = unsafe {
            let p = (self.fns.get_error_string)(code);
            if p.is_null() {
                String::from("unknown error")
            } else {
                CStr::from_ptr(p).to_string_lossy().into_owned()
            }
        };
        Error::CompilerCall {
            library: NVRTC.name,
            call,
            code,
            message,
            log,
        }
    }

    fn check(&self, call: &'static str, code: c_int) -> Result<()> {
        if code == 0 {
            Ok(())
        } else {
            Err(self.error(call, code, String::new()))
        }
    }

    /// The NVRTC version `(major, minor)`.
    pub fn version(&self) -> Result<(i32, i32)> {
        let _serial = serialise(&self.calls);
        let (mut major, mut minor) = (0, 0);
        // SAFETY: SAFETY.md "Run-time compiler bindings" (5): both pointers are valid for one `int` write.
        let code = unsafe { (self.fns.version)(&mut major, &mut minor) };
        self.check("nvrtcVersion", code)?;
        Ok((major, minor))
    }

    /// Reads a buffer whose size comes from `size_fn` and contents from `get_fn`.
    fn fetch(
        &self,
        prog: &Program<'_>,
        calls: (&'static str, &'static str),
        size_fn: unsafe extern "C" fn(NvrtcProgram, *mut usize) -> c_int,
        get_fn: unsafe extern "C" fn(NvrtcProgram, *mut c_char) -> c_int,
    ) -> Result<Vec<u8>> {
        let mut size = 0usize;
        // SAFETY: SAFETY.md "Run-time compiler bindings" (5): `prog.handle` is a live program; `size` is valid
        // for one write.
        let code = unsafe { size_fn(prog.handle, &mut size) };
        self.check(calls.0, code)?;
        let mut buf = vec![0u8; size];
        if size == 0 {
            return Ok(buf);
        }
        // SAFETY: SAFETY.md "Run-time compiler bindings" (6): the library writes at most the `size` bytes it just
        // reported into `buf`, which holds exactly `size` bytes.
        let code = unsafe { get_fn(prog.handle, buf.as_mut_ptr().cast()) };
        self.check(calls.1, code)?;
        Ok(buf)
    }

    /// Compiles CUDA C++ `source` (file name `name` in messages) with `options` (e.g. `-arch=sm_80` for a CUBIN,
    /// `-arch=compute_80` for PTX only). On failure the error carries the compilation log.
    pub fn compile(&self, source: &str, name: &str, options: &[&str]) -> Result<NvrtcOutput> {
        let _serial = serialise(&self.calls);
        let bad = |reason| Error::CompilerInput {
            library: NVRTC.name,
            reason,
        };
        let src = CString::new(source).map_err(|_| bad("source holds a NUL byte"))?;
        let cname = CString::new(name).map_err(|_| bad("name holds a NUL byte"))?;
        let opts: Vec<CString> = options
            .iter()
            .map(|o| CString::new(*o))
            .collect::<std::result::Result<_, _>>()
            .map_err(|_| bad("an option holds a NUL byte"))?;
        let opt_ptrs: Vec<*const c_char> = opts.iter().map(|o| o.as_ptr()).collect();
        let n_opts = c_int::try_from(opt_ptrs.len()).map_err(|_| bad("too many options"))?;

        let mut handle: NvrtcProgram = std::ptr::null_mut();
        // SAFETY: SAFETY.md "Run-time compiler bindings" (7): `src` and `cname` are NUL-terminated and outlive the
        // call (NVRTC copies them); zero headers are passed with NULL arrays, as nvrtc.h allows.
        let code = unsafe {
            (self.fns.create_program)(
                &mut handle,
                src.as_ptr(),
                cname.as_ptr(),
                0,
                std::ptr::null(),
                std::ptr::null(),
            )
        };
        self.check("nvrtcCreateProgram", code)?;
        let prog = Program {
            nvrtc: self,
            handle,
        };

        // SAFETY: SAFETY.md "Run-time compiler bindings" (7): `opt_ptrs` holds `n_opts` pointers to NUL-terminated
        // strings kept alive by `opts` for the whole call.
        let code = unsafe { (self.fns.compile_program)(prog.handle, n_opts, opt_ptrs.as_ptr()) };
        let log = self.fetch(
            &prog,
            ("nvrtcGetProgramLogSize", "nvrtcGetProgramLog"),
            self.fns.get_log_size,
            self.fns.get_log,
        );
        if code != 0 {
            // The compilation error is the one to report; a log that cannot be read is said in its place.
            let log = match log {
                Ok(bytes) => c_buffer_text(&bytes),
                Err(e) => format!("(the compilation log could not be read: {e})"),
            };
            return Err(self.error("nvrtcCompileProgram", code, log));
        }
        let log = c_buffer_text(&log?);
        let mut ptx = self.fetch(
            &prog,
            ("nvrtcGetPTXSize", "nvrtcGetPTX"),
            self.fns.get_ptx_size,
            self.fns.get_ptx,
        )?;
        if let Some(nul) = ptx.iter().position(|&c| c == 0) {
            ptx.truncate(nul);
        }
        let cubin = self.fetch(
            &prog,
            ("nvrtcGetCUBINSize", "nvrtcGetCUBIN"),
            self.fns.get_cubin_size,
            self.fns.get_cubin,
        )?;
        let cubin = (!cubin.is_empty()).then_some(cubin);
        Ok(NvrtcOutput { ptx, cubin, log })
    }
}

type JitHandle = *mut c_void;

/// `NVJITLINK_INPUT_PTX` in nvJitLink.h's `nvJitLinkInputType`.
const NVJITLINK_INPUT_PTX: c_int = 2;
/// `NVJITLINK_INPUT_CUBIN` in nvJitLink.h's `nvJitLinkInputType`.
const NVJITLINK_INPUT_CUBIN: c_int = 1;

/// Function pointers of nvJitLink (signatures from `nvJitLink.h`; the unversioned exported names).
#[derive(Clone, Copy)]
struct JitFns {
    version: unsafe extern "C" fn(*mut c_uint, *mut c_uint) -> c_int,
    create: unsafe extern "C" fn(*mut JitHandle, u32, *const *const c_char) -> c_int,
    destroy: unsafe extern "C" fn(*mut JitHandle) -> c_int,
    add_data: unsafe extern "C" fn(JitHandle, c_int, *const c_void, usize, *const c_char) -> c_int,
    complete: unsafe extern "C" fn(JitHandle) -> c_int,
    cubin_size: unsafe extern "C" fn(JitHandle, *mut usize) -> c_int,
    cubin: unsafe extern "C" fn(JitHandle, *mut c_void) -> c_int,
    error_log_size: unsafe extern "C" fn(JitHandle, *mut usize) -> c_int,
    error_log: unsafe extern "C" fn(JitHandle, *mut c_char) -> c_int,
}

/// nvJitLink, loaded at run time: compiles (links) PTX to a CUBIN.
pub struct NvJitLink {
    fns: JitFns,
    path: PathBuf,
    // Serialises calls into the library (SAFETY.md "Run-time compiler bindings": thread safety).
    calls: Mutex<()>,
    _lib: Library,
}

impl std::fmt::Debug for NvJitLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NvJitLink")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// RAII owner of an `nvJitLinkHandle`.
struct Link<'a> {
    jit: &'a NvJitLink,
    handle: JitHandle,
}

impl Drop for Link<'_> {
    fn drop(&mut self) {
        // SAFETY: SAFETY.md "Run-time compiler bindings" (3): `handle` came from a successful nvJitLinkCreate and is
        // destroyed exactly once, here.
        let _ = unsafe { (self.jit.fns.destroy)(&mut self.handle) };
    }
}

/// nvJitLink result names (nvJitLink.h `nvJitLinkResult`), for messages: the library has no string function.
fn jit_message(code: c_int) -> &'static str {
    match code {
        0 => "NVJITLINK_SUCCESS",
        1 => "NVJITLINK_ERROR_UNRECOGNIZED_OPTION",
        2 => "NVJITLINK_ERROR_MISSING_ARCH",
        3 => "NVJITLINK_ERROR_INVALID_INPUT",
        4 => "NVJITLINK_ERROR_PTX_COMPILE",
        5 => "NVJITLINK_ERROR_NVVM_COMPILE",
        6 => "NVJITLINK_ERROR_INTERNAL",
        7 => "NVJITLINK_ERROR_THREADPOOL",
        8 => "NVJITLINK_ERROR_UNRECOGNIZED_INPUT",
        9 => "NVJITLINK_ERROR_FINALIZE",
        10 => "NVJITLINK_ERROR_NULL_INPUT",
        11 => "NVJITLINK_ERROR_INCOMPATIBLE_OPTIONS",
        12 => "NVJITLINK_ERROR_INCORRECT_INPUT_TYPE",
        13 => "NVJITLINK_ERROR_ARCH_MISMATCH",
        14 => "NVJITLINK_ERROR_OUTDATED_LIBRARY",
        15 => "NVJITLINK_ERROR_MISSING_FATBIN",
        16 => "NVJITLINK_ERROR_UNRECOGNIZED_ARCH",
        17 => "NVJITLINK_ERROR_UNSUPPORTED_ARCH",
        18 => "NVJITLINK_ERROR_LTO_NOT_ENABLED",
        _ => "unknown nvJitLink result",
    }
}

impl NvJitLink {
    /// Every path [`NvJitLink::load`] would try, in order (reads the environment now).
    pub fn search_paths() -> Vec<PathBuf> {
        candidates(&NVJITLINK)
    }

    /// Finds and loads nvJitLink (see the module documentation for the search order).
    pub fn load() -> Result<Self> {
        let (lib, path) = open_first(&NVJITLINK)?;
        Self::from_library(lib, path)
    }

    /// Loads nvJitLink from `path` exactly.
    pub fn load_from(path: &Path) -> Result<Self> {
        let lib = open_path(&NVJITLINK, path)?;
        Self::from_library(lib, path.to_owned())
    }

    fn from_library(lib: Library, path: PathBuf) -> Result<Self> {
        let s = &NVJITLINK;
        let p = path.as_path();
        // SAFETY: each type below is transcribed from the declaration of the same name in nvJitLink.h
        // (SAFETY.md "Run-time compiler bindings" (2)).
        let fns = unsafe {
            JitFns {
                version: sym(&lib, s, p, b"nvJitLinkVersion\0")?,
                create: sym(&lib, s, p, b"nvJitLinkCreate\0")?,
                destroy: sym(&lib, s, p, b"nvJitLinkDestroy\0")?,
                add_data: sym(&lib, s, p, b"nvJitLinkAddData\0")?,
                complete: sym(&lib, s, p, b"nvJitLinkComplete\0")?,
                cubin_size: sym(&lib, s, p, b"nvJitLinkGetLinkedCubinSize\0")?,
                cubin: sym(&lib, s, p, b"nvJitLinkGetLinkedCubin\0")?,
                error_log_size: sym(&lib, s, p, b"nvJitLinkGetErrorLogSize\0")?,
                error_log: sym(&lib, s, p, b"nvJitLinkGetErrorLog\0")?,
            }
        };
        Ok(NvJitLink {
            fns,
            path,
            calls: Mutex::new(()),
            _lib: lib,
        })
    }

    /// The file the library was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The nvJitLink version `(major, minor)`.
    pub fn version(&self) -> Result<(u32, u32)> {
        let _serial = serialise(&self.calls);
        let (mut major, mut minor): (c_uint, c_uint) = (0, 0);
        // SAFETY: SAFETY.md "Run-time compiler bindings" (5): both pointers are valid for one `unsigned` write.
        let code = unsafe { (self.fns.version)(&mut major, &mut minor) };
        if code != 0 {
            return Err(Error::CompilerCall {
                library: NVJITLINK.name,
                call: "nvJitLinkVersion",
                code,
                message: jit_message(code).to_owned(),
                log: String::new(),
            });
        }
        Ok((major, minor))
    }

    fn error_log(&self, link: &Link<'_>) -> String {
        let mut size = 0usize;
        // SAFETY: SAFETY.md "Run-time compiler bindings" (5): live handle, `size` valid for one write.
        if unsafe { (self.fns.error_log_size)(link.handle, &mut size) } != 0 || size == 0 {
            return String::new();
        }
        let mut buf = vec![0u8; size];
        // SAFETY: SAFETY.md "Run-time compiler bindings" (6): the library writes at most the `size` bytes it
        // reported into `buf`, which holds exactly `size` bytes.
        if unsafe { (self.fns.error_log)(link.handle, buf.as_mut_ptr().cast()) } != 0 {
            return String::new();
        }
        c_buffer_text(&buf)
    }

    fn check(&self, link: Option<&Link<'_>>, call: &'static str, code: c_int) -> Result<()> {
        if code == 0 {
            return Ok(());
        }
        Err(Error::CompilerCall {
            library: NVJITLINK.name,
            call,
            code,
            message: jit_message(code).to_owned(),
            log: link.map(|l| self.error_log(l)).unwrap_or_default(),
        })
    }

    /// Compiles `ptx` (text; a trailing NUL is optional) to a CUBIN for `sm_XY` with extra `options`
    /// (e.g. `-O3`, `-lineinfo`).
    pub fn ptx_to_cubin(
        &self,
        ptx: &[u8],
        device: ComputeCapability,
        options: &[&str],
    ) -> Result<Vec<u8>> {
        let bad = |reason| Error::CompilerInput {
            library: NVJITLINK.name,
            reason,
        };
        let text = ptx.strip_suffix(b"\0").unwrap_or(ptx);
        if text.contains(&0) {
            return Err(bad("PTX holds a NUL byte"));
        }
        // nvJitLink wants the PTX NUL-terminated.
        let mut data = Vec::with_capacity(text.len() + 1);
        data.extend_from_slice(text);
        data.push(0);
        self.link(
            &[(NVJITLINK_INPUT_PTX, c"nvbare.ptx", &data)],
            device,
            options,
        )
    }

    /// Links relocatable CUBINs (`-rdc` objects, `ET_REL`) into one executable CUBIN for `sm_XY`, as nvlink does;
    /// the result can keep relocations (calls, global addresses) for the loader to apply.
    pub fn link_cubins(
        &self,
        cubins: &[&[u8]],
        device: ComputeCapability,
        options: &[&str],
    ) -> Result<Vec<u8>> {
        let inputs: Vec<(c_int, &CStr, &[u8])> = cubins
            .iter()
            .map(|c| (NVJITLINK_INPUT_CUBIN, c"nvbare.cubin", *c))
            .collect();
        self.link(&inputs, device, options)
    }

    /// One nvJitLink session: create with `-arch=sm_XY` and `options`, add every input, complete, fetch the CUBIN.
    fn link(
        &self,
        inputs: &[(c_int, &CStr, &[u8])],
        device: ComputeCapability,
        options: &[&str],
    ) -> Result<Vec<u8>> {
        let _serial = serialise(&self.calls);
        let bad = |reason| Error::CompilerInput {
            library: NVJITLINK.name,
            reason,
        };
        let mut opts =
            vec![CString::new(format!("-arch=sm_{}", device.sm())).map_err(|_| bad("arch"))?];
        for o in options {
            opts.push(CString::new(*o).map_err(|_| bad("an option holds a NUL byte"))?);
        }
        let ptrs: Vec<*const c_char> = opts.iter().map(|o| o.as_ptr()).collect();
        let n = u32::try_from(ptrs.len()).map_err(|_| bad("too many options"))?;
        let mut handle: JitHandle = std::ptr::null_mut();
        // SAFETY: SAFETY.md "Run-time compiler bindings" (7): `ptrs` holds `n` NUL-terminated strings alive for the
        // call (nvJitLink copies options).
        let code = unsafe { (self.fns.create)(&mut handle, n, ptrs.as_ptr()) };
        self.check(None, "nvJitLinkCreate", code)?;
        let link = Link { jit: self, handle };
        for &(kind, name, data) in inputs {
            // SAFETY: SAFETY.md "Run-time compiler bindings" (7): `data` is valid for `data.len()` bytes and
            // outlives the call; `name` is a NUL-terminated string alive for the call.
            let code = unsafe {
                (self.fns.add_data)(
                    link.handle,
                    kind,
                    data.as_ptr().cast(),
                    data.len(),
                    name.as_ptr(),
                )
            };
            self.check(Some(&link), "nvJitLinkAddData", code)?;
        }
        // SAFETY: SAFETY.md "Run-time compiler bindings" (5): live handle.
        let code = unsafe { (self.fns.complete)(link.handle) };
        self.check(Some(&link), "nvJitLinkComplete", code)?;
        let mut size = 0usize;
        // SAFETY: SAFETY.md "Run-time compiler bindings" (5): live handle, `size` valid for one write.
        let code = unsafe { (self.fns.cubin_size)(link.handle, &mut size) };
        self.check(Some(&link), "nvJitLinkGetLinkedCubinSize", code)?;
        if size == 0 {
            // Nothing to copy, and no buffer to hand the library; an empty CUBIN cannot be loaded.
            return Err(Error::CompilerNoOutput {
                library: NVJITLINK.name,
                call: "nvJitLinkGetLinkedCubinSize",
            });
        }
        let mut cubin = vec![0u8; size];
        // SAFETY: SAFETY.md "Run-time compiler bindings" (6): the library writes the `size` bytes it reported into
        // `cubin`, which holds exactly `size` bytes.
        let code = unsafe { (self.fns.cubin)(link.handle, cubin.as_mut_ptr().cast()) };
        self.check(Some(&link), "nvJitLinkGetLinkedCubin", code)?;
        Ok(cubin)
    }
}

impl PtxCompiler for NvJitLink {
    fn compile_ptx(&self, ptx: &[u8], device: ComputeCapability) -> Result<Vec<u8>> {
        self.ptx_to_cubin(ptx, device, &[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_start_with_env_and_end_with_sonames() {
        // Only reads the environment; nothing is loaded.
        let c = candidates(&NVRTC);
        assert!(c
            .iter()
            .any(|p| p == Path::new("/usr/local/cuda/lib64/libnvrtc.so.13")));
        assert_eq!(
            c.last().map(PathBuf::as_path),
            Some(Path::new("libnvrtc.so"))
        );
    }

    #[test]
    fn nothing_found_lists_every_place_searched() {
        let list = vec![
            PathBuf::from("/nonexistent/a/libnvrtc.so.13"),
            PathBuf::from("/nonexistent/b/libnvrtc.so"),
        ];
        let err = open_in(&NVRTC, list).unwrap_err();
        assert!(
            matches!(err, Error::CompilerNotFound { library: "NVRTC", ref searched, loader: None } if searched.len() == 2)
        );
        let msg = err.to_string();
        assert!(
            msg.contains("/nonexistent/a/libnvrtc.so.13")
                && msg.contains("/nonexistent/b/libnvrtc.so"),
            "{msg}"
        );
    }

    #[test]
    fn failed_soname_keeps_the_loader_error() {
        let err = open_in(
            &NVRTC,
            vec![PathBuf::from("libnvbare-no-such-library.so.0")],
        )
        .unwrap_err();
        assert!(
            matches!(err, Error::CompilerNotFound { loader: Some(_), ref searched, .. } if searched.len() == 1),
            "{err}"
        );
        assert!(std::error::Error::source(&err).is_some());
    }

    #[test]
    fn missing_explicit_file_is_a_load_error() {
        let err = Nvrtc::load_from(Path::new("/nonexistent/libnvrtc.so.13")).unwrap_err();
        assert!(
            matches!(
                err,
                Error::CompilerLoad {
                    library: "NVRTC",
                    what: "dlopen",
                    ..
                }
            ),
            "{err}"
        );
    }
}
