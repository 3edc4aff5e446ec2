"""`bpfsubskel skel`: a full libbpf skeleton header for a final BPF object.

Same API and member layout as `bpftool gen skeleton`, with these fixes:
internal maps are looked up by section name (`.data`), so `opts.object_name` works (B8);
data-section layouts use ELF symbol offsets and assert every member's offset as well as
its size; `bool` and anonymous enums as in cdecl.py, so clang++ accepts the header.
"""

from __future__ import annotations

import argparse
from typing import Any, NamedTuple, Optional

from . import render
from .cdecl import DeclPrinter
from .errors import CorruptData
from .model import BpfObject, Map, MapKind, refuse_unopenable
from .names import c_string_body
from .struct_ops import shadows

HELP = "generate a full libbpf skeleton header (X.skel.h) for a final BPF object"
DESCRIPTION = """\
Generate a full libbpf skeleton for a final BPF object: the object's bytes embedded,
N__open / N__open_opts / N__load / N__open_and_load / N__attach / N__detach /
N__destroy / N__elf_bytes, `maps`, `struct_ops` (one shadow struct per struct_ops map),
`progs`, `links` (programs and struct_ops maps), and one struct per data section (every
.data/.rodata/.bss, `arena` for __arena globals) laid out at the object's offsets:

    struct app *skel = app__open();
    skel->rodata->threshold = 3;          /* before load */
    app__load(skel);
    app__attach(skel);
    printf("%llu\\n", skel->bss->events); /* after load: the kernel's value */
"""

# 19 bytes per line: at most 76 characters of escapes, like bpftool's 78-column limit.
_BYTES_PER_LINE = 19


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from .cli import add_header_arguments

    add_header_arguments(
        parser, input_metavar="FINAL.bpf.o", input_help="final (linked) BPF object",
        output_metavar="X.skel.h", what="skeleton")
    parser.add_argument("-L", "--light", action="store_true",
                        help="generate a light skeleton (X.lskel.h, like bpftool gen skeleton "
                             "-L): a loader program made by libbpf's loader generator, loaded "
                             "through <bpf/skel_internal.h>; no libbpf or libelf at run time")


class MapEntry(NamedTuple):
    ident: str
    lookup_name: str
    mmaped: Optional[str]  # the data-section member libbpf points at the map's memory
    link: bool  # a struct_ops map: `map->link = &obj->links.<ident>` (libbpf >= 1.5)


class AssertEntry(NamedTuple):
    section: str
    var: str
    size: int
    offset: int


def build_context(obj: BpfObject, name: str) -> dict[str, Any]:
    """Everything the template needs; NamedTuple rows for fast jinja2 attribute access."""
    _refuse_unresolved(obj)
    sections = []
    asserts = []
    for m in obj.skel_data_maps:
        ident = m.data_ident
        sections.append({"ident": ident, "members": _layout(obj, m)})
        asserts += [AssertEntry(ident, v.name, v.size, v.offset) for v in m.public_vars]
    struct_ops = shadows(obj, name)
    return {
        "name": name,
        "guard": f"__{name.upper()}_SKEL_H__",
        "maps": [MapEntry(m.ident, c_string_body(m.lookup_name), m.data_ident,
                          m.kind == MapKind.STRUCT_OPS) for m in obj.maps],
        "progs": [p.name for p in obj.programs],
        "struct_ops": struct_ops,
        "sections": sections,
        "asserts": asserts,
        "elf_string": _ELF_PLACEHOLDER,  # generate_bytes puts the object there
    }


def _refuse_unresolved(obj: BpfObject) -> None:
    """A skeleton is of a final object, which libbpf must open: say now if it cannot."""
    refuse_unopenable(obj, obj.path)


