//! Every GSP-related file in the Debian packages fetched by `scripts/assets/firmware.sh`, parsed
//! and compared with facts read independently with binutils and od.
//!
//! How the expected numbers were obtained (on the unpacked packages, see scripts/assets/firmware.sh):
//! * GSP-RM and FMC section names and sizes: `readelf -S -W FILE` (column "Size");
//!   `.fwversion`: `readelf -p .fwversion FILE`.
//! * `nvfw_bin_hdr` words: `od -A n -t x4 -N 24 FILE`; HS header v2: `od -t x4 -j 24 -N 36`;
//!   the u32 each HS-header offset points at (patch location, patch signature, metadata, count,
//!   load header): `od -t x4 -j OFFSET -N 4*n`; RISC-V/falcon bootloader descriptors:
//!   `od -t x4 -j 24 -N 4*n` (n = 21 words for descriptor version 5, 19 for version 4, 6 for
//!   `gen_bootloader`).
//! * Signature bytes: `od -A n -t x1 -j 0x3c -N 16 ga102/gsp/booter_load-535.113.01.bin` etc.

#![allow(clippy::cast_possible_truncation)]

use nvbare_firmware::abi::{FileKind, FirmwareVersion};
use nvbare_firmware::booter::HsImage;
use nvbare_firmware::bootloader::{FalconBootloader, RiscvBootloader};
use nvbare_firmware::finder::{self, Finder};
use nvbare_firmware::fmc::FmcImage;
use nvbare_firmware::gsp::GspImage;
use nvbare_firmware::{Chipset, Error};
use std::path::PathBuf;

/// The test-asset cache, or `None` (with a message) when the firmware packages are not there.
fn assets() -> Option<PathBuf> {
    let dir = std::env::var_os("NVBARE_TEST_ASSETS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../target/test-assets"
            ))
        });
    let stamp = dir.join("firmware/firmware-nvidia-graphics-unstable/.unpacked");
    if stamp.is_file() {
        return Some(dir);
    }
    if std::env::var_os("NVBARE_REQUIRE_ASSETS").is_some_and(|v| v == "1") {
        panic!(
            "firmware test assets missing in {} (NVBARE_REQUIRE_ASSETS=1)",
            dir.display()
        );
    }
    eprintln!(
        "skipped: run scripts/test-all.sh to fetch assets (no {})",
        stamp.display()
    );
    None
}

fn pkg_root(assets: &std::path::Path, pkg: &str) -> PathBuf {
    let base = assets.join("firmware").join(pkg);
    if base.join("usr/lib/firmware").is_dir() {
        base.join("usr/lib/firmware")
    } else {
        base.join("lib/firmware")
    }
}

enum Fact {
    Gsp {
        version: &'static str,
        sections: &'static [(&'static str, u64)],
    },
    Fmc {
        sections: &'static [(&'static str, u64)],
    },
    Hs {
        bin: [u32; 6],
        hs: [u32; 9],
        patch_loc: u32,
        patch_sig: u32,
        meta: [u32; 3],
        num_sig: u32,
        load: &'static [u32],
    },
    Rbl {
        bin: [u32; 6],
        desc: &'static [u32],
    },
    Gbl {
        bin: [u32; 6],
        desc: [u32; 6],
    },
}

struct Expect {
    pkg: &'static str,
    path: &'static str,
    fact: Fact,
}

const fn gsp(
    pkg: &'static str,
    path: &'static str,
    version: &'static str,
    sections: &'static [(&'static str, u64)],
) -> Expect {
    Expect {
        pkg,
        path,
        fact: Fact::Gsp { version, sections },
    }
}
const fn fmc(
    pkg: &'static str,
    path: &'static str,
    sections: &'static [(&'static str, u64)],
) -> Expect {
    Expect {
        pkg,
        path,
        fact: Fact::Fmc { sections },
    }
}
#[allow(clippy::too_many_arguments)]
const fn hs(
    pkg: &'static str,
    path: &'static str,
    bin: [u32; 6],
    hs: [u32; 9],
    patch_loc: u32,
    patch_sig: u32,
    meta: [u32; 3],
    num_sig: u32,
    load: &'static [u32],
) -> Expect {
    Expect {
        pkg,
        path,
        fact: Fact::Hs {
            bin,
            hs,
            patch_loc,
            patch_sig,
            meta,
            num_sig,
            load,
        },
    }
}
const fn rbl(pkg: &'static str, path: &'static str, bin: [u32; 6], desc: &'static [u32]) -> Expect {
    Expect {
        pkg,
        path,
        fact: Fact::Rbl { bin, desc },
    }
}
const fn gbl(pkg: &'static str, path: &'static str, bin: [u32; 6], desc: [u32; 6]) -> Expect {
    Expect {
        pkg,
        path,
        fact: Fact::Gbl { bin, desc },
    }
}

