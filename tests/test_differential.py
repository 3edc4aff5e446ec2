"""Our subskeletons against the installed `bpftool gen subskeleton`, compared by a compiler.

For each corpus object, both headers are generated (`ours_<stem>`, `theirs_<stem>`) and
one GNU C translation unit including both asserts with `_Static_assert`, for every
variables struct, variable, map and program in bpftool's header, that ours has the
member, at the same offset, of a compatible type, and that the structs have the same
size. The runtime lookup strings (`.name = "..."`) are compared as lists.

Debian 12's bpftool 7.1 is built from the linux-6.1 tree (reference §0) and differs from
upstream and from us in documented ways; Debian 13's 7.5 in fewer. Every such object is
listed in KNOWN_DIFFERENCES for that bpftool version and the specific difference is
asserted, so a bpftool that stops showing it fails the test instead of being skipped.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, TypeVar

import pytest
import subskel_text as st
from conftest import CORPUS, bpftool, bpftool_version, collect_only_if, run_cc, run_cli

F = TypeVar("F", bound=Callable[..., Any])
ANON_ENUM = re.compile(r"^(?:const\s+|volatile\s+)*enum\s*\{")
ANON_ENUM_VALUE = re.compile(r"^(?:const\s+|volatile\s+)*enum\s*\{[^}]*\}[^*\[]*$")  # no * or []

HAVE_BPFTOOL = shutil.which("bpftool") is not None or Path("/usr/sbin/bpftool").exists()
pytestmark = pytest.mark.skipif(not HAVE_BPFTOOL, reason="bpftool is not installed")


GOOD = sorted(p.name[: -len(".bpf.c")] for p in CORPUS.glob("*.bpf.c")
              if not p.name.startswith("bad_"))

# Documented ways in which the installed bpftool's output differs, by version
# (reference §0, §5); each is asserted by a test of its own, which is collected only
# where that difference exists (see `difference`).
#   open-fails: bpftool cannot open the object at all (we must succeed)
#   B1:         bpftool prints nothing and exits 0 (object has .rodata.str1.1)
#   B2, B3, B4: bpftool's header is not valid C
#   hidden:     bpftool exposes __hidden globals and emits empty structs for
#               statics-only sections (libbpf < 1.1 rules); we follow libbpf >= 1.1
#   enum-size:  the 6.1-tree btf_dump prints an 8-byte anonymous enum without
#               __attribute__((mode(word))): the C type is 4 bytes, the variable 8
BPFTOOL = bpftool_version()
if BPFTOOL < (7, 2):  # Debian 12's 7.1, built from the linux-6.1 tree (libbpf < 1.1 rules)
    KNOWN_DIFFERENCES = {
        "bss_sections": "open-fails",  # the 6.1-tree libbpf rejects .bss.* (reference §0)
        "extern_unresolved": "open-fails",  # B6: unresolved extern variable and extern map
        "strings": "B1",
        "rodata_data": "B2",  # `.rodata.data` -> `data`: two `data` members
        "ptr_declarators": "B3",  # `int(*)[4] *p;`
        "statics": "hidden",
        "anon_types": "enum-size",  # 8-byte anonymous enum printed as a 4-byte C enum
    }
else:  # upstream bpftool (Debian 13 has 7.5): libbpf >= 1.1 rules, as ours
    KNOWN_DIFFERENCES = {
        "bss_sections": "B4",  # a `.bss.*` name over 15 characters: truncated, invalid C
        "extern_unresolved": "open-fails",  # B6, in every version
        "rodata_data": "B2",
        "ptr_declarators": "B3",
    }


def difference(stem: str, kind: str) -> Callable[[F], F]:
    """Collect the decorated test only where bpftool shows this difference on `stem`."""
    return collect_only_if(KNOWN_DIFFERENCES.get(stem) == kind)


# bad_* objects that we refuse (exit 2) because bpftool's header for them is invalid C.
BPFTOOL_B2_INVALID = ["bad_collide_dash", "bad_map_named_bss", "bad_map_named_data",
                      "bad_map_named_kconfig"]


@dataclass
class Pair:
    stem: str
    obj: Path
    ours: Path
    theirs: Path
    bpftool: subprocess.CompletedProcess[str]

    @property
    def ours_name(self) -> str:
        return f"ours_{self.stem}"

    @property
    def theirs_name(self) -> str:
        return f"theirs_{self.stem}"

    def parse_ours(self) -> st.Header:
        return st.parse_file(self.ours, self.ours_name)

    def parse_theirs(self) -> st.Header:
        return st.parse_file(self.theirs, self.theirs_name)


@pytest.fixture(scope="session")
def pairs(corpus_objects: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
          ) -> dict[str, Pair]:
    out = tmp_path_factory.mktemp("differential")
    result = {}
    for stem, obj in corpus_objects.items():
        theirs = out / f"{stem}.theirs.h"
        ours = out / f"{stem}.ours.h"
        proc = bpftool("gen", "subskeleton", obj, "name", f"theirs_{stem}")
        theirs.write_text(proc.stdout)
        if not stem.startswith("bad_"):
            run_cli("subskel", obj, "-o", ours, "--name", f"ours_{stem}", check=True)
        result[stem] = Pair(stem, obj, ours, theirs, proc)
    return result


def gnu_c(source: Path) -> subprocess.CompletedProcess[str]:
    # bpftool's `calloc(0, ...)` for an object without variables (B12) is an error under
    # gcc >= 14's -Walloc-size (gcc 12 ignores the unknown -Wno- option). Our headers
    # never call calloc(0), and test_compile.py builds them without this.
    return run_cc("gcc", source, source.with_suffix(".o"), "-std=gnu11", "-Wall", "-Wextra",
                  "-Werror", "-Wno-alloc-size", f"-I{CORPUS}", "-c")


def compile_alone(header: Path, tmp_path: Path, tag: str) -> subprocess.CompletedProcess[str]:
    source = tmp_path / f"alone_{tag}.c"
    source.write_text(f'#include "corpus_types.h"\n#include "{header}"\n')
    return gnu_c(source)


def comparison_source(pair: Pair, ours: st.Header, theirs: st.Header,
                      skip_types: frozenset[str] = frozenset()) -> str:
    """GNU C asserting that `ours` matches `theirs` member by member.

    Variables named in skip_types are compared by offset only.
    """
    o, t = f"struct {pair.ours_name}", f"struct {pair.theirs_name}"
    lines = [
        '#include <stddef.h>',
        '#include "corpus_types.h"',
        f'#include "{pair.ours}"',
        f'#include "{pair.theirs}"',
        f"#define O(member) offsetof({o}, member)",
        f"#define T(member) offsetof({t}, member)",
        f"#define OV(member) (((({o} *)0)->member))",
        f"#define TV(member) (((({t} *)0)->member))",
        "#define SAME(a, b, what) _Static_assert((a) == (b), what)",
        "#define COMPAT(a, b, what) _Static_assert(__builtin_types_compatible_p(a, b), what)",
    ]
    for block, names in (("maps", theirs.maps), ("progs", theirs.progs)):
        if not names:
            continue
        lines.append(f'SAME(sizeof(OV({block})), sizeof(TV({block})), "sizeof {block}");')
        for n in names:
            lines.append(f'SAME(O({block}.{n}) - O({block}), T({block}.{n}) - T({block}), '
                         f'"offset of {block}.{n}");')
    for ident, (t_tag, members) in theirs.struct_ops.items():
        o_tag = ours.struct_ops[ident][0]
        lines.append(f'SAME(sizeof(struct {o_tag}), sizeof(struct {t_tag}), "sizeof {ident}");')
        for name, statement in members:
            ov, tv = f"(((struct {o_tag} *)0)->{name})", f"(((struct {t_tag} *)0)->{name})"
            lines.append(f"SAME(offsetof(struct {o_tag}, {name}), "
                         f'offsetof(struct {t_tag}, {name}), "offset of {ident}.{name}");')
            lines.append(f'SAME(sizeof({ov}), sizeof({tv}), "sizeof {ident}.{name}");')
            if "[" not in statement:
                lines.append(f"COMPAT(__typeof__({ov}), __typeof__({tv}), "
                             f'"type of {ident}.{name}");')
    for sec, members in theirs.var_structs.items():
        lines.append(f'SAME(sizeof(OV({sec})), sizeof(TV({sec})), "sizeof struct {sec}");')
        for m in members:
            var = f"{sec}.{m.name}"
            lines.append(f'SAME(O({var}) - O({sec}), T({var}) - T({sec}), "offset of {var}");')
            if m.name in skip_types:
                continue
            fields = st.inline_aggregate_fields(m.decl)
            if fields is None and st.has_inline_aggregate(m.decl):
                # e.g. an array of / pointer to an anonymous struct: layout only
                lines.append(f'SAME(sizeof(*OV({var})), sizeof(*TV({var})), '
                             f'"sizeof *{var}");')
                lines.append(f'SAME(_Alignof(__typeof__(*OV({var}))), '
                             f'_Alignof(__typeof__(*TV({var}))), "alignof *{var}");')
                continue
            if fields is None and ANON_ENUM_VALUE.match(m.decl):
                # By design we print an inline anonymous enum as its integer type (B9):
                # same size, alignment and signedness, not a compatible C type.
                lines.append(f'SAME(sizeof(*OV({var})), sizeof(*TV({var})), '
                             f'"sizeof *{var}");')
                lines.append(f'SAME(_Alignof(__typeof__(*OV({var}))), '
                             f'_Alignof(__typeof__(*TV({var}))), "alignof *{var}");')
                lines.append(f'SAME((__typeof__(*OV({var})))-1 < (__typeof__(*OV({var})))1, '
                             f'(__typeof__(*TV({var})))-1 < (__typeof__(*TV({var})))1, '
                             f'"signedness of *{var}");')
                continue
            if fields is None:
                lines.append(f'COMPAT(__typeof__(*OV({var})), __typeof__(*TV({var})), '
                             f'"type of {var}");')
                continue
            # Two inline anonymous aggregates are never compatible types in one TU:
            # compare their layout field by field instead.
            lines.append(f'SAME(sizeof(*OV({var})), sizeof(*TV({var})), "sizeof *{var}");')
            lines.append(f'SAME(_Alignof(__typeof__(*OV({var}))), '
                         f'_Alignof(__typeof__(*TV({var}))), "alignof *{var}");')
            for field, bitfield, inline in fields:
                if bitfield:
                    continue
                lines.append(
                    f"SAME(offsetof(__typeof__(*OV({var})), {field}), "
                    f'offsetof(__typeof__(*TV({var})), {field}), "offset of {var}->{field}");'
                )
                if inline:
                    lines.append(f"SAME(sizeof(OV({var})->{field}), "
                                 f'sizeof(TV({var})->{field}), "sizeof {var}->{field}");')
                else:
                    lines.append(f"COMPAT(__typeof__(OV({var})->{field}), "
                                 f'__typeof__(TV({var})->{field}), "type of {var}->{field}");')
    return "\n".join(lines) + "\n"


def exact_types_source(pair: Pair, theirs: st.Header,
                       skip_types: frozenset[str] = frozenset()) -> str:
    """GNU C++: each pointee type is the *same* type, not just a compatible one.

    C calls `enum color` compatible with `int`; C++ `__is_same` tells them apart.
    Inline anonymous aggregates are distinct types by definition (compared by layout
    in comparison_source). An inline anonymous enum is a documented difference: we
    print its integer type, since two inlined copies in one C++ translation unit
    redeclare the enumerators; there the underlying types must be the same.
    """
    o, t = f"struct {pair.ours_name}", f"struct {pair.theirs_name}"
    lines = [
        '#include <type_traits>',
        '#include "corpus_types.h"',
        f'#include "{pair.ours}"',
        f'#include "{pair.theirs}"',
        f"#define OT(member) std::remove_reference<decltype(*(({o} *)0)->member)>::type",
        f"#define TT(member) std::remove_reference<decltype(*(({t} *)0)->member)>::type",
    ]
    for sec, m in theirs.all_vars():
        var = f"{sec}.{m.name}"
        if m.name in skip_types or st.has_inline_aggregate(m.decl):
            continue
        if ANON_ENUM.match(m.decl):
            lines.append(f"static_assert(std::is_integral<OT({var})>::value && "
                         f"__is_same(OT({var}), std::underlying_type<TT({var})>::type), "
                         f'"{var}: the anonymous enum\'s integer type");')
        else:
            lines.append(f'static_assert(__is_same(OT({var}), TT({var})), "type of {var}");')
    return "\n".join(lines) + "\n"


def assert_same_lookup_names(ours: st.Header, theirs: st.Header) -> None:
    assert ours.var_lookups == theirs.var_lookups
    assert ours.map_lookups == theirs.map_lookups
    assert ours.prog_lookups == theirs.prog_lookups
    assert ours.maps == theirs.maps
    assert ours.progs == theirs.progs


def assert_matches(pair: Pair, ours: st.Header, theirs: st.Header, tmp_path: Path,
                   skip_types: frozenset[str] = frozenset()) -> None:
    source = tmp_path / f"compare_{pair.stem}.c"
    source.write_text(comparison_source(pair, ours, theirs, skip_types))
    result = gnu_c(source)
    assert result.returncode == 0, (
        f"our header differs from bpftool's for {pair.stem}.bpf.o:\n{result.stderr}"
    )
    # The exact-type check needs bpftool's header to be valid GNU C++; where it is not
    # (an anonymous struct defined inside typeof(), say), the C checks above stand alone
    # and test_compile.py holds our header to C++ validity.
    probe = tmp_path / f"theirs_{pair.stem}.cc"
    probe.write_text(f'#include "corpus_types.h"\n#include "{pair.theirs}"\n')
    if run_cc("g++", probe, probe.with_suffix(".o"), "-std=gnu++17", f"-I{CORPUS}",
              "-c").returncode:
        return
    source = tmp_path / f"exact_{pair.stem}.cc"
    source.write_text(exact_types_source(pair, theirs, skip_types))
    result = run_cc("g++", source, source.with_suffix(".o"), "-std=gnu++17", "-Wall",
                    "-Wextra", "-Werror", "-Wno-alloc-size", f"-I{CORPUS}", "-c")
    assert result.returncode == 0, (
        f"our header's types differ from bpftool's for {pair.stem}.bpf.o:\n{result.stderr}"
    )


@pytest.mark.parametrize("stem", [s for s in GOOD if s not in KNOWN_DIFFERENCES])
def test_matches_bpftool(stem: str, pairs: dict[str, Pair], tmp_path: Path) -> None:
    pair = pairs[stem]
    if pair.bpftool.returncode != 0:
        pytest.fail(f"bpftool failed on {stem}.bpf.o, which is not a known difference "
                    f"(add it to KNOWN_DIFFERENCES with the reason):\n{pair.bpftool.stderr}")
    assert pair.bpftool.stdout.strip(), "bpftool printed nothing (B1?)"
    alone = compile_alone(pair.theirs, tmp_path, "theirs")
    assert alone.returncode == 0, f"bpftool's header does not compile:\n{alone.stderr}"
    ours, theirs = pair.parse_ours(), pair.parse_theirs()
    assert ours.var_structs.keys() == theirs.var_structs.keys()
    for sec in theirs.var_structs:
        assert [m.name for m in ours.var_structs[sec]] == \
            [m.name for m in theirs.var_structs[sec]]
    assert_same_lookup_names(ours, theirs)
    if BPFTOOL >= (7, 4):  # struct_ops shadow types (compared by compiler too)
        assert {i: [n for n, _ in ms] for i, (_, ms) in ours.struct_ops.items()} == \
            {i: [n for n, _ in ms] for i, (_, ms) in theirs.struct_ops.items()}
    else:
        assert not theirs.struct_ops
    assert_matches(pair, ours, theirs, tmp_path)


def test_known_differences_are_corpus_objects() -> None:
    assert set(KNOWN_DIFFERENCES) <= set(GOOD)


@pytest.mark.parametrize("stem", sorted(s for s, d in KNOWN_DIFFERENCES.items()
                                        if d == "open-fails"))
def test_we_succeed_where_bpftool_cannot_open(stem: str, pairs: dict[str, Pair],
                                              tmp_path: Path) -> None:
    pair = pairs[stem]
    assert pair.bpftool.returncode != 0, "bpftool now accepts this object: compare instead"
    assert "failed to open BPF object" in pair.bpftool.stderr
    ours = pair.parse_ours()
    assert ours.maps or ours.progs
    result = compile_alone(pair.ours, tmp_path, "ours")
    assert result.returncode == 0, result.stderr


@difference("strings", "B1")
def test_b1_bpftool_prints_nothing_for_rodata_str(pairs: dict[str, Pair],
                                                  tmp_path: Path) -> None:
    pair = pairs["strings"]
    assert any(s.startswith(".rodata.str") for s in st.elf_section_names(pair.obj))
    assert pair.bpftool.returncode == 0 and pair.bpftool.stdout == "", (
        "bpftool no longer shows B1 on strings.bpf.o: compare it instead"
    )
    ours = pair.parse_ours()
    assert ".rodata.str1.1" in ours.map_lookups
    assert "rodata_str1_1" not in ours.var_structs
    result = compile_alone(pair.ours, tmp_path, "ours")
    assert result.returncode == 0, result.stderr


def _drop_duplicates(names: list[str]) -> list[str]:
    seen: set[str] = set()
    return [n for n in names if not (n in seen or seen.add(n))]


@difference("rodata_data", "B2")
def test_b2_rodata_data(pairs: dict[str, Pair], tmp_path: Path) -> None:
    """bpftool names `.rodata.data` `data` too: duplicate members, invalid C; ours is fine."""
    pair = pairs["rodata_data"]
    assert pair.bpftool.returncode == 0
    theirs, ours = pair.parse_theirs(), pair.parse_ours()
    assert "maps.data" in theirs.duplicate_members
    assert compile_alone(pair.theirs, tmp_path, "theirs").returncode != 0
    # Same runtime lookup strings, and every one of bpftool's vars exists in ours.
    assert ours.map_lookups == theirs.map_lookups
    assert ours.var_lookups == theirs.var_lookups
    assert ours.prog_lookups == theirs.prog_lookups
    assert "rodata_data" in ours.var_structs and "rodata_data" in ours.maps
    assert ours.maps == [st.section_ident(n) if n.startswith(".") else n
                         for n in theirs.map_lookups]
    assert _drop_duplicates(theirs.maps) == [m for m in ours.maps if m != "rodata_data"]


@difference("ptr_declarators", "B3")
def test_b3_pointer_declarators(pairs: dict[str, Pair], tmp_path: Path) -> None:
    """bpftool's header is invalid C; ours compiles, with the same member names and order."""
    pair = pairs["ptr_declarators"]
    assert pair.bpftool.returncode == 0
    theirs_cc = compile_alone(pair.theirs, tmp_path, "theirs")
    assert theirs_cc.returncode != 0, "bpftool now handles B3: compare instead"
    ours, theirs = pair.parse_ours(), pair.parse_theirs()
    assert_same_lookup_names(ours, theirs)
    assert {k: [m.name for m in v] for k, v in ours.var_structs.items()} == \
        {k: [m.name for m in v] for k, v in theirs.var_structs.items()}
    # Find bpftool's invalid members, replace each by a `void *` of the same size in a
    # copy of its header, and compare by compiler: layout of everything, types of the
    # valid ones. The invalid ones are checked against the source types in
    # test_compile.py::test_member_types_match_the_source.
    broken = set()
    for _, m in theirs.all_vars():
        probe = tmp_path / f"probe_{m.name}.c"
        probe.write_text(f'#include "corpus_types.h"\nstruct probe {{ {m.statement}; }};\n')
        if gnu_c(probe).returncode != 0:
            broken.add(m.name)
    assert broken, "expected some of bpftool's members to be invalid C (B3)"
    lines = []
    for line in pair.theirs.read_text().splitlines():
        m = re.match(r"^(\s*).*\*\s*(\w+);\s*$", line)
        if m and m.group(2) in broken and "(" in line:
            line = f"{m.group(1)}void *{m.group(2)};"
        lines.append(line)
    pair = Pair(pair.stem, pair.obj, pair.ours, tmp_path / "theirs_fixed.h", pair.bpftool)
    pair.theirs.write_text("\n".join(lines) + "\n")
    assert compile_alone(pair.theirs, tmp_path, "fixed").returncode == 0
    assert_matches(pair, ours, pair.parse_theirs(), tmp_path, frozenset(broken))


