"""`bpfsubskel link`: libbpf's static linker (bpf_linker__*) through ctypes, no bpftool.

libbpf's linker keeps a stale BTF offset when a later strong definition overrides a
weak one (see the reference, bug B5); linking the output again recomputes every offset
from the ELF symbols. So we link, then relink the result until it stops changing.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from typing import Callable

from .errors import InputError, read_input, reading
from .libbpf import Libbpf

HELP = "statically link BPF objects with libbpf (bpftool gen object without bpftool)"
DESCRIPTION = """\
Link BPF objects into one with libbpf's static linker (the system libbpf.so.1), then
link the result again until it is byte-stable, which repairs the stale BTF offsets
libbpf leaves behind when a strong definition overrides a __weak one. The output is
written only when its content changes.

    bpfsubskel link -o mylib.bpf.o counters.bpf.o config.bpf.o
"""

MAX_ROUNDS = 5


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", required=True, metavar="OUT.bpf.o",
                        help="linked object to write")
    parser.add_argument("inputs", nargs="+", metavar="IN.bpf.o", help="BPF objects to link")
    parser.add_argument("--depfile", metavar="D", help="write a gcc-style depfile")


def link(inputs: list[str], output: str, check_input: Callable[[str], None]) -> bytes:
    """Link `inputs`, relink until stable, and return the bytes of the result.

    Relinking repairs stale weak-override offsets, but libbpf's linker matches BTF
    variables to symbols by name only, so relinking an object holding a static and a
    global of one name in one section can give the global the static's offset. Of the
    rounds, the first whose BTF agrees with its symbols wins; the stable one otherwise.
    """
    for path in inputs:
        check_input(path)
    libbpf = Libbpf("libbpf.so.1")
    with tempfile.TemporaryDirectory(prefix="bpfsubskel-link-") as tmp:
        path = os.path.join(tmp, "round0.o")
        libbpf.link_once(inputs, path)
        rounds = [read_input(path)]
        for round_no in range(1, MAX_ROUNDS + 1):
            previous, path = path, os.path.join(tmp, f"round{round_no}.o")
            libbpf.link_once([previous], path)
            data = read_input(path)
            if data == rounds[-1]:
                break
            rounds.append(data)
        else:
            raise InputError(output, f"the linked object still changes after {MAX_ROUNDS} "
                                     "relinks")
    return next((data for data in rounds if _btf_agrees_with_symbols(output, data)),
                rounds[-1])


def _btf_agrees_with_symbols(output: str, data: bytes) -> bool:
    from .model import from_bytes

    try:
        return not from_bytes(output, data).warnings
    except InputError:
        return True  # nothing our model can judge; libbpf accepted it


def _check_bpf_object(path: str) -> None:
    """Give our own one-line error for inputs that are not BPF objects at all.

    libbpf's linker is only ever given objects whose ELF structure and BTF bpfsubskel
    has validated (a malformed one can crash it), and runs in a child process anyway.
    """
    from .btf import parse
    from .elf import BpfElf

    data = read_input(path)
    with reading(path):
        elf = BpfElf(data)
        btf = elf.by_name.get(".BTF")
        if btf is not None:
            parse(elf.section_bytes(btf))


def command(args: argparse.Namespace) -> int:
    from .cli import finish

    data = link(args.inputs, args.output, _check_bpf_object)
    finish(args.output, data, args.depfile, list(args.inputs))
    return 0
