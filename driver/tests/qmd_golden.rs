//! Golden tests: expected QMD words computed by hand from the header bit ranges (the `MW(hi:lo)` line each
//! expectation comes from is quoted next to it). Bit `n` is bit `n % 32` of 32-bit word `n / 32`.

use nvbare_driver::qmd::*;
use nvbare_driver::Error;

fn words<Q: Qmd>(q: &Q) -> Vec<u32> {
    q.words().to_vec()
}

/// Assert every word is as expected; words not listed must be zero.
fn assert_words(got: &[u32], expected: &[(usize, u32)]) {
    for (i, w) in got.iter().enumerate() {
        let want = expected
            .iter()
            .find(|(j, _)| *j == i)
            .map_or(0, |(_, v)| *v);
        assert_eq!(*w, want, "word {i}: got {w:#010x}, want {want:#010x}");
    }
}

// ---------------------------------------------------------------- V03_00 (clc6c0qmd.h / clc9c0qmd.h)

#[test]
fn v03_version_grid_block() {
    let mut q = QmdV03_00::new();
    q.set_grid([0x1234_5678, 0xabcd, 7]).unwrap();
    q.set_block([256, 2, 3]).unwrap();
    assert_words(
        &words(&q),
        &[
            // NVC6C0_QMDV03_00_CTA_RASTER_WIDTH   MW(415:384) -> word 12, bits 0..31
            (12, 0x1234_5678),
            // NVC6C0_QMDV03_00_CTA_RASTER_HEIGHT  MW(431:416) -> word 13, bits 0..15
            (13, 0xabcd),
            // NVC6C0_QMDV03_00_CTA_RASTER_DEPTH   MW(463:448) -> word 14, bits 0..15
            (14, 7),
            // NVC6C0_QMDV03_00_QMD_VERSION        MW(579:576) = 0 and QMD_MAJOR_VERSION MW(583:580) = 3
            //   -> word 18 bits 4..7 = 3; CTA_THREAD_DIMENSION0 MW(607:592) -> word 18 bits 16..31 = 256
            (18, 0x0100_0030),
            // CTA_THREAD_DIMENSION1 MW(623:608) -> word 19 bits 0..15; DIMENSION2 MW(639:624) -> bits 16..31
            (19, 0x0003_0002),
        ],
    );
}

#[test]
fn v03_registers_program_cbank() {
    let mut q = QmdV03_00::new();
    q.set_register_count(32).unwrap();
    q.set_program_address(0x1_2345_6700).unwrap();
    q.set_constant_buffer(
        2,
        ConstantBuffer {
            address: 0x7f_0000_1000,
            size: 0x160,
        },
    )
    .unwrap();
    assert_words(
        &words(&q),
        &[
            (18, 0x30),
            // CONSTANT_BUFFER_VALID(i) MW((640+(i)*1):(640+(i)*1)), i=2 -> word 20 bit 2
            // REGISTER_COUNT_V MW(656:648) -> word 20 bits 8..16 = 32
            (20, 0x0000_2004),
            // CONSTANT_BUFFER_ADDR_LOWER(i) MW((1055+(i)*64):(1024+(i)*64)), i=2 -> bits 1183:1152 = word 36
            (36, 0x0000_1000),
            // CONSTANT_BUFFER_ADDR_UPPER(i) MW((1072+(i)*64):(1056+(i)*64)) -> word 37 bits 0..16 = 0x7f
            // CONSTANT_BUFFER_SIZE_SHIFTED4(i) MW((1087+(i)*64):(1075+(i)*64)) -> word 37 bits 19..31 = 0x160>>4
            (37, 0x7f | (0x16 << 19)),
            // PROGRAM_ADDRESS_LOWER MW(1567:1536) -> word 48; PROGRAM_ADDRESS_UPPER MW(1584:1568) -> word 49
            (48, 0x2345_6700),
            (49, 0x1),
        ],
    );
}

#[test]
fn v03_release0() {
    let mut q = QmdV03_00::new();
    q.set_release(
        0,
        Some(&ReleaseSemaphore::write64(
            0xab_cdef_0008,
            0x1122_3344_5566_7788,
        )),
    )
    .unwrap();
    assert_words(
        &words(&q),
        &[
            (18, 0x30),
            // RELEASE0_ADDRESS_LOWER MW(799:768) -> word 24
            (24, 0xcdef_0008),
            // RELEASE0_ADDRESS_UPPER MW(807:800) -> word 25 bits 0..7 = 0xab
            // RELEASE0_MEMBAR_TYPE MW(819:819) = FE_SYSMEMBAR(1) -> bit 19
            // RELEASE0_ENABLE MW(823:823) -> bit 23
            // RELEASE0_PAYLOAD64B MW(829:829) -> bit 29
            // RELEASE0_STRUCTURE_SIZE MW(831:830) = SEMAPHORE_TWO_WORDS(2) -> bits 30..31
            (25, 0xa088_00ab),
            // RELEASE0_PAYLOAD_LOWER MW(863:832) -> word 26; RELEASE0_PAYLOAD_UPPER MW(895:864) -> word 27
            (26, 0x5566_7788),
            (27, 0x1122_3344),
        ],
    );
}