/// One entry per regular file (symbolic links resolve to these; see `every_gsp_file_parses`).
#[rustfmt::skip]
const EXPECTED: &[Expect] = &[
    hs("firmware-nvidia-graphics-unstable", "nvidia/ad102/gsp/booter_load-535.113.01.bin", [0x000010de, 0x00000001, 0x0000db00, 0x00000018, 0x00000378, 0x0000d700], [0x0000003c, 0x00000300, 0x0000033c, 0x00000340, 0x00000344, 0x0000000c, 0x00000350, 0x00000354, 0x00000024], /*patch_loc*/ 0x00007710, /*patch_sig*/ 0x00000000, /*meta*/ [0x00000001, 0x00000001, 0x00000003], /*num_sig*/ 0x00000002, /*load*/ &[0x00000000, 0x00000100, 0x00007700, 0x00006000, 0x00000001, 0x00000100, 0x00007600, 0x00000100, 0x00000000]),
    hs("firmware-nvidia-graphics-unstable", "nvidia/ad102/gsp/booter_load-570.144.bin", [0x000010de, 0x00000001, 0x0000e200, 0x00000018, 0x00000378, 0x0000de00], [0x0000003c, 0x00000300, 0x0000033c, 0x00000340, 0x00000344, 0x0000000c, 0x00000350, 0x00000354, 0x00000024], /*patch_loc*/ 0x00007e10, /*patch_sig*/ 0x00000000, /*meta*/ [0x00000001, 0x00000001, 0x00000003], /*num_sig*/ 0x00000002, /*load*/ &[0x00000000, 0x00000100, 0x00007e00, 0x00006000, 0x00000001, 0x00000100, 0x00007d00, 0x00000100, 0x00000000]),
    hs("firmware-nvidia-graphics-unstable", "nvidia/ad102/gsp/booter_unload-535.113.01.bin", [0x000010de, 0x00000001, 0x00009c00, 0x00000018, 0x00000378, 0x00009800], [0x0000003c, 0x00000300, 0x0000033c, 0x00000340, 0x00000344, 0x0000000c, 0x00000350, 0x00000354, 0x00000024], /*patch_loc*/ 0x00004910, /*patch_sig*/ 0x00000000, /*meta*/ [0x00000001, 0x00000001, 0x00000003], /*num_sig*/ 0x00000002, /*load*/ &[0x00000000, 0x00000100, 0x00004900, 0x00004e00, 0x00000001, 0x00000100, 0x00004800, 0x00000100, 0x00000000]),
    hs("firmware-nvidia-graphics-unstable", "nvidia/ad102/gsp/booter_unload-570.144.bin", [0x000010de, 0x00000001, 0x0000a300, 0x00000018, 0x00000378, 0x00009f00], [0x0000003c, 0x00000300, 0x0000033c, 0x00000340, 0x00000344, 0x0000000c, 0x00000350, 0x00000354, 0x00000024], /*patch_loc*/ 0x00005010, /*patch_sig*/ 0x00000000, /*meta*/ [0x00000001, 0x00000001, 0x00000003], /*num_sig*/ 0x00000002, /*load*/ &[0x00000000, 0x00000100, 0x00005000, 0x00004e00, 0x00000001, 0x00000100, 0x00004f00, 0x00000100, 0x00000000]),
    rbl("firmware-nvidia-graphics-unstable", "nvidia/ad102/gsp/bootloader-535.113.01.bin", [0x000010de, 0x00000001, 0x00008100, 0x00000018, 0x0000006c, 0x00008000], &[0x00000005, 0x00007000, 0x00000458, 0x00007458, 0x00000010, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000800, 0x00000800, 0x00004000, 0x00004800, 0x00002500, 0x00000001, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00008000, 0x00000000]),
    rbl("firmware-nvidia-graphics-unstable", "nvidia/ad102/gsp/bootloader-570.144.bin", [0x000010de, 0x00000001, 0x00009100, 0x00000018, 0x0000006c, 0x00009000], &[0x00000005, 0x00008000, 0x00000880, 0x00008880, 0x00000010, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000800, 0x00000800, 0x00004000, 0x00004800, 0x00002900, 0x00000001, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00009000, 0x00000000]),
    hs("firmware-nvidia-graphics-unstable", "nvidia/ad102/gsp/scrubber-570.144.bin", [0x000010de, 0x00000001, 0x00002100, 0x00000018, 0x00000378, 0x00001d00], [0x0000003c, 0x00000300, 0x0000033c, 0x00000340, 0x00000344, 0x0000000c, 0x00000350, 0x00000354, 0x00000024], /*patch_loc*/ 0x00001a00, /*patch_sig*/ 0x00000000, /*meta*/ [0x00000001, 0x00000001, 0x0000000d], /*num_sig*/ 0x00000002, /*load*/ &[0x00000000, 0x00000100, 0x00001a00, 0x00000300, 0x00000001, 0x00000100, 0x00001900, 0x00000100, 0x00000000]),
    hs("firmware-nvidia-graphics-unstable", "nvidia/ga100/gsp/booter_load-535.113.01.bin", [0x000010de, 0x00000001, 0x0000e700, 0x00000018, 0x000001f8, 0x0000e500], [0x0000003c, 0x00000180, 0x000001bc, 0x000001c0, 0x000001c4, 0x0000000c, 0x000001d0, 0x000001d4, 0x00000024], /*patch_loc*/ 0x00008300, /*patch_sig*/ 0x00000000, /*meta*/ [0x00000000, 0x00000001, 0x00000003], /*num_sig*/ 0x00000001, /*load*/ &[0x00000000, 0x00000100, 0x00008100, 0x00006400, 0x00000001, 0x00000100, 0x00008000, 0x00000100, 0x00000000]),
    hs("firmware-nvidia-graphics-unstable", "nvidia/ga100/gsp/booter_load-570.144.bin", [0x000010de, 0x00000001, 0x0000ed00, 0x00000018, 0x000001f8, 0x0000eb00], [0x0000003c, 0x00000180, 0x000001bc, 0x000001c0, 0x000001c4, 0x0000000c, 0x000001d0, 0x000001d4, 0x00000024], /*patch_loc*/ 0x00008900, /*patch_sig*/ 0x00000000, /*meta*/ [0x00000000, 0x00000001, 0x00000003], /*num_sig*/ 0x00000001, /*load*/ &[0x00000000, 0x00000100, 0x00008700, 0x00006400, 0x00000001, 0x00000100, 0x00008600, 0x00000100, 0x00000000]),
    hs("firmware-nvidia-graphics-unstable", "nvidia/ga100/gsp/booter_unload-535.113.01.bin", [0x000010de, 0x00000001, 0x00009800, 0x00000018, 0x000001f8, 0x00009600], [0x0000003c, 0x00000180, 0x000001bc, 0x000001c0, 0x000001c4, 0x0000000c, 0x000001d0, 0x000001d4, 0x00000024], /*patch_loc*/ 0x00004900, /*patch_sig*/ 0x00000000, /*meta*/ [0x00000000, 0x00000001, 0x00000003], /*num_sig*/ 0x00000001, /*load*/ &[0x00000000, 0x00000100, 0x00004700, 0x00004f00, 0x00000001, 0x00000100, 0x00004600, 0x00000100, 0x00000000]),
    hs("firmware-nvidia-graphics-unstable", "nvidia/ga100/gsp/booter_unload-570.144.bin", [0x000010de, 0x00000001, 0x00009e00, 0x00000018, 0x000001f8, 0x00009c00], [0x0000003c, 0x00000180, 0x000001bc, 0x000001c0, 0x000001c4, 0x0000000c, 0x000001d0, 0x000001d4, 0x00000024], /*patch_loc*/ 0x00004f00, /*patch_sig*/ 0x00000000, /*meta*/ [0x00000000, 0x00000001, 0x00000003], /*num_sig*/ 0x00000001, /*load*/ &[0x00000000, 0x00000100, 0x00004d00, 0x00004f00, 0x00000001, 0x00000100, 0x00004c00, 0x00000100, 0x00000000]),
    rbl("firmware-nvidia-graphics-unstable", "nvidia/ga100/gsp/bootloader-535.113.01.bin", [0x000010de, 0x00000001, 0x00001100, 0x00000018, 0x00000064, 0x00001000], &[0x00000004, 0x00000000, 0x00000488, 0x00000488, 0x00000010, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000]),
    hs("firmware-nvidia-graphics-unstable", "nvidia/ga102/gsp/booter_load-535.113.01.bin", [0x000010de, 0x00000001, 0x0000ea00, 0x00000018, 0x00000378, 0x0000e600], [0x0000003c, 0x00000300, 0x0000033c, 0x00000340, 0x00000344, 0x0000000c, 0x00000350, 0x00000354, 0x00000024], /*patch_loc*/ 0x00008410, /*patch_sig*/ 0x00000000, /*meta*/ [0x00000001, 0x00000001, 0x00000003], /*num_sig*/ 0x00000002, /*load*/ &[0x00000000, 0x00000100, 0x00008400, 0x00006200, 0x00000001, 0x00000100, 0x00008300, 0x00000100, 0x00000000]),
    hs("firmware-nvidia-graphics-unstable", "nvidia/ga102/gsp/booter_load-570.144.bin", [0x000010de, 0x00000001, 0x0000f000, 0x00000018, 0x00000378, 0x0000ec00], [0x0000003c, 0x00000300, 0x0000033c, 0x00000340, 0x00000344, 0x0000000c, 0x00000350, 0x00000354, 0x00000024], /*patch_loc*/ 0x00008a10, /*patch_sig*/ 0x00000000, /*meta*/ [0x00000001, 0x00000001, 0x00000003], /*num_sig*/ 0x00000002, /*load*/ &[0x00000000, 0x00000100, 0x00008a00, 0x00006200, 0x00000001, 0x00000100, 0x00008900, 0x00000100, 0x00000000]),
    hs("firmware-nvidia-graphics-unstable", "nvidia/ga102/gsp/booter_unload-535.113.01.bin", [0x000010de, 0x00000001, 0x00009b00, 0x00000018, 0x00000378, 0x00009700], [0x0000003c, 0x00000300, 0x0000033c, 0x00000340, 0x00000344, 0x0000000c, 0x00000350, 0x00000354, 0x00000024], /*patch_loc*/ 0x00004a10, /*patch_sig*/ 0x00000000, /*meta*/ [0x00000001, 0x00000001, 0x00000003], /*num_sig*/ 0x00000002, /*load*/ &[0x00000000, 0x00000100, 0x00004a00, 0x00004d00, 0x00000001, 0x00000100, 0x00004900, 0x00000100, 0x00000000]),
    hs("firmware-nvidia-graphics-unstable", "nvidia/ga102/gsp/booter_unload-570.144.bin", [0x000010de, 0x00000001, 0x0000a100, 0x00000018, 0x00000378, 0x00009d00], [0x0000003c, 0x00000300, 0x0000033c, 0x00000340, 0x00000344, 0x0000000c, 0x00000350, 0x00000354, 0x00000024], /*patch_loc*/ 0x00005010, /*patch_sig*/ 0x00000000, /*meta*/ [0x00000001, 0x00000001, 0x00000003], /*num_sig*/ 0x00000002, /*load*/ &[0x00000000, 0x00000100, 0x00005000, 0x00004d00, 0x00000001, 0x00000100, 0x00004f00, 0x00000100, 0x00000000]),
    rbl("firmware-nvidia-graphics-unstable", "nvidia/ga102/gsp/bootloader-535.113.01.bin", [0x000010de, 0x00000001, 0x00005100, 0x00000018, 0x0000006c, 0x00005000], &[0x00000005, 0x00004000, 0x00000458, 0x00004458, 0x00000010, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000800, 0x00000800, 0x00001000, 0x00001800, 0x00002500, 0x00000001, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00005000, 0x00000000]),
    rbl("firmware-nvidia-graphics-unstable", "nvidia/ga102/gsp/bootloader-570.144.bin", [0x000010de, 0x00000001, 0x00006100, 0x00000018, 0x0000006c, 0x00006000], &[0x00000005, 0x00005000, 0x00000880, 0x00005880, 0x00000010, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000800, 0x00000800, 0x00001000, 0x00001800, 0x00002900, 0x00000001, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00006000, 0x00000000]),
    gsp("firmware-nvidia-graphics-unstable", "nvidia/ga102/gsp/gsp-535.113.01.bin", "535.113.01", &[(".fwimage", 0x2448000), (".fwversion", 0x00000b), (".fwsignature_cc_gh100", 0x001000), (".fwsignature_gh100", 0x001000), (".fwsignature_ad10x", 0x001000), (".fwsignature_ga10x", 0x001000), (".symtab", 0x0000f0), (".strtab", 0x0001de), (".shstrtab", 0x00007e), ]),
    gsp("firmware-nvidia-graphics-unstable", "nvidia/ga102/gsp/gsp-570.144.bin", "570.144", &[(".fwimage", 0x3c99000), (".note.gnu.build-id", 0x000024), (".fwversion", 0x000008), (".fwsignature_gb20x", 0x001000), (".fwsignature_cc_gb10x", 0x001000), (".fwsignature_gb10x", 0x001000), (".fwsignature_cc_gh100", 0x001000), (".fwsignature_gh100", 0x001000), (".fwsignature_ad10x", 0x001000), (".fwsignature_ga10x", 0x001000), (".symtab", 0x000060), (".strtab", 0x0001d2), (".shstrtab", 0x0000cd), ]),
    rbl("firmware-nvidia-graphics-unstable", "nvidia/gb100/gsp/bootloader-570.144.bin", [0x000010de, 0x00000001, 0x00031100, 0x00000018, 0x0000006c, 0x00031000], &[0x00000005, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000a00, 0x00000a00, 0x0000a700, 0x0000b100, 0x00025200, 0x00000001, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000]),
    fmc("firmware-nvidia-graphics-unstable", "nvidia/gb100/gsp/fmc-570.144.bin", &[(".shstrtab", 0x00002a), ("hash", 0x000030), ("signature", 0x000060), ("publickey", 0x000061), ("image", 0x030348), ]),
    rbl("firmware-nvidia-graphics-unstable", "nvidia/gb202/gsp/bootloader-570.144.bin", [0x000010de, 0x00000001, 0x00031100, 0x00000018, 0x0000006c, 0x00031000], &[0x00000005, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000a00, 0x00000a00, 0x0000a800, 0x0000b200, 0x00025800, 0x00000001, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000]),
    fmc("firmware-nvidia-graphics-unstable", "nvidia/gb202/gsp/fmc-570.144.bin", &[(".shstrtab", 0x00002a), ("hash", 0x000030), ("signature", 0x000060), ("publickey", 0x000061), ("image", 0x030a48), ]),
    rbl("firmware-nvidia-graphics-unstable", "nvidia/gh100/gsp/bootloader-570.144.bin", [0x000010de, 0x00000001, 0x00029100, 0x00000018, 0x0000006c, 0x00029000], &[0x00000005, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000a00, 0x00000a00, 0x0000a700, 0x0000b100, 0x0001d500, 0x00000001, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000]),
    fmc("firmware-nvidia-graphics-unstable", "nvidia/gh100/gsp/fmc-570.144.bin", &[(".shstrtab", 0x00002a), ("hash", 0x000030), ("signature", 0x000180), ("publickey", 0x000180), ("image", 0x028648), ]),
    hs("firmware-nvidia-graphics-unstable", "nvidia/tu102/gsp/booter_load-535.113.01.bin", [0x000010de, 0x00000001, 0x0000e300, 0x00000018, 0x00000088, 0x0000e200], [0x0000003c, 0x00000010, 0x0000004c, 0x00000050, 0x00000054, 0x0000000c, 0x00000060, 0x00000064, 0x00000024], /*patch_loc*/ 0x00008200, /*patch_sig*/ 0x00000000, /*meta*/ [0x00000000, 0x00000001, 0x0000000d], /*num_sig*/ 0x00000001, /*load*/ &[0x00000000, 0x00000100, 0x00008000, 0x00006200, 0x00000001, 0x00000100, 0x00007f00, 0x00000100, 0x00000000]),
    hs("firmware-nvidia-graphics-unstable", "nvidia/tu102/gsp/booter_load-570.144.bin", [0x000010de, 0x00000001, 0x0000e800, 0x00000018, 0x00000088, 0x0000e700], [0x0000003c, 0x00000010, 0x0000004c, 0x00000050, 0x00000054, 0x0000000c, 0x00000060, 0x00000064, 0x00000024], /*patch_loc*/ 0x00008700, /*patch_sig*/ 0x00000000, /*meta*/ [0x00000000, 0x00000001, 0x0000000d], /*num_sig*/ 0x00000001, /*load*/ &[0x00000000, 0x00000100, 0x00008500, 0x00006200, 0x00000001, 0x00000100, 0x00008400, 0x00000100, 0x00000000]),
    hs("firmware-nvidia-graphics-unstable", "nvidia/tu102/gsp/booter_unload-535.113.01.bin", [0x000010de, 0x00000001, 0x00009500, 0x00000018, 0x00000088, 0x00009400], [0x0000003c, 0x00000010, 0x0000004c, 0x00000050, 0x00000054, 0x0000000c, 0x00000060, 0x00000064, 0x00000024], /*patch_loc*/ 0x00004900, /*patch_sig*/ 0x00000000, /*meta*/ [0x00000000, 0x00000001, 0x0000000d], /*num_sig*/ 0x00000001, /*load*/ &[0x00000000, 0x00000100, 0x00004700, 0x00004d00, 0x00000001, 0x00000100, 0x00004600, 0x00000100, 0x00000000]),
    hs("firmware-nvidia-graphics-unstable", "nvidia/tu102/gsp/booter_unload-570.144.bin", [0x000010de, 0x00000001, 0x00009a00, 0x00000018, 0x00000088, 0x00009900], [0x0000003c, 0x00000010, 0x0000004c, 0x00000050, 0x00000054, 0x0000000c, 0x00000060, 0x00000064, 0x00000024], /*patch_loc*/ 0x00004e00, /*patch_sig*/ 0x00000000, /*meta*/ [0x00000000, 0x00000001, 0x0000000d], /*num_sig*/ 0x00000001, /*load*/ &[0x00000000, 0x00000100, 0x00004c00, 0x00004d00, 0x00000001, 0x00000100, 0x00004b00, 0x00000100, 0x00000000]),
    rbl("firmware-nvidia-graphics-unstable", "nvidia/tu102/gsp/bootloader-535.113.01.bin", [0x000010de, 0x00000001, 0x00001100, 0x00000018, 0x00000064, 0x00001000], &[0x00000004, 0x00000000, 0x00000488, 0x00000488, 0x00000010, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000]),
    gbl("firmware-nvidia-graphics-unstable", "nvidia/tu102/gsp/gen_bootloader-570.144.bin", [0x000010de, 0x00000001, 0x00000400, 0x00000018, 0x00000030, 0x00000300], [0x000000fd, 0x00000000, 0x00000000, 0x00000200, 0x00000200, 0x00000100]),
    gsp("firmware-nvidia-graphics-unstable", "nvidia/tu102/gsp/gsp-535.113.01.bin", "535.113.01", &[(".fwimage", 0x16a3350), (".fwversion", 0x00000b), (".fwsignature_ga100", 0x001000), (".fwsignature_tu11x", 0x001000), (".fwsignature_tu10x", 0x001000), (".symtab", 0x0000d8), (".strtab", 0x0001f9), (".shstrtab", 0x000068), ]),
    gsp("firmware-nvidia-graphics-unstable", "nvidia/tu102/gsp/gsp-570.144.bin", "570.144", &[(".fwimage", 0x1b34ea0), (".note.gnu.build-id", 0x000024), (".fwversion", 0x000008), (".fwsignature_ga100", 0x001000), (".fwsignature_tu11x", 0x001000), (".fwsignature_tu10x", 0x001000), (".symtab", 0x000060), (".strtab", 0x0001ed), (".shstrtab", 0x00007b), ]),
    hs("firmware-nvidia-graphics-unstable", "nvidia/tu116/gsp/booter_load-535.113.01.bin", [0x000010de, 0x00000001, 0x0000e300, 0x00000018, 0x00000088, 0x0000e200], [0x0000003c, 0x00000010, 0x0000004c, 0x00000050, 0x00000054, 0x0000000c, 0x00000060, 0x00000064, 0x00000024], /*patch_loc*/ 0x00008200, /*patch_sig*/ 0x00000000, /*meta*/ [0x00000000, 0x00000001, 0x0000000d], /*num_sig*/ 0x00000001, /*load*/ &[0x00000000, 0x00000100, 0x00008000, 0x00006200, 0x00000001, 0x00000100, 0x00007f00, 0x00000100, 0x00000000]),
    hs("firmware-nvidia-graphics-unstable", "nvidia/tu116/gsp/booter_load-570.144.bin", [0x000010de, 0x00000001, 0x0000e700, 0x00000018, 0x00000088, 0x0000e600], [0x0000003c, 0x00000010, 0x0000004c, 0x00000050, 0x00000054, 0x0000000c, 0x00000060, 0x00000064, 0x00000024], /*patch_loc*/ 0x00008600, /*patch_sig*/ 0x00000000, /*meta*/ [0x00000000, 0x00000001, 0x0000000d], /*num_sig*/ 0x00000001, /*load*/ &[0x00000000, 0x00000100, 0x00008400, 0x00006200, 0x00000001, 0x00000100, 0x00008300, 0x00000100, 0x00000000]),
    hs("firmware-nvidia-graphics-unstable", "nvidia/tu116/gsp/booter_unload-535.113.01.bin", [0x000010de, 0x00000001, 0x00009500, 0x00000018, 0x00000088, 0x00009400], [0x0000003c, 0x00000010, 0x0000004c, 0x00000050, 0x00000054, 0x0000000c, 0x00000060, 0x00000064, 0x00000024], /*patch_loc*/ 0x00004900, /*patch_sig*/ 0x00000000, /*meta*/ [0x00000000, 0x00000001, 0x0000000d], /*num_sig*/ 0x00000001, /*load*/ &[0x00000000, 0x00000100, 0x00004700, 0x00004d00, 0x00000001, 0x00000100, 0x00004600, 0x00000100, 0x00000000]),
    hs("firmware-nvidia-graphics-unstable", "nvidia/tu116/gsp/booter_unload-570.144.bin", [0x000010de, 0x00000001, 0x00009900, 0x00000018, 0x00000088, 0x00009800], [0x0000003c, 0x00000010, 0x0000004c, 0x00000050, 0x00000054, 0x0000000c, 0x00000060, 0x00000064, 0x00000024], /*patch_loc*/ 0x00004d00, /*patch_sig*/ 0x00000000, /*meta*/ [0x00000000, 0x00000001, 0x0000000d], /*num_sig*/ 0x00000001, /*load*/ &[0x00000000, 0x00000100, 0x00004b00, 0x00004d00, 0x00000001, 0x00000100, 0x00004a00, 0x00000100, 0x00000000]),
    gsp("firmware-nvidia-gsp-bookworm", "nvidia/535.261.03/gsp_ga10x.bin", "535.261.03", &[(".fwimage", 0x2477000), (".fwversion", 0x00000b), (".fwsignature_cc_gh100", 0x001000), (".fwsignature_gh100", 0x001000), (".fwsignature_ad10x", 0x001000), (".fwsignature_ga10x", 0x001000), (".symtab", 0x0000f0), (".strtab", 0x0001de), (".shstrtab", 0x00007e), ]),
    gsp("firmware-nvidia-gsp-bookworm", "nvidia/535.261.03/gsp_tu10x.bin", "535.261.03", &[(".fwimage", 0x16c1350), (".fwversion", 0x00000b), (".fwsignature_ga100", 0x001000), (".fwsignature_tu11x", 0x001000), (".fwsignature_tu10x", 0x001000), (".symtab", 0x0000d8), (".strtab", 0x0001f9), (".shstrtab", 0x000068), ]),
    gsp("firmware-nvidia-gsp-trixie", "nvidia/550.163.01/gsp_ga10x.bin", "550.163.01", &[(".fwimage", 0x2398000), (".fwversion", 0x00000b), (".fwsignature_cc_gh100", 0x001000), (".fwsignature_gh100", 0x001000), (".fwsignature_ad10x", 0x001000), (".fwsignature_ga10x", 0x001000), (".symtab", 0x0000f0), (".strtab", 0x0001de), (".shstrtab", 0x00007e), ]),
    gsp("firmware-nvidia-gsp-trixie", "nvidia/550.163.01/gsp_tu10x.bin", "550.163.01", &[(".fwimage", 0x17770c8), (".fwversion", 0x00000b), (".fwsignature_ga100", 0x001000), (".fwsignature_tu11x", 0x001000), (".fwsignature_tu10x", 0x001000), (".symtab", 0x0000d8), (".strtab", 0x0001f9), (".shstrtab", 0x000068), ]),
];

