//! HAL choice per chip: QMD version, class numbers, constant bank 0 layout, limits, launch checks.

use nvbare_driver::hal::{self, *};
use nvbare_driver::qmd::{LaunchDesc, QmdVersion, SmSharedConfig};
use nvbare_driver::{Architecture, Chipset, Error};

#[test]
fn every_known_chip_gets_a_hal_or_a_typed_error() {
    for &c in Chipset::ALL {
        match hal::for_chipset(c) {
            Ok(h) => {
                assert_eq!(h.chipset(), c);
                assert_eq!(h.arch(), c.arch());
                assert_ne!(c.arch(), Architecture::Turing);
            }
            Err(Error::UnsupportedChip { chipset, arch, .. }) => {
                assert_eq!((chipset, arch), (c, Architecture::Turing));
            }
            Err(e) => panic!("{c}: {e}"),
        }
    }
}

#[test]
fn qmd_version_and_classes_per_chip() {
    // (chip, QMD, gpfifo, compute, copy, usermode, sm, sass) — class lists from g_gpu_class_list.c.
    let table = [
        (
            Chipset::Ga100,
            QmdVersion::V03_00,
            0xC56F,
            0xC6C0,
            0xC6B5,
            0xC561,
            (8, 0),
            0x80,
        ),
        (
            Chipset::Ga102,
            QmdVersion::V03_00,
            0xC56F,
            0xC7C0,
            0xC7B5,
            0xC561,
            (8, 6),
            0x86,
        ),
        (
            Chipset::Ga107,
            QmdVersion::V03_00,
            0xC56F,
            0xC7C0,
            0xC7B5,
            0xC561,
            (8, 6),
            0x86,
        ),
        (
            Chipset::Ad102,
            QmdVersion::V03_00,
            0xC56F,
            0xC9C0,
            0xC7B5,
            0xC561,
            (8, 9),
            0x89,
        ),
        (
            Chipset::Ad107,
            QmdVersion::V03_00,
            0xC56F,
            0xC9C0,
            0xC7B5,
            0xC561,
            (8, 9),
            0x89,
        ),
        (
            Chipset::Gh100,
            QmdVersion::V04_00,
            0xC86F,
            0xCBC0,
            0xC8B5,
            0xC661,
            (9, 0),
            0x90,
        ),
        (
            Chipset::Gb100,
            QmdVersion::V05_00,
            0xC96F,
            0xCDC0,
            0xC9B5,
            0xC661,
            (10, 0),
            0xa0,
        ),
        (
            Chipset::Gb102,
            QmdVersion::V05_00,
            0xC96F,
            0xCDC0,
            0xC9B5,
            0xC661,
            (10, 0),
            0xa0,
        ),
        (
            Chipset::Gb202,
            QmdVersion::V05_00,
            0xCA6F,
            0xCEC0,
            0xCAB5,
            0xC761,
            (12, 0),
            0xc0,
        ),
        (
            Chipset::Gb207,
            QmdVersion::V05_00,
            0xCA6F,
            0xCEC0,
            0xCAB5,
            0xC761,
            (12, 0),
            0xc0,
        ),
    ];
    for (chip, qmd, gpfifo, compute, copy, usermode, sm, sass) in table {
        let h = hal::for_chipset(chip).unwrap();
        assert_eq!(h.qmd_version(), qmd, "{chip}");
        assert_eq!(
            h.classes(),
            ClassIds {
                channel_gpfifo: gpfifo,
                compute,
                copy,
                usermode
            },
            "{chip}"
        );
        assert_eq!(h.sm_version(), sm, "{chip}");
        assert_eq!(h.sass_version(), sass, "{chip}");
    }
    assert_eq!(AMPERE_COMPUTE_A, 0xC6C0);
    assert_eq!(BLACKWELL_DMA_COPY_B, 0xCAB5);
}

#[test]
fn cbank0_layout() {
    let pre = hal::for_chipset(Chipset::Gh100).unwrap().cbank0();
    assert_eq!(
        (
            pre.param_offset,
            pre.shared_window_offset,
            pre.local_window_offset
        ),
        (0x160, 0x18, 0x20)
    );
    let bw = hal::for_chipset(Chipset::Gb202).unwrap().cbank0();
    assert_eq!(
        (
            bw.param_offset,
            bw.shared_window_offset,
            bw.local_window_offset
        ),
        (0x380, 0x2f0, 0x2f8)
    );
    for c in [pre, bw] {
        for &(off, _) in c.fixed_words {
            assert!(off < c.param_offset && off % 4 == 0);
        }
    }
}

