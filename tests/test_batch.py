"""Batch commands: `library` (link + subskel) and `final` (link + skel + check + harness).

One process per BPF object must give the single commands' bytes, write only what
changed, all or nothing, and one depfile that real Ninja accepts for a multi-output edge.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import TESTS, compile_bpf, run_cli
from test_outputs import parse_depfile

HARNESS = TESTS / "harness"
TRIO = TESTS / "trio"
OLD = 1_000_000_000  # an mtime far in the past


@pytest.fixture(scope="module")
def raw(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Unlinked objects: two libraries (one with __weak definitions) and two apps."""
    out = tmp_path_factory.mktemp("batch")
    sources = {"counters": HARNESS / "counters.bpf.c", "xdp_app": HARNESS / "xdp_app.bpf.c",
               "trio_lib": TRIO / "trio_lib.bpf.c", "trio_lib2": TRIO / "trio_lib2.bpf.c",
               "trio_app": TRIO / "trio_app.bpf.c"}
    return {name: compile_bpf(src, out / f"{name}.o") for name, src in sources.items()}


def mtimes(paths: list[Path]) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in paths}


def age(paths: list[Path]) -> None:
    for p in paths:
        os.utime(p, (OLD, OLD))


def test_library_is_link_plus_subskel(raw: dict[str, Path], tmp_path: Path) -> None:
    single, batch = tmp_path / "single", tmp_path / "batch"
    single.mkdir()
    batch.mkdir()
    run_cli("link", "-o", single / "trio.bpf.o", raw["trio_lib2"], raw["trio_lib"], check=True)
    run_cli("subskel", single / "trio.bpf.o", "-o", single / "trio.subskel.h", "--name", "trio",
            check=True)
    result = run_cli("library", raw["trio_lib2"], raw["trio_lib"], "-o", batch / "trio.bpf.o",
                     "--subskel", batch / "trio.subskel.h", "--name", "trio",
                     "--depfile", batch / "trio.d", check=True)
    assert result.stderr == ""
    for name in ("trio.bpf.o", "trio.subskel.h"):
        assert (batch / name).read_bytes() == (single / name).read_bytes(), name
    targets, deps = parse_depfile((batch / "trio.d").read_text())
    assert targets.split(" ") == [str(batch / "trio.bpf.o"), str(batch / "trio.subskel.h")]
    assert {str(raw["trio_lib2"]), str(raw["trio_lib"])} <= set(deps)

    # Without -o the one input is the library as it is: subskel's bytes.
    run_cli("library", single / "trio.bpf.o", "--subskel", batch / "again.h", "--name", "trio",
            check=True)
    assert (batch / "again.h").read_bytes() == (single / "trio.subskel.h").read_bytes()


def final_args(raw: dict[str, Path], libs: dict[str, Path], out: Path) -> list[object]:
    """`final` for trio_app linking two libraries, harnesses for both."""
    return [
        "final", raw["trio_app"], libs["trio"], libs["counters"],
        "-o", out / "app.bpf.o", "--skel", out / "app.skel.h", "--name", "app",
        "--lib", libs["trio"], "--lib-name", "lib", "--harness", out / "lib__app.test.c",
        "--test", out / "lib_test.c", "--stamp", out / "lib.check",
        "--lib", libs["counters"], "--lib-name", "lib2", "--harness", out / "lib2__app.test.c",
        "--stamp", out / "lib2.check",
        "--depfile", out / "app.d",
    ]


@pytest.fixture
def trio_libs(raw: dict[str, Path], tmp_path: Path) -> dict[str, Path]:
    """Two BPF libraries: the trio's (lib2 + lib, with a __weak variable) and counters."""
    libs = {"trio": tmp_path / "trio.bpf.o", "counters": tmp_path / "counters.bpf.o"}
    run_cli("library", raw["trio_lib2"], raw["trio_lib"], "-o", libs["trio"], "--subskel",
            tmp_path / "trio.h", check=True)
    run_cli("library", raw["counters"], "-o", libs["counters"], "--subskel",
            tmp_path / "counters.h", check=True)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "lib_test.c").write_text(
        '#include "bpfsubskel_test.h"\nSUBSKEL_TEST(lib, first) { return 0; }\n')
    return libs


