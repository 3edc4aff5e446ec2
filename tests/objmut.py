"""Structure-aware editing and mutation of BPF objects (ELF64 + BTF), for the fuzzer.

Knows just enough of the formats to find every field worth attacking: the ELF header,
section headers, symbols, the BTF header, every BTF record and every name reference in
it. All edits keep the file an ELF file; what they do to its meaning is the point.
"""

from __future__ import annotations

import contextlib
import random
import struct
from dataclasses import dataclass

EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
SHDR = struct.Struct("<IIQQQQIIQQ")
SYM = struct.Struct("<IBBHQQ")
SHT_SYMTAB = 2

# Values that break parsers: zero, one, powers of two and their neighbours, all ones.
INTERESTING32 = [0, 1, 2, 3, 4, 7, 8, 16, 31, 32, 63, 64, 127, 128, 255, 256, 0x7FFF, 0xFFFF,
                 0x10000, 1 << 24, 0xFFFFE0, 0x7FFFFFFF, 0x80000000, 0xFFFFFFE0, 0xFFFFFFFF]
INTERESTING16 = [0, 1, 2, 0xFF, 0xFF00, 0xFFF1, 0xFFFF, 0x7FFF]
INTERESTING64 = [0, 1, 8, 64, 0x7FFFFFFF, 0xFFFFFFFF, 1 << 32, 1 << 40, (1 << 63) - 1,
                 (1 << 64) - 1]

# Bytes after a BTF record's 12-byte header: fixed + per member * vlen, by kind.
_EXTRA = {1: (4, 0), 3: (12, 0), 4: (0, 12), 5: (0, 12), 6: (0, 8), 13: (0, 8), 14: (4, 0),
          15: (0, 12), 17: (4, 0), 19: (0, 12)}
# Kinds whose members/enumerators/params start with a name offset.
_NAMED_ITEMS = {4, 5, 6, 13, 19}


@dataclass
class Section:
    index: int
    name: str
    header_pos: int  # file offset of the section header
    type: int
    offset: int
    size: int


@dataclass
class BtfRecord:
    pos: int  # offset inside the .BTF section
    kind: int
    vlen: int
    extra_pos: int
    extra_len: int
    name_fields: list[int]  # offsets (in .BTF) of every name_off field of the record


