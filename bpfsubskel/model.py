"""libbpf's open-time view of a BPF object, computed from its ELF and BTF.

This mirrors what `bpf_object__open` builds (libbpf.c: bpf_object__elf_collect,
btf_fixup_datasec, bpf_object__collect_externs, bpf_object__init_maps), which is what
bpftool's generators walk. Two deliberate differences:

* variable offsets come from ELF symbols, not from the BTF DATASEC, and a linked
  DATASEC that disagrees is reported (the static linker's stale weak-override offset);
* objects libbpf refuses to open are accepted: unresolved `extern` variables are
  listed in `unresolved_externs`, `extern` maps become maps bound by name at runtime.
  Why libbpf would refuse it is in `open_error`, which final objects (skel, check,
  harness) must not have. The one exception is an extern without BTF: no libbpf can
  open such an object and libbpf's static linker cannot link it either, so the model
  refuses it for every command, libraries included.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from typing import Any, Optional

from . import elf as E
from .btf import LINKAGE_BY_NUMBER, MAX_RESOLVE_DEPTH, Btf, BtfType, Kind, Linkage, parse
from .errors import CorruptData, InputError, read_input, reading
from .names import identifier_problem, quoted, sanitize

KCONFIG_SEC = ".kconfig"
KSYMS_SEC = ".ksyms"
MAPS_SEC = ".maps"
STRUCT_OPS_SECS = (".struct_ops", ".struct_ops.link")
ARENA_SEC = ".addr_space.1"
ARENA_IDENT = "arena"  # the data-section member of the arena map's globals (bpftool's)
BPF_MAP_TYPE_ARENA = 33

# `Kind.X` and `Linkage.X` are slow lookups on Python 3.11 (see btf.py): what runs per
# variable or per type uses these.
_VAR, _ARRAY = Kind.VAR, Kind.ARRAY
_VAR_OR_FUNC = frozenset({Kind.VAR, Kind.FUNC})
_STATIC, _GLOBAL, _EXTERN = Linkage.STATIC, Linkage.GLOBAL, Linkage.EXTERN
_POINTER_OR_ARRAY = frozenset({Kind.PTR, Kind.ARRAY})
_STRUCT_OR_UNION = frozenset({Kind.STRUCT, Kind.UNION})


class MapKind(enum.Enum):
    BTF = "btf"  # defined in SEC(".maps")
    DATA = "data"  # .data, .rodata, .bss and their .* variants
    KCONFIG = "kconfig"
    STRUCT_OPS = "struct_ops"


class _Record:
    """Fields in __slots__, compared and printed like a dataclass (dataclasses itself
    costs ~5 ms to import, through inspect)."""

    __slots__: tuple[str, ...] = ()

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, f) for f in self.__slots__)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]  # mutable, as a dataclass

    def __repr__(self) -> str:
        fields = ", ".join(f"{f}={getattr(self, f)!r}" for f in self.__slots__)
        return f"{type(self).__name__}({fields})"


class Var(_Record):
    """A variable in a data section, as libbpf sees it after open."""

    __slots__ = ("btf_offset", "linkage", "name", "offset", "size", "type_id", "weak")

    def __init__(self, name: str, type_id: int, offset: int, size: int, linkage: Linkage,
                 btf_offset: int, weak: bool = False) -> None:
        self.name = name
        self.type_id = type_id
        self.offset = offset  # byte offset in the section, from the ELF symbol
        self.size = size
        # hidden/internal globals are demoted to STATIC, as libbpf does
        self.linkage = linkage
        # The offset libbpf uses at runtime: the linked BTF DATASEC's, or (raw clang
        # output, which libbpf fixes up at open) the symbol's.
        self.btf_offset = btf_offset
        self.weak = weak  # a __weak definition (STB_WEAK symbol)

    @property
    def is_public(self) -> bool:
        return self.linkage != Linkage.STATIC


class Map(_Record):
    """A map libbpf creates when it opens the object."""

    __slots__ = (
        "arena",
        "btf_type_id",
        "datasec",
        "extern",
        "ident",
        "initial",
        "kind",
        "lookup_name",
        "map_type",
        "readonly",
        "section",
        "size",
        "value_type_id",
        "vars",
    )

    def __init__(self, kind: MapKind, lookup_name: str, ident: str, section: str = "",
                 vars: Optional[list[Var]] = None, size: int = 0, readonly: bool = False,
                 extern: bool = False, datasec: Optional[BtfType] = None,
                 btf_type_id: int = 0, initial: bytes = b"", map_type: int = 0,
                 value_type_id: int = 0, arena: bool = False) -> None:
        self.kind = kind
        # What libbpf matches at runtime (bpf_object__find_map_by_name): the ELF section
        # name for internal maps (a leading '.' makes libbpf compare the full section
        # name), the variable name for BTF and struct_ops maps.
        self.lookup_name = lookup_name
        self.ident = ident  # member name in the generated `maps` struct
        self.section = section  # ELF section for data maps, ".kconfig" for kconfig
        self.vars = [] if vars is None else vars  # sorted by offset, statics included
        self.size = size
        self.readonly = readonly
        self.extern = extern  # an `extern` map in a library, resolved at final link
        self.datasec = datasec
        self.btf_type_id = btf_type_id  # the map's own BTF VAR (BTF and struct_ops maps)
        self.initial = initial  # data maps: the section's bytes (zeros for .bss)
        self.map_type = map_type  # BTF maps: the `type` of the definition (0: not given)
        # struct_ops maps: the value struct (libbpf's btf_value_type_id: the VAR's type
        # with modifiers and typedefs resolved)
        self.value_type_id = value_type_id
        # The arena map (BPF_MAP_TYPE_ARENA) when the object has `__arena` globals: their
        # section (.addr_space.1) is its initial data, `vars` and `datasec` describe them.
        self.arena = arena

    def initial_value(self, var: Var) -> bytes:
        return self.initial[var.offset : var.offset + var.size]

    @property
    def public_vars(self) -> list[Var]:
        return [v for v in self.vars if v.is_public]

    @property
    def mmapable(self) -> bool:
        """libbpf >= 1.1 mmaps a data map only if it holds a non-static variable."""
        return self.kind in (MapKind.DATA, MapKind.KCONFIG) and any(
            v.is_public for v in self.vars
        )

    @property
    def data_ident(self) -> Optional[str]:
        """The skeleton's `struct N__<ident> *<ident>` member for this map's memory, if any.

        Every internal data map has one (bpftool with libbpf < 1.1 and Debian 12's bpftool
        7.1 emit it even with no public variables; libbpf sets it NULL after load when the
        map is not mmapable), kconfig when it has variables, the arena map `arena` when
        the object has `__arena` globals (bpftool >= 7.4).
        """
        if self.kind == MapKind.DATA:
            return self.ident
        if self.arena:
            return ARENA_IDENT
        if self.kind == MapKind.KCONFIG and self.mmapable:
            return self.ident
        return None

    @property
    def strip_modifiers(self) -> bool:
        """bpftool prints kconfig variable types with their const/volatile kept."""
        return self.kind != MapKind.KCONFIG


class Program(_Record):
    __slots__ = ("name", "offset", "section", "section_index")

    def __init__(self, name: str, section: str, section_index: int, offset: int) -> None:
        self.name = name
        self.section = section
        self.section_index = section_index
        self.offset = offset


class BpfObject(_Record):
    __slots__ = ("btf", "data", "maps", "open_error", "path", "programs",
                 "unresolved_externs", "warnings")

    def __init__(self, path: str, data: bytes, btf: Btf, maps: list[Map],
                 programs: list[Program], unresolved_externs: list[str],
                 warnings: list[str], open_error: Optional[str] = None) -> None:
        self.path = path
        self.data = data  # the whole file, as read (a skeleton embeds it)
        self.btf = btf
        self.maps = maps
        self.programs = programs
        self.unresolved_externs = unresolved_externs  # extern variables and functions
        self.warnings = warnings  # nobody defines yet, and the model's warnings
        # Why libbpf's bpf_object__open refuses this object (one line, with the fix), or
        # None. A library may have one (it is not linked yet); a final object may not.
        self.open_error = open_error

    @property
    def var_maps(self) -> list[Map]:
        """Maps that get a variables struct: mmapable ones with public variables."""
        return [m for m in self.maps if m.mmapable]

    @property
    def skel_data_maps(self) -> list[Map]:
        """Maps with a data-section member in a full skeleton (`Map.data_ident`), in order."""
        return [m for m in self.maps if m.data_ident is not None]

    @property
    def struct_ops_maps(self) -> list[Map]:
        return [m for m in self.maps if m.kind == MapKind.STRUCT_OPS]

    @property
    def arena_map(self) -> Optional[Map]:
        """The arena map holding the object's `__arena` globals, if it has any."""
        return next((m for m in self.maps if m.arena), None)

    def subskeleton_problem(self) -> Optional[str]:
        """Why libbpf's subskeleton API cannot represent this object, or None."""
        if self.arena_map is not None:
            return (f"has __arena globals ({ARENA_SEC}), which libbpf's subskeleton API "
                    "cannot bind (bpf_object__open_subskeleton needs a DATASEC map value); "
                    "move them out of the library or use a full skeleton (bpfsubskel skel)")
        return None


