"""Full skeletons (`bpfsubskel skel`) of every corpus object: compiled, compared, run.

For each good tests/corpus/*.bpf.c that is a final object (no unresolved externs):

* the skeleton is compiled, in a translation unit that calls every generated function
  and takes the address of every member, by gcc (gnu11, c11), clang (c11), g++ and
  clang++ (c++17), all with -Wall -Wextra -Werror; the same unit asserts each data
  member's offset and size against the ELF symbol (independently of the generator);
* the skeleton and the subskeleton of the object coexist in one C++ unit;
* the members and lookup strings are those the ELF object has;
* it is compared with the installed `bpftool gen skeleton` by a C compiler: struct sizes,
  member offsets, compatible types, and the maps/progs/links lists. Each bpftool
  version differs in documented ways (reference §0, §5): each is asserted specifically
  in KNOWN_DIFFERENCES tests, never skipped;
* one C program with every skeleton writes N__elf_bytes (must be the object file) and
  opens each skeleton with libbpf (no kernel load): every data-section pointer is set
  and its members read the object's initial values.

Headers are parsed only to *list names* (members, lookup strings); whether they are
right is decided by compilers, libbpf and the ELF object.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, TypeVar

import pytest
import subskel_text as st
from conftest import CORPUS, bpftool, bpftool_version, collect_only_if, run_cc, run_cli
from elftools.elf.elffile import ELFFile

F = TypeVar("F", bound=Callable[..., Any])
GOOD = sorted(p.name[: -len(".bpf.c")] for p in CORPUS.glob("*.bpf.c")
              if not p.name.startswith("bad_"))
BAD = sorted(p.name[: -len(".bpf.c")] for p in CORPUS.glob("bad_*.bpf.c"))

# Good corpus objects that are libraries, not final objects: `skel` refuses them
# (libbpf could not open them), with this text in its one-line message.
SKEL_REFUSED = {
    "extern_unresolved": "unresolved externs (provided_elsewhere, shared_map)",
}
FINAL = [s for s in GOOD if s not in SKEL_REFUSED]

WARN = ["-Wall", "-Wextra", "-Werror"]
COMPILERS: dict[str, list[str]] = {
    "gcc-gnu11": ["gcc", "-x", "c", "-std=gnu11"],
    "gcc-c11": ["gcc", "-x", "c", "-std=c11"],
    "clang-c11": ["clang", "-x", "c", "-std=c11"],
    "g++-c++17": ["g++", "-x", "c++", "-std=c++17"],
    "clang++-c++17": ["clang++", "-x", "c++", "-std=c++17"],
}

HAVE_BPFTOOL = shutil.which("bpftool") is not None or Path("/usr/sbin/bpftool").exists()

# struct_ops shadow types from 7.4, struct_ops map links from 7.5 (reference §0).
BPFTOOL_VERSION = bpftool_version()

# Documented ways in which the installed `bpftool gen skeleton` differs, by version
# (reference §0, §5); each is asserted by a test collected only where it exists.
#   open-fails:  the 6.1-tree libbpf rejects .bss.* sections; bpftool cannot open the object
#   hidden:      bpftool with libbpf < 1.1 exposes __hidden globals; we follow libbpf >= 1.1
#   B2:          `.rodata.data` -> `data`: duplicate members, invalid C
#   B4:          a `.bss.*` section over 15 characters: bpftool names it by libbpf's
#                truncated map name (an empty struct, a lookup that fails at runtime)
#   enum-size:   an 8-byte anonymous enum printed without mode(word): a 4-byte C type,
#                so bpftool's own N__assert fails
if bpftool_version() < (7, 2):  # Debian 12's 7.1, built from the linux-6.1 tree
    KNOWN_DIFFERENCES = {
        "bss_sections": "open-fails",
        "statics": "hidden",
        "rodata_data": "B2",
        "anon_types": "enum-size",
    }
else:  # upstream bpftool (Debian 13 has 7.5)
    KNOWN_DIFFERENCES = {
        "bss_sections": "B4",
        "rodata_data": "B2",
    }


def difference(stem: str, kind: str) -> Callable[[F], F]:
    """Collect the decorated test only where bpftool shows this difference on `stem`."""
    return collect_only_if(KNOWN_DIFFERENCES.get(stem) == kind)


# -- enumerating a full skeleton header --------------------------------------------------


@dataclass
class SkelMember:
    name: str
    statement: str  # the declaration without the `;`

    @property
    def is_pad(self) -> bool:
        return re.fullmatch(r"__pad\d+", self.name) is not None


@dataclass
class MapSlot:
    name: str  # the runtime lookup string, `map->name = "..."`
    ident: str = ""  # `&obj->maps.<ident>`
    mmaped: Optional[str] = None  # `&obj-><mmaped>`
    link: Optional[str] = None  # `map->link = &obj->links.<link>` (struct_ops maps)


@dataclass
class ProgSlot:
    name: str
    prog: str = ""
    link: str = ""


@dataclass
class Skel:
    name: str
    maps: list[str] = field(default_factory=list)
    progs: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    sections: dict[str, list[SkelMember]] = field(default_factory=dict)  # ident -> members
    tags: dict[str, str] = field(default_factory=dict)  # ident -> struct tag
    # struct_ops shadow types: map ident -> (struct tag, members)
    struct_ops: dict[str, tuple[str, list[SkelMember]]] = field(default_factory=dict)
    map_slots: list[MapSlot] = field(default_factory=list)
    prog_slots: list[ProgSlot] = field(default_factory=list)
    map_cnt: Optional[int] = None
    prog_cnt: Optional[int] = None
    duplicates: list[str] = field(default_factory=list)

    def members(self) -> list[tuple[str, SkelMember]]:
        return [(sec, m) for sec, ms in self.sections.items() for m in ms if not m.is_pad]

    def empty_sections(self) -> list[str]:
        """Data-section structs without variables (statics only, no DATASEC)."""
        return [sec for sec, ms in self.sections.items() if not [m for m in ms if not m.is_pad]]


_BRACED = re.compile(r"\{[^{}]*\}")
_ATTRIBUTE = re.compile(r"__attribute__\s*\(\(.*?\)\)")
_PAREN_DECLARATOR = re.compile(r"\(\s*\*+\s*(\w+)")
_SLOT = re.compile(
    r'(?:s->maps\[\d+\]\.|\bmap->)name\s*=\s*"(?P<map>[^"]*)"'
    r"|(?:s->maps\[\d+\]\.|\bmap->)map\s*=\s*&obj->maps\.(?P<map_ident>\w+)"
    r"|(?:s->maps\[\d+\]\.|\bmap->)mmaped\s*=\s*\(void\s*\*\*\)\s*&obj->(?P<mmaped>\w+)"
    r"|\bmap->link\s*=\s*&obj->links\.(?P<map_link>\w+)"
    r'|s->progs\[\d+\]\.name\s*=\s*"(?P<prog>[^"]*)"'
    r"|s->progs\[\d+\]\.prog\s*=\s*&obj->progs\.(?P<prog_ident>\w+)"
    r"|s->progs\[\d+\]\.link\s*=\s*&obj->links\.(?P<link>\w+)"
    r"|s->map_cnt\s*=\s*(?P<map_cnt>\d+)"
    r"|s->prog_cnt\s*=\s*(?P<prog_cnt>\d+)"
)


def member_name(statement: str) -> str:
    """The declared name of a struct member: `int (*fp[2])(int)` -> fp, `int a[4]` -> a."""
    core = statement
    while _BRACED.search(core):  # drop inline aggregate bodies, innermost first
        core = _BRACED.sub("", core)
    core = _ATTRIBUTE.sub("", core)
    core = re.sub(r":\s*\d+\s*$", "", core).strip()
    m = _PAREN_DECLARATOR.search(core)
    if m:
        return m.group(1)
    name = st.trailing_name(core)
    if name is None:
        raise ValueError(f"no member name in {statement!r}")
    return name


def parse_skel(text: str, name: str) -> Skel:
    text = st.strip_comments(text)
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    skel = Skel(name)
    start = re.search(rf"^struct\s+{re.escape(name)}\s*\{{", text, re.M)
    if not start:
        raise ValueError(f"no 'struct {name} {{' in the header")
    body, _ = st.braced_body(text, start.end() - 1)
    for stmt in st.statements(body):
        if stmt.startswith("static") or "{" not in stmt:
            continue  # C++ member declarations, skeleton/obj pointers
        ident = st.trailing_name(stmt)
        if ident is None:
            raise ValueError(f"unnamed member block: {stmt[:60]!r}")
        inner, _ = st.braced_body(stmt, stmt.index("{"))
        members = [SkelMember(member_name(s), s) for s in st.statements(inner)]
        names = [m.name for m in members]
        skel.duplicates += [f"{ident}.{n}" for n in sorted(set(names)) if names.count(n) > 1]
        if ident in ("maps", "progs", "links"):
            getattr(skel, ident).extend(names)
            continue
        if ident == "struct_ops":
            for shadow in st.statements(inner):
                tag = re.match(r"struct\s+(\w+)\s*\{", shadow)
                body, _ = st.braced_body(shadow, shadow.index("{"))
                skel.struct_ops[st.trailing_name(shadow) or ""] = (
                    tag.group(1) if tag else "",
                    [SkelMember(member_name(x), x) for x in st.statements(body)])
            continue
        tag = re.match(r"struct\s+(\w+)\s*\{", stmt)
        if ident in skel.sections:
            skel.duplicates.append(ident)
        skel.tags[ident] = tag.group(1) if tag else ""
        skel.sections.setdefault(ident, []).extend(members)
    create = re.search(rf"{re.escape(name)}__create_skeleton\s*\(\s*struct\s+"
                       rf"{re.escape(name)}\s*\*\s*obj\s*\)\s*\{{", text)
    if not create:
        raise ValueError(f"no definition of {name}__create_skeleton")
    create_body, _ = st.braced_body(text, create.end() - 1)
    for m in _SLOT.finditer(create_body):
        kind, value = next((k, v) for k, v in m.groupdict().items() if v is not None)
        if kind == "map":
            skel.map_slots.append(MapSlot(value))
        elif kind == "map_ident":
            skel.map_slots[-1].ident = value
        elif kind == "mmaped":
            skel.map_slots[-1].mmaped = value
        elif kind == "map_link":
            skel.map_slots[-1].link = value
        elif kind == "prog":
            skel.prog_slots.append(ProgSlot(value))
        elif kind == "prog_ident":
            skel.prog_slots[-1].prog = value
        elif kind == "link":
            skel.prog_slots[-1].link = value
        else:
            setattr(skel, kind, int(value))
    return skel


def libbpf_map_name(name: str, obj_name: str) -> str:
    """`bpf_map__name()` of a map in an object opened as obj_name (reference §1.5).

    BTF maps keep their name; `.data.*`/`.rodata.*` use the section name; other internal
    maps get the 15-character kernel name with an object-name prefix.
    """
    if not name.startswith(".") or name.startswith((".data.", ".rodata.")):
        return name
    sfx = max(7, len(name))
    room = 16 - sfx - 1
    pfx = 0 if "." in name[1:] else (len(obj_name) if room < 0 else min(room, len(obj_name)))
    out = (obj_name[:pfx] + name[:sfx])[:15]
    return re.sub(r"[^A-Za-z0-9_.]", "_", out)


# -- the objects, their headers and bpftool's ----------------------------------------------


@dataclass
class Generated:
    stem: str
    obj: Path
    skel: Path  # ours, named ours_<stem>
    skel_run: subprocess.CompletedProcess[str]
    subskel: Path  # ours, named sub_<stem> (final objects only)
    theirs: Path  # bpftool's skeleton, named theirs_<stem>
    bpftool: Optional[subprocess.CompletedProcess[str]]

    @property
    def ours_name(self) -> str:
        return f"ours_{self.stem}"

    @property
    def theirs_name(self) -> str:
        return f"theirs_{self.stem}"

    def ours(self) -> Skel:
        if self.skel_run.returncode:
            pytest.fail(f"bpfsubskel skel failed on {self.stem}.bpf.o:\n{self.skel_run.stderr}")
        return parse_skel(self.skel.read_text(), self.ours_name)

    def parse_theirs(self) -> Skel:
        return parse_skel(self.theirs.read_text(), self.theirs_name)


@pytest.fixture(scope="module")
def generated(corpus_objects: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
              ) -> dict[str, Generated]:
    """Our skeleton (and subskeleton) and bpftool's skeleton of every good object,
    generated concurrently once per module."""
    out = tmp_path_factory.mktemp("skel_corpus")

    def one(stem: str) -> Generated:
        obj = corpus_objects[stem]
        skel = out / f"{stem}.skel.h"
        sub = out / f"{stem}.subskel.h"
        theirs = out / f"{stem}.theirs.skel.h"
        run = run_cli("skel", obj, "-o", skel, "--name", f"ours_{stem}")
        if stem in FINAL:
            run_cli("subskel", obj, "-o", sub, "--name", f"sub_{stem}", check=True)
        proc = None
        if HAVE_BPFTOOL:
            proc = bpftool("gen", "skeleton", obj, "name", f"theirs_{stem}")
            theirs.write_text(proc.stdout)
        return Generated(stem, obj, skel, run, sub, theirs, proc)

    with ThreadPoolExecutor(max_workers=8) as pool:
        return {g.stem: g for g in pool.map(one, GOOD)}


# -- the ELF object's own view -----------------------------------------------------------


def public_vars(obj: Path) -> list[st.ElfVar]:
    """Non-hidden globals in data sections, by section then offset."""
    return sorted((v for v in st.elf_global_vars(obj) if not v.hidden),
                  key=lambda v: (v.section, v.offset))


def section_bytes(obj: Path) -> dict[str, bytes]:
    """Initial contents of each data section (zeros for NOBITS)."""
    out = {}
    with obj.open("rb") as f:
        for sec in ELFFile(f).iter_sections():
            if st.is_data_section_name(sec.name):
                out[sec.name] = (b"\0" * sec["sh_size"] if sec["sh_type"] == "SHT_NOBITS"
                                 else sec.data())
    return out


def has_kconfig(obj: Path) -> bool:
    with obj.open("rb") as f:
        elf = ELFFile(f)
        btf = elf.get_section_by_name(".BTF")
        return btf is not None and b"\0.kconfig\0" in btf.data()


def compile_unit(compiler: str, source: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    cmd = COMPILERS[compiler]
    return run_cc(cmd[0], source, source.with_suffix(".o"), *cmd[1:], *WARN, f"-I{CORPUS}",
                  "-c", *extra)


# -- 0. which objects `skel` accepts ---------------------------------------------------------


@pytest.mark.parametrize("stem", GOOD)
def test_skel_accepts_final_objects_only(stem: str, generated: dict[str, Generated]) -> None:
    g = generated[stem]
    if stem in SKEL_REFUSED:
        assert g.skel_run.returncode == 2, g.skel_run.stderr
        lines = g.skel_run.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("bpfsubskel: error: "), lines
        assert SKEL_REFUSED[stem] in lines[0] and "bpfsubskel link" in lines[0]
        assert not g.skel.exists()
    else:
        assert g.skel_run.returncode == 0, g.skel_run.stderr
        assert g.skel.read_text().strip()


@pytest.mark.parametrize("stem", BAD)
def test_bad_objects_are_refused(stem: str, corpus_objects: dict[str, Path],
                                 tmp_path: Path) -> None:
    out = tmp_path / "bad.skel.h"
    result = run_cli("skel", corpus_objects[stem], "-o", out)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("bpfsubskel: error: "), result.stderr
    assert not out.exists()


# -- 1. compile checks -----------------------------------------------------------------------


def use_function(name: str, skel: Skel, obj: Optional[Path] = None) -> str:
    """C/C++ calling every generated function and taking every member's address.

    With obj, each data member's offset and size are asserted against its ELF symbol.
    """
    addrs = ["&s->skeleton", "&s->obj"]
    addrs += [f"&s->maps.{m}" for m in skel.maps]
    addrs += [f"&s->progs.{p}" for p in skel.progs]
    addrs += [f"&s->links.{p}" for p in skel.links]
    addrs += [f"&s->{sec}->{m.name}" for sec, ms in skel.sections.items() for m in ms]
    addrs += [f"&s->struct_ops.{ident}" for ident in skel.struct_ops]
    addrs += [f"&s->struct_ops.{ident}->{m.name}" for ident, (_, ms) in skel.struct_ops.items()
              for m in ms]
    asserts = []
    if obj is not None:
        for v in public_vars(obj):
            sec = st.section_ident(v.section)
            asserts.append(
                f"\tSTATIC_ASSERT(offsetof(__typeof__(*s->{sec}), {v.name}) == {v.offset}"
                f' && sizeof(s->{sec}->{v.name}) == {v.size}, "ELF layout of {v.name}");'
            )
    addr_list = ",\n\t\t".join(addrs)
    assert_lines = "\n".join(asserts)
    return f"""