#[test]
fn v03_field_limits() {
    let mut q = QmdV03_00::new();
    // CTA_RASTER_HEIGHT MW(431:416) is 16 bits.
    assert!(matches!(
        q.set_grid([1, 0x1_0000, 1]),
        Err(Error::QmdValueTooWide { bits: 16, .. })
    ));
    // RELEASE0_ADDRESS_UPPER MW(807:800) holds 8 bits: 40-bit VAs only.
    let far = ReleaseSemaphore::write64(1 << 40, 1);
    assert!(matches!(
        q.set_release(0, Some(&far)),
        Err(Error::QmdValueTooWide { .. })
    ));
    // PROGRAM_ADDRESS_UPPER MW(1584:1568) holds 17 bits: 49-bit VAs.
    assert!(q.set_program_address((1 << 49) - 16).is_ok());
    assert!(matches!(
        q.set_program_address(1 << 49),
        Err(Error::QmdValueTooWide {
            field: "PROGRAM_ADDRESS",
            bits: 49,
            ..
        })
    ));
    // No DEPENDENT_QMD1_POINTER in V03_00.
    let dep = DependentQmd {
        qmd_address: 0x1000,
        action: DependentAction::Schedule,
        prefetch: true,
    };
    assert!(matches!(
        q.set_dependent_qmd(1, Some(dep)),
        Err(Error::QmdUnsupported { .. })
    ));
    assert!(matches!(
        q.set_constant_buffer(
            8,
            ConstantBuffer {
                address: 0,
                size: 16
            }
        ),
        Err(Error::QmdIndexOutOfRange { .. })
    ));
    assert!(matches!(
        q.set_constant_buffer(
            0,
            ConstantBuffer {
                address: 0,
                size: 17
            }
        ),
        Err(Error::QmdMisaligned { .. })
    ));
}

// ---------------------------------------------------------------- V04_00 (clcbc0qmd.h)

#[test]
fn v04_grid_block_regs_type() {
    let mut q = QmdV04_00::new();
    q.set_qmd_type(QmdType::GridCta).unwrap();
    q.set_grid([0x8000_0001, 0xffff, 0x10]).unwrap();
    q.set_block([128, 4, 2]).unwrap();
    q.set_register_count(255).unwrap();
    q.set_barrier_count(1).unwrap();
    assert_words(
        &words(&q),
        &[
            // NVCBC0_QMDV04_00_QMD_TYPE MW(25:23) = GRID_CTA(2) -> word 0 bits 23..25
            (0, 2 << 23),
            // QMD_MINOR_VERSION MW(579:576) = 0, QMD_MAJOR_VERSION MW(583:580) = 4 -> word 18 bits 4..7
            (18, 0x40),
            // GRID_WIDTH MW(1055:1024) -> word 32; GRID_HEIGHT MW(1071:1056) -> word 33; GRID_DEPTH MW(1103:1088) -> 34
            (32, 0x8000_0001),
            (33, 0xffff),
            (34, 0x10),
            // CTA_THREAD_DIMENSION0 MW(1167:1152) -> word 36 bits 0..15; DIMENSION1 MW(1183:1168) -> bits 16..31
            (36, 0x0004_0080),
            // CTA_THREAD_DIMENSION2 MW(1199:1184) -> word 37 bits 0..15; REGISTER_COUNT MW(1208:1200) -> bits 16..24;
            // BARRIER_COUNT MW(1215:1211) -> bits 27..31
            (37, 2 | (255 << 16) | (1 << 27)),
        ],
    );
}

