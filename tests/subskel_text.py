"""Enumerating the members of a generated subskeleton header (ours or bpftool's).

This is deliberately simple text parsing, used only to *list names*: which variables
structs exist, which members they have, which maps and programs, and the runtime
lookup strings. Whether the members are right is then checked by compilers
(test_compile.py, test_differential.py) and against the ELF object, never by
comparing header text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from elftools.elf.elffile import ELFFile

_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_TRAILING_NAME = re.compile(r"(\w+)\s*(?:\[\s*\d*\s*\]\s*)*$")
_POINTER_MEMBER = re.compile(r"^(.*?)\*\s*(\w+)\s*$", re.S)
# `int (*name)[4]`, `int (**name)(void)`: a pointer declarator in parentheses.
_POINTER_DECLARATOR = re.compile(r"\(\s*\*(\**)\s*(\w+)\s*\)")
_VAR_LOOKUP = re.compile(r'\bs->vars\[\d+\]\.name\s*=\s*"([^"]*)"')
_MAP_LOOKUP = re.compile(r'(?:\bs->maps\[\d+\]\.|\bmap->)name\s*=\s*"([^"]*)"')
_PROG_LOOKUP = re.compile(r'\bs->progs\[\d+\]\.name\s*=\s*"([^"]*)"')


@dataclass
class Member:
    name: str
    decl: str  # text of the statement without the trailing ` *name` (the pointee type)
    statement: str


@dataclass
class Header:
    name: str
    maps: list[str] = field(default_factory=list)
    progs: list[str] = field(default_factory=list)
    # section identifier -> members, in header order
    var_structs: dict[str, list[Member]] = field(default_factory=dict)
    var_lookups: list[str] = field(default_factory=list)
    map_lookups: list[str] = field(default_factory=list)
    prog_lookups: list[str] = field(default_factory=list)
    duplicate_members: list[str] = field(default_factory=list)
    # struct_ops shadow types: map ident -> (struct tag, [(member name, statement)])
    struct_ops: dict[str, tuple[str, list[tuple[str, str]]]] = field(default_factory=dict)

    def all_vars(self) -> list[tuple[str, Member]]:
        return [(sec, m) for sec, members in self.var_structs.items() for m in members]


def strip_comments(text: str) -> str:
    return _COMMENT.sub(" ", text)


def statements(body: str) -> list[str]:
    """Split a struct body into its top-level `...;` statements (nested braces kept)."""
    out: list[str] = []
    depth = 0
    current: list[str] = []
    for ch in body:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        if ch == ";" and depth == 0:
            stmt = "".join(current).strip()
            if stmt:
                out.append(stmt)
            current = []
        else:
            current.append(ch)
    return out


def braced_body(text: str, open_index: int) -> tuple[str, int]:
    """The text between the `{` at open_index and its matching `}`, and the `}` index."""
    depth = 0
    for i in range(open_index, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[open_index + 1 : i], i
    raise ValueError("unbalanced braces")


def trailing_name(statement: str) -> str | None:
    m = _TRAILING_NAME.search(statement)
    return m.group(1) if m else None


def _pointer_members(body: str) -> tuple[list[Member], list[str]]:
    members: list[Member] = []
    seen: set[str] = set()
    dups: list[str] = []
    for stmt in statements(body):
        m = _POINTER_MEMBER.match(stmt)
        if m:
            decl, name = m.group(1).strip(), m.group(2)
        else:
            d = _POINTER_DECLARATOR.search(stmt)
            if not d:
                raise ValueError(f"not a pointer member: {stmt!r}")
            # The pointee's type name: drop one '*' and the name, `int (*)(void)`, `int [4]`.
            inner = f"({d.group(1)})" if d.group(1) else ""
            decl, name = (stmt[: d.start()] + inner + stmt[d.end():]).strip(), d.group(2)
        if name in seen:
            dups.append(name)
        seen.add(name)
        members.append(Member(name, decl, stmt))
    return members, dups


def parse(text: str, name: str) -> Header:
    """Enumerate `struct NAME { ... };` of a subskeleton header."""
    text = strip_comments(text)
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    header = Header(name)
    start = re.search(rf"\bstruct\s+{re.escape(name)}\s*\{{", text)
    if not start:
        raise ValueError(f"no 'struct {name} {{' in the header")
    body, _ = braced_body(text, start.end() - 1)
    for stmt in statements(body):
        if stmt.startswith("static") or "{" not in stmt:
            continue  # C++ member declarations, obj/subskel pointers
        ident = trailing_name(stmt)
        if ident is None:
            raise ValueError(f"unnamed member block: {stmt[:60]!r}")
        inner, _ = braced_body(stmt, stmt.index("{"))
        if ident == "struct_ops":
            for shadow in statements(inner):
                tag = re.match(r"struct\s+(\w+)\s*\{", shadow)
                body, _ = braced_body(shadow, shadow.index("{"))
                header.struct_ops[trailing_name(shadow) or ""] = (
                    tag.group(1) if tag else "",
                    [(trailing_name(re.sub(r"\[\d+\]$", "", x)) or "", x)
                     for x in statements(body)])
            continue
        members, dups = _pointer_members(inner)
        header.duplicate_members += [f"{ident}.{d}" for d in dups]
        if ident == "maps":
            header.maps += [m.name for m in members]
        elif ident == "progs":
            header.progs += [m.name for m in members]
        else:
            if ident in header.var_structs or ident in ("maps", "progs"):
                header.duplicate_members.append(ident)
            header.var_structs.setdefault(ident, []).extend(members)
    header.var_lookups = _VAR_LOOKUP.findall(text)
    header.map_lookups = _MAP_LOOKUP.findall(text)
    header.prog_lookups = _PROG_LOOKUP.findall(text)
    return header


def parse_file(path: Path, name: str) -> Header:
    return parse(path.read_text(), name)


def has_inline_aggregate(decl: str) -> bool:
    """Whether a declaration defines an anonymous struct/union inline (never compatible
    with another such definition in the same translation unit)."""
    return re.search(r"\b(?:struct|union)\s*\{", decl) is not None


def inline_aggregate_fields(decl: str) -> list[tuple[str, bool, bool]] | None:
    """Top-level fields of an anonymous `struct {...}`/`union {...}` pointee type.

    Returns [(field name, is_bitfield, field type defines an inline aggregate)],
    descending into unnamed nested aggregates (their fields are accessed directly),
    or None if `decl` is not an inline anonymous aggregate.
    """
    m = re.match(r"^(?:const\s+|volatile\s+)*(struct|union)\s*\{", decl)
    if not m:
        return None
    body, end = braced_body(decl, m.end() - 1)
    if re.search(r"[*\[(]", re.sub(r"__attribute__\(\(\w+\)\)", "", decl[end + 1 :])):
        return None  # a pointer to / array of the aggregate, not the aggregate
    return _fields(body)


def _fields(body: str) -> list[tuple[str, bool, bool]]:
    out: list[tuple[str, bool, bool]] = []
    for stmt in statements(body):
        if stmt.endswith("}"):  # unnamed nested struct/union
            inner, _ = braced_body(stmt, stmt.index("{"))
            out += _fields(inner)
            continue
        bitfield = re.search(r":\s*\d+\s*$", stmt) is not None
        core = re.sub(r":\s*\d+\s*$", "", stmt).strip()
        name = trailing_name(core)
        if name is None or "(" in core:
            continue  # padding (`long: 0`) or a declarator we do not need to name
        if bitfield and re.fullmatch(r"\w+", core):
            continue  # anonymous padding bit-field such as `int: 24`
        out.append((name, bitfield, has_inline_aggregate(core)))
    return out


# -- the ELF object's own view (independent of any generator) ------------------------------


@dataclass
class ElfVar:
    name: str
    section: str
    offset: int
    size: int
    hidden: bool


DATA_PREFIXES = (".data", ".rodata", ".bss")


def is_data_section_name(name: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in DATA_PREFIXES)


def elf_data_sections(obj: Path) -> list[str]:
    """Sections libbpf turns into internal maps, in section-index order."""
    out = []
    with obj.open("rb") as f:
        elf = ELFFile(f)
        for sec in elf.iter_sections():
            if not is_data_section_name(sec.name) or sec["sh_size"] == 0:
                continue
            if sec.name.startswith(".bss") and sec["sh_type"] != "SHT_NOBITS":
                continue
            if not sec.name.startswith(".bss") and (
                sec["sh_type"] != "SHT_PROGBITS" or sec["sh_flags"] & 0x4
            ):
                continue
            out.append(sec.name)
    return out


def elf_global_vars(obj: Path) -> list[ElfVar]:
    """GLOBAL/WEAK OBJECT symbols defined in data sections."""
    out = []
    with obj.open("rb") as f:
        elf = ELFFile(f)
        symtab = elf.get_section_by_name(".symtab")
        for sym in symtab.iter_symbols():
            if sym["st_info"]["type"] != "STT_OBJECT":
                continue
            if sym["st_info"]["bind"] not in ("STB_GLOBAL", "STB_WEAK"):
                continue
            shndx = sym["st_shndx"]
            if not isinstance(shndx, int):
                continue
            sec = elf.get_section(shndx).name
            if not is_data_section_name(sec):
                continue
            vis = sym["st_other"]["visibility"]
            out.append(ElfVar(sym.name, sec, sym["st_value"], sym["st_size"],
                              vis in ("STV_HIDDEN", "STV_INTERNAL")))
    return out


def elf_section_names(obj: Path) -> list[str]:
    with obj.open("rb") as f:
        return [s.name for s in ELFFile(f).iter_sections()]


def section_ident(section: str) -> str:
    """`.data.my-sec` -> `data_my_sec` (the documented identifier rule)."""
    return re.sub(r"[^A-Za-z0-9_]", "_", section[1:])
