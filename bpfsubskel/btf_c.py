"""Every type of a BTF as one C header: libbpf's btf_dump__dump_type, as bpftool uses it.

`bpftool btf dump file F format c` calls btf_dump__dump_type() for each type (in id
order up to bpftool 7.4; sorted by name from 7.5 unless `unsorted`), then, from 7.5,
declares the kernel's kfuncs. This module does the same, with the same rules:

* ordering: a depth-first topological sort where an embedded type (or an anonymous
  one, defined inline) must be complete before its container, while a named struct or
  union reached through a pointer only needs a forward declaration (btf_dump_order_type);
* emission: forward declarations exactly where btf_dump prints them, typedefs that
  double as forward declarations, anonymous types inline, top-level anonymous enums for
  enums nothing refers to (btf_dump_emit_type);
* names: a second struct/union/enum of one name is printed `name___2`, a second typedef
  or enumerator of one identifier likewise, counted in printing order, as btf_dump does;
* text: cdecl.DeclPrinter's declarations, with libbpf's spellings (`_Bool`, inline
  anonymous enums, `btf_type_tag("...")` for every type tag as libbpf 1.5 prints it).

Functions and parameters with no arguments print `(void)` (libbpf >= 1.5; bpftool 7.1's
libbpf 1.1 printed `()`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .btf import Btf, BtfType, Kind
from .cdecl import DeclPrinter
from .errors import CorruptData
from .names import C_KEYWORDS

_ORDERING, _ORDERED = 1, 2
_EMITTING, _EMITTED = 1, 2
_MASK64 = (1 << 64) - 1
_MAX_RANK = 10

# GCC's Arm SIMD typedefs point at these internal INT names (btf_dump's missing_base_types).
_MISSING_BASE_TYPES = {
    "__Poly8_t": "unsigned char",
    "__Poly16_t": "unsigned short",
    "__Poly64_t": "unsigned long long",
    "__Poly128_t": "unsigned __int128",
}
_COMPOSITE = (Kind.STRUCT, Kind.UNION)
_MODIFIER_KINDS = (Kind.VOLATILE, Kind.CONST, Kind.RESTRICT, Kind.TYPE_TAG)
_REF_KINDS = (Kind.TYPE_TAG, Kind.CONST, Kind.PTR, Kind.VOLATILE, Kind.RESTRICT, Kind.TYPEDEF,
              Kind.DECL_TAG)

KFUNC_DECL_TAG = "bpf_kfunc"
FASTCALL_DECL_TAG = "bpf_fastcall"

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# INT and FLOAT names are C type names: `long unsigned int`, `__int128 unsigned`, `_Bool`.
_BASE_TYPE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*( [A-Za-z_][A-Za-z0-9_]*)*\Z")
# A type tag is printed inside a string literal (or as an attribute): no quotes,
# backslashes or control characters.
_TAG_TEXT = re.compile(r"[ -!#-\[\]-~]+\Z")


class HeaderEmitter(DeclPrinter):
    """Prints C definitions of BTF types with btf_dump's ordering and naming.

    One instance per output: like a `struct btf_dump`, it remembers which types it has
    already emitted and which names it has handed out.
    """

    C_ONLY = True  # vmlinux.h is C for BPF programs: the kernel's `private`, `class`

    def __init__(self, btf: Btf) -> None:
        super().__init__(btf, strip_mods=False)
        count = len(btf)
        self._types = btf.types
        self._order = bytearray(count)
        self._emit = bytearray(count)
        self._fwd_emitted = bytearray(count)
        self._order[0] = _ORDERED
        self._emit[0] = _EMITTED
        self._referenced = _referenced(btf.types)
        self._names: dict[int, str] = {}
        self._type_names: dict[str, int] = {}
        self._ident_names: dict[str, int] = {}
        self._queue: list[int] = []
        self.out: list[str] = []

    # -- btf_dump__dump_type --------------------------------------------------------------

    def dump_type(self, type_id: int) -> None:
        """Emit `type_id` and every type it needs that is not emitted yet."""
        self._queue = []
        self._order_type(type_id, False)
        for queued in self._queue:
            self._emit_type(queued, 0)

    def _order_type(self, type_id: int, through_ptr: bool) -> int:
        """1: a strong link (needs the complete type), 0: a forward declaration is enough."""
        order = self._order
        state = order[type_id]
        if state == _ORDERED:
            return 1
        t = self._types[type_id]
        kind = t.kind
        if state == _ORDERING:
            if kind in _COMPOSITE and through_ptr and t.name:
                return 0
            raise CorruptData(f"BTF type [{type_id}] is part of an unsatisfiable type cycle")
        if kind in _MODIFIER_KINDS:
            return self._order_type(t.type, through_ptr)
        if kind == Kind.PTR:
            strong = self._order_type(t.type, True)
            order[type_id] = _ORDERED
            return strong
        if kind in _COMPOSITE:
            if through_ptr and t.name:
                return 0
            order[type_id] = _ORDERING
            for m in t.members:
                self._order_type(m.type, False)
            if t.name:
                self._queue.append(type_id)
            order[type_id] = _ORDERED
            return 1
        if kind == Kind.TYPEDEF:
            strong = self._order_type(t.type, through_ptr)
            if through_ptr and not strong:
                return 0
            self._queue.append(type_id)
            order[type_id] = _ORDERED
            return 1
        if kind == Kind.ARRAY:
            return self._order_type(t.elem_type, False)
        if kind in (Kind.ENUM, Kind.ENUM64, Kind.FWD):
            if t.name or not self._referenced[type_id]:
                self._queue.append(type_id)
            order[type_id] = _ORDERED
            return 1
        if kind == Kind.FUNC_PROTO:
            strong = self._order_type(t.type, through_ptr) > 0
            for p in t.params:
                if self._order_type(p.type, through_ptr) > 0:
                    strong = True
            return int(strong)
        if kind in (Kind.INT, Kind.FLOAT):
            order[type_id] = _ORDERED
            return 0
        # FUNC, VAR, DATASEC, DECL_TAG: nothing to define.
        order[type_id] = _ORDERED
        return 0

    def _emit_type(self, type_id: int, cont_id: int) -> None:
        """btf_dump_emit_type: print what `type_id` needs, then `type_id` if top-level."""
        state = self._emit[type_id]
        if state == _EMITTED:
            return
        t = self._types[type_id]
        kind = t.kind
        out = self.out
        if state == _EMITTING:
            if self._fwd_emitted[type_id]:
                return
            if kind in _COMPOSITE:
                if type_id == cont_id:  # a struct referring to itself needs no declaration
                    return
                if not t.name:
                    raise CorruptData(f"BTF type [{type_id}]: anonymous struct/union loop")
                out.append(self._struct_fwd(t) + ";\n\n")
                self._fwd_emitted[type_id] = 1
            elif kind == Kind.TYPEDEF:
                # The typedef serves as the declaration for references through pointers.
                if not _blacklisted(t):
                    out.append(self._typedef_def(t) + ";\n\n")
                self._fwd_emitted[type_id] = 1
            return

        if kind in _MODIFIER_KINDS or kind == Kind.PTR:
            self._emit_type(t.type, cont_id)
        elif kind == Kind.ARRAY:
            self._emit_type(t.elem_type, cont_id)
        elif kind in _COMPOSITE:
            self._emit[type_id] = _EMITTING
            top_level = cont_id == 0
            if top_level or not t.name:
                # Its members are printed here (top level) or inline in the container:
                # whatever they need must come first.
                new_cont = type_id if t.name else cont_id
                for m in t.members:
                    self._emit_type(m.type, new_cont)
            elif not self._fwd_emitted[type_id] and type_id != cont_id:
                out.append(self._struct_fwd(t) + ";\n\n")
                self._fwd_emitted[type_id] = 1
            if top_level:
                out.append(self.struct_def(t, 0) + ";\n\n")
                self._emit[type_id] = _EMITTED
            else:
                self._emit[type_id] = 0
        elif kind == Kind.TYPEDEF:
            self._emit[type_id] = _EMITTING
            self._emit_type(t.type, type_id)
            if not self._fwd_emitted[type_id] and not _blacklisted(t):
                out.append(self._typedef_def(t) + ";\n\n")
            self._emit[type_id] = _EMITTED
        elif kind in (Kind.ENUM, Kind.ENUM64):
            if cont_id == 0:
                out.append(self._enum_def(t, 0) + ";\n\n")
            self._emit[type_id] = _EMITTED
        elif kind == Kind.FWD:
            out.append(self._fwd_def(t) + ";\n\n")
            self._emit[type_id] = _EMITTED
        elif kind == Kind.FUNC_PROTO:
            self._emit_type(t.type, cont_id)
            for p in t.params:
                self._emit_type(p.type, cont_id)
        elif kind == Kind.INT:
            alias = _MISSING_BASE_TYPES.get(self.type_name(t))
            if alias:
                out.append(f"typedef {alias} {t.name};\n\n")
            self._emit[type_id] = _EMITTED

    # -- definitions ----------------------------------------------------------------------

    def _struct_fwd(self, t: BtfType) -> str:
        keyword = "struct" if t.kind == Kind.STRUCT else "union"
        return f"{keyword} {self.type_name(t)}" if t.name else keyword

    def _fwd_def(self, t: BtfType) -> str:
        return f"{'union' if t.kflag else 'struct'} {self.type_name(t)}"

    def _typedef_def(self, t: BtfType, level: int = 0) -> str:
        name = self.ident_name(t)
        if t.type == 0 and name == "__gnuc_va_list":  # old GCC's invalid typedef to void
            return "typedef __builtin_va_list __gnuc_va_list"
        return "typedef " + self.decl(t.type, name, level)

    def _enum_def(self, t: BtfType, level: int) -> str:
        head = f"enum {self.type_name(t)}" if t.name else "enum"
        if not t.enumerators:
            return head
        tabs = "\t" * (level + 1)
        is64 = t.kind == Kind.ENUM64
        suffix = ("LL" if t.kflag else "ULL") if is64 else ""
        out = [head, " {"]
        for e in t.enumerators:
            name = e.name
            dups = self._count(self._ident_names, name)
            if dups > 1:
                name = f"{name}___{dups}"
            out.append(f"\n{tabs}{name} = {e.value}{suffix},")
        out.append("\n" + "\t" * level + "}")
        if t.size == 1:
            out.append(" __attribute__((mode(byte)))")
        elif t.size == 8 and self.btf.ptr_size == 8 and (
            not is64 or not any((e.value & _MASK64) >> 32 for e in t.enumerators)
        ):
            out.append(" __attribute__((mode(word)))")
        return "".join(out)

    # -- cdecl.DeclPrinter hooks: libbpf's text and names ---------------------------------

    @staticmethod
    def _int_name(name: str) -> str:
        return name  # libbpf prints `_Bool` as it is

    @staticmethod
    def _type_tag(t: BtfType) -> str:
        return f' __attribute__((btf_type_tag("{t.name}")))'

    def _anon_enum(self, t: BtfType, level: int) -> str:
        return self._enum_def(t, level)

    def type_name(self, t: BtfType) -> str:
        return self._resolve_name(t, self._type_names)

    def ident_name(self, t: BtfType) -> str:
        return self._resolve_name(t, self._ident_names)

    def _resolve_name(self, t: BtfType, seen: dict[str, int]) -> str:
        """btf_dump_resolve_name: the first type of a name keeps it, later ones get ___N."""
        name = t.name
        if not name:
            return ""
        cached = self._names.get(t.id)
        if cached is not None:
            return cached
        if not (t.kind == Kind.FWD or (t.kind == Kind.ENUM and not t.enumerators)):
            dups = self._count(seen, name)
            if dups > 1:
                name = f"{name}___{dups}"
        self._names[t.id] = name
        return name

    @staticmethod
    def _count(seen: dict[str, int], name: str) -> int:
        count = seen.get(name, 0) + 1
        seen[name] = count
        return count


def _blacklisted(t: BtfType) -> bool:
    """A compiler built-in: defining it breaks compilers other than the kernel's."""
    return t.name == "__builtin_va_list"