int use_{name}(void);
int use_{name}(void)
{{
	struct bpf_object_open_opts opts;
	size_t sz = 0;
	const void *bytes = {name}__elf_bytes(&sz);
	struct {name} *s = {name}__open();
	int n = 0;

	if (!s)
		return -1;
	{{
		const void *addrs[] = {{
			{addr_list}
		}};
		n += (int)(sizeof(addrs) / sizeof(addrs[0]));
	}}
{assert_lines}
	{name}__destroy(s);

	memset(&opts, 0, sizeof(opts));
	opts.sz = sizeof(opts);
	s = {name}__open_opts(&opts);
	if (s && !{name}__load(s) && !{name}__attach(s)) {{
		{name}__detach(s);
		n++;
	}}
	{name}__destroy(s);
	{name}__destroy({name}__open_and_load());
#ifdef __cplusplus
	s = {name}::open();
	{name}::destroy(s);
	s = {name}::open(&opts);
	if (s && !{name}::load(s) && !{name}::attach(s)) {{
		{name}::detach(s);
		n++;
	}}
	{name}::destroy(s);
	{name}::destroy({name}::open_and_load());
	bytes = {name}::elf_bytes(&sz);
#endif
	return n + (int)sz + (bytes != NULL);
}}
"""


PRELUDE = """\
#include <stddef.h>
#include <string.h>
#include "corpus_types.h"
"""
STATIC_ASSERT = """
#ifdef __cplusplus
#define STATIC_ASSERT static_assert
#else
#define STATIC_ASSERT _Static_assert
#endif
"""


@pytest.mark.parametrize("compiler", list(COMPILERS))
@pytest.mark.parametrize("stem", FINAL)
def test_skeleton_compiles(stem: str, compiler: str, generated: dict[str, Generated],
                           tmp_path: Path) -> None:
    g = generated[stem]
    skel = g.ours()
    source = tmp_path / f"use_{stem}.c"
    source.write_text(PRELUDE + f'#include "{g.skel}"\n' + STATIC_ASSERT
                      + use_function(g.ours_name, skel, g.obj))
    result = compile_unit(compiler, source)
    assert result.returncode == 0, (
        f"{compiler} rejects the skeleton of {stem}.bpf.o:\n{result.stderr}"
    )


def subskel_use(name: str, skel_name: str, sub: st.Header) -> str:
    addrs = ["&sub->obj", "&sub->subskel"]
    addrs += [f"&sub->maps.{m}" for m in sub.maps]
    addrs += [f"&sub->progs.{p}" for p in sub.progs]
    addrs += [f"&sub->{sec}.{m.name}" for sec, m in sub.all_vars()]
    addr_list = ",\n\t\t".join(addrs)
    return f"""
