"""The Meson front end: sample_project/ set up, built and tested with real Meson and ninja.

Two Meson versions: the newest from PyPI (in the venv, beside bpfsubskel) and Debian
12's own 1.0.1 (run by a venv over Debian's Python that has bpfsubskel), both set up
by run.sh. import('subskel') reaches them through the installed .pth hook. Meson 0.63,
too old for the module, checks that projects fall back. Incremental-build claims are
read from ninja's `[n/m] description` lines.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import pytest
from conftest import TESTS

SAMPLE = TESTS.parent / "sample_project"
VENV = Path(sys.executable).parent.parent
STEP = re.compile(r"^\[\d+/\d+\] (.*)$", re.M)
HOOK_OFF = {"BPFSUBSKEL_NO_MESON_HOOK": "1"}


@dataclass
class Meson:
    """One Meson installation and the Python that runs it (and bpfsubskel)."""

    version: str
    python: str
    command: list[str]

    def run(self, *args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
            check: bool = True) -> subprocess.CompletedProcess[str]:
        # As if its venv were activated: its bpfsubskel command first on PATH.
        path = f"{Path(self.python).parent}{os.pathsep}{os.environ['PATH']}"
        result = subprocess.run([*self.command, *args], cwd=cwd, capture_output=True,
                                text=True, env={**os.environ, "PATH": path, **(env or {})})
        if check:
            assert result.returncode == 0, result.stdout + result.stderr
        return result

    def setup(self, source: Path, build: Path, *args: str,
              env: dict[str, str] | None = None) -> str:
        out = self.run("setup", str(build), str(source), *args, env=env).stdout
        assert f"Version: {self.version}" in out, out
        return out


def newest_meson() -> Meson:
    return Meson(version("meson"), sys.executable, [str(Path(sys.executable).parent / "meson")])


def debian_meson() -> Meson:
    python = VENV / "debian-meson" / "bin" / "python"
    if not python.exists():
        pytest.fail(f"{python} is missing: ./run.sh test sets up Debian's Meson")
    # Debian's own package: 1.0.1 on Debian 12, 1.7 on Debian 13.
    code = "from mesonbuild.coredata import version; print(version)"
    debian_version = subprocess.run([str(python), "-c", code], capture_output=True, text=True,
                                    check=True).stdout.strip()
    return Meson(debian_version, str(python), [str(python), "-m", "mesonbuild.mesonmain"])


def meson_0_63() -> Meson:
    target = VENV / "meson-0.63"
    if not (target / "mesonbuild").is_dir():
        pytest.fail(f"{target} is missing: ./run.sh test installs Meson 0.63 there")
    code = f"import sys; sys.path.insert(0, {str(target)!r}); " \
           "from mesonbuild.mesonmain import main; sys.exit(main())"
    return Meson("0.63.3", sys.executable, [sys.executable, "-c", code])


MESONS = {"newest": newest_meson, "debian": debian_meson}


@pytest.fixture(params=sorted(MESONS))
def meson(request: pytest.FixtureRequest) -> Meson:
    return MESONS[request.param]()


def ninja(build: Path, env: dict[str, str] | None = None) -> list[str]:
    """Build; return the descriptions of the steps ninja ran."""
    result = subprocess.run(["ninja", "-C", str(build)], capture_output=True, text=True,
                            env={**os.environ, **(env or {})})
    assert result.returncode == 0, result.stdout + result.stderr
    return STEP.findall(result.stdout)


def meson_test(meson: Meson, build: Path, env: dict[str, str] | None = None) -> str:
    """The host-kernel tests (the sample's runs in VMs, suite vm, are test_vm.py's)."""
    out = meson.run("test", "-C", str(build), "--print-errorlogs", "--no-suite", "vm",
                    env=env).stdout
    assert re.search(r"^Ok:\s+2\s*$", out, re.M) and re.search(r"^Fail:\s+0\s*$", out, re.M), out
    return out


def copy_sample(tmp_path: Path) -> Path:
    source = tmp_path / "sample"
    shutil.copytree(SAMPLE, source)
    return source


def generated(step: str, name: str) -> bool:
    return step == f"Generating {name} with a custom command"


@pytest.mark.usefixtures("load_permitted")
def test_sample_builds_and_its_harnesses_pass(meson: Meson, tmp_path: Path) -> None:
    source = copy_sample(tmp_path)
    build = tmp_path / "build"
    out = meson.setup(source, build)
    assert "Program bpfsubskel found" not in out, "the fallback ran instead of the module"
    ninja(build)
    out = meson_test(meson, build)
    assert "counters_in_syscalls" in out and "counters_in_packets" in out
    harness = subprocess.run([str(build / "packets_harness"), "--lib", "counters"],
                             capture_output=True,
                             text=True)
    assert "#2 counts_what_it_is_fed:OK" in harness.stdout
    assert harness.stdout.rstrip().endswith("Summary: 3/6 PASSED, 0 SKIPPED, 0 FAILED")
    pktcount = subprocess.run([str(build / "pktcount")], capture_output=True, text=True)
    assert "packets counted: 4, bytes: 2204, recent sizes: 64 128 512 1500" in pktcount.stdout

    # The header is what the command line (and so the CMake build) writes for the object.
    subprocess.run([meson.python, "-m", "bpfsubskel", "subskel", str(build / "counters.bpf.o"),
                    "-o", str(tmp_path / "again.subskel.h"), "--name", "counters"], check=True)
    assert (tmp_path / "again.subskel.h").read_bytes() == \
        (build / "counters.subskel.h").read_bytes()


@pytest.mark.parametrize("module", [True, False], ids=["module", "fallback"])
def test_subskel_tests_false_builds_checks_but_no_harnesses(module: bool, tmp_path: Path
                                                            ) -> None:
    """The project option subskel_tests=false: no harness executable or test, no message
    about it; the build-time checks still run (the module and the fallback recipe)."""
    source = copy_sample(tmp_path)
    build = tmp_path / "build"
    out = newest_meson().setup(source, build, "-Dsubskel_tests=false",
                               f"-Dsubskel_module={'enabled' if module else 'disabled'}")
    assert "no harness test" not in out, out
    steps = ninja(build)
    assert not any("harness" in s for s in steps), steps
    assert not list(build.rglob("*_harness")), list(build.rglob("*_harness"))
    checks = [p.name for p in build.rglob("*") if "check" in p.name and p.is_file()
              and "counters_in_" in p.name]
    assert len(checks) >= 2, sorted(p.name for p in build.rglob("*"))
    listed = newest_meson().run("test", "-C", str(build), "--list", check=False)
    assert "counters_in_" not in listed.stdout, listed.stdout
    assert listed.returncode == 0 or "No tests defined" in listed.stderr, listed.stderr


def test_incremental_rebuilds(meson: Meson, tmp_path: Path) -> None:
    source = copy_sample(tmp_path)
    build = tmp_path / "build"
    meson.setup(source, build)
    steps = ninja(build)
    # generate() comes before the final objects: no command per pair, one per final object.
    assert not any(s.endswith((".check with a custom command", ".test.c with a custom command"))
                   for s in steps), steps
    # The library's tests are compiled once for both harnesses.
    assert len([s for s in steps if "counters_test.c" in s]) == 1, steps
    assert ninja(build) == [], "a no-op rebuild ran something"

    # A header only the library's BPF code includes: the library chain rebuilds; code that
    # includes only the (unchanged) subskeleton does not recompile.
    defaults = source / "bpf" / "counters_defaults.h"
    defaults.write_text(defaults.read_text().replace("MIN_SIZE 0", "MIN_SIZE 1"))
    steps = ninja(build)
    # A final object's skeleton, checks and harness sources are one command, named after
    # the skeleton.
    for name in ("counters.counters.o", "counters.bpf.o", "counters.subskel.h",
                 "syscalls.bpf.o", "packets.bpf.o", "packets.skel.h", "syscalls.skel.h"):
        assert any(generated(s, name) for s in steps), (name, steps)
    assert not any("lib_counters.c" in s for s in steps), steps
    assert not any(generated(s, "syscalls.syscalls.o") or generated(s, "packets.packets.o")
                   for s in steps), steps
    assert ninja(build) == []

    # A final object's own source: the library's subskeleton is not regenerated and the
    # userspace library is not recompiled; the other final object is untouched.
    packets = source / "bpf" / "packets.bpf.c"
    packets.write_text(packets.read_text().replace("return XDP_PASS;",
                                                   "return XDP_PASS + 0 * ctx->ingress_ifindex;"))
    steps = ninja(build)
    for name in ("packets.packets.o", "packets.bpf.o", "packets.skel.h"):
        assert any(generated(s, name) for s in steps), (name, steps)
    assert not any("subskel" in s or "counters.c" in s or "syscalls" in s for s in steps), steps

    # The library's user test file: it recompiles and the harnesses relink; no command of
    # bpfsubskel runs (the generated harness sources do not name the tests).
    user_test = source / "tests" / "counters_test.c"
    user_test.write_text(user_test.read_text() + "/* edited */\n")
    steps = ninja(build)
    assert len([s for s in steps if "counters_test.c" in s]) == 1, steps
    assert sorted(s for s in steps if s.startswith("Linking target")) == [
        "Linking target packets_harness", "Linking target syscalls_harness"], steps
    assert not any("custom command" in s for s in steps), steps

    # Upgrading bpfsubskel (here: a newer template in the Python that runs this Meson)
    # regenerates the headers.
    templates = subprocess.run([meson.python, "-m", "bpfsubskel", "--includedir"],
                               check=True, capture_output=True, text=True).stdout.strip()
    os.utime(Path(templates) / "subskel.h.j2")
    steps = ninja(build)
    assert any(generated(s, "counters.subskel.h") for s in steps), steps


@pytest.mark.usefixtures("load_permitted")
def test_regenerates_after_editing_meson_build(meson: Meson, tmp_path: Path) -> None:
    """ninja re-runs Meson, which imports the module again: a new final object gets its
    harness and test."""
    source = copy_sample(tmp_path)
    build = tmp_path / "build"
    meson.setup(source, build)
    ninja(build)
    build_file = source / "meson.build"
    build_file.write_text(build_file.read_text().replace(
        "  syscalls_skel = subskel.skeleton(syscalls)\n",
        "  syscalls_skel = subskel.skeleton(syscalls)\n"
        "  subskel.bpf_object('again', 'bpf/syscalls.bpf.c', libraries: counters)\n"))
    steps = ninja(build)
    assert (build / "again_harness").exists(), steps
    out = meson.run("test", "-C", str(build), "--print-errorlogs", "--no-suite", "vm").stdout
    assert re.search(r"counters_in_again\s+OK", out), out
    assert re.search(r"^Ok:\s+3\s*$", out, re.M), out


def test_introspect_and_install(tmp_path: Path) -> None:
    """Both read build.dat only: they work without the hook."""
    meson = newest_meson()
    source = copy_sample(tmp_path)
    build = tmp_path / "build"
    meson.setup(source, build)
    ninja(build)
    targets = json.loads(meson.run("introspect", "--targets", str(build), env=HOOK_OFF).stdout)
    names = {t["name"] for t in targets}
    assert {"counters.bpf.o", "syscalls.bpf.o", "counters.subskel.h", "syscalls.skel.h",
            "syscalls_harness", "packets_harness"} <= names, names
    tests = json.loads(meson.run("introspect", "--tests", str(build), env=HOOK_OFF).stdout)
    host = [t for t in tests if "@" not in t["name"]]
    assert sorted(t["name"] for t in host) == ["counters_in_packets", "counters_in_syscalls"]
    assert all(t["suite"] == ["bpfsubskel_sample:bpfsubskel"] for t in host), tests
    assert len(tests) == 8, tests  # and each on 5.10, 6.1 and 6.12 (test_vm.py)

    meson.run("install", "-C", str(build), "--destdir", str(tmp_path / "dest"), "--no-rebuild",
              env=HOOK_OFF)
    installed = {p.relative_to(tmp_path / "dest").as_posix()
                 for p in (tmp_path / "dest").rglob("*") if p.is_file()}
    assert installed == {"usr/local/bin/syscount", "usr/local/bin/pktcount",
                         "usr/local/include/counters.subskel.h"}, installed
    assert (tmp_path / "dest/usr/local/include/counters.subskel.h").read_bytes() == \
        (build / "counters.subskel.h").read_bytes()


@pytest.mark.usefixtures("load_permitted")
def test_fallback_without_the_module(meson: Meson, tmp_path: Path) -> None:
    """The hook disabled: import('subskel', required: false) is not found and the
    sample builds the same harnesses from find_program('bpfsubskel') + custom_target()."""
    source = copy_sample(tmp_path)
    build = tmp_path / "build"
    out = meson.setup(source, build, env=HOOK_OFF)
    assert "Program bpfsubskel found: YES" in out, out
    ninja(build, env=HOOK_OFF)
    meson_test(meson, build, env=HOOK_OFF)

    # The module writes the same subskeleton and harness source (its harness of syscalls
    # tests every library with a subskeleton inside it: here counters only).
    module_build = tmp_path / "module-build"
    meson.setup(source, module_build)
    ninja(module_build)
    for name, module_name in (("counters.subskel.h", "counters.subskel.h"),
                              ("counters_in_syscalls.test.c", "syscalls.test.c")):
        assert (build / "fallback" / name).read_bytes() == \
            (module_build / module_name).read_bytes()

    # -Dsubskel_module=enabled: a clear error instead of a silent fallback.
    result = meson.run("setup", str(tmp_path / "enabled"), str(source),
                       "-Dsubskel_module=enabled", env=HOOK_OFF, check=False)
    assert result.returncode != 0
    assert 'Module "subskel" does not exist' in result.stdout + result.stderr


@pytest.mark.usefixtures("load_permitted")
def test_wrap_provides_bpfsubskel(tmp_path: Path) -> None:
    """No module, no bpfsubskel on PATH: find_program('bpfsubskel') falls back to the
    subproject shipped in `bpfsubskel --mesondir`."""
    meson = debian_meson()
    source = copy_sample(tmp_path)
    mesondir = subprocess.run([meson.python, "-m", "bpfsubskel", "--mesondir"], check=True,
                              capture_output=True, text=True).stdout.strip()
    shutil.copytree(Path(mesondir) / "subprojects", source / "subprojects")
    env = {**HOOK_OFF, "PATH": "/usr/bin:/bin"}
    assert shutil.which("bpfsubskel", path=env["PATH"]) is None
    out = meson.setup(source, tmp_path / "build", env=env)
    assert "Fallback to subproject bpfsubskel which provides program bpfsubskel" in out, out
    assert "Program bpfsubskel found: YES (overridden)" in out, out
    ninja(tmp_path / "build", env=env)
    meson_test(meson, tmp_path / "build", env=env)


def test_too_old_meson_falls_back_with_the_reason(tmp_path: Path) -> None:
    meson = meson_0_63()
    source = copy_sample(tmp_path)
    source.joinpath("meson.build").write_text(
        source.joinpath("meson.build").read_text().replace("meson_version: '>=0.64'",
                                                           "meson_version: '>=0.63'"))
    out = meson.setup(source, tmp_path / "build")
    assert "WARNING: bpfsubskel: import('subskel') is unavailable" in out, out
    assert "older than 0.64.0" in out or "ModuleInfo" in out, out
    assert "Program bpfsubskel found: YES" in out, out  # the fallback
    ninja(tmp_path / "build")


LIB_C = """\
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
int base_hits;
__attribute__((noinline)) int base_hit(void) { return ++base_hits; }
"""
MID_C = """\
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
extern int base_hit(void);
int mid_hits;
__attribute__((noinline)) int mid_hit(void) { mid_hits++; return base_hit(); }
"""
FINAL_C = """\
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
extern int mid_hit(void);
SEC("socket") int prog(void *ctx) { return mid_hit() > 0; }
char LICENSE[] SEC("license") = "GPL";
"""


def small_project(tmp_path: Path, body: str) -> Path:
    source = tmp_path / "project"
    source.mkdir()
    for name, text in (("base.bpf.c", LIB_C), ("mid.bpf.c", MID_C), ("final.bpf.c", FINAL_C)):
        source.joinpath(name).write_text(text)
    source.joinpath("meson.build").write_text(
        "project('p', 'c', meson_version: '>=0.64')\nsubskel = import('subskel')\n" + body)
    return source


@pytest.mark.usefixtures("load_permitted")
def test_libraries_and_finals_in_any_order(tmp_path: Path) -> None:
    """generate() after the final object, and a library reaching the final object only
    through another library: every pair still gets its harness."""
    meson = newest_meson()
    source = small_project(tmp_path, """
