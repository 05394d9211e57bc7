//! Round trips: encode -> decode -> same values, for every field of every version; the semantic setters against
//! their getters; the launch builder; property tests with random values.

use nvbare_driver::qmd::decode::detect_version;
use nvbare_driver::qmd::*;
use nvbare_driver::Error;
use proptest::prelude::*;

fn zeroed<Q: Qmd>() -> Q {
    Q::from_words(&vec![0; Q::LAYOUT.words]).unwrap()
}

fn all_fields(v: QmdVersion) -> Vec<Field> {
    v.fields().iter().flat_map(|d| d.fields()).collect()
}

/// Setting any one field to its maximum shows up in the decoder as exactly that field, nothing else.
fn each_field_alone<Q: Qmd>() {
    let v = Q::LAYOUT.version;
    let fields = all_fields(v);
    assert!(fields.len() > 150, "{v}: only {} fields", fields.len());
    for f in &fields {
        let mut q: Q = zeroed();
        q.set(*f, f.max()).unwrap();
        assert_eq!(q.get(*f).unwrap(), f.max());
        let d = decode(v, &q.to_bytes()).unwrap();
        assert!(d.unmapped.is_empty(), "{v} {f}: unmapped {:?}", d.unmapped);
        for df in &d.fields {
            let want = if df.field == *f { f.max() } else { 0 };
            assert_eq!(df.value, want, "{v}: setting {f} changed {}", df.field);
        }
        // Too wide by one is refused (fields narrower than 32 bits).
        if f.width() < 32 {
            assert!(matches!(
                q.set(*f, f.max() + 1),
                Err(Error::QmdValueTooWide { .. })
            ));
        }
    }
}

#[test]
fn every_field_alone_v03() {
    each_field_alone::<QmdV03_00>();
}

#[test]
fn every_field_alone_v04() {
    each_field_alone::<QmdV04_00>();
}

#[test]
fn every_field_alone_v05() {
    each_field_alone::<QmdV05_00>();
}

/// Fields never overlap and stay inside the QMD (the generator checks this too; this is the run-time check on
/// what was committed).
#[test]
fn fields_are_disjoint_and_inside() {
    for v in QmdVersion::ALL {
        let mut used = vec![0u32; v.layout().words];
        for f in all_fields(v) {
            let w = used
                .get_mut(f.word())
                .unwrap_or_else(|| panic!("{v} {f} outside"));
            assert_eq!(*w & f.mask(), 0, "{v} {f} overlaps another field");
            *w |= f.mask();
        }
    }
}

#[test]
fn decode_names_enum_values_and_prints() {
    let mut q = QmdV04_00::new();
    q.set_qmd_type(QmdType::GridCta).unwrap();
    q.set_cwd_membar_type(CwdMembarType::L1SysMembar).unwrap();
    let d = decode(QmdVersion::V04_00, &q.to_bytes()).unwrap();
    let ty = d
        .fields
        .iter()
        .find(|f| f.field.name == "QMD_TYPE")
        .unwrap();
    assert_eq!(ty.value_name(), Some("GRID_CTA"));
    let text = d.to_string();
    assert!(text.contains("QMD_TYPE"), "{text}");
    assert!(text.contains("(GRID_CTA)"), "{text}");
    assert!(text.contains("(L1_SYSMEMBAR)"), "{text}");
    assert!(text.contains("CONSTANT_BUFFER_VALID(7)"), "{text}");
    assert!(text.starts_with("QMDV04_00 (384 bytes)"), "{text}");
    assert_eq!(q.to_string(), text);
}

#[test]
fn decode_rejects_wrong_length_and_detects_version() {
    assert!(matches!(
        decode(QmdVersion::V03_00, &[0; 255]),
        Err(Error::QmdBadLength {
            expected: 256,
            got: 255,
            ..
        })
    ));
    assert!(matches!(
        QmdV05_00::from_bytes(&[0; 256]),
        Err(Error::QmdBadLength {
            expected: 384,
            got: 256,
            ..
        })
    ));
    assert_eq!(
        detect_version(&QmdV03_00::new().to_bytes()),
        Some(QmdVersion::V03_00)
    );
    assert_eq!(
        detect_version(&QmdV04_00::new().to_bytes()),
        Some(QmdVersion::V04_00)
    );
    assert_eq!(
        detect_version(&QmdV05_00::new().to_bytes()),
        Some(QmdVersion::V05_00)
    );
    assert_eq!(detect_version(&[0; 384]), None);
    assert_eq!(detect_version(&[]), None);
}

