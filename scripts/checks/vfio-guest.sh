#!/usr/bin/env bash
# Tests the PCI/VFIO layer against the real Linux VFIO: boots a Debian cloud kernel in QEMU (q35, TCG,
# emulated Intel IOMMU, QEMU's edu device at 00:04.0, and behind a conventional PCI bridge a second edu
# sharing its IOMMU group with a virtio-rng device that virtio-pci binds, so that group is not viable)
# with an initramfs holding busybox, the VFIO
# modules and the static in-guest test program (driver/examples/vfio_guest_tests.rs), and checks its
# output. Assets come from scripts/assets/qemu.sh DIR.
#
#   scripts/checks/vfio-guest.sh DIR
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=${1:?usage: vfio-guest.sh DIR}
assets="$dir/qemu"
if [[ ! -f "$assets/.complete" ]]; then
    if [[ "${NVBARE_REQUIRE_ASSETS:-}" == 1 ]]; then
        echo "vfio-guest: assets missing in $assets (run scripts/assets/qemu.sh $dir)" >&2
        exit 1
    fi
    echo "vfio-guest: skipped: run scripts/test-all.sh to fetch assets" >&2
    exit 0
fi

# The test program, static, in its own target directory so the normal build is not redone.
target_dir="$PWD/target/vfio-guest"
echo "vfio-guest: building the static in-guest test program"
CARGO_TARGET_DIR="$target_dir" RUSTFLAGS='-C target-feature=+crt-static' CARGO_PROFILE_DEV_DEBUG=false \
    cargo build --quiet -p nvbare-driver --example vfio_guest_tests --target x86_64-unknown-linux-gnu
bin="$target_dir/x86_64-unknown-linux-gnu/debug/examples/vfio_guest_tests"
if ! ldd "$bin" 2>&1 | grep -qE 'not a dynamic executable|statically linked'; then
    echo "vfio-guest: $bin is not static" >&2
    exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root="$work/root"
mkdir -p "$root/bin" "$root/lib/modules" "$root/proc" "$root/sys" "$root/dev"
cp "$assets/busybox" "$root/bin/busybox"
for applet in sh mount insmod ls tr sed grep tail dmesg sync poweroff uname; do
    ln -s busybox "$root/bin/$applet"
done
cp scripts/guest/init "$root/init"
chmod +x "$root/init"
cp "$bin" "$root/bin/vfio_guest_tests"
for ko in "$assets"/kernel/modules/*.ko*; do
    case "$ko" in
    *.ko.xz) xz -dc "$ko" >"$root/lib/modules/$(basename "${ko%.xz}")" ;;
    *) cp "$ko" "$root/lib/modules/" ;;
    esac
done
(cd "$root" && find . | LC_ALL=C sort | "$assets/busybox" cpio -o -H newc 2>/dev/null) | gzip -1 >"$work/initramfs.gz"

qroot="$assets/root"
export LD_LIBRARY_PATH="$qroot/usr/lib/x86_64-linux-gnu:$qroot/lib/x86_64-linux-gnu"
# Debian builds TCG and other parts as loadable modules; point QEMU at the unpacked ones.
export QEMU_MODULE_DIR="$qroot/usr/lib/x86_64-linux-gnu/qemu"
log="$work/console.log"
echo "vfio-guest: booting the guest"
start=$(date +%s)
status=0
timeout --kill-after=10 240 "$qroot/usr/bin/qemu-system-x86_64" \
    -L "$qroot/usr/share/qemu" -L "$qroot/usr/share/seabios" \
    -machine q35,accel=tcg -cpu max -smp 1 -m 512M \
    -device intel-iommu,intremap=on \
    -device edu,addr=04.0 \
    -device pci-bridge,id=br1,chassis_nr=1,addr=05.0 \
    -device edu,bus=br1,addr=01.0 -device virtio-rng-pci,bus=br1,addr=02.0 \
    -net none -nographic -no-reboot \
    -kernel "$assets/kernel/vmlinuz" -initrd "$work/initramfs.gz" \
    -append 'console=ttyS0 intel_iommu=on loglevel=1 panic=-1' \
    </dev/null >"$log" 2>&1 || status=$?
elapsed=$(($(date +%s) - start))
tr -d '\r' <"$log" >"$log.txt"
grep -E '^(guest|test |[0-9]+ passed)' "$log.txt" || true
if ((status == 124 || status == 137)); then
    echo "vfio-guest: the guest did not finish within the time limit; console tail:" >&2
    tail -n 40 "$log.txt" >&2
    exit 1
fi
summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log.txt" | tail -n 1 || true)
if [[ -z "$summary" ]]; then
    echo "vfio-guest: no summary line in the guest output (qemu exit $status); console tail:" >&2
    tail -n 40 "$log.txt" >&2
    exit 1
fi
failed=${summary#*passed, }
failed=${failed%% failed}
passed=${summary%% passed*}
if grep -q '^test .* FAILED' "$log.txt" || [[ "$failed" != 0 ]] || [[ "$passed" == 0 ]]; then
    echo "vfio-guest: FAILED: $summary" >&2
    exit 1
fi
echo "vfio-guest: guest ran in ${elapsed}s"
echo "vfio-guest: $summary"
