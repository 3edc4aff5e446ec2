"""Fuzzing every command with structure-aware mutants of the corpus, and name injection.

BPFSUBSKEL_FUZZ_SECONDS (default 60) is the total fuzzing time, shared by the commands;
BPFSUBSKEL_FUZZ_SEED picks the mutations (default: a fixed seed, so CI runs repeat).
Each command is fuzzed in its own subprocess (fuzz_driver.py) limited to 1 GiB of memory
and 10 s per input; its JSON summary is printed (pytest -s shows it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CORPUS, TESTS, run_cc
from objmut import HOSTILE_NAMES, Obj

from bpfsubskel import cli

COMMANDS = ["subskel", "skel", "lskel", "link", "check", "harness"]
TOTAL_SECONDS = float(os.environ.get("BPFSUBSKEL_FUZZ_SECONDS", "60"))
SEED = int(os.environ.get("BPFSUBSKEL_FUZZ_SEED", "11"))


@pytest.mark.parametrize("command", COMMANDS)
def test_fuzz(command: str, corpus_objects: dict[str, Path], tmp_path: Path) -> None:
    seconds = TOTAL_SECONDS / len(COMMANDS)
    seeds = [str(p) for p in corpus_objects.values()]
    result = subprocess.run(
        [sys.executable, str(TESTS / "fuzz_driver.py"), str(tmp_path), command, str(seconds),
         str(SEED), *seeds],
        capture_output=True, text=True, timeout=seconds + 120)
    if result.returncode < 0 or result.returncode == -14:
        current = tmp_path / "current.o"
        pytest.fail(f"{command}: killed by signal {-result.returncode} (SIGALRM: more than "
                    f"10 s) on the input saved in {current}\n{result.stderr[-3000:]}")
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout)
    print(f"\nfuzz {command}: {summary['inputs']} inputs, outcomes {summary['outcomes']}, "
          f"{summary['distinct_outcomes']} distinct")
    assert summary["inputs"] > 0
    failures = summary["failures"]
    assert not failures, "\n\n".join(
        f"{f['problem']}: bpfsubskel {' '.join(f['argv'])}\n(input kept in {f['input']})\n"
        f"{f['stderr']}" for f in failures)


# -- name injection ---------------------------------------------------------------------------

INJECTION_OBJECTS = ["types", "anon_types", "struct_ops", "struct_ops_shapes", "kconfig",
                     "extern_unresolved", "maps", "programs", "sections", "strings"]


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    rc = cli.main(argv)
    return rc, capsys.readouterr().err


def _outputs(obj: Path, out: Path, capsys: pytest.CaptureFixture[str]
             ) -> dict[str, tuple[int, str, str]]:
    """{command: (exit status, stderr, header text)} for subskel and skel."""
    results = {}
    for command in ("subskel", "skel"):
        header = out / f"x.{command}.h"
        rc, err = _run([command, str(obj), "-o", str(header), "--name", "x"], capsys)
        results[command] = (rc, err, header.read_text() if rc == 0 else "")
        header.unlink(missing_ok=True)
    return results


def _compiles(text: str, tmp_path: Path) -> str:
    src = tmp_path / "inj.c"
    src.write_text(text + "\nint main(void) { return 0; }\n")
    result = run_cc("cc", src, tmp_path / "inj", "-fsyntax-only", "-Wall", "-Werror",
                    f"-I{CORPUS}", "-include", "corpus_types.h", "-include", "bpf/libbpf.h")
    return result.stderr


@pytest.mark.parametrize("stem", INJECTION_OBJECTS)
def test_name_injection(stem: str, corpus_objects: dict[str, Path], tmp_path: Path,
                        capsys: pytest.CaptureFixture[str]) -> None:
    """Every BTF name and every symbol name, in turn, replaced by hostile text: each
    command either refuses the object with one error line, or writes what it wrote for
    the original (but for the embedded object bytes), or C that holds none of the
    hostile text and compiles."""
    original = corpus_objects[stem].read_bytes()
    baseline = _outputs(corpus_objects[stem], tmp_path, capsys)
    obj = Obj(original)
    targets: list[tuple[str, int]] = [("btf", f) for r in obj.btf_records()
                                      for f in r.name_fields]
    targets += [("sym", p) for p in obj.symbol_positions()]
    compiled: set[str] = set()
    tried = refused = 0
    for n, (where, pos) in enumerate(targets):
        name = HOSTILE_NAMES[n % len(HOSTILE_NAMES)]
        mutant = Obj(original)
        if where == "btf":
            mutant.set_btf_name(pos, name)
        else:
            mutant.set_symbol_name(pos, name)
        path = tmp_path / "inj.bpf.o"
        path.write_bytes(bytes(mutant.data))
        for command, (rc, err, text) in _outputs(path, tmp_path, capsys).items():
            tried += 1
            lines = err.strip().splitlines()
            assert "internal error" not in err and "Traceback" not in err, err
            assert all(line.isprintable() for line in lines), err
            if rc != 0:
                assert rc == 2 and len(lines) >= 1 and lines[-1].startswith(
                    "bpfsubskel: error: "), err
                refused += 1
                continue
            full = text
            if command == "skel":  # the object's bytes are embedded: compare the rest
                text = text.split("__elf_bytes(size_t *sz)\n{")[0]
                base = baseline[command][2].split("__elf_bytes(size_t *sz)\n{")[0]
            else:
                base = baseline[command][2]
            if text == base:
                continue
            # The name may appear escaped (in a comment), never as it is.
            raw = name.decode("utf-8", "surrogateescape")
            assert b"PWNED" not in name or raw not in full, \
                f"{where} {pos} -> {name!r} reached {command}:\n{text}"
            if text not in compiled:
                problems = _compiles(full, tmp_path)
                assert not problems, f"{where} {pos} -> {name!r} ({command}):\n{problems}"
                compiled.add(text)
    print(f"\nname injection {stem}: {len(targets)} names, {tried} runs, {refused} refused, "
          f"{len(compiled)} changed outputs compiled")