def _referenced(types: list[BtfType]) -> bytearray:
    """Types some other type refers to (btf_dump_mark_referenced).

    Decides which anonymous enums are top-level definitions (nothing refers to them).
    Like libbpf, a FUNC_PROTO's return type does not count.
    """
    referenced = bytearray(len(types))
    for t in types[1:]:
        kind = t.kind
        if kind in _REF_KINDS or kind in (Kind.FUNC, Kind.VAR):
            referenced[t.type] = 1
        elif kind in _COMPOSITE:
            for m in t.members:
                referenced[m.type] = 1
        elif kind == Kind.ARRAY:
            referenced[t.elem_type] = 1
            referenced[t.index_type] = 1
        elif kind == Kind.FUNC_PROTO:
            for p in t.params:
                referenced[p.type] = 1
        elif kind == Kind.DATASEC:
            for s in t.secinfos:
                referenced[s.type] = 1
    return referenced


# -- bpftool >= 7.5: sorted roots (sort_btf_c) --------------------------------------------

def sorted_roots(btf: Btf) -> list[int]:
    """Type ids in bpftool 7.5's `format c` order: rank, names, a structural hash, id.

    bpftool sorts void along with the rest and then skips the first sorted entry,
    thinking it is void; that drops one top-level anonymous enum. Here void is skipped
    instead, so every type is emitted.
    """
    types = btf.types
    sorter = _Sorter(types)
    keys = [(sorter.rank(t.id, False), sorter.sort_name(t.id, False), t.name, t.id)
            for t in types[1:]]
    keys.sort()
    # The structural hash only breaks ties of (rank, sort name, own name): compute it
    # for tied runs only, then order each run by it (and by id).
    result: list[int] = []
    i = 0
    while i < len(keys):
        j = i + 1
        while j < len(keys) and keys[j][:3] == keys[i][:3]:
            j += 1
        if j - i == 1:
            result.append(keys[i][3])
        else:
            run = sorted((sorter.disambig_hash(k[3], True), k[3]) for k in keys[i:j])
            result.extend(type_id for _, type_id in run)
        i = j
    return result