def refuse_subskeleton_problem(obj: BpfObject, path: str) -> None:
    """An InputError about `path` if libbpf's subskeleton API cannot represent `obj`."""
    problem = obj.subskeleton_problem()
    if problem:
        raise InputError(path, problem)


def refuse_unopenable(obj: BpfObject, path: str) -> None:
    """An InputError about `path` if libbpf's bpf_object__open would refuse `obj`: what
    needs a final object (skeleton, check, harness) cannot work on it."""
    if obj.open_error:
        raise InputError(path, obj.open_error)


def load(path: str) -> BpfObject:
    """Read a BPF object file into the model. Bad input raises InputError."""
    return from_bytes(path, read_input(path))


def from_bytes(path: str, data: bytes) -> BpfObject:
    """The model of an object already in memory; `path` names it in errors."""
    with reading(path):
        return _Builder(path, data).build()


class _Builder:
    def __init__(self, path: str, data: bytes) -> None:
        self.path = path
        self.elf = E.BpfElf(data)
        btf_section = self.elf.by_name.get(".BTF")
        if btf_section is None:
            raise CorruptData("has no .BTF section; compile it with -g (clang -target bpf -g)")
        try:
            self.btf = parse(self.elf.section_bytes(btf_section))
        except CorruptData as e:
            raise CorruptData(f"corrupt .BTF section: {e}") from None
        self.warnings: list[str] = []
        self.datasecs = self.btf.datasecs()
        # Globals by name (libbpf's find_elf_var_sym: GLOBAL or WEAK OBJECT symbols).
        self.global_objects = {
            s.name: s
            for s in self.elf.symbols
            if s.type == E.STT_OBJECT and s.bind in (E.STB_GLOBAL, E.STB_WEAK)
            and s.shndx != E.SHN_UNDEF
        }

    def build(self) -> BpfObject:
        if "maps" in self.elf.by_name:
            raise CorruptData(
                "uses the legacy 'maps' section; libbpf >= 1.0 rejects it, "
                'define maps with SEC(".maps")'
            )
        open_error = self._extern_open_error()
        btf_maps = self._btf_maps()
        self._arena(btf_maps)
        maps = btf_maps + self._data_maps() + self._kconfig_maps() + self._struct_ops()
        self._check_idents(maps)
        unresolved = self._unresolved_externs()
        if open_error is None:
            undefined = unresolved + [m.lookup_name for m in maps
                                      if m.kind == MapKind.BTF and m.extern]
            if undefined:
                open_error = (
                    f"has unresolved externs ({', '.join(sorted(set(undefined)))}), which "
                    "libbpf cannot open; link it with the objects that define them "
                    "(bpfsubskel link)")
        return BpfObject(
            path=self.path,
            data=self.elf.data,
            btf=self.btf,
            maps=maps,
            programs=self._programs(),
            unresolved_externs=unresolved,
            warnings=self.warnings,
            open_error=open_error,
        )

    # -- maps ---------------------------------------------------------------------------

    def _btf_maps(self) -> list[Map]:
        datasec = self.datasecs.get(MAPS_SEC)
        if datasec is None:
            return []
        defined: list[tuple[int, Map]] = []
        externs: list[Map] = []
        for info in datasec.secinfos:
            var = self.btf[info.type]
            if var.kind != Kind.VAR:
                continue
            m = Map(MapKind.BTF, var.name, var.name, section=MAPS_SEC, btf_type_id=var.id,
                    map_type=self._map_def_type(var))
            if var.linkage == Linkage.EXTERN:
                m.extern = True
                externs.append(m)
            else:
                sym = self.global_objects.get(var.name)
                defined.append((sym.value if sym else info.offset, m))
        defined.sort(key=lambda pair: pair[0])
        return [m for _, m in defined] + externs

    def _map_def_type(self, var: BtfType) -> int:
        """`__uint(type, T)` of a BTF map definition: the member `type`, `int (*)[T]`."""
        definition = self.btf.skip_modifiers(var.type, typedefs=True)
        for member in definition.members if definition.kind == Kind.STRUCT else ():
            if member.name == "type":
                ptr = self.btf.skip_modifiers(member.type, typedefs=True)
                if ptr.kind == Kind.PTR:
                    array = self.btf.skip_modifiers(ptr.type, typedefs=True)
                    if array.kind == Kind.ARRAY:
                        return array.nelems
        return 0

    def _arena(self, btf_maps: list[Map]) -> None:
        """`__arena` globals: the initial data of the (single) arena map, as libbpf 1.5.

        libbpf (bpf_object__init_user_btf_maps) takes a non-empty PROGBITS .addr_space.1
        as the arena map's initial data; bpftool gives such a map the member `arena`.
        """
        arenas = [m for m in btf_maps if m.map_type == BPF_MAP_TYPE_ARENA and not m.extern]
        if len(arenas) > 1:
            raise CorruptData(
                f"defines two BPF_MAP_TYPE_ARENA maps ('{arenas[0].lookup_name}' and "
                f"'{arenas[1].lookup_name}'); libbpf supports one, remove the other"
            )
        sec = self.elf.by_name.get(ARENA_SEC)
        if sec is None or sec.type != E.SHT_PROGBITS or sec.size == 0:
            return
        if not arenas:
            raise CorruptData(
                f"has __arena globals ({ARENA_SEC}) but no BPF_MAP_TYPE_ARENA map; libbpf "
                'refuses it: define the arena map in SEC(".maps")'
            )
        m = arenas[0]
        m.arena = True
        m.size = sec.size
        m.initial = self.elf.section_bytes(sec)
        m.datasec = self.datasecs.get(ARENA_SEC)
        if m.datasec is not None:
            m.vars = self._section_vars(m.datasec, sec)

    def _data_maps(self) -> list[Map]:
        maps = []
        for sec in self.elf.sections:  # section index order, as libbpf
            if not _is_data_section(sec):
                continue
            if not all(" " <= ch <= "~" and ch not in '"\\' for ch in sec.name):
                raise CorruptData(
                    f"section name {sec.name!r} cannot be written in a C string literal; "
                    "use letters, digits, '.', '_' or '-'"
                )
            datasec = self.datasecs.get(sec.name)
            m = Map(
                MapKind.DATA,
                lookup_name=sec.name,
                ident=_data_map_ident(sec.name),
                section=sec.name,
                size=sec.size,
                readonly=sec.name.startswith(".rodata"),
                datasec=datasec,
                initial=self.elf.section_bytes(sec),
            )
            if datasec is not None:
                m.vars = self._section_vars(datasec, sec)
            maps.append(m)
        return maps

    def _section_vars(self, datasec: BtfType, sec: E.Section) -> list[Var]:
        linked = datasec.size != 0  # raw clang output has size 0 and offsets 0
        result = []
        for info in datasec.secinfos:
            var_type = self.btf[info.type]
            if var_type.kind is not _VAR:
                raise CorruptData(f"BTF DATASEC '{sec.name}' lists a non-variable")
            linkage = LINKAGE_BY_NUMBER.get(var_type.linkage)
            if linkage is None:
                raise CorruptData(f"variable '{var_type.name}' has invalid linkage")
            if linkage is _EXTERN:
                continue  # an extern placed in a section: defined elsewhere, listed as such
            offset = info.offset
            weak = False
            if linkage is _GLOBAL:
                sym = self.global_objects.get(var_type.name)
                if sym is None:
                    raise CorruptData(
                        f"variable '{var_type.name}' in '{sec.name}' has no ELF symbol"
                    )
                if sym.shndx != sec.index:
                    other = self.elf.sections[sym.shndx].name \
                        if sym.shndx < len(self.elf.sections) else "?"
                    raise CorruptData(
                        f"variable '{var_type.name}' is listed in BTF section '{sec.name}' but "
                        f"its symbol is in '{other}' (a clang bug, seen with zero-initialised "
                        "unions); initialise it or give it an explicit SEC()"
                    )
                offset = sym.value
                weak = sym.bind == E.STB_WEAK
                if linked and info.offset != sym.value:
                    self.warnings.append(self._offset_warning(var_type.name, sec, info.offset,
                                                              sym.value))
                if sym.visibility in (E.STV_HIDDEN, E.STV_INTERNAL):
                    linkage = _STATIC
            if offset + info.size > sec.size:
                raise CorruptData(
                    f"variable {quoted(var_type.name)} lies outside section {quoted(sec.name)}"
                )
            if self.btf.resolve_size(var_type.type) > info.size:
                raise CorruptData(
                    f"variable {quoted(var_type.name)} in {quoted(sec.name)}: its BTF type is "
                    f"larger than the {info.size} bytes it has")
            # The offset libbpf uses: a linked DATASEC's as is; in raw clang output libbpf
            # sets globals (hidden ones too) from their symbols and leaves statics alone.
            global_in_btf = var_type.linkage == _GLOBAL
            btf_offset = info.offset if linked or not global_in_btf else offset
            result.append(Var(var_type.name, var_type.type, offset, info.size, linkage,
                              btf_offset, weak))
        # libbpf sorts by offset; keep BTF order among equal offsets for determinism.
        result.sort(key=lambda v: v.offset)
        return result

    def _offset_warning(self, name: str, sec: E.Section, btf_offset: int, sym_offset: int
                        ) -> str:
        shadow = any(
            s.name == name and s.bind == E.STB_LOCAL and s.shndx == sec.index
            and s.value == btf_offset for s in self.elf.symbols
        )
        if shadow:
            return (f"'{name}' in '{sec.name}': BTF offset {btf_offset} is that of a static "
                    f"variable of the same name, not of the global at {sym_offset} (libbpf's "
                    "linker confuses them when it relinks); rename the static")
        return (f"'{name}' in '{sec.name}': BTF offset {btf_offset} disagrees with its symbol "
                f"at {sym_offset} (stale weak override from the static linker); libbpf will "
                "use the BTF offset at runtime. Link the object again (bpfsubskel link) to "
                "fix it")

    def _kconfig_maps(self) -> list[Map]:
        datasec = self.datasecs.get(KCONFIG_SEC)
        if datasec is None or not datasec.secinfos:
            return []
        externs = []
        for info in datasec.secinfos:
            var_type = self.btf[info.type]
            if var_type.kind == Kind.FUNC:  # libbpf: ENOTSUP at open, linked or not
                raise CorruptData(f"extern function '{var_type.name}' is declared __kconfig; "
                                  "libbpf supports only variables there: declare it __ksym")
            if var_type.kind != Kind.VAR:
                raise CorruptData("BTF DATASEC '.kconfig' lists a non-variable")
            size = self.btf.resolve_size(var_type.type)
            align = self.btf.align_of(var_type.type)
            externs.append((var_type, size, align))
        # bpf_object__collect_externs: alignment descending, size ascending, then name.
        externs.sort(key=lambda e: (-e[2], e[1], e[0].name))
        offset = 0
        kvars = []
        for var_type, size, align in externs:
            offset = -(-offset // align) * align
            kvars.append(Var(var_type.name, var_type.type, offset, size, Linkage.GLOBAL, offset))
            offset += size
        return [
            Map(MapKind.KCONFIG, lookup_name=KCONFIG_SEC, ident="kconfig", section=KCONFIG_SEC,
                vars=kvars, size=offset, readonly=True, datasec=datasec)
        ]

    def _struct_ops(self) -> list[Map]:
        """libbpf's bpf_object_init_struct_ops: sections in index order, DATASEC order within."""
        names = {*STRUCT_OPS_SECS, *("?" + n for n in STRUCT_OPS_SECS)}
        maps = []
        for sec in self.elf.sections:
            if sec.name not in names or sec.type != E.SHT_PROGBITS or sec.size == 0:
                continue
            datasec = self.datasecs.get(sec.name)
            if datasec is None:
                raise CorruptData(f"section '{sec.name}' has no BTF DATASEC; compile with -g")
            for info in datasec.secinfos:
                var = self.btf[info.type]
                value = self.btf.skip_modifiers(var.type, typedefs=True)
                if value.kind != Kind.STRUCT or not value.name:
                    raise CorruptData(
                        f"struct_ops map '{var.name}' is not of a named struct type; "
                        "libbpf refuses it"
                    )
                maps.append(Map(MapKind.STRUCT_OPS, var.name, var.name, section=sec.name,
                                btf_type_id=var.id, size=value.size,
                                value_type_id=value.id))
        return maps

    def _check_idents(self, maps: list[Map]) -> None:
        seen: dict[str, Map] = {}
        checked_types: set[int] = set()  # thousands of variables share a few types
        for m in maps:
            if m.kind in (MapKind.BTF, MapKind.STRUCT_OPS):
                problem = identifier_problem(m.ident)
                if problem:
                    raise CorruptData(f"map name '{m.ident}' {problem}; rename the map")
            other = seen.get(m.ident)
            if other is not None:
                raise CorruptData(
                    f"{_describe(other)} and {_describe(m)} would both become the C identifier "
                    f"'{m.ident}' in the generated header; rename one of them"
                )
            seen[m.ident] = m
            for v in m.public_vars:
                problem = identifier_problem(v.name)
                if problem:
                    raise CorruptData(f"variable name '{v.name}' {problem}")
                if v.type_id in checked_types:
                    continue
                for member in _inline_member_names(self.btf, v.type_id):
                    problem = identifier_problem(member)
                    if problem:
                        raise CorruptData(
                            f"variable '{v.name}' has an anonymous struct or union with a "
                            f"member named '{member}', which {problem}; give the type a name "
                            "or rename the member"
                        )
                checked_types.add(v.type_id)

    # -- programs and externs -----------------------------------------------------------

    def _programs(self) -> list[Program]:
        programs = []
        sections = self.elf.sections
        for sym in self.elf.symbols:
            if sym.type != E.STT_FUNC or not 0 < sym.shndx < len(sections):
                continue
            sec = sections[sym.shndx]
            if not sec.is_executable or sec.name == ".text":
                continue
            if sym.bind == E.STB_LOCAL:
                raise CorruptData(
                    f"program '{sym.name}' in '{sec.name}' is static; libbpf does not "
                    "support static programs, remove 'static'"
                )
            programs.append(Program(sym.name, sec.name, sec.index, sym.value))
        programs.sort(key=lambda p: (p.section_index, p.offset))
        seen = set()
        for p in programs:
            problem = identifier_problem(p.name)
            if problem:
                raise CorruptData(f"program name '{p.name}' {problem}")
            if p.name in seen:
                raise CorruptData(f"two programs are named '{p.name}'")
            seen.add(p.name)
        return programs

    def _extern_open_error(self) -> Optional[str]:
        """libbpf's bpf_object__collect_externs (1.1 to 1.5), for what it rejects outright.

        Every undefined GLOBAL/WEAK NOTYPE symbol is an extern, matched by name to the first
        BTF VAR or FUNC. None (an extern without BTF) is fatal here for every object: libbpf
        can neither open nor link it. A first match that is not extern (a static of the same
        name) is the open error. Externs outside .kconfig/.ksyms are the unresolved externs
        (_unresolved_externs); a __kconfig function, refused by _kconfig_maps.
        """
        first: dict[str, BtfType] = {}
        for t in self.btf.types:
            if t.kind in _VAR_OR_FUNC and t.name not in first:
                first[t.name] = t
        error = None
        for sym in self.elf.symbols:
            if (sym.shndx != E.SHN_UNDEF or sym.bind not in (E.STB_GLOBAL, E.STB_WEAK)
                    or sym.type != E.STT_NOTYPE or not sym.name):
                continue
            t = first.get(sym.name)
            if t is None:
                raise CorruptData(
                    f"extern '{sym.name}' has no BTF, so libbpf can neither open nor link "
                    "this object; declare it in C and compile the file that uses it with -g "
                    "(clang -target bpf -g)")
            if error is not None:
                continue
            if t.linkage != Linkage.EXTERN:
                what = "variable" if t.kind == Kind.VAR else "function"
                error = (f"extern '{sym.name}' has a {_LINKAGE_NAMES.get(t.linkage, '')}"
                         f"{what} of the same name before it in BTF; libbpf takes that one "
                         "for the extern and fails to open the object (EINVAL): rename one "
                         "of them")
        return error

    def _unresolved_externs(self) -> list[str]:
        """Extern variables and functions that no section of this object defines."""
        bound = set()
        for sec in (KCONFIG_SEC, KSYMS_SEC, MAPS_SEC):
            datasec = self.datasecs.get(sec)
            if datasec is not None:
                bound.update(self.btf[i.type].name for i in datasec.secinfos)
        names = {
            t.name
            for t in self.btf.types
            if t.kind in _VAR_OR_FUNC and t.linkage == _EXTERN and t.name not in bound
        }
        return sorted(names)


_LINKAGE_NAMES = {Linkage.STATIC: "static ", Linkage.GLOBAL: "global "}


def _inline_member_names(btf: Btf, type_id: int) -> Iterator[str]:
    """Member names the generated C prints: those of anonymous structs/unions, inlined.

    Each type is visited once (anonymous structs sharing members would otherwise cost
    exponential time); cdecl.py checks every name it prints in any case.
    """
    seen: set[int] = set()
    pending = [type_id]
    while pending:
        t = btf.skip_modifiers(pending.pop())
        for _ in range(MAX_RESOLVE_DEPTH):
            if t.kind not in _POINTER_OR_ARRAY:
                break
            t = btf.skip_modifiers(t.elem_type if t.kind is _ARRAY else t.type)
        if t.kind in _STRUCT_OR_UNION and not t.name and t.id not in seen:
            seen.add(t.id)
            for m in t.members:
                if m.name:
                    yield m.name
                pending.append(m.type)


def _is_data_section(sec: E.Section) -> bool:
    if sec.size == 0:
        return False
    if sec.type == E.SHT_PROGBITS and not sec.flags & E.SHF_EXECINSTR:
        return any(sec.name == p or sec.name.startswith(p + ".") for p in (".data", ".rodata"))
    if sec.type == E.SHT_NOBITS:
        return sec.name == ".bss" or sec.name.startswith(".bss.")
    return False


def _data_map_ident(section: str) -> str:
    """`.data` -> `data`, `.data.my-sec` -> `data_my_sec`, `.rodata.str1.1` -> `rodata_str1_1`.

    bpftool finds the prefix with strstr on the map name, which turns `.rodata.data` into
    `data`; a prefix match on the section name is what its DATASEC matching does and is
    never ambiguous.
    """
    return sanitize(section[1:])


def _describe(m: Map) -> str:
    if m.kind == MapKind.DATA:
        return f"section '{m.section}'"
    if m.kind == MapKind.KCONFIG:
        return "the __kconfig externs"
    return f"map '{m.lookup_name}'"