fn bin_words(h: &nvbare_firmware::bin::BinHeader) -> [u32; 6] {
    [
        h.bin_magic,
        h.bin_ver,
        h.bin_size,
        h.header_offset,
        h.data_offset,
        h.data_size,
    ]
}

#[test]
fn facts_match_binutils_and_od() {
    let Some(assets) = assets() else { return };
    for e in EXPECTED {
        let path = pkg_root(&assets, e.pkg).join(e.path);
        let data = std::fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
        let ctx = path.display().to_string();
        match &e.fact {
            Fact::Gsp { version, sections } => {
                let g = GspImage::parse(&data).unwrap_or_else(|err| panic!("{ctx}: {err}"));
                assert_eq!(g.version, *version, "{ctx}");
                let got: Vec<(String, u64)> =
                    g.sections().into_iter().map(|s| (s.name, s.size)).collect();
                let want: Vec<(String, u64)> =
                    sections.iter().map(|(n, s)| (n.to_string(), *s)).collect();
                assert_eq!(got, want, "{ctx}");
                let fwimage = sections
                    .iter()
                    .find(|(n, _)| *n == ".fwimage")
                    .map(|(_, s)| *s);
                assert_eq!(Some(g.image().len() as u64), fwimage, "{ctx}");
            }
            Fact::Fmc { sections } => {
                let f = FmcImage::parse(&data).unwrap_or_else(|err| panic!("{ctx}: {err}"));
                let size = |name: &str| sections.iter().find(|(n, _)| *n == name).map(|(_, s)| *s);
                assert_eq!(Some(f.image.len() as u64), size("image"), "{ctx}");
                assert_eq!(Some(f.hash.len() as u64), size("hash"), "{ctx}");
                assert_eq!(Some(f.signature.len() as u64), size("signature"), "{ctx}");
                assert_eq!(Some(f.public_key.len() as u64), size("publickey"), "{ctx}");
                let got: Vec<(String, u64)> =
                    f.sections().into_iter().map(|s| (s.name, s.size)).collect();
                let want: Vec<(String, u64)> =
                    sections.iter().map(|(n, s)| (n.to_string(), *s)).collect();
                assert_eq!(got, want, "{ctx}");
            }
            Fact::Hs {
                bin,
                hs,
                patch_loc,
                patch_sig,
                meta,
                num_sig,
                load,
            } => {
                let h = HsImage::parse(&data).unwrap_or_else(|err| panic!("{ctx}: {err}"));
                assert_eq!(bin_words(&h.bin), *bin, "{ctx}");
                let hh = h.hs;
                assert_eq!(
                    [
                        hh.sig_prod_offset,
                        hh.sig_prod_size,
                        hh.patch_loc_offset,
                        hh.patch_sig_offset,
                        hh.meta_data_offset,
                        hh.meta_data_size,
                        hh.num_sig_offset,
                        hh.load_header_offset,
                        hh.load_header_size
                    ],
                    *hs,
                    "{ctx}"
                );
                assert_eq!(
                    (h.patch_loc, h.patch_sig, h.num_sigs),
                    (*patch_loc, *patch_sig, *num_sig),
                    "{ctx}"
                );
                assert_eq!(
                    [
                        h.sig_params.fuse_ver,
                        h.sig_params.engine_id_mask,
                        h.sig_params.ucode_id
                    ],
                    *meta,
                    "{ctx}"
                );
                let l = &h.load;
                let mut words = vec![
                    l.os_code_offset,
                    l.os_code_size,
                    l.os_data_offset,
                    l.os_data_size,
                    l.num_apps,
                ];
                for a in &l.apps {
                    words.extend([a.code_offset, a.code_size, a.data_offset, a.data_size]);
                }
                assert_eq!(words, *load, "{ctx}");
                assert_eq!(h.sig_size, hs[1] / num_sig, "{ctx}");
                assert_eq!(h.signatures().count() as u32, *num_sig, "{ctx}");
                assert_eq!(
                    h.brom.pkc_data_offset,
                    patch_loc - l.os_data_offset,
                    "{ctx}"
                );
                // The payload is the container's data range.
                assert_eq!(
                    h.ucode().image(),
                    &data[bin[4] as usize..(bin[4] + bin[5]) as usize],
                    "{ctx}"
                );
            }
            Fact::Rbl { bin, desc } => {
                let r = RiscvBootloader::parse(&data).unwrap_or_else(|err| panic!("{ctx}: {err}"));
                assert_eq!(bin_words(&r.bin), *bin, "{ctx}");
                let d = r.desc;
                let mut words = vec![
                    d.version,
                    d.bootloader_offset,
                    d.bootloader_size,
                    d.bootloader_param_offset,
                    d.bootloader_param_size,
                    d.riscv_elf_offset,
                    d.riscv_elf_size,
                    d.app_version,
                    d.manifest_offset,
                    d.manifest_size,
                    d.monitor_data_offset,
                    d.monitor_data_size,
                    d.monitor_code_offset,
                    d.monitor_code_size,
                    d.is_monitor_enabled,
                    d.swbrom_code_offset,
                    d.swbrom_code_size,
                    d.swbrom_data_offset,
                    d.swbrom_data_size,
                ];
                words.extend(d.fb_reserved_size);
                words.extend(d.signed_as_code);
                assert_eq!(words, *desc, "{ctx}");
                assert_eq!(r.ucode.len() as u32, bin[5], "{ctx}");
            }
            Fact::Gbl { bin, desc } => {
                let g = FalconBootloader::parse(&data).unwrap_or_else(|err| panic!("{ctx}: {err}"));
                assert_eq!(bin_words(&g.bin), *bin, "{ctx}");
                let d = g.desc;
                assert_eq!(
                    [
                        d.start_tag,
                        d.dmem_load_off,
                        d.code_off,
                        d.code_size,
                        d.data_off,
                        d.data_size
                    ],
                    *desc,
                    "{ctx}"
                );
                assert_eq!(g.boot_addr(), desc[0] << 8, "{ctx}");
            }
        }
    }
}

