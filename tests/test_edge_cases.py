"""Cases found in review: each once produced wrong output or a misleading message."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import compile_bpf, run_cc, run_cli

from bpfsubskel import model

STRICT = ["-Wall", "-Wextra", "-Werror"]


def bpf(tmp_path: Path, name: str, source: str) -> Path:
    path = tmp_path / f"{name}.bpf.c"
    path.write_text("#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\n" + source)
    return compile_bpf(path, tmp_path / f"{name}.o")


def test_relinking_keeps_a_global_apart_from_a_same_named_static(tmp_path: Path) -> None:
    """libbpf's relink would give the global the static's BTF offset; we keep it right."""
    app = bpf(tmp_path, "app", 'static volatile int counter = 7;\n'
              'SEC("xdp") int p(void *ctx) { return counter; }\n'
              'char LICENSE[] SEC("license") = "GPL";\n')
    lib = bpf(tmp_path, "lib", "int counter = 1;\nint other = 2;\n")
    out = tmp_path / "final.bpf.o"
    run_cli("link", "-o", out, app, lib, check=True)
    linked = model.load(str(out))
    assert linked.warnings == []
    data = next(m for m in linked.maps if m.section == ".data")
    counter = next(v for v in data.vars if v.name == "counter" and v.is_public)
    assert counter.btf_offset == counter.offset == 4


def test_extern_placed_in_a_section_is_left_out(tmp_path: Path) -> None:
    obj = bpf(tmp_path, "ext", 'extern int provided SEC(".data");\nint own = 1;\n'
              'int get(void) { return provided + own; }\n')
    out = tmp_path / "ext.subskel.h"
    run_cli("subskel", obj, "-o", out, check=True)
    header = out.read_text()
    assert " *   provided\n" in header and "*provided;" not in header and "*own;" in header


def test_padding_names_do_not_collide_with_variables(tmp_path: Path) -> None:
    obj = bpf(tmp_path, "pad", "char c = 1;\nlong long __pad0 = 2;\n"
              'SEC("xdp") int p(void *ctx) { return c + __pad0; }\n'
              'char LICENSE[] SEC("license") = "GPL";\n')
    header = tmp_path / "pad.skel.h"
    run_cli("skel", obj, "-o", header, check=True)
    unit = tmp_path / "unit.c"
    unit.write_text('#include "pad.skel.h"\n')
    result = run_cc("gcc", unit, tmp_path / "unit.o", "-c", *STRICT, f"-I{tmp_path}")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(("source", "message"), [
    ("int linux = 1;\n", "variable name 'linux' is a standard C macro"),
    ("int errno = 1;\n", "variable name 'errno' is a standard C macro"),
    ("struct { int class; int ok; } cfg;\n",
     "anonymous struct or union with a member named 'class', which is a C or C++ keyword"),
    ('int q SEC(".data.a\\"b") = 1;\n', "cannot be written in a C string literal"),
])
def test_names_a_header_cannot_hold_are_refused(tmp_path: Path, source: str, message: str
                                                ) -> None:
    obj = bpf(tmp_path, "names", source)
    out = tmp_path / "names.subskel.h"
    result = run_cli("subskel", obj, "-o", out)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert message in result.stderr
    assert not out.exists()


def test_writing_through_a_symlink_and_refusing_devices(tmp_path: Path) -> None:
    obj = bpf(tmp_path, "w", "int x = 1;\n")
    (tmp_path / "link.h").symlink_to("real.h")
    run_cli("subskel", obj, "-o", tmp_path / "link.h", check=True)
    assert (tmp_path / "link.h").is_symlink() and "struct w {" in (tmp_path / "real.h").read_text()

    device = tmp_path / "null"
    subprocess.run(["mknod", str(device), "c", "1", "3"], check=True)
    result = run_cli("subskel", obj, "-o", device)
    assert result.returncode == 2 and "is not a regular file" in result.stderr
    assert device.is_char_device()


def test_a_failing_depfile_leaves_the_output_untouched(tmp_path: Path) -> None:
    obj = bpf(tmp_path, "d", "int x = 1;\n")
    out = tmp_path / "d.subskel.h"
    result = run_cli("subskel", obj, "-o", out, "--depfile", tmp_path / "nodir" / "d.d")
    assert result.returncode == 2
    assert result.stderr.strip() == (f"bpfsubskel: error: {tmp_path / 'nodir' / 'd.d'}: "
                                     "cannot write: No such file or directory")
    assert not out.exists()
