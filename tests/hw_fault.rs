//! Bounded waits and faults: a 2 s kernel waited with a 100 ms timeout (Timeout, then the device
//! still works), and an out-of-bounds store reported with its address. Needs NVBARE_HW=1.

#[path = "hw_common.rs"]
mod hw_common;
use nvbare::LaunchConfig;
use std::time::{Duration, Instant};

const ONE: LaunchConfig = LaunchConfig {
    grid_dim: (1, 1, 1),
    block_dim: (1, 1, 1),
    shared_mem_bytes: 0,
};

#[test]
fn timeout_then_device_still_works() {
    if hw_common::skip("timeout_then_device_still_works") {
        return;
    }
    let dev = hw_common::device();
    let m = dev.load_module(hw_common::KERNELS).unwrap();
    let spin = m.function("spin").unwrap();
    let done = dev.alloc_zeros::<i32>(1).unwrap();
    // ~2 s at up to 2 GHz SM clock.
    let cycles: i64 = 4_000_000_000;
    let s = dev.default_stream();
    s.launch_builder(&spin)
        .arg(&cycles)
        .arg(&done)
        .launch(ONE)
        .unwrap();
    let t = Instant::now();
    let e = s
        .synchronize_timeout(Duration::from_millis(100))
        .unwrap_err();
    assert!(
        t.elapsed() < Duration::from_millis(1500),
        "timeout not honoured: {:?}",
        t.elapsed()
    );
    assert!(
        matches!(
            e,
            nvbare::Error::Driver(nvbare_driver::Error::Timeout { .. })
        ),
        "{e}"
    );
    s.synchronize_timeout(Duration::from_secs(30)).unwrap();
    assert_eq!(dev.dtoh_copy(&done).unwrap(), vec![1]);
    let x = dev.htod_copy(&[5u32; 16]).unwrap();
    assert_eq!(dev.dtoh_copy(&x).unwrap(), vec![5u32; 16]);
}

#[test]
fn out_of_bounds_store_names_the_address() {
    if hw_common::skip("out_of_bounds_store_names_the_address") {
        return;
    }
    let dev = hw_common::device();
    let f = dev
        .load_module(hw_common::KERNELS)
        .unwrap()
        .function("oob_store")
        .unwrap();
    let addr: u64 = 0x7_dead_0000;
    dev.default_stream()
        .launch_builder(&f)
        .arg(&addr)
        .arg(&1i32)
        .launch(ONE)
        .unwrap();
    let e = dev
        .default_stream()
        .synchronize_timeout(Duration::from_secs(10))
        .unwrap_err();
    let msg = e.to_string();
    assert!(
        matches!(e, nvbare::Error::Driver(nvbare_driver::Error::GpuFault(_))),
        "{msg}"
    );
    assert!(
        msg.contains("0x7dead"),
        "fault report must name the address: {msg}"
    );
}
