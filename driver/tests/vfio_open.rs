//! `VfioDevice::open` on hosts without the device: refusals come before any ioctl, and an ioctl on
//! something that is not a VFIO node is a typed error (not a crash).

use std::fs;
use std::os::unix::fs::symlink;

use nvbare_driver::pci::sysfs::Identity;
use nvbare_driver::pci::{Bdf, OpenOptions, Requirements, Sysfs, Unusable, VfioDevice};
use nvbare_driver::Error;

fn fake(driver: &str) -> (tempfile::TempDir, OpenOptions) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let dev = root.join("sys/bus/pci/devices/0000:01:00.0");
    fs::create_dir_all(&dev).unwrap();
    fs::write(dev.join("vendor"), "0x10de\n").unwrap();
    fs::write(dev.join("device"), "0x2330\n").unwrap();
    fs::write(dev.join("class"), "0x030200\n").unwrap();
    let drv = root.join("sys/bus/pci/drivers").join(driver);
    fs::create_dir_all(&drv).unwrap();
    symlink(&drv, dev.join("driver")).unwrap();
    let group = root.join("sys/kernel/iommu_groups/7/devices");
    fs::create_dir_all(&group).unwrap();
    symlink(&dev, group.join("0000:01:00.0")).unwrap();
    symlink(group.parent().unwrap(), dev.join("iommu_group")).unwrap();
    fs::create_dir_all(root.join("dev/vfio")).unwrap();
    // Regular files standing in for the character devices.
    fs::write(root.join("dev/vfio/vfio"), "").unwrap();
    fs::write(root.join("dev/vfio/7"), "").unwrap();
    let sysfs = Sysfs::with_root(root)
        .as_identity(Identity {
            uid: 0,
            gids: vec![],
        })
        .with_memlock_limit(u64::MAX);
    let opts = OpenOptions {
        sysfs,
        requirements: Requirements::default(),
        ..OpenOptions::default()
    };
    (dir, opts)
}

fn gpu() -> Bdf {
    "0000:01:00.0".parse().unwrap()
}

#[test]
fn refuses_a_device_bound_to_nvidia_before_touching_vfio() {
    let (_dir, opts) = fake("nvidia");
    match VfioDevice::open(gpu(), &opts) {
        Err(Error::DeviceUnusable {
            reason: Unusable::BoundToNvidia,
            bdf,
        }) => assert_eq!(bdf, gpu()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn ioctl_on_a_non_vfio_node_is_a_typed_error() {
    let (_dir, opts) = fake("vfio-pci");
    match VfioDevice::open(gpu(), &opts) {
        Err(Error::VfioIoctl {
            op: "VFIO_GET_API_VERSION",
            source,
        }) => {
            assert_eq!(source, nix::errno::Errno::ENOTTY)
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn missing_device_is_a_typed_error() {
    let (_dir, opts) = fake("vfio-pci");
    assert!(matches!(
        VfioDevice::open("0000:02:00.0".parse().unwrap(), &opts),
        Err(Error::PciDeviceNotFound { .. })
    ));
}

#[test]
fn container_that_cannot_be_opened_is_a_typed_error() {
    let (dir, opts) = fake("vfio-pci");
    let container = dir.path().join("dev/vfio/vfio");
    fs::remove_file(&container).unwrap();
    fs::create_dir(&container).unwrap();
    match VfioDevice::open(gpu(), &opts) {
        Err(Error::VfioOpen { path, source }) => {
            assert_eq!(path, container);
            assert_eq!(source.raw_os_error(), Some(nix::libc::EISDIR));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn noiommu_group_is_opened_only_with_the_opt_in() {
    let (dir, mut opts) = fake("vfio-pci");
    fs::rename(
        dir.path().join("dev/vfio/7"),
        dir.path().join("dev/vfio/noiommu-7"),
    )
    .unwrap();
    match VfioDevice::open(gpu(), &opts) {
        Err(Error::DeviceUnusable {
            reason: Unusable::NoIommuNotRequested { group: 7 },
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    // With the opt-in the container is opened and asked for its API version (a regular file here).
    opts.requirements.allow_noiommu = true;
    match VfioDevice::open(gpu(), &opts) {
        Err(Error::VfioIoctl {
            op: "VFIO_GET_API_VERSION",
            source,
        }) => assert_eq!(source, nix::errno::Errno::ENOTTY),
        other => panic!("{other:?}"),
    }
}
