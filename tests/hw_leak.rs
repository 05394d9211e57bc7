//! Leak checks: an alloc/copy/free loop keeps the RM object count, and opening a device,
//! allocating, copying and dropping it all 50 times does not grow open file descriptors or resident
//! memory. Needs NVBARE_HW=1.

#[path = "hw_common.rs"]
mod hw_common;

fn cycle() {
    let dev = hw_common::device();
    let a = dev.htod_copy(&vec![7u8; 4 << 20]).unwrap();
    let b = dev.alloc_zeros::<f32>(1 << 20).unwrap();
    assert_eq!(dev.dtoh_copy(&a).unwrap()[123], 7);
    drop((a, b, dev));
}

#[test]
fn alloc_free_loop_keeps_rm_object_count() {
    if hw_common::skip("alloc_free_loop_keeps_rm_object_count") {
        return;
    }
    let dev = hw_common::device();
    dev.synchronize().unwrap();
    let before = dev
        .live_rm_objects()
        .expect("nvidia.ko backend counts objects");
    for i in 0..200usize {
        let b = dev
            .htod_copy(&vec![u8::try_from(i % 251).unwrap(); 1 << 16])
            .unwrap();
        assert_eq!(
            dev.dtoh_copy(&b).unwrap()[7],
            u8::try_from(i % 251).unwrap()
        );
    }
    dev.synchronize().unwrap();
    assert_eq!(dev.live_rm_objects(), Some(before), "RM objects leaked");
}

#[test]
fn drop_everything_does_not_grow() {
    if hw_common::skip("drop_everything_does_not_grow") {
        return;
    }
    for _ in 0..3 {
        cycle(); // warm-up: lazily initialized kernel state
    }
    let (fds, rss) = (hw_common::open_fds(), hw_common::rss_pages());
    for _ in 0..50 {
        cycle();
    }
    let (fds2, rss2) = (hw_common::open_fds(), hw_common::rss_pages());
    assert_eq!(fds2, fds, "file descriptors leaked");
    assert!(
        rss2 <= rss + 2048,
        "resident memory grew from {rss} to {rss2} pages"
    );
}
