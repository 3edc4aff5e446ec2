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
import tempfile
from pathlib import Path

import pytest
from conftest import TESTS, bpftool, compile_bpf, run_cc, run_cli

HARNESS = TESTS / "harness"
COUNTERS_TEST = HARNESS / "counters_test.c"
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
            ("xdp_app", "tp_app", "shadow_app", "verbose_app", "stale_app",
             "unverified_app", "missing_tp_app")}
    objs["xdp_app"] = link("xdp_app", apps["xdp_app"], objs["counters"])
    objs["tp_app"] = link("tp_app", apps["tp_app"], objs["counters"])
    objs["unverified_app"] = link("unverified_app", apps["unverified_app"], objs["counters"])
    objs["missing_tp_app"] = link("missing_tp_app", apps["missing_tp_app"], objs["counters"])
    for variant in ("no_var", "no_map", "no_prog", "narrow"):
        objs[f"xdp_{variant}"] = link(f"xdp_{variant}", apps["xdp_app"],
                                      objs[f"counters_{variant}"])
    objs["shadow_app"] = link("shadow_app", apps["shadow_app"], objs["counters"])
    objs["stale_app"] = link("stale_app", apps["stale_app"], objs["counters_no_var"])
    objs["verbose_app"] = link("verbose_app", objs["counters"], apps["verbose_app"])
    objs["verbose_single"] = link("verbose_single", cc("counters.bpf.c", "c2"),
                                  apps["verbose_app"], tool="bpftool")
    return objs


def compile_harness(objs: dict[str, Path], final: str, workdir: Path, compiler: str = "gcc",
                    tests: tuple[Path, ...] = (COUNTERS_TEST,), lib: str = "counters"
                    ) -> tuple[Path | None, str]:
    """Generate headers and harness for (lib, final), compile them with the user test
    files into a program: (the program, "") or (None, the compiler's or linker's errors)."""
    workdir.mkdir(parents=True, exist_ok=True)
    run_cli("subskel", objs[lib], "-o", workdir / "counters.subskel.h", "--name", "counters",
            check=True)
    run_cli("skel", objs[final], "-o", workdir / "app.skel.h", "--name", "app", check=True)
    harness = workdir / "counters__app.test.c"
    run_cli("harness", objs[lib], objs[final], "-o", harness, "--lib-name", "counters",
            "--final-name", "app", *[a for t in tests for a in ("--test", t)], check=True)
    cxx = compiler.endswith("++")
    objects = []
    for i, source in enumerate([harness, *tests]):
        unit = workdir / f"unit{i}.{'cc' if cxx else 'c'}"
        shutil.copy(source, unit)
        obj = workdir / f"unit{i}.o"
        result = run_cc(compiler, unit, obj, "-c", *(["-std=c++17"] if cxx else []), *STRICT,
                        f"-I{workdir}")
        if result.returncode:
            return None, f"{compiler} {source.name}:\n{result.stderr}"
        objects.append(str(obj))
    exe = workdir / "harness"
    result = subprocess.run([compiler, *objects, "-o", str(exe), "-lbpf"], capture_output=True,
                            text=True)
    if result.returncode:
        return None, f"{compiler} (link):\n{result.stderr}"
    return exe, ""


def build_harness(objs: dict[str, Path], final: str, workdir: Path, compiler: str = "gcc",
                  tests: tuple[Path, ...] = (COUNTERS_TEST,), lib: str = "counters") -> Path:
    exe, errors = compile_harness(objs, final, workdir, compiler, tests, lib)
    assert exe, errors
    return exe


NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--inh-caps=-all"]


