"""`bpfsubskel skel -L`: light skeletons (X.lskel.h) through libbpf's loader generator.

* A final object linking a BPF library gets a light skeleton that a program built
  without libbpf and libelf opens, loads, attaches and runs (as root).
* The headers of the corpus compile with gcc, clang, g++ and clang++ (-Wall -Wextra
  -Werror; C++17), in a unit calling every function and taking every member's address.
* Against `bpftool gen skeleton -L`: both headers in one unit, the sizes and offsets of
  every struct and member asserted equal by the compiler; each documented bpftool (or
  libbpf) difference asserted where it exists, keyed on the installed versions; objects
  the loader generator cannot take are refused by both.
* Generation needs no privilege and touches no kernel object: run as `nobody`, the
  output is byte-identical to root's.

Headers are parsed only to *list names*; whether they are right is decided by compilers
and the kernel.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import pytest
import subskel_text as st
from conftest import (
    CORPUS,
    TESTS,
    bpftool,
    bpftool_version,
    collect_only_if,
    compile_bpf,
    libbpf_version,
    run_cc,
    run_cli,
)
from test_skel_corpus import COMPILERS, GOOD, HAVE_BPFTOOL, SkelMember, member_name

LSKEL = TESTS / "lskel"
WARN = ["-Wall", "-Wextra", "-Werror"]

# Objects neither tool makes a light skeleton of: (our message, how bpftool fails).
REFUSED = {
    "extern_unresolved": "unresolved externs (provided_elsewhere, shared_map)",
    # libbpf 1.1-1.5 dereference NULL (no vmlinux BTF under gen_loader): bpftool 7.1 and
    # 7.5 die of SIGSEGV; we refuse before asking libbpf.
    "struct_ops": "has struct_ops maps (corpus_cc)",
    "struct_ops_shapes": "has struct_ops maps (shapes)",
}
# The system libbpf 1.1 (Debian 12) treats the only function of a .text-only object as a
# program and its loader generator fails on it ("missing BPF prog type"); bpftool 7.1's
# libbpf (linux-6.1 tree) does not. An error is all the system libbpf lets us give.
if libbpf_version() < (1, 2):
    REFUSED["no_programs"] = "prog 'lib_api': missing BPF prog type"
LIGHT = [s for s in GOOD if s not in REFUSED]

# Documented differences of the installed bpftool's light skeleton, by version. The
# data-section structs are the full skeleton's (reference §3.3), so they differ as there
# (see test_skel_corpus.py); beyond that, everywhere:
#   no-links:  bpftool's N__open computes ctx.sz from &skel->links, which an object
#              without programs has not: its header does not compile; ours does
#   B4:        (bpftool >= 7.2, whose libbpf opens .bss.* sections) a long section name
#              becomes an empty struct named after the 15-character map name
if bpftool_version() < (7, 2):  # Debian 12's 7.1, built from the linux-6.1 tree
    KNOWN_DIFFERENCES = {
        "bss_sections": "open-fails",
        "statics": "hidden",
        "strings": "no-datasec",
        "rodata_data": "B2",
        "anon_types": "enum-size",
        "no_programs": "bpftool-only" if "no_programs" in REFUSED else "no-links",
    }
else:
    KNOWN_DIFFERENCES = {
        "rodata_data": "B2",
        "bss_sections": "B4",
        "no_programs": "bpftool-only" if "no_programs" in REFUSED else "no-links",
    }


# -- the runtime test: a final object linking a library -------------------------------------


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """lskel_app.bpf.o: the app's programs linked with the meter_lib library."""
    out = tmp_path_factory.mktemp("lskel")
    lib = out / "meter_lib.bpf.o"
    run_cli("link", "-o", lib, compile_bpf(LSKEL / "meter_lib.bpf.c", out / "meter_lib.o"),
            check=True)
    final = out / "lskel_app.bpf.o"
    run_cli("link", "-o", final, compile_bpf(LSKEL / "lskel_app.bpf.c", out / "app.o"), lib,
            check=True)
    return final


