"""The BTF parser: every kind, both byte orders, wide masks, and corrupt data."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Callable

import pytest
from conftest import TESTS, compile_bpf, run_cli

from bpfsubskel import btf as B
from bpfsubskel import model
from bpfsubskel.errors import CorruptData


class BtfWriter:
    """Builds a .BTF blob from (kind, name, info-extras) records, for parser tests."""

    def __init__(self, bo: str) -> None:
        self.bo = bo
        self.strings = bytearray(b"\0")
        self.types = bytearray()

    def name(self, text: str) -> int:
        if not text:
            return 0
        off = len(self.strings)
        self.strings += text.encode() + b"\0"
        return off

    def add(self, kind: int, name: str, vlen: int, size_or_type: int, extra: bytes = b"",
            kflag: int = 0) -> None:
        info = (kflag << 31) | (kind << 24) | vlen
        self.types += struct.pack(self.bo + "III", self.name(name), info, size_or_type) + extra

    def u32(self, *values: int) -> bytes:
        return struct.pack(self.bo + "I" * len(values), *values)

    def blob(self) -> bytes:
        header = struct.pack(self.bo + "HBBIIIII", 0xEB9F, 1, 0, 24, 0, len(self.types),
                             len(self.types), len(self.strings))
        return header + bytes(self.types) + bytes(self.strings)


def every_kind(bo: str) -> bytes:
    w = BtfWriter(bo)
    w.add(1, "int", 0, 4, w.u32((1 << 24) | 32))  # [1] INT signed 32
    w.add(2, "", 0, 1)  # [2] PTR -> int
    w.add(3, "", 0, 0, w.u32(1, 1, 4))  # [3] ARRAY int[4]
    w.add(4, "s", 2, 8, w.u32(w.name("a"), 1, 0) + w.u32(w.name("b"), 1, (3 << 24) | 32),
          kflag=1)  # [4] STRUCT with a 3-bit bit-field
    w.add(5, "u", 1, 4, w.u32(w.name("x"), 1, 0))  # [5] UNION
    w.add(6, "e", 2, 4, w.u32(w.name("A"), 0) + struct.pack(bo + "Ii", w.name("B"), -1),
          kflag=1)  # [6] signed ENUM
    w.add(7, "fwd", 0, 0, kflag=1)  # [7] FWD union
    w.add(8, "t", 0, 1)  # [8] TYPEDEF
    w.add(9, "", 0, 1)  # [9] VOLATILE
    w.add(10, "", 0, 1)  # [10] CONST
    w.add(11, "", 0, 2)  # [11] RESTRICT
    w.add(13, "", 2, 1, w.u32(w.name("p"), 1, 0, 0))  # [12] FUNC_PROTO (int p, ...)
    w.add(12, "f", 1, 12)  # [13] FUNC global
    w.add(14, "v", 0, 1, w.u32(1))  # [14] VAR global
    w.add(15, ".data", 1, 4, w.u32(14, 0, 4))  # [15] DATASEC
    w.add(16, "double", 0, 8)  # [16] FLOAT
    w.add(17, "tag", 0, 14, struct.pack(bo + "i", -1))  # [17] DECL_TAG
    w.add(18, "user", 0, 1)  # [18] TYPE_TAG
    w.add(19, "e64", 1, 8, w.u32(w.name("BIG"), 0, 1))  # [19] ENUM64 = 1 << 32
    return w.blob()


@pytest.mark.parametrize("bo", ["<", ">"])
def test_every_kind_both_byte_orders(bo: str) -> None:
    b = B.parse(every_kind(bo))
    assert b.little_endian == (bo == "<")
    kinds = [t.kind for t in b.types[1:]]
    assert kinds == [B.Kind(k) for k in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 12, 14, 15,
                                         16, 17, 18, 19)]
    assert (b[1].int_encoding, b[1].int_bits) == (B.INT_SIGNED, 32)
    assert (b[3].elem_type, b[3].nelems) == (1, 4)
    assert b[4].members[1] == B.Member("b", 1, 32, 3)
    assert [e.value for e in b[6].enumerators] == [0, -1]
    assert b[7].kflag
    assert b[12].params == (B.Param("p", 1), B.Param("", 0))
    assert b[13].linkage == B.Linkage.GLOBAL
    assert b[15].secinfos == (B.VarSecinfo(14, 0, 4),)
    assert b[17].component_idx == -1
    assert b[19].enumerators[0].value == 1 << 32
    assert b.resolve_size(3) == 16 and b.align_of(4) == 4


def test_wide_vlen_and_kind_masks() -> None:
    """vlen bits 16-23 (2026 BTF) are part of vlen, not of the kind."""
    w = BtfWriter("<")
    w.add(1, "int", 0, 4, w.u32(32))
    w.add(14, "v", 0, 1, w.u32(1))
    n = 0x10001
    w.add(15, ".bss", n, 4 * n, b"".join(w.u32(2, 0, 4) for _ in range(n)))
    parsed = B.parse(w.blob())
    assert parsed[3].kind == B.Kind.DATASEC
    assert len(parsed[3].secinfos) == n


def corrupt(blob: bytes, offset: int, patch: bytes) -> bytes:
    return blob[:offset] + patch + blob[offset + len(patch):]


@pytest.mark.parametrize(
    ("what", "mutate", "message"),
    [
        ("magic", lambda b: corrupt(b, 0, b"\x12\x34"), "bad magic"),
        ("version", lambda b: corrupt(b, 2, b"\x02"), "version 2"),
        ("short", lambda b: b[:20], "shorter than its header"),
        ("type_len", lambda b: corrupt(b, 12, struct.pack("<I", 1 << 20)), "runs past"),
        ("unaligned", lambda b: corrupt(b, 8, struct.pack("<I", 2)), "aligned"),
        ("unknown kind", lambda b: corrupt(b, 24 + 4, struct.pack("<I", 25 << 24)),
         "unknown kind 25"),
        ("dangling ref", lambda b: corrupt(b, 24 + 16 + 8, struct.pack("<I", 999)),
         "does not exist"),
        ("name offset", lambda b: corrupt(b, 24, struct.pack("<I", 1 << 20)),
         "outside the string section"),
        ("strings", lambda b: b[:-1] + b"x", "NUL-terminated"),
    ],
)
def test_corrupt_btf_is_reported(what: str, mutate: Callable[[bytes], bytes], message: str
                                 ) -> None:
    with pytest.raises(CorruptData, match=message):
        B.parse(mutate(every_kind("<")))


def test_truncated_type_record() -> None:
    blob = every_kind("<")
    type_len = struct.unpack_from("<I", blob, 12)[0]
    # Claim the type section ends in the middle of the STRUCT's members.
    short = corrupt(blob, 12, struct.pack("<I", 16 + 12 + 24 + 12 + 6))
    assert type_len > 70
    with pytest.raises(CorruptData, match="truncated"):
        B.parse(short)


def test_big_endian_object_gives_the_same_model(tmp_path: Path) -> None:
    """A bpfeb object (BTF and ELF in big-endian order) reads exactly like its bpfel twin."""
    source = TESTS / "trio" / "trio_lib.bpf.c"
    objs = {}
    for target in ("bpfel", "bpfeb"):
        objs[target] = compile_bpf(source, tmp_path / f"{target}.bpf.o", "-target", target)
    el, eb = (model.load(str(objs[t])) for t in ("bpfel", "bpfeb"))
    assert el.btf.little_endian and not eb.btf.little_endian
    summary = [
        [(m.kind, m.lookup_name, m.ident, [(v.name, v.offset, v.size) for v in m.vars])
         for m in o.maps] + [(p.name, p.section) for p in o.programs]
        for o in (el, eb)
    ]
    assert summary[0] == summary[1]
    headers = []
    for target in ("bpfel", "bpfeb"):
        out = tmp_path / f"{target}.h"
        run_cli("subskel", objs[target], "-o", out, "--name", "lib", check=True)
        headers.append(out.read_bytes())
    assert headers[0] == headers[1]
