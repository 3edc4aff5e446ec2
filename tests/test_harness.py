"""`bpfsubskel check` and `bpfsubskel harness`: a library tested in every final object.

The counters library (tests/harness) is linked into two final objects of different
program types; both harnesses, with the same user test file, must build and pass.
Deliberately broken pairs must be caught twice: statically by `check`, with the right
message, and at runtime by the generated harness.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import TESTS, bpftool, compile_bpf, run_cc, run_cli

HARNESS = TESTS / "harness"
STRICT = ["-Wall", "-Wextra", "-Werror"]
LINE = re.compile(r"^#(\d+)(?:/(\d+))? ([\w/]+):(OK|SKIP|FAIL)$")
SUMMARY = re.compile(r"^Summary: (\d+)/(\d+) PASSED, (\d+) SKIPPED, (\d+) FAILED$")


@pytest.fixture(scope="module")
def objs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Libraries (current and broken builds) and final objects linking them."""
    out = tmp_path_factory.mktemp("harness")

    def cc(source: str, name: str, *defines: str) -> Path:
        return compile_bpf(HARNESS / source, out / f"{name}.o", *defines)

    def link(name: str, *inputs: Path, tool: str = "bpfsubskel") -> Path:
        target = out / f"{name}.bpf.o"
        if tool == "bpftool":  # one link, as a Makefile calling bpftool gen object does
            assert bpftool("gen", "object", target, *inputs).returncode == 0
        else:
            run_cli("link", "-o", target, *inputs, check=True)
        return target

    objs = {"counters": link("counters", cc("counters.bpf.c", "counters"))}
    for variant, define in (("no_var", "-DNO_VAR"), ("no_map", "-DNO_MAP"),
                            ("no_prog", "-DNO_PROG"), ("narrow", "-DNARROW_BYTES")):
        objs[f"counters_{variant}"] = link(f"counters_{variant}",
                                           cc("counters.bpf.c", variant, define))
    apps = {name: cc(f"{name}.bpf.c", name) for name in
            ("xdp_app", "tp_app", "shadow_app", "verbose_app", "stale_app")}
    objs["xdp_app"] = link("xdp_app", apps["xdp_app"], objs["counters"])
    objs["tp_app"] = link("tp_app", apps["tp_app"], objs["counters"])
    for variant in ("no_var", "no_map", "no_prog", "narrow"):
        objs[f"xdp_{variant}"] = link(f"xdp_{variant}", apps["xdp_app"],
                                      objs[f"counters_{variant}"])
    objs["shadow_app"] = link("shadow_app", apps["shadow_app"], objs["counters"])
    objs["stale_app"] = link("stale_app", apps["stale_app"], objs["counters_no_var"])
    objs["verbose_app"] = link("verbose_app", objs["counters"], apps["verbose_app"])
    objs["verbose_single"] = link("verbose_single", cc("counters.bpf.c", "c2"),
                                  apps["verbose_app"], tool="bpftool")
    return objs


def build_harness(objs: dict[str, Path], final: str, workdir: Path, compiler: str = "gcc",
                  user_tests: bool = True, lib: str = "counters") -> Path:
    """Generate headers and harness for (lib, final) and compile them into a program."""
    workdir.mkdir(parents=True, exist_ok=True)
    run_cli("subskel", objs[lib], "-o", workdir / "counters.subskel.h", "--name", "counters",
            check=True)
    run_cli("skel", objs[final], "-o", workdir / "app.skel.h", "--name", "app", check=True)
    tests = ["--test", HARNESS / "counters_test.c"] if user_tests else []
    harness = workdir / "counters__app.test.c"
    run_cli("harness", objs[lib], objs[final], "-o", harness, "--lib-name", "counters",
            "--final-name", "app", *tests, check=True)
    cxx = compiler.endswith("++")
    sources = [harness] + ([HARNESS / "counters_test.c"] if user_tests else [])
    objects = []
    for i, source in enumerate(sources):
        unit = workdir / f"unit{i}.{'cc' if cxx else 'c'}"
        shutil.copy(source, unit)
        obj = workdir / f"unit{i}.o"
        result = run_cc(compiler, unit, obj, "-c", *(["-std=c++17"] if cxx else []), *STRICT,
                        f"-I{workdir}")
        assert result.returncode == 0, f"{compiler} {source.name}:\n{result.stderr}"
        objects.append(str(obj))
    exe = workdir / "harness"
    subprocess.run([compiler, *objects, "-o", str(exe), "-lbpf"], check=True)
    return exe


