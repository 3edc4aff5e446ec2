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
        if data[:4] != b"\x7fELF":
            raise CorruptData("not an ELF file; expected a BPF object (clang -target bpf -c)")
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
        names_at = raw[shstrndx][4]
        self.sections: list[Section] = []
        for index, (name_off, sh_type, flags, _addr, offset, size, link, _info, _align,
                    _entsize) in enumerate(raw):
            section = Section(index, _c_string(data, names_at + name_off), sh_type, flags,
                              size, offset, link)
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
                Symbol(names[name_off:end].decode("latin-1"), value, size, info >> 4, info & 0xF,
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


def _c_string(data: bytes, start: int) -> str:
    """A NUL-terminated name (pyelftools' reading: UTF-8, undecodable bytes replaced)."""
    end = data.find(b"\0", start)
    if start >= len(data) or end < 0:
        return ""
    return data[start:end].decode("utf-8", errors="replace")
