"""What bpftool >= 7.5 puts in a header, in ours: struct_ops shadow types and links,
arena globals, a member for every internal data map. Real objects, libbpf, kernel.

Expectations that depend on the toolchain are keyed on the versions found
(`pkg-config --modversion libbpf`, `clang --version`), never assumed.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from conftest import TESTS, compile_bpf, run_cc, run_cli

SKEL = TESTS / "skel"
STRICT = ["-Wall", "-Wextra", "-Werror"]


def _version(cmd: list[str], pattern: str) -> tuple[int, ...]:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True).stdout
    except OSError:
        return ()
    m = re.search(pattern, out)
    return tuple(int(x) for x in m.groups()) if m else ()


LIBBPF = _version(["pkg-config", "--modversion", "libbpf"], r"(\d+)\.(\d+)")
CLANG = _version(["clang", "--version"], r"clang version (\d+)\.")
LIBBPF_TEXT = ".".join(map(str, LIBBPF)) or "not found"
# libbpf >= 1.4 returns the struct_ops data from bpf_map__initial_value (the shadow).
SHADOW = LIBBPF >= (1, 4)

needs_libbpf_1_5 = pytest.mark.skipif(
    LIBBPF < (1, 5),
    reason=f"needs libbpf >= 1.5 (struct_ops map auto-attach), found {LIBBPF_TEXT}")
needs_arena = pytest.mark.skipif(
    CLANG < (19,) or LIBBPF < (1, 5),
    reason=f"__arena globals need clang >= 19 and libbpf >= 1.5, found clang "
           f"{'.'.join(map(str, CLANG)) or 'not found'} and libbpf {LIBBPF_TEXT}")


@pytest.fixture
def cc_name() -> str:
    """TCP congestion control names are system-wide: one per test, at most 15 bytes."""
    return f"bss{os.getpid() % 100000}{os.urandom(2).hex()}"


def cc_object(tmp_path: Path, name: str, section: str, out: str = "cc.bpf.o") -> Path:
    return compile_bpf(SKEL / "cc_ops.bpf.c", tmp_path / out, f'-DCC_NAME="{name}"',
                       f'-DOPS_SEC="{section}"')


def header(kind: str, obj: Path, out: Path, name: str) -> Path:
    run_cli(kind, obj, "-o", out, "--name", name, check=True)
    return out


def build(tmp_path: Path, source: Path, cc_name: str = "", compiler: str = "gcc",
          *flags: str) -> Path:
    exe = tmp_path / source.stem
    result = run_cc(compiler, source, exe, *STRICT, *flags, f"-I{tmp_path}", f"-I{SKEL}",
                    f'-DCC_NAME="{cc_name}"', "-lbpf")
    assert result.returncode == 0, result.stderr
    return exe


def run(exe: Path) -> str:
    result = subprocess.run([str(exe)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


# -- struct_ops --------------------------------------------------------------------------


@pytest.mark.parametrize(("compiler", "flags"), [
    ("gcc", ["-std=gnu11"]), ("clang", ["-std=c11"]), ("g++", ["-std=c++17"]),
    ("clang++", ["-std=c++17"]),
])
def test_struct_ops_link_skeleton_compiles_with_these_headers(
        tmp_path: Path, cc_name: str, compiler: str, flags: list[str]) -> None:
    """One header for every libbpf: bpftool 7.5's API compiles against libbpf 1.1's
    headers too (where `bpf_map_skeleton` has no `link`); the stride and `map->link`
    follow the headers' version."""
    obj = cc_object(tmp_path, cc_name, ".struct_ops.link")
    header("skel", obj, tmp_path / "cc.skel.h", "cc")
    header("subskel", obj, tmp_path / "cc.subskel.h", "cc_lib")
    suffix = ".cc" if compiler.endswith("++") else ".c"
    unit = tmp_path / f"stride{suffix}"
    unit.write_text(f"""\
#include "{SKEL / 'cc_auto_user.c'}"
#include "cc.subskel.h"
#include <stdio.h>

int stride(void);
int stride(void)
{{
	struct cc obj;
	struct bpf_map_skeleton *map;

	memset(&obj, 0, sizeof(obj));
	if (cc__create_skeleton(&obj))
		return -1;
	map = (struct bpf_map_skeleton *)((char *)obj.skeleton->maps + obj.skeleton->map_skel_sz);
	printf("stride=%d name=%s", (int)obj.skeleton->map_skel_sz, map->name);
#if LIBBPF_MAJOR_VERSION > 1 || (LIBBPF_MAJOR_VERSION == 1 && LIBBPF_MINOR_VERSION >= 5)
	printf(" link=%d", map->link == &obj.links.cc);
#endif
	printf("\\n");
	bpf_object__destroy_skeleton(obj.skeleton);
	(void)cc_lib__open;
	return 0;
}}
""")
    result = run_cc(compiler, unit, tmp_path / "stride.o", "-c", *flags, *STRICT,
                    f"-I{tmp_path}", f"-I{SKEL}", f'-DCC_NAME="{cc_name}"')
    assert result.returncode == 0, result.stderr
    if compiler != "gcc":
        return
    main = tmp_path / "stride_main.c"
    main.write_text(f'#define main user_main\n#include "{unit}"\n#undef main\n'
                    "int main(void) { return stride(); }\n")
    out = run(build(tmp_path, main, cc_name))
    if LIBBPF >= (1, 5):
        assert out.split() == ["stride=32", "name=cc", "link=1"]
    else:
        assert out.split() == ["stride=24", "name=cc"]


