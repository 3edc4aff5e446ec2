"""Crafted objects and hostile paths from issue 11: bounded work, one error line, exit 2."""

from __future__ import annotations

import os
import resource
import shutil
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import compile_bpf, run_cli
from objmut import Obj

from bpfsubskel.render import depfile_escape

CHAIN = "\n".join(
    ["struct s30 { int a; int b; };"]
    + [f"struct s{i} {{ int pad; struct s{i + 1} a[0]; struct s{i + 1} b[0]; }};"
       for i in range(29, -1, -1)]
    + ["struct s0 chain_var;", 'int plain_var = 1;', 'char _license[] SEC("license") = "GPL";']
)


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("hostile")
    src = out / "chain.bpf.c"
    src.write_text('#define SEC(n) __attribute__((section(n), used))\n' + CHAIN + "\n")
    return compile_bpf(src, out / "chain.bpf.o")


def one_error(result: subprocess.CompletedProcess[str], *words: str) -> str:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("bpfsubskel: error: "), result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def timed(*args: object) -> subprocess.CompletedProcess[str]:
    started = time.monotonic()
    result = run_cli(*args)
    assert time.monotonic() - started < 20, f"bpfsubskel {args} took too long"
    return result


def edited(chain: Path, tmp_path: Path, edit: object) -> Path:
    obj = Obj(chain.read_bytes())
    edit(obj)  # type: ignore[operator]
    path = tmp_path / "crafted.bpf.o"
    path.write_bytes(bytes(obj.data))
    return path


def btf_types(obj: Obj) -> list[tuple[int, int, str]]:
    """(offset in .BTF, kind, name) of every record."""
    btf = obj.btf()
    assert btf is not None
    raw = obj.bytes_of(btf)
    hdr_len, _to, _tl, str_off, _sl = obj.btf_layout()
    strings = raw[hdr_len + str_off:]
    out = []
    for r in obj.btf_records():
        name_off = struct.unpack_from("<I", raw, r.pos)[0]
        out.append((r.pos, r.kind, strings[name_off:strings.index(b"\0", name_off)].decode()))
    return out


def set_u32(obj: Obj, btf_pos: int, value: int) -> None:
    btf = obj.btf()
    assert btf is not None
    struct.pack_into("<I", obj.data, btf.offset + btf_pos, value)


def test_link_zero_shstrndx(chain: Path, tmp_path: Path) -> None:
    bad = edited(chain, tmp_path, lambda o: struct.pack_into("<H", o.data, 62, 0))
    one_error(timed("link", "-o", tmp_path / "out.bpf.o", bad, chain), "section name table")
    assert not (tmp_path / "out.bpf.o").exists()


def test_int_of_size_zero(chain: Path, tmp_path: Path) -> None:
    def edit(o: Obj) -> None:
        pos = next(p for p, kind, name in btf_types(o) if kind == 1 and name == "int")
        set_u32(o, pos + 8, 0)
    bad = edited(chain, tmp_path, edit)
    for command in ("subskel", "skel"):
        one_error(timed(command, bad, "-o", tmp_path / "x.h"), "invalid size")


def test_nested_named_structs_check_is_linear(chain: Path) -> None:
    assert timed("check", chain, chain).returncode == 0


def test_nested_anonymous_structs_are_bounded(chain: Path, tmp_path: Path) -> None:
    def edit(o: Obj) -> None:
        for pos, kind, name in btf_types(o):
            if kind == 4 and name.startswith("s"):
                set_u32(o, pos, 0)  # anonymous: each level is printed inline, twice
    bad = edited(chain, tmp_path, edit)
    one_error(timed("subskel", bad, "-o", tmp_path / "x.h"))


@pytest.mark.parametrize("what", ["size", "offset"])
def test_impossible_struct_layouts(chain: Path, tmp_path: Path, what: str) -> None:
    def edit(o: Obj) -> None:
        for pos, kind, _name in btf_types(o):
            if kind == 4:
                set_u32(o, pos, 0)
                if what == "size":
                    set_u32(o, pos + 8, 1 << 31)
                else:
                    set_u32(o, pos + 12 + 8, 0xFFFFFFE0)  # first member's bit offset
    bad = edited(chain, tmp_path, edit)
    one_error(timed("subskel", bad, "-o", tmp_path / "x.h"))
    assert not (tmp_path / "x.h").exists()