#[test]
fn v04_cbank_shifted6() {
    let mut q = QmdV04_00::new();
    q.set_constant_buffer(
        0,
        ConstantBuffer {
            address: 0x12_3456_7840,
            size: 0x1000,
        },
    )
    .unwrap();
    assert_words(
        &words(&q),
        &[
            // CONSTANT_BUFFER_VALID(i) MW((416+(i)*4):(416+(i)*4)), i=0 -> word 13 bit 0
            (13, 1),
            (18, 0x40),
            // CONSTANT_BUFFER_ADDR_LOWER_SHIFTED6(i) MW((1567+(i)*64):(1536+(i)*64)) -> word 48 = (addr >> 6) & 0xffffffff
            (48, 0x48d1_59e1),
            // CONSTANT_BUFFER_ADDR_UPPER_SHIFTED6(i) MW((1586+(i)*64):(1568+(i)*64)) -> word 49 bits 0..18 = 0
            // CONSTANT_BUFFER_SIZE_SHIFTED4(i) MW((1599+(i)*64):(1587+(i)*64)) -> word 49 bits 19..31 = 0x1000 >> 4
            (49, 0x100 << 19),
        ],
    );
    // The address must be 64-byte aligned.
    let bad = ConstantBuffer {
        address: 0x12_3456_7820,
        size: 0x100,
    };
    assert!(matches!(
        q.set_constant_buffer(1, bad),
        Err(Error::QmdMisaligned { align: 64, .. })
    ));
}

#[test]
fn v04_release1_and_dependent1() {
    let mut q = QmdV04_00::new();
    q.set_release(1, Some(&ReleaseSemaphore::write64(0x1_0000_0010, 7)))
        .unwrap();
    let dep = DependentQmd {
        qmd_address: 0x12_3456_7800,
        action: DependentAction::Schedule,
        prefetch: true,
    };
    q.set_dependent_qmd(1, Some(dep)).unwrap();
    assert_words(
        &words(&q),
        &[
            // RELEASE_ENABLE(i) MW((320+(i)*16):(320+(i)*16)), i=1 -> bit 336 = word 10 bit 16
            // RELEASE_STRUCTURE_SIZE(i) MW((322+(i)*16):(321+(i)*16)) = TWO_WORDS(2) -> word 10 bits 17..18
            // RELEASE_MEMBAR_TYPE(i) MW((323+(i)*16):(323+(i)*16)) = FE_SYSMEMBAR -> word 10 bit 19
            // RELEASE_PAYLOAD64B(i) MW((332+(i)*16):(332+(i)*16)) -> word 10 bit 28
            (10, 0x100d_0000),
            // DEPENDENT_QMD_ENABLE(i) MW((368+(i)*5)), i=1 -> bit 373 = word 11 bit 21
            // DEPENDENT_QMD_ACTION(i) MW((371+(i)*5):(369+(i)*5)) = QMD_SCHEDULE(1) -> word 11 bits 22..24
            // DEPENDENT_QMD_PREFETCH(i) MW((372+(i)*5)) -> bit 377 = word 11 bit 25
            (11, 0x0260_0000),
            // DEPENDENT_QMD1_POINTER MW(511:480) -> word 15 = address >> 8
            (15, 0x1234_5678),
            (18, 0x40),
            // RELEASE_SEMAPHORE1_ADDR_LOWER MW(799:768) -> word 24; ADDR_UPPER MW(824:800) -> word 25
            (24, 0x10),
            (25, 0x1),
            // RELEASE_SEMAPHORE1_PAYLOAD_LOWER MW(863:832) -> word 26
            (26, 7),
        ],
    );
}

// ---------------------------------------------------------------- V05_00 (clcdc0qmd.h)

#[test]
fn v05_program_shifted4_and_version() {
    let mut q = QmdV05_00::new();
    q.set_program_address(0x1234_5678_9ab0).unwrap();
    q.set_grid([3, 2, 1]).unwrap();
    assert_words(
        &words(&q),
        &[
            // NVCDC0_QMDV05_00_QMD_MINOR_VERSION MW(467:464) = 0, QMD_MAJOR_VERSION MW(471:468) = 5 -> word 14 bits 20..23
            (14, 0x0050_0000),
            // PROGRAM_ADDRESS_LOWER_SHIFTED4 MW(1055:1024) -> word 32 = (addr >> 4) & 0xffffffff
            (32, 0x4567_89ab),
            // PROGRAM_ADDRESS_UPPER_SHIFTED4 MW(1076:1056) -> word 33 bits 0..20 = addr >> 36
            (33, 0x123),
            // GRID_WIDTH MW(1279:1248) -> word 39; GRID_HEIGHT MW(1295:1280) -> word 40; GRID_DEPTH MW(1327:1312) -> 41
            (39, 3),
            (40, 2),
            (41, 1),
        ],
    );
    // Shifted by 4: the program address must be 16-byte aligned.
    assert!(matches!(
        q.set_program_address(0x1008),
        Err(Error::QmdMisaligned { align: 16, .. })
    ));
}

