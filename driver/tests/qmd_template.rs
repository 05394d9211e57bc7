//! QMD templates: template + patch gives exactly what `build_launch` gives for the patched description (same
//! words, or the same error), for all three versions, with and without the HAL's per-launch limit checks.

use nvbare_driver::hal::{self, Hal};
use nvbare_driver::qmd::*;
use nvbare_driver::Chipset;
use proptest::prelude::*;

/// Mostly ordinary values, sometimes edge cases (0, field limits, anything).
fn dim() -> impl Strategy<Value = u32> {
    prop_oneof![
        3 => 1u32..=4,
        6 => 1u32..=1024,
        1 => Just(0u32),
        1 => 1u32..=70_000,
        1 => any::<u32>(),
    ]
}

/// Addresses: mostly aligned and inside 49 bits, sometimes misaligned or too wide.
fn address() -> impl Strategy<Value = u64> {
    prop_oneof![
        6 => (0u64..(1 << 49)).prop_map(|a| a & !0xff),
        2 => 0u64..(1 << 49),
        1 => (0u64..(1 << 57)).prop_map(|a| a & !0x3f),
        1 => any::<u64>(),
    ]
}

fn sm_shared() -> impl Strategy<Value = SmSharedConfig> {
    let kib = prop_oneof![
        Just(0u32),
        Just(8),
        Just(16),
        Just(32),
        Just(64),
        Just(100),
        Just(164),
        Just(228),
        0u32..300
    ];
    (kib.clone(), kib.clone(), kib, any::<bool>()).prop_map(|(a, b, c, odd)| SmSharedConfig {
        min_bytes: a * 1024,
        max_bytes: b * 1024 + if odd { 512 } else { 0 },
        target_bytes: c * 1024,
    })
}

fn shared_bytes() -> impl Strategy<Value = u32> {
    prop_oneof![4 => 0u32..=0x19000, 1 => any::<u32>()]
}

fn release() -> impl Strategy<Value = Option<LaunchRelease>> {
    prop_oneof![
        1 => Just(None),
        4 => (address(), any::<u64>()).prop_map(|(address, payload)| Some(LaunchRelease { address, payload })),
    ]
}

prop_compose! {
    fn desc()(
        grid in [dim(), dim(), dim()],
        block in [dim(), dim(), dim()],
        program_va in address(),
        program_size in prop_oneof![Just(0u32), 1u32..0x40000, any::<u32>()],
        register_count in prop_oneof![6 => 1u32..=255, 1 => any::<u32>()],
        shared_mem_bytes in shared_bytes(),
        sm in sm_shared(),
        local_mem_per_thread in prop_oneof![3 => 0u32..0x10000, 1 => any::<u32>()],
        cbank0_va in address(),
        cbank0_size in prop_oneof![4 => 0u32..0x10000, 1 => any::<u32>()],
        barrier_count in prop_oneof![4 => 0u32..=16, 1 => any::<u32>()],
        sass_version in any::<u8>(),
        release in release(),
        // Use a carve-out that holds the shared size most of the time, as callers do.
        fit in prop_oneof![3 => Just(true), 1 => Just(false)],
    ) -> LaunchDesc {
        let sm_shared = if fit && shared_mem_bytes <= 228 * 1024 {
            SmSharedConfig { min_bytes: 228 * 1024, max_bytes: 228 * 1024, target_bytes: 228 * 1024 }
        } else {
            sm
        };
        LaunchDesc {
            grid, block, program_va, program_size, register_count, shared_mem_bytes, sm_shared,
            local_mem_per_thread, cbank0_va, cbank0_size, barrier_count, sass_version, release,
        }
    }
}

prop_compose! {
    fn patch()(
        grid in [dim(), dim(), dim()],
        block in [dim(), dim(), dim()],
        cbank0_va in address(),
        release in release(),
        shared in prop_oneof![
            2 => Just(None),
            1 => (shared_bytes(), sm_shared()).prop_map(|(shared_mem_bytes, sm_shared)| Some(SharedPatch { shared_mem_bytes, sm_shared })),
        ],
    ) -> LaunchPatch {
        LaunchPatch { grid, block, cbank0_va, release, shared }
    }
}

/// Same words, or the same error.
fn same(
    got: Result<AnyQmd, nvbare_driver::Error>,
    want: Result<AnyQmd, nvbare_driver::Error>,
) -> Result<(), TestCaseError> {
    match (got, want) {
        (Ok(g), Ok(w)) => prop_assert_eq!(g.words(), w.words()),
        (Err(g), Err(w)) => prop_assert_eq!(g.to_string(), w.to_string()),
        (g, w) => prop_assert!(
            false,
            "template {:?} vs build_launch {:?}",
            g.map(|q| q.version()),
            w.map(|q| q.version())
        ),
    }
    Ok(())
}

fn check_version(
    v: QmdVersion,
    base: &LaunchDesc,
    patches: &[LaunchPatch],
) -> Result<(), TestCaseError> {
    let t = match AnyQmdTemplate::new(v, base, None) {
        Ok(t) => t,
        Err(e) => {
            // A template is refused exactly when the base itself does not build, with the same error.
            let b = AnyQmd::build(v, base);
            prop_assert!(
                b.is_err(),
                "{v}: template refused ({e}) but the base builds"
            );
            prop_assert_eq!(b.err().map(|e| e.to_string()), Some(e.to_string()));
            return Ok(());
        }
    };
    same(t.patch(&base.patch()), AnyQmd::build(v, base))?;
    for p in patches {
        same(t.patch(p), AnyQmd::build(v, &base.with_patch(p)))?;
    }
    Ok(())
}