def run(exe: Path, *args: str, env: dict[str, str] | None = None, as_nobody: bool = False,
        caps: str = "") -> tuple[int, dict[str, str], tuple[int, ...], str]:
    """Run a harness: (exit code, {test or test/subtest: status}, summary, output).

    as_nobody: without privilege, for real (another uid, no capabilities); with caps
    ("bpf,net_admin"), as nobody holding just those capabilities. The summary must count
    the tests' lines above it."""
    command = [str(exe), *args]
    if caps:
        command = [*NOBODY[:-1], f"--inh-caps=+{caps.replace(',', ',+')}",
                   f"--ambient-caps=+{caps.replace(',', ',+')}", *command]
    elif as_nobody:
        command = [*NOBODY, *command]
    full_env = {k: v for k, v in os.environ.items() if k != "BPFSUBSKEL_REQUIRE_LOAD"}
    with tempfile.TemporaryDirectory() as public:
        if caps or as_nobody:  # pytest's tmp_path is root's alone: a copy nobody can run
            os.chmod(public, 0o755)
            command[command.index(str(exe))] = shutil.copy(exe, public)
        result = subprocess.run(command, capture_output=True, text=True, timeout=120,
                                env={**full_env, **(env or {})})
    statuses: dict[str, str] = {}
    summary: tuple[int, ...] = ()
    tests = {"OK": 0, "SKIP": 0, "FAIL": 0}
    for line in result.stdout.splitlines():
        if m := LINE.match(line):
            statuses[m.group(3)] = m.group(4)
            if m.group(2) is None:
                tests[m.group(4)] += 1
        elif m := SUMMARY.match(line):
            summary = tuple(int(g) for g in m.groups())
    assert summary, result.stdout + result.stderr
    assert (summary[0], summary[2], summary[3]) == (tests["OK"], tests["SKIP"], tests["FAIL"]), \
        result.stdout
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
    assert out.startswith(f"# kernel: {os.uname().release}\n"), out
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
    exe = build_harness(objs, final, tmp_path, tests=())
    code, statuses, summary, out = run(exe)
    assert code == 1, out
    assert statuses[f"pair/{subtest}"] == "FAIL", out
    assert statuses["pair"] == "FAIL"
    assert summary[3] == 1


def test_overridden_weak_default_is_a_note(objs: dict[str, Path]) -> None:
    """Overriding a __weak default is what __weak is for: silent, and --werror passes;
    --verbose shows it."""
    result = run_cli("check", objs["counters"], objs["verbose_app"], "--werror")
    assert result.returncode == 0 and result.stderr == ""
    result = run_cli("check", objs["counters"], objs["verbose_app"], "--verbose")
    assert result.returncode == 0
    assert result.stderr.strip().splitlines() == [
        f"{objs['verbose_app']}: note: __weak variable 'verbosity' in '.data': the "
        "library's default (1) is overridden here by a definition with initial value 3 "
        f"[library {objs['counters']}]"
    ]


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
    """As an unprivileged user: tests that load skip; a run with a skip exits 77."""
    code, statuses, summary, out = run(xdp_harness, as_nobody=True)
    assert code == 77, out  # not a pass: ctest and meson report a skip
    assert statuses["pair/kernel_values"] == "SKIP" and statuses["pair"] == "SKIP"
    assert statuses["pair/addresses"] == "OK"
    assert statuses["counts_packets"] == "SKIP" and statuses["defaults"] == "OK"
    assert summary == (1, 5, 3, 0)
    assert "needs root, CAP_BPF or CAP_SYS_ADMIN" in out

    code, statuses, summary, out = run(xdp_harness, "-a", "counts_packets,pair/kernel_values",
                                       as_nobody=True)
    assert code == 77, out
    assert summary == (0, 0, 2, 0)

    code, statuses, _, out = run(xdp_harness, "-a", "counts_packets", as_nobody=True,
                                 env={"BPFSUBSKEL_REQUIRE_LOAD": "1"})
    assert code == 1 and statuses["counts_packets"] == "FAIL", out