def run(exe: Path, *args: str, env: dict[str, str] | None = None,
        as_nobody: bool = False) -> tuple[int, dict[str, str], tuple[int, ...], str]:
    """Run a harness: (exit code, {test or test/subtest: status}, summary, output)."""
    command = [str(exe), *args]
    if as_nobody:
        command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]
    full_env = {k: v for k, v in os.environ.items() if k != "BPFSUBSKEL_REQUIRE_LOAD"}
    result = subprocess.run(command, capture_output=True, text=True, timeout=120,
                            env={**full_env, **(env or {})})
    statuses: dict[str, str] = {}
    summary: tuple[int, ...] = ()
    for line in result.stdout.splitlines():
        if m := LINE.match(line):
            statuses[m.group(3)] = m.group(4)
        elif m := SUMMARY.match(line):
            summary = tuple(int(g) for g in m.groups())
    assert summary, result.stdout + result.stderr
    return result.returncode, statuses, summary, result.stdout


BUILTIN = ["final_opens", "subskel_opens", "symbols_resolve", "addresses", "initial_values",
           "kernel_values"]
USER = ["counts_packets", "short_packets_are_dropped", "defaults"]


@pytest.mark.usefixtures("load_permitted")
@pytest.mark.parametrize("final", ["xdp_app", "tp_app"])
@pytest.mark.parametrize("compiler", ["gcc", "clang", "g++", "clang++"])
def test_library_passes_in_every_final_object(objs: dict[str, Path], tmp_path: Path,
                                              final: str, compiler: str) -> None:
    exe = build_harness(objs, final, tmp_path, compiler)
    code, statuses, summary, out = run(exe)
    assert code == 0, out
    assert statuses == {"pair": "OK", **{f"pair/{s}": "OK" for s in BUILTIN},
                        **dict.fromkeys(USER, "OK")}, out
    assert summary == (1 + len(USER), len(BUILTIN), 0, 0)


def test_clean_pairs_check_silently(objs: dict[str, Path]) -> None:
    for final in ("xdp_app", "tp_app"):
        result = run_cli("check", objs["counters"], objs[final])
        assert (result.returncode, result.stderr) == (0, ""), result.stderr


BROKEN = {
    # final object: (check's message, the harness subtest that fails)
    "xdp_no_var": ("variable 'dropped' in '.bss' of the library is missing", "symbols_resolve"),
    "xdp_no_map": ("map 'last_len' of the library is missing", "subskel_opens"),
    "xdp_no_prog": ("program 'counters_probe' of the library is missing", "subskel_opens"),
    "shadow_app": ("variable 'packets' in '.bss': libbpf binds the subskeleton to a static",
                   "addresses"),
    "stale_app": ("variable 'dropped' in '.bss' of the library is missing; libbpf binds the "
                  "subskeleton to a static", "symbols_resolve"),
    "xdp_narrow": ("variable 'bytes' in '.bss' has a different type here: unsigned long long "
                   "(8 bytes) in the library, unsigned int (4 bytes) here", "addresses"),
    "verbose_single": ("variable 'verbosity' in '.data': BTF offset 0 disagrees with its "
                       "symbol at 8", "addresses"),
}


@pytest.mark.parametrize("final", sorted(BROKEN))
def test_broken_pair_is_caught_by_check(objs: dict[str, Path], final: str) -> None:
    message, _ = BROKEN[final]
    result = run_cli("check", objs["counters"], objs[final])
    assert result.returncode == 1, result.stderr
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert any(line.startswith(f"{objs[final]}: error: ") and message in line
               for line in errors), result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.usefixtures("load_permitted")