int use_both_{name}(void);
int use_both_{name}(void)
{{
	struct {skel_name} *skel = {skel_name}::open();
	struct {name} *sub = skel ? {name}::open(skel->obj) : nullptr;
	int n = sub != nullptr;

	if (sub) {{
		const void *addrs[] = {{
		{addr_list}
		}};
		n += (int)(sizeof(addrs) / sizeof(addrs[0]));
	}}
	{name}::destroy(sub);
	{name}__destroy({name}__open(skel ? skel->obj : nullptr));
	{skel_name}::destroy(skel);
	return n;
}}
"""


@pytest.mark.parametrize("compiler", ["g++-c++17", "clang++-c++17"])
@pytest.mark.parametrize("stem", FINAL)
def test_skeleton_and_subskeleton_in_one_cxx_unit(stem: str, compiler: str,
                                                  generated: dict[str, Generated],
                                                  tmp_path: Path) -> None:
    """Anonymous enums inlined twice would redeclare their enumerators here (B9)."""
    g = generated[stem]
    skel = g.ours()
    sub = st.parse_file(g.subskel, f"sub_{stem}")
    source = tmp_path / f"both_{stem}.cc"
    source.write_text(PRELUDE + f'#include "{g.skel}"\n#include "{g.subskel}"\n'
                      + STATIC_ASSERT + use_function(g.ours_name, skel)
                      + subskel_use(f"sub_{stem}", g.ours_name, sub))
    result = compile_unit(compiler, source)
    assert result.returncode == 0, result.stderr


# -- what the skeleton lists -----------------------------------------------------------------


@pytest.mark.parametrize("stem", FINAL)
def test_skeleton_lists_what_the_object_has(stem: str, generated: dict[str, Generated]) -> None:
    g = generated[stem]
    skel = g.ours()
    assert not skel.duplicates

    # data structs: one per data section (bpftool with libbpf < 1.1 has one for sections
    # without public variables too), exactly the public globals, in offset order
    expected: dict[str, list[str]] = {st.section_ident(s): []
                                      for s in st.elf_data_sections(g.obj)}
    for v in public_vars(g.obj):
        expected.setdefault(st.section_ident(v.section), []).append(v.name)
    got = {sec: [m.name for m in ms if not m.is_pad] for sec, ms in skel.sections.items()
           if sec != "kconfig"}
    assert got == expected
    assert skel.tags == {sec: f"{g.ours_name}__{sec}" for sec in skel.sections}
    assert ("kconfig" in skel.sections) == has_kconfig(g.obj)

    # maps: internal ones by section name (B8), in section order, then .kconfig
    sections = st.elf_data_sections(g.obj) + ([".kconfig"] if has_kconfig(g.obj) else [])
    internal = [s.name for s in skel.map_slots if s.name.startswith(".")]
    assert internal == sections
    assert (skel.map_cnt or 0) == len(skel.map_slots)
    assert [s.ident for s in skel.map_slots] == skel.maps
    for slot in skel.map_slots:
        if slot.name.startswith("."):
            assert slot.ident == st.section_ident(slot.name)
        else:
            assert slot.ident == slot.name
    # `mmaped` exactly for the maps with a data struct
    assert {s.ident: s.mmaped for s in skel.map_slots if s.mmaped} == \
        {sec: sec for sec in skel.sections}

    # programs, then struct_ops maps (bpftool >= 7.5): each with its link slot
    struct_ops = [s.ident for s in skel.map_slots if s.link]
    assert [s.link for s in skel.map_slots if s.link] == struct_ops
    assert list(skel.struct_ops) == struct_ops
    assert skel.links == skel.progs + struct_ops
    assert (skel.prog_cnt or 0) == len(skel.prog_slots)
    assert [(p.name, p.prog, p.link) for p in skel.prog_slots] == \
        [(p, p, p) for p in skel.progs]


# -- 2. differential against bpftool -------------------------------------------------------


bpftool_only = pytest.mark.skipif(not HAVE_BPFTOOL, reason="bpftool is not installed")


def gnu_c(source: Path) -> subprocess.CompletedProcess[str]:
    return compile_unit("gcc-gnu11", source)


def compile_alone(header: Path, tmp_path: Path, tag: str) -> subprocess.CompletedProcess[str]:
    source = tmp_path / f"alone_{tag}.c"
    source.write_text(f'#include "corpus_types.h"\n#include "{header}"\n')
    return gnu_c(source)


def _aggregate_checks(var: str, o: str, t: str, m: SkelMember) -> list[str]:
    """Layout checks for a member whose type defines an anonymous struct/union inline
    (two such definitions are never compatible types)."""
    lines = [f'SAME(sizeof({o}), sizeof({t}), "sizeof {var}");',
             f'SAME(_Alignof(__typeof__({o})), _Alignof(__typeof__({t})), "alignof {var}");']
    decl = m.statement[: m.statement.rindex(m.name)] + m.statement[
        m.statement.rindex(m.name) + len(m.name):]
    fields = st.inline_aggregate_fields(decl.strip())
    tail = decl[decl.rindex("}") + 1:]
    if fields is None:
        if "*" in tail:
            lines.append(f'SAME(sizeof(*{o}), sizeof(*{t}), "sizeof *{var}");')
        elif "[" in tail:
            lines.append(f'SAME(sizeof({o}[0]), sizeof({t}[0]), "sizeof {var}[0]");')
        return lines
    for fname, bitfield, inline in fields:
        if bitfield:
            continue
        lines.append(f"SAME(offsetof(__typeof__({o}), {fname}), "
                     f'offsetof(__typeof__({t}), {fname}), "offset of {var}.{fname}");')
        if inline:
            lines.append(f"SAME(sizeof({o}.{fname}), sizeof({t}.{fname}), "
                         f'"sizeof {var}.{fname}");')
        else:
            lines.append(f"COMPAT(__typeof__({o}.{fname}), __typeof__({t}.{fname}), "
                         f'"type of {var}.{fname}");')
    return lines


def comparison_source(g: Generated, theirs_header: Path, ours: Skel, theirs: Skel,
                      skip_members: frozenset[str] = frozenset(),
                      skip_sections: frozenset[str] = frozenset(),
                      skip_types: frozenset[str] = frozenset(),
                      skip_blocks: frozenset[str] = frozenset()) -> str:
    """GNU C asserting that our skeleton matches bpftool's, member by member.

    Members in skip_members are not compared; their sections' sizes are not either.
    Sections in skip_sections are not compared; skip_types: offset and size only;
    skip_blocks: `maps`/`progs`/`links` whose layout is not compared.
    """
    os_, ts = f"struct {g.ours_name}", f"struct {g.theirs_name}"
    lines = [
        PRELUDE.rstrip(),
        f'#include "{g.skel}"',
        f'#include "{theirs_header}"',
        "#define SAME(a, b, what) _Static_assert((a) == (b), what)",
        "#define COMPAT(a, b, what) _Static_assert(__builtin_types_compatible_p(a, b), what)",
    ]
    for block, names in (("maps", theirs.maps), ("progs", theirs.progs),
                         ("links", theirs.links)):
        if not names or block in skip_blocks:
            continue
        lines.append(f"SAME(sizeof((({os_} *)0)->{block}), sizeof((({ts} *)0)->{block}), "
                     f'"sizeof {block}");')
        for n in names:
            lines.append(f"SAME(offsetof({os_}, {block}.{n}) - offsetof({os_}, {block}), "
                         f"offsetof({ts}, {block}.{n}) - offsetof({ts}, {block}), "
                         f'"offset of {block}.{n}");')
    for ident, (t_tag, members) in theirs.struct_ops.items():
        o_tag = ours.struct_ops[ident][0]
        lines.append(f'SAME(sizeof(struct {o_tag}), sizeof(struct {t_tag}), "sizeof {ident}");')
        for m in members:
            o, t = f"(((struct {o_tag} *)0)->{m.name})", f"(((struct {t_tag} *)0)->{m.name})"
            lines.append(f"SAME(offsetof(struct {o_tag}, {m.name}), "
                         f'offsetof(struct {t_tag}, {m.name}), "offset of {ident}.{m.name}");')
            lines.append(f'SAME(sizeof({o}), sizeof({t}), "sizeof {ident}.{m.name}");')
            if "[" not in m.statement:
                lines.append(f"COMPAT(__typeof__({o}), __typeof__({t}), "
                             f'"type of {ident}.{m.name}");')
    for sec, members in theirs.sections.items():
        if sec in skip_sections:
            continue
        o_tag, t_tag = f"struct {g.ours_name}__{sec}", f"struct {g.theirs_name}__{sec}"
        lines.append(f"COMPAT(__typeof__((({os_} *)0)->{sec}), {o_tag} *, "
                     f'"ours: {sec} points to its struct");')
        lines.append(f"COMPAT(__typeof__((({ts} *)0)->{sec}), {t_tag} *, "
                     f'"theirs: {sec} points to its struct");')
        if not any(m.name in skip_members for m in members):
            lines.append(f'SAME(sizeof({o_tag}), sizeof({t_tag}), "sizeof {o_tag}");')
        for m in members:
            if m.is_pad or m.name in skip_members:
                continue
            var = f"{sec}.{m.name}"
            o, t = f"((({o_tag} *)0)->{m.name})", f"((({t_tag} *)0)->{m.name})"
            lines.append(f"SAME(offsetof({o_tag}, {m.name}), offsetof({t_tag}, {m.name}), "
                         f'"offset of {var}");')
            if m.name in skip_types:
                continue
            if st.has_inline_aggregate(m.statement):
                lines += _aggregate_checks(var, o, t, m)
            elif re.match(r"^(?:const\s+|volatile\s+)*enum\s*\{[^}]*\}[^*\[]*$", m.statement):
                # By design we print an inline anonymous enum as its integer type (B9):
                # same size, alignment and signedness, not a compatible C type.
                lines.append(f'SAME(sizeof({o}), sizeof({t}), "sizeof {var}");')
                lines.append(f'SAME(_Alignof(__typeof__({o})), _Alignof(__typeof__({t})), '
                             f'"alignof {var}");')
                lines.append(f'SAME((__typeof__({o}))-1 < (__typeof__({o}))1, '
                             f'(__typeof__({t}))-1 < (__typeof__({t}))1, "signedness of {var}");')
            else:
                lines.append(f'COMPAT(__typeof__({o}), __typeof__({t}), "type of {var}");')
    return "\n".join(lines) + "\n"


def assert_same_lists(g: Generated, ours: Skel, theirs: Skel) -> None:
    """maps/progs/links member lists, lookup strings and slots, in the same order."""
    assert ours.maps == theirs.maps
    assert ours.progs == theirs.progs
    struct_ops = list(ours.struct_ops)
    if BPFTOOL_VERSION >= (7, 5):
        assert ours.links == theirs.links
        assert [s.link for s in ours.map_slots] == [s.link for s in theirs.map_slots]
    else:  # no struct_ops links before 7.5
        assert ours.links == theirs.links + struct_ops
        assert not [s.link for s in theirs.map_slots if s.link]
    if BPFTOOL_VERSION >= (7, 4):
        assert {i: [m.name for m in ms] for i, (_, ms) in ours.struct_ops.items()} == \
            {i: [m.name for m in ms] for i, (_, ms) in theirs.struct_ops.items()}
    else:
        assert not theirs.struct_ops
    # bpftool bakes in libbpf's object-prefixed kernel names ("theirs_s.data"); ours
    # are section names (".data", B8). Same map, same order.
    assert [libbpf_map_name(s.name, g.theirs_name) for s in ours.map_slots] == \
        [s.name for s in theirs.map_slots]
    assert [s.ident for s in ours.map_slots] == [s.ident for s in theirs.map_slots]
    assert [(p.name, p.prog, p.link) for p in ours.prog_slots] == \
        [(p.name, p.prog, p.link) for p in theirs.prog_slots]


def assert_compiles_same(g: Generated, theirs_header: Path, ours: Skel, theirs: Skel,
                         tmp_path: Path, **skips: frozenset[str]) -> None:
    source = tmp_path / f"compare_{g.stem}.c"
    source.write_text(comparison_source(g, theirs_header, ours, theirs, **skips))
    result = gnu_c(source)
    assert result.returncode == 0, (
        f"our skeleton differs from bpftool's for {g.stem}.bpf.o:\n{result.stderr}"
    )


def bpftool_ok(g: Generated) -> Skel:
    assert g.bpftool is not None
    assert g.bpftool.returncode == 0, g.bpftool.stderr
    assert g.bpftool.stdout.strip(), "bpftool printed nothing"
    return g.parse_theirs()


@bpftool_only
@pytest.mark.parametrize("stem", [s for s in FINAL if s not in KNOWN_DIFFERENCES])
def test_matches_bpftool(stem: str, generated: dict[str, Generated], tmp_path: Path) -> None:
    g = generated[stem]
    assert g.bpftool is not None
    if g.bpftool.returncode != 0:
        pytest.fail(f"bpftool failed on {stem}.bpf.o, which is not a known difference "
                    f"(add it to KNOWN_DIFFERENCES with the reason):\n{g.bpftool.stderr}")
    theirs = bpftool_ok(g)
    alone = compile_alone(g.theirs, tmp_path, "theirs")
    assert alone.returncode == 0, f"bpftool's skeleton does not compile:\n{alone.stderr}"
    ours = g.ours()
    assert not theirs.duplicates
    extra = assert_same_sections(ours, theirs)
    for sec, members in theirs.sections.items():
        assert [m.name for m in ours.sections[sec] if not m.is_pad] == \
            [m.name for m in members if not m.is_pad], sec
    assert_same_lists(g, ours, theirs)
    assert [s.mmaped if s.mmaped not in extra else None for s in ours.map_slots] == \
        [s.mmaped for s in theirs.map_slots]
    # before 7.5, `links` lacks the struct_ops maps' members (compared by name above)
    skip = frozenset({"links"}) if ours.struct_ops and BPFTOOL_VERSION < (7, 5) else frozenset()
    assert_compiles_same(g, g.theirs, ours, theirs, tmp_path, skip_blocks=skip)


def assert_same_sections(ours: Skel, theirs: Skel) -> list[str]:
    """The same data structs in the same order, except that ours has one for every data
    section, as bpftool with libbpf < 1.1: a newer bpftool leaves out sections that are
    not mmapable (statics only). Returns those extra (empty) ones."""
    extra = [sec for sec in ours.sections if sec not in theirs.sections]
    assert set(extra) <= set(ours.empty_sections())
    assert [sec for sec in ours.sections if sec not in extra] == list(theirs.sections)
    return extra


def test_known_differences_are_final_objects() -> None:
    assert set(KNOWN_DIFFERENCES) <= set(FINAL)
    assert not set(SKEL_REFUSED) & set(FINAL)


@bpftool_only
def test_both_refuse_unresolved_externs(generated: dict[str, Generated]) -> None:
    for stem in SKEL_REFUSED:
        g = generated[stem]
        assert g.bpftool is not None and g.bpftool.returncode != 0
        assert "failed to open BPF object" in g.bpftool.stderr
        assert g.skel_run.returncode == 2


@bpftool_only
@difference("bss_sections", "open-fails")
def test_open_fails_bss_sections(generated: dict[str, Generated], tmp_path: Path) -> None:
    """Debian's bpftool cannot open .bss.* objects; ours has a struct per .bss.* section,
    the long one (B4) looked up by its full section name."""
    g = generated["bss_sections"]
    assert g.bpftool is not None
    assert g.bpftool.returncode != 0, "bpftool now opens .bss.* objects: compare instead"
    assert "failed to open BPF object" in g.bpftool.stderr
    ours = g.ours()
    bss = [s for s in st.elf_data_sections(g.obj) if s.startswith(".bss.")]
    assert ".bss.a_very_long_bss_section" in bss
    assert [s.name for s in ours.map_slots if s.name.startswith(".bss.")] == bss
    assert {st.section_ident(s) for s in bss} <= set(ours.sections)


@bpftool_only
@difference("bss_sections", "B4")
def test_b4_long_bss_section_names(generated: dict[str, Generated], tmp_path: Path) -> None:
    """bpftool's skeleton names `.bss.a_very_long_bss_section` by libbpf's truncated map
    name `.bss.a_very_lon`: an empty struct, and a lookup that fails at runtime (ESRCH).
    Ours has the section's variables and its full name. Everything else must match."""
    g = generated["bss_sections"]
    theirs, ours = bpftool_ok(g), g.ours()
    cut, full = "bss_a_very_lon", "bss_a_very_long_bss_section"
    assert theirs.sections.get(cut) == [], "bpftool no longer truncates long .bss.* names"
    assert [m.name for m in ours.sections[full]] == ["long_bss"]
    assert [s.name for s in theirs.map_slots if s.name.startswith(".bss.a")] == \
        [".bss.a_very_lon"]
    assert [s.name for s in ours.map_slots if s.name.startswith(".bss.a")] == \
        [".bss.a_very_long_bss_section"]
    assert [s for s in theirs.sections if s != cut] == [s for s in ours.sections if s != full]
    assert compile_alone(g.theirs, tmp_path, "theirs").returncode == 0
    assert_compiles_same(g, g.theirs, ours, theirs, tmp_path,
                         skip_sections=frozenset({cut}), skip_blocks=frozenset({"maps"}))


