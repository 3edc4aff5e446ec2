"""The README's main job: the quickstart builds, tests its library, counts syscalls."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import TESTS

EXAMPLE = TESTS.parent / "examples" / "quickstart"


@pytest.mark.usefixtures("load_permitted")
def test_quickstart_counts_syscalls(tmp_path: Path) -> None:
    example = tmp_path / "quickstart"
    shutil.copytree(EXAMPLE, example, ignore=shutil.ignore_patterns("build"))
    env = {**os.environ, "BPFSUBSKEL": f"{sys.executable} -m bpfsubskel"}
    result = subprocess.run([str(example / "build-and-run.sh")], capture_output=True, text=True,
                            env=env, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    seen = int(re.search(r"events seen: +(\d+)", result.stdout).group(1))
    sampled = int(re.search(r"events sampled: +(\d+)", result.stdout).group(1))
    assert seen >= 100  # the program makes 100 getppid() calls while attached
    assert sampled == seen // 10  # sample_every = 10, set through the subskeleton
    assert "map last_seen_ns" in result.stdout
    # The library's harness ran in the final object first, built-in and user tests passing.
    assert "Summary: 3/6 PASSED, 0 SKIPPED, 0 FAILED" in result.stdout
    assert "#3 configuration_reaches_the_kernel:OK" in result.stdout