def _layout(obj: BpfObject, m: Map) -> list[str]:
    """Members of a data-section struct at the variables' offsets (bpftool's algorithm).

    Alignment is capped at 4, as bpftool does, so explicit padding is emitted wherever
    a 32-bit host would not align naturally; static variables become padding.
    """
    printer = DeclPrinter(obj.btf, strip_mods=m.strip_modifiers)
    members = []
    offset = 0
    pads = 0
    names = {v.name for v in m.public_vars}
    for var in m.public_vars:
        if offset > var.offset:
            raise CorruptData(
                f"variable '{var.name}' in '{m.section}' overlaps the one before it"
            )
        align = min(obj.btf.align_of(var.type_id), 4)
        if -(-offset // align) * align != var.offset:
            while f"__pad{pads}" in names:  # a BPF global may be called __pad0
                pads += 1
            members.append(f"char __pad{pads}[{var.offset - offset}]")
            pads += 1
        members.append(printer.decl_named(var.type_id, var.name, 2))
        offset = var.offset + var.size
    return members


def _c_string_body(data: bytes) -> str:
    """The bytes as C string-literal text: `\\xHH` escapes, `\\0` for zeros, 19 per line."""
    return b"".join(_c_string_chunks(data)).decode("ascii")


# The escape of each byte, built at C speed: bytes.translate gives every byte's four
# characters (`\\` and these three), a zero byte `\\0` and two _DROP characters, which
# one more translate deletes.
_DROP = 0xFF  # never part of the text: only `\\`, `x`, hex digits and newlines are
_DIGITS = b"0123456789abcdef"
_MARK = bytes(ord("x") if b else ord("0") for b in range(256))
_HIGH = bytes(_DIGITS[b >> 4] if b else _DROP for b in range(256))
_LOW = bytes(_DIGITS[b & 15] if b else _DROP for b in range(256))
# Lines per block: each block's text is built in one buffer, small enough to be reused
# (a whole multi-MiB object at once costs more in fresh memory than in the work itself).
_LINES_PER_BLOCK = 2048


def _c_string_chunks(data: bytes) -> list[bytes]:
    """`_c_string_body` as ASCII bytes, in pieces to be joined.

    Every byte is a 4-character token (`\\xHH`; `\\0` and two dropped characters for a
    zero), so a block of whole lines has a fixed layout: each token position of a line is
    a strided slice of the block, filled by one slice assignment. Lines end with a
    backslash-newline, except the last.
    """
    per_line = _BYTES_PER_LINE
    width = 4 * per_line + 2  # a line's tokens and its backslash-newline
    block = per_line * _LINES_PER_BLOCK
    chunks = []
    for start in range(0, len(data), block):
        part = data[start : start + block]
        lines = -(-len(part) // per_line)
        padding = bytes(lines * per_line - len(part))
        mark = part.translate(_MARK) + padding
        high = part.translate(_HIGH) + padding
        low = part.translate(_LOW) + padding
        out = bytearray(lines * width)
        backslashes = b"\\" * lines
        for i in range(per_line):
            out[4 * i :: width] = backslashes
            out[4 * i + 1 :: width] = mark[i::per_line]
            out[4 * i + 2 :: width] = high[i::per_line]
            out[4 * i + 3 :: width] = low[i::per_line]
        out[width - 2 :: width] = backslashes
        out[width - 1 :: width] = b"\n" * lines
        if start + block >= len(data):  # the last line: its tokens only
            del out[4 * len(part) + 2 * (lines - 1) :]
        chunks.append(out.translate(None, bytes((_DROP,))))
    return chunks


# Stands for the embedded object in the rendered template; no generated text has a NUL.
_ELF_PLACEHOLDER = "\0elf\0"


def generate_bytes(obj: BpfObject, name: str) -> bytes:
    """The header as bytes, as written. The embedded object (most of a skeleton) goes
    straight from `_c_string_chunks` into the output, never through a str."""
    before, after = render.render("skel.h.j2", **build_context(obj, name)).split(
        _ELF_PLACEHOLDER)
    return b"".join([before.encode(), *_c_string_chunks(obj.data), after.encode()])


def command(args: argparse.Namespace) -> int:
    from .cli import generate_header

    if args.light:
        from . import lskel

        return lskel.command(args)

    return generate_header(args, generate_bytes)
