//! Locating the firmware files a chip needs.
//!
//! Search order: the directory named by `NVBARE_FIRMWARE_DIR` (if set), `/lib/firmware`,
//! `/usr/lib/firmware`, then the Debian packages unpacked by `scripts/assets/firmware.sh` under
//! `$NVBARE_TEST_ASSETS/firmware/` (default `<workspace>/target/test-assets`). A file that is in
//! none of them is reported with the Debian package that ships it.

use crate::abi::{FileKind, FirmwareVersion};
use crate::chip::Chipset;
use crate::error::{Error, Result};
use crate::gsp::ChipFamily;
use std::path::{Path, PathBuf};

/// Debian package with `nvidia/<chip>/gsp/*-<version>.bin` (non-free-firmware).
pub const PACKAGE_GRAPHICS: &str = "firmware-nvidia-graphics";
/// Debian package with `nvidia/<version>/gsp_*.bin`, matched to the installed `nvidia.ko`.
pub const PACKAGE_GSP: &str = "firmware-nvidia-gsp";

/// Environment variable naming an extra firmware root (searched first).
pub const ENV_FIRMWARE_DIR: &str = "NVBARE_FIRMWARE_DIR";

/// The Debian packages `scripts/assets/firmware.sh` unpacks, as `<package>-<suite>` directories.
pub const TEST_ASSET_PACKAGES: &[&str] = &[
    "firmware-nvidia-graphics-unstable",
    "firmware-nvidia-gsp-bookworm",
    "firmware-nvidia-gsp-trixie",
];

/// A file to be found under a firmware root.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct FirmwareFile {
    /// What it is, for per-chip files; `None` for the legacy single-file GSP image.
    pub kind: Option<FileKind>,
    /// Path relative to a firmware root (`nvidia/ga102/gsp/gsp-570.144.bin`).
    pub relative_path: String,
    /// Debian package that ships it.
    pub package: &'static str,
}

/// The per-chip files `chip` needs for `version` (what a VFIO boot loads).
pub fn required_files(chip: Chipset, version: FirmwareVersion) -> Result<Vec<FirmwareFile>> {
    let kinds = (version.abi().files_for)(chip).ok_or(Error::UnsupportedChip {
        what: "this firmware release",
        chip,
    })?;
    Ok(kinds
        .iter()
        .map(|&k| FirmwareFile {
            kind: Some(k),
            relative_path: format!(
                "nvidia/{}/gsp/{}-{}.bin",
                chip.name(),
                k.stem(),
                version.as_str()
            ),
            package: PACKAGE_GRAPHICS,
        })
        .collect())
}

/// The single-file GSP image `nvidia.ko` of driver `driver_version` loads for `chip`
/// (`nvidia/<driver_version>/gsp_<ga10x|tu10x>.bin`).
pub fn legacy_gsp_file(chip: Chipset, driver_version: &str) -> Result<FirmwareFile> {
    let name = ChipFamily::of(chip)
        .legacy_image_name()
        .ok_or(Error::UnsupportedChip {
            what: "legacy gsp_*.bin image",
            chip,
        })?;
    if driver_version.is_empty()
        || !driver_version
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.')
    {
        return Err(Error::UnknownVersion(driver_version.to_owned()));
    }
    Ok(FirmwareFile {
        kind: None,
        relative_path: format!("nvidia/{driver_version}/{name}"),
        package: PACKAGE_GSP,
    })
}

/// Firmware search roots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finder {
    roots: Vec<PathBuf>,
}

impl Finder {
    /// Searches exactly `roots`, in order.
    pub fn with_roots(roots: Vec<PathBuf>) -> Self {
        Self { roots }
    }

    /// The default roots (see the module documentation).
    pub fn from_env() -> Self {
        let mut roots = Vec::new();
        if let Some(d) = std::env::var_os(ENV_FIRMWARE_DIR) {
            roots.push(PathBuf::from(d));
        }
        roots.push(PathBuf::from("/lib/firmware"));
        roots.push(PathBuf::from("/usr/lib/firmware"));
        let assets = std::env::var_os("NVBARE_TEST_ASSETS")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/test-assets"));
        roots.extend(test_asset_roots(&assets));
        Self { roots }
    }

    /// The roots searched, in order.
    pub fn roots(&self) -> &[PathBuf] {
        &self.roots
    }

