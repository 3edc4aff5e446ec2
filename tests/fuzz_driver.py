"""Fuzz one bpfsubskel command for a while, in this process; run by test_fuzz.py.

    python fuzz_driver.py WORKDIR COMMAND SECONDS SEED OBJECT...

Mutates the seed OBJECTs with objmut.mutate (structure-aware: ELF header, section
headers, symbols, BTF header, records and names), runs `bpfsubskel COMMAND` on each
mutant through cli.main, and checks the contract for bad input: exit 0 (or check's 1
with diagnostics) or exactly one `bpfsubskel: error:` line with exit 2; no internal
error, no traceback, no unprintable character in a message, no output file (not even
a temporary one) after a failure. Mutants that reach an outcome not seen before join
the pool that later mutants are made from (a cheap form of coverage guidance).

Memory is limited to 1 GiB and each run to 10 s by SIGALRM (its default action kills
the process, even inside libbpf): the parent then finds the input in WORKDIR/current.o.
A summary is printed as JSON on stdout.
"""

from __future__ import annotations

import io
import json
import os
import random
import re
import resource
import shutil
import signal
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from objmut import mutate

from bpfsubskel import cli

MEMORY_LIMIT = 1 << 30
TIME_LIMIT = 10


def command_line(command: str, mutant: Path, good: Path, out: Path, flip: bool) -> list[str]:
    if command == "subskel":
        return ["subskel", str(mutant), "-o", str(out / "x.subskel.h"), "--depfile",
                str(out / "x.d")]
    if command == "skel":
        return ["skel", str(mutant), "-o", str(out / "x.skel.h")]
    if command == "lskel":
        return ["skel", "-L", str(mutant), "-o", str(out / "x.lskel.h")]
    if command == "link":
        pair = [str(good), str(mutant)] if flip else [str(mutant), str(good)]
        return ["link", "-o", str(out / "x.bpf.o"), *pair]
    pair = [str(good), str(mutant)] if flip else [str(mutant), str(good)]
    if command == "check":
        return ["check", *pair, "--stamp", str(out / "x.stamp")]
    if command == "harness":
        return ["harness", *pair, "-o", str(out / "t.c"), "--lib-name", "lib",
                "--final-name", "app"]
    raise ValueError(command)


def run(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    old = sys.stderr
    sys.stderr = err
    try:
        rc = cli.main(argv)
    except SystemExit as e:  # argparse
        rc = e.code if isinstance(e.code, int) else 2
    finally:
        sys.stderr = old
    return rc, err.getvalue()


def problem(command: str, rc: int, stderr: str, out: Path) -> str | None:
    lines = stderr.splitlines()
    if "Traceback" in stderr or "internal error" in stderr:
        return "internal error or traceback"
    if not all(line.isprintable() for line in lines):
        return "unprintable character in a message"
    if "out of memory" in stderr:
        return "ran out of memory (1 GiB)"
    ours = [line for line in lines if line.startswith("bpfsubskel: ")]
    diagnostics = [line for line in lines if not line.startswith("bpfsubskel: ")]
    if diagnostics and command != "check":
        return "stray output on stderr"
    if rc == 0:
        if any(not line.startswith("bpfsubskel: warning: ") for line in ours):
            return "exit 0 with an error message"
        return None
    if rc == 1 and command == "check" and diagnostics:
        pass
    elif rc != 2:
        return f"exit status {rc}"
    else:
        errors = [line for line in ours if line.startswith("bpfsubskel: error: ")]
        if len(errors) != 1 or errors[0] != lines[-1] or diagnostics:
            return "not exactly one error line"
    if any(out.iterdir()):
        return f"output left after a failure: {sorted(p.name for p in out.iterdir())}"
    return None


def signature(rc: int, stderr: str) -> str:
    last = stderr.strip().splitlines()[-1] if stderr.strip() else ""
    last = re.sub(r"'[^']*'|\[\d+\]|\d+", "#", last.split(": ", 3)[-1])
    return f"{rc}:{last[:70]}"


def main() -> int:
    workdir, command, seconds, seed = Path(sys.argv[1]), sys.argv[2], float(sys.argv[3]), \
        int(sys.argv[4])
    seeds = [Path(p) for p in sys.argv[5:]]
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    rng = random.Random(seed)
    pool = [(p, p.read_bytes()) for p in seeds]
    out = workdir / "out"
    out.mkdir(parents=True, exist_ok=True)
    mutant = workdir / "in.bpf.o"
    current = workdir / "current.o"
    outcomes: Counter[str] = Counter()
    seen: set[str] = set()
    failures = []
    count = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        origin, data = rng.choice(pool)
        data = mutate(data, rng)
        mutant.write_bytes(data)
        current.write_bytes(data)
        good = rng.choice(seeds)
        flip = rng.random() < 0.5
        argv = command_line(command, mutant, good if command != "check" else origin, out, flip)
        signal.alarm(TIME_LIMIT)
        started = time.monotonic()
        rc, stderr = run(argv)
        signal.alarm(0)
        elapsed = time.monotonic() - started
        count += 1
        outcomes["exit 0" if rc == 0 else f"exit {rc}"] += 1
        found = problem(command, rc, stderr, out)
        if found is None and elapsed > TIME_LIMIT / 2:
            found = f"took {elapsed:.1f} s"
        if found:
            saved = workdir / f"failure-{len(failures)}.bpf.o"
            saved.write_bytes(data)
            failures.append({"problem": found, "argv": argv, "input": str(saved),
                             "stderr": stderr[-2000:]})
            if len(failures) >= 10:
                break
        sig = signature(rc, stderr)
        if sig not in seen:
            seen.add(sig)
            if len(pool) < 400:
                pool.append((origin, data))
        shutil.rmtree(out)
        out.mkdir()
    current.unlink(missing_ok=True)
    print(json.dumps({"command": command, "inputs": count, "outcomes": dict(outcomes),
                      "distinct_outcomes": len(seen), "failures": failures}))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
