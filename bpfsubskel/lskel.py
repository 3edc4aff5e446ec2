"""`bpfsubskel skel -L`: a light skeleton (X.lskel.h), as `bpftool gen skeleton -L`.

libbpf's loader generator turns the object into a small BPF_PROG_TYPE_SYSCALL program
plus data; the header embeds both and loads them with <bpf/skel_internal.h>, so the
application needs neither libbpf nor libelf at run time. The struct layout, member names
and functions are bpftool's; beyond bpftool the header compiles as C++ (no `void *`
arithmetic or implicit `void *` conversions), an object without programs compiles,
`raw_tp` sections without a tracepoint name are left for manual attach instead of
printing garbage, struct_ops objects are refused with a message (libbpf and bpftool
crash on them), and every data member's offset is asserted as well as its size.

Maps, programs, flags and initial values are taken from libbpf itself (after the
loader-generating load), because the loader indexes the skeleton's `maps` and `progs`
by libbpf's order; they are checked against bpfsubskel's model, which provides the
data-section layouts.
"""

from __future__ import annotations

import argparse
import functools
import os
from typing import Any, NamedTuple, Optional

from . import render
from .errors import CorruptData, InputError
from .libbpf import (
    BPF_F_MMAPABLE,
    BPF_F_RDONLY_PROG,
    BPF_PROG_TYPE_LSM,
    BPF_PROG_TYPE_RAW_TRACEPOINT,
    BPF_PROG_TYPE_TRACING,
    BPF_TRACE_ITER,
    Libbpf,
    Loader,
    MapInfo,
    ProgInfo,
    isolated,
)
from .model import BpfObject, Map, MapKind
from .skel import _c_string_body, _layout, _refuse_unresolved


class LightMap(NamedTuple):
    ident: str


class LightProg(NamedTuple):
    name: str
    attach: str  # the C expression giving the link fd (uses `prog_fd`)
    manual: bool  # not attached by N__attach: the expression is 0


class LightSection(NamedTuple):
    ident: str
    members: list[str]
    initial: str  # the initial bytes as C string-literal text
    mmap_size: int
    prot: str


class AssertEntry(NamedTuple):
    section: str
    var: str
    size: int
    offset: int


@functools.cache
def page_size() -> int:
    """The build machine's page size, as bpftool (a header for a machine with larger
    pages must be generated there)."""
    return os.sysconf("SC_PAGE_SIZE")


