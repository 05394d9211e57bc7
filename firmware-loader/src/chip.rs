//! GPU chip identification shared by the firmware loader and the driver's HAL.
//!
//! Chipset numbers are the `NV_PMC_BOOT_42` architecture+implementation field
//! (open-gpu-kernel-modules `src/common/inc/swref/published/*/dev_boot.h`; also nova-core `gpu.rs`).

use crate::error::{Error, Result};
use std::fmt;
use std::str::FromStr;

/// GPU architecture families nvbare knows about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Architecture {
    Turing,
    Ampere,
    Ada,
    Hopper,
    Blackwell,
}

macro_rules! chipsets {
    ($($variant:ident = $id:literal, $name:literal, $arch:ident;)*) => {
        /// A specific GPU chip, named as in NVIDIA's firmware paths (`nvidia/<name>/gsp/...`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Chipset { $($variant,)* }

        impl Chipset {
            /// Every chip this crate knows.
            pub const ALL: &'static [Chipset] = &[$(Chipset::$variant,)*];

            /// `NV_PMC_BOOT_42` chipset id (architecture << 4 | implementation).
            pub const fn id(self) -> u32 { match self { $(Chipset::$variant => $id,)* } }

            /// Lower-case name as used in firmware directory names.
            pub const fn name(self) -> &'static str { match self { $(Chipset::$variant => $name,)* } }

            /// Architecture family.
            pub const fn arch(self) -> Architecture { match self { $(Chipset::$variant => Architecture::$arch,)* } }

            /// Look a chip up by its `NV_PMC_BOOT_42` chipset id.
            pub fn from_id(id: u32) -> Result<Self> {
                match id { $($id => Ok(Chipset::$variant),)* other => Err(Error::UnknownChip(format!("chipset id {other:#x}"))) }
            }
        }

        impl FromStr for Chipset {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self> {
                match s.to_ascii_lowercase().as_str() { $($name => Ok(Chipset::$variant),)* _ => Err(Error::UnknownChip(s.to_owned())) }
            }
        }
    };
}

chipsets! {
    Tu102 = 0x162, "tu102", Turing;
    Tu104 = 0x164, "tu104", Turing;
    Tu106 = 0x166, "tu106", Turing;
    Tu117 = 0x167, "tu117", Turing;
    Tu116 = 0x168, "tu116", Turing;
    Ga100 = 0x170, "ga100", Ampere;
    Ga102 = 0x172, "ga102", Ampere;
    Ga103 = 0x173, "ga103", Ampere;
    Ga104 = 0x174, "ga104", Ampere;
    Ga106 = 0x176, "ga106", Ampere;
    Ga107 = 0x177, "ga107", Ampere;
    Gh100 = 0x180, "gh100", Hopper;
    Ad102 = 0x192, "ad102", Ada;
    Ad103 = 0x193, "ad103", Ada;
    Ad104 = 0x194, "ad104", Ada;
    Ad106 = 0x196, "ad106", Ada;
    Ad107 = 0x197, "ad107", Ada;
    Gb100 = 0x1a0, "gb100", Blackwell;
    Gb102 = 0x1a2, "gb102", Blackwell;
    Gb202 = 0x1b2, "gb202", Blackwell;
    Gb203 = 0x1b3, "gb203", Blackwell;
    Gb205 = 0x1b5, "gb205", Blackwell;
    Gb206 = 0x1b6, "gb206", Blackwell;
    Gb207 = 0x1b7, "gb207", Blackwell;
}

impl fmt::Display for Chipset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_names_round_trip() {
        for &c in Chipset::ALL {
            assert_eq!(Chipset::from_id(c.id()).unwrap(), c);
            assert_eq!(c.name().parse::<Chipset>().unwrap(), c);
        }
        assert!(
            matches!(Chipset::from_id(0x999), Err(Error::UnknownChip(s)) if s.contains("0x999"))
        );
        assert!(matches!("gx999".parse::<Chipset>(), Err(Error::UnknownChip(s)) if s == "gx999"));
        assert_eq!(Chipset::Gh100.arch(), Architecture::Hopper);
    }
}