/// Every `*.bin` under `nvidia/*/gsp/` and every `nvidia/<ver>/gsp_*.bin` in the three packages,
/// symbolic links included, parses with the parser its name implies and resolves to a file in
/// [`EXPECTED`].
#[test]
fn every_gsp_file_parses() {
    let Some(assets) = assets() else { return };
    let mut seen = 0;
    for pkg in [
        "firmware-nvidia-graphics-unstable",
        "firmware-nvidia-gsp-bookworm",
        "firmware-nvidia-gsp-trixie",
    ] {
        let root = pkg_root(&assets, pkg);
        let nvidia = root.join("nvidia");
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(&nvidia)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        dirs.sort();
        for d in dirs {
            let gsp_dir = d.join("gsp");
            let files: Vec<PathBuf> = if gsp_dir.is_dir() {
                std::fs::read_dir(&gsp_dir)
                    .unwrap()
                    .map(|e| e.unwrap().path())
                    .collect()
            } else {
                std::fs::read_dir(&d)
                    .unwrap()
                    .map(|e| e.unwrap().path())
                    .filter(|p| {
                        p.file_name()
                            .and_then(|n| n.to_str())
                            .is_some_and(|n| n.starts_with("gsp_") && n.ends_with(".bin"))
                    })
                    .collect()
            };
            for f in files {
                let name = f.file_name().unwrap().to_str().unwrap().to_owned();
                let data = std::fs::read(&f).unwrap();
                let ctx = f.display().to_string();
                let ok = if name.starts_with("gsp") {
                    GspImage::parse(&data).map(|_| ())
                } else if name.starts_with("fmc-") {
                    FmcImage::parse(&data).map(|_| ())
                } else if name.starts_with("gen_bootloader-") {
                    FalconBootloader::parse(&data).map(|_| ())
                } else if name.starts_with("bootloader-") {
                    RiscvBootloader::parse(&data).map(|_| ())
                } else if name.starts_with("booter_") || name.starts_with("scrubber-") {
                    HsImage::parse(&data).map(|_| ())
                } else {
                    panic!("{ctx}: unexpected file in a gsp directory");
                };
                ok.unwrap_or_else(|e| panic!("{ctx}: {e}"));
                // Files of the releases the table covers resolve to one of the table's entries.
                let real = std::fs::canonicalize(&f).unwrap();
                let covered = ["535.113.01", "570.144", "535.261.03", "550.163.01"]
                    .iter()
                    .any(|v| ctx.contains(v));
                assert!(
                    !covered
                        || EXPECTED.iter().any(|e| std::fs::canonicalize(
                            pkg_root(&assets, e.pkg).join(e.path)
                        )
                        .ok()
                            == Some(real.clone())),
                    "{ctx} resolves to {} which has no expected facts",
                    real.display()
                );
                seen += 1;
            }
        }
    }
    // 42 regular files plus the per-chip symbolic links.
    assert!(seen > 42, "only {seen} files seen");
    assert_eq!(EXPECTED.len(), 42);
}

