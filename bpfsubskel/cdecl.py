"""C declarations from BTF, following libbpf's btf_dump__emit_type_decl (btf_dump.c).

Differences from libbpf, each because libbpf's text breaks a consumer:

* the BTF int `_Bool` prints as `bool` (clang++ rejects `_Bool`); headers include
  <stdbool.h>;
* an anonymous enum prints as its integer type with the enumerators in a comment:
  inlining `enum { A = 0, }` twice (skeleton + subskeleton in one translation unit)
  redeclares `A`;
* type names are never renamed `foo___2` (that matches nothing the user has);
* every name printed passes names.py's gate (a C identifier, not reserved; a C base type
  for INT and FLOAT; text in comments and string literals escaped), every struct printed
  must have its members inside it, and a printer gives up (CorruptData) past
  MAX_DECL_TEXT characters: crafted BTF can neither inject C nor make the output huge.

`decl(..., pointer=True)` declares a pointer to any type directly, where bpftool's
`__typeof__(T) *name` is invalid C for pointers to arrays and to function pointers (B3)
and invalid C++ for arrays of anonymous structs.
"""

from __future__ import annotations

from .btf import MAX_RESOLVE_DEPTH, MODIFIERS, Btf, BtfType, Kind
from .errors import CorruptData
from .names import base_type_problem, c_identifier, c_string_body, comment_text, quoted

# `Kind.X` is a slow lookup on Python 3.11 (see btf.py); the printer runs per type and
# member, so it uses these.
(_ARRAY, _CONST, _ENUM, _ENUM64, _FLOAT, _FUNC_PROTO, _FWD, _INT, _PTR, _RESTRICT, _STRUCT,
 _TYPEDEF, _TYPE_TAG, _UNION, _VOLATILE) = (
    Kind.ARRAY, Kind.CONST, Kind.ENUM, Kind.ENUM64, Kind.FLOAT, Kind.FUNC_PROTO, Kind.FWD,
    Kind.INT, Kind.PTR, Kind.RESTRICT, Kind.STRUCT, Kind.TYPEDEF, Kind.TYPE_TAG, Kind.UNION,
    Kind.VOLATILE)
_INT_FOR_SIZE = {1: "char", 2: "short", 4: "int", 8: "long long"}
_CHAIN_KINDS = frozenset({Kind.PTR, Kind.FUNC_PROTO, Kind.ARRAY}) | MODIFIERS
_BASE_KINDS = frozenset(
    {Kind.UNKN, Kind.INT, Kind.FLOAT, Kind.ENUM, Kind.ENUM64, Kind.FWD, Kind.STRUCT,
     Kind.UNION, Kind.TYPEDEF}
)
_PAD_TYPES = (("long", 64), ("int", 32), ("short", 16), ("char", 8))
# The most C text one printer writes: far more than any real object's declarations, far less
# than exponential blow-ups (anonymous structs nesting many times) or gigabytes of padding
# (a struct claiming to be 2 GiB) would produce.
MAX_DECL_TEXT = 16 << 20
# Stands for the declared name in decl_named's remembered text: no printed name has a NUL.
_NAME_PLACEHOLDER = "\0"
# The pointer `decl(..., pointer=True)` adds around a type; no BTF record has id -1.
_POINTER = BtfType(-1, Kind.PTR, "", False, 0)


def _tabs(level: int) -> str:
    return "\t" * level


