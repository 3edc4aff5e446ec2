"""Shared fixtures: compiling BPF C with clang, running the CLI, loading in the kernel."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import bpfsubskel

TESTS = Path(__file__).resolve().parent
CORPUS = TESTS / "corpus"


def multiarch_include() -> str:
    arch = subprocess.run(["gcc", "-print-multiarch"], capture_output=True, text=True).stdout
    return f"/usr/include/{arch.strip()}"


BPF_CFLAGS = ["-target", "bpf", "-g", "-O2", f"-I{multiarch_include()}", f"-I{CORPUS}"]


def pytest_report_header(config: pytest.Config) -> str:
    return f"bpfsubskel under test: {Path(bpfsubskel.__file__).parent}"


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