/// The signature patch writes the signature the fuse version selects (bytes from od, see top).
#[test]
fn booter_signature_patch_bytes() {
    let Some(assets) = assets() else { return };
    let root = pkg_root(&assets, "firmware-nvidia-graphics-unstable");
    let data = std::fs::read(root.join("nvidia/ga102/gsp/booter_load-535.113.01.bin")).unwrap();
    let h = HsImage::parse(&data).unwrap();
    assert_eq!((h.num_sigs, h.sig_size, h.patch_loc), (2, 0x180, 0x8410));
    // Before patching, the patch location holds zeros (od -j 0x8788: payload 0x378 + 0x8410).
    assert_eq!(&h.ucode().image()[0x8410..0x8420], &[0u8; 16]);
    // Fuse version 1 selects signature 0 (file offset 0x3c): aa 12 27 25 a6 81 9e 58 ...
    assert_eq!(h.signature_index_for_fuse(1).unwrap(), 0);
    assert_eq!(h.signature_index_for_fuse(0).unwrap(), 1);
    assert!(matches!(
        h.signature_index_for_fuse(2),
        Err(Error::NoSignatureForFuse {
            fuse_version: 2,
            num_sigs: 2
        })
    ));
    let signed = h.sign_for_fuse(1).unwrap();
    let img = signed.image();
    assert_eq!(
        &img[0x8410..0x8420],
        &[
            0xaa, 0x12, 0x27, 0x25, 0xa6, 0x81, 0x9e, 0x58, 0xb0, 0xc1, 0x8f, 0xb7, 0x98, 0x89,
            0xc8, 0x0a
        ]
    );
    // Last 16 bytes of signature 0 (od -j 0x1ac): a0 78 8f 28 ...
    assert_eq!(
        &img[0x8580..0x8590],
        &[
            0xa0, 0x78, 0x8f, 0x28, 0x23, 0xb5, 0x1d, 0x35, 0xdb, 0xde, 0x11, 0x55, 0x91, 0x62,
            0x2c, 0x05
        ]
    );
    // Nothing else changed.
    let orig = &data[0x378..0x378 + 0xe600];
    assert_eq!(&img[..0x8410], &orig[..0x8410]);
    assert_eq!(&img[0x8590..], &orig[0x8590..]);
    // Load parameters from the HS load header (app 0 code to IMEM, OS data to DMEM).
    let p = signed.load_params();
    assert_eq!(
        (
            p.imem_sec.src_start,
            p.imem_sec.len,
            p.dmem.src_start,
            p.dmem.len,
            p.boot_addr
        ),
        (0x100, 0x8300, 0x8400, 0x6200, 0x100)
    );

    // Turing: one 16-byte signature (od -j 0x3c tu102/gsp/booter_load-535.113.01.bin), used for any fuse.
    let data = std::fs::read(root.join("nvidia/tu102/gsp/booter_load-535.113.01.bin")).unwrap();
    let h = HsImage::parse(&data).unwrap();
    assert_eq!(h.signature_index_for_fuse(7).unwrap(), 0);
    let s = h.sign_for_fuse(0).unwrap();
    assert_eq!(
        &s.image()[0x8200..0x8210],
        &[
            0x6f, 0xd9, 0x1c, 0x5f, 0x93, 0x33, 0x88, 0x10, 0x6f, 0x5d, 0xa8, 0x9b, 0xf4, 0xf6,
            0x32, 0xdc
        ]
    );
}

