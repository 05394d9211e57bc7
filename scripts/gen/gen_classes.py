#!/usr/bin/env python3
"""Generate driver/src/class/gen/*.rs from NVIDIA class headers (development-time tool).

The headers themselves are NOT part of this repository. Get them from NVIDIA's public repositories:
  open-gpu-doc:             classes/compute/cl{c6c0,c7c0,c9c0,cbc0,cdc0,cec0}.h,
                            classes/dma-copy/cl{c6b5,c7b5,c8b5,c9b5,cab5}.h, classes/host/clc56f.h
  open-gpu-kernel-modules:  src/common/sdk/nvidia/inc/class/cl{c86f,c96f,ca6f}.h
and put them, under their own file names, in one directory. Then:

    python3 scripts/gen/gen_classes.py HEADER_DIR driver/src/class/gen

Only the methods listed in CLASSES below are emitted. A header line has one of three shapes, and this
script reads nothing else:
    #define NVxxxx_METHOD            0x0158          (or "(0x00000158)", or "(0x0320+(i)*4)" for arrays)
    #define NVxxxx_METHOD_FIELD      hi:lo
    #define NVxxxx_METHOD_FIELD_NAME value
Host classes C86F/C96F/CA6F: the published headers are trimmed (no NON_STALL_INTERRUPT, no WFI on
C96F/CA6F, fewer SEM_EXECUTE fields). Where a method, field or value is missing there, it is taken from
the parent host class (C56F <- C86F <- C96F <- CA6F), as NVIDIA's UVM driver does (kernel-open/nvidia-uvm/
uvm_hal.c, host_table: each host class names the previous one as parent_id and inherits its methods).
Each inherited item records its source header; it is UNVERIFIED on the newer class.
"""
import os
import re
import sys

HOST_METHODS = ["SET_OBJECT", "NON_STALL_INTERRUPT", "SEM_ADDR_LO", "SEM_ADDR_HI", "SEM_PAYLOAD_LO",
                "SEM_PAYLOAD_HI", "SEM_EXECUTE", "WFI"]
COMPUTE_METHODS = [
    "SET_OBJECT",
    "SET_REPORT_SEMAPHORE_PAYLOAD_LOWER", "SET_REPORT_SEMAPHORE_PAYLOAD_UPPER",
    "SET_REPORT_SEMAPHORE_ADDRESS_LOWER", "SET_REPORT_SEMAPHORE_ADDRESS_UPPER",
    "SET_QMD_VIRTUALIZATION_BASE_A", "SET_QMD_VIRTUALIZATION_BASE_B",
    "INVALIDATE_SHADER_CACHES", "INVALIDATE_SKED_CACHES",
    "SET_SHADER_SHARED_MEMORY_WINDOW_A", "SET_SHADER_SHARED_MEMORY_WINDOW_B",
    "SEND_PCAS_A", "SEND_PCAS_B", "SEND_SIGNALING_PCAS_B", "SEND_SIGNALING_PCAS2_B",
    "SET_SHADER_LOCAL_MEMORY_NON_THROTTLED_A", "SET_SHADER_LOCAL_MEMORY_NON_THROTTLED_B",
    "SET_SHADER_LOCAL_MEMORY_NON_THROTTLED_C",
    "SET_INLINE_QMD_ADDRESS_A", "SET_INLINE_QMD_ADDRESS_B", "LOAD_INLINE_QMD_DATA",
    "SET_SHADER_LOCAL_MEMORY_A", "SET_SHADER_LOCAL_MEMORY_B",
    "SET_SHADER_LOCAL_MEMORY_WINDOW_A", "SET_SHADER_LOCAL_MEMORY_WINDOW_B",
    "INVALIDATE_SHADER_CACHES_NO_WFI",
    "SET_REPORT_SEMAPHORE_A", "SET_REPORT_SEMAPHORE_B", "SET_REPORT_SEMAPHORE_C", "SET_REPORT_SEMAPHORE_D",
]
COPY_METHODS = [
    "SET_SEMAPHORE_A", "SET_SEMAPHORE_B", "SET_SEMAPHORE_PAYLOAD", "SET_SEMAPHORE_PAYLOAD_UPPER",
    "LAUNCH_DMA", "OFFSET_IN_UPPER", "OFFSET_IN_LOWER", "OFFSET_OUT_UPPER", "OFFSET_OUT_LOWER",
    "PITCH_IN", "PITCH_OUT", "LINE_LENGTH_IN", "LINE_COUNT",
    "SET_REMAP_CONST_A", "SET_REMAP_CONST_B", "SET_REMAP_COMPONENTS",
]