@pytest.mark.usefixtures("load_permitted")
def test_verifier_rejection_fails_with_its_log(objs: dict[str, Path], tmp_path: Path) -> None:
    """A final object whose own program the verifier rejects fails to load with EACCES:
    with the privilege to load, that is a FAIL showing the verifier's message, never a
    skip. Privilege is the process's capabilities, not its uid."""
    exe = build_harness(objs, "unverified_app", tmp_path, tests=())
    code, statuses, summary, out = run(exe)
    assert code == 1, out
    assert statuses["pair/kernel_values"] == "FAIL" and statuses["pair"] == "FAIL", out
    assert summary == (0, 5, 0, 1)
    assert "app__load: failed: -13 (Permission denied)" in out
    assert "R6 invalid mem access 'map_value_or_null'" in out  # the verifier's words
    assert "libbpf: prog 'xdp_unchecked': failed to load" in out
    assert "skipped" not in out

    # -v: the whole log, from its start
    code, _, _, verbose = run(exe, "-v", "-a", "pair/kernel_values")
    assert code == 1 and "-- BEGIN PROG LOAD LOG --" in verbose, verbose
    assert "R6 invalid mem access 'map_value_or_null'" in verbose

    # Not root, but CAP_BPF, CAP_PERFMON (pointer arithmetic) and CAP_NET_ADMIN (XDP)
    # effective: may load, so a FAIL.
    code, statuses, _, out = run(exe, caps="bpf,perfmon,net_admin")
    assert code == 1 and statuses["pair/kernel_values"] == "FAIL", out
    assert "R6 invalid mem access" in out

    # Without privilege it is a skip, and the run exits 77.
    code, statuses, summary, out = run(exe, as_nobody=True)
    assert code == 77, out
    assert statuses["pair/kernel_values"] == "SKIP" and statuses["pair"] == "SKIP", out
    assert summary == (0, 5, 1, 0)
    code, statuses, _, out = run(exe, as_nobody=True, env={"BPFSUBSKEL_REQUIRE_LOAD": "1"})
    assert code == 1 and statuses["pair/kernel_values"] == "FAIL", out


KERNEL_REFUSES = """\
#include "counters.subskel.h"
#include "bpfsubskel_test.h"

SUBSKEL_TEST(counters, attaches)
{
	if (subskel_load(obj))
		return;
	subskel_attach(obj);
}

SUBSKEL_TEST(counters, runs)
{
	unsigned char packet[64] = { 0 };

	if (subskel_load(obj))
		return;
	/* a raw tracepoint takes ctx_in, not packet data: the kernel says EINVAL */
	subskel_run(obj, "tp_missing", packet, sizeof(packet), NULL);
}
"""


@pytest.mark.usefixtures("load_permitted")
def test_attach_and_run_failures_fail(objs: dict[str, Path], tmp_path: Path) -> None:
    """The helpers user tests call: an attach or a test run the kernel refuses is a FAIL
    (at the user's line, with libbpf's log) for a privileged process, a SKIP otherwise."""
    test = tmp_path / "refused_test.c"
    test.write_text(KERNEL_REFUSES)
    exe = build_harness(objs, "missing_tp_app", tmp_path / "build", tests=(test,))
    code, statuses, summary, out = run(exe, "-d", "pair")
    assert code == 1, out
    assert statuses == {"attaches": "FAIL", "runs": "FAIL"}, out
    assert summary == (0, 0, 0, 2)
    assert "unit1.c:8: subskel_attach: attaching the final object: failed: -2" in out
    assert "failed to attach to raw tracepoint 'bpfsubskel_no_such_tracepoint'" in out
    assert "unit1.c:18: subskel_run: running 'tp_missing': failed: -22" in out

    code, statuses, summary, out = run(exe, "-d", "pair", as_nobody=True)
    assert code == 77, out
    assert statuses == {"attaches": "SKIP", "runs": "SKIP"}, out


TRICKY = HARNESS / "tricky_test.c"
TRICKY_TESTS = ["after_a_comment_opener_in_a_string", "after_a_line_comment",
                "after_a_quote_character", "made_by_a_macro"]


@pytest.mark.parametrize("compiler", ["gcc", "clang++"])
def test_every_user_test_registers_itself(objs: dict[str, Path], tmp_path: Path,
                                          compiler: str) -> None:
    """Tests are found by the compiler, not by reading C: "/*" in a string, quotes in
    comments, a test made by the user's macro. Run in file order, then line order."""
    exe = build_harness(objs, "xdp_app", tmp_path, compiler, tests=(COUNTERS_TEST, TRICKY))
    listed = subprocess.run([str(exe), "-l"], capture_output=True, text=True)
    assert listed.stdout.split() == ["pair", *USER, *TRICKY_TESTS]
    code, statuses, summary, out = run(exe, "-a", ",".join(TRICKY_TESTS))
    assert code == 0, out
    assert statuses == dict.fromkeys(TRICKY_TESTS, "OK"), out
    assert summary == (4, 0, 0, 0)
    assert f"#{2 + len(USER)} after_a_comment_opener_in_a_string:OK" in out


INCLUDES = "".join(f'#include "{h}"\n' for h in ("counters.subskel.h", "other.subskel.h",
                                                "bpfsubskel_test.h"))
