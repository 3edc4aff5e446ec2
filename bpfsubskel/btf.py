"""BTF parser: the `.BTF` section of a BPF object, every kind, both byte orders.

Layout reference: include/uapi/linux/btf.h and Documentation/bpf/btf.rst.
Everything read is validated; corrupt data raises CorruptData with a reason.
"""

from __future__ import annotations

import struct
from enum import IntEnum
from typing import NamedTuple

from .errors import CorruptData
from .names import decode

BTF_MAGIC = 0xEB9F
HEADER_SIZE = 24
# libbpf gives up resolving sizes past this depth; so do we (it also stops loops).
MAX_RESOLVE_DEPTH = 32
# How deep structs may nest inside each other (by value, in arrays): C allows it, each level
# costs two stack frames here, and a loop (which valid BTF cannot have) stops at it.
MAX_NESTING_DEPTH = 256


class Kind(IntEnum):
    UNKN = 0
    INT = 1
    PTR = 2
    ARRAY = 3
    STRUCT = 4
    UNION = 5
    ENUM = 6
    FWD = 7
    TYPEDEF = 8
    VOLATILE = 9
    CONST = 10
    RESTRICT = 11
    FUNC = 12
    FUNC_PROTO = 13
    VAR = 14
    DATASEC = 15
    FLOAT = 16
    DECL_TAG = 17
    TYPE_TAG = 18
    ENUM64 = 19


class Linkage(IntEnum):
    """VAR linkage (FUNC uses the same numbers in its vlen)."""

    STATIC = 0
    GLOBAL = 1  # global allocated
    EXTERN = 2


INT_SIGNED = 1
INT_CHAR = 2
INT_BOOL = 4

# Lookup tables: constructing an IntEnum per record is measurably slow on big objects.
_KIND_BY_NUMBER = {k.value: k for k in Kind if k != Kind.UNKN}
LINKAGE_BY_NUMBER = {k.value: k for k in Linkage}

# `Kind.X` is a slow lookup on Python 3.11 (~70 ns: EnumType.__getattr__ routes every
# class attribute access through a Python-level hook), so the loops below that run per
# type record use these module constants and kind sets instead.
_INT, _PTR, _ARRAY, _STRUCT, _UNION, _ENUM, _TYPEDEF, _FUNC, _FUNC_PROTO, _VAR, _DATASEC, \
    _FLOAT, _DECL_TAG, _ENUM64 = (
        Kind.INT, Kind.PTR, Kind.ARRAY, Kind.STRUCT, Kind.UNION, Kind.ENUM, Kind.TYPEDEF,
        Kind.FUNC, Kind.FUNC_PROTO, Kind.VAR, Kind.DATASEC, Kind.FLOAT, Kind.DECL_TAG,
        Kind.ENUM64)
# Kinds whose `size` is their size in bytes (btf__resolve_size stops at them).
_SIZED_KINDS = frozenset({_INT, _STRUCT, _UNION, _ENUM, _ENUM64, _DATASEC, _FLOAT})
_SCALAR_KINDS = frozenset({_INT, _ENUM, _ENUM64, _FLOAT})
_VAR_OR_FUNC = frozenset({_VAR, _FUNC})

MODIFIERS = frozenset({Kind.VOLATILE, Kind.CONST, Kind.RESTRICT, Kind.TYPE_TAG})
# What resolve_size and skip_modifiers(typedefs=True) look through.
_SIZE_TRANSPARENT = MODIFIERS | {_TYPEDEF, _VAR}
_MODIFIERS_AND_TYPEDEF = MODIFIERS | {_TYPEDEF}
# Kinds whose `size_or_type` word is a type id.
REFERENCE_KINDS = frozenset(
    {
        Kind.PTR,
        Kind.TYPEDEF,
        Kind.VOLATILE,
        Kind.CONST,
        Kind.RESTRICT,
        Kind.FUNC,
        Kind.FUNC_PROTO,
        Kind.VAR,
        Kind.DECL_TAG,
        Kind.TYPE_TAG,
    }
)


class Member(NamedTuple):
    name: str
    type: int
    bit_offset: int
    bitfield_size: int  # 0: not a bit-field


class Param(NamedTuple):
    name: str
    type: int  # 0 on the last parameter: varargs


class Enumerator(NamedTuple):
    name: str
    value: int  # as stored: unsigned unless the enum's kind_flag says signed


class VarSecinfo(NamedTuple):
    type: int
    offset: int
    size: int