#[test]
fn shared_memory_config() {
    let ga102 = hal::for_chipset(Chipset::Ga102).unwrap();
    assert_eq!(
        ga102.sm_shared_config(0x400).unwrap(),
        SmSharedConfig {
            min_bytes: 8 * 1024,
            max_bytes: 100 * 1024,
            target_bytes: 8 * 1024
        }
    );
    assert_eq!(
        ga102.sm_shared_config(33 * 1024).unwrap().target_bytes,
        64 * 1024
    );
    assert!(matches!(
        ga102.sm_shared_config(101 * 1024),
        Err(Error::LaunchLimit { .. })
    ));
    let gh100 = hal::for_chipset(Chipset::Gh100).unwrap();
    assert_eq!(
        gh100.sm_shared_config(200 * 1024).unwrap().target_bytes,
        228 * 1024
    );
    assert_eq!(gh100.limits().max_shared_per_block_optin, 227 * 1024);
    let ga100 = hal::for_chipset(Chipset::Ga100).unwrap();
    assert_eq!(
        ga100.sm_shared_config(150 * 1024).unwrap().max_bytes,
        164 * 1024
    );
    // Every carve-out encodes into the 6-bit SM config fields.
    for &c in Chipset::ALL {
        if let Ok(h) = hal::for_chipset(c) {
            for &k in h.shared_carveouts_kib() {
                assert!(SmSharedConfig::encode(k * 1024).unwrap() < 64);
            }
        }
    }
}

fn desc(h: &dyn Hal) -> LaunchDesc {
    LaunchDesc {
        grid: [4096, 1, 1],
        block: [1024, 1, 1],
        program_va: 0x10_0000_0000,
        program_size: 0x800,
        register_count: 64,
        shared_mem_bytes: 0x400,
        sm_shared: h.sm_shared_config(0x400).unwrap(),
        local_mem_per_thread: 0,
        cbank0_va: 0x20_0000_0000,
        cbank0_size: h.cbank0().param_offset + 16,
        barrier_count: 1,
        sass_version: h.sass_version(),
        release: None,
    }
}

#[test]
fn launch_checks_and_builds_the_chip_version() {
    for chip in [
        Chipset::Ga102,
        Chipset::Ad104,
        Chipset::Gh100,
        Chipset::Gb100,
        Chipset::Gb203,
    ] {
        let h = hal::for_chipset(chip).unwrap();
        let d = desc(h.as_ref());
        let q = h.build_launch_qmd(&d).unwrap();
        assert_eq!(q.version(), h.qmd_version());
        assert_eq!(q.to_bytes().len(), h.qmd_version().size_bytes());
        // 64 regs * 1024 threads = 65536: exactly the register file. 72 regs do not fit.
        assert!(matches!(
            h.build_launch_qmd(&LaunchDesc {
                register_count: 72,
                ..d
            }),
            Err(Error::LaunchLimit { .. })
        ));
        let e = h
            .build_launch_qmd(&LaunchDesc {
                block: [1024, 2, 1],
                ..d
            })
            .unwrap_err();
        assert!(
            matches!(
                e,
                Error::LaunchLimit {
                    what: "threads per block",
                    ..
                }
            ),
            "{e}"
        );
        let e = h
            .build_launch_qmd(&LaunchDesc {
                block: [1, 1, 65],
                ..d
            })
            .unwrap_err();
        assert!(
            matches!(
                e,
                Error::LaunchLimit {
                    what: "block dimension",
                    ..
                }
            ),
            "{e}"
        );
        let e = h
            .build_launch_qmd(&LaunchDesc {
                grid: [1, 65536, 1],
                ..d
            })
            .unwrap_err();
        assert!(
            matches!(
                e,
                Error::LaunchLimit {
                    what: "grid dimension",
                    ..
                }
            ),
            "{e}"
        );
        let e = h
            .build_launch_qmd(&LaunchDesc {
                barrier_count: 17,
                ..d
            })
            .unwrap_err();
        assert!(
            matches!(
                e,
                Error::LaunchLimit {
                    what: "barrier count",
                    ..
                }
            ),
            "{e}"
        );
    }
}
