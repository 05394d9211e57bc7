#!/usr/bin/env python3
"""Writes the tiny synthetic seeds of the `fatbin` fuzz target into seeds/fatbin/ (no NVIDIA binaries).

Layouts follow runtime/src/module/fatbin.rs. Run from anywhere: python3 make_seeds.py
"""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds", "fatbin")

F64, LINUX, LZ4, ZSTD, ARCH_A, FAM_F = 0x1, 0x10, 0x2000, 0x8000, 0x100000, 0x200000


def pad8(b):
    return b + b"\0" * (-len(b) % 8)


def zstd_raw(data):
    """A zstd frame holding `data` in one raw block (single segment, 1-byte content size)."""
    assert len(data) < 256
    return b"\x28\xb5\x2f\xfd" + bytes([0x20, len(data)]) + struct.pack("<I", (len(data) << 3) | 1)[:3] + data


def lz4_literals(data):
    """An LZ4 block holding `data` as literals only."""
    assert len(data) < 15
    return bytes([len(data) << 4]) + data


def header(kind, arch, flags, payload_len, csz=0, usz=0, word04=None, hs=64, opt_desc=0, ident=(0, 0), ver=(1, 8)):
    return struct.pack(
        "<HHIQIIHHIIIQQQ", kind, 0x0101, hs if word04 is None else word04, payload_len, csz, opt_desc,
        ver[1], ver[0], arch, ident[0], ident[1], flags, 0, usz)


def entry(kind, arch, flags, payload, csz=0, usz=0, ident=b"", options=None):
    ext = b""
    ident_pos = (0, 0)
    opt_desc = 0
    if ident:
        ident_pos = (64, len(ident))
        ext += pad8(ident + b"\0")
    if options is not None:
        opt_desc = 64 + len(ext)
        opt_off = opt_desc + 8
        ext += struct.pack("<II", opt_off, len(options)) + pad8(options + b"\0")
    payload = pad8(payload)
    return header(kind, arch, flags, len(payload), csz, usz, hs=64 + len(ext), opt_desc=opt_desc,
                  ident=ident_pos) + ext + payload


def container(*entries):
    body = b"".join(entries)
    return struct.pack("<IHHQ", 0xBA55ED50, 1, 16, len(body)) + body


def group(members, data, compress):
    """A concatenated group (kind 0x100) over `data` with member headers `members`."""
    table = b"".join(members)
    desc = struct.pack("<II", len(members), 8 + len(table))
    stored = zstd_raw(data) if compress else data
    flags = F64 | LINUX | (ZSTD if compress else 0)
    payload = pad8(stored)
    return header(0x100, 0, flags, len(payload), len(stored) if compress else 0, len(data) if compress else 0,
                  hs=64 + len(desc) + len(table), opt_desc=64, ver=(0, 1)) + desc + table + payload


def host_elf(fatbin, address=0x10000):
    """A minimal ELF64 executable with .nv_fatbin (at `address`) and a .nvFatBinSegment wrapper pointing at it."""
    wrapper = struct.pack("<IIQQ", 0x466243B1, 1, address, 0)
    names = b"\0.shstrtab\0.nv_fatbin\0.nvFatBinSegment\0"
    off_fat = 64
    off_wrap = off_fat + len(pad8(fatbin))
    off_names = off_wrap + len(wrapper)
    off_sh = off_names + len(pad8(names))
    ehdr = b"\x7fELF" + bytes([2, 1, 1, 0]) + b"\0" * 8
    ehdr += struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, 0, 0, off_sh, 0, 64, 56, 0, 64, 4, 1)

    def sh(name, typ, addr, off, size):
        return struct.pack("<IIQQQQIIQQ", name, typ, 2, addr, off, size, 0, 0, 8, 0)

    shdrs = b"\0" * 64 + sh(1, 3, 0, off_names, len(names)) + sh(11, 1, address, off_fat, len(fatbin))
    shdrs += sh(22, 1, address + 0x1000, off_wrap, len(wrapper))
    return ehdr + pad8(fatbin) + wrapper + pad8(names) + shdrs


def main():
    os.makedirs(OUT, exist_ok=True)
    elf_like = b"\x7fELF-not-really"
    hello = b"hello ptx text\0"
    seeds = {
        "plain-elf": container(entry(2, 80, F64 | LINUX, elf_like)),
        "zstd-ptx": container(entry(1, 80, F64 | LINUX | ZSTD, zstd_raw(hello), len(zstd_raw(hello)), len(hello))),
        "lz4-elf": container(entry(2, 86, F64 | LINUX | LZ4, lz4_literals(b"abcdefgh"), 9, 8)),
        "variants": container(entry(2, 90, F64 | ARCH_A, elf_like, ident=b"id"),
                              entry(1, 100, F64 | FAM_F, b".target", options=b"-O3"),
                              entry(2, 120, F64, elf_like, options=b"")),
        "group-zstd": container(group([header(1, 80, F64, 6, word04=0), header(2, 90, F64, 10, word04=6)],
                                      b"ptx\0\0\0elfelfelf!", True)),
        "group-plain": container(group([header(2, 80, F64, 4, word04=0)], b"abcd", False)),
        "two-containers": pad8(container(entry(2, 80, F64, b"x"))) + container(entry(1, 75, F64, b"y")),
        "host-elf": host_elf(container(entry(2, 80, F64 | LINUX, elf_like))),
        "empty-container": container(),
    }
    for name, data in seeds.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
        print(f"{name}: {len(data)} bytes")


if __name__ == "__main__":
    main()