base = subskel.bpf_object('base', 'base.bpf.c', library: true)
mid = subskel.bpf_object('mid', 'mid.bpf.c', library: true, libraries: base)
mid_dep = subskel.generate(mid)
final = subskel.bpf_object('final', 'final.bpf.c', libraries: mid)
base_dep = subskel.generate(base)
""")
    meson.setup(source, tmp_path / "build")
    ninja(tmp_path / "build")
    out = meson.run("test", "-C", str(tmp_path / "build"), "--print-errorlogs").stdout
    assert re.search(r"base_in_final\s+OK", out) and re.search(r"mid_in_final\s+OK", out), out


@pytest.mark.parametrize("body, message", [
    ("subskel.bpf_object('x')", r"subskel\.bpf_object takes at least 2 arguments"),
    ("subskel.bpf_object('x', 'base.bpf.c', library: 'yes')",
     "subskel.bpf_object keyword argument .library. was of type str but should have been bool"),
    ("subskel.bpf_object('x', 'base.bpf.c', color: 1)", "unknown keyword argument"),
    ("f = subskel.bpf_object('f', 'final.bpf.c')\n"
     "subskel.bpf_object('g', 'final.bpf.c', libraries: f)",
     r"'libraries' names 'f\.bpf\.o', which is a final BPF object"),
    ("f = subskel.bpf_object('f', 'final.bpf.c')\nsubskel.generate(f)",
     r"subskel\.generate: 'f\.bpf\.o' is a final BPF object"),
    ("b = subskel.bpf_object('b', 'base.bpf.c', library: true)\n"
     "subskel.generate(b, name: 'my-lib')", r"subskel\.generate: 'name' 'my-lib'"),
    ("b = subskel.bpf_object('b', 'base.bpf.c', library: true)\n"
     "subskel.generate(b, tests: 7)", "subskel.generate keyword argument .tests. was of type"),
    ("b = subskel.bpf_object('b', 'base.bpf.c', library: true)\nsubskel.skeleton(b)",
     r"subskel\.skeleton: 'b\.bpf\.o' is a BPF library"),
    ("subskel.generate('missing.bpf.o')", r"missing\.bpf\.o does not exist"),
    ("subskel.bpf_object('int', 'final.bpf.c')",
     r"subskel\.bpf_object: the name 'int' is a C or C\+\+ keyword"),
    ("b = subskel.bpf_object('b', 'base.bpf.c', library: true)\n"
     "subskel.generate(b, harness: false, tests: 'final.bpf.c')", r"need harness: true"),
])
def test_wrong_arguments_are_meson_errors(meson: Meson, tmp_path: Path, body: str,
                                          message: str) -> None:
    """Meson's own argument errors, with the meson.build line; `message` is a regex."""
    source = small_project(tmp_path, body + "\n")
    result = meson.run("setup", str(tmp_path / "build"), str(source), check=False)
    out = result.stdout + result.stderr
    assert result.returncode != 0 and re.search(message, out), out
    assert re.search(r"meson\.build:\d+:\d+: ERROR: ", out), out
    assert "Traceback" not in out, out