@bpftool_only
@difference("statics", "hidden")
def test_hidden_difference(generated: dict[str, Generated], tmp_path: Path) -> None:
    """bpftool with libbpf < 1.1 (Debian 12's 7.1) exposes __hidden globals; we follow
    libbpf >= 1.1. Everything else must match, including the empty structs (and
    `mmaped`) of sections holding only statics, which only a newer bpftool leaves out."""
    g = generated["statics"]
    theirs, ours = bpftool_ok(g), g.ours()
    hidden = frozenset(v.name for v in st.elf_global_vars(g.obj) if v.hidden)
    assert hidden
    theirs_vars = {m.name for _, m in theirs.members()}
    ours_vars = {m.name for _, m in ours.members()}
    assert not ours_vars & hidden
    assert theirs_vars - hidden == ours_vars
    extra = assert_same_sections(ours, theirs)
    assert ours.empty_sections(), "a statics-only section has no (empty) struct"
    assert_same_lists(g, ours, theirs)
    assert [s.mmaped if s.mmaped not in extra else None for s in ours.map_slots] == \
        [s.mmaped for s in theirs.map_slots]
    assert compile_alone(g.theirs, tmp_path, "theirs").returncode == 0
    assert_compiles_same(g, g.theirs, ours, theirs, tmp_path, skip_members=hidden)