fn semantic_round_trip<Q: Qmd>() {
    let v = Q::LAYOUT.version;
    let mut q = Q::new();
    assert_eq!(q.stored_version().unwrap(), v.numbers());
    q.set_grid([70000, 3, 2]).unwrap();
    assert_eq!(q.grid().unwrap(), [70000, 3, 2]);
    q.set_block([32, 8, 4]).unwrap();
    assert_eq!(q.block().unwrap(), [32, 8, 4]);
    q.set_program_address(0xff_1234_5600).unwrap();
    assert_eq!(q.program_address().unwrap(), 0xff_1234_5600);
    q.set_program_prefetch(0xff_1234_5600, 0x1000, PrefetchType::PrefetchLaunch)
        .unwrap();
    assert_eq!(
        q.program_prefetch().unwrap(),
        (0xff_1234_5600, 0x1000, PrefetchType::PrefetchLaunch)
    );
    q.set_register_count(168).unwrap();
    assert_eq!(q.register_count().unwrap(), 168);
    q.set_barrier_count(16).unwrap();
    assert_eq!(q.barrier_count().unwrap(), 16);
    q.set_shared_memory_size(0x2_0000).unwrap();
    assert_eq!(q.shared_memory_size().unwrap(), 0x2_0000);
    let cfg = SmSharedConfig {
        min_bytes: 8 * 1024,
        max_bytes: 100 * 1024,
        target_bytes: 32 * 1024,
    };
    q.set_sm_shared_config(cfg).unwrap();
    assert_eq!(q.sm_shared_config().unwrap(), cfg);
    q.set_shader_local_memory(0x30, 0x800).unwrap();
    assert_eq!(q.shader_local_memory().unwrap(), (0x30, 0x800));
    for (bank, n) in (0..8usize).zip(1u32..) {
        assert_eq!(q.constant_buffer(bank).unwrap(), None);
        let cb = ConstantBuffer {
            address: 0x10_0000_0000 + u64::from(n) * 0x1_0000,
            size: 0x100 * n,
        };
        q.set_constant_buffer(bank, cb).unwrap();
        assert_eq!(q.constant_buffer(bank).unwrap(), Some(cb));
        q.set_constant_buffer_invalidate(bank, bank % 2 == 0)
            .unwrap();
        assert_eq!(q.constant_buffer_invalidate(bank).unwrap(), bank % 2 == 0);
    }
    q.clear_constant_buffer(3).unwrap();
    assert_eq!(q.constant_buffer(3).unwrap(), None);
    for idx in 0..3 {
        let rel = ReleaseSemaphore {
            address: 0xab_0000_0000 + 16 * idx as u64,
            payload: 0xdead_beef_0000_0000 | idx as u64,
            payload64: idx != 1,
            structure: [
                SemaphoreStructure::OneWord,
                SemaphoreStructure::TwoWords,
                SemaphoreStructure::FourWordsWithTimestamp,
            ][idx],
            reduction: (idx == 2).then_some((ReductionOp::Max, ReductionFormat::Signed32)),
            membar: ReleaseMembar::SysMembar,
            trap: TrapType::Conditional,
        };
        q.set_release(idx, Some(&rel)).unwrap();
        assert_eq!(q.release(idx).unwrap(), Some(rel));
    }
    q.set_release(1, None).unwrap();
    assert_eq!(q.release(1).unwrap(), None);
    assert!(q.release(0).unwrap().is_some());
    assert!(matches!(
        q.set_release(3, None),
        Err(Error::QmdIndexOutOfRange { .. })
    ));
    let dep = DependentQmd {
        qmd_address: 0x12_3456_7800,
        action: DependentAction::Schedule,
        prefetch: true,
    };
    q.set_dependent_qmd(0, Some(dep)).unwrap();
    assert_eq!(q.dependent_qmd(0).unwrap(), Some(dep));
    q.set_dependent_qmd(0, None).unwrap();
    assert_eq!(q.dependent_qmd(0).unwrap(), None);
    let inv = CacheInvalidate {
        texture_header: true,
        shader_data: true,
        shader_constant: true,
        ..Default::default()
    };
    q.set_invalidate(inv).unwrap();
    assert_eq!(q.invalidate().unwrap(), inv);
    q.set_cwd_membar_type(CwdMembarType::L1Membar).unwrap();
    assert_eq!(q.cwd_membar_type().unwrap(), CwdMembarType::L1Membar);
    q.set_cwd_reference_count(Some((5, 3, true))).unwrap();
    q.set_cwd_reference_count(None).unwrap();
    // Bytes round trip through the decoder.
    let bytes = q.to_bytes();
    let d = decode(v, &bytes).unwrap();
    let back: Vec<u8> = d
        .encode()
        .unwrap()
        .iter()
        .flat_map(|w| w.to_le_bytes())
        .collect();
    assert_eq!(back, bytes);
    assert_eq!(Q::from_bytes(&bytes).unwrap().words(), q.words());
}

