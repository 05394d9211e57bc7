#!/usr/bin/env bash
# Compiles the CUBIN test corpus (runtime/tests/corpus/*.cu) with NVRTC from the toolkits that
# cuda-1-toolkit.sh unpacked, for every SM the tests cover:
#
#   DIR/cuda/corpus/<ver>/sm_XX/<name>.cubin    ver = 13 (ELF ABI v8) and 12.9 (v7 for sm < 100, v8 for sm >= 100)
#   DIR/cuda/corpus/<ver>/.stamp                hash of the sources and this script; a mismatch rebuilds
#
# cluster.cu is compiled only for sm_90 and newer; memory.cu and printf.cu also as -rdc (<name>_rdc.cubin). Idempotent; a no-op when cached.
# Usage: cuda-3-corpus.sh DIR
set -euo pipefail
DIR=${1:?usage: cuda-3-corpus.sh DIR}
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../../runtime/tests/corpus" && pwd)
COMPILE="$HERE/nvrtc_compile.py"

ARCHS_13="sm_75 sm_80 sm_86 sm_89 sm_90 sm_90a sm_100 sm_100a sm_120 sm_120a"
# 12.9 still supports Pascal and Volta: their cubins use the old ELF layout and the 0x160 parameter base.
ARCHS_12_9="sm_61 sm_70 sm_75 sm_80 sm_86 sm_89 sm_90 sm_90a sm_100 sm_100a sm_120 sm_120a"

stamp_of() {
    cat "$SRC"/*.cu "$COMPILE" "$0" | sha256sum | cut -d' ' -f1
}

build() {
    local ver=$1 archs=$2
    local lib="$DIR/cuda/$ver/lib/libnvrtc.so"
    [[ -e "$DIR/cuda/$ver/.complete" ]] || { echo "missing toolkit $DIR/cuda/$ver: run cuda-1-toolkit.sh first" >&2; exit 1; }
    local out="$DIR/cuda/corpus/$ver" stamp
    stamp=$(stamp_of)
    if [[ -e "$out/.stamp" && "$(cat "$out/.stamp")" == "$stamp" ]]; then
        return 0
    fi
    rm -rf "$out"
    for arch in $archs; do
        mkdir -p "$out/$arch"
        local sm=${arch#sm_}; sm=${sm%a}
        for cu in "$SRC"/*.cu; do
            local name; name=$(basename "$cu" .cu)
            if [[ $name == cluster* && $sm -lt 90 ]]; then continue; fi
            python3 "$COMPILE" "$lib" "$arch" "$cu" "$out/$arch/$name.cubin"
        done
        # Relocatable (-rdc) images: code relocations (R_CUDA_ABS32_LO_32/HI_32...) the whole-program ones lack.
        for name in memory printf; do
            python3 "$COMPILE" "$lib" "$arch" "$SRC/$name.cu" "$out/$arch/${name}_rdc.cubin" -rdc=true
        done
    done
    echo "$stamp" > "$out/.stamp"
}

build 13 "$ARCHS_13"
build 12.9 "$ARCHS_12_9"
echo "cubin corpus ready: $DIR/cuda/corpus"