def test_no_datasec_section_has_empty_struct(generated: dict[str, Generated]) -> None:
    """`.rodata.str1.1` has no DATASEC: an empty struct and `mmaped`, as bpftool with
    libbpf < 1.1 (compared with bpftool in test_matches_bpftool[strings])."""
    g = generated["strings"]
    ours = g.ours()
    idents = [st.section_ident(s) for s in st.elf_data_sections(g.obj)
              if s.startswith(".rodata.str")]
    assert idents
    for ident in idents:
        assert ours.sections[ident] == []
        assert [s.mmaped for s in ours.map_slots if s.ident == ident] == [ident]


@bpftool_only
@difference("rodata_data", "B2")
def test_b2_rodata_data(generated: dict[str, Generated], tmp_path: Path) -> None:
    """bpftool names `.rodata.data` `data` too: duplicate members, invalid C; ours is
    `rodata_data`. Lookup strings and every other member must match."""
    g = generated["rodata_data"]
    theirs, ours = bpftool_ok(g), g.ours()
    assert "data" in theirs.duplicates and "maps.data" in theirs.duplicates
    assert compile_alone(g.theirs, tmp_path, "theirs").returncode != 0
    assert [libbpf_map_name(s.name, g.theirs_name) for s in ours.map_slots] == \
        [s.name for s in theirs.map_slots]
    assert [s.ident for s in ours.map_slots] == \
        [st.section_ident(s.name) if s.name.startswith(".") else s.name
         for s in ours.map_slots]
    assert [s.ident if s.name != ".rodata.data" else "data" for s in ours.map_slots] == \
        [s.ident for s in theirs.map_slots]
    assert [m.name for m in ours.sections["rodata_data"]] == ["ro_data_var"]
    # Compare the rest in a copy of bpftool's header without the second `data`
    # (member and struct, the `.rodata.data` ones) and their slot.
    text = g.theirs.read_text()
    text = re.sub(r"\n\t\tstruct bpf_map \*data;(?=\n\t\tstruct bpf_map \*data;)", "", text)
    first = text.index(f"\tstruct {g.theirs_name}__data {{")
    second = text.index(f"\tstruct {g.theirs_name}__data {{", first + 1)
    end = text.index("} *data;", second) + len("} *data;")
    text = text[:second] + text[end:]
    text = re.sub(r'\n\ts->maps\[\d+\]\.name = "\.rodata\.data";(\n\ts->maps\[\d+\]\.\w+ = '
                  r"[^;]*;)*", "", text)
    fixed = tmp_path / "theirs_fixed.h"
    fixed.write_text(text.replace("s->map_cnt = 3;", "s->map_cnt = 2;"))
    assert compile_alone(fixed, tmp_path, "fixed").returncode == 0
    fixed_theirs = parse_skel(text, g.theirs_name)
    assert not fixed_theirs.duplicates
    assert fixed_theirs.maps == [m for m in ours.maps if m != "rodata_data"]
    # (the `maps` block is one pointer shorter there: its names are compared above)
    assert_compiles_same(g, fixed, ours, fixed_theirs, tmp_path,
                         skip_blocks=frozenset({"maps"}))