@pytest.mark.usefixtures("load_permitted")
def test_readme_example_builds(tmp_path: Path) -> None:
    """The README's Meson example, as written, over the sample's sources."""
    readme = (TESTS.parent / "README.md").read_text()
    example = re.search(r"```meson\n(project\('sample'.*?)```", readme, re.S)
    assert example, "the README lost its Meson example"
    source = copy_sample(tmp_path)
    source.joinpath("meson_options.txt").unlink()
    source.joinpath("meson.build").write_text(example.group(1))
    meson = newest_meson()
    meson.setup(source, tmp_path / "build")
    ninja(tmp_path / "build")
    meson_test(meson, tmp_path / "build")
    syscount = subprocess.run([str(tmp_path / "build" / "syscount"), "10"],
                              capture_output=True, text=True)
    assert "(made 10 getppid calls)" in syscount.stdout, syscount.stdout


def test_subdirectories_generated_headers_files_and_install(tmp_path: Path) -> None:
    """bpf_object() in a subdirectory with a generated header; generate() and skeleton()
    on prebuilt files (skeleton() twice on one file is one target); harness: false;
    bpf_object(install: true)."""
    from conftest import compile_bpf, run_cli

    source = small_project(tmp_path, """
gen_h = custom_target('gen.h', output: 'gen.h',
                      command: ['sh', '-c', 'echo "#define BASE_START 5" > "$1"', 'sh', '@OUTPUT@'])
base = subskel.bpf_object('base', 'base.bpf.c', gen_h, library: true,
                          include_directories: '.', install: true)
mid = subskel.bpf_object('mid', 'mid.bpf.c', library: true, libraries: base)
subdir('sub')
base_dep = subskel.generate(base)
mid_dep = subskel.generate(mid, harness: false)
prebuilt_dep = subskel.generate('prebuilt_base.bpf.o', name: 'prebuilt')
prebuilt_skel = subskel.skeleton(files('prebuilt_final.bpf.o'))
assert(subskel.skeleton('prebuilt_final.bpf.o').found())
executable('user', 'user.c', dependencies: [base_dep, mid_dep, prebuilt_dep, prebuilt_skel,
                                            subskel.skeleton(final)])
""")
    base_c = source / "base.bpf.c"
    base_c.write_text(base_c.read_text().replace("int base_hits;",
                                                 '#include "gen.h"\nint base_hits = BASE_START;'))
    (source / "sub").mkdir()
    (source / "sub" / "meson.build").write_text(
        "final = subskel.bpf_object('final', '../final.bpf.c', libraries: mid)\n")
    objects = [compile_bpf(source / f"{n}.bpf.c", tmp_path / f"{n}.o", "-I" + str(tmp_path))
               for n in ("mid", "final")]
    (tmp_path / "gen.h").write_text("#define BASE_START 5\n")
    base_o = compile_bpf(base_c, tmp_path / "base.o", "-I" + str(tmp_path))
    run_cli("link", "-o", source / "prebuilt_base.bpf.o", base_o, check=True)
    run_cli("link", "-o", source / "prebuilt_final.bpf.o", base_o, *objects, check=True)
    (source / "user.c").write_text(
        '#include "base.subskel.h"\n#include "mid.subskel.h"\n#include "prebuilt.subskel.h"\n'
        '#include "prebuilt_final.skel.h"\n#include "final.skel.h"\n'
        "int main(void) { struct final_bpf *f = final_bpf__open(); int ok = f && "
        "base__open(f->obj) != NULL; final_bpf__destroy(f); return !ok; }\n")

    meson = newest_meson()
    build = tmp_path / "build"
    meson.setup(source, build)
    ninja(build)
    tests = json.loads(meson.run("introspect", "--tests", str(build)).stdout)
    assert [t["name"] for t in tests] == ["base_in_final"], tests  # not mid (harness: false)
    assert subprocess.run([str(build / "user")]).returncode == 0
    if os.geteuid() == 0:
        out = meson.run("test", "-C", str(build), "--print-errorlogs").stdout
        assert re.search(r"base_in_final\s+OK", out), out
    meson.run("install", "-C", str(build), "--destdir", str(tmp_path / "dest"), "--no-rebuild")
    installed = [p.relative_to(tmp_path / "dest").as_posix()
                 for p in (tmp_path / "dest").rglob("*.bpf.o")]
    assert len(installed) == 1 and installed[0].endswith("/bpf/base.bpf.o"), installed