#[test]
fn v05_shared_memory_shifted7_and_sm_config() {
    let mut q = QmdV05_00::new();
    q.set_shared_memory_size(48 * 1024).unwrap();
    q.set_sm_shared_config(SmSharedConfig {
        min_bytes: 64 * 1024,
        max_bytes: 228 * 1024,
        target_bytes: 64 * 1024,
    })
    .unwrap();
    q.set_shader_local_memory(0, 0x640).unwrap();
    assert_words(
        &words(&q),
        &[
            (14, 0x0050_0000),
            // SHARED_MEMORY_SIZE_SHIFTED7 MW(1162:1152) -> word 36 bits 0..10 = 49152 >> 7 = 0x180
            // MIN_SM_CONFIG_SHARED_MEM_SIZE MW(1168:1163) -> bits 11..16 = 64K/4K + 1 = 17
            // MAX_SM_CONFIG_SHARED_MEM_SIZE MW(1174:1169) -> bits 17..22 = 228K/4K + 1 = 58
            // TARGET_SM_CONFIG_SHARED_MEM_SIZE MW(1180:1175) -> bits 23..28 = 17
            (36, 0x180 | (17 << 11) | (58 << 17) | (17 << 23)),
            // SHADER_LOCAL_MEMORY_HIGH_SIZE_SHIFTED4 MW(1215:1200) -> word 37 bits 16..31 = 0x640 >> 4
            (37, 0x64 << 16),
        ],
    );
    // SHIFTED7: a shared size that is not a multiple of 128 is rejected.
    assert!(matches!(
        q.set_shared_memory_size(1000),
        Err(Error::QmdMisaligned { align: 128, .. })
    ));
    // CTA_THREAD_DIMENSION2 MW(1127:1120) is 8 bits on V05_00.
    assert!(matches!(
        q.set_block([1, 1, 256]),
        Err(Error::QmdValueTooWide { bits: 8, .. })
    ));
}

#[test]
fn v05_cbank_valid_bits() {
    let mut q = QmdV05_00::new();
    q.set_constant_buffer(
        0,
        ConstantBuffer {
            address: 0x40,
            size: 0x10,
        },
    )
    .unwrap();
    q.set_constant_buffer_invalidate(0, true).unwrap();
    assert_words(
        &words(&q),
        &[
            (14, 0x0050_0000),
            // CONSTANT_BUFFER_ADDR_LOWER_SHIFTED6(i) MW((1375+(i)*64):(1344+(i)*64)) -> word 42 = 0x40 >> 6
            (42, 1),
            // CONSTANT_BUFFER_SIZE_SHIFTED4(i) MW((1407+(i)*64):(1395+(i)*64)) -> word 43 bits 19..31 = 1
            (43, 1 << 19),
            // CONSTANT_BUFFER_VALID(i) MW((1856+(i)*4)) -> word 58 bit 0; CONSTANT_BUFFER_INVALIDATE(i) MW((1859+(i)*4)) -> bit 3
            (58, 0b1001),
        ],
    );
}

#[test]
#[cfg(debug_assertions)]
#[should_panic(expected = "does not fit")]
fn unchecked_write_debug_asserts() {
    let mut q = QmdV03_00::new();
    // BARRIER_COUNT MW(767:763) is 5 bits.
    q.set_unchecked(v03_00::fields::BARRIER_COUNT, 32);
}

#[test]
fn unchecked_write_in_range_matches_checked() {
    let mut a = QmdV05_00::new();
    let mut b = QmdV05_00::new();
    for def in QmdVersion::V05_00.fields() {
        for (f, n) in def.fields().zip(1u32..) {
            let v = n.wrapping_mul(0x9e37_79b9) & f.max();
            a.set(f, v).unwrap();
            b.set_unchecked(f, v);
        }
    }
    assert_eq!(a, b);
}

#[test]
fn wide_values_report_the_field() {
    let mut q = QmdV03_00::new();
    // DEPENDENT_QMD0_POINTER MW(511:480) holds address >> 8 in 32 bits: 40-bit VAs.
    let dep = DependentQmd {
        qmd_address: 1 << 40,
        action: DependentAction::Schedule,
        prefetch: false,
    };
    match q.set_dependent_qmd(0, Some(dep)) {
        Err(Error::QmdValueTooWide {
            field: "DEPENDENT_QMD0_POINTER",
            bits: 40,
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    // SHADER_LOCAL_MEMORY_LOW_SIZE MW(759:736) is 24 bits of bytes.
    match q.set_shader_local_memory(1 << 24, 0) {
        Err(Error::QmdValueTooWide {
            field: "SHADER_LOCAL_MEMORY_LOW_SIZE",
            bits: 24,
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    let d = decode(QmdVersion::V03_00, &q.to_bytes()).unwrap();
    assert_eq!(d.value_of(v03_00::fields::QMD_MAJOR_VERSION), Some(3));
    assert_eq!(d.value_of(v05_00::fields::QMD_MAJOR_VERSION), None);
}