#[test]
fn semantic_round_trip_v03() {
    semantic_round_trip::<QmdV03_00>();
}

#[test]
fn semantic_round_trip_v04() {
    semantic_round_trip::<QmdV04_00>();
    let dep = DependentQmd {
        qmd_address: 0x100,
        action: DependentAction::IncrementPut,
        prefetch: false,
    };
    let mut q = QmdV04_00::new();
    q.set_dependent_qmd(1, Some(dep)).unwrap();
    assert_eq!(q.dependent_qmd(1).unwrap(), Some(dep));
}

#[test]
fn semantic_round_trip_v05() {
    semantic_round_trip::<QmdV05_00>();
    let dep = DependentQmd {
        qmd_address: 0x100,
        action: DependentAction::DecrementDependence,
        prefetch: true,
    };
    let mut q = QmdV05_00::new();
    q.set_dependent_qmd(1, Some(dep)).unwrap();
    assert_eq!(q.dependent_qmd(1).unwrap(), Some(dep));
}

fn launch_desc() -> LaunchDesc {
    LaunchDesc {
        grid: [1024, 4, 1],
        block: [256, 1, 1],
        program_va: 0x7fff_0000_0000 & ((1 << 40) - 1),
        program_size: 0x2301,
        register_count: 40,
        shared_mem_bytes: 0x400 + 3000,
        sm_shared: SmSharedConfig {
            min_bytes: 8 * 1024,
            max_bytes: 100 * 1024,
            target_bytes: 8 * 1024,
        },
        local_mem_per_thread: 0x50,
        cbank0_va: 0x20_0000_0040,
        cbank0_size: 0x160 + 20,
        barrier_count: 1,
        sass_version: 0x86,
        release: Some(LaunchRelease {
            address: 0x30_0000_0008,
            payload: 42,
        }),
    }
}

