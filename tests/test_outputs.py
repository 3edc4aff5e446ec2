"""Outputs: deterministic, written only when changed, with complete depfiles."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import TESTS, compile_bpf, run_cli

import bpfsubskel
from bpfsubskel.render import templates_dir

TRIO = TESTS / "trio"


@pytest.fixture(scope="module")
def lib_object(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return compile_bpf(TRIO / "trio_lib.bpf.c", tmp_path_factory.mktemp("out") / "mylib.bpf.o")


def test_default_name_from_file(lib_object: Path, tmp_path: Path) -> None:
    """bpftool's rule: the file name without its final `.o`, other characters to `_`."""
    obj = tmp_path / "my-lib.v2.bpf.o"
    shutil.copy(lib_object, obj)
    run_cli("subskel", obj, "-o", tmp_path / "x.h", check=True)
    header = (tmp_path / "x.h").read_text()
    assert "struct my_lib_v2_bpf {" in header and "__MY_LIB_V2_BPF_SUBSKEL_H__" in header
    long = tmp_path / ("a" * 70 + ".o")
    shutil.copy(lib_object, long)
    run_cli("subskel", long, "-o", tmp_path / "long.h", check=True)
    assert f"struct {'a' * 63} {{" in (tmp_path / "long.h").read_text()


def test_same_bytes_in_any_directory(lib_object: Path, tmp_path: Path) -> None:
    outputs = []
    for where in ("a", "deeper/b c"):
        d = tmp_path / where
        d.mkdir(parents=True)
        shutil.copy(lib_object, d / "mylib.bpf.o")
        # Relative paths from one directory, absolute from another.
        if where == "a":
            run_cli("subskel", "mylib.bpf.o", "-o", "mylib.subskel.h", cwd=d, check=True)
        else:
            run_cli("subskel", d / "mylib.bpf.o", "-o", d / "mylib.subskel.h", check=True)
        outputs.append((d / "mylib.subskel.h").read_bytes())
    assert outputs[0] == outputs[1]
    assert str(tmp_path).encode() not in outputs[1]


def test_unchanged_output_is_not_rewritten(lib_object: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.h"
    run_cli("subskel", lib_object, "-o", out, check=True)
    os.utime(out, (1_000_000_000, 1_000_000_000))
    inode = out.stat().st_ino
    run_cli("subskel", lib_object, "-o", out, check=True)
    assert out.stat().st_mtime == 1_000_000_000
    assert out.stat().st_ino == inode
    # A different name changes the content: now it must be replaced.
    run_cli("subskel", lib_object, "-o", out, "--name", "other", check=True)
    assert out.stat().st_mtime != 1_000_000_000
    assert "struct other {" in out.read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["x.h"]  # no temp files left behind


def parse_depfile(text: str) -> tuple[str, list[str]]:
    joined = text.replace("\\\n", " ")
    target, _, deps = joined.partition(": ")
    words, current, escaped = [], "", False
    for ch in deps.strip() + " ":
        if escaped:
            current, escaped = current + ch, False
        elif ch == "\\":
            escaped = True
        elif ch == " ":
            if current:
                words.append(current)
            current = ""
        else:
            current += ch
    return target, words


def test_depfile_lists_inputs_templates_and_package(lib_object: Path, tmp_path: Path) -> None:
    spaced = tmp_path / "with space"
    spaced.mkdir()
    obj = spaced / "mylib.bpf.o"
    shutil.copy(lib_object, obj)
    out, dep = spaced / "mylib.subskel.h", tmp_path / "mylib.d"
    run_cli("subskel", obj, "-o", out, "--depfile", dep, check=True)
    target, deps = parse_depfile(dep.read_text())
    assert target == str(out).replace(" ", "\\ ")
    assert str(obj) in deps
    assert str(templates_dir() / "subskel.h.j2") in deps
    package = Path(bpfsubskel.__file__).resolve().parent
    for module in ("model.py", "btf.py", "cdecl.py", "subskel.py", "render.py"):
        assert str(package / module) in deps
    assert all(Path(d).exists() for d in deps)


def test_help_and_version() -> None:
    import importlib

    from bpfsubskel import cli

    result = run_cli("--help", check=True)
    for command, module in cli.COMMANDS.items():
        assert command in result.stdout
        # The top-level summary (kept in cli.py so --help imports nothing) is the module's.
        assert cli.SUMMARIES[command] == importlib.import_module(module).HELP
        assert run_cli(command, "--help", check=True).stdout.startswith(
            f"usage: bpfsubskel {command}")
    assert set(cli.COMMANDS) == {"subskel", "skel", "link", "check", "harness", "vm",
                                 "library", "final", "vmlinux", "cflags"}
    assert run_cli("--version", check=True).stdout.strip() == f"bpfsubskel {bpfsubskel.__version__}"
    sub = run_cli("subskel", "--help", check=True).stdout
    for flag in ("-o", "--name", "--depfile", "--werror"):
        assert flag in sub


def test_templates_are_precompiled_and_render_the_same(lib_object: Path) -> None:
    """The installed package renders from templates compiled at build time (no parse
    and compile per run), and they give what compiling the template now gives."""
    from bpfsubskel import model, render, subskel

    names = sorted(p.name for p in templates_dir().glob("*.j2"))
    assert "subskel.h.j2" in names
    # Every template: one missing from meson.build's compiled-templates list is not.
    assert [n for n in names if not render.uses_precompiled(n)] == []
    context = subskel.build_context(model.load(str(lib_object)), "mylib")
    fresh = render._environment().get_template("subskel.h.j2").render(**context)
    assert render.render("subskel.h.j2", **context) == fresh
