"""`bpfsubskel vmlinux`: vmlinux.h from kernel BTF, against bpftool's, compiled and loaded.

The oracle is the installed bpftool (`btf dump file F format c`). Where our text differs,
the difference is one of bpftool's, keyed on its version (bpftool_equivalent):

* bpftool <= 7.4 (Debian 12's 7.1, built with linux 6.1's libbpf): no __ksym / __weak /
  __bpf_fastcall macros, no kfunc prototypes (we are run with --unsorted --no-kfuncs),
  and no `mode(byte)` / `mode(word)` on 1- and 8-byte enums, which makes those enums
  4 bytes, a layout unlike the kernel's;
* bpftool 7.5 as built from linux 6.12 (Debian 13): no __bpf_fastcall (upstream 7.5.0
  has it); and when sorting, bpftool sorts void with the other types, then skips the
  first sorted entry as if it were void: that drops the top-level anonymous enum that
  sorts first. We emit it.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from conftest import (
    BPF_CFLAGS,
    TESTS,
    bpftool,
    bpftool_version,
    collect_only_if,
    compile_bpf,
    run_cli,
)

KERNEL_BTF = Path("/sys/kernel/btf/vmlinux")
EXAMPLE = TESTS.parent / "examples" / "vmlinux"
SORTS = bpftool_version() >= (7, 5)  # bpftool sorts types by name from 7.5 on
PREAMBLE_MACROS = re.compile(r"#ifndef __ksym\n.*?#define __bpf_fastcall\n#endif\n#endif\n\n",
                             re.S)
FASTCALL_MACRO = re.compile(r"#ifndef __bpf_fastcall\n.*?#endif\n#endif\n\n", re.S)
# struct/union/enum definitions and declarations; one-line typedefs; `} name;` closing a
# typedef of an inline struct, union or enum.
TOP_LEVEL = re.compile(r"^(?:(struct|union|enum) (\w+)(?: \{|;)|typedef .*?(\w+)(?:\[\d+\])*"
                       r"(?:\)\(.*\))?;$|\}(?: __attribute__\(\(\w+(?:\(\w+\))?\)\))? (\w+);$)",
                       re.M)

pytestmark = pytest.mark.skipif(not KERNEL_BTF.exists(),
                                reason="this kernel has no BTF (/sys/kernel/btf/vmlinux)")


def our_args() -> list[str]:
    """Our options for the output the installed bpftool's `format c` gives."""
    return [] if SORTS else ["--unsorted", "--no-kfuncs"]


def bpftool_equivalent(ours: str, theirs: str, *, sorted_dump: bool) -> str:
    """Our text with exactly the installed bpftool's known differences applied."""
    version = bpftool_version()
    if version < (7, 5):
        ours = PREAMBLE_MACROS.sub("", ours, count=1)
        ours = re.sub(r"^\} __attribute__\(\(mode\((byte|word)\)\)\);$", "};", ours, flags=re.M)
    elif version < (7, 6) and "__bpf_fastcall" not in theirs:
        ours = FASTCALL_MACRO.sub("", ours, count=1).replace("extern __bpf_fastcall ", "extern ")
    if sorted_dump and version >= (7, 5):
        ours_blocks, their_blocks = ours.split("\n\n"), set(theirs.split("\n\n"))
        extra = [b for b in ours_blocks if b not in their_blocks]
        if len(extra) == 1 and extra[0].startswith("enum {\n"):
            ours = "\n\n".join(b for b in ours_blocks if b is not extra[0])
    return ours


def defined_types(header: str) -> list[tuple[str, str]]:
    """(kind, name) of each top-level definition or declaration, in order."""
    return [(m.group(1) or "typedef", m.group(2) or m.group(3) or m.group(4))
            for m in TOP_LEVEL.finditer(header)]


@pytest.fixture(scope="module")
def headers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Ours and bpftool's vmlinux.h for the running kernel, sorted and (7.5+) unsorted."""
    tmp = tmp_path_factory.mktemp("vmlinux")
    out = {}
    run_cli("vmlinux", "-o", tmp / "ours.h", *our_args(), check=True)
    out["ours"] = (tmp / "ours.h").read_text()
    result = bpftool("btf", "dump", "file", KERNEL_BTF, "format", "c")
    assert result.returncode == 0, result.stderr
    out["bpftool"] = result.stdout
    if SORTS:
        run_cli("vmlinux", "-o", tmp / "ours_unsorted.h", "--unsorted", check=True)
        out["ours_unsorted"] = (tmp / "ours_unsorted.h").read_text()
        result = bpftool("btf", "dump", "file", KERNEL_BTF, "format", "c", "unsorted")
        assert result.returncode == 0, result.stderr
        out["bpftool_unsorted"] = result.stdout
    return out