@pytest.mark.parametrize("final", sorted(BROKEN))
def test_broken_pair_fails_in_the_harness(objs: dict[str, Path], tmp_path: Path,
                                          final: str) -> None:
    _, subtest = BROKEN[final]
    exe = build_harness(objs, final, tmp_path, user_tests=False)
    code, statuses, summary, out = run(exe)
    assert code == 1, out
    assert statuses[f"pair/{subtest}"] == "FAIL", out
    assert statuses["pair"] == "FAIL"
    assert summary[3] == 1


def test_overridden_weak_default_is_a_warning(objs: dict[str, Path]) -> None:
    result = run_cli("check", objs["counters"], objs["verbose_app"])
    assert result.returncode == 0
    assert result.stderr.strip().splitlines() == [
        f"{objs['verbose_app']}: warning: __weak variable 'verbosity' in '.data': the "
        "library's default (1) is overridden here by a definition with initial value 3 "
        f"[library {objs['counters']}]"
    ]
    assert run_cli("check", objs["counters"], objs["verbose_app"], "--werror").returncode == 1


@pytest.fixture(scope="module")
def xdp_harness(objs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_harness(objs, "xdp_app", tmp_path_factory.mktemp("xdp_harness"))


@pytest.mark.usefixtures("load_permitted")
def test_filters(xdp_harness: Path) -> None:
    _, statuses, summary, _ = run(xdp_harness, "-t", "packets")
    assert statuses == {"counts_packets": "OK", "short_packets_are_dropped": "OK"}
    assert summary == (2, 0, 0, 0)

    _, statuses, _, _ = run(xdp_harness, "-a", "pair/addresses,defaults")
    assert statuses == {"pair/addresses": "OK", "pair": "OK", "defaults": "OK"}

    _, statuses, _, _ = run(xdp_harness, "-d", "pair", "-d", "counts_*")
    assert set(statuses) == {"short_packets_are_dropped", "defaults"}

    _, statuses, _, _ = run(xdp_harness, "-a", "pair", "-d", "pair/kernel_values")
    assert set(statuses) == {"pair"} | {f"pair/{s}" for s in BUILTIN[:-1]}

    _, statuses, _, _ = run(xdp_harness, "-t", "pair/opens")
    assert statuses == {"pair/final_opens": "OK", "pair/subskel_opens": "OK", "pair": "OK"}

    # A filter that selects nothing fails (a typo must not turn a test run green), and a
    # test whose subtests were all filtered out is not reported.
    code, statuses, summary, _ = run(xdp_harness, "-t", "nosuchtest")
    assert (code, statuses, summary) == (2, {}, (0, 0, 0, 0))
    code, statuses, _, _ = run(xdp_harness, "-a", "pair/nosuchsubtest")
    assert (code, statuses) == (2, {})

    listed = subprocess.run([str(xdp_harness), "-l"], capture_output=True, text=True)
    assert listed.stdout.split() == ["pair", *USER]
    assert subprocess.run([str(xdp_harness), "--bogus"], capture_output=True).returncode == 2


def test_without_privilege_load_tests_skip(xdp_harness: Path) -> None:
    """As an unprivileged user: tests that load skip; all skipped exits 77."""
    xdp_harness.parent.chmod(0o755)
    code, statuses, summary, out = run(xdp_harness, as_nobody=True)
    assert code == 0, out  # the tests that need no load still pass
    assert statuses["pair/kernel_values"] == "SKIP"
    assert statuses["counts_packets"] == "SKIP" and statuses["defaults"] == "OK"

    code, statuses, summary, out = run(xdp_harness, "-a", "counts_packets,pair/kernel_values",
                                       as_nobody=True)
    assert code == 77, out
    assert summary == (0, 0, 2, 0)

    code, statuses, _, out = run(xdp_harness, "-a", "counts_packets", as_nobody=True,
                                 env={"BPFSUBSKEL_REQUIRE_LOAD": "1"})
    assert code == 1 and statuses["counts_packets"] == "FAIL", out


def test_harness_output_is_deterministic_and_names_only(objs: dict[str, Path], tmp_path: Path
                                                        ) -> None:
    outputs = []
    for where in ("a", "b"):
        d = tmp_path / where
        d.mkdir()
        run_cli("harness", objs["counters"], objs["xdp_app"], "-o", d / "t.c", "--lib-name",
                "counters", "--test", HARNESS / "counters_test.c", "--depfile", d / "t.d",
                check=True)
        outputs.append((d / "t.c").read_bytes())
        assert (d / "bpfsubskel_test.h").is_file()
        assert str(HARNESS / "counters_test.c") in (d / "t.d").read_text()
    assert outputs[0] == outputs[1]
    assert str(tmp_path).encode() not in outputs[0] and str(TESTS).encode() not in outputs[0]


def test_harness_bad_input(objs: dict[str, Path], tmp_path: Path) -> None:
    wrong = tmp_path / "wrong_test.c"
    wrong.write_text("SUBSKEL_TEST(other_lib, something)\n{\n}\n")
    result = run_cli("harness", objs["counters"], objs["xdp_app"], "-o", tmp_path / "t.c",
                     "--test", wrong)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "is for 'other_lib', but this harness tests 'counters_bpf'" in result.stderr
    assert not (tmp_path / "t.c").exists()

    twice = tmp_path / "twice_test.c"
    twice.write_text("SUBSKEL_TEST(counters_bpf, a) {}\nSUBSKEL_TEST(counters_bpf, a) {}\n")
    result = run_cli("harness", objs["counters"], objs["xdp_app"], "-o", tmp_path / "t.c",
                     "--test", twice)
    assert result.returncode == 2 and "defined twice" in result.stderr

    result = run_cli("check", tmp_path / "missing.bpf.o", objs["xdp_app"])
    assert result.returncode == 2 and "cannot read" in result.stderr


def test_check_stamp_for_build_systems(objs: dict[str, Path], tmp_path: Path) -> None:
    """--stamp is touched on every compatible run (build tools compare its age), never
    on an incompatible one; --depfile names its inputs."""
    stamp, depfile = tmp_path / "pair.check", tmp_path / "pair.check.d"
    run_cli("check", objs["counters"], objs["xdp_app"], "--stamp", stamp, "--depfile", depfile,
            check=True)
    assert stamp.read_bytes() == b""
    deps = depfile.read_text()
    assert deps.startswith(f"{stamp}:") and str(objs["xdp_app"]) in deps
    os.utime(stamp, (1, 1))
    run_cli("check", objs["counters"], objs["xdp_app"], "--stamp", stamp, check=True)
    assert stamp.stat().st_mtime > 1

    broken = tmp_path / "broken.check"
    assert run_cli("check", objs["counters"], objs["xdp_no_var"], "--stamp",
                   broken).returncode == 1
    assert not broken.exists()

    result = run_cli("check", objs["counters"], objs["xdp_app"], "--depfile", depfile)
    assert result.returncode == 2 and "pass both" in result.stderr


def test_harness_without_runtime_header(objs: dict[str, Path], tmp_path: Path) -> None:
    """Build systems with one output directory for many harnesses (Meson) take
    bpfsubskel_test.h from --includedir instead of one copy per harness."""
    run_cli("harness", objs["counters"], objs["xdp_app"], "-o", tmp_path / "t.c",
            "--no-runtime-header", check=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.c"]
    includedir = Path(run_cli("--includedir", check=True).stdout.strip())
    assert (includedir / "bpfsubskel_test.h").read_text().startswith("/*")
    mesondir = Path(run_cli("--mesondir", check=True).stdout.strip())
    assert (mesondir / "subprojects" / "bpfsubskel.wrap").is_file()
