#!/usr/bin/env bash
# Runs every nvbare test that works without a GPU. Fetches its own test assets first into a cache
# (default target/test-assets, override with NVBARE_TEST_ASSETS) and reuses what is already there.
#
# Steps: scripts/assets/*.sh (fetch/build assets), `cargo test --workspace`, scripts/checks/*.sh
# (tests that are not cargo tests, e.g. the VFIO guest under QEMU). Any failure fails the command.
set -euo pipefail
cd "$(dirname "$0")/.."
# Tools the asset fetchers and checks use, by the Debian package that carries each. Rust itself (cargo 1.80+,
# e.g. from rustup) must already be there: Debian's own rustc is too old for the dependencies.
declare -A need=(
    [python3]=python3 [dpkg-deb]=dpkg [apt-get]=apt [gcc]=gcc [g++]=g++ [xz]=xz-utils
    [gzip]=gzip [timeout]=coreutils [ldd]=libc-bin [find]=findutils
)
missing=()
for cmd in "${!need[@]}"; do command -v "$cmd" >/dev/null 2>&1 || missing+=("${need[$cmd]}"); done
python3 -m pip --version >/dev/null 2>&1 || missing+=(python3-pip)
if ! command -v cargo >/dev/null 2>&1; then
    echo "test-all: cargo not found: install a Rust toolchain (1.80 or newer, e.g. with rustup) first" >&2
    exit 1
fi
if ((${#missing[@]})); then
    mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
        echo "==> installing missing tools: ${missing[*]}"
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
            { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; }
    else
        echo "test-all: missing tools; install these Debian packages (as root): ${missing[*]}" >&2
        exit 1
    fi
fi

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