def test_same_types_in_the_same_order_as_bpftool(headers: dict[str, str]) -> None:
    ours = bpftool_equivalent(headers["ours"], headers["bpftool"], sorted_dump=SORTS)
    our_types, their_types = defined_types(ours), defined_types(headers["bpftool"])
    assert len(their_types) > 10000
    missing = Counter(their_types) - Counter(our_types)
    extra = Counter(our_types) - Counter(their_types)
    assert not missing and not extra, (sorted(missing)[:20], sorted(extra)[:20])
    first = next((i for i, (a, b) in enumerate(zip(our_types, their_types)) if a != b), None)
    assert first is None, (our_types[first:first + 5], their_types[first:first + 5])


def test_header_is_bpftools(headers: dict[str, str]) -> None:
    """Byte for byte, once bpftool's own differences (module docstring) are applied."""
    ours = bpftool_equivalent(headers["ours"], headers["bpftool"], sorted_dump=SORTS)
    assert ours == headers["bpftool"], _first_difference(ours, headers["bpftool"])


@collect_only_if(SORTS)
def test_unsorted_header_is_bpftools_unsorted(headers: dict[str, str]) -> None:
    ours = bpftool_equivalent(headers["ours_unsorted"], headers["bpftool_unsorted"],
                              sorted_dump=False)
    assert ours == headers["bpftool_unsorted"], _first_difference(ours,
                                                                  headers["bpftool_unsorted"])


@collect_only_if(SORTS)
def test_bpftool_drops_one_anonymous_enum_we_keep(headers: dict[str, str]) -> None:
    """The one difference of bpftool 7.5's sorting, checked so the test above stays honest."""
    ours, theirs = headers["ours"].split("\n\n"), set(headers["bpftool"].split("\n\n"))
    extra = [b for b in ours if b not in theirs and "__bpf_fastcall" not in b]
    assert len(extra) <= 1
    assert all(b.startswith("enum {\n") for b in extra), extra


def _first_difference(a: str, b: str) -> str:
    lines_a, lines_b = a.splitlines(), b.splitlines()
    for i, (x, y) in enumerate(zip(lines_a, lines_b)):
        if x != y:
            return f"line {i + 1}: ours {x!r}, bpftool {y!r}"
    return f"ours has {len(lines_a)} lines, bpftool {len(lines_b)}"


@pytest.mark.parametrize("which", ["ours", "bpftool"])
def test_header_compiles_for_bpf(headers: dict[str, str], which: str, tmp_path: Path) -> None:
    (tmp_path / "vmlinux.h").write_text(headers[which])
    source = tmp_path / "prog.bpf.c"
    source.write_text('#include "vmlinux.h"\n#include <bpf/bpf_helpers.h>\n'
                      "struct task_struct *t;\nstruct sk_buff *s;\n"
                      'char LICENSE[] SEC("license") = "GPL";\n')
    compile_bpf(source, tmp_path / "prog.bpf.o", f"-I{tmp_path}")


