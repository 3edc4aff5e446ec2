"""`bpfsubskel skel`: full skeletons that compile everywhere and work in the kernel."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import TESTS, bpftool, compile_bpf, run_cc, run_cli

SKEL = TESTS / "skel"
TRIO = TESTS / "trio"
STRICT = ["-Wall", "-Wextra", "-Werror"]


@pytest.fixture(scope="module")
def objects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("skel")
    objs = {n: compile_bpf(TRIO / f"trio_{n}.bpf.c", out / f"trio_{n}.o")
            for n in ("lib2", "lib", "app")}
    objs["xdp"] = out / "xdp_filter.bpf.o"
    run_cli("link", "-o", objs["xdp"], compile_bpf(SKEL / "xdp_filter.bpf.c", out / "xdp.o"),
            check=True)
    objs["library"] = out / "trio_library.bpf.o"
    run_cli("link", "-o", objs["library"], objs["lib2"], objs["lib"], check=True)
    objs["final"] = out / "trio_final.bpf.o"
    run_cli("link", "-o", objs["final"], objs["library"], objs["app"], check=True)
    return objs


def build(tmp_path: Path, source: Path, headers: dict[str, Path], compiler: str = "gcc",
          *flags: str) -> Path:
    """Generate the headers ({name: object}, a name ending in _sub is a subskeleton)."""
    for name, obj in headers.items():
        if name.endswith("_sub"):
            run_cli("subskel", obj, "-o", tmp_path / f"{name[:-4]}.subskel.h", "--name",
                    name[:-4], check=True)
        else:
            run_cli("skel", obj, "-o", tmp_path / f"{name}.skel.h", "--name", name, check=True)
    exe = tmp_path / source.stem
    result = run_cc(compiler, source, exe, *STRICT, *flags, f"-I{tmp_path}", "-lbpf")
    assert result.returncode == 0, result.stderr
    return exe


def test_elf_bytes_are_the_object(objects: dict[str, Path], tmp_path: Path) -> None:
    exe = build(tmp_path, SKEL / "elf_bytes_user.c", {"final": objects["final"]})
    out = subprocess.run([str(exe)], capture_output=True, check=True).stdout
    assert out == objects["final"].read_bytes()


@pytest.mark.usefixtures("load_permitted")
@pytest.mark.parametrize(("min_len", "length", "verdict", "passed"),
                         [(100, 64, 1, 0), (100, 128, 2, 3), (0, 14, 2, 3)])
def test_xdp_program_uses_globals_set_through_skeleton(
    objects: dict[str, Path], tmp_path: Path, min_len: int, length: int, verdict: int,
    passed: int
) -> None:
    exe = build(tmp_path, SKEL / "xdp_user.c", {"xdp_filter": objects["xdp"]})
    result = subprocess.run([str(exe), str(min_len), str(length)], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    values = dict(line.split("=") for line in result.stdout.split())
    assert values == {"retval": str(verdict), "seen": "3", "passed": str(passed)}


@pytest.mark.usefixtures("load_permitted")
def test_object_name_override(objects: dict[str, Path], tmp_path: Path) -> None:
    """B8: bpftool's skeleton cannot be opened under another object_name; ours can."""
    exe = build(tmp_path, SKEL / "rename_user.c", {"final": objects["xdp"]})
    result = subprocess.run([str(exe)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["name=renamed", "min_len=7"]

    theirs = tmp_path / "bpftool"
    theirs.mkdir()
    skel = bpftool("gen", "skeleton", objects["xdp"], "name", "final")
    (theirs / "final.skel.h").write_text(skel.stdout)
    exe = theirs / "rename_user"
    assert run_cc("gcc", SKEL / "rename_user.c", exe, f"-I{theirs}", "-lbpf").returncode == 0
    result = subprocess.run([str(exe)], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "failed to find skeleton map" in result.stderr


@pytest.mark.parametrize("compiler", ["g++", "clang++"])
def test_skeleton_and_subskeleton_in_one_cxx_unit(objects: dict[str, Path], tmp_path: Path,
                                                  compiler: str) -> None:
    headers = {"final": objects["final"], "lib_sub": objects["library"]}
    for name, obj in headers.items():
        kind = "subskel" if name.endswith("_sub") else "skel"
        out = tmp_path / (f"{name[:-4]}.subskel.h" if kind == "subskel" else f"{name}.skel.h")
        run_cli(kind, obj, "-o", out, "--name", name.removesuffix("_sub"), check=True)
    result = run_cc(compiler, SKEL / "both_headers.cc", tmp_path / "both.o", "-c",
                    "-std=c++17", *STRICT, f"-I{tmp_path}")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(("compiler", "flags"), [
    ("gcc", ["-std=gnu11"]), ("clang", ["-std=c11"]), ("g++", ["-std=c++17"]),
    ("clang++", ["-std=c++17"]),
])
def test_skeleton_compiles(objects: dict[str, Path], tmp_path: Path, compiler: str,
                           flags: list[str]) -> None:
    for name in ("final", "xdp", "library"):
        header = tmp_path / f"{name}.skel.h"
        run_cli("skel", objects[name], "-o", header, check=True)
        unit = tmp_path / ("unit.cc" if compiler.endswith("++") else "unit.c")
        unit.write_text(f'#include "{header.name}"\n')
        result = run_cc(compiler, unit, tmp_path / "unit.o", "-c", *flags, *STRICT,
                        f"-I{tmp_path}")
        assert result.returncode == 0, f"{name}: {result.stderr}"


def test_unresolved_externs_are_refused(objects: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "lib.skel.h"
    result = run_cli("skel", objects["lib"], "-o", out)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1
    assert "unresolved externs (map2, var6)" in result.stderr and "bpfsubskel link" in result.stderr
    assert not out.exists()


def test_skel_bad_input(tmp_path: Path) -> None:
    bad = tmp_path / "bad.bpf.o"
    bad.write_bytes(b"\x7fELF" + b"\0" * 10)
    result = run_cli("skel", bad, "-o", tmp_path / "x.h")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"bpfsubskel: error: {bad}: ")
    assert not (tmp_path / "x.h").exists()