class DeclPrinter:
    """Prints C declarations of BTF types. One instance per (btf, strip_mods) pair."""

    # Names pass names.c_identifier: every C, C++ and GNU reserved spelling is refused in
    # generated headers (compiled as C and C++); a C-only header (vmlinux.h) says True.
    C_ONLY = False

    def __init__(self, btf: Btf, *, strip_mods: bool) -> None:
        self.btf = btf
        self.strip_mods = strip_mods
        self._depth = 0
        self._budget = MAX_DECL_TEXT
        self._checked: set[int] = set()  # types whose printed names passed the gate
        # decl_named: the text around the name, per (type, level), for declarations
        # that print no inline struct or enum
        self._around_name: dict[tuple[int, int], tuple[str, str]] = {}

    def _spend(self, chars: int) -> None:
        self._budget -= chars
        if self._budget < 0:
            raise CorruptData(f"its type declarations would be more than {MAX_DECL_TEXT >> 20} "
                              "MiB of C; the BTF is corrupt (impossible sizes or nesting)")

    def _type_name(self, t: BtfType) -> str:
        """The name of a named type, as printed: checked once per type."""
        if t.id not in self._checked:
            if t.kind in (_INT, _FLOAT):
                problem = base_type_problem(t.name)
                if problem:
                    raise CorruptData(f"BTF {t.kind.name} [{t.id}] {quoted(t.name)} {problem}")
            elif t.kind == _TYPEDEF and t.name == "bool" and self._is_bool(t):
                pass  # vmlinux.h's `typedef _Bool bool`: the headers include <stdbool.h>
            else:
                c_identifier(t.name, f"BTF {t.kind.name.lower()} [{t.id}] name",
                             self.C_ONLY)
            self._checked.add(t.id)
        return t.name

    def _is_bool(self, t: BtfType) -> bool:
        target = self.btf.skip_modifiers(t.type, typedefs=True)
        return target.kind == _INT and target.name == "_Bool"

    def decl(self, type_id: int, name: str = "", level: int = 0, *, pointer: bool = False
             ) -> str:
        """Declaration of `name` with type `type_id`, e.g. `int (*name)[4]`.

        With `pointer`, `name` is declared as a pointer to that type: `int (*name)[4]`
        for `int[4]`, `int (**name)(void)` for a function pointer. Unlike bpftool's
        `__typeof__(T) *name`, this is valid C and C++ for every type, including arrays
        of inline anonymous structs (C++ forbids defining types inside `__typeof__`).
        """
        self._depth += 1
        try:
            if self._depth > MAX_RESOLVE_DEPTH:
                raise CorruptData(f"BTF type [{type_id}] nests too deeply or loops")
            stack = self._decl_stack(type_id)
            if pointer:
                stack.insert(0, _POINTER)  # outermost: popped last
            out: list[str] = []
            self._emit_chain(stack, name, level, out)
            return "".join(out)
        finally:
            self._depth -= 1

    def decl_named(self, type_id: int, name: str, level: int = 0) -> str:
        """`decl(type_id, name, level)` for a non-empty `name`, remembered per type.

        Thousands of globals share a handful of types. Only declarations that print no
        inline struct or enum are remembered: those count against the printer's budget
        every time they are printed, as they would be without this.
        """
        around = self._around_name.get((type_id, level))
        if around is None:
            budget = self._budget
            text = self.decl(type_id, _NAME_PLACEHOLDER, level)
            if self._budget != budget:
                return text.replace(_NAME_PLACEHOLDER, name)
            before, _, after = text.partition(_NAME_PLACEHOLDER)
            around = self._around_name[(type_id, level)] = (before, after)
        return around[0] + name + around[1]

    # -- libbpf btf_dump_emit_type_decl ---------------------------------------------------

    def _decl_stack(self, type_id: int) -> list[BtfType]:
        """The type chain, outermost first: what libbpf pushes on its decl stack."""
        stack: list[BtfType] = []
        btf = self.btf
        for _ in range(4 * MAX_RESOLVE_DEPTH):
            t = btf[type_id]
            kind = t.kind
            if not (self.strip_mods and kind in MODIFIERS):
                stack.append(t)
            if kind in _BASE_KINDS:
                return stack
            if kind == _ARRAY:
                type_id = t.elem_type
            elif kind in _CHAIN_KINDS:
                type_id = t.type
            else:
                raise CorruptData(f"BTF type [{type_id}] ({kind.name}) cannot appear in a type")
        raise CorruptData(f"BTF type chain at [{type_id}] loops")

    def _emit_mods(self, stack: list[BtfType], out: list[str]) -> None:
        """Modifiers right above a base type print prefix-style: `const volatile int`."""
        while stack:
            kind = stack[-1].kind
            if kind == _VOLATILE:
                out.append("volatile ")
            elif kind == _CONST:
                out.append("const ")
            elif kind == _RESTRICT:
                out.append("restrict ")
            else:
                return
            stack.pop()

    def _drop_mods(self, stack: list[BtfType]) -> None:
        while stack and stack[-1].kind in MODIFIERS:
            stack.pop()

    def _emit_chain(self, stack: list[BtfType], name: str, level: int, out: list[str]) -> None:
        last_was_ptr = True
        while stack:
            t = stack.pop()
            kind = t.kind
            if t.id == 0:
                self._emit_mods(stack, out)
                out.append("void")
            elif kind in (_INT, _FLOAT):
                self._emit_mods(stack, out)
                out.append(self._int_name(self._type_name(t)))
            elif kind in (_STRUCT, _UNION):
                self._emit_mods(stack, out)
                keyword = "struct" if kind == _STRUCT else "union"
                out.append(self.struct_def(t, level) if not t.name
                           else f"{keyword} {self.type_name(t)}")
            elif kind in (_ENUM, _ENUM64):
                self._emit_mods(stack, out)
                out.append(self._anon_enum(t, level) if not t.name else f"enum {self.type_name(t)}")
            elif kind == _FWD:
                self._emit_mods(stack, out)
                out.append(f"{'union' if t.kflag else 'struct'} {self.type_name(t)}")
            elif kind == _TYPEDEF:
                self._emit_mods(stack, out)
                out.append(self.ident_name(t))
            elif kind == _PTR:
                out.append("*" if last_was_ptr else " *")
            elif kind == _VOLATILE:
                out.append(" volatile")
            elif kind == _CONST:
                out.append(" const")
            elif kind == _RESTRICT:
                out.append(" restrict")
            elif kind == _TYPE_TAG:
                self._emit_mods(stack, out)
                out.append(self._type_tag(t))
            elif kind == _ARRAY:
                self._drop_mods(stack)
                if not stack:
                    out.append(_name(name, last_was_ptr))
                    out.append(f"[{t.nelems}]")
                    return
                multidim = stack[-1].kind == _ARRAY
                if name and not last_was_ptr:
                    out.append(" ")
                if not multidim:
                    out.append("(")
                self._emit_chain(stack, name, level, out)
                if not multidim:
                    out.append(")")
                out.append(f"[{t.nelems}]")
                return
            elif kind == _FUNC_PROTO:
                self._drop_mods(stack)
                if stack:
                    out.append(" (")
                    self._emit_chain(stack, name, level, out)
                    out.append(")")
                else:
                    out.append(_name(name, last_was_ptr))
                out.append(self._params(t, level))
                return
            last_was_ptr = kind == _PTR
        out.append(_name(name, last_was_ptr))

    def _params(self, proto: BtfType, level: int) -> str:
        params = proto.params
        if not params or (len(params) == 1 and params[0].type == 0):
            return "(void)"
        parts = []
        for i, p in enumerate(params):
            if i == len(params) - 1 and p.type == 0:
                parts.append("...")
                break
            if p.name:
                c_identifier(p.name, f"parameter of BTF FUNC_PROTO [{proto.id}]",
                             self.C_ONLY)
            parts.append(self.decl(p.type, p.name, level))
        return "(" + ", ".join(parts) + ")"

    @staticmethod
    def _int_name(name: str) -> str:
        return "bool" if name == "_Bool" else name

    # Hooks for a printer of whole headers (btf_c.py): libbpf's exact text and names.

    def type_name(self, t: BtfType) -> str:
        """The name printed for a named struct, union, enum or fwd (checked by the gate)."""
        return self._type_name(t)

    def ident_name(self, t: BtfType) -> str:
        """The name printed for a typedef (checked by the gate)."""
        return self._type_name(t)

    def _type_tag(self, t: BtfType) -> str:
        if t.kflag:
            return f" __attribute__(({self._type_name(t)}))"
        return f' __attribute__((btf_type_tag("{c_string_body(t.name)}")))'

    def _anon_enum(self, t: BtfType, level: int) -> str:
        signed = t.kflag or any(e.value < 0 for e in t.enumerators)
        base = _INT_FOR_SIZE.get(t.size, "int")
        type_name = ("signed char" if base == "char" else base) if signed else f"unsigned {base}"
        values = ", ".join(f"{comment_text(e.name)} = {e.value}" for e in t.enumerators)
        self._spend(len(values))
        return f"{type_name} /* enum {{ {values} }} */" if values else type_name

    # -- libbpf btf_dump_emit_struct_def ----------------------------------------------------

    def struct_def(self, t: BtfType, level: int) -> str:
        btf = self.btf
        is_struct = t.kind == _STRUCT
        packed = is_struct and self._is_packed(t)
        out = [("struct" if is_struct else "union") + (f" {self.type_name(t)}" if t.name else "")
               + " {"]
        offset = 0
        prev_bitfield = False
        bits = 8 * t.size
        for m in t.members:
            if m.bit_offset + m.bitfield_size > bits:
                raise CorruptData(f"BTF {t.kind.name.lower()} [{t.id}] has a member at bit "
                                  f"{m.bit_offset}, outside its {t.size} bytes")
            if m.name:
                c_identifier(m.name, f"member of BTF {t.kind.name.lower()} [{t.id}]",
                             self.C_ONLY)
            elif not m.bitfield_size and not self._is_anonymous_aggregate(m.type):
                raise CorruptData(f"BTF {t.kind.name.lower()} [{t.id}] has a member without a "
                                  "name that is neither a bit-field nor an anonymous struct")
            m_align = 1 if packed else btf.align_of(m.type)
            in_bitfield = prev_bitfield and m.bitfield_size != 0
            self._spend(max(0, m.bit_offset - offset) // 6)  # the padding printed, at most
            out.append(_bit_padding(offset, m.bit_offset, m_align, in_bitfield, level + 1))
            member = self.decl(m.type, m.name, level + 1)
            self._spend(len(member) + level + 2)
            out.append("\n" + _tabs(level + 1) + member)
            if m.bitfield_size:
                out.append(f": {m.bitfield_size}")
                offset = m.bit_offset + m.bitfield_size
                prev_bitfield = True
            else:
                offset = m.bit_offset + max(0, btf.resolve_size(m.type)) * 8
                prev_bitfield = False
            out.append(";")
        if is_struct:
            self._spend(max(0, bits - offset) // 6)
            out.append(_bit_padding(offset, bits, btf.align_of(t.id), False, level + 1))
        if t.members or t.size:
            out.append("\n" + _tabs(level) + "}")
        else:
            out.append("}")
        if packed:
            out.append(" __attribute__((packed))")
        return "".join(out)

    def _is_anonymous_aggregate(self, type_id: int) -> bool:
        t = self.btf.skip_modifiers(type_id)
        return t.kind in (_STRUCT, _UNION) and not t.name

    def _is_packed(self, t: BtfType) -> bool:
        max_align = 1
        for m in t.members:
            align = self.btf.align_of(m.type)
            if align and m.bitfield_size == 0 and m.bit_offset % (8 * align):
                return True
            max_align = max(max_align, align)
        return t.size % max_align != 0


def _name(name: str, last_was_ptr: bool) -> str:
    return (" " + name) if name and not last_was_ptr else name


def _bit_padding(cur: int, nxt: int, next_align: int, in_bitfield: bool, level: int) -> str:
    """Explicit padding between members (libbpf >= 1.1 btf_dump_emit_bit_padding)."""
    if cur >= nxt:
        return ""
    out = []
    pad_type, pad_bits, new_off = "char", 8, cur
    for pad_type, pad_bits in _PAD_TYPES:  # noqa: B007 - the loop variables are the result
        new_off = -(-cur // pad_bits) * pad_bits
        if new_off <= nxt:
            break
    if cur < new_off <= nxt:
        if (
            in_bitfield
            or (new_off == nxt and -(-cur // (next_align * 8)) * (next_align * 8) != new_off)
            or (new_off != nxt and nxt - new_off <= new_off - cur)
        ):
            out.append(f"\n{_tabs(level)}{pad_type}: {new_off - cur if in_bitfield else 0};")
        cur = new_off
    while cur != nxt:
        bits = min(nxt - cur, pad_bits)
        if bits == pad_bits:
            out.append(f"\n{_tabs(level)}{pad_type}: {pad_bits};")
            cur += bits
            continue
        for small_type, small_bits in reversed(_PAD_TYPES):
            if small_bits >= bits:
                out.append(f"\n{_tabs(level)}{small_type}: {bits};")
                cur += bits
                break
    return "".join(out)