    /// The first root holding `file`.
    pub fn locate(&self, file: &FirmwareFile) -> Result<PathBuf> {
        self.roots
            .iter()
            .map(|r| r.join(&file.relative_path))
            .find(|p| p.is_file())
            .ok_or_else(|| Error::FirmwareNotFound {
                file: file.relative_path.clone(),
                package: file.package,
                searched: self
                    .roots
                    .iter()
                    .map(|r| r.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// Every file `chip` needs for `version`, located.
    pub fn locate_all(
        &self,
        chip: Chipset,
        version: FirmwareVersion,
    ) -> Result<Vec<(FirmwareFile, PathBuf)>> {
        required_files(chip, version)?
            .into_iter()
            .map(|f| {
                let p = self.locate(&f)?;
                Ok((f, p))
            })
            .collect()
    }

    /// Reads `file` from the first root holding it.
    pub fn load(&self, file: &FirmwareFile) -> Result<Vec<u8>> {
        let path = self.locate(file)?;
        std::fs::read(&path).map_err(|source| Error::Io { path, source })
    }
}

/// The firmware roots inside the test-asset cache `assets` (`<assets>/firmware/<pkg>-<suite>/{usr/lib,lib}/firmware`).
pub fn test_asset_roots(assets: &Path) -> Vec<PathBuf> {
    let mut v = Vec::new();
    for pkg in TEST_ASSET_PACKAGES {
        let base = assets.join("firmware").join(pkg);
        v.push(base.join("usr/lib/firmware"));
        v.push(base.join("lib/firmware"));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_files_per_generation() {
        let stems = |c, v| -> Vec<&'static str> {
            required_files(c, v)
                .unwrap()
                .iter()
                .map(|f| f.kind.map_or("", FileKind::stem))
                .collect()
        };
        assert_eq!(
            stems(Chipset::Tu117, FirmwareVersion::R570_144),
            [
                "gsp",
                "bootloader",
                "booter_load",
                "booter_unload",
                "gen_bootloader"
            ]
        );
        assert_eq!(
            stems(Chipset::Ga104, FirmwareVersion::R570_144),
            ["gsp", "bootloader", "booter_load", "booter_unload"]
        );
        assert_eq!(
            stems(Chipset::Ad107, FirmwareVersion::R570_144),
            [
                "gsp",
                "bootloader",
                "booter_load",
                "booter_unload",
                "scrubber"
            ]
        );
        assert_eq!(
            stems(Chipset::Gb202, FirmwareVersion::R570_144),
            ["gsp", "bootloader", "fmc"]
        );
        assert_eq!(
            stems(Chipset::Ad107, FirmwareVersion::R535_113_01),
            ["gsp", "bootloader", "booter_load", "booter_unload"]
        );
        let f = &required_files(Chipset::Tu116, FirmwareVersion::R535_113_01).unwrap()[2];
        assert_eq!(
            (f.relative_path.as_str(), f.package),
            (
                "nvidia/tu116/gsp/booter_load-535.113.01.bin",
                PACKAGE_GRAPHICS
            )
        );
    }

    #[test]
    fn roots_are_searched_in_order() {
        let base = std::env::temp_dir().join(format!("nvbare-finder-{}", std::process::id()));
        let (a, b) = (base.join("a"), base.join("b"));
        let rel = "nvidia/ga102/gsp/gsp-570.144.bin";
        for (root, content) in [(&a, b"first".as_slice()), (&b, b"second".as_slice())] {
            std::fs::create_dir_all(root.join("nvidia/ga102/gsp")).unwrap();
            std::fs::write(root.join(rel), content).unwrap();
        }
        let file = FirmwareFile {
            kind: Some(FileKind::Gsp),
            relative_path: rel.into(),
            package: PACKAGE_GRAPHICS,
        };
        assert_eq!(
            Finder::with_roots(vec![a.clone(), b.clone()])
                .load(&file)
                .unwrap(),
            b"first"
        );
        assert_eq!(
            Finder::with_roots(vec![base.join("none"), b.clone()])
                .load(&file)
                .unwrap(),
            b"second"
        );
        // Found nowhere: the error names the file, every root searched and the package to install.
        let none = Finder::with_roots(vec![base.join("x"), base.join("y")]);
        match none.load(&file) {
            Err(Error::FirmwareNotFound {
                file: f,
                package,
                searched,
            }) => {
                assert_eq!(f, rel);
                assert_eq!(package, PACKAGE_GRAPHICS);
                assert!(
                    searched.contains("x") && searched.contains("y"),
                    "{searched}"
                );
            }
            other => panic!("{other:?}"),
        }
        // A directory where the file should be is not taken for it.
        std::fs::create_dir_all(base.join("d").join(rel)).unwrap();
        assert!(matches!(
            Finder::with_roots(vec![base.join("d")]).locate(&file),
            Err(Error::FirmwareNotFound { .. })
        ));
        let _ = std::fs::remove_dir_all(&base);
        // The default roots include the system firmware directory and the test-asset packages.
        let roots = Finder::from_env();
        assert!(roots
            .roots()
            .iter()
            .any(|r| r == Path::new("/lib/firmware")));
        assert!(roots
            .roots()
            .iter()
            .any(|r| r.ends_with("firmware-nvidia-gsp-trixie/usr/lib/firmware")));
    }
}
