"""C declarations from BTF, following libbpf's btf_dump__emit_type_decl (btf_dump.c).

Differences from libbpf, each because libbpf's text breaks a consumer:

* the BTF int `_Bool` prints as `bool` (clang++ rejects `_Bool`); headers include
  <stdbool.h>;
* an anonymous enum prints as its integer type with the enumerators in a comment:
  inlining `enum { A = 0, }` twice (skeleton + subskeleton in one translation unit)
  redeclares `A`;
* type names are never renamed `foo___2` (that matches nothing the user has).

`decl(..., pointer=True)` declares a pointer to any type directly, where bpftool's
`__typeof__(T) *name` is invalid C for pointers to arrays and to function pointers (B3)
and invalid C++ for arrays of anonymous structs.
"""

from __future__ import annotations

from .btf import MAX_RESOLVE_DEPTH, MODIFIERS, Btf, BtfType, Kind
from .errors import CorruptData

_INT_FOR_SIZE = {1: "char", 2: "short", 4: "int", 8: "long long"}
_CHAIN_KINDS = frozenset({Kind.PTR, Kind.FUNC_PROTO, Kind.ARRAY}) | MODIFIERS
_BASE_KINDS = frozenset(
    {Kind.UNKN, Kind.INT, Kind.FLOAT, Kind.ENUM, Kind.ENUM64, Kind.FWD, Kind.STRUCT,
     Kind.UNION, Kind.TYPEDEF}
)
_PAD_TYPES = (("long", 64), ("int", 32), ("short", 16), ("char", 8))
# The pointer `decl(..., pointer=True)` adds around a type; no BTF record has id -1.
_POINTER = BtfType(-1, Kind.PTR, "", False, 0)


def _tabs(level: int) -> str:
    return "\t" * level


class DeclPrinter:
    """Prints C declarations of BTF types. One instance per (btf, strip_mods) pair."""

    def __init__(self, btf: Btf, *, strip_mods: bool) -> None:
        self.btf = btf
        self.strip_mods = strip_mods
        self._depth = 0

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
            if kind == Kind.ARRAY:
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
            if kind == Kind.VOLATILE:
                out.append("volatile ")
            elif kind == Kind.CONST:
                out.append("const ")
            elif kind == Kind.RESTRICT:
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
            elif kind in (Kind.INT, Kind.FLOAT):
                self._emit_mods(stack, out)
                out.append(self._int_name(t))
            elif kind in (Kind.STRUCT, Kind.UNION):
                self._emit_mods(stack, out)
                keyword = "struct" if kind == Kind.STRUCT else "union"
                out.append(self.struct_def(t, level) if not t.name
                           else f"{keyword} {self.type_name(t)}")
            elif kind in (Kind.ENUM, Kind.ENUM64):
                self._emit_mods(stack, out)
                out.append(self._anon_enum(t, level) if not t.name else f"enum {self.type_name(t)}")
            elif kind == Kind.FWD:
                self._emit_mods(stack, out)
                out.append(f"{'union' if t.kflag else 'struct'} {self.type_name(t)}")
            elif kind == Kind.TYPEDEF:
                self._emit_mods(stack, out)
                out.append(self.ident_name(t))
            elif kind == Kind.PTR:
                out.append("*" if last_was_ptr else " *")
            elif kind == Kind.VOLATILE:
                out.append(" volatile")
            elif kind == Kind.CONST:
                out.append(" const")
            elif kind == Kind.RESTRICT:
                out.append(" restrict")
            elif kind == Kind.TYPE_TAG:
                self._emit_mods(stack, out)
                out.append(self._type_tag(t))
            elif kind == Kind.ARRAY:
                self._drop_mods(stack)
                if not stack:
                    out.append(_name(name, last_was_ptr))
                    out.append(f"[{t.nelems}]")
                    return
                multidim = stack[-1].kind == Kind.ARRAY
                if name and not last_was_ptr:
                    out.append(" ")
                if not multidim:
                    out.append("(")
                self._emit_chain(stack, name, level, out)
                if not multidim:
                    out.append(")")
                out.append(f"[{t.nelems}]")
                return
            elif kind == Kind.FUNC_PROTO:
                self._drop_mods(stack)
                if stack:
                    out.append(" (")
                    self._emit_chain(stack, name, level, out)
                    out.append(")")
                else:
                    out.append(_name(name, last_was_ptr))
                out.append(self._params(t, level))
                return
            last_was_ptr = kind == Kind.PTR
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
            parts.append(self.decl(p.type, p.name, level))
        return "(" + ", ".join(parts) + ")"

    @staticmethod
    def _int_name(t: BtfType) -> str:
        if t.kind == Kind.INT and t.name == "_Bool":
            return "bool"
        return t.name

    # Hooks for a printer of whole headers (btf_c.py): libbpf's exact text and names.

    def type_name(self, t: BtfType) -> str:
        """The name printed for a named struct, union, enum or fwd."""
        return t.name

    def ident_name(self, t: BtfType) -> str:
        """The name printed for a typedef."""
        return t.name

    @staticmethod
    def _type_tag(t: BtfType) -> str:
        if t.kflag:
            return f" __attribute__(({t.name}))"
        return f' __attribute__((btf_type_tag("{t.name}")))'

    def _anon_enum(self, t: BtfType, level: int) -> str:
        signed = t.kflag or any(e.value < 0 for e in t.enumerators)
        base = _INT_FOR_SIZE.get(t.size, "int")
        type_name = ("signed char" if base == "char" else base) if signed else f"unsigned {base}"
        values = ", ".join(f"{e.name} = {e.value}" for e in t.enumerators)
        return f"{type_name} /* enum {{ {values} }} */" if values else type_name

    # -- libbpf btf_dump_emit_struct_def ----------------------------------------------------

    def struct_def(self, t: BtfType, level: int) -> str:
        btf = self.btf
        is_struct = t.kind == Kind.STRUCT
        packed = is_struct and self._is_packed(t)
        out = [("struct" if is_struct else "union") + (f" {self.type_name(t)}" if t.name else "")
               + " {"]
        offset = 0
        prev_bitfield = False
        for m in t.members:
            m_align = 1 if packed else btf.align_of(m.type)
            in_bitfield = prev_bitfield and m.bitfield_size != 0
            out.append(_bit_padding(offset, m.bit_offset, m_align, in_bitfield, level + 1))
            out.append("\n" + _tabs(level + 1) + self.decl(m.type, m.name, level + 1))
            if m.bitfield_size:
                out.append(f": {m.bitfield_size}")
                offset = m.bit_offset + m.bitfield_size
                prev_bitfield = True
            else:
                offset = m.bit_offset + max(0, btf.resolve_size(m.type)) * 8
                prev_bitfield = False
            out.append(";")
        if is_struct:
            out.append(_bit_padding(offset, t.size * 8, btf.align_of(t.id), False, level + 1))
        if t.members or t.size:
            out.append("\n" + _tabs(level) + "}")
        else:
            out.append("}")
        if packed:
            out.append(" __attribute__((packed))")
        return "".join(out)

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
