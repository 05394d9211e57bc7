#!/usr/bin/env bash
# Runs every nvbare test that works without a GPU. Fetches its own test assets first into a cache
# (default target/test-assets, override with NVBARE_TEST_ASSETS) and reuses what is already there.
#
# Steps: scripts/assets/*.sh (fetch/build assets), `cargo test --workspace`, scripts/checks/*.sh
# (tests that are not cargo tests, e.g. the VFIO guest under QEMU). Any failure fails the command.
set -euo pipefail
cd "$(dirname "$0")/.."
export NVBARE_TEST_ASSETS=${NVBARE_TEST_ASSETS:-$PWD/target/test-assets}
# Tests that need an asset fail (instead of skipping) when this is set.
export NVBARE_REQUIRE_ASSETS=1
mkdir -p "$NVBARE_TEST_ASSETS"

for step in scripts/assets/*.sh; do
    [[ -e "$step" ]] || continue
    echo "==> assets: $step"
    bash "$step" "$NVBARE_TEST_ASSETS"
done

echo "==> cargo test --workspace"
cargo test --workspace --all-targets
cargo test --workspace --doc

for step in scripts/checks/*.sh; do
    [[ -e "$step" ]] || continue
    echo "==> check: $step"
    bash "$step" "$NVBARE_TEST_ASSETS"
done
echo "==> all tests passed"