@pytest.mark.parametrize("stem", BPFTOOL_B2_INVALID)
def test_b2_bpftool_invalid_where_we_refuse(stem: str, pairs: dict[str, Pair],
                                            tmp_path: Path) -> None:
    pair = pairs[stem]
    assert pair.bpftool.returncode == 0 and pair.bpftool.stdout
    assert pair.parse_theirs().duplicate_members, "bpftool no longer emits duplicates"
    assert compile_alone(pair.theirs, tmp_path, "theirs").returncode != 0
    result = run_cli("subskel", pair.obj, "-o", tmp_path / "ours.h")
    assert result.returncode == 2
    assert "identifier" in result.stderr


@difference("bss_sections", "B4")
def test_b4_long_bss_section_names(pairs: dict[str, Pair], tmp_path: Path) -> None:
    """bpftool names a `.bss.*` map longer than 15 characters by libbpf's truncated
    kernel name: its header uses a member it never declares (invalid C) and would look
    the map up as `.bss.a_very_lon` (ESRCH at runtime). Ours uses the section name."""
    pair = pairs["bss_sections"]
    assert pair.bpftool.returncode == 0 and pair.bpftool.stdout
    alone = compile_alone(pair.theirs, tmp_path, "theirs")
    assert alone.returncode != 0 and "bss_a_very_lon" in alone.stderr, alone.stderr
    assert compile_alone(pair.ours, tmp_path, "ours").returncode == 0
    ours, theirs = pair.parse_ours(), pair.parse_theirs()
    full, cut = ".bss.a_very_long_bss_section", ".bss.a_very_lon"
    assert cut in theirs.map_lookups and full in ours.map_lookups
    assert [full if n == cut else n for n in theirs.map_lookups] == ours.map_lookups
    assert "bss_a_very_long_bss_section" in ours.var_structs
    assert ours.var_lookups == theirs.var_lookups
    assert ours.prog_lookups == theirs.prog_lookups


