//! NVRTC and nvJitLink loaded with dlopen from the CUDA toolkit trees of `scripts/assets/cuda-1-toolkit.sh`
//! (`$NVBARE_TEST_ASSETS/cuda/13`, and `cuda/12.9` when present).
//!
//! One test function: it sets `NVBARE_NVRTC` / `NVBARE_NVJITLINK` / `CUDA_HOME`, which must not race other
//! threads reading the environment.

use std::path::{Path, PathBuf};

use nvbare::module::compiler::{NvJitLink, Nvrtc};
use nvbare::module::select::ComputeCapability;
use nvbare::Error;

const KERNEL: &str = r#"
extern "C" __global__ void vec_add(const float* a, const float* b, float* c, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) c[i] = a[i] + b[i];
}
"#;

fn assets() -> Option<PathBuf> {
    let root = std::env::var_os("NVBARE_TEST_ASSETS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/test-assets"));
    let need = root.join("cuda/13/.complete");
    if need.exists() {
        return Some(root);
    }
    if std::env::var("NVBARE_REQUIRE_ASSETS").as_deref() == Ok("1") {
        panic!(
            "missing test asset {}: run scripts/test-all.sh",
            need.display()
        );
    }
    eprintln!(
        "skipped: run scripts/test-all.sh to fetch assets (missing {})",
        need.display()
    );
    None
}

/// A CUBIN for `sm`: ELF, EM_CUDA, and the SM in e_flags (bits 8..16 for ELF ABI version 8 as written by
/// CUDA 13; bits 0..8 for the older ABI of CUDA 12).
fn assert_cubin_for(cubin: &[u8], sm: u32) {
    assert_eq!(&cubin[..4], b"\x7fELF");
    assert_eq!(
        u16::from_le_bytes([cubin[18], cubin[19]]),
        190,
        "e_machine EM_CUDA"
    );
    let e_flags = u32::from_le_bytes([cubin[48], cubin[49], cubin[50], cubin[51]]);
    let found = if cubin[8] >= 8 {
        (e_flags >> 8) & 0xff
    } else {
        e_flags & 0xff
    };
    assert_eq!(found, sm, "ABI {} e_flags {e_flags:#x}", cubin[8]);
}

fn exercise_nvrtc(nvrtc: &Nvrtc, major: i32) {
    let (maj, _) = nvrtc.version().unwrap();
    assert_eq!(maj, major, "{:?}", nvrtc.path());

    // CUDA C++ -> CUBIN (real arch) with extra options.
    let out = nvrtc
        .compile(
            KERNEL,
            "vec_add.cu",
            &["-arch=sm_80", "-default-device", "-lineinfo"],
        )
        .unwrap();
    assert_cubin_for(out.cubin.as_deref().expect("CUBIN for sm_80"), 80);

    // CUDA C++ -> PTX only (virtual arch): no CUBIN.
    let out = nvrtc
        .compile(KERNEL, "vec_add.cu", &["-arch=compute_80"])
        .unwrap();
    assert!(out.cubin.is_none());
    let ptx = String::from_utf8(out.ptx.clone()).unwrap();
    assert!(
        ptx.contains(".target sm_80") && ptx.contains(".entry vec_add("),
        "{ptx}"
    );

    // A compile error carries NVRTC's log.
    let err = nvrtc
        .compile("__global__ void broken( { }", "broken.cu", &["-arch=sm_80"])
        .unwrap_err();
    match &err {
        Error::CompilerCall {
            call: "nvrtcCompileProgram",
            log,
            ..
        } => assert!(log.contains("broken.cu"), "{log}"),
        other => panic!("unexpected {other:?}"),
    }
    // A bad option is reported too.
    assert!(matches!(
        nvrtc.compile(KERNEL, "k.cu", &["--no-such-option"]),
        Err(Error::CompilerCall { .. })
    ));
    // NUL in the source is refused before calling the library.
    assert!(matches!(
        nvrtc.compile("a\0b", "k.cu", &[]),
        Err(Error::CompilerInput { .. })
    ));
}