def test_same_harness_twice_is_an_error(tmp_path: Path) -> None:
    source = small_project(tmp_path, """
base = subskel.bpf_object('base', 'base.bpf.c', library: true)
mid = subskel.bpf_object('mid', 'mid.bpf.c', library: true, libraries: base)
subdir('a')
subdir('b')
subskel.generate(mid)
""")
    for sub in ("a", "b"):
        (source / sub).mkdir()
        (source / sub / "meson.build").write_text(
            "subskel.bpf_object('final', '../final.bpf.c', libraries: mid)\n")
    result = newest_meson().run("setup", str(tmp_path / "build"), str(source), check=False)
    out = result.stdout + result.stderr
    assert result.returncode != 0, out
    assert "two harnesses would be named 'mid_in_final'" in out and "Traceback" not in out, out


def test_project_without_c_gets_no_harness(tmp_path: Path) -> None:
    source = small_project(tmp_path, """
base = subskel.bpf_object('base', 'base.bpf.c', library: true)
mid = subskel.bpf_object('mid', 'mid.bpf.c', library: true, libraries: base)
subskel.generate(mid)
subskel.bpf_object('final', 'final.bpf.c', libraries: mid)
""")
    build_file = source / "meson.build"
    build_file.write_text(build_file.read_text().replace("project('p', 'c'", "project('p', 'cpp'"))
    meson = newest_meson()
    out = meson.setup(source, tmp_path / "build")
    assert "no test mid_in_final: the harness is C and this project has no C compiler" in out
    ninja(tmp_path / "build")


