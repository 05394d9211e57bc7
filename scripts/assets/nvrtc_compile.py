#!/usr/bin/env python3
"""Compiles one CUDA C++ file to a CUBIN with NVRTC, loaded with ctypes (no CUDA install needed).

Usage: nvrtc_compile.py LIBNVRTC ARCH SRC OUT [EXTRA_OPTION...]
       nvrtc_compile.py LIBNVRTC --archs          (prints the SM numbers this NVRTC supports)
ARCH is e.g. sm_90 or sm_90a. Writes OUT atomically; exits non-zero with NVRTC's log on failure.
"""
import ctypes
import os
import sys


def check(lib, rc, what):
    if rc != 0:
        lib.nvrtcGetErrorString.restype = ctypes.c_char_p
        raise SystemExit(f"{what} failed: {lib.nvrtcGetErrorString(rc).decode()}")


def supported_archs(lib):
    n = ctypes.c_int()
    check(lib, lib.nvrtcGetNumSupportedArchs(ctypes.byref(n)), "nvrtcGetNumSupportedArchs")
    arr = (ctypes.c_int * n.value)()
    check(lib, lib.nvrtcGetSupportedArchs(arr), "nvrtcGetSupportedArchs")
    return list(arr)


def compile_cubin(lib, arch, src_path, out_path, extra):
    with open(src_path, "rb") as f:
        src = f.read()
    prog = ctypes.c_void_p()
    name = os.path.basename(src_path).encode()
    check(lib, lib.nvrtcCreateProgram(ctypes.byref(prog), src, name, 0, None, None), "nvrtcCreateProgram")
    opts = [f"--gpu-architecture={arch}".encode(), b"--std=c++17"] + [o.encode() for o in extra]
    copts = (ctypes.c_char_p * len(opts))(*opts)
    rc = lib.nvrtcCompileProgram(prog, len(opts), copts)
    if rc != 0:
        size = ctypes.c_size_t()
        lib.nvrtcGetProgramLogSize(prog, ctypes.byref(size))
        log = ctypes.create_string_buffer(size.value)
        lib.nvrtcGetProgramLog(prog, log)
        sys.stderr.write(log.value.decode(errors="replace"))
        check(lib, rc, f"nvrtcCompileProgram({src_path}, {arch})")
    size = ctypes.c_size_t()
    check(lib, lib.nvrtcGetCUBINSize(prog, ctypes.byref(size)), "nvrtcGetCUBINSize")
    buf = ctypes.create_string_buffer(size.value)
    check(lib, lib.nvrtcGetCUBIN(prog, buf), "nvrtcGetCUBIN")
    lib.nvrtcDestroyProgram(ctypes.byref(prog))
    tmp = out_path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(buf.raw[: size.value])
    os.replace(tmp, out_path)


def main():
    if len(sys.argv) == 3 and sys.argv[2] == "--archs":
        lib = ctypes.CDLL(sys.argv[1])
        print(" ".join(str(a) for a in supported_archs(lib)))
        return
    if len(sys.argv) < 5:
        raise SystemExit(__doc__)
    lib = ctypes.CDLL(sys.argv[1])
    compile_cubin(lib, sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:])


if __name__ == "__main__":
    main()
