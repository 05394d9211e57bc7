#!/usr/bin/env bash
# On a machine without nvidia.ko (CI), the README's main example must explain that no usable GPU
# was found, name what it looked for, and exit with status 1. Skipped where /dev/nvidiactl exists.
# Usage: device-info-no-gpu.sh [ASSET_DIR]   (the asset directory is not used)
set -uo pipefail
cd "$(dirname "$0")/../.."
if [[ -e /dev/nvidiactl ]]; then
    echo "skipped: /dev/nvidiactl exists here; this check covers the no-GPU path"
    exit 0
fi
out=$(cargo run -q -p nvbare --example device_info 2>&1)
rc=$?
if [[ $rc -ne 1 ]]; then
    echo "device_info exited with $rc (expected 1); output:" >&2
    echo "$out" >&2
    exit 1
fi
for want in "no usable GPU found" "/dev/nvidiactl" "/dev/nvidia<N>" "vfio-pci"; do
    if [[ "$out" != *"$want"* ]]; then
        echo "device_info output lacks \"$want\":" >&2
        echo "$out" >&2
        exit 1
    fi
done
echo "device_info without GPU: exit 1 with: $out"