class Obj:
    """A little-endian ELF64 object being edited in place (self.data is a bytearray)."""

    def __init__(self, data: bytes) -> None:
        self.data = bytearray(data)
        self.reload()

    def reload(self) -> None:
        d = self.data
        (_ident, _type, _machine, _version, _entry, _phoff, self.shoff, _flags, _ehsize,
         _phentsize, _phnum, _shentsize, self.shnum, self.shstrndx) = EHDR.unpack_from(d, 0)
        headers = [SHDR.unpack_from(d, self.shoff + i * 64) for i in range(self.shnum)]
        names = headers[self.shstrndx]
        shstr = bytes(d[names[4] : names[4] + names[5]])
        self.sections = []
        for i, h in enumerate(headers):
            name = shstr[h[0] : shstr.index(b"\0", h[0])].decode("latin-1")
            self.sections.append(Section(i, name, self.shoff + i * 64, h[1], h[4], h[5]))

    def section(self, name: str) -> Section | None:
        return next((s for s in self.sections if s.name == name), None)

    def header_field(self, section: Section, field: int) -> tuple[int, str]:
        """(file offset, struct format) of field `field` (0..9) of a section header."""
        offsets = [(0, "I"), (4, "I"), (8, "Q"), (16, "Q"), (24, "Q"), (32, "Q"), (40, "I"),
                   (44, "I"), (48, "Q"), (56, "Q")]
        off, fmt = offsets[field]
        return section.header_pos + off, fmt

    def set_section_bytes(self, section: Section, content: bytes) -> None:
        """Move a section's bytes to the end of the file, replaced by `content`."""
        pos = (len(self.data) + 7) & ~7
        self.data.extend(bytes(pos - len(self.data)))
        self.data.extend(content)
        struct.pack_into("<QQ", self.data, section.header_pos + 24, pos, len(content))
        self.reload()

    def bytes_of(self, section: Section) -> bytes:
        return bytes(self.data[section.offset : section.offset + section.size])

    # -- symbols --------------------------------------------------------------------------

    def symtab(self) -> Section:
        return next(s for s in self.sections if s.type == SHT_SYMTAB)

    def symbol_positions(self) -> list[int]:
        """File offsets of every symbol table entry but the null one."""
        st = self.symtab()
        return [st.offset + i for i in range(24, st.size, 24)]

    def strtab(self) -> Section:
        st = self.symtab()
        link = struct.unpack_from("<I", self.data, st.header_pos + 40)[0]
        return self.sections[link]

    # -- BTF ------------------------------------------------------------------------------

    def btf(self) -> Section | None:
        return self.section(".BTF")

    def btf_layout(self) -> tuple[int, int, int, int, int]:
        """(hdr_len, type_off, type_len, str_off, str_len) of the .BTF section."""
        btf = self.btf()
        assert btf is not None
        return struct.unpack_from("<IIIII", self.data, btf.offset + 4)

    def btf_records(self) -> list[BtfRecord]:
        btf = self.btf()
        if btf is None:
            return []
        raw = self.bytes_of(btf)
        hdr_len, type_off, type_len, _str_off, _str_len = struct.unpack_from("<IIIII", raw, 4)
        pos, end = hdr_len + type_off, hdr_len + type_off + type_len
        records = []
        while pos + 12 <= end:
            info = struct.unpack_from("<I", raw, pos + 4)[0]
            kind, vlen = (info >> 24) & 0x1F, info & 0xFFFF
            fixed, per = _EXTRA.get(kind, (0, 0))
            extra = fixed + per * vlen
            names = [pos]
            if kind in _NAMED_ITEMS:
                names += [pos + 12 + i * per for i in range(vlen)]
            records.append(BtfRecord(pos, kind, vlen, pos + 12, extra, names))
            pos += 12 + extra
        return records

    def add_btf_string(self, text: bytes) -> int:
        """Append a string to the BTF string table (moving .BTF to the end of the file);
        returns its name offset."""
        btf = self.btf()
        assert btf is not None
        raw = bytearray(self.bytes_of(btf))
        hdr_len, type_off, _type_len, str_off, str_len = struct.unpack_from("<IIIII", raw, 4)
        strings_end = hdr_len + str_off + str_len
        new_off = str_len
        raw[strings_end:strings_end] = text + b"\0"
        struct.pack_into("<I", raw, 20, str_len + len(text) + 1)
        if type_off > str_off:  # types after strings: they moved
            struct.pack_into("<I", raw, 8, type_off + len(text) + 1)
        self.set_section_bytes(btf, bytes(raw))
        return new_off

    def set_btf_name(self, field_pos: int, text: bytes) -> None:
        """Point the BTF name field at `field_pos` (offset in .BTF) at a new string."""
        btf = self.btf()
        assert btf is not None
        _hdr_len, type_off, _tl, str_off, _sl = self.btf_layout()
        moved = len(text) + 1 if type_off > str_off else 0
        off = self.add_btf_string(text)
        btf = self.btf()
        assert btf is not None
        struct.pack_into("<I", self.data, btf.offset + field_pos + moved, off)

    def set_symbol_name(self, sym_pos: int, text: bytes) -> None:
        strtab = self.strtab()
        raw = self.bytes_of(strtab)
        off = len(raw)
        self.set_section_bytes(strtab, raw + text + b"\0")
        struct.pack_into("<I", self.data, sym_pos, off)


HOSTILE_NAMES = [
    b'x*/\n#define free(p) (system("PWNED"), free(p))\n/*',
    b"PWNED\n#include </etc/passwd>",
    b'PWNED"; system("x"); "',
    b"PWNED\\",
    b"PWNED??/",
    b"PWNED\x1b[2J\x1b[31m",
    b"PWNED\xc3\xa9\xff\xfe",
    b"PWNED */ int x; /*",
    b"int",
    b"__PWNED",
    b"errno",
    b"",
    b"PWNED\xe2\x80\xae",
]


