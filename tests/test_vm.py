"""`bpfsubskel vm` for real: QEMU booting Debian's kernels (fetched into the user cache on
first use), and the front ends' kernel matrix: every harness on 5.10, 6.1 and 6.12.

Boots are expensive under TCG (about 5 s each on an idle 2-core machine), so every test
boots as few VMs as it can. Booting tests are host-tier only by design: the runner depends
on QEMU and the kernels it boots, not on the toolchain; tier 2 checks the front ends'
kernel lists, and its toolchain builds the same harnesses for the host kernel.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import collect_only_if

# Host tier only by design: `bpfsubskel vm` depends on QEMU and the kernels it boots,
# not on the toolchain tier; in the Debian 13 chroot these tests are not collected.
_HOST_TIER_ONLY = collect_only_if(os.environ.get("BPFSUBSKEL_TOOLCHAIN_TIER") != "2")

LIBRARY_C = """\
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
/* bpf_loop: kernel 5.17+. The verifier of 5.10 rejects the program. */
int loops;
static long step(__u32 i, void *ctx) { loops++; return 0; }
__attribute__((noinline)) int run_loops(void) { return bpf_loop(4, step, NULL, 0); }
"""
FINAL_C = """\
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
extern int run_loops(void);
SEC("socket") int prog(void *ctx) { return run_loops() == 4; }
char LICENSE[] SEC("license") = "GPL";
"""
KERNELS = ("5.10", "6.1", "6.12")


@pytest.fixture
def qemu_installed() -> None:
    if shutil.which("qemu-system-x86_64") is None:
        message = "qemu-system-x86_64 is not installed (./run.sh test installs it)"
        if os.environ.get("BPFSUBSKEL_REQUIRE_LOAD") == "1":
            pytest.fail(message)
        pytest.skip(message)


def boots(test: Any) -> Any:
    """A test that runs `bpfsubskel vm` (with QEMU: on the host tier)."""
    return pytest.mark.usefixtures("qemu_installed")(_HOST_TIER_ONLY(test))


def vm(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
       timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bpfsubskel", "vm", *args], cwd=cwd,
                          capture_output=True, text=True, env={**os.environ, **(env or {})},
                          timeout=timeout)


@pytest.fixture
def private_tmp(tmp_path: Path) -> dict[str, str]:
    """TMPDIR for the runner: its VM's QEMU command line names it (for pgrep)."""
    tmpdir = tmp_path / "vmtmp"
    tmpdir.mkdir()
    return {"TMPDIR": str(tmpdir)}


def assert_no_vm_left(env: dict[str, str]) -> None:
    tmpdir = env["TMPDIR"]
    left = subprocess.run(["pgrep", "-f", f"qemu-system.*{re.escape(tmpdir)}"],
                          capture_output=True, text=True).stdout.split()
    assert not left, f"QEMU processes left behind: {left}"
    assert os.listdir(tmpdir) == [], os.listdir(tmpdir)


@boots
def test_runs_as_root_on_6_1_in_the_same_directory(tmp_path: Path,
                                                   private_tmp: dict[str, str]) -> None:
    script = ("uname -r; id -u; pwd; echo written > file; cat file; "
              "test -e /sys/kernel/btf/vmlinux && echo btf; echo to-stderr >&2; exit 42")
    result = vm("--kernel", "6.1", "--", "sh", "-c", script, cwd=tmp_path, env=private_tmp)
    assert result.returncode == 42, result.stderr
    lines = result.stdout.splitlines()
    assert re.match(r"6\.1\.\d+-\d+-amd64$", lines[0]), result.stdout
    assert lines[1:] == ["0", str(tmp_path), "written", "btf"], result.stdout
    assert "to-stderr" in result.stderr and "to-stderr" not in result.stdout
    assert not (tmp_path / "file").exists(), "a write in the VM reached the host"
    assert_no_vm_left(private_tmp)


@boots
def test_killed_by_a_signal(private_tmp: dict[str, str]) -> None:
    result = vm("--kernel", "6.1", "--", "sh", "-c", "kill -TERM $$", env=private_tmp)
    assert result.returncode == 128 + signal.SIGTERM, result.stderr
    assert_no_vm_left(private_tmp)