#[test]
fn nvrtc_and_nvjitlink_via_dlopen() {
    let Some(root) = assets() else { return };
    let lib13 = root.join("cuda/13/lib");

    // NVBARE_NVRTC naming a directory; the loader picks the library inside it.
    std::env::set_var("NVBARE_NVRTC", &lib13);
    let nvrtc = Nvrtc::load().unwrap();
    assert!(nvrtc.path().starts_with(&lib13), "{:?}", nvrtc.path());
    exercise_nvrtc(&nvrtc, 13);

    // One loaded library shared by several threads (calls are serialised inside): every compile succeeds and
    // yields the CUBIN for its own arch.
    std::thread::scope(|scope| {
        let handles: Vec<_> = [75u32, 80, 86, 90]
            .into_iter()
            .map(|sm| {
                let nvrtc = &nvrtc;
                scope.spawn(move || {
                    let arch = format!("-arch=sm_{sm}");
                    let out = nvrtc.compile(KERNEL, "vec_add.cu", &[&arch]).unwrap();
                    assert_cubin_for(out.cubin.as_deref().expect("CUBIN"), sm);
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
    });
    std::env::remove_var("NVBARE_NVRTC");

    // NVBARE_NVRTC naming the file itself.
    std::env::set_var("NVBARE_NVRTC", lib13.join("libnvrtc.so.13"));
    assert_eq!(Nvrtc::load().unwrap().path(), lib13.join("libnvrtc.so.13"));
    std::env::remove_var("NVBARE_NVRTC");

    // CUDA_HOME: <root>/lib is searched (after lib64).
    std::env::set_var("CUDA_HOME", root.join("cuda/13"));
    assert!(Nvrtc::search_paths().contains(&lib13.join("libnvrtc.so.13")));
    let jit = NvJitLink::load().unwrap();
    assert!(jit.path().starts_with(&lib13), "{:?}", jit.path());
    std::env::remove_var("CUDA_HOME");

    // nvJitLink: PTX from NVRTC -> CUBIN for sm_86; bad PTX -> error with the log.
    assert_eq!(jit.version().unwrap().0, 13);
    let ptx = nvrtc
        .compile(KERNEL, "vec_add.cu", &["-arch=compute_80"])
        .unwrap()
        .ptx;
    let cubin = jit
        .ptx_to_cubin(&ptx, ComputeCapability::from_sm(86), &["-O3"])
        .unwrap();
    assert_cubin_for(&cubin, 86);
    let err = jit
        .ptx_to_cubin(
            b".version 9.0\n.target sm_80\nthis is not ptx",
            ComputeCapability::from_sm(86),
            &[],
        )
        .unwrap_err();
    match &err {
        Error::CompilerCall { call, log, .. } => {
            assert!(call.starts_with("nvJitLink") && !log.is_empty(), "{err}")
        }
        other => panic!("unexpected {other:?}"),
    }

    // The CUDA 12.9 libraries, when the toolkit script provides them (same ABI, unversioned symbols).
    let lib12 = root.join("cuda/12.9/lib");
    if root.join("cuda/12.9/.complete").exists() {
        let nvrtc12 = Nvrtc::load_from(&lib12.join("libnvrtc.so.12")).unwrap();
        exercise_nvrtc(&nvrtc12, 12);
        let jit12 = NvJitLink::load_from(&lib12.join("libnvJitLink.so.12")).unwrap();
        let ptx12 = nvrtc12
            .compile(KERNEL, "vec_add.cu", &["-arch=compute_80"])
            .unwrap()
            .ptx;
        assert_cubin_for(
            &jit12
                .ptx_to_cubin(&ptx12, ComputeCapability::from_sm(90), &[])
                .unwrap(),
            90,
        );
    } else {
        eprintln!(
            "note: no CUDA 12.9 tree at {}; checked CUDA 13 only",
            lib12.display()
        );
    }
}
