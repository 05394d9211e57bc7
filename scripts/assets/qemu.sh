#!/usr/bin/env bash
# Fetches what the VFIO guest check (scripts/checks/vfio-guest.sh) boots, into DIR/qemu:
#   DIR/qemu/root     qemu-system-x86 7.2 from Debian bookworm and the libraries it needs that this
#                     machine lacks, unpacked with `dpkg-deb -x` (never installed: installing it would
#                     replace the machine's qemu-utils);
#   DIR/qemu/kernel   a bookworm linux-image-*-cloud-amd64 kernel (vmlinuz + its vfio/irqbypass modules,
#                     and virtio-pci, which the guest binds to a device to make an IOMMU group non-viable);
#   DIR/qemu/busybox  busybox-static.
# Idempotent: a complete DIR/qemu (marked by DIR/qemu/.complete) is reused as it is.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:?usage: qemu.sh DIR}
out="$dir/qemu"
stamp="$out/.complete"
stamp_version=5
if [[ -f "$stamp" && "$(cat "$stamp")" == "$stamp_version" ]]; then
    echo "qemu assets: cached in $out"
    exit 0
fi
# shellcheck source=../lib/apt-private.sh
source "$here/lib/apt-private.sh"
debs="$out/debs"
mkdir -p "$debs" "$out/root" "$out/kernel"

suite=bookworm
comp=main
echo "qemu assets: downloading qemu-system-x86, firmware, kernel and busybox from $suite"
mapfile -t main_debs < <(apt_private_download "$debs" "$suite" "$comp" \
    qemu-system-x86 qemu-system-common qemu-system-data seabios busybox-static linux-image-cloud-amd64)
for deb in "${main_debs[@]}"; do
    [[ -f "$deb" ]] || { echo "qemu assets: missing $deb" >&2; exit 1; }
done

# The meta package names the versioned kernel image package.
meta=$(compgen -G "$debs/linux-image-cloud-amd64_*.deb" | head -n 1)
kpkg=$(dpkg-deb -f "$meta" Depends | tr ',' '\n' | sed -E 's/^ *//; s/ .*//' |
    grep -E '^linux-image-[0-9].*-cloud-amd64' | head -n 1)
[[ -n "$kpkg" ]] || { echo "qemu assets: cannot read the kernel package from $meta" >&2; exit 1; }
kdeb=$(apt_private_download "$debs" "$suite" "$comp" "$kpkg")

for deb in "${main_debs[@]}"; do
    case "$deb" in
    *linux-image-cloud-amd64_*) ;;
    *busybox-static_*) dpkg-deb -x "$deb" "$out/busybox-root" ;;
    *) dpkg-deb -x "$deb" "$out/root" ;;
    esac
done
cp "$out/busybox-root/bin/busybox" "$out/busybox"
rm -rf "$out/busybox-root"

# Kernel: vmlinuz and only the modules the guest loads.
krootdir="$out/kernel-root"
rm -rf "$krootdir"
dpkg-deb -x "$kdeb" "$krootdir"
cp "$(compgen -G "$krootdir/boot/vmlinuz-*" | head -n 1)" "$out/kernel/vmlinuz"
rm -rf "$out/kernel/modules"
mkdir -p "$out/kernel/modules"
while IFS= read -r -d '' ko; do
    cp "$ko" "$out/kernel/modules/"
done < <(find "$krootdir/lib/modules" \( -path '*/drivers/vfio/*' -o -path '*/virt/lib/*' \
    -o -regex '.*/drivers/virtio/virtio\(_ring\|_pci\|_pci_legacy_dev\|_pci_modern_dev\)?\.ko\(\.xz\)?' \) \
    \( -name '*.ko' -o -name '*.ko.xz' \) -print0)
rm -rf "$krootdir"
for m in vfio vfio_iommu_type1 vfio-pci-core vfio-pci irqbypass virtio virtio_ring virtio_pci; do
    compgen -G "$out/kernel/modules/$m.ko*" >/dev/null ||
        { echo "qemu assets: the kernel package lacks module $m" >&2; exit 1; }
done

# Libraries qemu needs that this machine lacks: walk the Depends of the unpacked packages, fetch the
# library packages (lib*) that are not installed here, repeat for what those need (bounded), then
# confirm with ldd that nothing is missing.
qemu="$out/root/usr/bin/qemu-system-x86_64"
libpath() {
    local p=""
    for d in "$out/root/usr/lib/x86_64-linux-gnu" "$out/root/lib/x86_64-linux-gnu"; do
        [[ -d "$d" ]] && p="$p${p:+:}$d"
    done
    printf '%s' "$p"
}
lib_deps() { # DEB... -> library package names they depend on (first of each alternative)
    local deb
    for deb in "$@"; do
        dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed -E 's/\|.*//; s/\(.*\)//; s/:any//; s/ //g' | grep -E '^lib' || true
    done | sort -u
}
installed() { [[ "$(dpkg-query -W -f '${db:Status-Status}' "$1" 2>/dev/null)" == installed ]]; }
declare -A fetched=()
mapfile -t pending < <(lib_deps "$debs"/qemu-system-x86_*.deb)
for round in 1 2 3 4 5; do
    want=()
    for pkg in "${pending[@]}"; do
        [[ -n "$pkg" && -z "${fetched[$pkg]:-}" ]] || continue
        fetched[$pkg]=1
        installed "$pkg" || want+=("$pkg")
    done
    ((${#want[@]})) || break
    echo "qemu assets: fetching libraries ${want[*]}"
    mapfile -t libdebs < <(apt_private_download "$debs" "$suite" "$comp" "${want[@]}")
    for deb in "${libdebs[@]}"; do dpkg-deb -x "$deb" "$out/root"; done
    mapfile -t pending < <(lib_deps "${libdebs[@]}")
done
mapfile -t missing < <(LD_LIBRARY_PATH=$(libpath) ldd "$qemu" "$out/root/usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so" |
    awk '/not found/ { print $1 }' | sort -u)
if ((${#missing[@]})); then
    echo "qemu assets: still missing libraries: ${missing[*]}" >&2
    exit 1
fi
LD_LIBRARY_PATH=$(libpath) "$qemu" --version | head -n 1
printf '%s\n' "$stamp_version" >"$stamp"
echo "qemu assets: ready in $out"