UNBUILDABLE = {
    # a test file: (what the compiler or the linker says)
    "wrong_library": ("SUBSKEL_TEST(other_lib, x) {}\n", ["incomplete type", "other_lib"]),
    "another_library": ("SUBSKEL_TEST(other, x) {}\n",
                        ["undefined reference", "subskel_harness_of_library__other"]),
    "twice_in_a_file": ("SUBSKEL_TEST(counters, a) {}\nSUBSKEL_TEST(counters, a) {}\n",
                        ["redefinition", "subskel_user_test_named__counters__a"]),
    "twice_in_two_files": ("SUBSKEL_TEST(counters, defaults) {}\n",
                           ["multiple definition", "subskel_user_test_named__counters__defaults"]),
    "named_like_the_builtin": ("SUBSKEL_TEST(counters, pair) {}\n",
                               ["multiple definition", "subskel_user_test_named__counters__pair"]),
}


@pytest.mark.parametrize("compiler", ["gcc", "clang++"])
@pytest.mark.parametrize("case", sorted(UNBUILDABLE))
def test_a_test_that_cannot_register_does_not_build(objs: dict[str, Path], tmp_path: Path,
                                                    case: str, compiler: str) -> None:
    """Never a silent drop: a test for another library than the harness's (whose
    subskeleton is not included, or is), or a name defined twice, is a build error."""
    body, words = UNBUILDABLE[case]
    build = tmp_path / "build"
    build.mkdir()
    run_cli("subskel", objs["counters"], "-o", build / "other.subskel.h", "--name", "other",
            check=True)
    test = tmp_path / f"{case}_test.c"
    test.write_text(INCLUDES + body)
    exe, errors = compile_harness(objs, "xdp_app", build, compiler, tests=(COUNTERS_TEST, test))
    assert exe is None, f"{case} built"
    assert all(word in errors for word in words), errors


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
    for missing in (tmp_path / "missing_test.c", tmp_path):
        result = run_cli("harness", objs["counters"], objs["xdp_app"], "-o", tmp_path / "t.c",
                         "--test", missing)
        assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
        assert result.stderr.startswith(f"bpfsubskel: error: {missing}: cannot read the test "
                                        "file: "), result.stderr
        assert not (tmp_path / "t.c").exists()

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


def test_check_names_the_variables_of_a_missing_section(tmp_path: Path) -> None:
    """A final object linked with an older library build: the section the library has
    and the final object lacks is named with its variables."""
    lib_c = tmp_path / "tuned.bpf.c"
    lib_c.write_text('int knob_a __attribute__((section(".data.tuning"))) = 1;\n'
                     'int knob_b __attribute__((section(".data.tuning"))) = 2;\n'
                     "int plain = 3;\n")
    old_c = tmp_path / "old.bpf.c"
    old_c.write_text("int plain = 3;\n")
    lib = compile_bpf(lib_c, tmp_path / "tuned.bpf.o")
    old = compile_bpf(old_c, tmp_path / "old.bpf.o")
    result = run_cli("check", lib, old)
    assert result.returncode == 1
    assert "section '.data.tuning' of the library is missing (its variables: knob_a, " \
        "knob_b)" in result.stderr, result.stderr


def test_kernel_selftest_pair_is_silent_under_werror(tmp_path: Path) -> None:
    """tests/trio is the kernel's subskeleton selftest (a __weak default overridden by
    the application): a clean pair, silent, and it passes --werror."""
    trio = TESTS / "trio"
    objs = {n: compile_bpf(trio / f"trio_{n}.bpf.c", tmp_path / f"trio_{n}.o")
            for n in ("lib", "lib2", "app")}
    run_cli("link", "-o", tmp_path / "lib.bpf.o", objs["lib2"], objs["lib"], check=True)
    run_cli("link", "-o", tmp_path / "app.bpf.o", objs["app"], tmp_path / "lib.bpf.o",
            check=True)
    result = run_cli("check", tmp_path / "lib.bpf.o", tmp_path / "app.bpf.o", "--werror")
    assert (result.returncode, result.stderr) == (0, "")
    verbose = run_cli("check", tmp_path / "lib.bpf.o", tmp_path / "app.bpf.o", "--verbose")
    assert verbose.returncode == 0 and "note: __weak variable 'var5'" in verbose.stderr
