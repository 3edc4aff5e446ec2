"""BPF ELF access: sections and symbols of a relocatable BPF object.

The ELF header, the section headers and the symbol table are decoded here with `struct`:
a BPF object needs a handful of fixed-size records, and pyelftools costs ~20 ms to import
(its ELFFile pulls in the DWARF readers) and one Python object per field, which costs
seconds on objects with tens of thousands of globals.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from .errors import CorruptData
from .names import decode

EM_BPF = 247

SHT_PROGBITS = 1
SHT_SYMTAB = 2
SHT_NOBITS = 8
SHF_EXECINSTR = 0x4

STB_LOCAL = 0
STB_GLOBAL = 1
STB_WEAK = 2
STT_NOTYPE = 0
STT_OBJECT = 1
STT_FUNC = 2
STV_INTERNAL = 1
STV_HIDDEN = 2
SHN_UNDEF = 0
# A NOBITS section (.bss) has no bytes in the file to bound its size, and it becomes a
# map value, which the kernel caps at KMALLOC_MAX_SIZE (a few MiB): anything near this
# limit is corrupt data, not a program.
MAX_NOBITS_SIZE = 256 << 20


class Section(NamedTuple):
    index: int
    name: str
    type: int
    flags: int
    size: int
    offset: int
    link: int

    @property
    def is_executable(self) -> bool:
        return self.type == SHT_PROGBITS and bool(self.flags & SHF_EXECINSTR)


class Symbol(NamedTuple):
    name: str
    value: int
    size: int
    bind: int
    type: int
    visibility: int
    shndx: int


class BpfElf:
    """A BPF relocatable object read into memory: sections by index and name, symbols."""

    def __init__(self, data: bytes) -> None:
        # Everything below (and libbpf, given this object) reads only what this checked.
        self._names = validate(data)
        self.data = data
        try:
            self._read_headers()
        except struct.error as e:
            raise CorruptData(f"truncated or corrupt ELF file ({e})") from None
        self.by_name = {s.name: s for s in self.sections}
        self.symbols = self._read_symbols()

    def _read_headers(self) -> None:
        data = self.data
        if len(data) < _EI_NIDENT:
            raise CorruptData("truncated or corrupt ELF file (no complete ELF header)")
        elf_class, encoding = data[4], data[5]
        if encoding not in (_ELFDATA2LSB, _ELFDATA2MSB):
            raise CorruptData(f"truncated or corrupt ELF file (invalid data encoding "
                              f"{encoding})")
        self.little_endian = encoding == _ELFDATA2LSB
        order = "<" if self.little_endian else ">"
        (machine,) = struct.unpack_from(order + "H", data, 18)
        if machine != EM_BPF:
            raise CorruptData(
                f"not a BPF object (machine {_MACHINES.get(machine, machine)}); compile it "
                "with clang -target bpf"
            )
        if elf_class != _ELFCLASS64:
            raise CorruptData("not a 64-bit ELF file; BPF objects are ELF64")
        shoff, shentsize, shnum, shstrndx = struct.unpack_from(order + "Q10xHHH", data, 0x28)
        header = struct.Struct(order + "IIQQQQIIQQ")
        if shoff == 0:
            raise CorruptData("has no section headers")
        if shentsize != header.size:
            raise CorruptData(f"truncated or corrupt ELF file (section header size "
                              f"{shentsize})")
        # More sections than e_shnum holds: section 0 has the count (and the string
        # table's index, when that does not fit either).
        first = header.unpack_from(data, shoff)
        if shnum == 0:
            shnum = first[5]
        if shstrndx == _SHN_XINDEX:
            shstrndx = first[6]
        if shoff + shnum * header.size > len(data):
            raise CorruptData("truncated or corrupt ELF file (section headers run past the "
                              "end of the file)")
        raw = [header.unpack_from(data, shoff + i * header.size) for i in range(shnum)]
        if not 0 < shstrndx < shnum:
            raise CorruptData(f"truncated or corrupt ELF file (no section name table at "
                              f"index {shstrndx})")
        self.sections: list[Section] = []
        for index, (_name_off, sh_type, flags, _addr, offset, size, link, _info, _align,
                    _entsize) in enumerate(raw):
            section = Section(index, self._names[index], sh_type, flags, size, offset, link)
            if section.type == SHT_NOBITS and section.size > MAX_NOBITS_SIZE:
                raise CorruptData(f"section '{section.name}' claims {section.size} bytes, "
                                  "more than any BPF map value can hold")
            self.sections.append(section)

    def section_bytes(self, section: Section) -> bytes:
        if section.type == SHT_NOBITS:
            return bytes(section.size)
        end = section.offset + section.size
        if end > len(self.data):
            raise CorruptData(f"section '{section.name}' runs past the end of the file")
        return self.data[section.offset : end]

    def _read_symbols(self) -> list[Symbol]:
        symtabs = [s for s in self.sections if s.type == SHT_SYMTAB]
        if not symtabs:
            raise CorruptData("has no symbol table")
        symtab = symtabs[0]
        strtab = self._linked_section(symtab)
        names = self.section_bytes(strtab)
        raw = self.section_bytes(symtab)
        fmt = struct.Struct(("<" if self.little_endian else ">") + "IBBHQQ")
        if len(raw) % fmt.size:
            raise CorruptData("symbol table size is not a multiple of the entry size")
        symbols = []
        for name_off, info, other, shndx, value, size in fmt.iter_unpack(raw):
            if name_off >= len(names) and name_off:
                raise CorruptData(f"symbol name offset {name_off} is outside the string table")
            end = names.find(b"\0", name_off)
            if end < 0:
                raise CorruptData("symbol string table is not NUL-terminated")
            symbols.append(
                Symbol(decode(names[name_off:end]), value, size, info >> 4, info & 0xF,
                       other & 0x3, shndx)
            )
        return symbols

    def _linked_section(self, section: Section) -> Section:
        if not 0 < section.link < len(self.sections):
            raise CorruptData(f"section '{section.name}' links to a missing section")
        return self.sections[section.link]


_EI_NIDENT = 64  # the whole ELF64 header: every field read below lies in it
_ELFCLASS64 = 2
_ELFDATA2LSB = 1
_ELFDATA2MSB = 2
_SHN_XINDEX = 0xFFFF
_MACHINES = {3: "EM_386", 40: "EM_ARM", 62: "EM_X86_64", 183: "EM_AARCH64", 243: "EM_RISCV"}


ET_REL = 1
EM_NONE = 0
SHT_NULL = 0
SHT_STRTAB = 3
SHT_RELA = 4
SHT_REL = 9
SHN_LORESERVE = 0xFF00
SHN_XINDEX = 0xFFFF
_EHDR_SIZE = 64
_SHDR_SIZE = 64
_SYM_SIZE = 24


def validate(data: bytes) -> list[str]:
    """Check the ELF structure of a BPF object, raising CorruptData with the first problem.

    Everything a reader dereferences is checked to lie inside the file: the ELF header,
    the section header table and its string table, every section's bytes, the symbol
    table, its names and section indexes, every relocation's symbol. Returns the
    sections' names. libbpf's ELF readers
    (its static linker above all: a zero e_shstrndx crashes libbpf 1.1 to 1.5) are only
    ever given objects that pass this; so is pyelftools.
    """
    if data[:4] != b"\x7fELF":
        raise CorruptData("not an ELF file; expected a BPF object (clang -target bpf -c)")
    if len(data) < _EHDR_SIZE:
        raise CorruptData(f"truncated ELF file ({len(data)} bytes, shorter than its header)")
    if data[5] not in (1, 2):
        raise CorruptData(f"ELF file has an invalid byte order ({data[5]})")
    bo = "<" if data[5] == 1 else ">"
    (machine,) = struct.unpack_from(bo + "H", data, 18)
    if machine not in (EM_BPF, EM_NONE):
        raise CorruptData(
            f"not a BPF object (machine {machine}); compile it with clang -target bpf")
    if data[4] != 2:
        raise CorruptData("not a 64-bit ELF file; BPF objects are ELF64")
    (e_type, _machine, _version, _entry, _phoff, e_shoff, _flags, _ehsize, _phentsize,
     _phnum, e_shentsize, e_shnum, e_shstrndx) = struct.unpack_from(bo + "HHIQQQIHHHHHH",
                                                                    data, 16)
    if e_type != ET_REL:
        raise CorruptData(f"not a relocatable object (ELF type {e_type}); BPF objects are "
                          "compiled with clang -target bpf -c")
    if e_shoff == 0 or e_shnum == 0:
        raise CorruptData("ELF file has no section headers (or an extended section count)")
    if e_shentsize != _SHDR_SIZE:
        raise CorruptData(f"ELF section header size is {e_shentsize}, not {_SHDR_SIZE}")
    if e_shoff + e_shnum * _SHDR_SIZE > len(data):
        raise CorruptData("ELF section header table runs past the end of the file")
    if not 0 < e_shstrndx < e_shnum:
        raise CorruptData(f"ELF section name table index {e_shstrndx} is invalid")
    shdr = struct.Struct(bo + "IIQQQQIIQQ")
    headers = [shdr.unpack_from(data, e_shoff + i * _SHDR_SIZE) for i in range(e_shnum)]
    for i, (_n, sh_type, _f, _a, offset, size, _l, _i, _al, _es) in enumerate(headers):
        if sh_type == SHT_NOBITS:
            if size > MAX_NOBITS_SIZE:
                raise CorruptData(f"section {i} claims {size} bytes, more than any BPF map "
                                  "value can hold")
        elif sh_type != SHT_NULL and offset + size > len(data):
            raise CorruptData(f"section {i} runs past the end of the file")
    names = _string_table(data, headers, e_shstrndx, "section name table")
    section_names = [""]
    for i, header in enumerate(headers[1:], 1):
        if header[0] >= len(names):
            raise CorruptData(f"section {i}'s name is outside the section name table")
        section_names.append(decode(names[header[0] : names.index(b"\0", header[0])]))
    symtabs = [i for i, h in enumerate(headers) if h[1] == SHT_SYMTAB]
    if len(symtabs) != 1:
        raise CorruptData("has no symbol table" if not symtabs else "has two symbol tables")
    symtab = symtabs[0]
    _n, _t, _f, _a, offset, size, link, _i, _al, entsize = headers[symtab]
    if entsize != _SYM_SIZE or size % _SYM_SIZE:
        raise CorruptData("symbol table entries are not 24 bytes")
    if not 0 < link < e_shnum:
        raise CorruptData("symbol table links to a missing string table")
    strings = _string_table(data, headers, link, "symbol string table")
    symbol_count = size // _SYM_SIZE
    for name_off, _info, _other, shndx, _value, _size in struct.iter_unpack(
            bo + "IBBHQQ", data[offset : offset + size]):
        if name_off >= len(strings):
            raise CorruptData(f"symbol name offset {name_off} is outside the string table")
        if e_shnum <= shndx < SHN_LORESERVE or shndx == SHN_XINDEX:
            raise CorruptData(f"a symbol is in section {shndx}, which does not exist")
    for i, (_n, sh_type, _f, _a, offset, size, link, info, _al, entsize) in enumerate(headers):
        if sh_type not in (SHT_REL, SHT_RELA):
            continue
        expected = 16 if sh_type == SHT_REL else 24
        if entsize != expected or size % expected:
            raise CorruptData(f"relocation section {i} has entries of {entsize} bytes")
        if link != symtab or not 0 < info < e_shnum:
            raise CorruptData(f"relocation section {i} links to the wrong sections")
        fmt = bo + ("QQ" if sh_type == SHT_REL else "QQq")
        for reloc in struct.iter_unpack(fmt, data[offset : offset + size]):
            if reloc[1] >> 32 >= symbol_count:
                raise CorruptData(f"relocation section {i} refers to a missing symbol")
    return section_names


def _string_table(data: bytes, headers: list[tuple[int, ...]], index: int, what: str
                  ) -> bytes:
    _n, sh_type, _f, _a, offset, size = headers[index][:6]
    if sh_type != SHT_STRTAB or size == 0:
        raise CorruptData(f"the {what} (section {index}) is not a string table")
    table = data[offset : offset + size]
    if table[0] != 0 or table[-1] != 0:
        raise CorruptData(f"the {what} is not NUL-terminated")
    return table


_SECTION_TYPES = {
    "SHT_NULL": 0,
    "SHT_PROGBITS": SHT_PROGBITS,
    "SHT_SYMTAB": SHT_SYMTAB,
    "SHT_STRTAB": 3,
    "SHT_RELA": 4,
    "SHT_NOBITS": SHT_NOBITS,
    "SHT_REL": 9,
}
