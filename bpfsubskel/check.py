"""`bpfsubskel check`: is a BPF library compatible with one final object that links it?

Everything is decided from ELF and BTF, following what libbpf does when the library's
subskeleton is opened on the final object: maps and programs are found by name
(missing: ESRCH), each variable binds to the *first* same-named VAR of its section in
BTF offset order (missing: a silent NULL; a static one: the wrong variable), at the
*BTF* offset (stale after a single link that overrode a __weak definition).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import NamedTuple, Optional

from .btf import MAX_RESOLVE_DEPTH, MODIFIERS, Btf, BtfType, Kind
from .errors import InputError
from .model import BpfObject, Map, MapKind, Var, refuse_subskeleton_problem, refuse_unopenable

HELP = "check statically that a BPF library works inside a final BPF object"
DESCRIPTION = """\
Check that a BPF library's subskeleton will bind correctly inside a final object
that links the library, from the two objects' ELF and BTF alone:

    bpfsubskel check counters.bpf.o syscalls.bpf.o

Errors (exit status 1, one `FINAL: error: ...` line each, all reported): a library
variable, map or program missing from the final object; a different type layout;
a same-named static variable libbpf would bind to instead; a stale BTF offset.
Notes (only with --verbose, never errors, not even with --werror): a library __weak
default overridden with a different value, which is what __weak is for.
A compatible pair prints nothing and exits 0 (and touches --stamp, for build
systems). Unreadable input, or a final object libbpf cannot open (unresolved externs),
exits 2.
"""

_SCALARS = frozenset({Kind.INT, Kind.ENUM, Kind.ENUM64})


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("library", metavar="LIB.bpf.o", help="the BPF library object")
    parser.add_argument("final", metavar="FINAL.bpf.o", help="a final object linking it")
    parser.add_argument("--werror", action="store_true", help="treat warnings as errors")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="also print notes (a __weak default the final object overrides)")
    parser.add_argument("--stamp", metavar="S",
                        help="touch S when the pair is compatible (a build-system stamp)")
    parser.add_argument("--depfile", metavar="D",
                        help="write a gcc-style depfile for S (needs --stamp)")


class Diagnostic(NamedTuple):
    severity: str  # "error", "warning" or "note" (shown with --verbose only)
    message: str


def check(lib: BpfObject, final: BpfObject) -> list[Diagnostic]:
    """All problems of the pair, errors and warnings, in library order."""
    found: list[Diagnostic] = []
    final_maps = {m.lookup_name: m for m in final.maps}
    for m in lib.maps:
        if m.kind in (MapKind.BTF, MapKind.STRUCT_OPS):
            found += _check_map(lib, final, m, final_maps.get(m.lookup_name))
    # One comparison for all variables: thousands of them share a few types.
    layouts = _Comparison(lib.btf, final.btf, deep_pointers=False)
    for m in lib.var_maps:
        found += _check_section(lib, final, m, final_maps.get(m.lookup_name), layouts)
    final_programs = {p.name for p in final.programs}
    for p in lib.programs:
        if p.name not in final_programs:
            found.append(Diagnostic(
                "error", f"program '{p.name}' of the library is missing; opening the "
                         "subskeleton fails with ESRCH (link the current library build)"))
    return found


def _check_map(lib: BpfObject, final: BpfObject, m: Map, fm: Optional[Map]) -> list[Diagnostic]:
    if fm is None:
        return [Diagnostic("error", f"map '{m.lookup_name}' of the library is missing; opening "
                                    "the subskeleton fails with ESRCH")]
    if m.extern or fm.extern:
        return []
    diff = layout_difference(lib.btf, lib.btf[m.btf_type_id].type, final.btf,
                             final.btf[fm.btf_type_id].type, deep_pointers=True)
    if diff:
        return [Diagnostic("error", f"map '{m.lookup_name}' is defined differently: {diff}")]
    return []


def _check_section(lib: BpfObject, final: BpfObject, m: Map, fm: Optional[Map],
                   layouts: _Comparison) -> list[Diagnostic]:
    where = f"in '{m.section}'"
    if fm is None:
        names = ", ".join(v.name for v in m.public_vars)
        return [Diagnostic("error", f"section '{m.section}' of the library is missing (its "
                                    f"variables: {names}); opening the subskeleton fails "
                                    "with ESRCH (link the current library build)")]
    found = []
    # libbpf scans the DATASEC in BTF offset order and binds the first name match.
    first_by_name: dict[str, Var] = {}
    for v in sorted(fm.vars, key=lambda v: v.btf_offset):
        first_by_name.setdefault(v.name, v)
    public_names = {v.name for v in fm.vars if v.is_public}
    for var in m.public_vars:
        bound = first_by_name.get(var.name)
        if bound is None:
            found.append(Diagnostic(
                "error", f"variable '{var.name}' {where} of the library is missing; the "
                         "subskeleton's pointer will be NULL (link the current library build)"))
            continue
        if not bound.is_public and var.name not in public_names:
            found.append(Diagnostic(
                "error", f"variable '{var.name}' {where} of the library is missing; libbpf "
                         "binds the subskeleton to a static (or hidden) variable of the same "
                         "name instead (link the current library build)"))
            continue
        if not bound.is_public:
            found.append(Diagnostic(
                "error", f"variable '{var.name}' {where}: libbpf binds the subskeleton to a "
                         "static (or hidden) variable of the same name in this object, not to "
                         "the library's; rename one of them"))
            continue
        diff = layouts.diff(var.type_id, bound.type_id, "", 0)
        if diff:
            found.append(Diagnostic(
                "error", f"variable '{var.name}' {where} has a different type here: {diff}"))
        if fm.kind == MapKind.DATA and bound.btf_offset != bound.offset:
            found.append(Diagnostic(
                "error", f"variable '{var.name}' {where}: BTF offset {bound.btf_offset} "
                         f"disagrees with its symbol at {bound.offset}, so the subskeleton "
                         "reads a stale copy (a weak override from a single static link); "
                         "link the final object with bpfsubskel link"))
        found += _check_weak_default(m, fm, var, bound)
    return found


def _check_weak_default(m: Map, fm: Map, var: Var, bound: Var) -> list[Diagnostic]:
    if not var.weak or bound.weak or m.kind != MapKind.DATA:
        return []
    ours, theirs = m.initial_value(var), fm.initial_value(bound)
    if ours == theirs:
        return []
    return [Diagnostic(
        "note", f"__weak variable '{var.name}' in '{m.section}': the library's default "
                   f"({_show(ours)}) is overridden here by a definition with initial value "
                   f"{_show(theirs)}")]


def _show(value: bytes) -> str:
    if len(value) in (1, 2, 4, 8):
        return str(int.from_bytes(value, "little", signed=True))
    return "0x" + value.hex()


# -- type layouts ---------------------------------------------------------------------------

def layout_difference(btf_a: Btf, a: int, btf_b: Btf, b: int, *, deep_pointers: bool = False
                      ) -> Optional[str]:
    """How two types' memory layouts differ (size, member offsets, element types), or None.

    Names of types and typedefs do not matter, only what userspace reads through them.
    With `deep_pointers`, pointed-to types are compared too (BTF map definitions encode
    type, key, value and max_entries in pointer members).
    """
    return _Comparison(btf_a, btf_b, deep_pointers).diff(a, b, "", 0)


class _Comparison:
    def __init__(self, btf_a: Btf, btf_b: Btf, deep_pointers: bool) -> None:
        self.a, self.b = btf_a, btf_b
        self.deep_pointers = deep_pointers
        self.in_progress: set[tuple[int, int]] = set()
        # Pairs found to have the same layout. Only without deep pointers: following
        # pointers, a pair can look equal only because a recursive comparison was cut.
        self.same: set[tuple[int, int]] = set()

    def diff(self, a_id: int, b_id: int, path: str, depth: int) -> Optional[str]:
        ta, tb = _resolve(self.a, a_id), _resolve(self.b, b_id)
        pair = (ta.id, tb.id)
        if depth > MAX_RESOLVE_DEPTH or pair in self.in_progress or pair in self.same:
            return None  # recursive types: compared once
        self.in_progress.add(pair)
        try:
            found = self._diff(ta, tb, path, depth)
        finally:
            self.in_progress.discard(pair)
        if found is None and not self.deep_pointers:
            self.same.add(pair)
        return found

    def _diff(self, ta: BtfType, tb: BtfType, path: str, depth: int) -> Optional[str]:
        where = f"{path}: " if path else ""
        if ta.kind in _SCALARS and tb.kind in _SCALARS:
            return None if ta.size == tb.size else (
                f"{where}{_describe(ta)} in the library, {_describe(tb)} here")
        if ta.kind != tb.kind:
            return f"{where}{_describe(ta)} in the library, {_describe(tb)} here"
        kind = ta.kind
        if kind == Kind.FLOAT and ta.size != tb.size:
            return f"{where}{_describe(ta)} in the library, {_describe(tb)} here"
        if kind == Kind.PTR:
            return self.diff(ta.type, tb.type, f"*{path}", depth + 1) if self.deep_pointers \
                else None
        if kind == Kind.ARRAY:
            if ta.nelems != tb.nelems:
                return f"{where}{ta.nelems} elements in the library, {tb.nelems} here"
            return self.diff(ta.elem_type, tb.elem_type, f"{path}[]", depth + 1)
        if kind in (Kind.STRUCT, Kind.UNION):
            if ta.size != tb.size:
                return f"{where}{_describe(ta)} in the library, {_describe(tb)} here"
            if len(ta.members) != len(tb.members):
                return (f"{where}{len(ta.members)} members in the library, "
                        f"{len(tb.members)} here")
            for ma, mb in zip(ta.members, tb.members):
                member = f"{path}.{ma.name}" if path else f".{ma.name}"
                if ma.name != mb.name:
                    return f"{where}member '{ma.name}' in the library, '{mb.name}' here"
                if (ma.bit_offset, ma.bitfield_size) != (mb.bit_offset, mb.bitfield_size):
                    return (f"{member}: at bit {ma.bit_offset} in the library, "
                            f"bit {mb.bit_offset} here")
                found = self.diff(ma.type, mb.type, member, depth + 1)
                if found:
                    return found
        if kind == Kind.FWD and (ta.name, ta.kflag) != (tb.name, tb.kflag):
            return f"{where}{_describe(ta)} in the library, {_describe(tb)} here"
        return None


def _resolve(btf: Btf, type_id: int) -> BtfType:
    t = btf[type_id]
    for _ in range(MAX_RESOLVE_DEPTH):
        if t.kind in MODIFIERS or t.kind == Kind.TYPEDEF:
            t = btf[t.type]
        else:
            break
    return t


def _describe(t: BtfType) -> str:
    names = {Kind.STRUCT: "struct", Kind.UNION: "union", Kind.ENUM: "enum",
             Kind.ENUM64: "enum", Kind.FWD: "struct"}
    if t.kind in names:
        label = f"{names[t.kind]} {t.name}" if t.name else f"anonymous {names[t.kind]}"
    elif t.kind == Kind.PTR:
        label = "a pointer"
    elif t.kind == Kind.ARRAY:
        label = "an array"
    elif t.kind == Kind.FUNC_PROTO:
        label = "a function"
    else:
        label = t.name or t.kind.name.lower()
    return f"{label} ({t.size} bytes)" if t.kind in _SCALARS or t.kind in (
        Kind.STRUCT, Kind.UNION, Kind.FLOAT) else label


def command(args: argparse.Namespace) -> int:
    from .model import load

    if args.depfile and not args.stamp:
        raise InputError(args.depfile, "--depfile names the dependencies of --stamp; pass both")
    lib, final = load(args.library), load(args.final)
    refuse_subskeleton_problem(lib, args.library)
    refuse_unopenable(final, args.final)  # the same rule as `skel`
    if not report(check(lib, final), args.library, args.final, args.werror, args.verbose):
        return 1
    if args.stamp:
        _touch(args.stamp, args.depfile, [args.library, args.final])
    return 0


def report(found: list[Diagnostic], library: str, final: str, werror: bool,
           verbose: bool = False) -> bool:
    """Print the diagnostics of one pair on stderr (notes only when `verbose`); True when
    none is an error (or, with `werror`, a warning)."""
    from .names import shown

    for d in found:
        if d.severity != "note" or verbose:
            print(shown(f"{final}: {d.severity}: {d.message} [library {library}]"),
                  file=sys.stderr)
    return not any(d.severity == "error" or (werror and d.severity == "warning")
                   for d in found)


def touch_stamps(stamps: list[str]) -> None:
    """A stamp is always touched once written (its age is what the build tool compares)."""
    for stamp in stamps:
        os.utime(stamp)


def _touch(stamp: str, depfile: Optional[str], inputs: list[str]) -> None:
    """A stamp is always touched (its age is what the build tool compares)."""
    from .cli import finish

    finish(stamp, b"", depfile, inputs)
    touch_stamps([stamp])