fn check_launch<Q: Qmd>() {
    let d = launch_desc();
    let q: Q = build_launch(&d).unwrap();
    assert_eq!(q.grid().unwrap(), d.grid);
    assert_eq!(q.block().unwrap(), d.block);
    assert_eq!(q.program_address().unwrap(), d.program_va);
    assert_eq!(
        q.program_prefetch().unwrap(),
        (d.program_va, 0x2400, PrefetchType::PrefetchLaunch)
    );
    assert_eq!(q.register_count().unwrap(), 40);
    assert_eq!(q.shared_memory_size().unwrap(), 0x400 + 3072);
    assert_eq!(q.sm_shared_config().unwrap(), d.sm_shared);
    assert_eq!(q.shader_local_memory().unwrap(), (0, 0x50));
    assert_eq!(
        q.constant_buffer(0).unwrap(),
        Some(ConstantBuffer {
            address: 0x20_0000_0040,
            size: 0x180
        })
    );
    assert!(q.constant_buffer_invalidate(0).unwrap());
    assert_eq!(q.barrier_count().unwrap(), 1);
    assert_eq!(
        q.release(0).unwrap(),
        Some(ReleaseSemaphore::write64(0x30_0000_0008, 42))
    );
    assert_eq!(q.cwd_membar_type().unwrap(), CwdMembarType::L1SysMembar);
    let dec = decode(Q::LAYOUT.version, &q.to_bytes()).unwrap();
    let named = |n: &str| {
        dec.fields
            .iter()
            .find(|f| f.field.name == n)
            .map(|f| f.value)
    };
    assert_eq!(named("QMD_GROUP_ID"), Some(0x3f));
    assert_eq!(named("SASS_VERSION"), Some(0x86));
    assert_eq!(named("API_VISIBLE_CALL_LIMIT"), Some(1));
    assert!(dec.unmapped.is_empty());
    // Invalid descriptions are typed errors.
    for bad in [
        LaunchDesc {
            grid: [0, 1, 1],
            ..d
        },
        LaunchDesc {
            block: [1, 0, 1],
            ..d
        },
        LaunchDesc {
            register_count: 0,
            ..d
        },
        LaunchDesc {
            register_count: 256,
            ..d
        },
        LaunchDesc {
            shared_mem_bytes: 200 * 1024,
            ..d
        },
        LaunchDesc {
            shared_mem_bytes: u32::MAX,
            ..d
        },
        LaunchDesc {
            cbank0_size: 0x1_0001,
            ..d
        },
        LaunchDesc {
            barrier_count: 32,
            ..d
        },
    ] {
        let e = build_launch::<Q>(&bad).unwrap_err();
        assert!(
            matches!(
                e,
                Error::QmdInvalidLaunch { .. }
                    | Error::QmdValueTooWide {
                        field: "CONSTANT_BUFFER_SIZE" | "BARRIER_COUNT",
                        ..
                    }
            ),
            "{bad:?}: {e:?}"
        );
    }
}

#[test]
fn launch_v03() {
    check_launch::<QmdV03_00>();
    let q: QmdV03_00 = build_launch(&launch_desc()).unwrap();
    assert_eq!(q.get(v03_00::fields::SM_GLOBAL_CACHING_ENABLE).unwrap(), 1);
}

#[test]
fn launch_v04() {
    check_launch::<QmdV04_00>();
    let q: QmdV04_00 = build_launch(&launch_desc()).unwrap();
    assert_eq!(
        q.get(v04_00::fields::QMD_TYPE).unwrap(),
        QmdType::GridCta.raw()
    );
}

#[test]
fn launch_v05() {
    check_launch::<QmdV05_00>();
    let q: QmdV05_00 = build_launch(&launch_desc()).unwrap();
    assert_eq!(
        q.get(v05_00::fields::QMD_TYPE).unwrap(),
        QmdType::GridCta.raw()
    );
    let any = AnyQmd::build(QmdVersion::V05_00, &launch_desc()).unwrap();
    assert_eq!(any.words(), q.words());
    let mut out = vec![0u8; 384];
    any.write_bytes(&mut out).unwrap();
    assert_eq!(out, q.to_bytes());
    assert!(matches!(
        any.write_bytes(&mut [0u8; 256]),
        Err(Error::QmdBadLength {
            expected: 384,
            got: 256,
            ..
        })
    ));
}