@difference("statics", "hidden")
def test_hidden_and_static_only_differences(pairs: dict[str, Pair], tmp_path: Path) -> None:
    """Debian's bpftool exposes __hidden globals and emits empty structs for sections
    holding only statics; we follow libbpf >= 1.1 (hidden excluded, no struct).
    Everything else must match."""
    pair = pairs["statics"]
    assert pair.bpftool.returncode == 0 and pair.bpftool.stdout
    ours, theirs = pair.parse_ours(), pair.parse_theirs()
    hidden = {v.name for v in st.elf_global_vars(pair.obj) if v.hidden}
    theirs_vars = {m.name for _, m in theirs.all_vars()}
    ours_vars = {m.name for _, m in ours.all_vars()}
    assert hidden & theirs_vars, "bpftool no longer exposes hidden globals"
    assert theirs_vars - ours_vars == hidden & theirs_vars
    assert ours_vars <= theirs_vars
    empty_theirs = [sec for sec, members in theirs.var_structs.items()
                    if not [m for m in members if m.name not in hidden]]
    assert empty_theirs, "bpftool no longer emits structs for statics-only sections"
    assert set(theirs.var_structs) - set(ours.var_structs) == set(empty_theirs)
    assert [n for n in theirs.var_lookups if n not in hidden] == ours.var_lookups
    assert ours.map_lookups == theirs.map_lookups
    assert ours.prog_lookups == theirs.prog_lookups
    assert ours.maps == theirs.maps

    # Compare, by compiler, every struct and member both sides should have.
    common = st.Header(theirs.name, theirs.maps, theirs.progs)
    for sec, members in theirs.var_structs.items():
        if sec in empty_theirs:
            continue
        common.var_structs[sec] = [m for m in members if m.name not in hidden]
    source = tmp_path / "compare_statics.c"
    text = comparison_source(pair, ours, common)
    # struct sizes differ exactly by the hidden members bpftool adds
    text = "\n".join(line for line in text.splitlines() if '"sizeof struct' not in line)
    source.write_text(text + "\n")
    result = gnu_c(source)
    assert result.returncode == 0, result.stderr


