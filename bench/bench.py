#!/usr/bin/env python3
"""Benchmark bpfsubskel against bpftool on generated BPF objects of growing size.

For each size N this script generates a BPF C library with N globals (ints, arrays,
structs, pointers, function pointers) spread over .data, .rodata, .bss and a few
`.data.*`/`.rodata.*` sections, N/50 BTF maps and N/100 programs of several SEC types;
compiles it with `clang -target bpf -g -O2`; links it once with `bpftool gen object`
(so libbpf inside bpftool can open it); then times each command pair of COMMANDS
(bpfsubskel vs bpftool), interleaved in the same run, reporting the median and best
wall time and the peak RSS of each child process (from os.wait4, per child).

    python bench/bench.py                       # sizes 100 1000 10000, 5 repetitions
    python bench/bench.py --sizes 10000 --profile

This is a benchmark, not a test: it never fails on slowness, only on broken tools.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, NamedTuple, Optional

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SIZES = (100, 1000, 10000)

# ---------------------------------------------------------------------------------------
# Command pairs under test. Adding a pair (e.g. `skel` vs `bpftool gen skeleton`) is one
# entry: two functions from an Invocation to (argv, file that receives stdout or None).
# ---------------------------------------------------------------------------------------


class Invocation(NamedTuple):
    ours: list[str]  # the bpfsubskel command prefix, e.g. [python, -m, bpfsubskel]
    bpftool: str  # path of bpftool
    obj: str  # input BPF object (linked)
    out: str  # output file
    name: str  # C object name


Argv = tuple[list[str], Optional[str]]  # argv, and the file stdout goes to (None: discard)


@dataclass(frozen=True)
class CommandPair:
    description: str
    ours: Callable[[Invocation], Argv]
    theirs: Callable[[Invocation], Argv]
    suffix: str  # output file suffix


COMMANDS: dict[str, CommandPair] = {
    "subskel": CommandPair(
        "bpfsubskel subskel  vs  bpftool gen subskeleton",
        lambda i: ([*i.ours, "subskel", i.obj, "-o", i.out, "--name", i.name], None),
        lambda i: ([i.bpftool, "gen", "subskeleton", i.obj, "name", i.name], i.out),
        ".subskel.h",
    ),
    "skel": CommandPair(
        "bpfsubskel skel  vs  bpftool gen skeleton",
        lambda i: ([*i.ours, "skel", i.obj, "-o", i.out, "--name", i.name], None),
        lambda i: ([i.bpftool, "gen", "skeleton", i.obj, "name", i.name], i.out),
        ".skel.h",
    ),
    "link": CommandPair(
        "bpfsubskel link  vs  bpftool gen object",
        lambda i: ([*i.ours, "link", "-o", i.out, i.obj], None),
        lambda i: ([i.bpftool, "gen", "object", i.out, i.obj], None),
        ".relinked.bpf.o",
    ),
}
DEFAULT_COMMANDS = ("subskel",)

# ---------------------------------------------------------------------------------------
# BPF C source generation
# ---------------------------------------------------------------------------------------

INT_TYPES = (
    "char", "unsigned char", "short", "unsigned short", "int", "unsigned int", "long",
    "unsigned long", "long long", "unsigned long long", "__u8", "__s16", "__u32", "__s64",
    "_Bool",
)
FIELD_TYPES = ("int", "__u64", "char", "short", "unsigned int", "long long", "__u8")
# Data sections: (section attribute or "", kind). "bss" is uninitialised, "rodata" is
# `const volatile`. No `.bss.*` sections: bpftool 7.1's libbpf skips them, which would make
# the two tools' outputs (and work) differ.
SECTIONS = (
    ("", "data"),
    ("", "rodata"),
    ("", "bss"),
    ('SEC(".data.cfg")', "data"),
    ('SEC(".data.stats")', "data"),
    ('SEC(".rodata.tbl")', "rodata"),
    ("", "bss"),
    ('SEC(".data.big")', "data"),
)
MAP_TYPES = (
    "BPF_MAP_TYPE_HASH",
    "BPF_MAP_TYPE_ARRAY",
    "BPF_MAP_TYPE_PERCPU_ARRAY",
    "BPF_MAP_TYPE_LRU_HASH",
    "BPF_MAP_TYPE_PERCPU_HASH",
    "BPF_MAP_TYPE_RINGBUF",
)
PROG_SECS = (
    ("xdp", "struct xdp_md *ctx"),
    ("tc", "struct __sk_buff *ctx"),
    ("socket", "struct __sk_buff *ctx"),
    ("kprobe/do_nanosleep", "void *ctx"),
    ("tracepoint/syscalls/sys_enter_openat", "void *ctx"),
    ("raw_tp/sys_enter", "void *ctx"),
    ("perf_event", "void *ctx"),
    ("cgroup_skb/ingress", "struct __sk_buff *ctx"),
)


class Shape(NamedTuple):
    globals: int
    maps: int
    programs: int
    structs: int


def shape(size: int) -> Shape:
    return Shape(size, max(2, size // 50), max(1, size // 100), max(3, size // 100))


def generate_source(size: int, seed: int = 1) -> str:
    """A BPF C library: `size` globals, size/50 maps, size/100 programs. Deterministic."""
    rnd = random.Random(seed * 1_000_003 + size)
    sh = shape(size)
    out = [
        "/* Generated by bench/bench.py; do not edit. */",
        "#include <linux/bpf.h>",
        "#include <bpf/bpf_helpers.h>",
        "",
        "typedef unsigned int counter_t;",
        "typedef struct { int lo, hi; } range_t;",
        "enum mode { MODE_OFF, MODE_ON, MODE_AUTO = 7 };",
        "",
    ]
    # Struct types: ints, arrays, earlier structs (nested and arrays of), pointers.
    for s in range(sh.structs):
        out.append(f"struct s{s} {{")
        for f in range(rnd.randint(2, 6)):
            pick = rnd.random()
            if s and pick < 0.15:
                out.append(f"\tstruct s{rnd.randrange(s)} f{f};")
            elif s and pick < 0.25:
                out.append(f"\tstruct s{rnd.randrange(s)} f{f}[{rnd.randint(2, 4)}];")
            elif pick < 0.40:
                out.append(f"\t{rnd.choice(FIELD_TYPES)} f{f}[{rnd.randint(2, 16)}];")
            elif pick < 0.48:
                out.append(f"\tstruct s{rnd.randrange(s + 1)} *f{f};")
            elif pick < 0.52:
                out.append(f"\trange_t f{f};")
            else:
                out.append(f"\t{rnd.choice(FIELD_TYPES)} f{f};")
        out.append("};")
    out.append("")

    # Globals.
    names_by_kind: dict[str, list[str]] = {"data": [], "rodata": [], "bss": []}
    for g in range(sh.globals):
        sec, kind = SECTIONS[g % len(SECTIONS)]
        name = f"g{g}"
        pick = rnd.random()
        struct = f"struct s{rnd.randrange(sh.structs)}"
        if pick < 0.45:
            ctype, init, dims = rnd.choice(INT_TYPES), str(g % 100), ""
        elif pick < 0.60:
            ctype, init, dims = rnd.choice(INT_TYPES[:10]), "{ 1, 2 }", f"[{rnd.randint(2, 64)}]"
        elif pick < 0.65:
            ctype, init, dims = "char", '{ "str" }', f"[{rnd.randint(2, 8)}][16]"
        elif pick < 0.80:
            ctype, init, dims = struct, "{ 0 }", ""
        elif pick < 0.85:
            ctype, init, dims = struct, "{ { 0 } }", f"[{rnd.randint(2, 8)}]"
        elif pick < 0.88:
            ctype, init, dims = "counter_t", "3", ""
        elif pick < 0.91:
            ctype, init, dims = "enum mode", "MODE_ON", ""
        elif pick < 0.94:
            ctype, init, dims = "range_t", "{ 1, 2 }", ""
        elif pick < 0.98:
            # Pointers only in .bss: a pointer initialiser would need a relocation.
            kind, sec, init = "bss", "", ""
            ctype, dims = rnd.choice((f"{struct} *", "int *", "void *", "char *")), ""
        else:
            kind, sec, init, dims = "bss", "", "", ""
            ret = "int" if rnd.random() < 0.5 else "long"
            ctype, name = f"{ret} (*", f"{name})(int, void *)"  # a function pointer
        decl = f"{ctype}{name}{dims}" if ctype.endswith(("*", "(*")) else f"{ctype} {name}{dims}"
        if kind == "rodata":
            decl = "const volatile " + decl
        if sec:
            decl += " " + sec
        if kind != "bss":
            decl += f" = {init}"
        out.append(decl + ";")
        names_by_kind[kind].append(f"g{g}")
    out.append("")

    # BTF-defined maps.
    lookup_maps = []
    for m in range(sh.maps):
        mtype = MAP_TYPES[m % len(MAP_TYPES)]
        out.append("struct {")
        out.append(f"\t__uint(type, {mtype});")
        if mtype == "BPF_MAP_TYPE_RINGBUF":
            out.append("\t__uint(max_entries, 4096);")
        else:
            out.append(f"\t__uint(max_entries, {rnd.choice((1, 16, 1024, 10240))});")
            out.append("\t__type(key, __u32);")
            out.append(f"\t__type(value, struct s{rnd.randrange(sh.structs)});")
            lookup_maps.append(f"map{m}")
        out.append(f'}} map{m} SEC(".maps");')
    out.append("")

    # Programs: each reads a few globals and looks up a map.
    scalars = [n for n in names_by_kind["data"] + names_by_kind["rodata"]]
    for p in range(sh.programs):
        sec, ctx = PROG_SECS[p % len(PROG_SECS)]
        used = rnd.sample(scalars, min(3, len(scalars)))
        out.append(f'SEC("{sec}")')
        out.append(f"int prog{p}({ctx})")
        out.append("{")
        out.append("\t__u32 key = 0;")
        out.append(f"\tvoid *v = bpf_map_lookup_elem(&{rnd.choice(lookup_maps)}, &key);")
        out.append("\tlong acc = v ? 1 : 0;")
        out.extend(f"\tacc += (long)sizeof({u}) + *(volatile char *)&{u};" for u in used)
        out.append("\treturn acc & 1;")
        out.append("}")
        out.append("")
    out.append('char LICENSE[] SEC("license") = "GPL";')
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------
# Building objects
# ---------------------------------------------------------------------------------------


def write_if_changed(path: Path, text: str) -> bool:
    if path.exists() and path.read_text() == text:
        return False
    path.write_text(text)
    return True


def multiarch_include() -> list[str]:
    try:
        triple = subprocess.run(["gcc", "-print-multiarch"], capture_output=True, text=True,
                                check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return []
    return [f"-I/usr/include/{triple}"] if triple else []


def build_object(size: int, workdir: Path, clang: str, bpftool: str) -> Path:
    """Generate, compile and link the library of `size` globals; reuse up-to-date files."""
    src = workdir / f"lib{size}.bpf.c"
    raw = workdir / f"lib{size}.o"
    linked = workdir / f"lib{size}.bpf.o"
    changed = write_if_changed(src, generate_source(size))
    if changed or not linked.exists() or linked.stat().st_mtime < src.stat().st_mtime:
        t0 = time.perf_counter()
        cmd = [clang, "-target", "bpf", "-g", "-O2", *multiarch_include(), "-c", str(src),
               "-o", str(raw)]
        run_checked(cmd)
        run_checked([bpftool, "gen", "object", str(linked), str(raw)])
        print(f"  built {linked.name} ({linked.stat().st_size // 1024} KiB) in "
              f"{time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return linked


def run_checked(cmd: list[str]) -> None:
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"bench: command failed ({r.returncode}): {shlex.join(cmd)}\n{r.stderr}")


# ---------------------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------------------


# Why a launcher: Linux's ru_maxrss of a child counts the memory it had *before* exec, and
# a child of this script starts as a copy of this Python process (vfork shares its memory),
# so os.wait4 on a directly Popen'd bpftool reports at least this script's own peak RSS
# (~19 MB; a 1 MB /bin/true "uses" 200 MB after this process touches 200 MB). This tiny C
# launcher forks the real command from a ~1 MB process, waits for it with wait4 and writes
# that child's own wall time, CPU time and ru_maxrss to a file.
LAUNCHER_C = r"""
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	struct rusage ru;
	int status;
	FILE *f;
	pid_t pid;

	if (argc < 3)
		return 125;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	if (pid < 0)
		return 125;
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) < 0)
		return 125;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	f = fopen(argv[1], "w");
	if (!f)
		return 125;
	fprintf(f, "%lld %ld %ld %ld %ld %ld\n",
		(long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec),
		(long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec,
		(long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec, ru.ru_maxrss);
	if (fclose(f))
		return 125;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
"""


def build_launcher(workdir: Path) -> Optional[str]:
    """Compile the launcher with the host C compiler; None (with a note) if there is none."""
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    src, exe = workdir / "rusage-launcher.c", workdir / "rusage-launcher"
    if cc:
        write_if_changed(src, LAUNCHER_C)
        if exe.exists() and exe.stat().st_mtime >= src.stat().st_mtime:
            return str(exe)
        r = subprocess.run([cc, "-O2", "-o", str(exe), str(src)], capture_output=True,
                           text=True)
        if r.returncode == 0:
            return str(exe)
    print("bench: note: no C compiler for the rusage launcher; peak MB below this script's "
          "own RSS (~20 MB) cannot be measured and shows as that floor", file=sys.stderr)
    return None


class Run(NamedTuple):
    seconds: float
    cpu_seconds: float  # user + system of the child
    maxrss_kib: int
    status: int
    stderr: str


def run_once(argv: list[str], stdout_path: Optional[str], launcher: Optional[str] = None
             ) -> Run:
    """Wall time, CPU time and peak RSS of one child, from os.wait4 (never RUSAGE_CHILDREN).

    With `launcher`, the figures are those the launcher's own wait4 got for the command
    (see LAUNCHER_C); without, those of the Popen'd command itself.
    """
    with open(stdout_path or os.devnull, "wb") as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r", prefix="rusage-") as report:
        full = [launcher, report.name, *argv] if launcher else argv
        t0 = time.perf_counter()
        proc = subprocess.Popen(full, stdout=out, stderr=err)
        _, wstatus, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(wstatus)  # Popen must not wait again
        err.seek(0)
        message = err.read().decode(errors="replace")
        fields = report.read().split() if launcher else []
    if len(fields) == 6:
        wall_ns, us, uus, ss, sus, maxrss = (int(x) for x in fields)
        return Run(wall_ns / 1e9, us + uus / 1e6 + ss + sus / 1e6, maxrss, proc.returncode,
                   message)
    if launcher and proc.returncode == 0:
        message += "\nbench: the rusage launcher wrote no report"
        return Run(elapsed, 0.0, 0, 125, message)
    cpu = usage.ru_utime + usage.ru_stime
    return Run(elapsed, cpu, usage.ru_maxrss, proc.returncode, message)  # ru_maxrss: KiB on Linux


class Stats(NamedTuple):
    median_ms: float
    best_ms: float
    cpu_median_ms: float
    peak_mb: float


def summarize(runs: list[Run]) -> Stats:
    times = [r.seconds * 1000 for r in runs]
    cpu = statistics.median(r.cpu_seconds * 1000 for r in runs)
    return Stats(statistics.median(times), min(times), cpu,
                 max(r.maxrss_kib for r in runs) / 1024)


def bench_pair(pair: CommandPair, inv: Invocation, repeat: int, launcher: Optional[str]
               ) -> Optional[tuple[Stats, Stats]]:
    """Run both sides `repeat` times, interleaved (plus one untimed warm-up each)."""
    sides = {"bpftool": pair.theirs(inv), "ours": pair.ours(inv)}
    runs: dict[str, list[Run]] = {"bpftool": [], "ours": []}
    for rep in range(repeat + 1):
        order = ("bpftool", "ours") if rep % 2 else ("ours", "bpftool")
        for side in order:
            argv, stdout_path = sides[side]
            if os.path.exists(inv.out):
                os.unlink(inv.out)  # bpfsubskel skips unchanged outputs: always write
            r = run_once(argv, stdout_path, launcher)
            if r.status != 0 or not os.path.exists(inv.out) or not os.path.getsize(inv.out):
                print(f"bench: {side} failed (exit {r.status}, output "
                      f"{'missing/empty' if r.status == 0 else 'n/a'}): {shlex.join(argv)}\n"
                      f"{r.stderr.strip()}", file=sys.stderr)
                return None
            if rep:  # the first round warms the page cache and Python's bytecode cache
                runs[side].append(r)
    return summarize(runs["bpftool"]), summarize(runs["ours"])


# ---------------------------------------------------------------------------------------
# Profiling (--profile): where bpfsubskel spends its time on the largest object
# ---------------------------------------------------------------------------------------

PROFILE_SNIPPET = """\
import cProfile, pstats, sys
from bpfsubskel import cli
obj, out, top = sys.argv[1], sys.argv[2], int(sys.argv[3])
prof = cProfile.Profile()
prof.enable()
status = cli.main(["subskel", obj, "-o", out])
prof.disable()
assert status == 0, status
stats = pstats.Stats(prof, stream=sys.stdout).strip_dirs()
print("--- cProfile: top %d by cumulative time ---" % top)
stats.sort_stats("cumulative").print_stats(top)
print("--- cProfile: top %d by own time (tottime) ---" % top)
stats.sort_stats("tottime").print_stats(top)
"""


# Phases of one run, timed without a profiler (cProfile inflates Python-heavy code). Uses
# bpfsubskel internals, so it is best-effort: a refactoring there only loses this listing.
PHASES_SNIPPET = """\
import json, sys, time
t = time.perf_counter
phases = {}
t0 = t()
import bpfsubskel.cli, bpfsubskel.model, bpfsubskel.subskel, bpfsubskel.render
phases["import bpfsubskel (cli, model, subskel, render, btf, cdecl)"] = t() - t0
t0 = t(); import jinja2; phases["import jinja2"] = t() - t0
from bpfsubskel import btf, elf, model, render, subskel
obj_path, out = sys.argv[1], sys.argv[2]
t0 = t(); data = open(obj_path, "rb").read(); e = elf.BpfElf(data)
phases["elf.BpfElf (sections + symbols)"] = t() - t0
t0 = t(); btf.parse(e.section_bytes(e.by_name[".BTF"])); phases["btf.parse"] = t() - t0
t0 = t(); obj = model.load(obj_path); total_load = t() - t0
phases["model._Builder (rest of model.load)"] = total_load - sum(
    v for k, v in phases.items() if k.startswith(("elf.", "btf.")))
t0 = t(); ctx = subskel.build_context(obj, "x"); phases["subskel.build_context (cdecl)"] = t() - t0
t0 = t(); render._template("subskel.h.j2")
phases["jinja2 template load (precompiled when installed) or compile"] = t() - t0
t0 = t(); text = render.render("subskel.h.j2", **ctx); phases["jinja2 render"] = t() - t0
t0 = t(); render.write_outputs([(out, text)]); phases["write_outputs"] = t() - t0
print(json.dumps(phases))
"""


def phase_breakdown(python: str, obj: Path, out: str, env: dict[str, str], runs: int = 5) -> None:
    samples: dict[str, list[float]] = {}
    for _ in range(runs):
        if os.path.exists(out):
            os.unlink(out)
        r = subprocess.run([python, "-c", PHASES_SNIPPET, str(obj), out], env=env,
                           capture_output=True, text=True)
        if r.returncode != 0:
            last = (r.stderr.strip().splitlines() or ["?"])[-1]
            print(f"(phase breakdown unavailable, bpfsubskel internals changed: {last})")
            return
        for phase, seconds in json.loads(r.stdout).items():
            samples.setdefault(phase, []).append(seconds * 1000)
    medians = {phase: statistics.median(v) for phase, v in samples.items()}
    total = sum(medians.values())
    print(f"\n--- phases of one run, no profiler (median of {runs} fresh processes; "
          "excludes interpreter start-up) ---")
    for phase, ms in medians.items():
        print(f"{ms:8.1f} ms {100 * ms / total:5.1f} %  {phase}")
    print(f"{total:8.1f} ms 100.0 %  total")


def profile(python: str, obj: Path, workdir: Path, top: int) -> None:
    out = str(workdir / "profile.subskel.h")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    print(f"\n=== profile of bpfsubskel subskel {obj.name} ({python}) ===")

    # Interpreter floor: what any Python CLI pays before doing work.
    for label, code in (("python -c pass", ["-c", "pass"]),
                        ("python -m bpfsubskel --version", ["-m", "bpfsubskel", "--version"])):
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            subprocess.run([python, *code], env=env, capture_output=True, check=True)
            times.append((time.perf_counter() - t0) * 1000)
        print(f"{label:34} median {statistics.median(times):7.1f} ms")

    # python -X importtime: per-module import cost, sorted by cumulative time.
    r = subprocess.run([python, "-X", "importtime", "-m", "bpfsubskel", "subskel", str(obj),
                        "-o", out], env=env, capture_output=True, text=True)
    if r.returncode != 0:
        print(f"bench: profiled run failed:\n{r.stderr}", file=sys.stderr)
        return
    rows = []
    for line in r.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        self_us, cumulative_us, module = line[len("import time:"):].split("|", 2)
        rows.append((int(cumulative_us), int(self_us), module[1:].rstrip()))  # keeps nesting
    total = sum(c for c, _, m in rows if not m.startswith(" "))
    print(f"\n--- python -X importtime: top {top} by cumulative time "
          f"(top-level imports total {total / 1000:.1f} ms) ---")
    print(f"{'cumul ms':>9} {'self ms':>8}  module")
    for cumulative, self_us, module in sorted(rows, reverse=True)[:top]:
        print(f"{cumulative / 1000:9.1f} {self_us / 1000:8.1f}  {module}")

    phase_breakdown(python, obj, out, env)

    # cProfile of one in-process run of cli.main.
    print()
    r = subprocess.run([python, "-c", PROFILE_SNIPPET, str(obj), out, str(top)], env=env,
                       capture_output=True, text=True)
    print(r.stdout.rstrip())
    if r.returncode != 0:
        print(f"bench: cProfile run failed:\n{r.stderr}", file=sys.stderr)


# ---------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------


def find_bpftool(requested: Optional[str]) -> Optional[str]:
    if requested:
        return shutil.which(requested) or (requested if os.access(requested, os.X_OK) else None)
    for candidate in ("bpftool", "/usr/sbin/bpftool", "/usr/local/sbin/bpftool"):
        found = shutil.which(candidate)
        if found:
            return found
    return None


def parse_args(argv: Optional[list[str]]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES),
                   metavar="N", help="numbers of globals (default: %(default)s)")
    p.add_argument("--repeat", type=int, default=5, metavar="R",
                   help="timed runs per tool and size, after one warm-up (default: 5)")
    p.add_argument("--bpfsubskel", metavar="CMD",
                   help="command running bpfsubskel, split like a shell would "
                        "(default: the current Python -m bpfsubskel, repo on PYTHONPATH)")
    p.add_argument("--bpftool", metavar="PATH", help="bpftool to compare with (default: PATH, "
                   "then /usr/sbin/bpftool)")
    p.add_argument("--clang", default="clang", metavar="PATH", help="clang (default: clang)")
    p.add_argument("--commands", nargs="+", choices=sorted(COMMANDS),
                   default=list(DEFAULT_COMMANDS), help="command pairs to time "
                   "(default: %(default)s)")
    p.add_argument("--keep", metavar="DIR", type=Path,
                   help="keep sources, objects and outputs in DIR (reused when up to date)")
    p.add_argument("--no-bytecode-cache", action="store_true",
                   help="leave PYTHONDONTWRITEBYTECODE/PYTHONPYCACHEPREFIX as they are "
                        "(default: cache bytecode in the work directory, as an install would)")
    p.add_argument("--profile", action="store_true",
                   help="also profile bpfsubskel subskel on the largest object "
                        "(-X importtime and cProfile)")
    p.add_argument("--profile-top", type=int, default=20, metavar="K",
                   help="entries in each profile listing (default: 20)")
    args = p.parse_args(argv)
    if args.repeat < 1 or any(s < 1 for s in args.sizes):
        p.error("--repeat and --sizes must be positive")
    return args


def main(argv: Optional[list[str]] = None) -> int:
    args = parse_args(argv)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(line_buffering=True)  # keep tables and errors in order
    bpftool = find_bpftool(args.bpftool)
    if bpftool is None:
        where = args.bpftool or "bpftool in PATH, /usr/sbin or /usr/local/sbin"
        print(f"bench: bpftool not found ({where}); install it (Debian: apt-get install "
              "bpftool) or pass --bpftool PATH. Skipping the benchmark.", file=sys.stderr)
        return 0
    if shutil.which(args.clang) is None:
        print(f"bench: {args.clang} not found; install clang or pass --clang. Skipping.",
              file=sys.stderr)
        return 0
    if args.bpfsubskel:
        ours = shlex.split(args.bpfsubskel)
    else:
        ours = [sys.executable, "-m", "bpfsubskel"]
        os.environ["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)

    tmp = None
    if args.keep:
        workdir = args.keep.resolve()
        workdir.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="bpfsubskel-bench-")
        workdir = Path(tmp.name)
    if not args.no_bytecode_cache:
        # An installed package has its .pyc files. A source checkout run with
        # PYTHONDONTWRITEBYTECODE=1 recompiles every bpfsubskel module on each run (~15 ms);
        # cache bytecode under the work directory instead (never inside the repository).
        os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
        os.environ["PYTHONPYCACHEPREFIX"] = str(workdir / "pycache")
    try:
        print(f"bench: building objects in {workdir}", file=sys.stderr)
        objects = {size: build_object(size, workdir, args.clang, bpftool)
                   for size in sorted(set(args.sizes))}
        launcher = build_launcher(workdir)
        print(f"bpfsubskel: {shlex.join(ours)}\nbpftool:    {bpftool}\n"
              f"repetitions: {args.repeat} (+1 warm-up), interleaved; ms = median wall-clock "
              "time of the whole process, (best) = fastest run, (cpu) = median user+sys CPU; "
              "ratio = ours/bpftool median wall; MB = max ru_maxrss of the child")
        failed = False
        for command in args.commands:
            pair = COMMANDS[command]
            print(f"\n{command}: {pair.description}")
            header = (f"{'globals':>7} {'maps':>5} {'progs':>5} {'obj KiB':>8} | "
                      f"{'bpftool ms':>10} {'(best)':>7} {'(cpu)':>7} | "
                      f"{'ours ms':>8} {'(best)':>7} {'(cpu)':>7} | "
                      f"{'ratio':>5} | {'bpftool MB':>10} {'ours MB':>8}")
            print(header)
            print("-" * len(header))
            for size, obj in objects.items():
                sh = shape(size)
                inv = Invocation(ours, bpftool, str(obj),
                                 str(workdir / f"lib{size}{pair.suffix}"), f"lib{size}")
                result = bench_pair(pair, inv, args.repeat, launcher)
                if result is None:
                    failed = True
                    continue
                theirs, mine = result
                print(f"{size:>7} {sh.maps:>5} {sh.programs:>5} {obj.stat().st_size // 1024:>8} |"
                      f" {theirs.median_ms:>10.1f} {theirs.best_ms:>7.1f}"
                      f" {theirs.cpu_median_ms:>7.1f} |"
                      f" {mine.median_ms:>8.1f} {mine.best_ms:>7.1f} {mine.cpu_median_ms:>7.1f} |"
                      f" {mine.median_ms / theirs.median_ms:>5.2f} |"
                      f" {theirs.peak_mb:>10.1f} {mine.peak_mb:>8.1f}", flush=True)
        if args.profile:
            python = ours[0] if not args.bpfsubskel else sys.executable
            profile(python, objects[max(objects)], workdir, args.profile_top)
        return 1 if failed else 0
    finally:
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    sys.exit(main())
