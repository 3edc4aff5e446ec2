"""`bpfsubskel link`: libbpf's static linker, relinked until byte-stable."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import TESTS, bpftool, compile_bpf, run_cli

from bpfsubskel import model

TRIO = TESTS / "trio"


@pytest.fixture(scope="module")
def trio(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("link")
    return {n: compile_bpf(TRIO / f"trio_{n}.bpf.c", out / f"trio_{n}.bpf.o")
            for n in ("lib2", "lib", "app")}


def test_link_repairs_weak_override_offsets(trio: dict[str, Path], tmp_path: Path) -> None:
    once = tmp_path / "once.bpf.o"
    assert bpftool("gen", "object", once, trio["lib2"], trio["lib"], trio["app"]).returncode == 0
    assert model.load(str(once)).warnings, "bpftool's single link should leave B5 behind"

    ours = tmp_path / "ours.bpf.o"
    run_cli("link", "-o", ours, trio["lib2"], trio["lib"], trio["app"], check=True)
    linked = model.load(str(ours))
    assert linked.warnings == []
    data = next(m for m in linked.maps if m.section == ".data")
    var5 = next(v for v in data.vars if v.name == "var5")
    assert var5.offset == var5.btf_offset == 12


def test_link_is_idempotent_and_location_independent(trio: dict[str, Path], tmp_path: Path
                                                     ) -> None:
    first = tmp_path / "first.bpf.o"
    run_cli("link", "-o", first, trio["lib2"], trio["lib"], trio["app"], check=True)
    again = tmp_path / "again.bpf.o"
    run_cli("link", "-o", again, first, check=True)
    assert first.read_bytes() == again.read_bytes()

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for name in ("lib2", "lib", "app"):
        shutil.copy(trio[name], elsewhere / trio[name].name)
    run_cli("link", "-o", "out.bpf.o", "trio_lib2.bpf.o", "trio_lib.bpf.o", "trio_app.bpf.o",
            cwd=elsewhere, check=True)
    assert (elsewhere / "out.bpf.o").read_bytes() == first.read_bytes()


def test_unchanged_link_output_is_kept(trio: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "lib.bpf.o"
    run_cli("link", "-o", out, trio["lib2"], trio["lib"], check=True)
    mtime = out.stat().st_mtime_ns
    run_cli("link", "-o", out, trio["lib2"], trio["lib"], "--depfile", tmp_path / "d", check=True)
    assert out.stat().st_mtime_ns == mtime
    assert str(trio["lib"]) in (tmp_path / "d").read_text()


@pytest.mark.parametrize("case", ["duplicate", "not-elf", "not-bpf", "missing"])
def test_link_errors(trio: dict[str, Path], tmp_path: Path, case: str) -> None:
    inputs = {
        "duplicate": [trio["lib"], trio["lib"]],
        "not-elf": [trio["lib"], Path(__file__)],
        "not-bpf": [trio["lib"], Path(shutil.which("true") or "/bin/true")],
        "missing": [trio["lib"], tmp_path / "nope.bpf.o"],
    }[case]
    out = tmp_path / "out.bpf.o"
    result = run_cli("link", "-o", out, *inputs)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"bpfsubskel: error: {inputs[-1]}: ")
    if case == "duplicate":
        assert "conflicting non-weak symbol" in lines[0] and "lib_routine" in lines[0]
    assert not out.exists()


def test_link_without_weak_symbols_runs_the_linker_once(trio: dict[str, Path],
                                                         tmp_path: Path) -> None:
    """No __weak definition in the inputs and a first output whose BTF agrees with its
    symbols: a second round could not change the result, so libbpf's linker runs once."""
    out = tmp_path / "lib2.bpf.o"
    result = run_cli("link", "-v", "-o", out, trio["lib2"], check=True)
    assert result.stderr.strip() == f"bpfsubskel: {out}: libbpf's linker ran 1 time"
    assert model.load(str(out)).warnings == []
    # Same bytes as a second link of the output would give: nothing was left to repair.
    again = tmp_path / "again.bpf.o"
    run_cli("link", "-o", again, out, check=True)
    assert again.read_bytes() == out.read_bytes()


def test_link_with_weak_symbols_reaches_the_fixpoint(trio: dict[str, Path], tmp_path: Path
                                                     ) -> None:
    """trio_lib defines a __weak variable that trio_app overrides: relinked until stable."""
    out = tmp_path / "all.bpf.o"
    result = run_cli("link", "-v", "-o", out, trio["lib2"], trio["lib"], trio["app"],
                     check=True)
    runs = int(result.stderr.split("ran ")[1].split()[0])
    assert runs >= 2
    assert model.load(str(out)).warnings == []


def test_link_without_btf_says_compile_with_g(tmp_path: Path) -> None:
    source = tmp_path / "nog.bpf.c"
    source.write_text("int x = 1;\n")
    obj = tmp_path / "nog.o"
    subprocess.run(["clang", "-target", "bpf", "-O2", "-c", str(source), "-o", str(obj)],
                   check=True)
    result = run_cli("link", "-o", tmp_path / "out.bpf.o", obj)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "has no .BTF section" in result.stderr and "-g" in result.stderr
    assert not (tmp_path / "out.bpf.o").exists()