@difference("anon_types", "enum-size")
def test_enum_size_difference(pairs: dict[str, Pair], tmp_path: Path) -> None:
    """bpftool's 8-byte anonymous enums are 4-byte C types; ours have the variable's size.
    Everything else must match."""
    pair = pairs["anon_types"]
    assert pair.bpftool.returncode == 0 and pair.bpftool.stdout
    ours, theirs = pair.parse_ours(), pair.parse_theirs()
    sizes = {v.name: v.size for v in st.elf_global_vars(pair.obj)}
    wide_enums = frozenset(m.name for _, m in theirs.all_vars()
                           if re.fullmatch(r"enum\s*\{[^}]*\}", m.decl) and sizes[m.name] == 8)
    assert wide_enums
    o, t = f"struct {pair.ours_name}", f"struct {pair.theirs_name}"
    where = {m.name: sec for sec, m in theirs.all_vars()}
    checks = [f'_Static_assert(sizeof(*(({o} *)0)->{where[n]}.{n}) == 8, "ours {n}");\n'
              f'_Static_assert(sizeof(*(({t} *)0)->{where[n]}.{n}) != 8, "theirs {n}");'
              for n in sorted(wide_enums)]
    source = tmp_path / "enum_size.c"
    source.write_text(f'#include "corpus_types.h"\n#include "{pair.ours}"\n'
                      f'#include "{pair.theirs}"\n' + "\n".join(checks) + "\n")
    result = gnu_c(source)
    assert result.returncode == 0, result.stderr
    assert_same_lookup_names(ours, theirs)
    assert_matches(pair, ours, theirs, tmp_path, wide_enums)