def needed_libraries(exe: Path) -> list[str]:
    out = subprocess.run(["readelf", "-d", str(exe)], capture_output=True, text=True,
                         check=True).stdout
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^]]+)\]", out)


@pytest.mark.usefixtures("load_permitted")
@pytest.mark.parametrize("compiler", ["gcc", "clang", "g++"])
def test_light_skeleton_runs_without_libbpf(app: Path, tmp_path: Path, compiler: str) -> None:
    header = tmp_path / "lskel_app.lskel.h"
    run_cli("skel", "-L", app, "-o", header, "--name", "lskel_app_lskel", check=True)
    exe = tmp_path / "lskel_user"
    flags = ["-x", "c++", "-std=c++17"] if compiler.endswith("++") else ["-std=gnu11"]
    result = run_cc(compiler, LSKEL / "lskel_user.c", exe, *flags, *WARN, f"-I{tmp_path}")
    assert result.returncode == 0, result.stderr
    assert not [lib for lib in needed_libraries(exe) if "bpf" in lib or "elf" in lib]
    run = subprocess.run([str(exe), "50"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    values = dict(line.split("=", 1) for line in run.stdout.split())
    # score = len * lib_scale + lib_bias: bias 7 set before load; scale 1, then 3 after
    # load; min_score 100 makes the first packet drop (1) and the second pass (2).
    assert values == {"score1": "57", "score2": "157", "verdicts": "1,2", "lib_calls": "2",
                      "map": "157", "attached": "1", "syscalls": "counted"}


def test_generation_is_unprivileged_and_deterministic(app: Path, tmp_path: Path,
                                                      request: pytest.FixtureRequest) -> None:
    """libbpf's loader generator makes no syscall that needs privilege or creates a kernel
    object: with no capability at all, in another directory, the header is byte-identical.
    (Capabilities are dropped, the uid kept: the checkout and its venv may be readable by
    their owner only, as in a clone made under `mktemp -d`.)"""
    as_root = tmp_path / "root.lskel.h"
    run_cli("skel", "-L", app, "-o", as_root, "--name", "lskel_app_lskel", check=True)
    shared = Path(tempfile.mkdtemp(prefix="bpfsubskel-lskel-"))  # pytest's tmp is 0700
    request.addfinalizer(lambda: shutil.rmtree(shared, ignore_errors=True))
    os.chmod(shared, 0o777)
    (shared / "app.bpf.o").write_bytes(app.read_bytes())
    os.chmod(shared / "app.bpf.o", 0o644)
    cmd = [sys.executable, "-m", "bpfsubskel", "skel", "-L", "app.bpf.o", "-o", "x.lskel.h",
           "--name", "lskel_app_lskel"]
    if os.geteuid() == 0:
        drop = ["setpriv", "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs"]
        caps = subprocess.run([*drop, "grep", "^CapEff:", "/proc/self/status"],
                              capture_output=True, text=True, check=True).stdout.split()
        assert caps == ["CapEff:", "0000000000000000"], caps  # no CAP_BPF, no CAP_SYS_ADMIN
        cmd = [*drop, *cmd]
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    result = subprocess.run(cmd, cwd=shared, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert (shared / "x.lskel.h").read_bytes() == as_root.read_bytes()


def test_written_only_when_changed(app: Path, tmp_path: Path) -> None:
    header = tmp_path / "a.lskel.h"
    run_cli("skel", "-L", app, "-o", header, check=True)
    os.utime(header, (1, 1))
    run_cli("skel", "-L", app, "-o", header, check=True)
    assert header.stat().st_mtime == 1
    assert "struct lskel_app_bpf {" in header.read_text()  # bpftool's default name


# -- the corpus: ours and bpftool's --------------------------------------------------------------


@dataclass
class Light:
    """The names a light skeleton's struct declares."""

    top: list[str] = field(default_factory=list)  # ctx, maps, progs, links, sections
    maps: list[str] = field(default_factory=list)
    progs: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    sections: dict[str, list[SkelMember]] = field(default_factory=dict)
    duplicates: list[str] = field(default_factory=list)

    def members(self, sec: str) -> list[str]:
        return [m.name for m in self.sections[sec] if not m.is_pad]


def parse_light(text: str, name: str) -> Light:
    text = st.strip_comments(text)
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    start = re.search(rf"^struct\s+{re.escape(name)}\s*\{{", text, re.M)
    if not start:
        raise ValueError(f"no 'struct {name} {{' in the header")
    body, _ = st.braced_body(text, start.end() - 1)
    light = Light()
    for stmt in st.statements(body):
        ident = st.trailing_name(stmt)
        if ident is None:
            raise ValueError(f"unnamed member: {stmt[:60]!r}")
        light.top.append(ident)
        if "{" not in stmt:
            continue  # struct bpf_loader_ctx ctx
        inner, _ = st.braced_body(stmt, stmt.index("{"))
        members = [SkelMember(member_name(s), s) for s in st.statements(inner)]
        names = [m.name for m in members]
        light.duplicates += [f"{ident}.{n}" for n in sorted(set(names)) if names.count(n) > 1]
        if ident in ("maps", "progs", "links"):
            getattr(light, ident).extend(names)
        else:
            if ident in light.sections:
                light.duplicates.append(ident)
            light.sections.setdefault(ident, []).extend(members)
    return light


@dataclass
class Pair:
    stem: str
    ours: Path
    ours_run: subprocess.CompletedProcess[str]
    theirs: Path
    bpftool: Optional[subprocess.CompletedProcess[str]]

    @property
    def ours_name(self) -> str:
        return f"ours_{self.stem}"

    @property
    def theirs_name(self) -> str:
        return f"theirs_{self.stem}"

    def parse_ours(self) -> Light:
        assert self.ours_run.returncode == 0, self.ours_run.stderr
        return parse_light(self.ours.read_text(), self.ours_name)

    def parse_theirs(self) -> Light:
        assert self.bpftool is not None and self.bpftool.returncode == 0, \
            self.bpftool.stderr if self.bpftool else "no bpftool"
        return parse_light(self.theirs.read_text(), self.theirs_name)


@pytest.fixture(scope="module")
def pairs(corpus_objects: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
          ) -> dict[str, Pair]:
    out = tmp_path_factory.mktemp("lskel_corpus")

    def one(stem: str) -> Pair:
        obj = corpus_objects[stem]
        ours = out / f"{stem}.lskel.h"
        theirs = out / f"{stem}.theirs.lskel.h"
        run = run_cli("skel", "-L", obj, "-o", ours, "--name", f"ours_{stem}")
        proc = None
        if HAVE_BPFTOOL:
            proc = bpftool("gen", "skeleton", "-L", obj, "name", f"theirs_{stem}")
            theirs.write_text(proc.stdout)
        return Pair(stem, ours, run, theirs, proc)

    with ThreadPoolExecutor(max_workers=4) as pool:
        return {p.stem: p for p in pool.map(one, GOOD)}


@pytest.mark.parametrize("stem", sorted(REFUSED))
def test_refused_with_one_line(stem: str, pairs: dict[str, Pair]) -> None:
    p = pairs[stem]
    assert p.ours_run.returncode == 2, p.ours_run.stderr
    lines = p.ours_run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("bpfsubskel: error: "), lines
    assert REFUSED[stem] in lines[0]
    assert not p.ours.exists()


@pytest.mark.parametrize("stem", LIGHT)
def test_light_accepts(stem: str, pairs: dict[str, Pair]) -> None:
    p = pairs[stem]
    assert p.ours_run.returncode == 0, p.ours_run.stderr
    light = p.parse_ours()
    assert not light.duplicates
    assert light.top[0] == "ctx"
    assert light.links == [f"{prog}_fd" for prog in light.progs]


def test_kconfig_values_are_warned_about(pairs: dict[str, Pair], corpus_objects: dict[str, Path],
                                         tmp_path: Path) -> None:
    assert "__kconfig externs (" in pairs["kconfig"].ours_run.stderr
    assert "warning" not in pairs["types"].ours_run.stderr
    out = tmp_path / "k.lskel.h"
    result = run_cli("skel", "-L", "--werror", corpus_objects["kconfig"], "-o", out)
    assert result.returncode == 2 and not out.exists()


def use_source(name: str, light: Light) -> str:
    addrs = ["&s->ctx"]
    addrs += [f"&s->maps.{m}" for m in light.maps]
    addrs += [f"&s->progs.{p}" for p in light.progs]
    addrs += [f"&s->links.{link}" for link in light.links]
    addrs += [f"&s->{sec}->{m}" for sec in light.sections for m in light.members(sec)]
    attaches = "".join(f"\tn += {name}__{p}__attach(s);\n" for p in light.progs)
    addr_list = ",\n\t\t".join(addrs)
    return f"""
int use_{name}(void);
int use_{name}(void)
{{
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
	if (!{name}__load(s)) {{
{attaches}		n += {name}__attach(s);
		{name}__detach(s);
	}}
	{name}__destroy(s);
	{name}__destroy({name}__open_and_load());
	return n;
}}
"""


@pytest.mark.parametrize("compiler", list(COMPILERS))
@pytest.mark.parametrize("stem", LIGHT)
def test_light_header_compiles(stem: str, compiler: str, pairs: dict[str, Pair],
                               tmp_path: Path) -> None:
    p = pairs[stem]
    source = tmp_path / f"use_{stem}.c"
    source.write_text(f'#include "corpus_types.h"\n#include "{p.ours}"\n'
                      + use_source(p.ours_name, p.parse_ours()))
    cmd = COMPILERS[compiler]
    result = run_cc(cmd[0], source, tmp_path / "use.o", *cmd[1:], *WARN, f"-I{CORPUS}", "-c")
    assert result.returncode == 0, f"{compiler} rejects the light skeleton of {stem}:\n" \
        + result.stderr


# -- differential against bpftool gen skeleton -L -------------------------------------------


bpftool_only = pytest.mark.skipif(not HAVE_BPFTOOL, reason="bpftool is not installed")


def gnu_c(source: Path) -> subprocess.CompletedProcess[str]:
    return run_cc("gcc", source, source.with_suffix(".o"), "-std=gnu11", *WARN,
                  f"-I{CORPUS}", "-c")


def comparison_source(p: Pair, theirs_header: Path, ours: Light, theirs: Light,
                      skip_members: frozenset[str] = frozenset(),
                      skip_sections: frozenset[str] = frozenset()) -> str:
    """GNU C asserting that the two structs have one layout: every top-level member's
    offset, every map/prog/link slot's offset and size, every data-section struct's size
    and members' offsets, sizes and compatible types. Members in
    skip_members are not compared (nor are their sections' sizes), sections in
    skip_sections not at all; top-level offsets only where both have the same members."""
    o, t = f"struct {p.ours_name}", f"struct {p.theirs_name}"
    lines = [
        "#include <errno.h>",
        '#include "corpus_types.h"',
        f'#include "{p.ours}"',
        f'#include "{theirs_header}"',
        "#define SAME(a, b, what) _Static_assert((a) == (b), what)",
        "#define COMPAT(a, b, what) _Static_assert(__builtin_types_compatible_p(a, b), what)",
        f"static {o} *o;",
        f"static {t} *t;",
    ]
    top = [m for m in theirs.top if m in ours.top]
    same_top = ours.top == theirs.top  # else offsets shift: compare sizes only
    if same_top:
        lines.append(f'SAME(sizeof({o}), sizeof({t}), "struct size");')
    for member in top:
        if same_top:
            lines.append(f"SAME(offsetof({o}, {member}), offsetof({t}, {member}), "
                         f'"offset of {member}");')
        lines.append(f'SAME(sizeof(o->{member}), sizeof(t->{member}), "size of {member}");')
    for block in ("maps", "progs", "links"):
        for slot in getattr(theirs, block):
            lines.append(f"SAME(offsetof(__typeof__(o->{block}), {slot}), "
                         f'offsetof(__typeof__(t->{block}), {slot}), "{block}.{slot}");')
            lines.append(f"COMPAT(__typeof__(o->{block}.{slot}), __typeof__(t->{block}.{slot}), "
                         f'"type of {block}.{slot}");')
    for sec in theirs.sections:
        if sec in skip_sections:
            continue
        if not skip_members:
            lines.append(f'SAME(sizeof(*o->{sec}), sizeof(*t->{sec}), "sizeof {sec}");')
        for m in theirs.members(sec):
            if m in skip_members:
                continue
            a, b = f"o->{sec}->{m}", f"t->{sec}->{m}"
            lines.append(f"SAME(offsetof(__typeof__(*o->{sec}), {m}), "
                         f'offsetof(__typeof__(*t->{sec}), {m}), "offset of {sec}.{m}");')
            lines.append(f'SAME(sizeof({a}), sizeof({b}), "size of {sec}.{m}");')
            statement = next(x.statement for x in theirs.sections[sec] if x.name == m)
            if "{" not in statement:  # two inline type definitions are never compatible
                lines.append(f'COMPAT(__typeof__({a}), __typeof__({b}), "type of {sec}.{m}");')
    return "\n".join(lines) + "\n"


def assert_same_layout(p: Pair, theirs_header: Path, ours: Light, theirs: Light,
                       tmp_path: Path, **skips: frozenset[str]) -> None:
    assert ours.maps == theirs.maps
    assert ours.progs == theirs.progs
    assert ours.links == theirs.links
    source = tmp_path / f"compare_{p.stem}.c"
    source.write_text(comparison_source(p, theirs_header, ours, theirs, **skips))
    result = gnu_c(source)
    assert result.returncode == 0, \
        f"our light skeleton differs from bpftool's for {p.stem}.bpf.o:\n{result.stderr}"


def compiles_alone(header: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    source = tmp_path / "alone.c"
    # bpftool relies on the includer for <errno.h> (ENOMEM); ours includes it
    source.write_text(f'#include <errno.h>\n#include "corpus_types.h"\n#include "{header}"\n')
    return gnu_c(source)


@bpftool_only
@pytest.mark.parametrize("stem", [s for s in LIGHT if s not in KNOWN_DIFFERENCES])
def test_matches_bpftool(stem: str, pairs: dict[str, Pair], tmp_path: Path) -> None:
    p = pairs[stem]
    assert p.bpftool is not None
    if p.bpftool.returncode != 0:
        pytest.fail(f"bpftool -L failed on {stem}.bpf.o, which is not a known difference:\n"
                    f"{p.bpftool.stderr}")
    theirs, ours = p.parse_theirs(), p.parse_ours()
    alone = compiles_alone(p.theirs, tmp_path)
    assert alone.returncode == 0, f"bpftool's light skeleton does not compile:\n{alone.stderr}"
    assert ours.top == theirs.top
    for sec in theirs.sections:
        assert ours.members(sec) == theirs.members(sec), sec
    assert_same_layout(p, p.theirs, ours, theirs, tmp_path)


@bpftool_only
@pytest.mark.parametrize("stem", sorted(REFUSED))
def test_both_refuse(stem: str, pairs: dict[str, Pair]) -> None:
    p = pairs[stem]
    assert p.ours_run.returncode == 2
    if KNOWN_DIFFERENCES.get(stem) == "bpftool-only":
        return  # asserted by test_bpftool_only_differences
    assert p.bpftool is not None and p.bpftool.returncode != 0, \
        f"bpftool -L now accepts {stem}: compare instead"


def known(kind: str) -> list[str]:
    return sorted(s for s, k in KNOWN_DIFFERENCES.items() if k == kind)


@bpftool_only
@collect_only_if(bool(known("bpftool-only")))
@pytest.mark.parametrize("stem", known("bpftool-only"))
def test_bpftool_only_differences(stem: str, pairs: dict[str, Pair], tmp_path: Path) -> None:
    """The system libbpf refuses what bpftool's own libbpf accepted."""
    p = pairs[stem]
    assert p.ours_run.returncode == 2
    assert p.bpftool is not None and p.bpftool.returncode == 0, p.bpftool.stderr


def struct_only(header: Path, name: str, out: Path) -> Path:
    """bpftool's header cut after `struct NAME { ... };` (its functions do not compile)."""
    text = header.read_text()
    start = text.index(f"struct {name} {{")
    _, end = st.braced_body(text, text.index("{", start))
    out.write_text(text[: end + 2] + "\n#endif\n")
    return out


@bpftool_only
@collect_only_if(bool(known("no-links")))
@pytest.mark.parametrize("stem", known("no-links"))
def test_no_links_difference(stem: str, pairs: dict[str, Pair], tmp_path: Path) -> None:
    p = pairs[stem]
    theirs, ours = p.parse_theirs(), p.parse_ours()
    assert not theirs.progs and not ours.progs
    alone = compiles_alone(p.theirs, tmp_path)
    assert alone.returncode != 0 and re.search(r"no member named .links.", alone.stderr)
    fixed = struct_only(p.theirs, p.theirs_name, tmp_path / "theirs_struct.h")
    assert ours.top == theirs.top
    assert_same_layout(p, fixed, ours, theirs, tmp_path)


@bpftool_only
@collect_only_if(bool(known("B4")))
@pytest.mark.parametrize("stem", known("B4"))
def test_b4_long_section_name(stem: str, pairs: dict[str, Pair], tmp_path: Path) -> None:
    """bpftool >= 7.2 names a data-section struct after libbpf's 15-character map name:
    `.bss.a_very_long_bss_section` becomes an empty struct `bss_a_very_lon`; ours has the
    section's variables under its full name. Everything else must match."""
    p = pairs[stem]
    theirs, ours = p.parse_theirs(), p.parse_ours()
    long, short = "bss_a_very_long_bss_section", "bss_a_very_lon"
    assert theirs.sections.get(short) == [] and short in theirs.maps
    assert ours.members(long) and long in ours.maps and short not in ours.top
    assert [m if m != long else short for m in ours.top] == theirs.top
    assert compiles_alone(p.theirs, tmp_path).returncode == 0
    text = p.theirs.read_text().replace(short, long)  # its struct and slot, renamed
    fixed = tmp_path / "theirs_renamed.h"
    fixed.write_text(text)
    renamed = parse_light(text, p.theirs_name)
    assert_same_layout(p, fixed, ours, renamed, tmp_path, skip_sections=frozenset({long}))


@bpftool_only
@collect_only_if(bool(known("open-fails")))
@pytest.mark.parametrize("stem", known("open-fails"))
def test_open_fails_difference(stem: str, pairs: dict[str, Pair]) -> None:
    p = pairs[stem]
    assert p.bpftool is not None and p.bpftool.returncode != 0
    assert "failed to open BPF object" in p.bpftool.stderr
    assert p.parse_ours().sections


@bpftool_only
@collect_only_if(bool(known("hidden") + known("no-datasec")))
@pytest.mark.parametrize("stem", known("hidden") + known("no-datasec"))
def test_extra_struct_differences(stem: str, pairs: dict[str, Pair], tmp_path: Path) -> None:
    """bpftool 7.1's libbpf (< 1.1) mmaps data maps that hold only hidden or static
    variables, or none: its light skeleton has structs (and their mmaps) for them, and
    exposes __hidden globals. Every map and everything both have must match."""
    p = pairs[stem]
    theirs, ours = p.parse_theirs(), p.parse_ours()
    extra = frozenset(theirs.sections) - frozenset(ours.sections)
    assert extra, "bpftool no longer has extra structs here: compare instead"
    assert set(ours.sections) <= set(theirs.sections)
    assert [m for m in theirs.top if m not in extra] == ours.top
    hidden = frozenset(m for sec in ours.sections for m in theirs.members(sec)
                       if m not in ours.members(sec))
    assert compiles_alone(p.theirs, tmp_path).returncode == 0
    assert_same_layout(p, p.theirs, ours, theirs, tmp_path, skip_sections=extra,
                       skip_members=hidden)


@bpftool_only
@collect_only_if(bool(known("B2")))
@pytest.mark.parametrize("stem", known("B2"))
def test_b2_difference(stem: str, pairs: dict[str, Pair], tmp_path: Path) -> None:
    """bpftool names `.rodata.data` `data` too: duplicate members, invalid C."""
    p = pairs[stem]
    theirs, ours = p.parse_theirs(), p.parse_ours()
    assert "maps.data" in theirs.duplicates and "data" in theirs.duplicates
    assert compiles_alone(p.theirs, tmp_path).returncode != 0
    assert not ours.duplicates and "rodata_data" in ours.sections
    assert [m if m != "rodata_data" else "data" for m in ours.maps] == theirs.maps


@bpftool_only
@collect_only_if(bool(known("enum-size")))
@pytest.mark.parametrize("stem", known("enum-size"))
def test_enum_size_difference(stem: str, pairs: dict[str, Pair], tmp_path: Path) -> None:
    """bpftool 7.1 prints an 8-byte anonymous enum as a 4-byte one: its own N__assert
    fails. Without that assertion, everything but that member's type must match."""
    p = pairs[stem]
    theirs, ours = p.parse_theirs(), p.parse_ours()
    alone = compiles_alone(p.theirs, tmp_path)
    assert alone.returncode != 0 and "anon_enum64" in alone.stderr
    text, n = re.subn(r"\n\t_Static_assert\(sizeof\(s->\w+->anon_enum64\)[^\n]*", "",
                      p.theirs.read_text())
    assert n == 1
    fixed = tmp_path / "theirs_fixed.h"
    fixed.write_text(text)
    assert ours.top == theirs.top
    assert_same_layout(p, fixed, ours, theirs, tmp_path, skip_members=frozenset({"anon_enum64"}))


def test_known_differences_are_corpus_objects() -> None:
    assert set(KNOWN_DIFFERENCES) <= set(GOOD)
    assert {s for s, k in KNOWN_DIFFERENCES.items() if k == "bpftool-only"} <= set(REFUSED)


# -- the build front ends ----------------------------------------------------------------------


def front_end_project(tmp_path: Path) -> Path:
    source = tmp_path / "src"
    source.mkdir()
    for name in ("meter_lib.bpf.c", "lskel_app.bpf.c", "lskel_user.c"):
        shutil.copy(LSKEL / name, source / name)
    return source


def run_built(exe: Path) -> None:
    """The program links neither libbpf nor libelf, and (when permitted) runs."""
    assert not [lib for lib in needed_libraries(exe) if "bpf" in lib or "elf" in lib]
    if os.geteuid() == 0:
        run = subprocess.run([str(exe), "50"], capture_output=True, text=True, timeout=60)
        assert run.returncode == 0 and "syscalls=counted" in run.stdout, \
            run.stdout + run.stderr


def test_cmake_skeleton_light(tmp_path: Path) -> None:
    """bpf_object(... SKELETON LIGHT): <name>.lskel.h with `struct <name>_lskel`, and a
    <name>_skel target giving skel_internal.h's directory and no libraries."""
    from test_cmake import build, configure

    source = front_end_project(tmp_path)
    (source / "CMakeLists.txt").write_text(
        "cmake_minimum_required(VERSION 3.20)\nproject(light C)\n"
        "find_package(bpfsubskel CONFIG REQUIRED)\n"
        "bpf_object(meter LIBRARY SOURCES meter_lib.bpf.c)\n"
        "bpf_object(lskel_app SOURCES lskel_app.bpf.c LIBRARIES meter SKELETON LIGHT)\n"
        "add_executable(lskel_user lskel_user.c)\n"
        "target_link_libraries(lskel_user PRIVATE lskel_app_skel)\n")
    configure(source, tmp_path / "build", "-G", "Ninja")
    build(tmp_path / "build")
    header = tmp_path / "build" / "lskel_app.include" / "lskel_app.lskel.h"
    assert "#include <bpf/skel_internal.h>" in header.read_text()
    run_built(tmp_path / "build" / "lskel_user")
    (source / "CMakeLists.txt").write_text(
        "cmake_minimum_required(VERSION 3.20)\nproject(light C)\n"
        "find_package(bpfsubskel CONFIG REQUIRED)\n"
        "bpf_object(m SOURCES meter_lib.bpf.c LIGHT)\n")
    bad = configure(source, tmp_path / "bad", check=False)
    assert bad.returncode != 0 and "bpf_object(m): LIGHT needs SKELETON" in bad.stderr


def test_cmake_skeleton_light_installs_and_exports(tmp_path: Path) -> None:
    """SKELETON LIGHT INSTALL EXPORT: `cmake --install` after a plain build installs the
    light skeleton (its own command, which nothing in the project needs, still runs); a
    second project links the exported <name>_skel (libbpf's include directory, through
    bpfsubskel::libbpf, and no libraries) without bpfsubskel."""
    from test_cmake import build, configure

    source = front_end_project(tmp_path)
    (source / "CMakeLists.txt").write_text(
        "cmake_minimum_required(VERSION 3.20)\nproject(light C)\n"
        "find_package(bpfsubskel CONFIG REQUIRED)\n"
        "bpf_object(meter LIBRARY SOURCES meter_lib.bpf.c)\n"
        "bpf_object(lskel_app SOURCES lskel_app.bpf.c LIBRARIES meter SKELETON LIGHT INSTALL\n"
        "           EXPORT light)\n"
        "bpfsubskel_install_export(light)\n")
    build_dir, prefix = tmp_path / "build", tmp_path / "prefix"
    configure(source, build_dir, "-G", "Ninja", f"-DCMAKE_INSTALL_PREFIX={prefix}",
              "-DCMAKE_INSTALL_LIBDIR=lib")
    build(build_dir)
    install = subprocess.run(["cmake", "--install", str(build_dir)], capture_output=True,
                             text=True)
    assert install.returncode == 0, install.stdout + install.stderr
    assert "struct lskel_app_lskel {" in (prefix / "include" / "lskel_app.lskel.h").read_text()

    user = tmp_path / "user"
    user.mkdir()
    shutil.copy(source / "lskel_user.c", user / "lskel_user.c")
    (user / "CMakeLists.txt").write_text(
        "cmake_minimum_required(VERSION 3.20)\nproject(user C)\n"
        "find_package(light CONFIG REQUIRED)\n"
        "add_executable(lskel_user lskel_user.c)\n"
        "target_link_libraries(lskel_user PRIVATE light::lskel_app_skel)\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "BPFSUBSKEL_PYTHON")}
    for command in (["cmake", "-S", str(user), "-B", str(tmp_path / "user-build"), "-G",
                     "Ninja", f"-DCMAKE_PREFIX_PATH={prefix}"],
                    ["cmake", "--build", str(tmp_path / "user-build")]):
        result = subprocess.run(command, capture_output=True, text=True, env=env)
        assert result.returncode == 0, result.stdout + result.stderr
    run_built(tmp_path / "user-build" / "lskel_user")


def test_meson_skeleton_light(tmp_path: Path) -> None:
    """subskel.skeleton(final, light: true): <stem>.lskel.h with `struct <stem>_lskel`,
    a dependency on libbpf's headers only; beside the full skeleton of the same object."""
    from test_meson import newest_meson, ninja

    meson = newest_meson()
    source = front_end_project(tmp_path)
    (source / "meson.build").write_text(
        "project('light', 'c')\nsubskel = import('subskel')\n"
        "meter = subskel.bpf_object('meter', 'meter_lib.bpf.c', library: true)\n"
        "app = subskel.bpf_object('lskel_app', 'lskel_app.bpf.c', libraries: [meter])\n"
        "full = subskel.skeleton(app)\n"
        "executable('lskel_user', 'lskel_user.c',\n"
        "           dependencies: subskel.skeleton(app, light: true))\n")
    build = tmp_path / "build"
    meson.setup(source, build)
    ninja(build)
    assert "struct lskel_app_lskel {" in (build / "lskel_app.lskel.h").read_text()
    run_built(build / "lskel_user")
