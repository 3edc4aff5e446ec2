"""Cross builds with both front ends and Debian's cross compilers, for aarch64 and s390x.

A CMake toolchain file / a Meson cross file names the target's gcc. Debian ships no
libbpf for the cross prefixes, so the projects choose libbpf "none" (they would link their
own); the default ("shared") must fail at configure, saying why. The BPF objects get the
target's byte order, the generated headers compile into the target's userspace objects,
the build-time checks run, and no harness is built or registered (it could not run). A
big-endian target needs libbpf >= 1.5 to link (tier 1 has 1.1: configure says so).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import TESTS, libbpf_version
from test_cflags import cross_gcc, elf_data, elf_machine
from test_cmake import build, configure
from test_meson import newest_meson, ninja

CROSS = TESTS / "cross"
TARGETS = {  # cpu, endian, triplet, ELF e_machine
    "aarch64": ("aarch64", "little", "aarch64-linux-gnu", 183),
    "s390x": ("s390x", "big", "s390x-linux-gnu", 22),
}
CMAKE_LISTS = """\
cmake_minimum_required(VERSION 3.20)
project(cross LANGUAGES C)
enable_testing()
find_package(bpfsubskel CONFIG REQUIRED)
bpf_object(lib LIBRARY SOURCES lib.bpf.c INCLUDE_DIRECTORIES .)
bpf_subskeleton(lib_subskel lib TEST_HEADERS events.h TEST_INCLUDE_DIRECTORIES .)
bpf_object(app SOURCES app.bpf.c LIBRARIES lib SKELETON)
add_library(user STATIC user.c)
target_include_directories(user PRIVATE .)
target_link_libraries(user PRIVATE lib_subskel app_skel)
"""
MESON_BUILD = """\
project('cross', 'c')
subskel = import('subskel')
lib = subskel.bpf_object('lib', 'lib.bpf.c', library: true, include_directories: '.')
lib_dep = subskel.generate(lib, test_headers: 'events.h',
                           test_dependencies: declare_dependency(include_directories: '.'))
app = subskel.bpf_object('app', 'app.bpf.c', libraries: lib)
static_library('user', 'user.c', dependencies: [lib_dep, subskel.skeleton(app)])
"""
MESON_OPTIONS = "option('subskel_libbpf', type: 'combo', choices: ['shared', 'static', 'none'])\n"


def links_other_endian(endian: str) -> bool:
    import sys

    return endian == sys.byteorder or libbpf_version() >= (1, 5)


def project(tmp_path: Path, front_end: str, target: str) -> Path:
    cpu, endian, triplet, _ = TARGETS[target]
    source = tmp_path / "src"
    shutil.copytree(CROSS, source)
    gcc = cross_gcc(f"{triplet}-gcc")
    if front_end == "cmake":
        (source / "CMakeLists.txt").write_text(CMAKE_LISTS)
        (source / "toolchain.cmake").write_text(
            f"set(CMAKE_SYSTEM_NAME Linux)\nset(CMAKE_SYSTEM_PROCESSOR {cpu})\n"
            f"set(CMAKE_C_COMPILER {gcc})\n")
    else:
        (source / "meson.build").write_text(MESON_BUILD)
        (source / "meson_options.txt").write_text(MESON_OPTIONS)
        (source / "cross.ini").write_text(
            f"[binaries]\nc = '{gcc}'\nar = '{triplet}-ar'\nstrip = '{triplet}-strip'\n\n"
            f"[host_machine]\nsystem = 'linux'\ncpu_family = '{cpu}'\ncpu = '{cpu}'\n"
            f"endian = '{endian}'\n")
    return source


def cmake_configure(source: Path, build_dir: Path, libbpf: str
                    ) -> subprocess.CompletedProcess[str]:
    return configure(source, build_dir, "-G", "Ninja",
                     f"-DCMAKE_TOOLCHAIN_FILE={source / 'toolchain.cmake'}",
                     f"-DBPFSUBSKEL_LIBBPF={libbpf}", check=False)


def meson_setup(source: Path, build_dir: Path, libbpf: str) -> subprocess.CompletedProcess[str]:
    return newest_meson().run("setup", str(build_dir), str(source), "--cross-file",
                              str(source / "cross.ini"), f"-Dsubskel_libbpf={libbpf}",
                              check=False)


def assert_built_for(target: str, objects: list[Path], user_object: Path) -> None:
    _, endian, _, machine = TARGETS[target]
    for obj in objects:
        assert elf_data(obj) == endian, obj
    assert elf_machine(user_object) == machine


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_cmake_cross_build(target: str, tmp_path: Path) -> None:
    source = project(tmp_path, "cmake", target)
    endian = TARGETS[target][1]
    # Without a libbpf for the target, the default choice fails at configure, clearly.
    default = cmake_configure(source, tmp_path / "default", "shared")
    assert default.returncode != 0
    err = re.sub(r"\s+", " ", default.stderr)
    if not links_other_endian(endian):
        assert "needs libbpf >= 1.5 (cross-endian linking)" in err, err
        result = cmake_configure(source, tmp_path / "build", "none")
        assert result.returncode != 0 and "needs libbpf >= 1.5" in result.stderr
        return
    assert f"does not link for {TARGETS[target][0]}" in err, err
    assert "BPFSUBSKEL_LIBBPF=none" in err

    build_dir = tmp_path / "build"
    result = cmake_configure(source, build_dir, "none")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"no harness test lib_in_app: cross compiling for {TARGETS[target][0]}" in result.stdout
    steps = build(build_dir)
    # The check is part of the final object's one command.
    assert any("checking BPF library lib inside app" in s for s in steps), steps
    user_object = next(build_dir.glob("CMakeFiles/user.dir/user.c.o"))
    assert_built_for(target, [build_dir / "lib.bpf.o", build_dir / "app.bpf.o"], user_object)
    assert (build_dir / "lib_subskel.include" / "lib.subskel.h").is_file()
    tests = subprocess.run(["ctest", "-N"], cwd=build_dir, capture_output=True, text=True)
    assert "Total Tests: 0" in tests.stdout, tests.stdout


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_meson_cross_build(target: str, tmp_path: Path) -> None:
    source = project(tmp_path, "meson", target)
    endian = TARGETS[target][1]
    default = meson_setup(source, tmp_path / "default", "shared")
    assert default.returncode != 0
    if not links_other_endian(endian):
        assert "needs libbpf >= 1.5 (cross-endian linking)" in default.stdout
        return
    assert "libbpf not found through pkg-config for the host machine" in default.stdout, \
        default.stdout
    assert "subskel_libbpf to none" in default.stdout

    build_dir = tmp_path / "build"
    result = meson_setup(source, build_dir, "none")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no harness test lib_in_app: this cross build cannot run host binaries" in \
        result.stdout
    steps = ninja(build_dir)
    # The check is part of the command writing the final object's skeleton.
    assert any("app.skel.h" in s for s in steps), steps
    assert (build_dir / "lib_in_app.check").is_file()
    user_object = next(build_dir.glob("libuser.a.p/user.c.o"))
    assert_built_for(target, [build_dir / "lib.bpf.o", build_dir / "app.bpf.o"], user_object)
    tests = newest_meson().run("test", "-C", str(build_dir), "--list", check=False)
    assert "lib_in_app" not in tests.stdout