class BtfType:
    """One BTF type record.

    Every record has the slotted fields. Kind-specific fields default to the class
    attributes below and are stored (in the instance dict) only for kinds that have
    them: objects with tens of thousands of types parse noticeably faster that way.
    """

    __slots__ = ("__dict__", "id", "kflag", "kind", "name", "size", "type", "vlen")

    int_encoding = 0
    int_offset = 0
    int_bits = 0
    elem_type = 0
    index_type = 0
    nelems = 0
    members: tuple[Member, ...] = ()
    enumerators: tuple[Enumerator, ...] = ()
    params: tuple[Param, ...] = ()
    linkage = 0
    secinfos: tuple[VarSecinfo, ...] = ()
    component_idx = 0

    def __init__(self, type_id: int, kind: Kind, name: str, kflag: bool, vlen: int) -> None:
        self.id = type_id
        self.kind = kind
        self.name = name
        self.kflag = kflag
        self.vlen = vlen
        self.size = 0
        self.type = 0

    def __repr__(self) -> str:
        return f"<BtfType [{self.id}] {self.kind.name} {self.name!r}>"


VOID = BtfType(0, Kind.UNKN, "", False, 0)


class Btf:
    """All types of one `.BTF` section, indexed by type id (0 is void)."""

    def __init__(self, types: list[BtfType], little_endian: bool) -> None:
        self.types = types
        self.little_endian = little_endian
        self.ptr_size = _pointer_size(types)
        self._align_cache: dict[int, int] = {}

    def __getitem__(self, type_id: int) -> BtfType:
        return self.types[type_id]

    def __len__(self) -> int:
        return len(self.types)

    def datasecs(self) -> dict[str, BtfType]:
        return {t.name: t for t in self.types if t.kind is _DATASEC}

    def skip_modifiers(self, type_id: int, *, typedefs: bool = False) -> BtfType:
        """The first type under CONST/VOLATILE/RESTRICT/TYPE_TAG (and TYPEDEF if asked)."""
        t = self.types[type_id]
        skipped = _MODIFIERS_AND_TYPEDEF if typedefs else MODIFIERS
        for _ in range(MAX_RESOLVE_DEPTH):
            if t.kind in skipped:
                t = self.types[t.type]
            else:
                return t
        raise CorruptData(f"BTF type [{type_id}]: modifier chain loops or is too deep")

    def resolve_size(self, type_id: int) -> int:
        """Size in bytes of a type, following libbpf's btf__resolve_size."""
        nelems = 1
        t = self.types[type_id]
        for _ in range(MAX_RESOLVE_DEPTH):
            kind = t.kind
            if kind in _SIZED_KINDS:
                return nelems * t.size
            if kind is _PTR:
                return nelems * self.ptr_size
            if kind in _SIZE_TRANSPARENT:
                t = self.types[t.type]
            elif kind is _ARRAY:
                nelems *= t.nelems
                t = self.types[t.elem_type]
            else:
                raise CorruptData(f"BTF type [{type_id}]: {t.kind.name} has no size")
        raise CorruptData(f"BTF type [{type_id}]: type chain loops or is too deep")

    def align_of(self, type_id: int, _depth: int = 0) -> int:
        """Alignment of a type, following libbpf's btf__align_of (memoized)."""
        align = self._align_cache.get(type_id)
        if align is None:
            align = self._align_cache[type_id] = self._compute_align(type_id, _depth)
        return align

    def _compute_align(self, type_id: int, _depth: int) -> int:
        if _depth > MAX_NESTING_DEPTH:
            raise CorruptData(f"BTF type [{type_id}]: type chain loops or is too deep")
        t = self.types[type_id]
        kind = t.kind
        if kind in _SCALAR_KINDS:
            return min(self.ptr_size, t.size)
        if kind is _PTR:
            return self.ptr_size
        if kind in _MODIFIERS_AND_TYPEDEF:
            return self.align_of(t.type, _depth + 1)
        if kind is _ARRAY:
            return self.align_of(t.elem_type, _depth + 1)
        if kind is _STRUCT or kind is _UNION:
            max_align = 1
            for m in t.members:
                align = self.align_of(m.type, _depth + 1)
                max_align = max(max_align, align)
                if m.bitfield_size == 0 and m.bit_offset % (8 * align):
                    return 1
            return 1 if t.size % max_align else max_align
        raise CorruptData(f"BTF type [{type_id}]: {kind.name} has no alignment")


def _pointer_size(types: list[BtfType]) -> int:
    """libbpf guesses pointer size from a `long` in BTF; BPF is 64-bit anyway."""
    for t in types:
        if t.kind is _INT and t.name in ("long", "long int", "unsigned long",
                                             "long unsigned int"):
            return t.size
    return 8