def final_outputs(out: Path) -> list[Path]:
    return [out / n for n in ("app.bpf.o", "app.skel.h", "lib.check", "lib__app.test.c",
                              "bpfsubskel_test.h", "lib2.check", "lib2__app.test.c")]


def test_final_is_link_skel_check_and_harnesses(raw: dict[str, Path],
                                                trio_libs: dict[str, Path],
                                                tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli(*final_args(raw, trio_libs, out))
    assert result.returncode == 0, result.stderr
    # trio_app overrides trio_lib's __weak var5 with another value: a note, shown with -v.
    assert "var5" not in result.stderr
    verbose = run_cli(*final_args(raw, trio_libs, out), "-v")
    assert verbose.returncode == 0
    assert verbose.stderr.count("note:") == 1 and "var5" in verbose.stderr

    single = tmp_path / "single"
    single.mkdir()
    run_cli("link", "-o", single / "app.bpf.o", raw["trio_app"], trio_libs["trio"],
            trio_libs["counters"], check=True)
    run_cli("skel", single / "app.bpf.o", "-o", single / "app.skel.h", "--name", "app",
            check=True)
    for lib, name, tests in (("trio", "lib", ["--test", out / "lib_test.c"]),
                             ("counters", "lib2", [])):
        run_cli("check", trio_libs[lib], single / "app.bpf.o", "--stamp",
                single / f"{name}.check", check=True)
        run_cli("harness", trio_libs[lib], single / "app.bpf.o", "-o",
                single / f"{name}__app.test.c", "--lib-name", name, "--final-name", "app",
                "--final-header", "app.skel.h", *tests, check=True)
    for path in final_outputs(out):
        assert path.read_bytes() == (single / path.name).read_bytes(), path.name

    targets, deps = parse_depfile((out / "app.d").read_text())
    assert targets.split(" ") == [str(p) for p in final_outputs(out)]
    assert {str(raw["trio_app"]), str(trio_libs["trio"]), str(trio_libs["counters"]),
            str(out / "lib_test.c")} <= set(deps)


@pytest.mark.usefixtures("load_permitted")
def test_libraries_sharing_a_harness_get_one_program(raw: dict[str, Path],
                                                      trio_libs: dict[str, Path],
                                                      tmp_path: Path) -> None:
    """Two libraries naming one --harness: one source, compiled once, testing each with
    --lib NAME exactly as its own harness would; same-named user tests of two libraries
    link side by side; a library the program does not test is a usage error."""
    out = tmp_path / "out"
    (out / "lib2_test.c").write_text(
        '#include "lib2.subskel.h"\n#include "bpfsubskel_test.h"\n'
        "SUBSKEL_TEST(lib2, first) { ASSERT_OK_PTR(lib, \"lib2\"); }\n")
    (out / "lib_test.c").write_text(
        '#include "lib.subskel.h"\n#include "bpfsubskel_test.h"\n'
        "SUBSKEL_TEST(lib, first) { ASSERT_OK_PTR(lib, \"lib\"); }\n")
    run_cli("subskel", trio_libs["trio"], "-o", out / "lib.subskel.h", "--name", "lib",
            check=True)
    run_cli("subskel", trio_libs["counters"], "-o", out / "lib2.subskel.h", "--name", "lib2",
            check=True)
    result = run_cli("final", raw["trio_app"], trio_libs["trio"], trio_libs["counters"],
                     "-o", out / "app.bpf.o", "--skel", out / "app.skel.h", "--name", "app",
                     "--lib", trio_libs["trio"], "--lib-name", "lib",
                     "--harness", out / "app.test.c", "--test", out / "lib_test.c",
                     "--lib", trio_libs["counters"], "--lib-name", "lib2",
                     "--harness", out / "app.test.c", "--test", out / "lib2_test.c")
    assert result.returncode == 0, result.stderr
    source = (out / "app.test.c").read_text()
    assert source.count('#include "app.skel.h"') == 1, source

    def program(name: str, *sources: Path) -> Path:
        exe = tmp_path / name
        built = subprocess.run(["gcc", f"-I{out}", "-Wall", "-Wextra", "-Werror",
                                *map(str, sources), "-o", str(exe), "-lbpf"],
                               capture_output=True, text=True)
        assert built.returncode == 0, built.stderr
        return exe

    both = program("both", out / "app.test.c", out / "lib_test.c", out / "lib2_test.c")
    listed = subprocess.run([str(both), "-l"], capture_output=True, text=True)
    assert listed.stdout.split("\n")[:6] == ["# library: lib", "pair", "first",
                                             "# library: lib2", "pair", "first"], listed.stdout
    unknown = subprocess.run([str(both), "--lib", "nosuch"], capture_output=True, text=True)
    assert unknown.returncode == 2 and "no library nosuch" in unknown.stderr, unknown
    assert "lib lib2" in unknown.stderr, unknown.stderr  # what it does test

    # Each library as its own harness (bpfsubskel harness) tests it: the same lines.
    for name, test in (("lib", out / "lib_test.c"), ("lib2", out / "lib2_test.c")):
        run_cli("harness", trio_libs["trio" if name == "lib" else "counters"],
                out / "app.bpf.o", "-o", out / f"{name}_only.test.c", "--lib-name", name,
                "--final-name", "app", "--final-header", "app.skel.h", check=True)
        alone = subprocess.run([str(program(f"{name}_only", out / f"{name}_only.test.c",
                                            test))], capture_output=True, text=True)
        selected = subprocess.run([str(both), "--lib", name], capture_output=True, text=True)
        assert selected.returncode == alone.returncode == 0, selected.stdout + alone.stdout
        assert selected.stdout == alone.stdout
        assert "#2 first:OK" in selected.stdout, selected.stdout
    everything = subprocess.run([str(both)], capture_output=True, text=True)
    assert everything.returncode == 0, everything.stdout
    assert everything.stdout.count("# library:") == 2, everything.stdout
    assert "#4 first:OK" in everything.stdout, everything.stdout


@pytest.mark.parametrize("names", [("x", "x__data"), ("lib", "LIB"), ("app__bss", None)])
def test_names_that_cannot_share_a_harness(raw: dict[str, Path], trio_libs: dict[str, Path],
                                           tmp_path: Path, names: tuple[str, str | None]
                                           ) -> None:
    """Names whose generated C can collide in one harness (N and N__..., or differing
    only in case; the final object's too): one clear error line, exit 2, nothing written."""
    out = tmp_path / "out"
    first, second = names
    args: list[object] = ["final", raw["trio_app"], trio_libs["trio"], trio_libs["counters"],
                          "-o", out / "app.bpf.o", "--skel", out / "app.skel.h", "--name",
                          "app", "--lib", trio_libs["trio"], "--lib-name", first,
                          "--harness", out / "app.test.c"]
    if second:
        args += ["--lib", trio_libs["counters"], "--lib-name", second,
                 "--harness", out / "app.test.c"]
    result = run_cli(*args)
    assert result.returncode == 2, result.stderr
    other = second or "app"
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert f"'{other}'" in result.stderr and f"'{first}'" in result.stderr, result.stderr
    assert not (out / "app.test.c").exists() and not (out / "app.bpf.o").exists()


def test_final_prelude_per_library(raw: dict[str, Path], trio_libs: dict[str, Path],
                                   tmp_path: Path) -> None:
    """--prelude in a --lib group: that harness only, as `harness --prelude` writes it."""
    out = tmp_path / "out"
    args = final_args(raw, trio_libs, out)
    at = args.index("--stamp")
    args[at:at] = ["--prelude", "types.h", "--prelude", "sub/more.h"]
    run_cli(*args, check=True)
    run_cli("harness", trio_libs["trio"], out / "app.bpf.o", "-o", tmp_path / "single.test.c",
            "--lib-name", "lib", "--final-name", "app", "--final-header", "app.skel.h",
            "--test", out / "lib_test.c", "--prelude", "types.h", "--prelude", "sub/more.h",
            "--no-runtime-header", check=True)
    text = (out / "lib__app.test.c").read_text()
    assert text == (tmp_path / "single.test.c").read_text()
    assert text.index('#include "types.h"') < text.index('#include "sub/more.h"')
    assert '#include "types.h"' not in (out / "lib2__app.test.c").read_text()

    args[at:at + 2] = ["--prelude", "/abs.h"]
    result = run_cli(*args)
    assert result.returncode == 2 and "/abs.h" in result.stderr


def test_final_rewrites_only_what_changed(raw: dict[str, Path], trio_libs: dict[str, Path],
                                          tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_cli(*final_args(raw, trio_libs, out), check=True)
    outputs = [*final_outputs(out), out / "app.d"]
    age(outputs)
    run_cli(*final_args(raw, trio_libs, out), check=True)
    after = mtimes(outputs)
    stamps = {"lib.check", "lib2.check"}
    assert all(after[n] == OLD * 10**9 for n in after if n not in stamps), after
    assert all(after[n] != OLD * 10**9 for n in stamps)  # stamps are always touched

    # A new user test changes no output: tests register themselves when the harness is
    # compiled (the build recompiles the test file), the harness source names none.
    age(outputs)
    with open(out / "lib_test.c", "a") as f:
        f.write("SUBSKEL_TEST(lib, second) { return 0; }\n")
    run_cli(*final_args(raw, trio_libs, out), check=True)
    changed = {n for n, t in mtimes(outputs).items() if t != OLD * 10**9}
    assert changed == stamps
    assert "second" not in (out / "lib__app.test.c").read_text()
    assert [p.name for p in out.iterdir() if p.name.startswith(".tmp")] == []


@pytest.mark.parametrize("case", ["not-elf", "missing-lib", "bad-test", "failed-check",
                                  "bad-name"])
def test_final_errors_touch_nothing(raw: dict[str, Path], trio_libs: dict[str, Path],
                                    tmp_path: Path, case: str) -> None:
    out = tmp_path / "out"
    run_cli(*final_args(raw, trio_libs, out), check=True)
    outputs = [*final_outputs(out), out / "app.d"]
    age(outputs)
    args = [str(a) for a in final_args(raw, trio_libs, out)]
    if case == "not-elf":
        args[args.index(str(trio_libs["counters"]), 4)] = __file__  # the second --lib
        culprit = __file__
    elif case == "missing-lib":
        args[args.index(str(trio_libs["counters"]), 4)] = str(tmp_path / "nope.bpf.o")
        culprit = str(tmp_path / "nope.bpf.o")
    elif case == "bad-test":  # a user test file that cannot be read
        args[args.index(str(out / "lib_test.c"))] = str(tmp_path / "no_test.c")
        culprit = str(tmp_path / "no_test.c")
    elif case == "bad-name":
        args[args.index("lib2")] = "2bad"
        culprit = str(trio_libs["counters"])
    else:  # a library the app does not link: check reports what is missing
        args += ["--lib", str(raw["xdp_app"]), "--lib-name", "xdp"]
        culprit = ""
    result = run_cli(*args)
    lines = result.stderr.strip().splitlines()
    if case == "failed-check":
        assert result.returncode == 1
        assert any(": error: program 'xdp_count'" in line for line in lines), lines
        assert all(line.endswith(f"[library {raw['xdp_app']}]") or "var5" in line
                   for line in lines), lines
    else:
        assert result.returncode == 2, result.stderr
        assert len(lines) == 1 and lines[0].startswith(f"bpfsubskel: error: {culprit}: "), lines
    assert "Traceback" not in result.stderr
    assert set(mtimes(outputs).values()) == {OLD * 10**9}
    assert [p.name for p in out.iterdir() if p.name.startswith(".tmp")] == []


def test_group_options_need_a_lib(raw: dict[str, Path], tmp_path: Path) -> None:
    result = run_cli("final", raw["xdp_app"], "--harness", tmp_path / "t.c")
    assert result.returncode == 2
    assert "--harness must follow a --lib" in result.stderr
    result = run_cli("final", raw["xdp_app"], raw["counters"], "--skel", tmp_path / "x.h")
    assert result.returncode == 2 and "pass -o" in result.stderr
    assert not (tmp_path / "x.h").exists()


NINJA_RULES = {
    "plain": "",  # Ninja reads the depfile on every load (CMake's custom commands)
    "gcc": "  deps = gcc\n",  # Ninja stores it in .ninja_deps (Meson's custom targets)
}


@pytest.mark.parametrize("mode", sorted(NINJA_RULES))
def test_depfile_drives_real_ninja(raw: dict[str, Path], tmp_path: Path, mode: str) -> None:
    """One edge per BPF object; inputs only the depfile names still trigger rebuilds."""
    ninja = shutil.which("ninja")
    if ninja is None:
        pytest.skip("ninja is not installed")
    src = tmp_path / "src"
    src.mkdir()
    for name in ("counters", "xdp_app"):
        shutil.copy(raw[name], src / f"{name}.o")
    (src / "counters_test.c").write_text(
        '#include "bpfsubskel_test.h"\nSUBSKEL_TEST(counters, t) { return 0; }\n')
    py = f"{sys.executable} -m bpfsubskel"
    (tmp_path / "build.ninja").write_text(
        f"rule library\n  command = {py} library $in -o counters.bpf.o --subskel "
        "counters.subskel.h --name counters --depfile counters.d\n  depfile = counters.d\n"
        f"  restat = 1\n"
        f"{NINJA_RULES[mode]}"
        f"rule final\n  command = {py} final $in counters.bpf.o -o app.bpf.o --skel app.skel.h "
        "--name app --lib counters.bpf.o --lib-name counters --harness counters__app.test.c "
        "--test src/counters_test.c --stamp counters.check --depfile app.d\n"
        f"  depfile = app.d\n  restat = 1\n{NINJA_RULES[mode]}"
        "build counters.bpf.o counters.subskel.h: library src/counters.o\n"
        "build app.bpf.o app.skel.h counters.check counters__app.test.c bpfsubskel_test.h: "
        "final src/xdp_app.o | counters.bpf.o\n")

    def build() -> list[str]:
        result = subprocess.run([ninja, "-d", "explain"], cwd=tmp_path, capture_output=True,
                                text=True)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "expected depfile" not in result.stderr, result.stderr
        assert "depfile mentions" not in result.stderr, result.stderr
        return [line for line in result.stdout.splitlines() if line.startswith("[")]

    assert len(build()) == 2
    assert build() == []  # a no-op: the depfile names exactly the edge's outputs
    os.utime(src / "counters_test.c")  # known to Ninja only through app.d
    ran = build()
    assert len(ran) == 1 and " final " in ran[0]
    assert build() == []
    os.utime(src / "counters.o")  # the library reruns; its unchanged outputs stop there
    ran = build()
    assert len(ran) == 1 and " library " in ran[0]
    assert build() == []
    os.utime(tmp_path / "counters.bpf.o")  # an input of the final edge (with deps = gcc,
    ran = build()  # Ninja also reruns the library: its stored deps predate its output)
    assert " final " in ran[-1]
    assert build() == []


@pytest.mark.parametrize("clobbered", ["skel", "depfile"])
def test_final_refuses_an_output_over_an_input(raw: dict[str, Path], trio_libs: dict[str, Path],
                                               tmp_path: Path, clobbered: str) -> None:
    """The batch commands vet their output paths as every command does: an output naming
    an input is one error line, and the input is left as it was."""
    out = tmp_path / "out"  # made by trio_libs, with lib_test.c
    args = [str(a) for a in final_args(raw, trio_libs, out)]
    victim = str(trio_libs["counters"])
    before = Path(victim).read_bytes()
    args[args.index(str(out / ("app.skel.h" if clobbered == "skel" else "app.d")))] = victim
    result = run_cli(*args)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert Path(victim).read_bytes() == before
    assert not (out / "app.bpf.o").exists()
