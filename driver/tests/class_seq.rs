//! Shared method sequences (class::seq): words checked against hand-computed values and decoded names.

use nvbare_driver::class::seq::{
    ComputeSequences, CopySequences, HostSequences, Semaphore, SemaphoreOp,
};
use nvbare_driver::class::{c56f, c6b5, c86f, c8b5, ca6f, cbc0, cdc0};
use nvbare_driver::push::decode::{Decoder, Item};
use nvbare_driver::push::{Bound, PushBuffer, Subchannel};
use nvbare_driver::Error;

fn sc(n: u8) -> Subchannel {
    Subchannel::new(n).unwrap()
}

fn names(words: &[u32], dec: Decoder<'_>) -> Vec<(String, u32)> {
    let mut d = dec;
    d.decode(words)
        .into_iter()
        .filter_map(|i| match i {
            Item::Method(m) => Some((
                m.method
                    .map_or("?".to_string(), |(d, _)| d.name.to_string()),
                m.value,
            )),
            _ => None,
        })
        .collect()
}

#[test]
fn host_release_matches_hand_written_hopper_words() {
    let mut buf = [0u32; 16];
    let mut pb = PushBuffer::new(&mut buf);
    let h = Bound::<c86f::Class>::assume(sc(0));
    let sem = Semaphore {
        address: 0x1_2345_6780,
        payload: 0x5_0000_0007,
        wide: true,
    };
    c86f::Class::semaphore(
        &mut pb,
        h,
        sem,
        SemaphoreOp::Release {
            wfi: true,
            timestamp: true,
        },
    )
    .unwrap();
    // same words as in push_decode_hopper.rs (INC count 5 from SEM_ADDR_LO; SEM_EXECUTE 0x03100001)
    assert_eq!(
        pb.words(),
        &[0x2005_0017, 0x2345_6780, 1, 7, 5, 0x0310_0001]
    );
    // acquire: "NVC86F_SEM_EXECUTE_OPERATION_ACQ_CIRC_GEQ 3", "_ACQUIRE_SWITCH_TSG 12:12" EN, 32-bit
    pb.clear();
    let sem = Semaphore {
        address: 0x1000,
        payload: 9,
        wide: false,
    };
    c86f::Class::semaphore(
        &mut pb,
        h,
        sem,
        SemaphoreOp::AcquireCircGeq { switch_tsg: true },
    )
    .unwrap();
    // 0x1000 and 0, 9, 0 fit immediates only one at a time; 0x1000 < 0x2000 -> IMMD (4<<29|0x1000<<16|0x17)
    assert_eq!(
        pb.words(),
        &[
            0x9000_0017,
            0x8000_0018,
            0x8009_0019,
            0x8000_001a,
            0x9003_001b
        ]
    );
    c86f::Class::non_stall_interrupt(&mut pb, h).unwrap();
    c86f::Class::wait_for_idle(&mut pb, h).unwrap();
    // NON_STALL_INTERRUPT 0x20 (dword 8) data 0; WFI 0x78 (dword 0x1e) SCOPE_ALL 1
    assert_eq!(&pb.words()[5..], &[0x8000_0008, 0x8001_001e]);
}

#[test]
fn host_address_limits_differ_per_class() {
    let mut buf = [0u32; 16];
    let mut pb = PushBuffer::new(&mut buf);
    let sem = Semaphore {
        address: 0x100_0000_0000,
        payload: 1,
        wide: false,
    };
    // C56F SEM_ADDR_HI OFFSET 7:0 -> 40-bit addresses only
    let e = c56f::Class::semaphore(&mut pb, Bound::assume(sc(0)), sem, SemaphoreOp::AcquireEq)
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::FieldOverflow {
                method: "SEM_ADDR_HI",
                bits: 8,
                ..
            }
        ),
        "{e}"
    );
    // CA6F SEM_ADDR_HI OFFSET 24:0
    pb.clear();
    ca6f::Class::semaphore(&mut pb, Bound::assume(sc(0)), sem, SemaphoreOp::AcquireEq).unwrap();
    let e = ca6f::Class::semaphore(
        &mut pb,
        Bound::assume(sc(0)),
        Semaphore { address: 2, ..sem },
        SemaphoreOp::AcquireEq,
    )
    .unwrap_err();
    assert!(matches!(e, Error::UnalignedAddress { .. }));
    let e = ca6f::Class::semaphore(
        &mut pb,
        Bound::assume(sc(0)),
        Semaphore {
            payload: 1 << 32,
            ..sem
        },
        SemaphoreOp::AcquireEq,
    )
    .unwrap_err();
    assert!(matches!(e, Error::FieldOverflow { .. }));
}