def parse(data: bytes) -> Btf:
    """Parse and validate a `.BTF` section."""
    if len(data) < HEADER_SIZE:
        raise CorruptData(f"BTF section is {len(data)} bytes, shorter than its header")
    if struct.unpack_from("<H", data)[0] == BTF_MAGIC:
        bo = "<"
    elif struct.unpack_from(">H", data)[0] == BTF_MAGIC:
        bo = ">"
    else:
        raise CorruptData("BTF section has a bad magic number")
    _magic, version, _flags, hdr_len, type_off, type_len, str_off, str_len = struct.unpack_from(
        bo + "HBBIIIII", data
    )
    if version != 1:
        raise CorruptData(f"BTF version {version} is not supported (expected 1)")
    if hdr_len < HEADER_SIZE or hdr_len > len(data):
        raise CorruptData(f"BTF header length {hdr_len} is invalid")
    body = len(data) - hdr_len
    if type_off % 4:
        raise CorruptData("BTF type section is not 4-byte aligned")
    if type_off + type_len > body or str_off + str_len > body:
        raise CorruptData("BTF type or string section runs past the end of the data")
    if type_off + type_len > str_off and str_off + str_len > type_off:
        raise CorruptData("BTF type and string sections overlap")
    strings = data[hdr_len + str_off : hdr_len + str_off + str_len]
    if not strings or strings[0] != 0 or strings[-1] != 0:
        raise CorruptData("BTF string section is empty or not NUL-terminated")
    types, max_ref = _parse_types(data, hdr_len + type_off, type_len, strings, bo)
    _check_references(types, max_ref)
    return Btf(types, little_endian=(bo == "<"))


def _parse_types(data: bytes, start: int, length: int, strings: bytes, bo: str
                 ) -> tuple[list[BtfType], int]:
    """All type records, and the largest type id any of them refers to."""
    u32 = struct.Struct(bo + "I")
    u32x2 = struct.Struct(bo + "II")
    u32x3 = struct.Struct(bo + "III")
    i32x2 = struct.Struct(bo + "Ii")
    name_cache: dict[int, str] = {0: ""}

    def name_at(off: int) -> str:
        name = name_cache.get(off)
        if name is None:
            if off >= len(strings):
                raise CorruptData(f"BTF name offset {off} is outside the string section")
            name = decode(strings[off : strings.index(b"\0", off)])
            name_cache[off] = name
        return name

    types: list[BtfType] = [VOID]
    max_ref = 0
    pos = start
    end = start + length
    while pos < end:
        if pos + 12 > end:
            raise CorruptData(f"BTF type [{len(types)}] is truncated")
        name_off, info, size_or_type = u32x3.unpack_from(data, pos)
        pos += 12
        raw_kind = (info >> 24) & 0x7F  # wide mask: bits 24-30
        vlen = info & 0xFFFFFF  # wide mask: bits 0-23
        kind = _KIND_BY_NUMBER.get(raw_kind)
        if kind is None:
            raise CorruptData(f"BTF type [{len(types)}] has unknown kind {raw_kind}")
        t = BtfType(len(types), kind, name_at(name_off), bool(info >> 31), vlen)
        fixed, per_item = _EXTRA_SIZE[kind]
        extra = fixed + per_item * vlen
        if pos + extra > end:
            raise CorruptData(f"BTF type [{t.id}] ({kind.name}) is truncated")
        if kind in REFERENCE_KINDS:
            t.type = size_or_type
            if size_or_type > max_ref:
                max_ref = size_or_type
        else:
            t.size = size_or_type
        if kind is _VAR:  # first: most records of a big object are variables
            (t.linkage,) = u32.unpack_from(data, pos)
        elif kind is _INT:
            (word,) = u32.unpack_from(data, pos)
            t.int_encoding = (word >> 24) & 0x0F
            t.int_offset = (word >> 16) & 0xFF
            t.int_bits = word & 0xFF
            # The kernel's btf_int_check_meta: sizes are powers of two up to 16 bytes.
            if t.size not in _INT_SIZES or t.int_offset + t.int_bits > 8 * t.size:
                raise CorruptData(f"BTF INT [{t.id}] has an invalid size ({t.size} bytes, "
                                  f"{t.int_bits} bits at bit {t.int_offset})")
        elif kind is _FLOAT:
            if t.size not in _FLOAT_SIZES:
                raise CorruptData(f"BTF FLOAT [{t.id}] has an invalid size ({t.size} bytes)")
        elif kind is _ARRAY:
            t.elem_type, t.index_type, t.nelems = u32x3.unpack_from(data, pos)
            max_ref = max(max_ref, t.elem_type, t.index_type)
        elif kind is _STRUCT or kind is _UNION:
            members = []
            for off in range(pos, pos + extra, 12):
                m_name, m_type, m_off = u32x3.unpack_from(data, off)
                if t.kflag:
                    members.append(Member(name_at(m_name), m_type, m_off & 0xFFFFFF, m_off >> 24))
                else:
                    members.append(Member(name_at(m_name), m_type, m_off, 0))
            t.members = tuple(members)
            max_ref = max(max_ref, *(m.type for m in members)) if members else max_ref
        elif kind is _ENUM:
            if t.size not in _ENUM_SIZES:
                raise CorruptData(f"BTF {kind.name} [{t.id}] has an invalid size ({t.size} "
                                  "bytes)")
            fmt = i32x2 if t.kflag else u32x2
            t.enumerators = tuple(
                Enumerator(name_at(n), v)
                for n, v in (fmt.unpack_from(data, off) for off in range(pos, pos + extra, 8))
            )
        elif kind is _ENUM64:
            if t.size not in _ENUM_SIZES:
                raise CorruptData(f"BTF {kind.name} [{t.id}] has an invalid size ({t.size} "
                                  "bytes)")
            values = []
            for off in range(pos, pos + extra, 12):
                n, lo, hi = u32x3.unpack_from(data, off)
                value = (hi << 32) | lo
                if t.kflag and value >= 1 << 63:
                    value -= 1 << 64
                values.append(Enumerator(name_at(n), value))
            t.enumerators = tuple(values)
        elif kind is _FUNC_PROTO:
            t.params = tuple(
                Param(name_at(n), p)
                for n, p in (u32x2.unpack_from(data, off) for off in range(pos, pos + extra, 8))
            )
            max_ref = max(max_ref, *(p.type for p in t.params)) if t.params else max_ref
        elif kind is _FUNC:
            t.linkage = vlen
        elif kind is _DATASEC:
            t.secinfos = tuple(
                VarSecinfo(*u32x3.unpack_from(data, off)) for off in range(pos, pos + extra, 12)
            )
            max_ref = max(max_ref, *(i.type for i in t.secinfos)) if t.secinfos else max_ref
        elif kind is _DECL_TAG:
            (t.component_idx,) = struct.unpack_from(bo + "i", data, pos)
        pos += extra
        types.append(t)
    return types, max_ref