@bpftool_only
@difference("anon_types", "enum-size")
def test_enum_size_difference(generated: dict[str, Generated], tmp_path: Path) -> None:
    """bpftool prints an 8-byte anonymous enum as a 4-byte C enum: its own N__assert
    fails. Ours has the variable's size. Everything else must match."""
    g = generated["anon_types"]
    theirs, ours = bpftool_ok(g), g.ours()
    sizes = {v.name: v.size for v in st.elf_global_vars(g.obj)}
    wide = frozenset(m.name for _, m in theirs.members()
                     if re.fullmatch(r"enum\s*\{[^}]*\}\s*\w+", m.statement)
                     and sizes[m.name] == 8)
    assert wide == {"anon_enum64"}
    alone = compile_alone(g.theirs, tmp_path, "theirs")
    assert alone.returncode != 0 and "unexpected size of \\'anon_enum64\\'" in alone.stderr
    # bpftool's header without its failing assertion, for the comparison
    text = g.theirs.read_text()
    text, n = re.subn(r"\n\t_Static_assert\(sizeof\(s->\w+->anon_enum64\)[^\n]*", "", text)
    assert n == 1
    fixed = tmp_path / "theirs_fixed.h"
    fixed.write_text(text)
    where = {m.name: sec for sec, m in theirs.members()}
    check = tmp_path / "enum_size.c"
    check.write_text(
        f'#include "corpus_types.h"\n#include "{g.skel}"\n#include "{fixed}"\n'
        f"_Static_assert(sizeof(((struct {g.ours_name} *)0)->{where['anon_enum64']}"
        f'->anon_enum64) == 8, "ours");\n'
        f"_Static_assert(sizeof(((struct {g.theirs_name} *)0)->{where['anon_enum64']}"
        f'->anon_enum64) == 4, "theirs");\n'
    )
    result = gnu_c(check)
    assert result.returncode == 0, result.stderr
    assert_same_lists(g, ours, theirs)
    assert [s.mmaped for s in ours.map_slots] == [s.mmaped for s in theirs.map_slots]
    assert_compiles_same(g, fixed, ours, theirs, tmp_path, skip_types=wide)