class _Sorter:
    def __init__(self, types: list[BtfType]) -> None:
        self.types = types
        self._str_hashes: dict[str, int] = {}
        self._hashes: dict[tuple[int, bool], int] = {}

    def rank(self, type_id: int, has_name: bool) -> int:
        t = self.types[type_id]
        for _ in range(64):
            if t.name:
                has_name = True
            kind = t.kind
            if kind in (Kind.ENUM, Kind.ENUM64):
                return 1 if has_name else 0
            if kind in (Kind.INT, Kind.FLOAT):
                return 2
            if kind in _COMPOSITE:
                return 3 if has_name else _MAX_RANK
            if kind == Kind.FUNC_PROTO:
                return 4 if has_name else _MAX_RANK
            if kind == Kind.ARRAY and has_name:
                t = self.types[t.elem_type]
            elif kind in _REF_KINDS and has_name:
                t = self.types[t.type]
            else:
                return _MAX_RANK
        raise CorruptData(f"BTF type [{type_id}]: type chain loops or is too deep")

    def sort_name(self, type_id: int, from_ref: bool) -> str:
        t = self.types[type_id]
        for _ in range(64):
            kind = t.kind
            if kind in (Kind.ENUM, Kind.ENUM64):
                if not from_ref and not t.name and t.enumerators:
                    return t.enumerators[0].name
                return t.name
            if kind == Kind.ARRAY:
                t = self.types[t.elem_type]
            elif kind in _REF_KINDS:
                t = self.types[t.type]
            else:
                return t.name
            from_ref = True
        raise CorruptData(f"BTF type [{type_id}]: type chain loops or is too deep")

    def _str_hash(self, text: str) -> int:
        """libbpf's str_hash (h = h * 31 + c over signed chars), in 64 bits."""
        h = self._str_hashes.get(text)
        if h is None:
            h = 0
            for c in text.encode("latin-1"):
                h = (h * 31 + (c - 256 if c >= 128 else c)) & _MASK64
            self._str_hashes[text] = h
        return h

    def disambig_hash(self, type_id: int, include_members: bool, depth: int = 0) -> int:
        key = (type_id, include_members)
        h = self._hashes.get(key)
        if h is not None:
            return h
        if depth > 64:
            raise CorruptData(f"BTF type [{type_id}]: type chain loops or is too deep")
        t = self.types[type_id]
        h = self._str_hash(t.name) if t.name else 0
        kind = t.kind
        if kind in (Kind.ENUM, Kind.ENUM64):
            for e in t.enumerators:
                if e.name:
                    h = (h * 31 + self._str_hash(e.name)) & _MASK64
        elif kind in _COMPOSITE:
            if include_members:
                for m in t.members:
                    if m.name:
                        h = (h * 31 + self._str_hash(m.name)) & _MASK64
                    h = (h * 31 + self.disambig_hash(m.type, False, depth + 1)) & _MASK64
        elif kind in _REF_KINDS:
            h = (h * 31 + self.disambig_hash(t.type, include_members, depth + 1)) & _MASK64
        elif kind == Kind.ARRAY:
            h = (h * 31 + t.nelems) & _MASK64
            h = (h * 31 + self.disambig_hash(t.elem_type, include_members, depth + 1)) & _MASK64
        self._hashes[key] = h
        return h


