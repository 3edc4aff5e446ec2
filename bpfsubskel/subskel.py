"""`bpfsubskel subskel`: a libbpf subskeleton header for a BPF library object."""

from __future__ import annotations

import argparse
from typing import Any

from . import render
from .cdecl import DeclPrinter, needs_typeof
from .errors import reading
from .model import BpfObject, Map

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
    parser.add_argument("object", metavar="LIB.bpf.o", help="BPF library object (clang -g)")
    parser.add_argument("-o", "--output", required=True, metavar="X.subskel.h",
                        help="header to write (only rewritten when its content changes)")
    parser.add_argument("--name", metavar="N",
                        help="C name of the subskeleton (default: file name without .bpf.o)")
    parser.add_argument("--depfile", metavar="D", help="write a gcc-style depfile")
    parser.add_argument("--werror", action="store_true", help="treat warnings as errors")


def build_context(obj: BpfObject, name: str) -> dict[str, Any]:
    """Everything the template needs, in libbpf order."""
    var_structs = []
    var_list = []
    for m in obj.var_maps:
        members = [_member(obj, m, v.type_id, v.name) for v in m.public_vars]
        var_structs.append({"ident": m.ident, "members": members})
        var_list += [{"name": v.name, "map_ident": m.ident} for v in m.public_vars]
    return {
        "name": name,
        "guard": f"__{name.upper()}_SUBSKEL_H__",
        "maps": [{"ident": m.ident, "lookup_name": m.lookup_name} for m in obj.maps],
        "progs": [p.name for p in obj.programs],
        "var_structs": var_structs,
        "vars": var_list,
        "unresolved_externs": obj.unresolved_externs,
    }


def _member(obj: BpfObject, m: Map, type_id: int, var_name: str) -> str:
    """`int *x` / `__typeof__(int[4]) *x`: a pointer to the variable (indent level 2)."""
    decl = DeclPrinter(obj.btf, strip_mods=m.strip_modifiers).decl(type_id, "", 2)
    if needs_typeof(obj.btf, type_id):
        return f"__typeof__({decl}) *{var_name}"
    return f"{decl} *{var_name}"


def generate(obj: BpfObject, name: str) -> str:
    return render.render("subskel.h.j2", **build_context(obj, name))


def command(args: argparse.Namespace) -> int:
    from .cli import finish, load_object, object_name

    name = object_name(args.name, args.object)
    obj = load_object(args.object, args.werror)
    with reading(args.object):
        header = generate(obj, name)
    finish(args.output, header, args.depfile, [args.object])
    return 0
