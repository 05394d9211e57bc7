//! Host↔device round trips from 1 byte to 1 GiB. Needs NVBARE_HW=1 and a GPU.

#[path = "hw_common.rs"]
mod hw_common;

#[test]
fn round_trips_1b_to_1gib() {
    if hw_common::skip("round_trips_1b_to_1gib") {
        return;
    }
    let dev = hw_common::device();
    let mut sizes = vec![1usize, 3, 4095, 4096, 4097, 65535, 1 << 20, (1 << 20) + 1];
    let mut s = 4 << 20;
    while s <= 1 << 30 {
        sizes.push(s);
        s *= 4;
    }
    for size in sizes {
        let host: Vec<u8> = (0..size)
            .map(|i| u8::try_from((i * 131 + size) % 251).unwrap())
            .collect();
        let buf = dev.htod_copy(&host).unwrap();
        let back = dev.dtoh_copy(&buf).unwrap();
        assert!(back == host, "round trip of {size} bytes differs");
    }
}

#[test]
fn length_mismatch_is_an_error_not_a_copy() {
    if hw_common::skip("length_mismatch_is_an_error_not_a_copy") {
        return;
    }
    let dev = hw_common::device();
    let mut buf = dev.alloc_zeros::<u32>(10).unwrap();
    let e = dev.htod_copy_into(&[1u32; 11], &mut buf).unwrap_err();
    assert!(
        matches!(
            e,
            nvbare::Error::LengthMismatch {
                dst: 10,
                src: 11,
                ..
            }
        ),
        "{e}"
    );
    let mut small = [0u32; 9];
    let e = dev.dtoh_copy_into(&buf, &mut small).unwrap_err();
    assert!(
        matches!(
            e,
            nvbare::Error::LengthMismatch {
                what: "dtoh_copy_into",
                dst: 9,
                src: 10
            }
        ),
        "{e}"
    );
    assert_eq!(small, [0u32; 9], "nothing copied on a mismatch");
    assert_eq!(dev.dtoh_copy(&buf).unwrap(), vec![0u32; 10]);
}