/// Per-chip signature sections (OpenRM chip families) exist in the images each chip loads.
#[test]
fn gsp_signature_per_chip() {
    let Some(assets) = assets() else { return };
    let finder = Finder::with_roots(finder::test_asset_roots(&assets));
    for &chip in Chipset::ALL {
        for &ver in FirmwareVersion::ALL {
            let Ok(files) = finder::required_files(chip, ver) else {
                continue;
            };
            for f in files {
                let data = finder
                    .load(&f)
                    .unwrap_or_else(|e| panic!("{chip} {ver}: {e}"));
                if f.kind == Some(FileKind::Gsp) {
                    let g = GspImage::parse(&data).unwrap();
                    assert_eq!(g.version, ver.as_str());
                    let sig = g
                        .signature_for(chip, false)
                        .unwrap_or_else(|e| panic!("{chip} {ver}: {e}"));
                    assert_eq!(sig.len(), 0x1000, "{chip} {ver}");
                }
            }
        }
    }
    // The legacy single-file images carry the families of the chips that load them.
    for ver in ["535.261.03", "550.163.01"] {
        for chip in [
            Chipset::Tu102,
            Chipset::Tu117,
            Chipset::Ga100,
            Chipset::Ga102,
            Chipset::Ad104,
            Chipset::Gh100,
        ] {
            let f = finder::legacy_gsp_file(chip, ver).unwrap();
            let data = finder.load(&f).unwrap();
            let g = GspImage::parse(&data).unwrap();
            assert_eq!(g.version, ver);
            assert_eq!(
                g.signature_for(chip, false).unwrap().len(),
                0x1000,
                "{chip} {ver}"
            );
        }
    }
    // Hopper+ and Blackwell are missing from 535 in Debian.
    assert!(matches!(
        finder::required_files(Chipset::Gh100, FirmwareVersion::R535_113_01),
        Err(Error::UnsupportedChip { .. })
    ));
}