# (id, kind, header file, source description, parent id or None)
CLASSES = [
    ("C56F", "Host", "clc56f.h", "open-gpu-doc classes/host/clc56f.h", None),
    ("C86F", "Host", "clc86f.h", "open-gpu-kernel-modules src/common/sdk/nvidia/inc/class/clc86f.h", "C56F"),
    ("C96F", "Host", "clc96f.h", "open-gpu-kernel-modules src/common/sdk/nvidia/inc/class/clc96f.h", "C86F"),
    ("CA6F", "Host", "clca6f.h", "open-gpu-kernel-modules src/common/sdk/nvidia/inc/class/clca6f.h", "C96F"),
    ("C6C0", "Compute", "clc6c0.h", "open-gpu-doc classes/compute/clc6c0.h", None),
    ("C7C0", "Compute", "clc7c0.h", "open-gpu-doc classes/compute/clc7c0.h", None),
    ("C9C0", "Compute", "clc9c0.h", "open-gpu-doc classes/compute/clc9c0.h", None),
    ("CBC0", "Compute", "clcbc0.h", "open-gpu-doc classes/compute/clcbc0.h", None),
    ("CDC0", "Compute", "clcdc0.h", "open-gpu-doc classes/compute/clcdc0.h", None),
    ("CEC0", "Compute", "clcec0.h", "open-gpu-doc classes/compute/clcec0.h", None),
    ("C6B5", "Copy", "clc6b5.h", "open-gpu-doc classes/dma-copy/clc6b5.h", None),
    ("C7B5", "Copy", "clc7b5.h", "open-gpu-doc classes/dma-copy/clc7b5.h", None),
    ("C8B5", "Copy", "clc8b5.h", "open-gpu-doc classes/dma-copy/clc8b5.h", None),
    ("C9B5", "Copy", "clc9b5.h", "open-gpu-doc classes/dma-copy/clc9b5.h", None),
    ("CAB5", "Copy", "clcab5.h", "open-gpu-doc classes/dma-copy/clcab5.h", None),
]
WANTED = {"Host": HOST_METHODS, "Compute": COMPUTE_METHODS, "Copy": COPY_METHODS}

DEFINE = re.compile(r"^\s*#\s*define\s+(NV[0-9A-F]{4})_([A-Z0-9_]+(?:\(i\))?)\s+(.+?)\s*$")
RANGE = re.compile(r"^\(?\s*(\d+)\s*:\s*(\d+)\s*\)?$")
NUM = re.compile(r"^\(?\s*(0[xX][0-9a-fA-F]+|\d+)\s*\)?$")
ARRAY = re.compile(r"^\(\s*(0[xX][0-9a-fA-F]+)\s*\+\s*\(i\)\s*\*\s*(\d+)\s*\)$")
KEYWORDS = {"type", "match", "mod", "fn", "struct", "enum", "impl", "loop", "move", "ref", "self", "use",
            "where", "as", "box", "const", "crate", "else", "false", "true", "for", "if", "in", "let", "pub",
            "return", "static", "super", "trait", "unsafe", "while", "yield", "dyn", "abstract", "final"}