def build_tracer(workdir: Path) -> Path:
    """examples/vmlinux/ built by hand on workdir/vmlinux.h: clang, bpfsubskel skel, cc."""
    for name in ("tracer.bpf.c", "tracer.c"):
        shutil.copy(EXAMPLE / name, workdir / name)
    obj = compile_bpf(workdir / "tracer.bpf.c", workdir / "tracer.bpf.o", f"-I{workdir}",
                      "-D__TARGET_ARCH_x86")
    run_cli("skel", obj, "-o", workdir / "tracer.skel.h", check=True)
    result = subprocess.run(["cc", "-Wall", "-Werror", "-O2", str(workdir / "tracer.c"), "-o",
                             str(workdir / "tracer"), "-lbpf"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return workdir / "tracer"


def run_tracer(program: Path) -> str:
    result = subprocess.run([str(program)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"^syscalls seen: [1-9]\d*, parent: (\d+) \(expected \1\), comm: tracer$",
                     result.stdout, re.M), result.stdout
    return result.stdout


@pytest.mark.usefixtures("load_permitted")
def test_core_program_loads_and_runs(tmp_path: Path) -> None:
    """A tp_btf program reading task_struct with BPF_CORE_READ, built on our vmlinux.h."""
    run_cli("vmlinux", "-o", tmp_path / "vmlinux.h", check=True)
    run_tracer(build_tracer(tmp_path))


# -- BPF objects as input: every corpus object against bpftool ------------------------------

def test_corpus_objects_match_bpftool(corpus_objects: dict[str, Path], tmp_path: Path) -> None:
    """The .BTF of each corpus object (ELF input): datasecs, vars, funcs, bit-fields..."""
    failures = []
    for stem, obj in corpus_objects.items():
        theirs = bpftool("btf", "dump", "file", obj, "format", "c")
        assert theirs.returncode == 0, theirs.stderr
        out = tmp_path / f"{stem}.h"
        run_cli("vmlinux", "--btf", obj, "-o", out, *our_args(), check=True)
        ours = bpftool_equivalent(out.read_text(), theirs.stdout, sorted_dump=SORTS)
        if ours != theirs.stdout:
            failures.append(f"{stem}: {_first_difference(ours, theirs.stdout)}")
    assert not failures, failures


# -- outputs: write-if-changed, depfile, determinism --------------------------------------------

def test_output_written_only_when_changed(corpus_objects: dict[str, Path], tmp_path: Path
                                          ) -> None:
    obj = corpus_objects["types"]
    out, dep = tmp_path / "vmlinux.h", tmp_path / "vmlinux.h.d"
    run_cli("vmlinux", "--btf", obj, "-o", out, "--depfile", dep, check=True)
    first = out.read_bytes()
    os.utime(out, (1, 1))
    run_cli("vmlinux", "--btf", obj, "-o", out, "--depfile", dep, cwd=tmp_path, check=True)
    assert out.stat().st_mtime == 1 and out.read_bytes() == first
    deps = dep.read_text()
    assert deps.startswith(f"{out}:") and str(obj) in deps and "vmlinux.h.j2" in deps


# -- bad input: one line, exit 2, nothing written ---------------------------------------------

def raw_btf(struct_name: bytes = b"s", member_name: bytes = b"x") -> bytes:
    """A tiny raw BTF blob: `int` and `struct <struct_name> { int <member_name>; }`."""
    strings = b"\0int\0" + struct_name + b"\0" + member_name + b"\0"
    s_off, m_off = 5, 6 + len(struct_name)
    types = struct.pack("<IIII", 1, 1 << 24, 4, (1 << 24) | 32)  # INT int, signed, 32 bits
    types += struct.pack("<III", s_off, (4 << 24) | 1, 4) + struct.pack("<III", m_off, 1, 0)
    header = struct.pack("<HBBIIIII", 0xEB9F, 1, 0, 24, 0, len(types), len(types), len(strings))
    return header + types + strings


def test_tiny_raw_btf(tmp_path: Path) -> None:
    (tmp_path / "t.btf").write_bytes(raw_btf())
    run_cli("vmlinux", "--btf", tmp_path / "t.btf", "-o", tmp_path / "t.h", check=True)
    text = (tmp_path / "t.h").read_text()
    assert "struct s {\n\tint x;\n};\n" in text
    assert text.startswith("#ifndef __VMLINUX_H__\n#define __VMLINUX_H__\n")
    assert "#pragma clang attribute push (__attribute__((preserve_access_index)), " \
           "apply_to = record)\n" in text
    assert text.endswith("#pragma clang attribute pop\n#endif\n\n#endif /* __VMLINUX_H__ */\n")


@pytest.mark.parametrize(("content", "message"), [
    (raw_btf(struct_name=b"a b"), "BTF type [2] (STRUCT) has the name 'a b', which is not a C "
                                  "identifier"),
    (raw_btf(member_name=b"x;y"), "BTF type [2] (STRUCT) has a member named 'x;y', which is "
                                  "not a C identifier"),
    (raw_btf(member_name=b"2x"), "has a member named '2x', which is not a C identifier"),
    (raw_btf(member_name=b"int"), "has a member named 'int', which is not a C identifier"),
    (b"not btf at all, but long enough", "BTF section has a bad magic number"),
    (b"\x7fELF" + bytes(60), "corrupt"),
])
def test_bad_btf_is_one_line_error(tmp_path: Path, content: bytes, message: str) -> None:
    (tmp_path / "bad.btf").write_bytes(content)
    result = run_cli("vmlinux", "--btf", tmp_path / "bad.btf", "-o", tmp_path / "out.h")
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"bpfsubskel: error: {tmp_path / 'bad.btf'}: ")
    assert message in result.stderr
    assert not (tmp_path / "out.h").exists()


def test_elf_without_btf_and_missing_file(tmp_path: Path) -> None:
    source = tmp_path / "nobtf.c"
    source.write_text("int x;\n")
    obj = tmp_path / "nobtf.o"
    subprocess.run(["clang", *[f for f in BPF_CFLAGS if f != "-g"], "-c", str(source), "-o",
                    str(obj)], check=True)
    result = run_cli("vmlinux", "--btf", obj, "-o", tmp_path / "out.h")
    assert result.returncode == 2
    assert "is an ELF file without a .BTF section" in result.stderr
    result = run_cli("vmlinux", "--btf", tmp_path / "missing", "-o", tmp_path / "out.h")
    assert result.returncode == 2 and "cannot read: No such file" in result.stderr
    assert not (tmp_path / "out.h").exists()


# -- front ends: the example built by CMake and by Meson, then run ---------------------------

@pytest.mark.usefixtures("load_permitted")
def test_cmake_builds_core_program_on_generated_vmlinux_h(tmp_path: Path) -> None:
    from test_cmake import build, configure

    source = tmp_path / "tracer"
    shutil.copytree(EXAMPLE, source)
    configure(source, tmp_path / "build", "-G", "Ninja")
    steps = build(tmp_path / "build")
    assert any(s.startswith("Generating vmlinux/vmlinux.h") for s in steps), steps
    assert (tmp_path / "build" / "vmlinux" / "vmlinux.h").exists()
    run_tracer(tmp_path / "build" / "tracer")
    assert build(tmp_path / "build") == []  # nothing to do: no regeneration


@pytest.mark.usefixtures("load_permitted")
def test_meson_builds_core_program_on_generated_vmlinux_h(tmp_path: Path) -> None:
    from test_meson import newest_meson, ninja

    source = tmp_path / "tracer"
    shutil.copytree(EXAMPLE, source)
    meson = newest_meson()
    meson.setup(source, tmp_path / "build")
    steps = ninja(tmp_path / "build")
    assert "Generating vmlinux.h with a custom command" in steps, steps
    run_tracer(tmp_path / "build" / "tracer")
    assert ninja(tmp_path / "build") == []


USES_CORPUS_TYPES = '#include "vmlinux.h"\nstruct pair p;\nstruct packed_rec r;\n'


def btf_file_project(tmp_path: Path, corpus_objects: dict[str, Path], file: str, text: str
                     ) -> Path:
    source = tmp_path / "p"
    source.mkdir()
    shutil.copy(corpus_objects["types"], source / "types.bpf.o")
    (source / "p.bpf.c").write_text(USES_CORPUS_TYPES)
    (source / file).write_text(text)
    return source


def test_cmake_vmlinux_h_from_a_btf_file(corpus_objects: dict[str, Path], tmp_path: Path
                                         ) -> None:
    from test_cmake import build, configure

    source = btf_file_project(tmp_path, corpus_objects, "CMakeLists.txt", (
        "cmake_minimum_required(VERSION 3.20)\nproject(p LANGUAGES C)\n"
        "find_package(bpfsubskel CONFIG REQUIRED)\n"
        "bpf_vmlinux_h(types_h BTF types.bpf.o)\n"
        "bpf_object(p LIBRARY SOURCES p.bpf.c DEPENDS types_h)\n"))
    configure(source, tmp_path / "build", "-G", "Ninja")
    steps = build(tmp_path / "build")
    assert f"Generating types_h/vmlinux.h from {source}/types.bpf.o" in steps, steps
    assert (tmp_path / "build" / "p.bpf.o").exists()
    (source / "types.bpf.o").touch()  # same BTF: the header is unchanged, nothing recompiles
    assert build(tmp_path / "build") == [f"Generating types_h/vmlinux.h from {source}/types.bpf.o"]


def test_cmake_depends_must_name_a_target(tmp_path: Path) -> None:
    from test_cmake import configure, project

    result = configure(project(tmp_path, "bpf_object(p SOURCES lib.bpf.c DEPENDS nothing)\n"),
                       tmp_path / "build", check=False)
    assert result.returncode != 0
    assert "bpf_object(p): DEPENDS names 'nothing', which is not a target" in \
        re.sub(r"\s+", " ", result.stderr)


def test_meson_vmlinux_h_from_a_btf_file(corpus_objects: dict[str, Path], tmp_path: Path
                                         ) -> None:
    from test_meson import newest_meson, ninja

    source = btf_file_project(tmp_path, corpus_objects, "meson.build", (
        "project('p', 'c')\nsubskel = import('subskel')\n"
        "types_h = subskel.vmlinux_h(btf: 'types.bpf.o')\n"
        "subskel.bpf_object('p', 'p.bpf.c', types_h, library: true)\n"))
    newest_meson().setup(source, tmp_path / "build")
    steps = ninja(tmp_path / "build")
    assert "Generating vmlinux.h with a custom command" in steps, steps
    assert (tmp_path / "build" / "p.bpf.o").exists()