@boots
def test_timeout(private_tmp: dict[str, str]) -> None:
    vm("--fetch", "6.1")  # a fetch does not count against --timeout; make it cached anyway
    start = time.monotonic()
    result = vm("--kernel", "6.1", "--timeout", "5", "--", "sleep", "60", env=private_tmp)
    elapsed = time.monotonic() - start
    assert result.returncode == 124, result.stderr
    assert 5 <= elapsed < 9, elapsed
    assert "timed out after 5 s" in result.stderr
    assert_no_vm_left(private_tmp)


@boots
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_runner_stopped_by_a_signal_takes_its_vm_along(signum: int,
                                                       private_tmp: dict[str, str]) -> None:
    runner = subprocess.Popen([sys.executable, "-m", "bpfsubskel", "vm", "--kernel", "6.1",
                               "--", "sleep", "60"], env={**os.environ, **private_tmp},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        pattern = f"qemu-system.*{re.escape(private_tmp['TMPDIR'])}"
        while subprocess.run(["pgrep", "-f", pattern], capture_output=True).returncode:
            assert time.monotonic() < deadline and runner.poll() is None, runner.stderr
            time.sleep(0.2)
        runner.send_signal(signum)
        assert runner.wait(timeout=20) == 128 + signum
    finally:
        runner.kill()
        runner.wait()
    assert_no_vm_left(private_tmp)


@boots
@pytest.mark.parametrize(("args", "env", "message"), [
    (["--kernel", "latest"], {}, "--kernel latest: neither a kernel image file nor a version"),
    (["--kernel", "/nonexistent/vmlinuz"], {}, "no such kernel image file"),
    (["--kernel", "3.2"], {}, "Debian (bookworm, bookworm-security, bullseye, "
                              "bullseye-security) has no 3.2 kernel; it has "),
    (["--kernel", "6.1"], {"PATH": "/nonexistent"}, "qemu-system-x86_64: not found on PATH"),
    (["--kernel", "IMAGE"], {}, "--kernel IMAGE: QEMU cannot boot it: "),
    (["--kernel", "6.1", "--timeout", "0"], {}, "--timeout: 0 is not a positive number"),
    (["--kernel", "6.1"], {"NO_COMMAND": "1"}, "no command"),
])
def test_errors_are_one_line(tmp_path: Path, args: list[str], env: dict[str, str],
                             message: str) -> None:
    image = tmp_path / "bzImage"
    image.write_bytes(os.urandom(4096))
    args = [str(image) if a == "IMAGE" else a for a in args]
    command = [] if env.pop("NO_COMMAND", None) else ["--", "true"]
    result = vm(*args, *command, env=env)
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if not line.startswith(
        "bpfsubskel: vm: ")]  # progress of a fetch
    assert len(lines) == 1 and lines[0].startswith("bpfsubskel: error: "), result.stderr
    assert message.replace("IMAGE", str(image)) in lines[0], result.stderr


@boots
def test_a_kernel_that_cannot_be_had_skips_or_fails(private_tmp: dict[str, str]) -> None:
    result = vm("--kernel", "3.2", "--skip-unavailable", "--", "true",
                env={**private_tmp, "BPFSUBSKEL_REQUIRE_LOAD": "0"})
    assert result.returncode == 77, result.stderr
    assert "bpfsubskel: vm: SKIP: --kernel 3.2: Debian" in result.stderr
    result = vm("--kernel", "3.2", "--skip-unavailable", "--", "true",
                env={**private_tmp, "BPFSUBSKEL_REQUIRE_LOAD": "1"})
    assert result.returncode == 2, result.stderr


# -- the front ends' kernel matrix ----------------------------------------------------------

def bpf_loop_project(tmp_path: Path, build_file: str, text: str) -> Path:
    source = tmp_path / "project"
    source.mkdir()
    (source / "loops.bpf.c").write_text(LIBRARY_C)
    (source / "app.bpf.c").write_text(FINAL_C)
    (source / build_file).write_text(text)
    return source


