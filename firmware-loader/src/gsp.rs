//! GSP-RM firmware images (`gsp-<version>.bin`, `gsp_ga10x.bin`, `gsp_tu10x.bin`).
//!
//! These are ELF64 relocatable files used as archives (checked with `readelf -S`): `.fwimage` holds
//! the image that is mapped through radix3 page tables, `.fwversion` the NUL-terminated version
//! string, and one `.fwsignature_<family>` section per chip family (plus `.fwsignature_cc_<family>`
//! for confidential-compute boots on Hopper/Blackwell). Section selection follows
//! open-gpu-kernel-modules `kernel_gsp.c` `_kgspGetSectionNameForPrefix` and
//! `nv-firmware-chip-family-select.h`.

use crate::chip::{Architecture, Chipset};
use crate::elf::{self, ElfClass, ElfSection, SectionInfo};
use crate::error::{Error, Result};
use crate::reader::u64_of;

/// Prefix of signature sections.
pub const SIGNATURE_PREFIX: &str = ".fwsignature_";
/// Prefix of confidential-compute signature sections (`GSP_CC_SIGNATURE_SECTION_NAME_PREFIX`).
pub const CC_SIGNATURE_PREFIX: &str = ".fwsignature_cc_";

/// Firmware chip family, which names the signature section and the legacy `gsp_<family>.bin` file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum ChipFamily {
    Tu10x,
    Tu11x,
    Ga100,
    Ga10x,
    Ad10x,
    Gh100,
    Gb10x,
    Gb20x,
}

impl ChipFamily {
    /// The family of `chip` (`nv_firmware_get_chip_family`: Turing implementations up to TU106
    /// are tu10x, later ones tu11x; GA100 is its own family).
    pub fn of(chip: Chipset) -> Self {
        match chip.arch() {
            Architecture::Turing => match chip {
                Chipset::Tu102 | Chipset::Tu104 | Chipset::Tu106 => ChipFamily::Tu10x,
                _ => ChipFamily::Tu11x,
            },
            Architecture::Ampere if chip == Chipset::Ga100 => ChipFamily::Ga100,
            Architecture::Ampere => ChipFamily::Ga10x,
            Architecture::Ada => ChipFamily::Ad10x,
            Architecture::Hopper => ChipFamily::Gh100,
            Architecture::Blackwell => match chip {
                Chipset::Gb100 | Chipset::Gb102 => ChipFamily::Gb10x,
                _ => ChipFamily::Gb20x,
            },
        }
    }

    /// Name used in section and file names (`nv_firmware_chip_family_to_string`).
    pub const fn name(self) -> &'static str {
        match self {
            ChipFamily::Tu10x => "tu10x",
            ChipFamily::Tu11x => "tu11x",
            ChipFamily::Ga100 => "ga100",
            ChipFamily::Ga10x => "ga10x",
            ChipFamily::Ad10x => "ad10x",
            ChipFamily::Gh100 => "gh100",
            ChipFamily::Gb10x => "gb10x",
            ChipFamily::Gb20x => "gb20x",
        }
    }

    /// Name of the signature section for this family.
    pub fn signature_section(self, confidential_compute: bool) -> String {
        let prefix = if confidential_compute {
            CC_SIGNATURE_PREFIX
        } else {
            SIGNATURE_PREFIX
        };
        format!("{prefix}{}", self.name())
    }

    /// The legacy single-file GSP image (`nvidia/<version>/gsp_<x>.bin`, Debian
    /// `firmware-nvidia-gsp`) this family loads: `gsp_ga10x.bin` for GA10x, AD10x and GH100,
    /// `gsp_tu10x.bin` for Turing and GA100 (`nv-firmware.h`). Blackwell has none.
    pub fn legacy_image_name(self) -> Option<&'static str> {
        match self {
            ChipFamily::Ga10x | ChipFamily::Ad10x | ChipFamily::Gh100 => Some("gsp_ga10x.bin"),
            ChipFamily::Tu10x | ChipFamily::Tu11x | ChipFamily::Ga100 => Some("gsp_tu10x.bin"),
            ChipFamily::Gb10x | ChipFamily::Gb20x => None,
        }
    }
}

/// One signature section of a GSP image.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct SignatureInfo {
    /// Section name (`.fwsignature_ga10x`).
    pub section: String,
    /// The part after the prefix (`ga10x`, `cc_gh100`).
    pub family: String,
    /// Whether this is a confidential-compute signature.
    pub confidential_compute: bool,
    pub size: u64,
}

/// A parsed GSP-RM ELF image borrowing its file.
#[derive(Debug, Clone)]
pub struct GspImage<'a> {
    /// Contents of `.fwversion` without the trailing NUL.
    pub version: String,
    sections: Vec<ElfSection<'a>>,
}

impl<'a> GspImage<'a> {
    /// Parses a GSP-RM ELF image: it must be ELF64 with `.fwimage`, a well-formed `.fwversion`
    /// and at least one signature section.
    pub fn parse(file: &'a [u8]) -> Result<Self> {
        const WHAT: &str = "GSP-RM ELF image";
        let (class, sections) = elf::sections(WHAT, file)?;
        if class != ElfClass::Elf64 {
            return Err(Error::InvalidField {
                what: "GSP-RM ELF class",
                value: 1,
                reason: "GSP-RM images are ELF64",
            });
        }
        elf::find(WHAT, &sections, ".fwimage")?;
        let v = elf::find(WHAT, &sections, ".fwversion")?.data;
        // OpenRM kgspVerifyFwVersion: non-empty, shorter than 64 bytes, NUL-terminated.
        let version = match v.split_last() {
            Some((0, text)) if v.len() < 64 && !text.contains(&0) && text.is_ascii() => {
                String::from_utf8_lossy(text).into_owned()
            }
            _ => {
                return Err(Error::InvalidField {
                    what: ".fwversion",
                    value: u64_of(v.len()),
                    reason: "not a NUL-terminated ASCII string shorter than 64 bytes",
                })
            }
        };
        let this = Self { version, sections };
        if this.signatures().is_empty() {
            return Err(Error::MissingSection {
                what: WHAT,
                section: format!("{SIGNATURE_PREFIX}*"),
            });
        }
        Ok(this)
    }

    /// The `.fwimage` contents (what the radix3 tables map at GSP virtual address 0).
    pub fn image(&self) -> &'a [u8] {
        self.sections
            .iter()
            .find(|s| s.name == ".fwimage")
            .map_or(&[], |s| s.data)
    }

    /// Every named section with its size.
    pub fn sections(&self) -> Vec<SectionInfo> {
        self.sections.iter().map(SectionInfo::from).collect()
    }

    /// Every signature section.
    pub fn signatures(&self) -> Vec<SignatureInfo> {
        self.sections
            .iter()
            .filter_map(|s| {
                let family = s.name.strip_prefix(SIGNATURE_PREFIX)?;
                Some(SignatureInfo {
                    section: s.name.to_owned(),
                    family: family.to_owned(),
                    confidential_compute: family.starts_with("cc_"),
                    size: u64_of(s.data.len()),
                })
            })
            .collect()
    }

    /// The signature blob for `chip` (handed to the GSP bootloader via `sysmemAddrOfSignature`).
    pub fn signature_for(&self, chip: Chipset, confidential_compute: bool) -> Result<&'a [u8]> {
        let name = ChipFamily::of(chip).signature_section(confidential_compute);
        elf::find("GSP-RM ELF image", &self.sections, &name).map(|s| s.data)
    }
}