def parse(path, prefix):
    """Returns (class_name, methods): methods maps name -> dict(offset, count, stride, fields: name -> dict)."""
    methods = {}
    order = []
    class_name = None
    cur = None
    with open(path, encoding="utf-8", errors="replace") as fh:
        for raw in fh:
            line = raw.split("//")[0].split("/*")[0]
            m = re.match(r"^\s*#\s*define\s+([A-Z][A-Z0-9_]+)\s+\(?0x(?:0000)?" + prefix[2:] + r"\)?\s*$", line, re.I)
            if m and not m.group(1).startswith("NV"):
                class_name = m.group(1)
                continue
            m = DEFINE.match(line)
            if not m or m.group(1) != prefix:
                continue
            name, val = m.group(2), m.group(3).strip()
            if "__SIZE_1" in name:
                base = name.split("__SIZE_1")[0]
                if base in methods and NUM.match(val):
                    methods[base]["count"] = int(NUM.match(val).group(1), 0)
                continue
            am = ARRAY.match(val)
            if name.endswith("(i)") and am:
                base = name[:-3]
                cur = base
                methods[base] = {"offset": int(am.group(1), 0), "count": None, "stride": int(am.group(2)),
                                 "fields": {}, "forder": []}
                order.append(base)
                continue
            rm = RANGE.match(val)
            if cur is not None and name.startswith(cur + "_") and rm:
                fname = name[len(cur) + 1:]
                hi, lo = int(rm.group(1)), int(rm.group(2))
                methods[cur]["fields"][fname] = {"hi": hi, "lo": lo, "values": [], "src": None}
                methods[cur]["forder"].append(fname)
                continue
            nm = NUM.match(val)
            if nm is None:
                continue
            v = int(nm.group(1), 0)
            if cur is not None and name.startswith(cur + "_"):
                rest = name[len(cur) + 1:]
                # longest field name that prefixes this value name
                best = None
                for f in methods[cur]["fields"]:
                    if rest.startswith(f + "_") and (best is None or len(f) > len(best)):
                        best = f
                if best is not None:
                    methods[cur]["fields"][best]["values"].append((rest[len(best) + 1:], v, None))
                    continue
                # a numeric define under the current method that names no field value: a new method
                # only if it looks like a method offset (multiple of 4); else ignore
                if v % 4 != 0 or name in methods:
                    continue
            if v % 4 != 0:
                continue
            cur = name
            methods[name] = {"offset": v, "count": 1, "stride": 4, "fields": {}, "forder": []}
            order.append(name)
    # arrays without __SIZE_1: extent up to the next method in the header
    offs = sorted(m["offset"] for m in methods.values())
    for name, m in methods.items():
        if m["count"] is None:
            nxt = [o for o in offs if o > m["offset"]]
            m["count"] = ((nxt[0] - m["offset"]) // m["stride"]) if nxt else 1
            m["count_src"] = "no __SIZE_1 in the header: extent up to the next method"
    return class_name, methods


def camel(s):
    parts = [p for p in s.split("_") if p]
    out = "".join(p[:1].upper() + p[1:].lower() for p in parts)
    if not out or out[0].isdigit():
        out = "V" + out
    return out


def snake(s):
    s = s.lower()
    if s[0].isdigit():
        s = "f_" + s
    if s in KEYWORDS:
        s = "r#" + s
    return s


def field_kind(f):
    """'bool' | 'enum' | 'int'"""
    vals = f["values"]
    if not vals:
        return "int"
    uniq = {}
    for n, v, _ in vals:
        uniq.setdefault(v, n)
    width = f["hi"] - f["lo"] + 1
    if width == 1 and set(uniq.items()) == {(0, "FALSE"), (1, "TRUE")}:
        return "bool"
    if any(v >= (1 << width) for v in uniq):
        return "int"
    return "enum"


def gen_class(cid, kind, hdr, src, parent_methods, parent_src, hdr_dir):
    prefix = "NV" + cid
    class_name, methods = parse(os.path.join(hdr_dir, hdr), prefix)
    if class_name is None:
        raise SystemExit(f"{hdr}: class name define for {cid} not found")
    wanted = WANTED[kind]
    chosen = []
    for mname in wanted:
        m = methods.get(mname)
        msrc = None
        if m is None and parent_methods is not None and mname in parent_methods:
            m = dict(parent_methods[mname])
            m["fields"] = {k: dict(v, values=list(v["values"]), src=v["src"] or parent_src[mname])
                           for k, v in parent_methods[mname]["fields"].items()}
            msrc = parent_src[mname]
        if m is None:
            continue
        m = dict(m)
        m["fields"] = {k: dict(v, values=list(v["values"])) for k, v in m["fields"].items()}
        m["forder"] = list(m["forder"])
        if parent_methods is not None and mname in parent_methods:
            pm = parent_methods[mname]
            for fname in pm["forder"]:
                pf = pm["fields"][fname]
                if fname not in m["fields"]:
                    m["fields"][fname] = dict(pf, values=list(pf["values"]), src=pf["src"] or parent_src[mname])
                    m["forder"].append(fname)
                else:
                    f = m["fields"][fname]
                    if (f["hi"], f["lo"]) == (pf["hi"], pf["lo"]):
                        have = {n for n, _, _ in f["values"]}
                        for n, v, s in pf["values"]:
                            if n not in have:
                                f["values"].append((n, v, s or pf["src"] or parent_src[mname]))
        m["src"] = msrc
        m["name"] = mname
        chosen.append(m)
    return class_name, chosen, methods


def emit(cid, kind, hdr, src, class_name, chosen):
    mod = cid.lower()
    o = []
    w = o.append
    w(f"//! `{class_name}` (class 0x{cid}): typed methods and the method table.")
    w("//!")
    w(f"//! GENERATED by scripts/gen/gen_classes.py from {hdr} ({src}); do not edit by hand.")
    w("//! Every number below (method offsets, bit ranges `hi:lo`, enum values) is transcribed from the")
    w(f"//! `NV{cid}_*` defines of that header; items marked \"inherited\" come from the named parent header.")
    w("#![allow(clippy::all, missing_docs, non_camel_case_types)]")
    w("")
    w("use crate::class::{ClassDesc, ClassKind, EnumValue, FieldDesc, Method, MethodDesc};")
    w("use crate::error::Error;")
    w("")
    w(f"/// Marker type for class `{class_name}` (0x{cid}).")
    w("#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]")
    w(f"pub struct Class;")
    w("")
    w("impl crate::class::Class for Class {")
    w(f"    const ID: u32 = 0x{cid};")
    w("    const DESC: &'static ClassDesc = &DESC;")
    w("}")
    w("")
    # descriptor tables
    chosen = sorted(chosen, key=lambda m: m["offset"])
    for idx, m in enumerate(chosen):
        m["idx"] = idx
        m["ty"] = camel(m["name"])
        # sort fields by lo bit; check overlaps
        fl = sorted(m["forder"], key=lambda f: (m["fields"][f]["lo"], m["fields"][f]["hi"]))
        occupied = 0
        for f in fl:
            fd = m["fields"][f]
            mask = ((1 << (fd["hi"] - fd["lo"] + 1)) - 1) << fd["lo"]
            if occupied & mask:
                raise SystemExit(f"{cid} {m['name']}: field {f} overlaps another field")
            occupied |= mask
        m["fl"] = fl
        m["mask"] = occupied
        for f in fl:
            fd = m["fields"][f]
            seen = {}
            for n, v, s in fd["values"]:
                if v in seen:
                    seen[v]["aliases"].append(n)
                else:
                    seen[v] = {"name": n, "src": s, "aliases": []}
            fd["uniq"] = sorted(seen.items())
            fd["kind"] = field_kind(fd)
    for m in chosen:
        for f in m["fl"]:
            fd = m["fields"][f]
            if fd["uniq"]:
                w(f"const V_{m['name']}__{f}: &[EnumValue] = &[")
                for v, info in fd["uniq"]:
                    w(f"    EnumValue {{ name: \"{info['name']}\", value: 0x{v:x} }},")
                w("];")
        w(f"const F_{m['name']}: &[FieldDesc] = &[")
        for f in m["fl"]:
            fd = m["fields"][f]
            vals = f"V_{m['name']}__{f}" if fd["uniq"] else "&[]"
            inh = f"Some(\"{fd['src']}\")" if fd["src"] else "None"
            w(f"    FieldDesc {{ name: \"{f}\", hi: {fd['hi']}, lo: {fd['lo']}, values: {vals}, inherited: {inh} }},")
        w("];")
    w("")
    w(f"/// Method table of class 0x{cid}, sorted by offset.")
    w("pub static METHODS: [MethodDesc; %d] = [" % len(chosen))
    for m in chosen:
        inh = f"Some(\"{m['src']}\")" if m["src"] else "None"
        w(f"    MethodDesc {{ name: \"{m['name']}\", offset: 0x{m['offset']:04x}, count: {m['count']}, stride: {m['stride']}, fields: F_{m['name']}, inherited: {inh} }},")
    w("];")
    w("")
    w(f"/// Class descriptor of `{class_name}`.")
    w(f"pub static DESC: ClassDesc = ClassDesc {{ id: 0x{cid}, name: \"{class_name}\", short: \"{cid}\", kind: ClassKind::{kind}, methods: &METHODS }};")
    w("")
    # typed methods
    for m in chosen:
        # enum types
        for f in m["fl"]:
            fd = m["fields"][f]
            if fd["kind"] != "enum":
                continue
            ename = m["ty"] + camel(f)
            fd["ety"] = ename
            w(f"/// Values of `NV{cid}_{m['name']}_{f}` ({fd['hi']}:{fd['lo']}).")
            w("#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]")
            w("#[repr(u32)]")
            w(f"pub enum {ename} {{")
            first = True
            names = set()
            for v, info in fd["uniq"]:
                vn = camel(info["name"])
                while vn in names:
                    vn += "_"
                names.add(vn)
                info["vn"] = vn
                doc = f"`NV{cid}_{m['name']}_{f}_{info['name']}` = {v}"
                if info["aliases"]:
                    doc += " (alias: " + ", ".join(info["aliases"]) + ")"
                if info["src"]:
                    doc += f"; inherited from {info['src']}, unverified on this class"
                w(f"    /// {doc}")
                if first:
                    w("    #[default]")
                    first = False
                w(f"    {vn} = {v},")
            w("}")
            w("")
            w(f"impl {ename} {{")
            w("    /// The variant with this raw value, if the header names one.")
            w("    pub const fn from_raw(v: u32) -> Option<Self> {")
            w("        match v {")
            for v, info in fd["uniq"]:
                w(f"            {v} => Some(Self::{info['vn']}),")
            w("            _ => None,")
            w("        }")
            w("    }")
            w("}")
            w("")
        doc = f"`NV{cid}_{m['name']}` (method 0x{m['offset']:04x}"
        if m["count"] > 1:
            doc += f", array of {m['count']}, stride {m['stride']}"
        doc += ")."
        w(f"/// {doc}")
        if m.get("count_src"):
            w(f"/// Array length: {m['count_src']}.")
        if m["src"]:
            w(f"/// Inherited from {m['src']}: the published header of this class omits it; unverified on this class.")
        w("#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]")
        w(f"pub struct {m['ty']} {{")
        for f in m["fl"]:
            fd = m["fields"][f]
            tdoc = f"`{f}` bits {fd['hi']}:{fd['lo']}"
            if fd["src"]:
                tdoc += f" (inherited from {fd['src']}, unverified on this class)"
            w(f"    /// {tdoc}")
            t = {"bool": "bool", "int": "u32"}.get(fd["kind"]) or fd["ety"]
            w(f"    pub {snake(f)}: {t},")
        w("}")
        w("")
        w(f"impl Method for {m['ty']} {{")
        w("    type Class = Class;")
        w(f"    const DESC: &'static MethodDesc = &METHODS[{m['idx']}];")
        w("")
        w("    #[inline]")
        w("    fn to_word(&self) -> u32 {")
        parts = []
        for f in m["fl"]:
            fd = m["fields"][f]
            width = fd["hi"] - fd["lo"] + 1
            fe = "self." + snake(f)
            if fd["kind"] == "bool":
                val = f"u32::from({fe})"
            elif fd["kind"] == "enum":
                val = f"({fe} as u32)"
            elif width == 32:
                val = fe
            else:
                mask = (1 << width) - 1
                w(f"        debug_assert!({fe} <= 0x{mask:x}, \"NV{cid}_{m['name']}_{f} does not fit {fd['hi']}:{fd['lo']}\");")
                val = f"({fe} & 0x{mask:x})"
            parts.append((val, fd["lo"]))
        if not parts:
            expr = "0"
        elif len(parts) == 1:
            val, lo = parts[0]
            if val.startswith("(") and val.endswith(")") and lo == 0:
                val = val[1:-1]
            expr = f"{val} << {lo}" if lo else val
        else:
            expr = " | ".join(f"({v} << {lo})" if lo else v for v, lo in parts)
        w("        " + expr)
        w("    }")
        w("")
        w("    fn from_word(word: u32) -> Result<Self, Error> {")
        if m["mask"] != 0xFFFFFFFF:
            w(f"        if word & !0x{m['mask']:08x} != 0 {{")
            w(f"            return Err(Error::ReservedBits {{ method: \"{m['name']}\", word, mask: !0x{m['mask']:08x} }});")
            w("        }")
        w("        Ok(Self {")
        for f in m["fl"]:
            fd = m["fields"][f]
            width = fd["hi"] - fd["lo"] + 1
            mask = (1 << width) - 1
            raw = f"(word >> {fd['lo']}) & 0x{mask:x}" if width < 32 else "word"
            if fd["kind"] == "bool":
                w(f"            {snake(f)}: ({raw}) != 0,")
            elif fd["kind"] == "enum":
                w(f"            {snake(f)}: {fd['ety']}::from_raw({raw}).ok_or(Error::UnknownEnumValue {{ method: \"{m['name']}\", field: \"{f}\", value: {raw} }})?,")
            else:
                w(f"            {snake(f)}: {raw},")
        w("        })")
        w("    }")
        w("")
        w("    fn check(&self) -> Result<(), Error> {")
        for f in m["fl"]:
            fd = m["fields"][f]
            width = fd["hi"] - fd["lo"] + 1
            if fd["kind"] == "int" and width < 32:
                mask = (1 << width) - 1
                w(f"        if self.{snake(f)} > 0x{mask:x} {{")
                w(f"            return Err(Error::FieldOverflow {{ method: \"{m['name']}\", field: \"{f}\", value: u64::from(self.{snake(f)}), bits: {width} }});")
                w("        }")
        w("        Ok(())")
        w("    }")
        w("")
        w("    fn field_raw(&self, index: usize) -> Option<u32> {")
        w("        match index {")
        for i, f in enumerate(m["fl"]):
            fd = m["fields"][f]
            fe = "self." + snake(f)
            if fd["kind"] == "bool":
                w(f"            {i} => Some(u32::from({fe})),")
            elif fd["kind"] == "enum":
                w(f"            {i} => Some({fe} as u32),")
            else:
                w(f"            {i} => Some({fe}),")
        w("            _ => None,")
        w("        }")
        w("    }")
        w("}")
        w("")
    # dispatch enum
    w(f"/// Any typed method of class 0x{cid}.")
    w("#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]")
    w("pub enum AnyMethod {")
    for m in chosen:
        if m["count"] > 1:
            w(f"    /// `{m['name']}` with its array index.")
            w(f"    {m['ty']}(u32, {m['ty']}),")
        else:
            w(f"    /// `{m['name']}`.")
            w(f"    {m['ty']}({m['ty']}),")
    w("}")
    w("")
    w("impl AnyMethod {")
    w("    /// Decodes one data word written to byte offset `offset`; `None` if the table has no such method.")
    w("    pub fn decode(offset: u32, word: u32) -> Option<Result<Self, Error>> {")
    idx_name = "index" if any(m["count"] > 1 for m in chosen) else "_index"
    w(f"        let (desc, {idx_name}) = crate::class::lookup(&DESC, offset)?;")
    w("        Some(match desc.offset {")
    for m in chosen:
        if m["count"] > 1:
            w(f"            0x{m['offset']:04x} => {m['ty']}::from_word(word).map(|m| Self::{m['ty']}(index, m)),")
        else:
            w(f"            0x{m['offset']:04x} => {m['ty']}::from_word(word).map(Self::{m['ty']}),")
    w("            _ => return None,")
    w("        })")
    w("    }")
    w("")
    w("    /// Byte offset and data word of this method.")
    w("    pub fn encode(&self) -> (u32, u32) {")
    w("        match self {")
    for m in chosen:
        if m["count"] > 1:
            w(f"            Self::{m['ty']}(i, m) => ({m['ty']}::DESC.offset.wrapping_add(i.wrapping_mul({m['stride']})), m.to_word()),")
        else:
            w(f"            Self::{m['ty']}(m) => ({m['ty']}::DESC.offset, m.to_word()),")
    w("        }")
    w("    }")
    w("")
    w("    /// Raw value of field `index` (in `FieldDesc` order of the method's table entry).")
    w("    pub fn field_raw(&self, index: usize) -> Option<u32> {")
    w("        match self {")
    for m in chosen:
        if m["count"] > 1:
            w(f"            Self::{m['ty']}(_, m) => m.field_raw(index),")
        else:
            w(f"            Self::{m['ty']}(m) => m.field_raw(index),")
    w("        }")
    w("    }")
    w("}")
    return "\n".join(o) + "\n"


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    hdr_dir, out_dir = sys.argv[1], sys.argv[2]
    os.makedirs(out_dir, exist_ok=True)
    done = {}
    mods = []
    for cid, kind, hdr, src, parent in CLASSES:
        pm, ps = None, None
        if parent is not None:
            pm, ps = done[parent]
        class_name, chosen, _ = gen_class(cid, kind, hdr, src, pm, ps, hdr_dir)
        # what a child inherits: this class's chosen methods (with their own inheritance marks)
        by = {m["name"]: m for m in chosen}
        srcs = {m["name"]: (m["src"] or hdr) for m in chosen}
        done[cid] = (by, srcs)
        text = emit(cid, kind, hdr, src, class_name, [dict(m) for m in chosen])
        with open(os.path.join(out_dir, cid.lower() + ".rs"), "w") as fh:
            fh.write(text)
        mods.append((cid, kind, class_name))
    with open(os.path.join(out_dir, "mod.rs"), "w") as fh:
        fh.write("//! Generated class modules (scripts/gen/gen_classes.py); do not edit by hand.\n\n")
        for cid, kind, name in mods:
            fh.write(f"pub mod {cid.lower()};\n")
        fh.write("\n/// Every generated class descriptor.\n")
        fh.write("pub static ALL: [&crate::class::ClassDesc; %d] = [\n" % len(mods))
        for cid, kind, name in mods:
            fh.write(f"    &{cid.lower()}::DESC,\n")
        fh.write("];\n")


if __name__ == "__main__":
    main()
