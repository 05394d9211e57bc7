//! Discovery and usability checks of `nvbare_driver::pci::sysfs` against fake sysfs/devfs trees built
//! in a temporary directory (no device, no VFIO needed).

use std::fs;
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use nvbare_driver::pci::sysfs::Identity;
use nvbare_driver::pci::{Bdf, DeviceFilter, Requirements, Sysfs, Unusable, VfioAccess};
use nvbare_driver::Error;

struct Tree {
    dir: tempfile::TempDir,
}

impl Tree {
    fn new() -> Self {
        let t = Self {
            dir: tempfile::tempdir().unwrap(),
        };
        for d in [
            "sys/bus/pci/devices",
            "sys/bus/pci/drivers",
            "sys/kernel/iommu_groups",
            "dev/vfio",
        ] {
            fs::create_dir_all(t.root().join(d)).unwrap();
        }
        fs::write(t.root().join("dev/vfio/vfio"), "").unwrap();
        t
    }
    fn root(&self) -> &Path {
        self.dir.path()
    }
    fn sysfs(&self) -> Sysfs {
        self.sysfs_as(Identity {
            uid: 0,
            gids: vec![0],
        })
    }
    fn sysfs_as(&self, id: Identity) -> Sysfs {
        Sysfs::with_root(self.root())
            .as_identity(id)
            .with_memlock_limit(u64::MAX)
    }
    fn dev_dir(&self, bdf: &str) -> PathBuf {
        self.root().join("sys/bus/pci/devices").join(bdf)
    }
    /// A PCI function with ids, class, optional driver and IOMMU group (and its /dev/vfio node).
    fn device(
        &self,
        bdf: &str,
        vendor: u16,
        device: u16,
        class: u32,
        driver: Option<&str>,
        group: Option<u32>,
    ) {
        let d = self.dev_dir(bdf);
        fs::create_dir_all(&d).unwrap();
        fs::write(d.join("vendor"), format!("0x{vendor:04x}\n")).unwrap();
        fs::write(d.join("device"), format!("0x{device:04x}\n")).unwrap();
        fs::write(d.join("class"), format!("0x{class:06x}\n")).unwrap();
        self.bind(bdf, driver);
        if let Some(g) = group {
            let gdir = self
                .root()
                .join(format!("sys/kernel/iommu_groups/{g}/devices"));
            fs::create_dir_all(&gdir).unwrap();
            symlink(&d, gdir.join(bdf)).unwrap();
            symlink(gdir.parent().unwrap(), d.join("iommu_group")).unwrap();
            fs::write(self.root().join(format!("dev/vfio/{g}")), "").unwrap();
        }
    }
    fn bind(&self, bdf: &str, driver: Option<&str>) {
        let link = self.dev_dir(bdf).join("driver");
        let _ = fs::remove_file(&link);
        if let Some(drv) = driver {
            let ddir = self.root().join("sys/bus/pci/drivers").join(drv);
            fs::create_dir_all(&ddir).unwrap();
            symlink(ddir, link).unwrap();
        }
    }
}

fn bdf(s: &str) -> Bdf {
    s.parse().unwrap()
}

fn reason(r: nvbare_driver::Result<VfioAccess>) -> Unusable {
    match r {
        Err(Error::DeviceUnusable { reason, .. }) => reason,
        other => panic!("expected DeviceUnusable, got {other:?}"),
    }
}

const GPU: &str = "0000:01:00.0";
const AUDIO: &str = "0000:01:00.1";

fn gpu_tree(gpu_driver: Option<&str>, audio_driver: Option<&str>) -> Tree {
    let t = Tree::new();
    t.device(GPU, 0x10de, 0x2684, 0x03_0000, gpu_driver, Some(12));
    t.device(AUDIO, 0x10de, 0x22ba, 0x04_0300, audio_driver, Some(12));
    t.device("0000:00:04.0", 0x1234, 0x11e8, 0x00_ff00, None, Some(3));
    t.device(
        "0000:00:02.0",
        0x8086,
        0x1234,
        0x03_0000,
        Some("i915"),
        Some(1),
    );
    t
}