@pytest.mark.usefixtures("load_permitted")
def test_library_from_a_subproject(tmp_path: Path) -> None:
    """Meson shares one module instance with subprojects: a BPF library and its
    subskeleton from a subproject, linked into the main project's final object."""
    source = small_project(tmp_path, """
libs = subproject('bpflibs')
final = subskel.bpf_object('final', 'final.bpf.c', libraries: libs.get_variable('mid'))
""")
    sub = source / "subprojects" / "bpflibs"
    sub.mkdir(parents=True)
    for name in ("base.bpf.c", "mid.bpf.c"):
        shutil.move(source / name, sub / name)
    (sub / "meson.build").write_text("""project('bpflibs', 'c')
subskel = import('subskel')
base = subskel.bpf_object('base', 'base.bpf.c', library: true)
mid = subskel.bpf_object('mid', 'mid.bpf.c', library: true, libraries: base)
mid_dep = subskel.generate(mid)
""")
    meson = newest_meson()
    meson.setup(source, tmp_path / "build")
    ninja(tmp_path / "build")
    out = meson.run("test", "-C", str(tmp_path / "build"), "--print-errorlogs").stdout
    assert re.search(r"mid_in_final\s+OK", out), out


@pytest.mark.usefixtures("load_permitted")
def test_libbpf_bootstrap_project_migrates_unchanged(meson: Meson, tmp_path: Path) -> None:
    """examples/bootstrap's meson.build: skeleton() defaults to bpftool's names
    (minimal.skel.h, struct minimal_bpf), so libbpf-bootstrap's C code builds as is."""
    source = tmp_path / "bootstrap"
    shutil.copytree(TESTS.parent / "examples" / "bootstrap", source)
    build = tmp_path / "build"
    meson.setup(source, build)
    ninja(build)
    assert "struct minimal_bpf {" in (build / "minimal.skel.h").read_text()
    run = subprocess.run([str(build / "minimal")], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_skeleton_names(tmp_path: Path) -> None:
    """skeleton(final, name:, header:) next to the default one; clashes are errors."""
    meson = newest_meson()
    source = tmp_path / "names"
    shutil.copytree(TESTS.parent / "examples" / "bootstrap", source)
    (source / "meson.build").write_text(
        "project('names', 'c')\nsubskel = import('subskel')\n"
        "obj = subskel.bpf_object('minimal', 'minimal.bpf.c')\n"
        "subskel.skeleton(obj)\n"
        "other = subskel.skeleton(obj, name: 'minimal_bpf', header: 'other.skel.h')\n"
        "mine = subskel.skeleton(obj, name: 'mine', header: 'mine.skel.h')\n"
        "executable('user', 'user.c', dependencies: [other, mine])\n")
    (source / "user.c").write_text(
        '#include "other.skel.h"\n#include "mine.skel.h"\n'
        "int main(void) { struct minimal_bpf *a = minimal_bpf__open(); struct mine *b = "
        "mine__open(); minimal_bpf__destroy(a); mine__destroy(b); return 0; }\n")
    build = tmp_path / "build"
    meson.setup(source, build)
    ninja(build)
    assert "struct minimal_bpf {" in (build / "other.skel.h").read_text()
    assert "struct mine {" in (build / "mine.skel.h").read_text()
    for call, message in [
        ("subskel.skeleton(obj, name: 'x')", "'minimal.skel.h' is already generated"),
        ("subskel.skeleton(obj, name: 'my-x')", "'name' 'my-x' contains characters"),
        ("subskel.skeleton(obj, header: 'a/b.h')", "'header' 'a/b.h' is not a plain file"),
    ]:
        (source / "meson.build").write_text(
            "project('names', 'c')\nsubskel = import('subskel')\n"
            f"obj = subskel.bpf_object('minimal', 'minimal.bpf.c')\n{call}\n")
        result = meson.run("setup", str(tmp_path / "bad"), str(source), check=False)
        assert result.returncode != 0
        assert message in result.stdout + result.stderr, result.stdout
        shutil.rmtree(tmp_path / "bad", ignore_errors=True)


@pytest.mark.usefixtures("load_permitted")
def test_static_libbpf(tmp_path: Path) -> None:
    """-Dsubskel_libbpf=static: generate()'s dependency, and so the harnesses, link
    libbpf statically; they still pass."""
    from test_cmake import needed_libraries

    source = copy_sample(tmp_path)
    build = tmp_path / "build"
    meson = newest_meson()
    meson.setup(source, build, "-Dsubskel_libbpf=static")
    ninja(build)
    harness = build / "packets_harness"
    needed = needed_libraries(harness)
    assert not any(lib.startswith("libbpf.so") for lib in needed), needed
    run = subprocess.run([str(harness)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