def check_matrix(log: str, results: dict[str, str]) -> None:
    """bpf_loop loads on the host, 6.1 and 6.12, and the verifier of 5.10 rejects it."""
    assert results == {"loops_in_app": "ok", "loops_in_app@5.10": "fail",
                       "loops_in_app@6.1": "ok", "loops_in_app@6.12": "ok"}, log
    # The harness shows the verifier's own log (5.10 knows neither bpf_loop nor its
    # callback subprogram: "number of funcs in func_info doesn't match ...").
    assert re.search(r"BEGIN PROG LOAD LOG --\s*\n\s*(?!-- END)\S", log), log
    assert "func_info" in log or "unknown#181" in log, log


@boots
@pytest.mark.usefixtures("load_permitted")
def test_cmake_kernel_matrix(tmp_path: Path) -> None:
    from test_cmake import build, configure

    source = bpf_loop_project(tmp_path, "CMakeLists.txt", """\
cmake_minimum_required(VERSION 3.20)
project(loops LANGUAGES C)
enable_testing()
find_package(bpfsubskel CONFIG REQUIRED)
bpf_object(loops LIBRARY SOURCES loops.bpf.c)
bpf_subskeleton(loops_subskel loops)
bpf_object(app SOURCES app.bpf.c LIBRARIES loops)
""")
    build_dir = tmp_path / "build"
    # The project-wide cache variable; bpf_subskeleton(... KERNELS) is the sample's way.
    configure(source, build_dir, "-G", "Ninja", f"-DBPFSUBSKEL_KERNELS={';'.join(KERNELS)}")
    build(build_dir)
    result = subprocess.run(["ctest", "-j2", "--output-on-failure"], cwd=build_dir,
                            capture_output=True, text=True)
    log = result.stdout + result.stderr
    results = {m.group(1): "ok" if m.group(2) == "Passed" else "fail"
               for m in re.finditer(r"Test +#\d+: (\S+) \.+[ *]*(Passed|Failed|\S+)", log)}
    check_matrix(log, results)


@boots
@pytest.mark.usefixtures("load_permitted")
def test_meson_kernel_matrix(tmp_path: Path) -> None:
    from test_meson import newest_meson, ninja

    kernels = ", ".join(f"'{k}'" for k in KERNELS)
    source = bpf_loop_project(tmp_path, "meson.build", f"""\
project('loops', 'c')
subskel = import('subskel')
loops = subskel.bpf_object('loops', 'loops.bpf.c', library: true)
subskel.generate(loops, kernels: [{kernels}])
subskel.bpf_object('app', 'app.bpf.c', libraries: loops)
""")
    meson = newest_meson()
    build_dir = tmp_path / "build"
    meson.setup(source, build_dir)
    ninja(build_dir)
    result = meson.run("test", "-C", str(build_dir), "--print-errorlogs", check=False)
    log = result.stdout + result.stderr
    # `2/4 bpfsubskel+vm - loops:loops_in_app@5.10 FAIL  4.48s   exit status 1`
    results = {m.group(1): m.group(2).lower()
               for m in re.finditer(r"^\s*\d+/\d+ .*?(?:\w+:)?(\S+)\s+(OK|FAIL|SKIP)\s", log,
                                    re.M)}
    check_matrix(log, results)


def test_sample_declares_its_kernels(tmp_path: Path) -> None:
    """sample_project/ asks for 5.10, 6.1 and 6.12 (CMake: KERNELS; Meson: its
    subskel_kernels option); -Dsubskel_kernels=[] keeps the host-kernel tests only."""
    import json

    from test_cmake import configure, copy_sample
    from test_meson import newest_meson

    source = copy_sample(tmp_path)
    configure(source, tmp_path / "cmake", "-G", "Ninja")
    listed = subprocess.run(["ctest", "-N"], cwd=tmp_path / "cmake", capture_output=True,
                            text=True).stdout
    expected = {f"counters_in_{f}{k}" for f in ("syscalls", "packets")
                for k in ("", *(f"@{k}" for k in KERNELS))}
    assert set(re.findall(r"Test +#\d+: (\S+)", listed)) == expected, listed

    meson = newest_meson()
    for args, names in (([], expected),
                        (["-Dsubskel_kernels=[]"], {n for n in expected if "@" not in n})):
        build_dir = tmp_path / f"meson{len(args)}"
        meson.setup(source, build_dir, *args)
        tests = json.loads(meson.run("introspect", "--tests", str(build_dir)).stdout)
        assert {t["name"] for t in tests} == names, tests
