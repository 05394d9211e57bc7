#!/usr/bin/env bash
# Fetches NVIDIA's GSP firmware packages from Debian (non-free-firmware) and unpacks them under
# DIR/firmware/<package>-<suite>/ for the nvbare-firmware real-file tests and the firmware finder.
#
#   firmware-nvidia-graphics (unstable): nvidia/<chip>/gsp/{gsp,booter_*,bootloader,fmc}-<ver>.bin
#                                        for r535.113.01 and r570.144
#   firmware-nvidia-gsp (bookworm):      nvidia/<ver>/gsp_{ga10x,tu10x}.bin for 535.261.03
#   firmware-nvidia-gsp (trixie):        same layout for 550.163.01
#
# Idempotent: a package already unpacked (stamp file present) is skipped without network access.
# Files compressed inside a package (*.zst, *.xz) are decompressed next to the original.
set -euo pipefail
dir=${1:?usage: firmware.sh DIR}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib/apt-private.sh
source "$here/../lib/apt-private.sh"

fetch() { # PACKAGE SUITE PINNED_VERSION
    local pkg=$1 suite=$2 pin=$3
    local out="$dir/firmware/$pkg-$suite"
    if [[ -f "$out/.unpacked" ]]; then
        echo "firmware.sh: $pkg ($suite) already unpacked in $out"
        return 0
    fi
    local debs deb
    # The tests' expected facts were read from these exact versions; a suite that has moved on
    # (unstable does) falls back to its current version, whose new files are parsed but not
    # compared with recorded facts.
    if ! debs=$(apt_private_download "$dir/debs/$suite" "$suite" non-free-firmware "$pkg=$pin"); then
        echo "firmware.sh: $pkg=$pin not in $suite any more; using the current version" >&2
        debs=$(apt_private_download "$dir/debs/$suite" "$suite" non-free-firmware "$pkg")
    fi
    deb=$(printf '%s\n' "$debs" | tail -n 1)
    [[ -n "$deb" && -f "$deb" ]] || { echo "firmware.sh: no .deb for $pkg from $suite" >&2; return 1; }
    rm -rf "$out.tmp"
    mkdir -p "$out.tmp"
    dpkg-deb -x "$deb" "$out.tmp"
    # Decompress what the package ships compressed (the parsers want the raw images).
    while IFS= read -r -d '' f; do
        case "$f" in
            *.zst)
                command -v zstd >/dev/null || { echo "firmware.sh: $f is zstd-compressed: install the zstd package" >&2; exit 1; }
                zstd -q -d -f "$f" -o "${f%.zst}" ;;
            *.xz) xz -d -k -f "$f" ;;
        esac
    done < <(find "$out.tmp" -type f \( -name '*.zst' -o -name '*.xz' \) -print0)
    basename "$deb" >"$out.tmp/.unpacked"
    rm -rf "$out"
    mv "$out.tmp" "$out"
    echo "firmware.sh: unpacked $(basename "$deb") into $out"
}

fetch firmware-nvidia-graphics unstable 20260916-1
fetch firmware-nvidia-gsp bookworm 535.261.03-1
fetch firmware-nvidia-gsp trixie 550.163.01-2
