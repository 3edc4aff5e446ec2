"""The CMake front end: sample_project/ configured, built and tested with real cmake.

Incremental-build claims are asserted from ninja's own output: the `[n/m] description`
lines of the steps that ran.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import TESTS

SAMPLE = TESTS.parent / "sample_project"
STEP = re.compile(r"^\[\d+/\d+\] (.*)$", re.M)


def cmake_dir() -> str:
    return subprocess.run([sys.executable, "-m", "bpfsubskel", "--cmakedir"], check=True,
                          capture_output=True, text=True).stdout.strip()


def newest_cmake() -> str | None:
    """The newest CMake from PyPI, installed by run.sh beside the venv."""
    path = Path(sys.executable).parent.parent / "cmake-latest" / "cmake" / "data" / "bin" / "cmake"
    return str(path) if path.exists() else None


def configure(source: Path, build: Path, *args: str, cmake: str = "cmake",
              check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [cmake, "-S", str(source), "-B", str(build), f"-Dbpfsubskel_DIR={cmake_dir()}", *args],
        capture_output=True, text=True)
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def build(build_dir: Path, *args: str, cmake: str = "cmake") -> list[str]:
    """Build; return the descriptions of the steps ninja ran."""
    result = subprocess.run([cmake, "--build", str(build_dir), *args], capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return STEP.findall(result.stdout)


def ran(step: str, steps: list[str]) -> bool:
    """Whether a step doing `step` ran: a final object's one command (link, skeleton,
    checks, harness sources) describes all it does, so `step` may be part of it."""
    return any(step.lower() in s.lower() for s in steps)


def ctest(build_dir: Path, cmake: str = "cmake") -> str:
    """The host-kernel tests (the sample's runs in VMs, LABELS vm, are test_vm.py's)."""
    ctest_exe = str(Path(cmake).with_name("ctest")) if cmake != "cmake" else "ctest"
    result = subprocess.run([ctest_exe, "--output-on-failure", "-LE", "vm"], cwd=build_dir,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def copy_sample(tmp_path: Path) -> Path:
    source = tmp_path / "sample"
    shutil.copytree(SAMPLE, source)
    return source


@pytest.fixture(scope="module")
def built_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("cmake")
    source = copy_sample(tmp)
    configure(source, tmp / "build", "-G", "Ninja")
    build(tmp / "build")
    return tmp / "build"


@pytest.mark.usefixtures("load_permitted")
def test_sample_builds_and_its_harnesses_pass(built_sample: Path) -> None:
    out = ctest(built_sample)
    assert "100% tests passed, 0 tests failed out of 2" in out
    assert "counters_in_syscalls" in out and "counters_in_packets" in out
    harness = subprocess.run([str(built_sample / "packets_harness"), "--lib", "counters"],
                             capture_output=True, text=True)
    assert "#2 counts_what_it_is_fed:OK" in harness.stdout
    assert harness.stdout.rstrip().endswith("Summary: 3/6 PASSED, 0 SKIPPED, 0 FAILED")

    syscount = subprocess.run([str(built_sample / "syscount"), "500"], capture_output=True,
                              text=True)
    counted = int(re.search(r"syscalls counted: (\d+)", syscount.stdout).group(1))
    assert 500 <= counted < 600, syscount.stdout
    pktcount = subprocess.run([str(built_sample / "pktcount")], capture_output=True, text=True)
    assert "packets counted: 4, bytes: 2204, recent sizes: 64 128 512 1500" in pktcount.stdout


def test_incremental_rebuilds(tmp_path: Path) -> None:
    source = copy_sample(tmp_path)
    build_dir = tmp_path / "build"
    configure(source, build_dir, "-G", "Ninja")
    steps = build(build_dir)
    # One command per final object (link, skeleton, check, harness source), none per pair;
    # the library's tests compiled once for both harnesses.
    assert len([s for s in steps if s.startswith("Linking BPF")]) == 3, steps
    assert not any(s.startswith(("Checking", "Generating test harness", "Generating skeleton"))
                   for s in steps), steps
    assert len([s for s in steps if "counters_test.c" in s]) == 1, steps
    # The library's subskeleton (declared in its directory) comes from its link command.
    assert "Linking BPF counters.bpf.o, generating counters.subskel.h" in steps, steps
    assert build(build_dir) == [], "a no-op rebuild ran something"

    # A header only the library's BPF code includes: the library chain rebuilds; code that
    # includes only the (unchanged) subskeleton does not recompile.
    defaults = source / "bpf" / "counters_defaults.h"
    defaults.write_text(defaults.read_text().replace("MIN_SIZE 0", "MIN_SIZE 1"))
    steps = build(build_dir)
    for expected in ("Compiling BPF counters: counters", "Linking BPF counters.bpf.o",
                     "Generating counters.subskel.h", "Linking BPF syscalls.bpf.o",
                     "Linking BPF packets.bpf.o", "Checking BPF library counters inside packets",
                     "checking BPF library counters inside syscalls"):
        assert ran(expected, steps), steps
    assert not any("lib/counters.c" in s for s in steps), steps
    assert not any("Compiling BPF syscalls" in s or "Compiling BPF packets" in s
                   for s in steps), steps
    assert build(build_dir) == []

    # A final object's own source: the library's subskeleton is not regenerated and the
    # userspace library is not recompiled; the other final object is untouched.
    packets = source / "bpf" / "packets.bpf.c"
    packets.write_text(packets.read_text().replace("return XDP_PASS;",
                                                   "return XDP_PASS + 0 * ctx->ingress_ifindex;"))
    steps = build(build_dir)
    assert "Compiling BPF packets: packets" in steps and ran("Linking BPF packets.bpf.o", steps)
    assert ran("Generating packets.skel.h", steps)
    assert not any("subskel" in s or "counters.c" in s or "syscalls" in s for s in steps), steps

    # The library's user test file: it recompiles and the harnesses relink; no BPF
    # command runs (the generated harness sources do not name the tests).
    user_test = source / "tests" / "counters_test.c"
    user_test.write_text(user_test.read_text() + "/* edited */\n")
    steps = build(build_dir)
    assert len([s for s in steps if "counters_test.c" in s]) == 1, steps
    assert sorted(s for s in steps if s.startswith("Linking C executable")) == [
        "Linking C executable packets_harness", "Linking C executable syscalls_harness"], steps
    assert not any("BPF" in s for s in steps), steps

    # Upgrading bpfsubskel (here: a newer template) regenerates the headers.
    from bpfsubskel.render import templates_dir

    template = templates_dir() / "subskel.h.j2"
    os.utime(template)
    steps = build(build_dir)
    assert ran("Generating counters.subskel.h", steps), steps


def test_build_testing_off_builds_checks_but_no_harnesses(tmp_path: Path) -> None:
    """BUILD_TESTING OFF (CTest's option): no harness executable, runtime or test, and no
    configure message about it; the build-time checks still run."""
    source = copy_sample(tmp_path)
    build_dir = tmp_path / "build"
    out = configure(source, build_dir, "-G", "Ninja", "-DBUILD_TESTING=OFF").stdout
    assert "no harness test" not in out, out
    steps = build(build_dir)
    assert not any("harness" in s or "bpfsubskel_test_runtime" in s for s in steps), steps
    for final in ("syscalls", "packets"):
        assert (build_dir / f"counters_in_{final}.harness" / "check.stamp").exists(), final
        # The harness program is the final object's (one per final object).
        assert not (build_dir / f"{final}_harness").exists(), final
    assert not list(build_dir.glob("*bpfsubskel_test_runtime*")), list(build_dir.iterdir())
    listed = subprocess.run(["ctest", "-N"], cwd=build_dir, capture_output=True, text=True)
    assert "Total Tests: 0" in listed.stdout, listed.stdout
    assert (build_dir / "syscount").exists()  # the project's own programs still build
    assert build(build_dir) == [], "a no-op rebuild ran something"


def test_parallel_builds_are_byte_identical(tmp_path: Path) -> None:
    """Twice from scratch in the same place (clang records source paths in objects)."""
    source = copy_sample(tmp_path)
    build_dir = tmp_path / "build"
    headers = []
    for _ in range(2):
        shutil.rmtree(build_dir, ignore_errors=True)
        configure(source, build_dir, "-G", "Ninja")
        build(build_dir, "-j", "4")
        # The subskeleton, the two skeletons (shared by the harnesses), two harnesses.
        headers.append({p.relative_to(build_dir): p.read_bytes()
                        for pattern in ("*.h", "*.test.c")
                        for p in sorted(build_dir.rglob(pattern))})
    assert headers[0].keys() == headers[1].keys() and len(headers[0]) >= 5
    assert headers[0] == headers[1]


@pytest.mark.usefixtures("load_permitted")
def test_unix_makefiles(tmp_path: Path) -> None:
    """Make has no restat: outputs bpfsubskel leaves unchanged are touched there, so a
    second make (after a build, or after an edit and a build) does nothing."""
    source = copy_sample(tmp_path)
    build_dir = tmp_path / "build"
    configure(source, build_dir, "-G", "Unix Makefiles", "-DBPFSUBSKEL_KERNELS=")

    def make() -> str:
        return subprocess.run(["cmake", "--build", str(build_dir), "-j", "2"], check=True,
                              capture_output=True, text=True).stdout

    make()
    assert "100% tests passed" in ctest(build_dir)
    for edit in (None, source / "bpf" / "counters.bpf.c", source / "bpf" / "packets.bpf.c"):
        if edit is not None:
            os.utime(edit)
            make()
        again = make()
        assert not re.search(r"Generating|Linking BPF|Compiling BPF|Checking", again), again


@pytest.mark.usefixtures("load_permitted")
def test_newest_cmake(tmp_path: Path) -> None:
    cmake = newest_cmake()
    if cmake is None:
        pytest.skip("run.sh installs the newest CMake from PyPI into .venv/cmake-latest")
    version = subprocess.run([cmake, "--version"], capture_output=True, text=True).stdout
    assert not version.startswith("cmake version 3.25")
    source = copy_sample(tmp_path)
    configure(source, tmp_path / "build", "-G", "Ninja", cmake=cmake)
    build(tmp_path / "build", cmake=cmake)
    assert "100% tests passed" in ctest(tmp_path / "build", cmake)


def project(tmp_path: Path, body: str) -> Path:
    source = tmp_path / "project"
    source.mkdir()
    (source / "lib.bpf.c").write_text("int x;\n")
    (source / "CMakeLists.txt").write_text(
        "cmake_minimum_required(VERSION 3.20)\nproject(p LANGUAGES C)\n"
        "find_package(bpfsubskel CONFIG REQUIRED)\n" + body)
    return source


@pytest.mark.parametrize(("body", "args", "message"), [
    ("", ["-DBPFSUBSKEL_CLANG=/nonexistent/clang"], "clang not found"),
    ("", ["-DBPFSUBSKEL_CLANG=/bin/true"], "/bin/true: this clang cannot target BPF"),
    ("bpf_object(app SOURCES lib.bpf.c LIBRARIES nolib)\n", [],
     "bpf_object(app): LIBRARIES names 'nolib', which is not a target"),
    ("bpf_subskeleton(s nolib)\n", [], "'nolib' is neither a BPF library target nor a .bpf.o"),
    ("bpf_object(l LIBRARY SOURCES lib.bpf.c)\nbpf_subskeleton(s1 l)\nbpf_subskeleton(s2 l)\n",
     [], "bpf_subskeleton(s2): the BPF library 'l' already has a subskeleton, 's1'"),
    ("bpf_object(l LIBRARY SOURCES lib.bpf.c lib.bpf.c)\n", [],
     "bpf_object(l): SOURCES lists"),
    ("bpf_subskeleton(s ghost.bpf.o)\n", [],
     "'ghost.bpf.o' does not exist and nothing in this project produces it"),
    ("add_custom_target(plain)\nbpf_subskeleton(s plain)\n", [], "'plain' is not a BPF library"),
])
def test_configure_errors(tmp_path: Path, body: str, args: list[str], message: str) -> None:
    configure_fails(tmp_path, body, message, *args)


def configure_fails(tmp_path: Path, body: str, message: str, *args: str) -> None:
    """A project of `body` fails to configure, saying `message`."""
    result = configure(project(tmp_path, body), tmp_path / "build", *args, check=False)
    assert result.returncode != 0
    assert message in re.sub(r"\s+", " ", result.stderr), result.stderr


def test_libraries_and_finals_in_any_order(tmp_path: Path) -> None:
    """A final object declared before bpf_subskeleton (in a subdirectory) gets a harness."""
    source = tmp_path / "order"
    (source / "finals").mkdir(parents=True)
    shutil.copytree(SAMPLE / "bpf", source / "bpf")
    shutil.copytree(SAMPLE / "include", source / "include")
    (source / "finals" / "CMakeLists.txt").write_text(
        "bpf_object(syscalls SOURCES ../bpf/syscalls.bpf.c LIBRARIES counters)\n")
    (source / "CMakeLists.txt").write_text(
        "cmake_minimum_required(VERSION 3.20)\nproject(order LANGUAGES C)\nenable_testing()\n"
        "find_package(bpfsubskel CONFIG REQUIRED)\n"
        "bpf_object(counters LIBRARY SOURCES bpf/counters.bpf.c INCLUDE_DIRECTORIES include)\n"
        "add_subdirectory(finals)\n"
        "bpf_subskeleton(counters_subskel counters TEST_HEADERS counters_types.h\n"
        "                TEST_INCLUDE_DIRECTORIES include)\n"
        "bpf_object(packets SOURCES bpf/packets.bpf.c LIBRARIES counters)\n")
    configure(source, tmp_path / "build", "-G", "Ninja")
    steps = build(tmp_path / "build")
    assert ran("checking BPF library counters inside syscalls", steps)
    assert ran("checking BPF library counters inside packets", steps)
    # syscalls' command was made when finals/ ended, before the subskeleton: its pair has
    # a command of its own; packets' pair is part of packets' command.
    assert ran("Generating skeleton of syscalls", steps)
    assert not ran("Generating skeleton of packets", steps)

    # Make (no restat): the late pair's outputs settle too.
    configure(source, tmp_path / "make", "-G", "Unix Makefiles")
    make = ["cmake", "--build", str(tmp_path / "make"), "-j", "2"]
    subprocess.run(make, check=True, capture_output=True)
    again = subprocess.run(make, check=True, capture_output=True, text=True).stdout
    assert not re.search(r"Generating|Linking BPF|Compiling BPF|Checking", again), again


def test_sources_of_one_stem_get_their_own_objects(tmp_path: Path) -> None:
    """lib.v1.bpf.c and lib.v2.bpf.c (and two directories' lib.bpf.c) are objects of
    their own, not one `lib.o` rule twice."""
    source = project(tmp_path, "bpf_object(l LIBRARY SOURCES lib.v1.bpf.c lib.v2.bpf.c "
                               "sub/lib.bpf.c)\n")
    (source / "sub").mkdir()
    (source / "lib.v1.bpf.c").write_text("int one;\n")
    (source / "lib.v2.bpf.c").write_text("int two;\n")
    (source / "sub" / "lib.bpf.c").write_text("int three;\n")
    configure(source, tmp_path / "build", "-G", "Ninja")
    build(tmp_path / "build")
    objects = sorted(p.name for p in (tmp_path / "build" / "l.bpf").glob("*.o"))
    assert objects == ["lib_v1_bpf.o", "lib_v2_bpf.o", "sub_lib_bpf.o"]


def sample_installing(tmp_path: Path, options: str) -> Path:
    """The sample, its library's subskeleton and the syscalls skeleton given `options`
    (INSTALL ...)."""
    source = copy_sample(tmp_path)
    text = (source / "CMakeLists.txt").read_text()
    text = text.replace("bpf_subskeleton(counters_subskel counters TESTS tests/counters_test.c",
                        f"bpf_subskeleton(counters_subskel counters {options} TESTS "
                        "tests/counters_test.c")
    text = text.replace("bpf_object(syscalls SOURCES bpf/syscalls.bpf.c LIBRARIES counters "
                        "SKELETON", "bpf_object(syscalls SOURCES bpf/syscalls.bpf.c LIBRARIES "
                        f"counters SKELETON {options}")
    assert text.count(options) == 2, text
    (source / "CMakeLists.txt").write_text(text)
    return source


def test_install_tree_serves_a_second_project(tmp_path: Path) -> None:
    """INSTALL: `cmake --install` puts the BPF objects (lib/bpf) and the subskeleton and
    skeleton headers (include); a second project compiles against the installed tree."""
    source = sample_installing(tmp_path, "INSTALL")
    build_dir, prefix = tmp_path / "build", tmp_path / "prefix"
    configure(source, build_dir, "-G", "Ninja", f"-DCMAKE_INSTALL_PREFIX={prefix}",
              "-DCMAKE_INSTALL_LIBDIR=lib", "-DBPFSUBSKEL_KERNELS=")
    build(build_dir)
    subprocess.run(["cmake", "--install", str(build_dir)], check=True, capture_output=True)
    installed = sorted(str(p.relative_to(prefix)) for p in prefix.rglob("*") if p.is_file())
    assert installed == ["include/counters.subskel.h", "include/syscalls.skel.h",
                         "lib/bpf/syscalls.bpf.o"], installed
    user = tmp_path / "user"
    user.mkdir()
    (user / "user.c").write_text(
        '#include "counters_types.h"\n'  # the types the library's globals name
        '#include "syscalls.skel.h"\n#include "counters.subskel.h"\n'
        "int main(void) { struct syscalls_bpf *s = syscalls_bpf__open(); int ok = s && "
        "counters__open(s->obj) != NULL; syscalls_bpf__destroy(s); return !ok; }\n")
    (user / "CMakeLists.txt").write_text(
        "cmake_minimum_required(VERSION 3.20)\nproject(user LANGUAGES C)\n"
        "find_package(PkgConfig REQUIRED)\npkg_check_modules(LIBBPF REQUIRED libbpf)\n"
        "add_executable(user user.c)\n"
        f"target_include_directories(user PRIVATE {prefix}/include {source}/include "
        "${LIBBPF_INCLUDE_DIRS})\n"
        "target_link_libraries(user PRIVATE ${LIBBPF_LINK_LIBRARIES})\n")
    configure(user, tmp_path / "user-build", "-G", "Ninja")
    build(tmp_path / "user-build")
    run = subprocess.run([str(tmp_path / "user-build" / "user")], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


EXPORTING_USER = r"""#include <bpf/libbpf.h>
#include "counters_types.h"
#include "syscalls.skel.h"
#include "counters.subskel.h"

/* The subskeleton on the skeleton's object, and on the installed object opened by path. */
int main(void)
{
	struct syscalls_bpf *skel = syscalls_bpf__open();
	struct counters *sub = skel ? counters__open(skel->obj) : NULL;
	int ok = sub && sub->bss.events && sub->maps.recent && sub->progs.counters_probe;
	counters__destroy(sub);
	syscalls_bpf__destroy(skel);
	struct bpf_object *obj = bpf_object__open_file(SYSCALLS_BPF_OBJECT, NULL);
	sub = obj ? counters__open(obj) : NULL;
	ok = ok && sub && sub->bss.last_event && sub->maps.recent;
	counters__destroy(sub);
	bpf_object__close(obj);
	return !ok;
}
"""


@pytest.mark.parametrize("libbpf", ["shared", "static"])
def test_exported_targets_serve_a_project_without_bpfsubskel(tmp_path: Path,
                                                            libbpf: str) -> None:
    """INSTALL EXPORT <set> + bpfsubskel_install_export(<set>): a second project finds the
    installed <set>Config.cmake (CMAKE_PREFIX_PATH only, no bpfsubskel), links the
    exported targets and nothing else, and runs: the skeleton and the subskeleton open."""
    source = sample_installing(tmp_path, "INSTALL EXPORT counters")
    with (source / "CMakeLists.txt").open("a") as cmake_lists:
        cmake_lists.write("install(FILES include/counters_types.h DESTINATION include)\n"
                          "bpfsubskel_install_export(counters NAMESPACE bpfcounters::)\n")
    build_dir, prefix = tmp_path / "build", tmp_path / "prefix"
    configure(source, build_dir, "-G", "Ninja", f"-DCMAKE_INSTALL_PREFIX={prefix}",
              "-DCMAKE_INSTALL_LIBDIR=lib", "-DBPFSUBSKEL_KERNELS=",
              f"-DBPFSUBSKEL_LIBBPF={libbpf}")
    build(build_dir)
    subprocess.run(["cmake", "--install", str(build_dir)], check=True, capture_output=True)
    installed = sorted(str(p.relative_to(prefix)) for p in prefix.rglob("*") if p.is_file())
    assert installed == ["include/counters.subskel.h", "include/counters_types.h",
                         "include/syscalls.skel.h", "lib/bpf/syscalls.bpf.o",
                         "lib/cmake/counters/countersConfig.cmake",
                         "lib/cmake/counters/countersTargets.cmake"], installed
    package = "\n".join(p.read_text() for p in (prefix / "lib" / "cmake").rglob("*.cmake"))
    # The targets link bpfsubskel::libbpf by that name (which the config makes), not the
    # build's pkg-config target.
    targets = (prefix / "lib" / "cmake" / "counters" / "countersTargets.cmake").read_text()
    assert "bpfsubskel::libbpf" in targets and "PkgConfig::" not in targets, targets
    for elsewhere in (str(build_dir), str(source), cmake_dir(), "bpfsubskel_DIR"):
        assert elsewhere not in package, elsewhere

    user = tmp_path / "user"
    user.mkdir()
    (user / "user.c").write_text(EXPORTING_USER)
    (user / "CMakeLists.txt").write_text(
        "cmake_minimum_required(VERSION 3.20)\nproject(user LANGUAGES C)\n"
        "find_package(counters CONFIG REQUIRED)\n"
        "add_executable(user user.c)\n"
        "target_link_libraries(user PRIVATE bpfcounters::syscalls_skel "
        "bpfcounters::counters_subskel)\n"
        "target_compile_definitions(user PRIVATE "
        'SYSCALLS_BPF_OBJECT="${counters_syscalls_BPF_OBJECT}")\n'
        'message(STATUS "BPF objects: ${counters_BPF_OBJECTS}")\n')
    # No bpfsubskel: not on the command line, nor through the environment.
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "BPFSUBSKEL_PYTHON", "CMAKE_PREFIX_PATH")}
    user_build = tmp_path / "user-build"
    configured = subprocess.run(["cmake", "-S", str(user), "-B", str(user_build), "-G", "Ninja",
                                 f"-DCMAKE_PREFIX_PATH={prefix}"],
                                capture_output=True, text=True, env=env)
    assert configured.returncode == 0, configured.stdout + configured.stderr
    assert "BPF objects: syscalls" in configured.stdout
    built = subprocess.run(["cmake", "--build", str(user_build)], capture_output=True,
                           text=True, env=env)
    assert built.returncode == 0, built.stdout + built.stderr
    needed = needed_libraries(user_build / "user")
    assert any(lib.startswith("libbpf.so") for lib in needed) == (libbpf == "shared"), needed
    run = subprocess.run([str(user_build / "user")], capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.parametrize(("body", "message"), [
    ("bpf_object(l LIBRARY SOURCES lib.bpf.c)\nbpf_subskeleton(s l EXPORT set)\n",
     "bpf_subskeleton(s): EXPORT needs INSTALL (the export set holds what is installed: "
     "INSTALL EXPORT set)"),
    ("bpf_object(m SOURCES lib.bpf.c SKELETON EXPORT set)\n",
     "bpf_object(m): EXPORT needs INSTALL"),
    ("bpf_object(m SOURCES lib.bpf.c SKELETON INSTALL EXPORT)\n",
     "bpf_object(m): EXPORT needs the name of an export set (EXPORT <set>)"),
    ("bpf_object(m SOURCES lib.bpf.c SKELETON INSTALL EXPORT a/b)\n",
     "bpf_object(m): 'a/b' is not a valid export set name"),
    ("bpfsubskel_install_export(set)\nbpfsubskel_install_export(set)\n",
     "bpfsubskel_install_export(set): the export set 'set' is installed already; call it "
     "once per set"),
    ("bpfsubskel_install_export(set NAMESPCE x::)\n",
     "bpfsubskel_install_export(set): unknown arguments: NAMESPCE;x::"),
])
def test_export_errors(tmp_path: Path, body: str, message: str) -> None:
    configure_fails(tmp_path, body, message)


def test_found_through_cmake_prefix_path(tmp_path: Path) -> None:
    """Installed, site-packages is a prefix: <prefix>/bpfsubskel/cmake/ is searched."""
    package_cmake = Path(cmake_dir())
    if package_cmake.parent.name != "bpfsubskel":
        pytest.skip("bpfsubskel runs from a source checkout, not an installed package")
    source = project(tmp_path, 'message(STATUS "bpfsubskel ${bpfsubskel_VERSION} found")\n')
    result = subprocess.run(["cmake", "-S", str(source), "-B", str(tmp_path / "build"),
                             f"-DCMAKE_PREFIX_PATH={package_cmake.parent.parent}"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "bpfsubskel 0.1.0 found" in result.stdout


@pytest.mark.usefixtures("load_permitted")
def test_libbpf_bootstrap_project_migrates_unchanged(tmp_path: Path) -> None:
    """examples/bootstrap: libbpf-bootstrap's `minimal` with its C code untouched (it calls
    minimal_bpf__open() and tests skel->bss); the README shows this CMakeLists.txt."""
    source = tmp_path / "bootstrap"
    shutil.copytree(TESTS.parent / "examples" / "bootstrap", source)
    configure(source, tmp_path / "build", "-G", "Ninja")
    steps = build(tmp_path / "build")
    assert ran("Generating minimal.skel.h", steps)
    header = (tmp_path / "build" / "minimal_bpf.include" / "minimal.skel.h").read_text()
    assert "struct minimal_bpf {" in header
    run = subprocess.run([str(tmp_path / "build" / "minimal")], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert re.search(r"^syscalls seen: \d+$", run.stdout, re.M), run.stdout


@pytest.mark.parametrize(("body", "message"), [
    ("bpf_object(m SOURCES lib.bpf.c SKELETON_NAME x)\n",
     "bpf_object(m): SKELETON_NAME and SKELETON_HEADER need SKELETON"),
    ("bpf_object(m SOURCES lib.bpf.c SKELETON SKELETON_NAME my-skel)\n",
     "SKELETON_NAME 'my-skel' is not a C identifier"),
    ("bpf_object(m SOURCES lib.bpf.c SKELETON SKELETON_HEADER ../x.h)\n",
     "SKELETON_HEADER '../x.h' is not a plain file name"),
])
def test_skeleton_name_errors(tmp_path: Path, body: str, message: str) -> None:
    configure_fails(tmp_path, body, message)


def needed_libraries(executable: Path) -> list[str]:
    dynamic = subprocess.run(["readelf", "-d", str(executable)], capture_output=True,
                             text=True, check=True).stdout
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^]]+)\]", dynamic)


@pytest.mark.usefixtures("load_permitted")
@pytest.mark.parametrize("links", ["libbpf", "nothing"])
def test_libbpf_target_made_before_bpfsubskel(tmp_path: Path, links: str) -> None:
    """bpfsubskel::libbpf made before find_package(bpfsubskel) (by the project, or by an
    installed package exporting bpfsubskel targets): the harnesses link it, or
    pkg-config's libbpf when it links nothing, and are built and pass."""
    source = copy_sample(tmp_path)
    cmake_lists = source / "CMakeLists.txt"
    predefined = "add_library(bpfsubskel::libbpf INTERFACE IMPORTED)\n"
    if links == "libbpf":
        predefined = ("find_package(PkgConfig REQUIRED)\n"
                      "pkg_check_modules(MYBPF REQUIRED IMPORTED_TARGET libbpf)\n" + predefined +
                      "target_link_libraries(bpfsubskel::libbpf INTERFACE PkgConfig::MYBPF)\n")
    text = cmake_lists.read_text()
    assert text.count("find_package(bpfsubskel CONFIG REQUIRED)") == 1
    cmake_lists.write_text(text.replace("find_package(bpfsubskel CONFIG REQUIRED)",
                                        predefined + "find_package(bpfsubskel CONFIG REQUIRED)"))
    build_dir = tmp_path / "build"
    out = configure(source, build_dir, "-G", "Ninja").stdout
    assert "no harness test" not in out, out
    # Linking nothing, the project's own programs need a libbpf it has not given them.
    build(build_dir, *([] if links == "libbpf" else
                       ["--target", "syscalls_harness", "packets_harness"]))
    assert "100% tests passed, 0 tests failed out of 2" in ctest(build_dir)


@pytest.mark.usefixtures("load_permitted")
def test_static_libbpf(tmp_path: Path) -> None:
    """BPFSUBSKEL_LIBBPF=static: the subskeleton target, and so the harnesses, link
    libbpf.a and `pkg-config --static`'s libraries; they still pass."""
    source = copy_sample(tmp_path)
    build_dir = tmp_path / "build"
    configure(source, build_dir, "-G", "Ninja", "-DBPFSUBSKEL_LIBBPF=static")
    build(build_dir, "--target", "packets_harness")
    harness = build_dir / "packets_harness"
    needed = needed_libraries(harness)
    assert not any(lib.startswith("libbpf.so") for lib in needed), needed
    assert any(lib.startswith("libelf.so") for lib in needed), needed  # libbpf.a's own needs
    run = subprocess.run([str(harness)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_libbpf_choice_errors(tmp_path: Path) -> None:
    result = configure(project(tmp_path, ""), tmp_path / "build", "-DBPFSUBSKEL_LIBBPF=dynamic",
                       check=False)
    assert result.returncode != 0
    assert "BPFSUBSKEL_LIBBPF is 'dynamic'; set it to shared, static or none" in \
        re.sub(r"\s+", " ", result.stderr)
