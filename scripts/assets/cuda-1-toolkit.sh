#!/usr/bin/env bash
# Fetches NVIDIA's CUDA tool wheels from PyPI (pinned versions) and unpacks them into CUDA_HOME-like flat trees:
#
#   DIR/cuda/wheels/*.whl                      downloaded wheels (reused when present)
#   DIR/cuda/13/{bin,lib,include,nvvm}         CUDA 13.4: nvcc, ptxas, cuobjdump, nvdisasm, nvlink, fatbinary,
#                                              libnvrtc.so*, libnvrtc-builtins.so*, libnvJitLink.so*, libnvvm.so*
#   DIR/cuda/12.9/{bin,lib,include,nvvm}       CUDA 12.9: ptxas, libnvrtc.so*, libnvJitLink.so* (the 12.x wheels
#                                              ship no nvcc, cuobjdump or nvdisasm binaries)
#   DIR/cuda/<ver>/.complete                   written last; a tree without it is rebuilt
#
# lib/ also gets unversioned symlinks (libnvrtc.so, libnvJitLink.so, libnvvm.so). Idempotent; a no-op when cached.
# Usage: cuda-1-toolkit.sh DIR
set -euo pipefail
DIR=${1:?usage: cuda-1-toolkit.sh DIR}
WHEELS="$DIR/cuda/wheels"
mkdir -p "$WHEELS"

V13=13.4.92
PKGS_13=(
    "nvidia-cuda-nvrtc==$V13" "nvidia-cuda-runtime==$V13" "nvidia-cuda-nvcc==$V13" "nvidia-cuda-crt==$V13"
    "nvidia-cuda-cuobjdump==$V13" "nvidia-cuda-nvdisasm==$V13" "nvidia-nvjitlink==$V13" "nvidia-nvvm==$V13"
)
PKGS_12=(
    "nvidia-cuda-nvrtc-cu12==12.9.86" "nvidia-cuda-runtime-cu12==12.9.79" "nvidia-cuda-nvcc-cu12==12.9.86"
    "nvidia-nvjitlink-cu12==12.9.86"
)

# Wheel file name prefix for a "name==version" requirement (PEP 427: '-' becomes '_').
wheel_glob() {
    local name=${1%%==*} ver=${1##*==}
    echo "${name//-/_}-${ver}-"
}

fetch() {
    local missing=()
    for req in "$@"; do
        compgen -G "$WHEELS/$(wheel_glob "$req")*.whl" >/dev/null || missing+=("$req")
    done
    if ((${#missing[@]})); then
        python3 -m pip download --quiet --no-deps --only-binary=:all: --platform manylinux2014_x86_64 \
            --python-version 3.12 -d "$WHEELS" "${missing[@]}"
    fi
}

# unpack VER REQ...: merge each wheel's nvidia/<pkgdir>/{bin,lib,include,nvvm} into DIR/cuda/VER.
unpack() {
    local ver=$1; shift
    local out="$DIR/cuda/$ver"
    [[ -e "$out/.complete" ]] && return 0
    rm -rf "$out.tmp"
    mkdir -p "$out.tmp"
    local files=()
    for req in "$@"; do
        files+=("$(compgen -G "$WHEELS/$(wheel_glob "$req")*.whl" | head -n1)")
    done
    python3 - "$out.tmp" "${files[@]}" <<'PY'
import os, stat, sys, zipfile
out = sys.argv[1]
for whl in sys.argv[2:]:
    with zipfile.ZipFile(whl) as z:
        for info in z.infolist():
            parts = info.filename.split("/")
            # nvidia/<pkgdir>/<rest...>; keep only the toolkit-like top folders.
            if len(parts) < 4 or parts[0] != "nvidia" or parts[2] not in ("bin", "lib", "include", "nvvm"):
                continue
            if info.is_dir() or ".." in parts:
                continue
            dest = os.path.join(out, *parts[2:])
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            with z.open(info) as src, open(dest, "wb") as dst:
                dst.write(src.read())
            mode = (info.external_attr >> 16) & 0o777
            if parts[2] == "bin" or "/bin/" in info.filename or mode & 0o111:
                os.chmod(dest, 0o755)
PY
    # Unversioned names for dlopen and the linker.
    (
        cd "$out.tmp/lib"
        for lib in libnvrtc libnvJitLink libnvvm; do
            real=$(ls ${lib}.so.* 2>/dev/null | grep -v builtins | grep -v alt | head -n1 || true)
            [[ -n "$real" && ! -e "$lib.so" ]] && ln -s "$real" "$lib.so"
        done
        true
    )
    # nvcc looks for cicc and libdevice under nvvm/ next to bin/ (nvcc.profile uses $(TOP)/nvvm).
    touch "$out.tmp/.complete"
    rm -rf "$out"
    mv "$out.tmp" "$out"
}

fetch "${PKGS_13[@]}" "${PKGS_12[@]}"
unpack 13 "${PKGS_13[@]}"
unpack 12.9 "${PKGS_12[@]}"
echo "cuda toolkits ready: $DIR/cuda/13 $DIR/cuda/12.9"
