"""`bpfsubskel link`: libbpf's static linker (bpf_linker__*) through ctypes, no bpftool.

libbpf's linker keeps a stale BTF offset when a later strong definition overrides a
weak one (see the reference, bug B5); linking the output again recomputes every offset
from the ELF symbols. So when the inputs define __weak symbols, or the first output's BTF
disagrees with its symbols, we relink the result until it stops changing; otherwise one
link is the answer.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Callable, Optional

from .errors import InputError, read_input, reading
from .libbpf import Libbpf

if TYPE_CHECKING:
    from .model import BpfObject

HELP = "statically link BPF objects with libbpf (bpftool gen object without bpftool)"
DESCRIPTION = """\
Link BPF objects into one with libbpf's static linker (the system libbpf.so.1). When
the inputs define __weak symbols (or the first output's BTF offsets disagree with its
symbols), link the result again until it is byte-stable, which repairs the stale BTF
offsets libbpf leaves behind when a strong definition overrides a __weak one. The output
is written only when its content changes.

    bpfsubskel link -o mylib.bpf.o counters.bpf.o config.bpf.o
"""

MAX_ROUNDS = 5


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", required=True, metavar="OUT.bpf.o",
                        help="linked object to write")
    parser.add_argument("inputs", nargs="+", metavar="IN.bpf.o", help="BPF objects to link")
    parser.add_argument("--depfile", metavar="D", help="write a gcc-style depfile")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="say on stderr how many times libbpf's linker ran")


class Linked:
    """The result of `link`: the bytes, the model of them (when it could be built) and
    how many times libbpf's linker ran."""

    def __init__(self, data: bytes, model: Optional[BpfObject], rounds: int) -> None:
        self.data = data
        self.model = model
        self.rounds = rounds


def link(inputs: list[str], output: str, check_input: Callable[[str], bool]) -> Linked:
    """Link `inputs` (relinking until stable when needed) and return the result.

    `check_input(path)` vets each input and says whether it defines __weak symbols.
    Relinking repairs stale weak-override offsets, but libbpf's linker matches BTF
    variables to symbols by name only, so relinking an object holding a static and a
    global of one name in one section can give the global the static's offset. Of the
    rounds, the first whose BTF agrees with its symbols wins; the stable one otherwise.
    Without __weak definitions in the inputs, a first round that agrees is the answer:
    further rounds could not win.
    """
    weak = False
    for path in inputs:
        weak = check_input(path) or weak
    libbpf = Libbpf("libbpf.so.1")
    with _scratch_directory() as tmp:
        path = os.path.join(tmp, "round0.o")
        libbpf.link_once(inputs, path)
        rounds = [read_input(path)]
        agrees, first = _judge(output, rounds[0])
        if agrees and not weak:
            return Linked(rounds[0], first, 1)
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
    runs = len(rounds) + 1
    if agrees:
        return Linked(rounds[0], first, runs)
    obj = first
    for data in rounds[1:]:
        agrees, obj = _judge(output, data)
        if agrees:
            return Linked(data, obj, runs)
    return Linked(rounds[-1], obj, runs)


@contextlib.contextmanager
def _scratch_directory() -> Iterator[str]:
    """A private directory for the linker's rounds, removed afterwards (what
    tempfile.TemporaryDirectory does, without importing tempfile and shutil)."""
    base = os.environ.get("TMPDIR") or "/tmp"
    for _ in range(100):
        path = os.path.join(base, f"bpfsubskel-link-{os.getpid()}-{os.urandom(4).hex()}")
        try:
            os.mkdir(path, 0o700)
            break
        except FileExistsError:
            continue
        except OSError as e:
            raise InputError(base, f"cannot create a temporary directory: {e.strerror}; "
                                   "set TMPDIR to a writable directory") from None
    else:
        raise InputError(base, "cannot create a temporary directory")
    try:
        yield path
    finally:
        for name in os.listdir(path):
            os.unlink(os.path.join(path, name))
        os.rmdir(path)


def _judge(output: str, data: bytes) -> tuple[bool, Optional[BpfObject]]:
    """Whether a linked object's BTF agrees with its symbols, and its model.

    An object our model cannot read counts as agreeing (libbpf accepted it), model None.
    """
    from .model import from_bytes

    try:
        obj = from_bytes(output, data)
    except InputError:
        return True, None
    return not obj.warnings, obj


def has_weak_definitions(path: str) -> bool:
    """Vet an input and say whether it defines __weak symbols.

    libbpf's linker is only ever given objects whose ELF structure and BTF bpfsubskel
    has validated (a malformed one can crash it), and runs in a child process anyway.
    """
    from .btf import parse
    from .elf import SHN_UNDEF, STB_WEAK, BpfElf

    data = read_input(path)
    with reading(path):
        elf = BpfElf(data)
        btf = elf.by_name.get(".BTF")
        if btf is None:  # libbpf's linker: "failed to find BTF info for object"
            raise InputError(path, "has no .BTF section, which libbpf's linker needs; compile "
                                   "it with -g (clang -target bpf -g)")
        parse(elf.section_bytes(btf))
    return any(s.bind == STB_WEAK and s.shndx != SHN_UNDEF for s in elf.symbols)


def add_batch_arguments(parser: argparse.ArgumentParser, what: str) -> None:
    """What the batch commands (library, final) share: the linking half, one depfile for
    all their outputs, --werror."""
    parser.add_argument("inputs", nargs="+", metavar="IN.bpf.o",
                        help=f"BPF objects to link into -o; without -o, the one {what} object "
                             "to work on as it is")
    parser.add_argument("-o", "--output", metavar="OUT.bpf.o",
                        help="linked object to write (as `bpfsubskel link`)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="say on stderr how many times libbpf's linker ran")
    parser.add_argument("--depfile", metavar="D",
                        help="write one gcc-style depfile for every output")
    parser.add_argument("--werror", action="store_true", help="treat warnings as errors")


def batch_object(args: argparse.Namespace, parser_name: str
                 ) -> tuple[str, BpfObject, list[tuple[str, bytes]]]:
    """For a batch command: the object to work on (path, model) and the output to write.

    With -o, the inputs are linked as `bpfsubskel link` does and the model is that of
    the result; without, the single input is the object.
    """
    from .cli import vet_warnings
    from .model import from_bytes, load

    if args.output is None:
        if len(args.inputs) != 1:
            raise InputError(args.inputs[1], f"{parser_name} without -o works on one object; "
                                             "pass -o OUT.bpf.o to link several")
        path = args.inputs[0]
        return path, vet_warnings(load(path), path, args.werror), []
    linked = link(args.inputs, args.output, has_weak_definitions)
    if args.verbose:
        _say_rounds(args.output, linked.rounds)
    obj = linked.model if linked.model is not None else from_bytes(args.output, linked.data)
    return args.output, vet_warnings(obj, args.output, args.werror), [(args.output, linked.data)]


def _say_rounds(output: str, rounds: int) -> None:
    print(f"bpfsubskel: {output}: libbpf's linker ran {rounds} time{'s' if rounds > 1 else ''}",
          file=sys.stderr)


def command(args: argparse.Namespace) -> int:
    from .cli import finish

    linked = link(args.inputs, args.output, has_weak_definitions)
    if args.verbose:
        _say_rounds(args.output, linked.rounds)
    finish(args.output, linked.data, args.depfile, list(args.inputs))
    return 0