#[test]
fn finder_names_missing_file_and_package() {
    let f = Finder::with_roots(vec![PathBuf::from("/nonexistent-nvbare")]);
    let file = &finder::required_files(Chipset::Ga102, FirmwareVersion::R570_144).unwrap()[0];
    let e = f.locate(file).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("nvidia/ga102/gsp/gsp-570.144.bin"), "{msg}");
    assert!(msg.contains("firmware-nvidia-graphics"), "{msg}");
    let e = f
        .locate(&finder::legacy_gsp_file(Chipset::Ad102, "550.163.01").unwrap())
        .unwrap_err();
    assert!(
        e.to_string().contains("nvidia/550.163.01/gsp_ga10x.bin")
            && e.to_string().contains("firmware-nvidia-gsp")
    );
    assert!(matches!(
        finder::legacy_gsp_file(Chipset::Gb202, "570.144"),
        Err(Error::UnsupportedChip { .. })
    ));
    for bad in ["../x", "", "570.144/"] {
        assert!(
            matches!(finder::legacy_gsp_file(Chipset::Ga102, bad), Err(Error::UnknownVersion(v)) if v == bad),
            "{bad:?}"
        );
    }
    assert!(matches!(
        "570.1".parse::<FirmwareVersion>(),
        Err(Error::UnknownVersion(v)) if v == "570.1"
    ));
}