#[test]
fn lists_nvidia_display_devices_and_edu_by_id() {
    let t = gpu_tree(Some("vfio-pci"), Some("vfio-pci"));
    let s = t.sysfs();
    let nv = s.list(DeviceFilter::NVIDIA_DISPLAY).unwrap();
    assert_eq!(nv.len(), 1, "{nv:?}");
    let g = &nv[0];
    assert_eq!(
        (g.bdf, g.vendor, g.device, g.class),
        (bdf(GPU), 0x10de, 0x2684, 0x03_0000)
    );
    assert_eq!(g.driver.as_deref(), Some("vfio-pci"));
    assert_eq!(g.iommu_group, Some(12));
    assert_eq!(g.vfio_cdev, None);
    let edu = s.list(DeviceFilter::id(0x1234, 0x11e8)).unwrap();
    assert_eq!(edu.len(), 1);
    assert_eq!(edu[0].driver, None);
    let all: Vec<Bdf> = s
        .list(DeviceFilter::ANY)
        .unwrap()
        .iter()
        .map(|d| d.bdf)
        .collect();
    assert_eq!(all.len(), 4);
    let mut sorted = all.clone();
    sorted.sort();
    assert_eq!(all, sorted);
}

#[test]
fn usable_device_gets_group_access() {
    let t = gpu_tree(Some("vfio-pci"), Some("vfio-pci"));
    let s = t.sysfs();
    let info = s.device(bdf(GPU)).unwrap();
    match s.check_usable(&info, Requirements::default()).unwrap() {
        VfioAccess::Group {
            group: 12,
            path,
            container,
        } => {
            assert!(path.ends_with("dev/vfio/12"));
            assert!(container.ends_with("dev/vfio/vfio"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn driver_reasons() {
    let t = gpu_tree(Some("nvidia"), Some("vfio-pci"));
    let s = t.sysfs();
    let r = reason(s.check_usable(&s.device(bdf(GPU)).unwrap(), Requirements::default()));
    assert_eq!(r, Unusable::BoundToNvidia);
    assert!(r.to_string().contains("nvidia.ko"));

    t.bind(GPU, Some("nouveau"));
    let r = reason(s.check_usable(&s.device(bdf(GPU)).unwrap(), Requirements::default()));
    assert_eq!(
        r,
        Unusable::BoundToOtherDriver {
            driver: "nouveau".into()
        }
    );

    t.bind(GPU, None);
    let r = reason(s.check_usable(&s.device(bdf(GPU)).unwrap(), Requirements::default()));
    assert_eq!(r, Unusable::NotBound);
    assert!(r.to_string().contains("driver_override"));
}

#[test]
fn group_not_viable_names_the_other_device() {
    let t = gpu_tree(Some("vfio-pci"), Some("snd_hda_intel"));
    let s = t.sysfs();
    let err = s
        .check_usable(&s.device(bdf(GPU)).unwrap(), Requirements::default())
        .unwrap_err();
    let text = err.to_string();
    match err {
        Error::DeviceUnusable {
            reason:
                Unusable::GroupNotViable {
                    group: 12,
                    other,
                    driver,
                },
            ..
        } => {
            assert_eq!(other, bdf(AUDIO));
            assert_eq!(driver, "snd_hda_intel");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        text.contains("0000:01:00.1") && text.contains("snd_hda_intel"),
        "{text}"
    );
    // Unbound, pci-stub and vfio members do not break viability.
    for ok in [None, Some("pci-stub"), Some("vfio-pci")] {
        t.bind(AUDIO, ok);
        assert!(
            s.check_usable(&s.device(bdf(GPU)).unwrap(), Requirements::default())
                .is_ok(),
            "{ok:?}"
        );
    }
    // Nor does a bridge bound to its port driver.
    fs::write(t.dev_dir(AUDIO).join("class"), "0x060400\n").unwrap();
    t.bind(AUDIO, Some("pcieport"));
    assert!(s
        .check_usable(&s.device(bdf(GPU)).unwrap(), Requirements::default())
        .is_ok());
}

#[test]
fn no_iommu_group_and_missing_node() {
    let t = Tree::new();
    t.device(GPU, 0x10de, 0x2684, 0x03_0000, Some("vfio-pci"), None);
    let s = t.sysfs();
    assert_eq!(
        reason(s.check_usable(&s.device(bdf(GPU)).unwrap(), Requirements::default())),
        Unusable::NoIommuGroup
    );

    let t = gpu_tree(Some("vfio-pci"), Some("vfio-pci"));
    fs::remove_file(t.root().join("dev/vfio/12")).unwrap();
    let s = t.sysfs();
    match reason(s.check_usable(&s.device(bdf(GPU)).unwrap(), Requirements::default())) {
        Unusable::GroupDeviceMissing { path } => assert!(path.ends_with("dev/vfio/12")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn noiommu_group_needs_opt_in() {
    let t = gpu_tree(Some("vfio-pci"), Some("vfio-pci"));
    fs::rename(
        t.root().join("dev/vfio/12"),
        t.root().join("dev/vfio/noiommu-12"),
    )
    .unwrap();
    let s = t.sysfs();
    let info = s.device(bdf(GPU)).unwrap();
    assert_eq!(
        reason(s.check_usable(&info, Requirements::default())),
        Unusable::NoIommuNotRequested { group: 12 }
    );
    let req = Requirements {
        allow_noiommu: true,
        ..Requirements::default()
    };
    assert!(matches!(
        s.check_usable(&info, req),
        Ok(VfioAccess::NoIommuGroup { group: 12, .. })
    ));
}

#[test]
fn permission_on_group_node() {
    let t = gpu_tree(Some("vfio-pci"), Some("vfio-pci"));
    let node = t.root().join("dev/vfio/12");
    let me = fs::metadata(&node).unwrap();
    let stranger = Identity {
        uid: me.uid().wrapping_add(4242),
        gids: vec![me.gid().wrapping_add(4242)],
    };
    fs::set_permissions(&node, fs::Permissions::from_mode(0o600)).unwrap();
    fs::set_permissions(
        t.root().join("dev/vfio/vfio"),
        fs::Permissions::from_mode(0o666),
    )
    .unwrap();
    let s = t.sysfs_as(stranger.clone());
    let info = s.device(bdf(GPU)).unwrap();
    match reason(s.check_usable(&info, Requirements::default())) {
        Unusable::Permission { path } => assert_eq!(path, node),
        other => panic!("{other:?}"),
    }
    // Group membership grants access through the group bits.
    fs::set_permissions(&node, fs::Permissions::from_mode(0o660)).unwrap();
    let member = Identity {
        uid: stranger.uid,
        gids: vec![me.gid()],
    };
    assert!(t
        .sysfs_as(member)
        .check_usable(&info, Requirements::default())
        .is_ok());
    assert!(s.check_usable(&info, Requirements::default()).is_err());
    fs::set_permissions(&node, fs::Permissions::from_mode(0o666)).unwrap();
    assert!(s.check_usable(&info, Requirements::default()).is_ok());
}

#[test]
fn identity_permission_rule() {
    let user = Identity {
        uid: 1000,
        gids: vec![100],
    };
    assert!(user.may_read_write(0o600, 1000, 0));
    assert!(!user.may_read_write(0o400, 1000, 0));
    assert!(user.may_read_write(0o060, 0, 100));
    assert!(
        !user.may_read_write(0o606, 0, 100),
        "group bits apply to members, not other bits"
    );
    assert!(user.may_read_write(0o006, 0, 0));
    assert!(Identity {
        uid: 0,
        gids: vec![]
    }
    .may_read_write(0, 1, 1));
}

#[test]
fn memlock_too_low_is_reported() {
    let t = gpu_tree(Some("vfio-pci"), Some("vfio-pci"));
    let s = Sysfs::with_root(t.root())
        .as_identity(Identity {
            uid: 0,
            gids: vec![],
        })
        .with_memlock_limit(64 << 10);
    let info = s.device(bdf(GPU)).unwrap();
    let req = Requirements {
        memlock_bytes: 1 << 30,
        ..Requirements::default()
    };
    assert_eq!(
        reason(s.check_usable(&info, req)),
        Unusable::MemlockTooLow {
            limit: 64 << 10,
            needed: 1 << 30
        }
    );
    let req = Requirements {
        memlock_bytes: 4096,
        ..Requirements::default()
    };
    assert!(s.check_usable(&info, req).is_ok());
}

#[test]
fn cdev_is_preferred_when_the_kernel_offers_it() {
    let t = gpu_tree(Some("vfio-pci"), Some("vfio-pci"));
    fs::create_dir_all(t.dev_dir(GPU).join("vfio-dev/vfio3")).unwrap();
    let s = t.sysfs();
    let info = s.device(bdf(GPU)).unwrap();
    assert_eq!(info.vfio_cdev.as_deref(), Some("vfio3"));
    let prefer = Requirements {
        prefer_cdev: true,
        ..Requirements::default()
    };
    // Without the device nodes the group path is used.
    assert!(matches!(
        s.check_usable(&info, prefer),
        Ok(VfioAccess::Group { .. })
    ));
    fs::create_dir_all(t.root().join("dev/vfio/devices")).unwrap();
    fs::write(t.root().join("dev/vfio/devices/vfio3"), "").unwrap();
    fs::write(t.root().join("dev/iommu"), "").unwrap();
    match s.check_usable(&info, prefer).unwrap() {
        VfioAccess::Cdev { device, iommufd } => {
            assert!(device.ends_with("dev/vfio/devices/vfio3"));
            assert!(iommufd.ends_with("dev/iommu"));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        s.check_usable(&info, Requirements::default()),
        Ok(VfioAccess::Group { .. })
    ));
}

#[test]
fn malformed_sysfs_is_a_typed_error() {
    let t = gpu_tree(Some("vfio-pci"), Some("vfio-pci"));
    let s = t.sysfs();
    fs::write(t.dev_dir(GPU).join("vendor"), "0xzz\n").unwrap();
    assert!(matches!(s.device(bdf(GPU)), Err(Error::SysfsParse { .. })));
    fs::write(t.dev_dir(GPU).join("vendor"), "0x123456\n").unwrap();
    assert!(matches!(s.device(bdf(GPU)), Err(Error::SysfsParse { .. })));
    fs::remove_file(t.dev_dir(GPU).join("vendor")).unwrap();
    assert!(matches!(s.device(bdf(GPU)), Err(Error::Sysfs { .. })));
    assert!(matches!(
        s.device(bdf("0000:07:00.0")),
        Err(Error::PciDeviceNotFound { .. })
    ));
    // Entries that are not PCI addresses are ignored by listings.
    fs::create_dir_all(t.root().join("sys/bus/pci/devices/not-a-device")).unwrap();
    fs::write(t.dev_dir(GPU).join("vendor"), "0x10de\n").unwrap();
    assert_eq!(s.list(DeviceFilter::ANY).unwrap().len(), 4);
    assert!(matches!(
        Sysfs::with_root(t.root().join("nope")).list(DeviceFilter::ANY),
        Err(Error::Sysfs { .. })
    ));
}

#[test]
fn pci_addresses_parse_and_print() {
    assert_eq!(bdf("0000:01:00.0").to_string(), "0000:01:00.0");
    assert_eq!(bdf("01:1f.7").to_string(), "0000:01:1f.7");
    assert_eq!(bdf("10000:ff:1f.7").domain(), 0x10000);
    for bad in [
        "",
        "0000:01:00",
        "0000:01:20.0",
        "0000:01:00.8",
        "0000:100:00.0",
        "g0:00.0",
        "0000:01:00.0.0",
        ":00.0",
        "0:0:0:0.0",
    ] {
        assert!(
            matches!(bad.parse::<Bdf>(), Err(Error::PciAddress { .. })),
            "{bad:?}"
        );
    }
}

#[test]
fn pci_address_parser_never_panics_on_junk() {
    // Deterministic pseudo-random strings over the characters that matter to the parser.
    let alphabet: Vec<char> = "0123456789abcdefABCDEFxg:.. -\u{e9}".chars().collect();
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut parsed = 0;
    for _ in 0..200_000 {
        let len = usize::try_from(next() % 16).unwrap();
        let s: String = (0..len)
            .map(|_| alphabet[usize::try_from(next() % alphabet.len() as u64).unwrap()])
            .collect();
        if let Ok(b) = s.parse::<Bdf>() {
            parsed += 1;
            // Whatever parses prints back to something that parses to the same address.
            assert_eq!(b.to_string().parse::<Bdf>().unwrap(), b, "{s:?}");
        }
    }
    assert!(parsed > 0, "the generator should hit some valid addresses");
}
