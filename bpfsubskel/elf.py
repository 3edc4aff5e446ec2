"""BPF ELF access: sections and symbols of a relocatable BPF object.

pyelftools reads the ELF and section headers. The symbol table is decoded here with
`struct` from the section's bytes: pyelftools builds one Python object per field, which
costs seconds on objects with tens of thousands of globals.
"""

from __future__ import annotations

import io
import struct
from typing import TYPE_CHECKING, NamedTuple

from .errors import CorruptData

if TYPE_CHECKING:
    from elftools.elf.elffile import ELFFile

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
        # Imported here: pyelftools costs ~40 ms to import, and --help should not pay it.
        from elftools.common.exceptions import ELFError
        from elftools.elf.elffile import ELFFile

        if data[:4] != b"\x7fELF":
            raise CorruptData("not an ELF file; expected a BPF object (clang -target bpf -c)")
        self.data = data
        try:
            self._read_headers(ELFFile(io.BytesIO(data)))
        except (ELFError, struct.error) as e:
            raise CorruptData(f"truncated or corrupt ELF file ({e})") from None
        self.by_name = {s.name: s for s in self.sections}
        self.symbols = self._read_symbols()

    def _read_headers(self, elf: ELFFile) -> None:
        machine = elf.header["e_machine"]
        if machine not in ("EM_BPF", EM_BPF):
            raise CorruptData(
                f"not a BPF object (machine {machine}); compile it with clang -target bpf"
            )
        if elf.elfclass != 64:
            raise CorruptData("not a 64-bit ELF file; BPF objects are ELF64")
        self.little_endian = elf.little_endian
        self.sections: list[Section] = []
        for index, sec in enumerate(elf.iter_sections()):
            h = sec.header
            section = Section(index, sec.name, _SECTION_TYPES.get(h["sh_type"], -1),
                              h["sh_flags"], h["sh_size"], h["sh_offset"], h["sh_link"])
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


_SECTION_TYPES = {
    "SHT_NULL": 0,
    "SHT_PROGBITS": SHT_PROGBITS,
    "SHT_SYMTAB": SHT_SYMTAB,
    "SHT_STRTAB": 3,
    "SHT_RELA": 4,
    "SHT_NOBITS": SHT_NOBITS,
    "SHT_REL": 9,
}
