"""Externs libbpf's bpf_object__open rejects (bpf_object__collect_externs, libbpf 1.1-1.5).

`skel`, `check` and `harness` need a final object libbpf can open and say why not, in one
line; `subskel` accepts a library's unresolved externs, except one without BTF, which
neither libbpf's open nor its static linker can ever handle. Each object here is a real
clang object, and libbpf itself (through ctypes, in a subprocess) confirms it rejects it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CORPUS, compile_bpf, run_cli

HEADERS = "#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\n"
LICENSE = 'char LICENSE[] SEC("license") = "GPL";\n'

# References from inline assembly: ELF symbols (undefined, NOTYPE, GLOBAL) that clang
# gives no BTF, exactly like a unit assembled without -g.
NO_BTF = {
    "function": ('\tasm volatile("call asm_only_func" ::: "r0", "r1", "r2", "r3", "r4", '
                 '"r5");\n', "asm_only_func"),
    "variable": ('\tasm volatile("r1 = asm_only_var ll" ::: "r1");\n', "asm_only_var"),
}

_OPENS = """
import ctypes, sys
lib = ctypes.CDLL("libbpf.so.1")
lib.bpf_object__open_file.restype = ctypes.c_void_p
lib.bpf_object__open_file.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
sys.exit(0 if lib.bpf_object__open_file(sys.argv[1].encode(), None) else 1)
"""


def libbpf_opens(obj: Path) -> bool:
    result = subprocess.run([sys.executable, "-c", _OPENS, str(obj)], capture_output=True,
                            text=True)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode == 0


def bpf(tmp_path: Path, name: str, source: str) -> Path:
    path = tmp_path / f"{name}.bpf.c"
    path.write_text(HEADERS + source)
    return compile_bpf(path, tmp_path / f"{name}.bpf.o")


@pytest.fixture(scope="module")
def good_lib(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return compile_bpf(CORPUS / "maps.bpf.c", tmp_path_factory.mktemp("lib") / "maps.bpf.o")


def assert_refused(result: subprocess.CompletedProcess[str], path: Path, *words: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith(f"bpfsubskel: error: {path}: "), lines[0]
    for word in words:
        assert word in lines[0], lines[0]


def refused_everywhere(obj: Path, tmp_path: Path, good_lib: Path, *words: str,
                       library_too: bool) -> None:
    """skel, check (as the final object) and harness refuse it, writing nothing."""
    out = tmp_path / "out"
    out.mkdir()
    assert_refused(run_cli("skel", obj, "-o", out / "x.skel.h"), obj, *words)
    assert_refused(run_cli("check", good_lib, obj, "--stamp", out / "stamp"), obj, *words)
    assert_refused(run_cli("harness", good_lib, obj, "-o", out / "t.c", "--lib-name", "l",
                           "--final-name", "f"), obj, *words)
    subskel = run_cli("subskel", obj, "-o", out / "x.subskel.h")
    if library_too:
        assert_refused(subskel, obj, *words)
    else:
        assert subskel.returncode == 0, subskel.stderr
        (out / "x.subskel.h").unlink()
    assert not list(out.iterdir())


@pytest.mark.parametrize("kind", sorted(NO_BTF))
def test_extern_without_btf(kind: str, tmp_path: Path, good_lib: Path) -> None:
    asm, symbol = NO_BTF[kind]
    obj = bpf(tmp_path, "nobtf", "int own = 1;\n\nSEC(\"xdp\")\nint prog(void *ctx)\n{\n"
              f"{asm}\treturn own;\n}}\n\n{LICENSE}")
    assert not libbpf_opens(obj)
    refused_everywhere(obj, tmp_path, good_lib, f"extern '{symbol}' has no BTF",
                       "compile the file that uses it with -g", library_too=True)


def test_extern_shadowed_by_a_static_of_the_same_name(tmp_path: Path, good_lib: Path
                                                      ) -> None:
    """A static function first in BTF: libbpf matches the extern to it (EINVAL)."""
    first = bpf(tmp_path, "first", "static __noinline int helper(int x) { return x + 1; }\n"
                'SEC("xdp") int prog_a(struct xdp_md *ctx)\n'
                "{ return helper(ctx->rx_queue_index); }\n" + LICENSE)
    second = bpf(tmp_path, "second", "extern int helper(int x);\n"
                 'SEC("xdp") int prog_b(struct xdp_md *ctx)\n'
                 "{ return helper(ctx->ingress_ifindex); }\n")
    obj = tmp_path / "linked.bpf.o"
    run_cli("link", "-o", obj, first, second, check=True)
    assert not libbpf_opens(obj)
    # a library may still get the definition of `helper` from a later link
    refused_everywhere(obj, tmp_path, good_lib, "extern 'helper' has a static function",
                       "rename one", library_too=False)


def test_unresolved_extern_with_btf(tmp_path: Path, good_lib: Path) -> None:
    """Libraries may be unlinked; final objects may not, and check now says so too."""
    obj = compile_bpf(CORPUS / "extern_unresolved.bpf.c", tmp_path / "ext.bpf.o")
    assert not libbpf_opens(obj)
    refused_everywhere(obj, tmp_path, good_lib,
                       "unresolved externs (provided_elsewhere, shared_map)",
                       "bpfsubskel link", library_too=False)


def test_kconfig_function(tmp_path: Path, good_lib: Path) -> None:
    obj = bpf(tmp_path, "kfn", "extern int not_a_config(void) __kconfig;\n"
              'SEC("xdp") int prog(void *ctx) { return not_a_config(); }\n' + LICENSE)
    assert not libbpf_opens(obj)
    refused_everywhere(obj, tmp_path, good_lib, "extern function 'not_a_config'",
                       "declare it __ksym", library_too=True)


@pytest.mark.parametrize("stem", ["kconfig", "ksyms", "maps", "weak"])
def test_objects_libbpf_opens_are_accepted(stem: str, tmp_path: Path) -> None:
    """The rule is no wider than libbpf's: __kconfig/__ksym (weak too) externs open fine."""
    obj = compile_bpf(CORPUS / f"{stem}.bpf.c", tmp_path / f"{stem}.bpf.o")
    assert libbpf_opens(obj)
    result = run_cli("skel", obj, "-o", tmp_path / "x.skel.h")
    assert result.returncode == 0, result.stderr