_BROKEN = (struct.error, IndexError, ValueError, OverflowError, AssertionError, StopIteration,
           MemoryError)


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One structure-aware mutation of an object (several with some probability)."""
    try:
        obj = Obj(data)
    except _BROKEN:  # too broken to parse: flip bytes
        raw = bytearray(data)
        for _ in range(rng.randrange(1, 5)):
            if raw:
                raw[rng.randrange(len(raw))] ^= 1 << rng.randrange(8)
        return bytes(raw)
    for _ in range(1 + (rng.random() < 0.3) + (rng.random() < 0.1)):
        with contextlib.suppress(*_BROKEN):  # too broken for this mutation: keep it
            rng.choice(_MUTATORS)(obj, rng)
        try:
            obj.reload()
        except _BROKEN:
            break
    return bytes(obj.data)


def _put(obj: Obj, pos: int, fmt: str, value: int) -> None:
    size = struct.calcsize(fmt)
    if pos >= 0 and pos + size <= len(obj.data):
        struct.pack_into("<" + fmt, obj.data, pos, value & ((1 << (8 * size)) - 1))


def _value(rng: random.Random, fmt: str, current: int) -> int:
    pool = {"H": INTERESTING16, "B": [0, 1, 2, 0x7F, 0x80, 0xFF]}.get(
        fmt, INTERESTING64 if fmt == "Q" else INTERESTING32)
    choice = rng.random()
    if choice < 0.5:
        return rng.choice(pool)
    if choice < 0.8:
        return current + rng.choice([-8, -4, -1, 1, 4, 8, 12, 24, 64])
    return rng.getrandbits(8 * struct.calcsize(fmt))


def _mut_elf_header(obj: Obj, rng: random.Random) -> None:
    fields = [(4, "B"), (5, "B"), (16, "H"), (18, "H"), (40, "Q"), (58, "H"), (60, "H"),
              (62, "H")]
    pos, fmt = rng.choice(fields)
    _put(obj, pos, fmt, _value(rng, fmt, struct.unpack_from("<" + fmt, obj.data, pos)[0]))


def _mut_section_header(obj: Obj, rng: random.Random) -> None:
    section = rng.choice(obj.sections)
    pos, fmt = obj.header_field(section, rng.randrange(10))
    _put(obj, pos, fmt, _value(rng, fmt, struct.unpack_from("<" + fmt, obj.data, pos)[0]))


def _mut_symbol(obj: Obj, rng: random.Random) -> None:
    sym = rng.choice(obj.symbol_positions())
    off, fmt = rng.choice([(0, "I"), (4, "B"), (5, "B"), (6, "H"), (8, "Q"), (16, "Q")])
    _put(obj, sym + off, fmt, _value(rng, fmt, struct.unpack_from("<" + fmt, obj.data,
                                                                  sym + off)[0]))


def _mut_btf_header(obj: Obj, rng: random.Random) -> None:
    btf = obj.btf()
    assert btf is not None
    off, fmt = rng.choice([(2, "B"), (3, "B"), (4, "I"), (8, "I"), (12, "I"), (16, "I"),
                           (20, "I")])
    pos = btf.offset + off
    _put(obj, pos, fmt, _value(rng, fmt, struct.unpack_from("<" + fmt, obj.data, pos)[0]))


def _mut_btf_record(obj: Obj, rng: random.Random) -> None:
    btf = obj.btf()
    assert btf is not None
    records = obj.btf_records()
    record = rng.choice(records)
    base = btf.offset + record.pos
    what = rng.random()
    if what < 0.35:  # size_or_type: sizes, type ids (loops, out of range, neighbours)
        current = struct.unpack_from("<I", obj.data, base + 8)[0]
        value = rng.choice([_value(rng, "I", current), rng.randrange(len(records) + 2),
                            record_id(records, record)])
        _put(obj, base + 8, "I", value)
    elif what < 0.5:  # info: kind, kflag, vlen
        info = struct.unpack_from("<I", obj.data, base + 4)[0]
        info = rng.choice([info ^ (1 << 31), (info & ~0x1F000000) | (rng.randrange(21) << 24),
                           info + rng.choice([-1, 1]), _value(rng, "I", info)])
        _put(obj, base + 4, "I", info)
    elif record.extra_len:  # kind data: member types/offsets, nelems, INT encoding...
        pos = base + 12 + 4 * rng.randrange(record.extra_len // 4)
        current = struct.unpack_from("<I", obj.data, pos)[0]
        value = rng.choice([_value(rng, "I", current), rng.randrange(len(records) + 2)])
        _put(obj, pos, "I", value)


def record_id(records: list[BtfRecord], record: BtfRecord) -> int:
    return records.index(record) + 1


def _mut_btf_name(obj: Obj, rng: random.Random) -> None:
    records = obj.btf_records()
    record = rng.choice(records)
    field = rng.choice(record.name_fields)
    if rng.random() < 0.7:
        obj.set_btf_name(field, rng.choice(HOSTILE_NAMES))
    else:
        btf = obj.btf()
        assert btf is not None
        _put(obj, btf.offset + field, "I", _value(rng, "I", 0))


def _mut_duplicate_type(obj: Obj, rng: random.Random) -> None:
    """Point every member of a struct at one struct: nesting that multiplies."""
    btf = obj.btf()
    assert btf is not None
    records = obj.btf_records()
    structs = [r for r in records if r.kind in (4, 5) and r.vlen]
    a, b = rng.choice(structs), rng.choice(structs)
    for i in range(a.vlen):
        _put(obj, btf.offset + a.extra_pos + 12 * i + 4, "I", record_id(records, b))


def _mut_bytes(obj: Obj, rng: random.Random) -> None:
    if rng.random() < 0.2:
        del obj.data[rng.randrange(len(obj.data)):]
        return
    for _ in range(rng.randrange(1, 9)):
        pos = rng.randrange(len(obj.data))
        obj.data[pos] ^= 1 << rng.randrange(8)


_MUTATORS = [_mut_elf_header, _mut_section_header, _mut_section_header, _mut_symbol,
             _mut_btf_header, _mut_btf_record, _mut_btf_record, _mut_btf_record,
             _mut_btf_name, _mut_duplicate_type, _mut_bytes]