#[test]
fn compute_sequences() {
    let mut buf = [0u32; 128];
    let mut pb = PushBuffer::new(&mut buf);
    let c = pb.bind::<cbc0::Class>(sc(1)).unwrap();
    cbc0::Class::set_local_memory(&mut pb, c, 0x7_0000_0000).unwrap();
    cbc0::Class::set_local_memory_size(&mut pb, c, 0x1_0000_0000, 132).unwrap();
    cbc0::Class::set_windows(&mut pb, c, 0xff00_0000_0000, 0xfe00_0000_0000).unwrap();
    cbc0::Class::load_inline_qmd(&mut pb, c, 0x12_3456_7800, &[0xaaaa_aaaa; 64]).unwrap();
    cbc0::Class::launch_qmd(&mut pb, c, 0x12_3456_7800).unwrap();
    let got = names(pb.words(), Decoder::new());
    let want: Vec<(String, u32)> = [
        ("SET_OBJECT", 0xcbc0),
        ("SET_SHADER_LOCAL_MEMORY_A", 7),
        ("SET_SHADER_LOCAL_MEMORY_B", 0),
        ("SET_SHADER_LOCAL_MEMORY_NON_THROTTLED_A", 1),
        ("SET_SHADER_LOCAL_MEMORY_NON_THROTTLED_B", 0),
        ("SET_SHADER_LOCAL_MEMORY_NON_THROTTLED_C", 132),
        ("SET_SHADER_LOCAL_MEMORY_WINDOW_A", 0xff00),
        ("SET_SHADER_LOCAL_MEMORY_WINDOW_B", 0),
        ("SET_SHADER_SHARED_MEMORY_WINDOW_A", 0xfe00),
        ("SET_SHADER_SHARED_MEMORY_WINDOW_B", 0),
        ("SET_INLINE_QMD_ADDRESS_A", 0), // (0x12_3456_7800 >> 8) >> 32 = 0
        ("SET_INLINE_QMD_ADDRESS_B", 0x1234_5678),
    ]
    .iter()
    .map(|(n, v)| (n.to_string(), *v))
    .chain((0..64).map(|_| ("LOAD_INLINE_QMD_DATA".to_string(), 0xaaaa_aaaa)))
    .chain([
        ("SEND_PCAS_A".to_string(), 0x1234_5678),
        ("SEND_SIGNALING_PCAS2_B".to_string(), 3),
    ])
    .collect();
    assert_eq!(got, want);
    // misaligned QMD and too-large local memory window on a class whose field is 16:0
    assert!(matches!(
        cdc0::Class::launch_qmd(&mut pb, Bound::assume(sc(1)), 0x1080),
        Err(Error::UnalignedAddress { .. })
    ));
    let e = cdc0::Class::set_windows(&mut pb, Bound::assume(sc(1)), 1 << 49, 0).unwrap_err();
    assert!(
        matches!(
            e,
            Error::FieldOverflow {
                value: 0x2_0000,
                bits: 17,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn copy_sequences() {
    let mut buf = [0u32; 64];
    let mut pb = PushBuffer::new(&mut buf);
    let ce = pb.bind::<c8b5::Class>(sc(4)).unwrap();
    let sem = Semaphore {
        address: 0x9000,
        payload: 42,
        wide: false,
    };
    c8b5::Class::copy(&mut pb, ce, 0x1_0000_0000, 0x2_0000_0000, 4096, Some(sem)).unwrap();
    let got = names(pb.words(), Decoder::new());
    // LAUNCH_DMA: DATA_TRANSFER_TYPE NON_PIPELINED 2 (1:0) | FLUSH_ENABLE (2:2) | SEMAPHORE_TYPE 1 (4:3) |
    // SRC_MEMORY_LAYOUT PITCH (7:7) | DST_MEMORY_LAYOUT PITCH (8:8) = 0x18e
    let want: Vec<(String, u32)> = [
        ("SET_OBJECT", 0xc8b5),
        ("OFFSET_IN_UPPER", 1),
        ("OFFSET_IN_LOWER", 0),
        ("OFFSET_OUT_UPPER", 2),
        ("OFFSET_OUT_LOWER", 0),
        ("LINE_LENGTH_IN", 4096),
        ("LINE_COUNT", 1),
        ("SET_SEMAPHORE_A", 0),
        ("SET_SEMAPHORE_B", 0x9000),
        ("SET_SEMAPHORE_PAYLOAD", 42),
        ("LAUNCH_DMA", 0x18e),
    ]
    .iter()
    .map(|(n, v)| (n.to_string(), *v))
    .collect();
    assert_eq!(got, want);

    pb.clear();
    let ce = Bound::<c6b5::Class>::assume(sc(4));
    c6b5::Class::fill_u32(&mut pb, ce, 0x4000, 0xdead_beef, 256, None).unwrap();
    let got = names(pb.words(), Decoder::new().bind(4, 0xc6b5));
    // SET_REMAP_COMPONENTS: DST_X CONST_A 4 (2:0) | COMPONENT_SIZE FOUR 3 (17:16) | NUM_SRC ONE 0 | NUM_DST ONE 0,
    // DST_Y/Z/W default SRC_X 0; LAUNCH_DMA 0x186 | REMAP_ENABLE (10:10) = 0x586
    let want: Vec<(String, u32)> = [
        ("SET_REMAP_CONST_A", 0xdead_beef),
        ("SET_REMAP_COMPONENTS", 0x0003_0004),
        ("OFFSET_OUT_UPPER", 0),
        ("OFFSET_OUT_LOWER", 0x4000),
        ("LINE_LENGTH_IN", 256),
        ("LINE_COUNT", 1),
        ("LAUNCH_DMA", 0x586),
    ]
    .iter()
    .map(|(n, v)| (n.to_string(), *v))
    .collect();
    assert_eq!(got, want);
    // C6B5 OFFSET_OUT_UPPER is 16:0: a 50-bit address does not fit
    let e = c6b5::Class::fill_u32(&mut pb, ce, 1 << 49, 0, 1, None).unwrap_err();
    assert!(
        matches!(
            e,
            Error::FieldOverflow {
                field: "UPPER",
                value: 0x2_0000,
                bits: 17,
                ..
            }
        ),
        "{e}"
    );
    // copy-engine semaphores take 32-bit payloads here
    let wide = Semaphore {
        address: 0x9000,
        payload: 1,
        wide: true,
    };
    let e = c6b5::Class::copy(&mut pb, ce, 0, 0, 1, Some(wide)).unwrap_err();
    assert!(matches!(e, Error::SemaphoreUnsupported { .. }), "{e}");
}

#[test]
fn failed_sequences_leave_the_buffer_unchanged() {
    // Field overflow half-way (C56F SEM_ADDR_HI 7:0) after SEM_ADDR_LO was already appended.
    let mut buf = [0u32; 16];
    let mut pb = PushBuffer::new(&mut buf);
    let h = Bound::<c56f::Class>::assume(sc(0));
    pb.method_raw(sc(0), 0x50, 0x10_0000).unwrap(); // open INC header at 0x50 (next 0x54)
    let before = pb.words().to_vec();
    let sem = Semaphore {
        address: 0x100_0000_0000,
        payload: 1,
        wide: false,
    };
    let e = c56f::Class::semaphore(&mut pb, h, sem, SemaphoreOp::AcquireEq).unwrap_err();
    assert!(
        matches!(
            e,
            Error::FieldOverflow {
                field: "OFFSET",
                value: 0x100,
                bits: 8,
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(pb.words(), &before[..]);
    // The open header is intact: the next method still extends it.
    pb.method_raw(sc(0), 0x54, 0x10_0000).unwrap();
    assert_eq!(pb.words(), &[0x2002_0014, 0x10_0000, 0x10_0000]);

    // Buffer full half-way through an inline QMD load.
    let mut small = [0u32; 40];
    let mut pb = PushBuffer::new(&mut small);
    let c = Bound::<cbc0::Class>::assume(sc(1));
    let e = cbc0::Class::load_inline_qmd(&mut pb, c, 0x1_0000, &[0; 64]).unwrap_err();
    assert!(matches!(e, Error::PushBufferFull { .. }));
    assert!(pb.is_empty());
}

/// SET_INLINE_QMD_ADDRESS_A.INLINE_SIZE follows the QMD length on classes that have the field
/// (`NVCBC0_SET_INLINE_QMD_ADDRESS_A_INLINE_SIZE` 30:30: INLINE_256 = 0, INLINE_384 = 1); lengths a class cannot
/// load are errors that write nothing.
#[test]
fn inline_qmd_size_follows_the_qmd_length() {
    use nvbare_driver::class::c7c0;
    let mut buf = [0u32; 256];
    let mut pb = PushBuffer::new(&mut buf);
    let c = pb.bind::<cbc0::Class>(sc(1)).unwrap();
    let start = pb.words().len();
    cbc0::Class::load_inline_qmd(&mut pb, c, 0x1_0000_0000, &[1; 96]).unwrap();
    // The method after the header: address A = (0x1_0000_0000 >> 8) >> 32 = 0, with bit 30 set for 384 bytes.
    let a = names(&pb.words()[start..], Decoder::new().bind(1, 0xcbc0));
    assert_eq!(a[0], ("SET_INLINE_QMD_ADDRESS_A".to_string(), 1 << 30));
    assert_eq!(
        a.iter()
            .filter(|(n, _)| n == "LOAD_INLINE_QMD_DATA")
            .count(),
        96
    );
    let len = pb.words().len();
    let e = cbc0::Class::load_inline_qmd(&mut pb, c, 0x1_0000_0000, &[1; 80]).unwrap_err();
    assert!(matches!(e, Error::InlineQmdSize { words: 80, .. }), "{e:?}");
    assert_eq!(pb.words().len(), len, "a refused QMD writes nothing");

    let mut buf = [0u32; 256];
    let mut pb = PushBuffer::new(&mut buf);
    let c = pb.bind::<c7c0::Class>(sc(1)).unwrap();
    let e = c7c0::Class::load_inline_qmd(&mut pb, c, 0x1_0000, &[0; 96]).unwrap_err();
    assert!(matches!(e, Error::InlineQmdSize { words: 96, .. }), "{e:?}");
}