# -- kfunc prototypes (bpftool >= 7.5 dump_btf_kfuncs) --------------------------------------

def kfunc_declarations(emitter: HeaderEmitter) -> list[str]:
    """`extern ... __weak __ksym;` for each FUNC tagged bpf_kfunc, sorted by name."""
    types = emitter.btf.types
    kfuncs: list[BtfType] = []
    fastcalls: set[int] = set()
    for t in types:
        if t.kind != Kind.DECL_TAG or t.component_idx != -1:
            continue
        func = types[t.type]
        if func.kind != Kind.FUNC:
            continue
        if t.name == KFUNC_DECL_TAG:
            kfuncs.append(func)
        elif t.name == FASTCALL_DECL_TAG:
            fastcalls.add(func.id)
    for f in kfuncs:  # FUNC names are printed only here
        _check_identifier(f.name, f, "the name")
    kfuncs.sort(key=lambda f: f.name)
    return [
        "extern " + ("__bpf_fastcall " if f.id in fastcalls else "")
        + emitter.decl(f.type, f.name) + " __weak __ksym;"
        for f in kfuncs
    ]


# -- the gate: only C identifiers are printed ------------------------------------------------

def check_names(btf: Btf) -> None:
    """Refuse BTF whose names would print as something other than C identifiers."""
    good: set[str] = {""}

    def check(name: str, t: BtfType, what: str) -> None:
        if name not in good:
            _check_identifier(name, t, what)
            good.add(name)

    for t in btf.types[1:]:
        kind = t.kind
        if kind in (Kind.INT, Kind.FLOAT):  # few: not cached (`int` is no identifier)
            _check_identifier(t.name, t, "the name", _BASE_TYPE_NAME)
        elif kind == Kind.TYPE_TAG:
            if not _TAG_TEXT.match(t.name):
                raise CorruptData(f"BTF type [{t.id}] (TYPE_TAG) has the tag {t.name[:80]!r}, "
                                  "which cannot be printed in a C string")
        elif kind in _COMPOSITE:
            check(t.name, t, "the name")
            for m in t.members:
                check(m.name, t, "a member named")
        elif kind in (Kind.ENUM, Kind.ENUM64):
            check(t.name, t, "the name")
            for e in t.enumerators:
                check(e.name, t, "an enumerator named")
        elif kind in (Kind.FWD, Kind.TYPEDEF):
            check(t.name, t, "the name")
        elif kind == Kind.FUNC_PROTO:
            for p in t.params:
                check(p.name, t, "a parameter named")


def _check_identifier(name: str, t: BtfType, what: str, pattern: re.Pattern[str] = _IDENT
                      ) -> None:
    if not pattern.match(name) or (pattern is _IDENT and name in C_KEYWORDS):
        raise CorruptData(f"BTF type [{t.id}] ({t.kind.name}) has {what} {name[:80]!r}, "
                          "which is not a C identifier")


# -- the whole header -------------------------------------------------------------------------

def dump(btf: Btf, *, sort: bool = True, kfuncs: bool = True) -> tuple[str, list[str]]:
    """The type definitions of `btf` as C, and the kfunc declarations."""
    check_names(btf)
    emitter = HeaderEmitter(btf)
    roots: Iterable[int] = sorted_roots(btf) if sort else range(1, len(btf))
    for type_id in roots:
        emitter.dump_type(type_id)
    return "".join(emitter.out), (kfunc_declarations(emitter) if kfuncs else [])
