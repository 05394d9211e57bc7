#!/usr/bin/env bash
# Builds examples/kernels/nvbare_examples.fatbin: every examples/kernels/*.cu compiled by NVRTC to
# SASS for sm_80, sm_86, sm_89, sm_90, sm_100, sm_120 and packed with `fatbinary`.
#
# Toolkit: the CUDA 13 wheel tree at $NVBARE_TEST_ASSETS/cuda/13 (scripts/assets/cuda-1-toolkit.sh
# builds it: lib/libnvrtc.so, bin/fatbinary). Run by hand when a kernel changes; the output is
# committed, the toolkit is not.
# Usage: scripts/build-example-kernels.sh [TOOLKIT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
ASSETS=${NVBARE_TEST_ASSETS:-$PWD/target/test-assets}
TK=${1:-$ASSETS/cuda/13}
NVRTC="$TK/lib/libnvrtc.so"
FATBINARY="$TK/bin/fatbinary"
[[ -e "$NVRTC" && -x "$FATBINARY" ]] || { echo "need $NVRTC and $FATBINARY (run scripts/assets/cuda-1-toolkit.sh \"$ASSETS\")" >&2; exit 1; }
ARCHS="80 86 89 90 100 120"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cat examples/kernels/*.cu > "$WORK/all.cu"

for sm in $ARCHS; do
    python3 - "$NVRTC" "$sm" "$WORK/all.cu" "$WORK/sm_$sm.cubin" <<'PY'
import ctypes, sys
lib, sm, src, out = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
n = ctypes.CDLL(lib)
prog = ctypes.c_void_p()
code = open(src, 'rb').read()
def check(r, what):
    if r != 0:
        raise SystemExit(f"{what}: nvrtc error {r}")
check(n.nvrtcCreateProgram(ctypes.byref(prog), code, b"nvbare_examples.cu", 0, None, None), "create")
opts = [f"--gpu-architecture=sm_{sm}".encode(), b"-default-device", b"-std=c++17"]
arr = (ctypes.c_char_p * len(opts))(*opts)
r = n.nvrtcCompileProgram(prog, len(opts), arr)
if r != 0:
    size = ctypes.c_size_t()
    n.nvrtcGetProgramLogSize(prog, ctypes.byref(size))
    log = ctypes.create_string_buffer(size.value)
    n.nvrtcGetProgramLog(prog, log)
    raise SystemExit(f"compile sm_{sm} failed:\n{log.value.decode()}")
size = ctypes.c_size_t()
check(n.nvrtcGetCUBINSize(prog, ctypes.byref(size)), "cubin size")
buf = ctypes.create_string_buffer(size.value)
check(n.nvrtcGetCUBIN(prog, buf), "cubin")
open(out, 'wb').write(buf.raw)
PY
done

images=()
for sm in $ARCHS; do images+=("--image3=kind=elf,sm=$sm,file=$WORK/sm_$sm.cubin"); done
"$FATBINARY" --64 --create="$WORK/out.fatbin" "${images[@]}"
cp "$WORK/out.fatbin" examples/kernels/nvbare_examples.fatbin
sha256sum examples/kernels/*.cu scripts/build-example-kernels.sh | sha256sum | cut -d' ' -f1 > examples/kernels/nvbare_examples.fatbin.sources-sha256
ls -l examples/kernels/nvbare_examples.fatbin
