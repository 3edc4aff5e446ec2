"""`bpfsubskel cflags`: the one definition of how BPF code is compiled for a target.

CMake, the Meson module and the Meson fallback recipe all ask this command (once per
configure) instead of keeping tables of their own: the byte order (`-target bpfel` or
`bpfeb`), the kernel's `__TARGET_ARCH_<arch>` name for bpf_tracing.h, `-g -O2`, and the
target's directory holding <asm/types.h>, found from the target's C compiler (never the
build machine's /usr/include/<its multiarch> for another target).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from typing import Optional

from .errors import InputError

HELP = "print the clang flags that compile BPF code for a target (one per line)"
DESCRIPTION = """\
Print, one per line, the clang flags that compile BPF code for a target machine:

    -target bpfel|bpfeb     the target's byte order
    -g -O2                  BTF and the optimisation libbpf's loader expects
    -D__TARGET_ARCH_<arch>  bpf_tracing.h's name of the architecture (x86, arm64, ...)
    -idirafter DIR          the target's directory holding <asm/types.h>

    bpfsubskel cflags --cpu-family aarch64 --endian little --cc aarch64-linux-gnu-gcc

--cpu-family takes Meson's cpu_family names and CMake's CMAKE_SYSTEM_PROCESSOR names
(x86_64, amd64, i686, aarch64, arm64, armv7l, s390x, ppc64le, riscv64, ...). DIR is
found from the target's C compiler (--cc; repeat it for a command of several words:
--cc=ccache --cc=gcc): its -print-multiarch directory under the sysroot, else the
directory of its own include search path holding asm/types.h. Without --cc, `cc` is
asked when the target is this machine's architecture. With --with-clang the first line
is the clang to run (--clang's, else clang, clang-21 ... clang-14 from PATH), checked to
target BPF. --check-link fails unless this machine's libbpf.so.1 can link BPF objects
of the target's byte order (`bpfsubskel link`; cross-endian linking needs libbpf 1.5).
"""

# Meson cpu_family and CMake CMAKE_SYSTEM_PROCESSOR names (lowercased) -> the
# __TARGET_ARCH_<name> bpf_tracing.h knows. First match wins: arm64 before arm.
TARGET_ARCHES: tuple[tuple[str, str], ...] = (
    (r"x86_64|amd64|x64|x86|i[3-6]86", "x86"),
    (r"aarch64(_be)?|arm64(e|ec)?", "arm64"),
    (r"arm.*", "arm"),
    (r"ppc.*|powerpc.*", "powerpc"),
    (r"s390x?", "s390"),
    (r"riscv(32|64)?", "riscv"),
    (r"loongarch(32|64)?", "loongarch"),
    (r"mips.*", "mips"),
    (r"sparc.*", "sparc"),
    (r"arc", "arc"),
)
CLANG_NAMES = ("clang", *(f"clang-{v}" for v in range(21, 13, -1)))
CROSS_ENDIAN_LIBBPF = (1, 5)  # libbpf 1.5: "Support linking bpf objects of either endianness"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cpu-family", required=True, metavar="F",
                        help="the target's CPU family (Meson cpu_family or CMake "
                             "CMAKE_SYSTEM_PROCESSOR)")
    parser.add_argument("--endian", required=True, choices=("little", "big"),
                        help="the target's byte order")
    parser.add_argument("--sysroot", metavar="S", help="the target's sysroot, if any")
    parser.add_argument("--cc", action="append", default=[], metavar="WORD",
                        help="the target's C compiler (repeat for each word of a command)")
    parser.add_argument("--clang", metavar="CLANG", help="the clang to use (with --with-clang)")
    parser.add_argument("--with-clang", action="store_true",
                        help="print the clang that compiles BPF first, then the flags")
    parser.add_argument("--check-link", action="store_true",
                        help="fail unless this machine's libbpf can link the target's objects")


def target_arch(cpu_family: str) -> Optional[str]:
    """bpf_tracing.h's name for a Meson/CMake CPU name; None for one it does not know."""
    cpu = cpu_family.strip().lower()
    return next((arch for pattern, arch in TARGET_ARCHES if re.fullmatch(pattern, cpu)), None)


def _run(cmd: list[str], what: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(cmd, input="", capture_output=True, text=True, check=False)
    except OSError as e:
        raise InputError(cmd[0], f"cannot run {what}: {e.strerror}") from None


def _search_path(stderr: str) -> list[str]:
    """The `#include <...>` directories of `cc -E -Wp,-v` (gcc and clang print them)."""
    dirs, inside = [], False
    for line in stderr.splitlines():
        if line.startswith("#include <...> search starts here"):
            inside = True
        elif line.startswith("End of search list"):
            break
        elif inside and line.startswith(" "):
            dirs.append(os.path.normpath(line.strip().removesuffix(" (framework directory)")))
    return dirs


def asm_include_dir(cc: list[str], sysroot: Optional[str]) -> Optional[str]:
    """The target's directory holding asm/types.h, as its C compiler sees it."""
    sysroot_args = [f"--sysroot={sysroot}"] if sysroot else []
    multiarch = _run([*cc, *sysroot_args, "-print-multiarch"], "the C compiler")
    candidates = []
    if multiarch.returncode == 0 and re.fullmatch(r"[A-Za-z0-9_.+-]+", multiarch.stdout.strip()):
        candidates.append(os.path.join(sysroot or "/", "usr", "include", multiarch.stdout.strip()))
    search = _run([*cc, *sysroot_args, "-E", "-Wp,-v", "-x", "c", "-", "-o", os.devnull],
                  "the C compiler")
    if search.returncode:
        reason = (search.stderr.strip().splitlines() or ["no message"])[-1]
        raise InputError(cc[0], f"the C compiler cannot preprocess: {reason}")
    candidates += _search_path(search.stderr)
    return next((d for d in candidates if os.path.isfile(os.path.join(d, "asm", "types.h"))),
                None)


def _native_cc(arch: Optional[str], endian: str) -> Optional[list[str]]:
    """`cc` (or gcc) when the target is this machine's architecture, else None."""
    if arch is None or arch != target_arch(os.uname().machine) or endian != sys.byteorder:
        return None
    found = shutil.which("cc") or shutil.which("gcc")
    return [found] if found else None


def find_clang(requested: Optional[str]) -> str:
    """The clang that compiles BPF: `requested`, else the first of CLANG_NAMES on PATH."""
    if requested:
        clang = shutil.which(requested)
        if clang is None:
            raise InputError(requested, "clang not found; install clang (Debian: apt-get "
                                        "install clang) or name another")
    else:
        clang = next((c for c in map(shutil.which, CLANG_NAMES) if c), None)
        if clang is None:
            raise InputError("clang", f"none of {', '.join(CLANG_NAMES)} is on PATH; install "
                                      "clang (Debian: apt-get install clang) or name one")
    targets = _run([clang, "-print-targets"], "clang")
    if not any(line.split()[:1] == ["bpf"] for line in targets.stdout.splitlines()):
        raise InputError(clang, "this clang cannot target BPF; install a clang built with the "
                                "BPF backend (Debian's clang is) or name another")
    return clang


def check_link(endian: str) -> None:
    """`bpfsubskel link` runs this machine's libbpf.so.1: can it link `endian` objects?"""
    from .libbpf import Libbpf

    libbpf = Libbpf("libbpf.so.1")
    version = libbpf.version()
    if endian != sys.byteorder and version < CROSS_ENDIAN_LIBBPF:
        raise InputError("libbpf.so.1", f"linking {endian}-endian BPF objects on this "
                                        f"{sys.byteorder}-endian machine needs libbpf >= 1.5 "
                                        f"(cross-endian linking), and this is "
                                        f"{libbpf.version_text()}; build with a newer libbpf1")


def bpf_flags(cpu_family: str, endian: str, cc: list[str], sysroot: Optional[str]
              ) -> tuple[list[str], list[str]]:
    """(flags, warnings) for compiling BPF code for the target."""
    arch = target_arch(cpu_family)
    flags = ["-target", "bpfeb" if endian == "big" else "bpfel", "-g", "-O2"]
    warnings = []
    if arch:
        flags.append(f"-D__TARGET_ARCH_{arch}")
    else:
        warnings.append(f"CPU family '{cpu_family}' has no __TARGET_ARCH_ name in "
                        "bpf_tracing.h; PT_REGS_* and BPF_KPROBE will not compile")
    if sysroot:
        flags.append(f"--sysroot={sysroot}")
    cc = cc or _native_cc(arch, endian) or []
    include = asm_include_dir(cc, sysroot) if cc else None
    if include:
        flags += ["-idirafter", include]
    else:
        why = (f"the C compiler '{' '.join(cc)}' has no asm/types.h in its include path "
               "(Debian: install the target's linux-libc-dev, e.g. linux-libc-dev-arm64-cross)"
               if cc else f"no C compiler for '{cpu_family}' was given: pass --cc with the "
               "target's C compiler")
        warnings.append(f"{why}; BPF code including <linux/types.h> will not compile")
    return flags, warnings


def command(args: argparse.Namespace) -> int:
    if args.clang and not args.with_clang:
        raise InputError("--clang", "--clang needs --with-clang")
    flags, warnings = bpf_flags(args.cpu_family, args.endian, args.cc, args.sysroot)
    if args.with_clang:
        flags.insert(0, find_clang(args.clang))
    if args.check_link:
        check_link(args.endian)
    bad = next((f for f in flags if "\n" in f or "\r" in f), None)
    if bad is not None:
        raise InputError(bad.splitlines()[0], "a path with a line break cannot be printed one "
                                              "per line; move it")
    for w in warnings:
        print(f"bpfsubskel: warning: {args.cpu_family}: {w}", file=sys.stderr)
    sys.stdout.write("".join(f"{f}\n" for f in flags))
    return 0
