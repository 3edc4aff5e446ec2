"""Shared fixtures: compiling BPF C with clang, running the CLI, loading in the kernel."""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, TypeVar

import pytest

import bpfsubskel

F = TypeVar("F", bound=Callable[..., Any])
TESTS = Path(__file__).resolve().parent
CORPUS = TESTS / "corpus"


def multiarch_include() -> str:
    arch = subprocess.run(["gcc", "-print-multiarch"], capture_output=True, text=True).stdout
    return f"/usr/include/{arch.strip()}"


BPF_CFLAGS = ["-target", "bpf", "-g", "-O2", f"-I{multiarch_include()}", f"-I{CORPUS}"]


def pytest_report_header(config: pytest.Config) -> list[str]:
    try:
        with open("/etc/os-release") as f:
            system = re.search(r'^PRETTY_NAME="?([^"\n]*)', f.read(), re.M)
    except OSError:
        system = None
    bpftool_v = ".".join(map(str, bpftool_version())) if bpftool_version() != (0, 0) else "none"
    return [f"bpfsubskel under test: {Path(bpfsubskel.__file__).parent}",
            f"toolchain tier: {system.group(1) if system else 'unknown system'}, clang "
            f"{clang_version()}, libbpf {'.'.join(map(str, libbpf_version()))}, bpftool "
            f"{bpftool_v}, Python {sys.version.split()[0]}"]


def collect_only_if(condition: bool) -> Callable[[F], F]:
    """Leave a test out of collection where it does not apply (a difference the installed
    bpftool does not have): not collected rather than reported as skipped, since a skip
    means "could not run"."""
    def mark(test: F) -> F:
        if not condition:
            test.__test__ = False  # type: ignore[attr-defined]
        return test
    return mark


def compile_bpf(source: Path, output: Path, *extra: str) -> Path:
    """clang -target bpf -g -O2 -c SOURCE -o OUTPUT; fails the test with clang's message."""
    result = subprocess.run(
        ["clang", *BPF_CFLAGS, *extra, "-c", str(source), "-o", str(output)],
        capture_output=True,
        text=True,
    )
    if result.returncode:
        pytest.fail(f"clang failed on {source.name}:\n{result.stderr}")
    return output


def run_cli(*args: object, cwd: Path | None = None, check: bool = False
            ) -> subprocess.CompletedProcess[str]:
    """`python -m bpfsubskel ARGS...` in a subprocess (exit codes and stderr are checked)."""
    result = subprocess.run(
        [sys.executable, "-m", "bpfsubskel", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
    )
    if check and result.returncode:
        pytest.fail(f"bpfsubskel {' '.join(map(str, args))} failed:\n{result.stderr}")
    return result


def bpftool(*args: object) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("bpftool") or "/usr/sbin/bpftool"
    return subprocess.run([exe, *map(str, args)], capture_output=True, text=True)


@functools.cache
def bpftool_version() -> tuple[int, int]:
    """(major, minor) of the installed bpftool (`bpftool v7.5.0`), (0, 0) if there is none.

    Differential tests key bpftool's known differences on it: Debian 12's 7.1 (built
    from the linux-6.1 tree) and Debian 13's 7.5 differ from us in different ways.
    """
    try:
        out = bpftool("version").stdout
    except OSError:
        return (0, 0)
    # Debian 12's prints its argv[0]: `/usr/sbin/bpftool v7.1.0`.
    m = re.search(r"^(?:\S*/)?bpftool v(\d+)\.(\d+)", out, re.M)
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


@functools.cache
def libbpf_version() -> tuple[int, int]:
    """(major, minor) of the libbpf headers and library tests build against."""
    out = subprocess.run(["pkg-config", "--modversion", "libbpf"], capture_output=True,
                         text=True, check=True).stdout
    major, minor = out.strip().split(".")[:2]
    return (int(major), int(minor))


@functools.cache
def clang_version() -> int:
    """clang's major version (14 on Debian 12, 19 on Debian 13)."""
    out = subprocess.run(["clang", "--version"], capture_output=True, text=True).stdout
    m = re.search(r"clang version (\d+)", out)
    return int(m.group(1)) if m else 0


def run_cc(compiler: str, source: Path, output: Path, *flags: str
           ) -> subprocess.CompletedProcess[str]:
    """COMPILER FLAGS... SOURCE -o OUTPUT LIBS... (-l options after the source, to link)."""
    libs = [f for f in flags if f.startswith("-l")]
    others = [f for f in flags if not f.startswith("-l")]
    return subprocess.run([compiler, *others, str(source), "-o", str(output), *libs],
                          capture_output=True, text=True)


def corpus_cflags(source: Path) -> list[str]:
    """Extra clang flags a corpus file asks for in a `// bpf-cflags: ...` line."""
    for line in source.read_text().splitlines():
        if line.startswith("// bpf-cflags:"):
            return line.split(":", 1)[1].split()
    return []


@pytest.fixture(scope="session")
def corpus_objects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every tests/corpus/*.bpf.c compiled once per session: {stem: object path}."""
    out = tmp_path_factory.mktemp("corpus")
    objects = {}
    for source in sorted(CORPUS.glob("*.bpf.c")):
        stem = source.name[: -len(".bpf.c")]
        objects[stem] = compile_bpf(source, out / f"{stem}.bpf.o", *corpus_cflags(source))
    return objects


def can_load_bpf() -> bool:
    return os.geteuid() == 0


@pytest.fixture
def load_permitted() -> None:
    """Skip a kernel-load test without privilege, or fail under BPFSUBSKEL_REQUIRE_LOAD=1."""
    if can_load_bpf():
        return
    if os.environ.get("BPFSUBSKEL_REQUIRE_LOAD") == "1":
        pytest.fail("BPFSUBSKEL_REQUIRE_LOAD=1 but this process may not load BPF programs")
    pytest.skip("loading BPF programs needs root (CAP_BPF)")