fn random_fields_round_trip(v: QmdVersion, seeds: &[u32]) -> Result<(), TestCaseError> {
    let fields = all_fields(v);
    let mut words = vec![0u32; v.layout().words];
    let mut want = Vec::with_capacity(fields.len());
    for ((i, f), rot) in fields.iter().enumerate().zip(0u32..) {
        let value = seeds[i % seeds.len()].rotate_left(rot) & f.max();
        words[f.word()] |= value << f.shift();
        want.push(value);
    }
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    let d = decode(v, &bytes).unwrap();
    prop_assert!(d.unmapped.is_empty());
    prop_assert_eq!(d.fields.iter().map(|f| f.value).collect::<Vec<_>>(), want);
    prop_assert_eq!(d.encode().unwrap(), words);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Random values in every field of every version decode to the same values and re-encode to the same words.
    #[test]
    fn prop_fields_round_trip(seeds in proptest::collection::vec(any::<u32>(), 1..64)) {
        for v in QmdVersion::ALL {
            random_fields_round_trip(v, &seeds)?;
        }
    }

    /// Any bytes decode without panicking and re-encode to the same bytes (unmapped bits included).
    #[test]
    fn prop_bytes_round_trip(words in proptest::collection::vec(any::<u32>(), 96)) {
        for v in QmdVersion::ALL {
            let n = v.layout().words;
            let bytes: Vec<u8> = words[..n].iter().flat_map(|w| w.to_le_bytes()).collect();
            let d = decode(v, &bytes).unwrap();
            prop_assert_eq!(d.encode().unwrap(), words[..n].to_vec());
        }
    }

    /// Random checked writes either fail (value too wide) or read back exactly, never touching other fields.
    #[test]
    fn prop_checked_set(idx in any::<usize>(), value in any::<u32>()) {
        let fields = all_fields(QmdVersion::V05_00);
        let f = fields[idx % fields.len()];
        let mut q: QmdV05_00 = zeroed();
        match q.set(f, value) {
            Ok(()) => {
                prop_assert!(value <= f.max());
                prop_assert_eq!(q.get(f).unwrap(), value);
                let d = decode(QmdVersion::V05_00, &q.to_bytes()).unwrap();
                prop_assert_eq!(d.nonzero().count(), usize::from(value != 0));
            }
            Err(e) => {
                prop_assert!(value > f.max());
                prop_assert!(matches!(e, Error::QmdValueTooWide { .. }), "unexpected error {}", e);
            }
        }
    }

    /// Random launches within limits build on every version and read back.
    #[test]
    fn prop_launch(gx in 1u32..=0x7fff_ffff, gy in 1u32..=0xffff, bx in 1u32..=1024, regs in 1u32..=255,
                   shared_units in 0u32..=99, prog in 0u64..(1 << 32), payload in any::<u64>()) {
        let d = LaunchDesc {
            grid: [gx, gy, 1],
            block: [bx, 1, 1],
            program_va: prog << 8,
            register_count: regs,
            shared_mem_bytes: shared_units * 1024,
            release: Some(LaunchRelease { address: 0x1000, payload }),
            ..launch_desc()
        };
        let d = LaunchDesc { sm_shared: SmSharedConfig { target_bytes: 100 * 1024, ..d.sm_shared }, ..d };
        for v in QmdVersion::ALL {
            let q = AnyQmd::build(v, &d).unwrap();
            let dec = q.decode();
            prop_assert!(dec.unmapped.is_empty());
            let get = |n: &str| dec.fields.iter().find(|f| f.field.name == n).map(|f| f.value);
            let grid_x = if v == QmdVersion::V03_00 { "CTA_RASTER_WIDTH" } else { "GRID_WIDTH" };
            prop_assert_eq!(get(grid_x), Some(gx));
            prop_assert_eq!(get("CTA_THREAD_DIMENSION0"), Some(bx));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Arbitrary launch descriptions never panic, on any version or through any chip's HAL: they build or
    /// return a typed error, and whatever builds decodes with no unmapped bits.
    #[test]
    fn prop_any_launch_is_ok_or_error(
        grid in any::<[u32; 3]>(), block in any::<[u32; 3]>(), program_va in any::<u64>(),
        program_size in any::<u32>(), register_count in any::<u32>(), shared_mem_bytes in any::<u32>(),
        sm in any::<[u32; 3]>(), local in any::<u32>(), cbank0_va in any::<u64>(), cbank0_size in any::<u32>(),
        barrier_count in any::<u32>(), sass_version in any::<u8>(), rel in any::<Option<(u64, u64)>>(),
        chip in 0usize..64,
    ) {
        let d = LaunchDesc {
            grid, block, program_va, program_size, register_count, shared_mem_bytes,
            sm_shared: SmSharedConfig { min_bytes: sm[0], max_bytes: sm[1], target_bytes: sm[2] },
            local_mem_per_thread: local, cbank0_va, cbank0_size, barrier_count, sass_version,
            release: rel.map(|(address, payload)| LaunchRelease { address, payload }),
        };
        for v in QmdVersion::ALL {
            if let Ok(q) = AnyQmd::build(v, &d) {
                prop_assert!(q.decode().unmapped.is_empty());
            }
        }
        let chips = nvbare_driver::Chipset::ALL;
        if let Ok(h) = nvbare_driver::hal::for_chipset(chips[chip % chips.len()]) {
            let _ = h.build_launch_qmd(&d);
            let _ = h.sm_shared_config(shared_mem_bytes);
        }
    }
}
