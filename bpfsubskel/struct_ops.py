"""struct_ops "shadow" types, as bpftool >= 7.4 prints them (gen.c walk_st_ops_shadow_vars).

Both skeletons and subskeletons declare, for each struct_ops map, a struct with the
layout of the map's value type, which `bpf_map__initial_value()` points at after open
(libbpf >= 1.4): function-pointer members become `struct bpf_program *`, scalars keep
their type (modifiers and typedefs skipped), anything else is opaque bytes.

Differences from bpftool: bit-field members (bpftool prints them as whole integers, at an
offset it reads without masking the bit-field size) are left to the padding; member
names are checked like every other printed name.
"""

from __future__ import annotations

from typing import NamedTuple

from .btf import Kind
from .cdecl import DeclPrinter
from .errors import CorruptData
from .model import BpfObject, Map
from .names import identifier_problem

_SCALARS = frozenset({Kind.INT, Kind.FLOAT, Kind.ENUM, Kind.ENUM64})
_INDENT = 3


class Shadow(NamedTuple):
    ident: str  # the map's identifier: `struct_ops.<ident>`, `maps.<ident>`, `links.<ident>`
    tag: str  # struct tag: <obj>__<map>__<value type name>
    members: list[str]  # declarations without the `;`


def shadows(obj: BpfObject, obj_name: str) -> list[Shadow]:
    """One shadow type per struct_ops map, in map order."""
    printer = DeclPrinter(obj.btf, strip_mods=True)
    return [_shadow(obj, printer, obj_name, m) for m in obj.struct_ops_maps]


def _shadow(obj: BpfObject, printer: DeclPrinter, obj_name: str, m: Map) -> Shadow:
    btf = obj.btf
    value = btf[m.value_type_id]
    problem = identifier_problem(value.name)
    if problem:
        raise CorruptData(f"struct_ops map '{m.ident}': its type name '{value.name}' {problem}")
    members: list[str] = []
    names: list[str] = []
    next_offset = 0
    for i, member in enumerate(value.members):
        if member.bitfield_size:
            continue  # its bytes become padding before the next member or at the end
        offset = member.bit_offset // 8
        if next_offset < offset:
            names.append(f"__padding_{i}")
            members.append(f"char __padding_{i}[{offset - next_offset}]")
        resolved = btf.skip_modifiers(member.type, typedefs=True)
        if member.name and resolved.kind in _SCALARS:
            members.append(printer.decl(resolved.id, member.name, _INDENT))
            names.append(member.name)
            next_offset = offset + btf.resolve_size(resolved.id)
        elif member.name and _is_func_ptr(obj, member.type):
            members.append(f"struct bpf_program *{member.name}")
            names.append(member.name)
            next_offset = offset + btf.ptr_size
        else:
            names.append(f"__unsupported_{i}")
            members.append(f"char __unsupported_{i}[{btf.resolve_size(member.type)}]")
            next_offset = offset + btf.resolve_size(member.type)
    if next_offset < value.size:
        names.append("__padding_end")
        members.append(f"char __padding_end[{value.size - next_offset}]")
    _check_names(m, value.name, names)
    return Shadow(m.ident, f"{obj_name}__{m.ident}__{value.name}", members)


def _is_func_ptr(obj: BpfObject, type_id: int) -> bool:
    """bpftool's resolve_func_ptr: a pointer (modifiers, typedefs skipped) to a prototype."""
    t = obj.btf.skip_modifiers(type_id, typedefs=True)
    return t.kind == Kind.PTR and \
        obj.btf.skip_modifiers(t.type, typedefs=True).kind == Kind.FUNC_PROTO


def _check_names(m: Map, type_name: str, names: list[str]) -> None:
    seen: set[str] = set()
    for name in names:
        problem = identifier_problem(name)
        if problem:
            raise CorruptData(
                f"struct_ops map '{m.ident}': member '{name}' of struct {type_name} {problem}"
            )
        if name in seen:
            raise CorruptData(
                f"struct_ops map '{m.ident}': struct {type_name} has a member named "
                f"'{name}', the name the generated shadow type gives padding; rename it"
            )
        seen.add(name)