@needs_libbpf_1_5
@pytest.mark.usefixtures("load_permitted")
def test_struct_ops_link_auto_attach(tmp_path: Path, cc_name: str) -> None:
    """bpftool 7.5's API: shadow set before load, cc__attach registers, destroy removes."""
    obj = cc_object(tmp_path, cc_name, ".struct_ops.link")
    header("skel", obj, tmp_path / "cc.skel.h", "cc")
    assert run(build(tmp_path, SKEL / "cc_auto_user.c", cc_name)).split() == ["ok"]


@pytest.mark.usefixtures("load_permitted")
def test_struct_ops_manual_attach(tmp_path: Path, cc_name: str) -> None:
    """Any libbpf: a `.struct_ops` map attached with bpf_map__attach_struct_ops."""
    obj = cc_object(tmp_path, cc_name, ".struct_ops")
    header("skel", obj, tmp_path / "cc.skel.h", "cc")
    out = run(build(tmp_path, SKEL / "cc_manual_user.c", cc_name)).split()
    assert out == [f"shadow={int(SHADOW)}", "available=1", f"allowed={int(SHADOW)}", "after=0"]


@pytest.mark.usefixtures("load_permitted")
def test_struct_ops_in_a_library_subskeleton(tmp_path: Path, cc_name: str) -> None:
    """The library defines the struct_ops map; its subskeleton, opened on the final
    object, has the shadow (libbpf >= 1.4) and a field set through it reaches the kernel."""
    lib = tmp_path / "cc_lib.bpf.o"
    run_cli("link", "-o", lib, cc_object(tmp_path, cc_name, ".struct_ops", "cc_ops.o"),
            check=True)
    final = tmp_path / "final.bpf.o"
    run_cli("link", "-o", final, lib, compile_bpf(SKEL / "cc_app.bpf.c", tmp_path / "app.o"),
            check=True)
    header("subskel", lib, tmp_path / "cc.subskel.h", "cc")
    header("skel", final, tmp_path / "final.skel.h", "final")
    out = run(build(tmp_path, SKEL / "cc_sub_user.c", cc_name)).split()
    assert out == [f"shadow={int(SHADOW)}", "available=1", f"allowed={int(SHADOW)}", "after=0"]


# -- arena -------------------------------------------------------------------------------


@pytest.fixture
def arena_object(tmp_path: Path) -> Path:
    return compile_bpf(SKEL / "arena.bpf.c", tmp_path / "arena.bpf.o")


@needs_arena
@pytest.mark.usefixtures("load_permitted")
def test_arena_globals_through_skeleton(tmp_path: Path, arena_object: Path) -> None:
    text = header("skel", arena_object, tmp_path / "arena.skel.h", "arena").read_text()
    assert "map->mmaped = (void **)&obj->arena;" in text
    for compiler, flags in (("g++", ["-std=c++17", "-x", "c++"]), ("clang++", ["-x", "c++"]),
                            ("clang", ["-std=c11"])):
        unit = run_cc(compiler, SKEL / "arena_user.c", tmp_path / "unit.o", "-c", *flags,
                      *STRICT, f"-I{tmp_path}")
        assert unit.returncode == 0, f"{compiler}: {unit.stderr}"
    assert run(build(tmp_path, SKEL / "arena_user.c")).split() == [
        "counter=17", "result=43", "counter=27", "result=103"]


@needs_arena
@pytest.mark.parametrize("command", ["subskel", "check", "harness"])
def test_arena_library_refused(tmp_path: Path, arena_object: Path, command: str) -> None:
    """libbpf's subskeleton API cannot bind __arena globals: one line, exit 2."""
    out = tmp_path / "out.h"
    args = {"subskel": [arena_object, "-o", out],
            "check": [arena_object, arena_object],
            "harness": [arena_object, arena_object, "-o", out, "--lib-name", "a",
                        "--final-name", "b"]}[command]
    result = run_cli(command, *args)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"bpfsubskel: error: {arena_object}: ")
    assert "__arena globals" in lines[0] and "subskeleton" in lines[0]
    assert not out.exists()


# -- internal maps without public variables ------------------------------------------------


@pytest.mark.usefixtures("load_permitted")
def test_static_only_bss_has_its_member(tmp_path: Path) -> None:
    obj = compile_bpf(SKEL / "static_bss.bpf.c", tmp_path / "static_bss.bpf.o")
    text = header("skel", obj, tmp_path / "static_bss.skel.h", "static_bss").read_text()
    assert re.search(r"struct static_bss__bss \{\s*\} \*bss;", text)
    assert "map->mmaped = (void **)&obj->bss;" in text
    assert re.findall(r"_Static_assert\(sizeof\(s->(\w+)->(\w+)\)", text) == \
        [("data", "visible")]
    for compiler, flags in (("g++", ["-std=c++17", "-x", "c++"]), ("clang++", ["-x", "c++"]),
                            ("clang", ["-std=c11"])):
        unit = run_cc(compiler, SKEL / "static_bss_user.c", tmp_path / "unit.o", "-c", *flags,
                      *STRICT, f"-I{tmp_path}")
        assert unit.returncode == 0, unit.stderr
    out = run(build(tmp_path, SKEL / "static_bss_user.c"))
    assert out.splitlines() == ["open bss=1 data=1", "load bss=0 data=1", "no bss"]