_INT_SIZES = frozenset({1, 2, 4, 8, 16})
_FLOAT_SIZES = frozenset({2, 4, 8, 12, 16})
_ENUM_SIZES = frozenset({1, 2, 4, 8})

# Bytes of kind-specific data after the 12-byte common header: fixed + per item * vlen.
_EXTRA_SIZE = {kind: (0, 0) for kind in Kind}
_EXTRA_SIZE.update({
    Kind.INT: (4, 0), Kind.VAR: (4, 0), Kind.DECL_TAG: (4, 0), Kind.ARRAY: (12, 0),
    Kind.STRUCT: (0, 12), Kind.UNION: (0, 12), Kind.DATASEC: (0, 12), Kind.ENUM64: (0, 12),
    Kind.ENUM: (0, 8), Kind.FUNC_PROTO: (0, 8),
})


def _check_references(types: list[BtfType], max_ref: int) -> None:
    """Every type id a record names must exist; a few kinds constrain their targets."""
    count = len(types)
    if max_ref < count:  # the common case: only the kind constraints are left to check
        for t in types:
            kind = t.kind
            if kind is _DATASEC or kind is _FUNC or kind is _INT:
                _check_kind_constraints(t, types)
        return

    def check(t: BtfType, ref: int, what: str) -> None:
        if ref >= count:
            raise CorruptData(f"BTF type [{t.id}] ({t.kind.name}) {what} [{ref}] does not exist")

    for t in types[1:]:
        kind = t.kind
        if kind in REFERENCE_KINDS:
            check(t, t.type, "refers to type")
        if kind == Kind.ARRAY:
            check(t, t.elem_type, "element type")
            check(t, t.index_type, "index type")
        elif kind in (Kind.STRUCT, Kind.UNION):
            for m in t.members:
                check(t, m.type, f"member '{m.name}' type")
        elif kind == Kind.FUNC_PROTO:
            for p in t.params:
                check(t, p.type, "parameter type")
        elif kind == Kind.DATASEC:
            for s in t.secinfos:
                check(t, s.type, "variable")
        _check_kind_constraints(t, types)


def _check_kind_constraints(t: BtfType, types: list[BtfType]) -> None:
    kind = t.kind
    if kind == Kind.DATASEC:
        for s in t.secinfos:
            if types[s.type].kind not in _VAR_OR_FUNC:
                raise CorruptData(f"BTF DATASEC '{t.name}' lists a {types[s.type].kind.name}")
    elif kind == Kind.FUNC and types[t.type].kind != Kind.FUNC_PROTO:
        raise CorruptData(f"BTF FUNC '{t.name}' does not point to a FUNC_PROTO")
    elif kind == Kind.INT and t.int_bits > 128:
        raise CorruptData(f"BTF INT '{t.name}' has {t.int_bits} bits")
