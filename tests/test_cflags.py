"""`bpfsubskel cflags`: BPF objects for other machines, with Debian's real cross compilers.

For x86_64 (the build machine's gcc) and aarch64, s390x, riscv64, ppc64le (Debian's
gcc-<triplet> with linux-libc-dev-<arch>-cross): the flags compile a BPF library that
includes <linux/types.h> into an object of the target's byte order naming the target's
__TARGET_ARCH_, and the subskeleton and skeleton headers generated from it compile with
the target's gcc. Linking big-endian objects needs libbpf >= 1.5 (checked both ways).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import TESTS, libbpf_version, run_cli

CROSS = TESTS / "cross"
# (cpu family as CMake or Meson names it, endian, C compiler, __TARGET_ARCH_, ELF e_machine)
TARGETS = {
    "x86_64": ("x86_64", "little", "gcc", "x86", 62),
    "aarch64": ("aarch64", "little", "aarch64-linux-gnu-gcc", "arm64", 183),
    "s390x": ("s390x", "big", "s390x-linux-gnu-gcc", "s390", 22),
    "riscv64": ("riscv64", "little", "riscv64-linux-gnu-gcc", "riscv", 243),
    "ppc64le": ("ppc64le", "little", "powerpc64le-linux-gnu-gcc", "powerpc", 21),
}
BUILD_MULTIARCH = subprocess.run(["gcc", "-print-multiarch"], capture_output=True,
                                 text=True).stdout.strip()


def cross_gcc(name: str) -> str:
    gcc = shutil.which(name)
    if gcc is None:  # run.sh installs them: a missing one is a broken setup, not a skip
        pytest.fail(f"{name} is missing: ./run.sh installs Debian's cross compilers")
    return gcc


def cflags(*args: str) -> list[str]:
    result = run_cli("cflags", *args)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def elf_data(path: Path) -> str:
    """EI_DATA of an ELF file: 'little' or 'big'."""
    return {1: "little", 2: "big"}[path.read_bytes()[5]]


def elf_machine(path: Path) -> int:
    data = path.read_bytes()
    return int.from_bytes(data[18:20], "little" if data[5] == 1 else "big")


@pytest.mark.parametrize(("cpu", "arch"), [
    ("x86_64", "x86"), ("amd64", "x86"), ("AMD64", "x86"), ("i686", "x86"), ("x86", "x86"),
    ("aarch64", "arm64"), ("arm64", "arm64"), ("armv7l", "arm"), ("arm", "arm"),
    ("s390x", "s390"), ("s390", "s390"), ("riscv64", "riscv"), ("riscv32", "riscv"),
    ("ppc64le", "powerpc"), ("ppc64", "powerpc"), ("powerpc64le", "powerpc"), ("ppc", "powerpc"),
    ("loongarch64", "loongarch"), ("mips64", "mips"), ("mipsel", "mips"), ("sparc64", "sparc"),
])
def test_cpu_names_of_meson_and_cmake(cpu: str, arch: str) -> None:
    flags = cflags("--cpu-family", cpu, "--endian", "little", "--cc", "gcc")
    assert f"-D__TARGET_ARCH_{arch}" in flags
    assert sum(f.startswith("-D__TARGET_ARCH_") for f in flags) == 1


def test_unknown_cpu_warns_and_defines_nothing() -> None:
    result = run_cli("cflags", "--cpu-family", "m68k", "--endian", "big")
    assert result.returncode == 0
    assert not any(f.startswith("-D__TARGET_ARCH_") for f in result.stdout.splitlines())
    assert "bpfsubskel: warning: m68k: CPU family 'm68k' has no __TARGET_ARCH_" in result.stderr


def test_no_build_machine_headers_for_another_target_without_its_compiler() -> None:
    result = run_cli("cflags", "--cpu-family", "aarch64", "--endian", "little")
    assert result.returncode == 0
    assert "-idirafter" not in result.stdout and BUILD_MULTIARCH not in result.stdout
    assert "pass --cc with the target's C compiler" in result.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["--cc", "/nonexistent/cc"], "bpfsubskel: error: /nonexistent/cc: cannot run the C compiler"),
    (["--with-clang", "--clang", "/bin/true"],
     "bpfsubskel: error: /bin/true: this clang cannot target BPF"),
    (["--with-clang", "--clang", "/nonexistent/clang"],
     "bpfsubskel: error: /nonexistent/clang: clang not found"),
])
def test_errors(args: list[str], message: str) -> None:
    result = run_cli("cflags", "--cpu-family", "x86_64", "--endian", "little", *args)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1, result.stderr


def test_with_clang_prints_the_clang_first() -> None:
    lines = cflags("--cpu-family", "x86_64", "--endian", "little", "--with-clang")
    assert Path(lines[0]).name.startswith("clang") and Path(lines[0]).is_absolute()
    assert lines[1:3] == ["-target", "bpfel"]


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_objects_and_headers_for_the_target(target: str, tmp_path: Path) -> None:
    cpu, endian, cc, arch, machine = TARGETS[target]
    gcc = cross_gcc(cc)
    lines = cflags("--cpu-family", cpu, "--endian", endian, f"--cc={gcc}", "--with-clang")
    clang, flags = lines[0], lines[1:]
    assert flags[:2] == ["-target", "bpfeb" if endian == "big" else "bpfel"]
    assert f"-D__TARGET_ARCH_{arch}" in flags and "-g" in flags and "-O2" in flags
    include = flags[flags.index("-idirafter") + 1]
    assert Path(include, "asm", "types.h").is_file()
    if target == "x86_64":
        assert include == f"/usr/include/{BUILD_MULTIARCH}"
    else:  # Debian 12's cross layout or 13's multiarch one; never the build machine's
        triplet = Path(gcc).name.removesuffix("-gcc")
        assert include in (f"/usr/{triplet}/include", f"/usr/include/{triplet}"), include

    for name in ("lib", "app"):
        result = subprocess.run([clang, *flags, f"-I{CROSS}", "-c", str(CROSS / f"{name}.bpf.c"),
                                 "-o", str(tmp_path / f"{name}.bpf.o")],
                                capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        assert elf_data(tmp_path / f"{name}.bpf.o") == endian
    lib = tmp_path / "lib.bpf.o"
    assert f"arch={arch}\0".encode() in lib.read_bytes()
    magic = (0x01020304).to_bytes(4, "big" if endian == "big" else "little")
    assert magic in lib.read_bytes()

    # The headers: from the library alone (subskel) and from a final object (skel).
    run_cli("subskel", lib, "-o", tmp_path / "lib.subskel.h", "--name", "lib", check=True)
    if endian == sys.byteorder or libbpf_version() >= (1, 5):
        run_cli("link", "-o", tmp_path / "final.bpf.o", tmp_path / "app.bpf.o", lib, check=True)
        assert elf_data(tmp_path / "final.bpf.o") == endian
    else:  # libbpf < 1.5 cannot link objects of the other byte order: said so, clearly
        result = run_cli("link", "-o", tmp_path / "final.bpf.o", tmp_path / "app.bpf.o", lib)
        assert result.returncode == 2, result.stderr
        shutil.copy(lib, tmp_path / "final.bpf.o")  # a final object of one file
    run_cli("skel", tmp_path / "final.bpf.o", "-o", tmp_path / "app.skel.h", "--name", "app_bpf",
            check=True)
    result = subprocess.run([gcc, "-Wall", "-Wextra", "-Werror", f"-I{tmp_path}", f"-I{CROSS}",
                             "-c", str(CROSS / "user.c"), "-o", str(tmp_path / "user.o")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert elf_machine(tmp_path / "user.o") == machine


def test_check_link_knows_cross_endian_needs_libbpf_1_5() -> None:
    other = "big" if sys.byteorder == "little" else "little"
    result = run_cli("cflags", "--cpu-family", "s390x", "--endian", other, "--check-link")
    if libbpf_version() >= (1, 5):
        assert result.returncode == 0, result.stderr
    else:
        assert result.returncode == 2
        assert result.stderr == (
            f"bpfsubskel: error: libbpf.so.1: linking {other}-endian BPF objects on this "
            f"{sys.byteorder}-endian machine needs libbpf >= 1.5 (cross-endian linking), and "
            f"this is libbpf {'.'.join(map(str, libbpf_version()))}; build with a newer "
            "libbpf1\n")
    same = run_cli("cflags", "--cpu-family", "aarch64", "--endian", sys.byteorder,
                   "--check-link")
    assert same.returncode == 0, same.stderr
