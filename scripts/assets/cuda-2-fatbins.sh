#!/usr/bin/env bash
# Builds the fatbins that runtime/tests/fatbin.rs parses, from runtime/tests/fatbin-src/*.cu, with the CUDA 13 nvcc
# that cuda-1-toolkit.sh unpacked into DIR/cuda/13 (gcc is the host compiler). Output: DIR/cuda/fatbins/
#
#   multi.fatbin        SASS sm_80 + sm_90 + sm_120, PTX compute_120 (default compression: zstd PTX)
#   multi-size.fatbin   same, --compress-mode=size (every entry zstd)
#   multi-speed.fatbin  SASS sm_80 + sm_90, PTX compute_80, --compress-mode=speed -compress-all (every entry LZ4)
#   ptx-only.fatbin     PTX compute_80 only
#   sm90a.fatbin        SASS sm_90a + PTX compute_90a (arch-specific)
#   sm100f.fatbin       SASS sm_100f + PTX compute_100f (family-specific)
#   concat.fatbin       --concat: SASS sm_120 alone, sm_80/sm_90 SASS and PTX in two compressed groups
#   ident.fatbin        fatbinary --ident/--cmdline: SASS sm_80 + PTX compute_80 with identifier and options
#   debug.fatbin        -G: SASS sm_80 with debug flag
#   host.o              nvcc -c: host object with .nv_fatbin (SASS sm_80, sm_90, PTX compute_90)
#   rdc.o               nvcc -c -rdc=true: host object with __nv_relfatbin
#   host-exe            linked program of kernels.cu + host_main.cu (SASS sm_80, sm_120, PTX compute_120)
#
# Idempotent: a stamp holding the hash of the sources, this script and nvcc's version skips the rebuild.
# Usage: cuda-2-fatbins.sh DIR
set -euo pipefail
DIR=${1:?usage: cuda-2-fatbins.sh DIR}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SRC="$ROOT/runtime/tests/fatbin-src"
CUDA="$DIR/cuda/13"
OUT="$DIR/cuda/fatbins"

if [[ ! -e "$CUDA/.complete" ]]; then
    echo "cuda-2-fatbins: $CUDA is missing (run scripts/assets/cuda-1-toolkit.sh $DIR first)" >&2
    exit 1
fi
NVCC="$CUDA/bin/nvcc"

stamp=$( { cat "$SRC"/*.cu "$0"; "$NVCC" --version; } | sha256sum | cut -d' ' -f1)
if [[ -e "$OUT/.complete" && "$(cat "$OUT/.complete")" == "$stamp" ]]; then
    exit 0
fi

rm -rf "$OUT.tmp"
mkdir -p "$OUT.tmp"
T="$OUT.tmp"
K="$SRC/kernels.cu"
export PATH="$CUDA/bin:$PATH"

nvcc() { "$NVCC" "$@"; }

nvcc -fatbin -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 \
    -gencode "arch=compute_120,code=[sm_120,compute_120]" "$K" -o "$T/multi.fatbin"
nvcc -fatbin --compress-mode=size -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 \
    -gencode "arch=compute_120,code=[sm_120,compute_120]" "$K" -o "$T/multi-size.fatbin"
nvcc -fatbin --compress-mode=speed -Xfatbin=-compress-all -gencode "arch=compute_80,code=[sm_80,compute_80]" \
    -gencode arch=compute_90,code=sm_90 "$K" -o "$T/multi-speed.fatbin"
nvcc -fatbin -gencode arch=compute_80,code=compute_80 "$K" -o "$T/ptx-only.fatbin"
nvcc -fatbin -gencode "arch=compute_90a,code=[sm_90a,compute_90a]" "$K" -o "$T/sm90a.fatbin"
nvcc -fatbin -gencode "arch=compute_100f,code=[sm_100f,compute_100f]" "$K" -o "$T/sm100f.fatbin"
nvcc -fatbin --concat -gencode "arch=compute_80,code=[sm_80,compute_80]" \
    -gencode "arch=compute_90,code=[sm_90,compute_90]" -gencode arch=compute_120,code=sm_120 "$K" -o "$T/concat.fatbin"
nvcc -fatbin -G -gencode arch=compute_80,code=sm_80 "$K" -o "$T/debug.fatbin"

nvcc -cubin -arch=sm_80 "$K" -o "$T/k80.cubin"
nvcc -ptx -arch=compute_80 "$K" -o "$T/k80.ptx"
"$CUDA/bin/fatbinary" --64 --ident=nvbare-ident --cmdline="-O3 -lineinfo" --create="$T/ident.fatbin" \
    --image3=kind=elf,sm=80,file="$T/k80.cubin" --image3=kind=ptx,sm=80,file="$T/k80.ptx"
rm -f "$T/k80.cubin" "$T/k80.ptx"

nvcc -c -gencode arch=compute_80,code=sm_80 -gencode "arch=compute_90,code=[sm_90,compute_90]" "$K" -o "$T/host.o"
nvcc -c -rdc=true -gencode arch=compute_80,code=sm_80 "$K" -o "$T/rdc.o"
nvcc -gencode arch=compute_80,code=sm_80 -gencode "arch=compute_120,code=[sm_120,compute_120]" \
    "$K" "$SRC/host_main.cu" -o "$T/host-exe"

echo "$stamp" > "$T/.complete"
rm -rf "$OUT"
mv "$T" "$OUT"
echo "cuda-2-fatbins: built $(ls "$OUT" | wc -l) files in $OUT"
