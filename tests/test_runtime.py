"""Runtime: a library subskeleton opened on a real final object, loaded in the kernel.

The final object is opened and loaded through our skeleton (`bpfsubskel skel`).
The trio (tests/trio) is the kernel selftests' subskeleton test: a library with rodata,
data, bss, a weak variable, an extern variable, kconfig, a BTF map, an extern map and a
program, linked with a provider (lib2) and an application that overrides the weak
variable. Expected values are computed by the BPF program from inputs set through the
subskeleton before load: libout1 = 1 + 2 + 3 + 4 + var5 (5) + var6 (6).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import TESTS, bpftool, compile_bpf, run_cli

TRIO = TESTS / "trio"
EXPECTED = {
    "out1": "210",
    "libout1": "21",
    "var5": "5",
    "CONFIG_BPF_SYSCALL": "1",
    "map1": "map1",
    "map2": "map2",
    "prog": "lib_perf_handler",
    "map2[1]": "2",
}


@pytest.fixture(scope="module")
def trio(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("trio")
    objs = {
        name: compile_bpf(TRIO / f"trio_{name}.bpf.c", out / f"trio_{name}.bpf.o")
        for name in ("lib2", "lib", "app")
    }
    objs["library"] = out / "trio_library.bpf.o"
    run_cli("link", "-o", objs["library"], objs["lib2"], objs["lib"], check=True)
    objs["final"] = out / "trio_final.bpf.o"
    run_cli("link", "-o", objs["final"], objs["lib2"], objs["lib"], objs["app"], check=True)
    # What a Makefile calling `bpftool gen object` once produces: a stale var5 offset.
    objs["final_single"] = out / "trio_final_single.bpf.o"
    result = bpftool("gen", "object", objs["final_single"], objs["lib2"], objs["lib"],
                     objs["app"])
    assert result.returncode == 0, result.stderr
    return objs


def run_trio(workdir: Path, final: Path, subskel_header: str, *defines: str,
             skeleton_by: str = "bpfsubskel") -> dict[str, str]:
    """Build trio_user.c against a final object's skeleton and a subskeleton; run it."""
    workdir.mkdir()
    skel_header = workdir / "trio_final.skel.h"
    if skeleton_by == "bpftool":
        skel = bpftool("gen", "skeleton", final, "name", "trio_final")
        assert skel.returncode == 0, skel.stderr
        skel_header.write_text(skel.stdout)
    else:
        run_cli("skel", final, "-o", skel_header, "--name", "trio_final", check=True)
    (workdir / "trio_lib.subskel.h").write_text(subskel_header)
    exe = workdir / "trio_user"
    subprocess.run(
        ["gcc", "-O1", "-Wall", *defines, f"-I{workdir}", str(TRIO / "trio_user.c"),
         "-o", str(exe), "-lbpf"],
        check=True,
    )
    result = subprocess.run([str(exe)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    return dict(line.split("=", 1) for line in result.stdout.splitlines())


def our_subskel(obj: Path, tmp_path: Path) -> str:
    header = tmp_path / "ours.subskel.h"
    run_cli("subskel", obj, "-o", header, "--name", "trio_lib", check=True)
    return header.read_text()


@pytest.mark.usefixtures("load_permitted")
def test_linked_library_in_final_object(trio: dict[str, Path], tmp_path: Path) -> None:
    values = run_trio(tmp_path / "run", trio["final"], our_subskel(trio["library"], tmp_path),
                      "-DLIB_DEFINES_VAR6")
    assert values == {**EXPECTED, "var6": "6"}


@pytest.mark.usefixtures("load_permitted")
def test_unlinked_library_with_externs(trio: dict[str, Path], tmp_path: Path) -> None:
    """bpftool cannot open the raw library (extern map2, extern var6); we can (B6)."""
    assert bpftool("gen", "subskeleton", trio["lib"], "name", "trio_lib").returncode != 0
    header = our_subskel(trio["lib"], tmp_path)
    assert " *   var6\n" in header  # listed as unresolved, left out of the struct
    assert "*var6;" not in header
    values = run_trio(tmp_path / "run", trio["final"], header)
    assert values == EXPECTED


@pytest.mark.usefixtures("load_permitted")
def test_single_link_weak_override(trio: dict[str, Path], tmp_path: Path) -> None:
    """One `bpftool gen object` leaves var5's BTF offset stale (B5).

    libbpf binds subskeleton variables through the final object's BTF, so bpftool's
    header reads the dead weak copy there. We report the stale offset, and one
    `bpfsubskel link` of the same inputs gives an object where var5 reads 5.
    """
    theirs = bpftool("gen", "subskeleton", trio["library"], "name", "trio_lib")
    assert theirs.returncode == 0, theirs.stderr
    stale = run_trio(tmp_path / "bpftool", trio["final_single"], theirs.stdout,
                     "-DLIB_DEFINES_VAR6", skeleton_by="bpftool")
    assert stale["var5"] == "0", "bpftool's single link no longer shows bug B5?"

    report = run_cli("subskel", trio["final_single"], "-o", tmp_path / "x.h", "--werror")
    assert report.returncode == 2
    assert "'var5' in '.data': BTF offset 8 disagrees with its symbol at 12" in report.stderr
    assert not (tmp_path / "x.h").exists()

    ours = run_trio(tmp_path / "ours", trio["final"], our_subskel(trio["library"], tmp_path),
                    "-DLIB_DEFINES_VAR6")
    assert ours["var5"] == "5"
    assert ours["libout1"] == "21"