def mmap_size(m: MapInfo) -> int:
    """bpftool's bpf_map_mmap_sz: value size rounded to 8, times entries, to a page."""
    size = -(-m.value_size // 8) * 8 * m.max_entries
    return -(-size // page_size()) * page_size()


def refuse_unsupported(obj: BpfObject) -> None:
    """Objects the loader generator cannot take, refused before libbpf is asked."""
    _refuse_unresolved(obj)
    struct_ops = [m.lookup_name for m in obj.maps if m.kind == MapKind.STRUCT_OPS]
    if struct_ops:
        raise CorruptData(
            f"has struct_ops maps ({', '.join(struct_ops)}), which libbpf's loader "
            "generator does not support (libbpf <= 1.5 and bpftool gen skeleton -L crash "
            "on them); generate a full skeleton (without -L) for this object"
        )


def light_warnings(obj: BpfObject) -> list[str]:
    kconfig = [m for m in obj.maps if m.kind == MapKind.KCONFIG]
    if not kconfig:
        return []
    names = ", ".join(v.name for v in kconfig[0].vars)
    return [f"__kconfig externs ({names}) are resolved now, from this machine's kernel "
            "configuration, and their values are fixed in the light skeleton (as bpftool "
            "does); generate it on the machine it will run on, or use a full skeleton"]


def build_context(obj: BpfObject, name: str, loader: Loader) -> dict[str, Any]:
    model_maps = _match_maps(obj, loader.maps)
    _match_progs(obj, loader.progs)
    maps = []
    sections = []
    asserts = []
    for info, m in zip(loader.maps, model_maps):
        maps.append(LightMap(m.ident))
        if not (info.internal and info.flags & BPF_F_MMAPABLE):
            continue
        # libbpf >= 1.1 makes a data map mmapable only when it has public variables, so
        # the model has its layout; an older libbpf gets an empty struct, as bpftool does.
        members = _layout(obj, m) if m.mmapable else []
        prot = "PROT_READ" if info.flags & BPF_F_RDONLY_PROG else "PROT_READ | PROT_WRITE"
        sections.append(LightSection(m.ident, members, _c_string_body(info.initial),
                                     mmap_size(info), prot))
        if m.mmapable:
            asserts += [AssertEntry(m.ident, v.name, v.size, v.offset) for v in m.public_vars]
    progs = [LightProg(p.name, *_attach_expression(p)) for p in loader.progs]
    if progs:
        ctx_end = f"offsetof(struct {name}, links)"
    elif maps:
        ctx_end = f"offsetof(struct {name}, maps) + sizeof(skel->maps)"
    else:
        ctx_end = "sizeof(struct bpf_loader_ctx)"
    return {
        "name": name,
        "guard": f"__{name.upper()}_SKEL_H__",
        "maps": maps,
        "progs": progs,
        "sections": sections,
        "asserts": asserts,
        "ctx_end": ctx_end,
        "page_size": page_size(),
        "loader_data": _c_string_body(loader.data),
        "loader_insns": _c_string_body(loader.insns),
    }


def _match_maps(obj: BpfObject, infos: list[MapInfo]) -> list[Map]:
    """The model's map for each of libbpf's, which must be the same maps in one order."""
    def describe(maps: list[str]) -> str:
        return ", ".join(maps) or "none"

    ours = [m.lookup_name for m in obj.maps]
    theirs = [i.name for i in infos]
    if len(ours) == len(theirs):
        for info, m in zip(infos, obj.maps):
            internal = m.kind in (MapKind.DATA, MapKind.KCONFIG)
            if info.internal != internal or (not internal and info.name != m.lookup_name):
                break
            if m.kind == MapKind.KCONFIG and not info.name.endswith(".kconfig"):
                break
        else:
            return obj.maps
    raise CorruptData(f"libbpf's maps ({describe(theirs)}) are not bpfsubskel's "
                      f"({describe(ours)}); please report this object")


def _match_progs(obj: BpfObject, infos: list[ProgInfo]) -> None:
    ours = [p.name for p in obj.programs]
    theirs = [p.name for p in infos]
    if ours != theirs:
        raise CorruptData(f"libbpf's programs ({', '.join(theirs)}) are not bpfsubskel's "
                          f"({', '.join(ours)}); please report this object")


def _attach_expression(p: ProgInfo) -> tuple[str, bool]:
    """bpftool's auto-attach: raw_tp, tracing and LSM programs; others left to the user
    (and so is a `raw_tp` section naming no tracepoint, where bpftool prints garbage)."""
    if p.type == BPF_PROG_TYPE_RAW_TRACEPOINT and "/" in p.section:
        tp_name = p.section.split("/", 1)[1]
        if tp_name:
            return f"skel_raw_tracepoint_open({_c_string(tp_name)}, prog_fd)", False
    if p.type in (BPF_PROG_TYPE_TRACING, BPF_PROG_TYPE_LSM):
        if p.expected_attach_type == BPF_TRACE_ITER:
            return "skel_link_create(prog_fd, 0, BPF_TRACE_ITER)", False
        return "skel_raw_tracepoint_open(NULL, prog_fd)", False
    return "((void)prog_fd, 0)", True


def _c_string(text: str) -> str:
    """A C string literal: printable ASCII as is (but `"`, `\\`, `?`), the rest escaped."""
    out = []
    for byte in text.encode():
        ch = chr(byte)
        out.append(ch if " " <= ch <= "~" and ch not in '"\\?' else f"\\{byte:03o}")
    return '"' + "".join(out) + '"'


def generate(obj: BpfObject, name: str, loader: Optional[Loader] = None) -> str:
    if loader is None:
        loader = make_loader(obj, name)
    return render.render("lskel.h.j2", **build_context(obj, name, loader))


def make_loader(obj: BpfObject, name: str) -> Loader:
    """libbpf's loader for the object, opened as `name` (it names the kernel maps),
    generated in a child process (see libbpf.isolated)."""
    refuse_unsupported_checked(obj)
    return isolated(obj.path, "generating the loader",
                    lambda: Libbpf(obj.path).gen_loader(obj.data, name))


def refuse_unsupported_checked(obj: BpfObject) -> None:
    try:
        refuse_unsupported(obj)
    except CorruptData as e:
        raise InputError(obj.path, str(e)) from None


def command(args: argparse.Namespace) -> int:
    from .cli import fail, finish, load_object, object_name, warn
    from .errors import reading

    name = object_name(args.name, args.object)
    obj = load_object(args.object, args.werror)
    refuse_unsupported_checked(obj)
    warnings = light_warnings(obj)
    for w in warnings:
        warn(args.object, w)
    if args.werror and warnings:
        fail(args.object, "warnings treated as errors (--werror)")
    loader = make_loader(obj, name)
    with reading(args.object):
        header = generate(obj, name, loader)
    finish(args.output, header, args.depfile, [args.object])
    return 0
