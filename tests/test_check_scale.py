"""`bpfsubskel check` on a library with thousands of globals: linear, and still exact."""

from __future__ import annotations

from pathlib import Path

from conftest import compile_bpf, run_cli

N = 3000


def source(changed: bool) -> str:
    """N globals over .data/.bss/.rodata, a few struct types; `changed` drops the last
    variable and widens one in the middle."""
    lines = ["#include <linux/bpf.h>", "#include <bpf/bpf_helpers.h>",
             *(f"struct s{k} {{ int a; long b[{k + 1}]; }};" for k in range(8))]
    for g in range(N - 1 if changed else N):
        kind = g % 3
        ctype = "long" if changed and g == N // 2 else ("int" if g % 2 else f"struct s{g % 8}")
        if kind == 0:
            zero = "struct" in ctype or ctype == "long"  # zero-initialised: .bss
            lines.append(f"{ctype} g{g} = {{ 0 }};" if zero else f"{ctype} g{g} = 1;")
        elif kind == 1:
            lines.append(f"{ctype} g{g};")
        else:
            lines.append(f"const volatile {ctype} g{g} = {{ 0 }};" if "struct" in ctype
                         else f"const volatile {ctype} g{g} = 2;")
    lines.append('char LICENSE[] SEC("license") = "GPL";')
    return "\n".join(lines) + "\n"


def test_check_scales_and_finds_exactly_the_differences(tmp_path: Path) -> None:
    objects = {}
    for name, changed in (("lib", False), ("final", True)):
        src = tmp_path / f"{name}.bpf.c"
        src.write_text(source(changed))
        objects[name] = compile_bpf(src, tmp_path / f"{name}.bpf.o")
    same = run_cli("check", objects["lib"], objects["lib"])
    assert (same.returncode, same.stderr) == (0, "")
    result = run_cli("check", objects["lib"], objects["final"])
    assert result.returncode == 1
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 2, errors
    assert f"variable 'g{N // 2}' in '.bss' has a different type" in errors[0]
    assert "long" in errors[0]
    assert f"variable 'g{N - 1}'" in errors[1] and "missing" in errors[1]