@pytest.mark.parametrize("special", ["/dev/zero", "fifo", "dir"])
def test_inputs_must_be_regular_files(tmp_path: Path, special: str) -> None:
    path = Path(special)
    if special == "fifo":
        path = tmp_path / "f.bpf.o"
        os.mkfifo(path)
    elif special == "dir":
        path = tmp_path
    one_error(timed("subskel", path, "-o", tmp_path / "x.h"), "cannot read")


def test_outputs_never_overwrite_inputs_or_each_other(chain: Path, tmp_path: Path) -> None:
    lib = tmp_path / "lib.bpf.o"
    shutil.copy(chain, lib)
    before = lib.read_bytes()
    x = tmp_path / "x.h"
    one_error(run_cli("subskel", lib, "-o", x, "--depfile", x), "also the output")
    one_error(run_cli("subskel", lib, "-o", x, "--depfile", lib), "is the input")
    one_error(run_cli("subskel", lib, "-o", lib), "is the input")
    one_error(run_cli("link", "-o", lib, lib), "is the input")
    one_error(run_cli("check", lib, lib, "--stamp", lib), "is the input")
    one_error(run_cli("subskel", lib, "-o", f"{x}/"), "directory")
    one_error(run_cli("harness", lib, chain, "-o", tmp_path / "bpfsubskel_test.h",
                      "--lib-name", "a", "--final-name", "b"), "runtime header")
    assert lib.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lib.bpf.o"]


def test_depfile_escaping() -> None:
    assert depfile_escape("a\\b") == "a\\b"  # a lone backslash is literal for ninja
    assert depfile_escape("a b") == "a\\ b"
    assert depfile_escape("a\\ b") == "a\\\\\\ b"
    assert depfile_escape("a#b$c") == "a\\#b$$c"


@pytest.mark.skipif(shutil.which("ninja") is None, reason="needs ninja")
def test_ninja_reads_depfile_paths_back(chain: Path, tmp_path: Path) -> None:
    odd = tmp_path / "we ird\\dir#$"
    odd.mkdir()
    lib = odd / "l\\ib.bpf.o"
    shutil.copy(chain, lib)
    (tmp_path / "build.ninja").write_text(
        "rule gen\n"
        f"  command = {sys.executable} -m bpfsubskel subskel $in -o $out --depfile $out.d "
        "--name lib\n  depfile = $out.d\n  deps = gcc\n"
        "build x.h: gen we$ ird\\dir#$$/l\\ib.bpf.o\n")
    subprocess.run(["ninja"], cwd=tmp_path, check=True, capture_output=True)
    deps = subprocess.run(["ninja", "-t", "deps"], cwd=tmp_path, check=True,
                          capture_output=True, text=True).stdout
    assert f"    {lib.relative_to(tmp_path)}\n" in deps, deps


def test_write_errors_are_one_line(chain: Path, tmp_path: Path) -> None:
    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

    result = subprocess.run(
        [sys.executable, "-m", "bpfsubskel", "skel", str(chain), "-o",
         str(tmp_path / "x.skel.h")],
        capture_output=True, text=True, preexec_fn=small_files)
    one_error(result, "cannot write")
    assert list(tmp_path.iterdir()) == []


def test_messages_escape_control_characters(chain: Path, tmp_path: Path) -> None:
    line = one_error(run_cli("subskel", chain, "-o", tmp_path / "x.h", "--name",
                             "a\x1b[2J\nb"))
    assert "\\x1b" in line and "\\n" in line


def test_sigint_at_start_up_is_quiet(tmp_path: Path) -> None:
    for delay in (0.05, 0.1, 0.2, 0.4):
        proc = subprocess.Popen([sys.executable, "-m", "bpfsubskel", "subskel", "/dev/null",
                                 "-o", str(tmp_path / "x.h")],
                                stderr=subprocess.PIPE, text=True)
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
        assert proc.returncode in (130, 2), (proc.returncode, err)
