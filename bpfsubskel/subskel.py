"""`bpfsubskel subskel`: a libbpf subskeleton header for a BPF library object."""

from __future__ import annotations

import argparse
from typing import Any, NamedTuple

from . import render
from .cdecl import DeclPrinter
from .errors import CorruptData
from .model import BpfObject, Map
from .names import c_string_body, comment_text
from .struct_ops import shadows

HELP = "generate a libbpf subskeleton header (X.subskel.h) for a BPF library object"
DESCRIPTION = """\
Generate a libbpf subskeleton header for a BPF library object. A userspace library
includes it to read and write the BPF library's globals and find its maps and programs
inside whatever final BPF object the library was linked into:

    struct mylib *lib = mylib__open(bpf_object);   /* after open, before or after load */
    *lib->rodata.knob = 3;

Unlike `bpftool gen subskeleton`, a library whose `extern` maps or variables are not
yet defined is accepted: maps are bound by name at runtime, extern variables are left
out and listed in a comment.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from .cli import add_header_arguments

    add_header_arguments(
        parser, input_metavar="LIB.bpf.o", input_help="BPF library object (clang -g)",
        output_metavar="X.subskel.h", what="subskeleton")


class VarEntry(NamedTuple):  # the template unpacks it: field order matters
    index: int
    name: str
    map_ident: str


class MapEntry(NamedTuple):
    ident: str
    lookup_name: str


def build_context(obj: BpfObject, name: str) -> dict[str, Any]:
    """Everything the template needs, in libbpf order.

    Rows are NamedTuples, not dicts: jinja2 tries attribute access first, and a failed
    getattr per field costs real time on objects with thousands of variables.
    """
    problem = obj.subskeleton_problem()
    if problem:
        raise CorruptData(problem)
    members = _MemberPrinter(obj)
    var_structs = []
    var_list = []
    for m in obj.var_maps:
        public = m.public_vars
        var_structs.append(
            {"ident": m.ident, "members": [members.member(m, v.type_id, v.name) for v in public]}
        )
        var_list += [VarEntry(i, v.name, m.ident) for i, v in enumerate(public, len(var_list))]
    return {
        "name": name,
        "guard": f"__{name.upper()}_SUBSKEL_H__",
        "maps": [MapEntry(m.ident, c_string_body(m.lookup_name)) for m in obj.maps],
        "progs": [p.name for p in obj.programs],
        "struct_ops": shadows(obj, name),
        "var_structs": var_structs,
        "vars": var_list,
        "unresolved_externs": [comment_text(e) for e in obj.unresolved_externs],
    }


class _MemberPrinter:
    """`int *x`, `int (*x)[4]`: a member pointing to a variable (indent level 2).

    Declarations are cached per type (thousands of globals share a handful of types):
    printed once with a placeholder name, which is then replaced.
    """

    PLACEHOLDER = "\0"

    def __init__(self, obj: BpfObject) -> None:
        self.printers = {strip: DeclPrinter(obj.btf, strip_mods=strip) for strip in (True, False)}
        self.cache: dict[tuple[int, bool], tuple[str, str]] = {}

    def member(self, m: Map, type_id: int, var_name: str) -> str:
        key = (type_id, m.strip_modifiers)
        parts = self.cache.get(key)
        if parts is None:
            decl = self.printers[m.strip_modifiers].decl(type_id, self.PLACEHOLDER, 2,
                                                         pointer=True)
            before, _, after = decl.partition(self.PLACEHOLDER)
            parts = self.cache[key] = (before, after)
        return parts[0] + var_name + parts[1]


def generate(obj: BpfObject, name: str) -> str:
    return render.render("subskel.h.j2", **build_context(obj, name))


def command(args: argparse.Namespace) -> int:
    from .cli import generate_header

    return generate_header(args, generate)