fn check_hal(h: &dyn Hal, base: &LaunchDesc, patches: &[LaunchPatch]) -> Result<(), TestCaseError> {
    let t = match h.build_launch_template(base) {
        Ok(t) => t,
        Err(e) => {
            let b = h.build_launch_qmd(base);
            prop_assert!(
                b.is_err(),
                "{}: template refused ({e}) but the base builds",
                h.chipset()
            );
            prop_assert_eq!(b.err().map(|e| e.to_string()), Some(e.to_string()));
            return Ok(());
        }
    };
    prop_assert_eq!(t.version(), h.qmd_version());
    same(t.patch(&base.patch()), h.build_launch_qmd(base))?;
    for p in patches {
        same(t.patch(p), h.build_launch_qmd(&base.with_patch(p)))?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn template_patch_equals_build_launch(base in desc(), patches in proptest::collection::vec(patch(), 4)) {
        for v in QmdVersion::ALL {
            check_version(v, &base, &patches)?;
        }
    }

    #[test]
    fn hal_template_patch_equals_build_launch_qmd(
        base in desc(),
        patches in proptest::collection::vec(patch(), 4),
        chip in prop_oneof![Just(Chipset::Ga102), Just(Chipset::Ga100), Just(Chipset::Ad102), Just(Chipset::Gh100), Just(Chipset::Gb202), Just(Chipset::Gb100)],
    ) {
        let h = hal::for_chipset(chip).map_err(|e| TestCaseError::fail(e.to_string()))?;
        check_hal(&*h, &base, &patches)?;
    }
}

/// The property tests above must mostly compare successful builds, not only errors: a fixed, valid kernel
/// with varying patches, all three versions, every patch encodable.
#[test]
fn valid_patches_build_and_match() {
    for chip in [Chipset::Ga102, Chipset::Gh100, Chipset::Gb202] {
        let h = hal::for_chipset(chip).unwrap();
        let base = LaunchDesc {
            grid: [64, 1, 1],
            block: [128, 1, 1],
            program_va: 0x10_0000_0000,
            program_size: 0x1000,
            register_count: 40,
            shared_mem_bytes: 0x400,
            sm_shared: h.sm_shared_config(0x400).unwrap(),
            local_mem_per_thread: 0x40,
            cbank0_va: 0x20_0000_0000,
            cbank0_size: 0x180,
            barrier_count: 1,
            sass_version: h.sass_version(),
            release: Some(LaunchRelease {
                address: 0x1_0000_1000,
                payload: 1,
            }),
        };
        let t = h.build_launch_template(&base).unwrap();
        for i in 0..200u32 {
            let shared = (i % 3 == 0).then(|| SharedPatch {
                shared_mem_bytes: 0x400 + i * 0x80,
                sm_shared: h.sm_shared_config(0x400 + i * 0x80).unwrap(),
            });
            let p = LaunchPatch {
                grid: [1 + i * 7, 1 + i % 5, 1 + i % 3],
                block: [32 + (i % 8) * 32, 1 + i % 4, 1],
                cbank0_va: 0x20_0000_0000 + u64::from(i) * 0x1000,
                release: (i % 10 != 9).then_some(LaunchRelease {
                    address: 0x1_0000_1000 + u64::from(i % 4) * 8,
                    payload: u64::from(i) << 31,
                }),
                shared,
            };
            let got = t.patch(&p).unwrap();
            let want = h.build_launch_qmd(&base.with_patch(&p)).unwrap();
            assert_eq!(got.words(), want.words(), "{chip} launch {i}");
        }
        // Per-launch limits are still checked, at their edges.
        let mut p = base.patch();
        p.shared = None;
        for (block, ok) in [
            ([1024, 1, 1], true),
            ([512, 2, 1], true),
            ([1024, 2, 1], false),
            ([513, 2, 1], false),
            ([1, 1, 64], true),
            ([1, 1, 65], false),
        ] {
            p.block = block;
            let got = t.patch(&p);
            let want = h.build_launch_qmd(&base.with_patch(&p));
            assert_eq!(got.is_ok(), ok, "{chip} block {block:?}");
            match (got, want) {
                (Ok(g), Ok(w)) => assert_eq!(g.words(), w.words()),
                (Err(g), Err(w)) => assert_eq!(g.to_string(), w.to_string()),
                (g, w) => panic!("{chip} block {block:?}: {g:?} vs {w:?}"),
            }
        }
        // Registers per block: 255 registers/thread is 8192 per warp; 8 warps fit 64K registers, 9 do not.
        let heavy = LaunchDesc {
            register_count: 255,
            block: [256, 1, 1],
            ..base
        };
        let th = h.build_launch_template(&heavy).unwrap();
        let mut hp = heavy.patch();
        hp.shared = None;
        hp.block = [288, 1, 1]; // 9 warps x 8192 registers > 65536
        assert!(matches!(
            th.patch(&hp),
            Err(nvbare_driver::Error::LaunchLimit {
                what: "registers per block",
                ..
            })
        ));
        hp.block = [256, 1, 1];
        assert_eq!(
            th.patch(&hp).unwrap().words(),
            h.build_launch_qmd(&heavy.with_patch(&hp)).unwrap().words()
        );
        p.block = [2048, 1, 1];
        assert!(matches!(
            t.patch(&p),
            Err(nvbare_driver::Error::LaunchLimit { .. })
        ));
        p.block = [128, 1, 1];
        p.grid = [0, 1, 1];
        assert!(matches!(
            t.patch(&p),
            Err(nvbare_driver::Error::QmdInvalidLaunch { .. })
        ));
    }
}
