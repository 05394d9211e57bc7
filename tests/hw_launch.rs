//! Kernel launches against CPU references: every argument shape, vector_add, 10^5 back-to-back
//! launches. Needs NVBARE_HW=1 and a GPU.

#[path = "hw_common.rs"]
mod hw_common;
use nvbare::LaunchConfig;

const ONE: LaunchConfig = LaunchConfig {
    grid_dim: (1, 1, 1),
    block_dim: (1, 1, 1),
    shared_mem_bytes: 0,
};

#[test]
fn every_argument_shape_matches_cpu() {
    if hw_common::skip("every_argument_shape_matches_cpu") {
        return;
    }
    let dev = hw_common::device();
    let f = dev
        .load_module(hw_common::KERNELS)
        .unwrap()
        .function("args")
        .unwrap();
    let out = dev.alloc_zeros::<f64>(13).unwrap();
    let v3 = [1.25f32, -2.5, 3.75];
    dev.default_stream()
        .launch_builder(&f)
        .arg(&-7i8)
        .arg(&-300i16)
        .arg(&-70000i32)
        .arg(&-(1i64 << 40))
        .arg(&200u8)
        .arg(&60000u16)
        .arg(&4_000_000_000u32)
        .arg(&(1u64 << 50))
        .arg(&0.5f32)
        .arg(&-1e300f64)
        .arg(&v3)
        .arg(&out)
        .launch(ONE)
        .unwrap();
    let got = dev.dtoh_copy(&out).unwrap();
    let want = [
        -7.0,
        -300.0,
        -70000.0,
        -(2f64.powi(40)),
        200.0,
        60000.0,
        4e9,
        2f64.powi(50),
        0.5,
        -1e300,
        1.25,
        -2.5,
        3.75,
    ];
    assert_eq!(got, want);
}

#[test]
fn wrong_arguments_fail_before_submission() {
    if hw_common::skip("wrong_arguments_fail_before_submission") {
        return;
    }
    let dev = hw_common::device();
    let f = dev
        .load_module(hw_common::KERNELS)
        .unwrap()
        .function("saxpy")
        .unwrap();
    let x = dev.alloc_zeros::<f32>(4).unwrap();
    let e = dev
        .default_stream()
        .launch_builder(&f)
        .arg(&1.0f64)
        .arg(&x)
        .arg(&x)
        .arg(&4i32)
        .launch(ONE)
        .unwrap_err();
    assert!(matches!(e, nvbare::Error::ArgSize { index: 0, .. }), "{e}");
    let e = dev
        .default_stream()
        .launch_builder(&f)
        .arg(&1.0f32)
        .launch(ONE)
        .unwrap_err();
    assert!(matches!(e, nvbare::Error::ArgCount { .. }), "{e}");
}

#[test]
fn vector_add_and_1e5_back_to_back_launches() {
    if hw_common::skip("vector_add_and_1e5_back_to_back_launches") {
        return;
    }
    let dev = hw_common::device();
    let m = dev.load_module(hw_common::KERNELS).unwrap();
    let add = m.function("vector_add").unwrap();
    let n = 4096i32;
    let a: Vec<f32> = (0..n).map(|i| i as f32).collect();
    let da = dev.htod_copy(&a).unwrap();
    let dc = dev.alloc_zeros::<f32>(a.len()).unwrap();
    let s = dev.default_stream();
    let cfg = LaunchConfig::for_num_elems(n.unsigned_abs());
    s.launch_builder(&add)
        .arg(&da)
        .arg(&da)
        .arg(&dc)
        .arg(&n)
        .launch(cfg)
        .unwrap();
    let c = dev.dtoh_copy(&dc).unwrap();
    assert!(c.iter().zip(&a).all(|(c, a)| *c == 2.0 * a));
    let empty = m.function("empty").unwrap();
    for _ in 0..100_000 {
        s.launch_builder(&empty).launch(ONE).unwrap();
    }
    s.synchronize_timeout(std::time::Duration::from_secs(60))
        .unwrap();
}