# -- 3. the embedded bytes and libbpf's view, at runtime -----------------------------------


@pytest.fixture(scope="module")
def runtime_dump(generated: dict[str, Generated], tmp_path_factory: pytest.TempPathFactory
                 ) -> tuple[Path, dict[str, dict[tuple[str, str], Optional[bytes]]]]:
    """One C program with every final object's skeleton: writes each N__elf_bytes to
    DIR/<stem>.bin, opens each skeleton (libbpf, no kernel load) and prints every data
    member's bytes. Returns (DIR, {stem: {(section, member): bytes or None if NULL}})."""
    out = tmp_path_factory.mktemp("skel_runtime")
    skels = {stem: generated[stem].ours() for stem in FINAL}
    lines = ["#include <errno.h>", "#include <stdio.h>", '#include "corpus_types.h"']
    lines += [f'#include "{generated[stem].skel}"' for stem in FINAL]
    lines.append("""
static int dump(const char *dir, const char *stem, const void *bytes, size_t sz)
{
	char path[4096];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s.bin", dir, stem);
	f = fopen(path, "wb");
	if (!f)
		return 1;
	ok = fwrite(bytes, 1, sz, f) == sz;
	return fclose(f) || !ok;
}

static void hex(const char *stem, const char *sec, const char *var, const void *p, size_t n)
{
	const unsigned char *b = (const unsigned char *)p;
	size_t i;

	printf("%s %s %s ", stem, sec, var);
	for (i = 0; i < n; i++)
		printf("%02x", b[i]);
	printf("\\n");
}

int main(int argc, char **argv)
{
	const void *bytes;
	size_t sz;
	int err = 0;

	if (argc != 2)
		return 2;""")
    for stem in FINAL:
        name = f"ours_{stem}"
        lines.append(f"""
	bytes = {name}__elf_bytes(&sz);
	err |= dump(argv[1], "{stem}", bytes, sz);
	{{
		struct {name} *s = {name}__open();

		if (!s) {{
			printf("{stem} open-failed %d\\n", errno);
			err = 1;
		}} else {{""")
        for sec, members in skels[stem].sections.items():
            if sec == "kconfig":
                continue  # libbpf fills .kconfig at load; not mmaped before
            lines.append(f'\t\t\tif (!s->{sec})\n\t\t\t\tprintf("{stem} {sec} NULL\\n");')
            lines.append("\t\t\telse {")
            for m in members:
                if not m.is_pad:
                    lines.append(f'\t\t\t\thex("{stem}", "{sec}", "{m.name}", '
                                 f"&s->{sec}->{m.name}, sizeof(s->{sec}->{m.name}));")
            lines.append("\t\t\t}")
        lines.append(f"\t\t\t{name}__destroy(s);\n\t\t}}\n\t}}")
    lines.append("\treturn err;\n}\n")
    source = out / "all_skeletons.c"
    source.write_text("\n".join(lines))
    exe = out / "all_skeletons"
    result = run_cc("gcc", source, exe, "-std=gnu11", *WARN, f"-I{CORPUS}", "-lbpf")
    assert result.returncode == 0, f"all skeletons in one C program:\n{result.stderr}"
    bins = out / "bins"
    bins.mkdir()
    run = subprocess.run([str(exe), str(bins)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    values: dict[str, dict[tuple[str, str], Optional[bytes]]] = {s: {} for s in FINAL}
    for line in run.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == "NULL":
            values[parts[0]][(parts[1], "")] = None
        elif len(parts) == 4:
            values[parts[0]][(parts[1], parts[2])] = bytes.fromhex(parts[3])
        else:
            pytest.fail(f"unexpected output line: {line!r}\n{run.stderr}")
    return bins, values


@pytest.mark.parametrize("stem", FINAL)
def test_elf_bytes_are_the_object(stem: str, generated: dict[str, Generated],
                                  runtime_dump: tuple[Path, dict[str, dict]]) -> None:
    """Every corpus object, including the largest and ones mostly made of zero bytes."""
    bins, _ = runtime_dump
    assert (bins / f"{stem}.bin").read_bytes() == generated[stem].obj.read_bytes()


@pytest.mark.parametrize("stem", FINAL)
def test_open_binds_every_section(
    stem: str, generated: dict[str, Generated],
    runtime_dump: tuple[Path, dict[str, dict[tuple[str, str], Optional[bytes]]]],
) -> None:
    """libbpf finds every map by our lookup strings, sets every data-section pointer, and
    each member reads the object's initial value at its symbol's offset."""
    _, values = runtime_dump
    g = generated[stem]
    got = values[stem]
    assert not [k for k, v in got.items() if v is None], "data-section pointer left NULL"
    data = section_bytes(g.obj)
    expected = {(st.section_ident(v.section), v.name):
                data[v.section][v.offset : v.offset + v.size] for v in public_vars(g.obj)}
    assert got == expected
