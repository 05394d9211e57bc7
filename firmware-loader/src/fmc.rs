//! FSP first-mutable-code images of Hopper and Blackwell (`fmc-<version>.bin`).
//!
//! ELF32 archives (checked with `readelf -S` on gh100/gb100/gb202 `fmc-570.144.bin`) with four
//! sections: `hash` (SHA-384 of the image, 48 bytes), `signature`, `publickey` and `image` (the
//! code FSP loads). nova-core `firmware/fsp.rs` copies them into fixed 48/384/384-byte fields,
//! so signature and public key may be at most 384 bytes (RSA-3072 on GH100; 96/97 bytes on
//! GB100/GB202, the sizes of an ECDSA P-384 signature and uncompressed public key).

use crate::elf::{self, ElfClass, ElfSection, SectionInfo};
use crate::error::{Error, Result};
use crate::reader::u64_of;

/// Size of the `hash` section (SHA-384).
pub const HASH_SIZE: usize = 48;
/// Largest `publickey` section FSP accepts.
pub const MAX_PUBLIC_KEY_SIZE: usize = 384;
/// Largest `signature` section FSP accepts.
pub const MAX_SIGNATURE_SIZE: usize = 384;

/// A parsed FMC image borrowing its file.
#[derive(Debug, Clone)]
pub struct FmcImage<'a> {
    pub image: &'a [u8],
    pub hash: &'a [u8],
    pub signature: &'a [u8],
    pub public_key: &'a [u8],
    sections: Vec<ElfSection<'a>>,
}

impl<'a> FmcImage<'a> {
    /// Parses an FMC ELF32 image and checks the section sizes FSP accepts.
    pub fn parse(file: &'a [u8]) -> Result<Self> {
        const WHAT: &str = "FMC ELF image";
        let (class, sections) = elf::sections(WHAT, file)?;
        if class != ElfClass::Elf32 {
            return Err(Error::InvalidField {
                what: "FMC ELF class",
                value: 2,
                reason: "FMC images are ELF32",
            });
        }
        let image = elf::find(WHAT, &sections, "image")?.data;
        let hash = elf::find(WHAT, &sections, "hash")?.data;
        let signature = elf::find(WHAT, &sections, "signature")?.data;
        let public_key = elf::find(WHAT, &sections, "publickey")?.data;
        if hash.len() != HASH_SIZE {
            return Err(Error::InvalidField {
                what: "FMC hash section size",
                value: u64_of(hash.len()),
                reason: "must be 48 (SHA-384)",
            });
        }
        if signature.is_empty() || signature.len() > MAX_SIGNATURE_SIZE {
            return Err(Error::InvalidField {
                what: "FMC signature section size",
                value: u64_of(signature.len()),
                reason: "must be 1 to 384 bytes",
            });
        }
        if public_key.is_empty() || public_key.len() > MAX_PUBLIC_KEY_SIZE {
            return Err(Error::InvalidField {
                what: "FMC publickey section size",
                value: u64_of(public_key.len()),
                reason: "must be 1 to 384 bytes",
            });
        }
        if image.is_empty() {
            return Err(Error::InvalidField {
                what: "FMC image section size",
                value: 0,
                reason: "empty image",
            });
        }
        Ok(Self {
            image,
            hash,
            signature,
            public_key,
            sections,
        })
    }

    /// Every named section with its size.
    pub fn sections(&self) -> Vec<SectionInfo> {
        self.sections.iter().map(SectionInfo::from).collect()
    }
}
