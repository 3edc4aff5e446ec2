"""`bpfsubskel link`: libbpf's static linker (bpf_linker__*) through ctypes, no bpftool.

libbpf's linker keeps a stale BTF offset when a later strong definition overrides a
weak one (see the reference, bug B5); linking the output again recomputes every offset
from the ELF symbols. So we link, then relink the result until it stops changing.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import tempfile
from typing import Callable

from .errors import InputError, read_input, reading

HELP = "statically link BPF objects with libbpf (bpftool gen object without bpftool)"
DESCRIPTION = """\
Link BPF objects into one with libbpf's static linker (the system libbpf.so.1), then
link the result again until it is byte-stable, which repairs the stale BTF offsets
libbpf leaves behind when a strong definition overrides a __weak one. The output is
written only when its content changes.

    bpfsubskel link -o mylib.bpf.o counters.bpf.o config.bpf.o
"""

MAX_ROUNDS = 5

_PRINT_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", required=True, metavar="OUT.bpf.o",
                        help="linked object to write")
    parser.add_argument("inputs", nargs="+", metavar="IN.bpf.o", help="BPF objects to link")
    parser.add_argument("--depfile", metavar="D", help="write a gcc-style depfile")


class _Libbpf:
    """The few libbpf functions the linker needs, with a log captured per call."""

    def __init__(self) -> None:
        try:
            lib = ctypes.CDLL("libbpf.so.1")
            libc = ctypes.CDLL(None)
        except OSError as e:
            raise InputError("libbpf.so.1", f"cannot load libbpf ({e}); install libbpf1") from None
        lib.bpf_linker__new.restype = ctypes.c_void_p
        lib.bpf_linker__new.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
        lib.bpf_linker__add_file.restype = ctypes.c_int
        lib.bpf_linker__add_file.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
        lib.bpf_linker__finalize.restype = ctypes.c_int
        lib.bpf_linker__finalize.argtypes = [ctypes.c_void_p]
        lib.bpf_linker__free.restype = None
        lib.bpf_linker__free.argtypes = [ctypes.c_void_p]
        lib.libbpf_set_print.restype = ctypes.c_void_p
        lib.libbpf_set_print.argtypes = [ctypes.c_void_p]
        libc.vsnprintf.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p,
                                   ctypes.c_void_p]
        self.lib = lib
        self.log: list[tuple[int, str]] = []

        def on_print(level: int, fmt: bytes, args: int) -> int:
            buf = ctypes.create_string_buffer(1024)
            libc.vsnprintf(buf, len(buf), fmt, args)
            self.log.append((level, buf.value.decode(errors="replace").strip()))
            return 0

        self._print_cb = _PRINT_FN(on_print)  # kept alive as long as self

    def link_once(self, inputs: list[str], output: str) -> None:
        """One bpf_linker run; raises InputError naming the input that failed."""
        old = self.lib.libbpf_set_print(ctypes.cast(self._print_cb, ctypes.c_void_p))
        self.log.clear()
        linker = self.lib.bpf_linker__new(os.fsencode(output), None)
        try:
            if not linker:
                raise InputError(output, f"cannot create the linker: {self._reason()}")
            for path in inputs:
                if self.lib.bpf_linker__add_file(linker, os.fsencode(path), None) < 0:
                    raise InputError(path, f"cannot be linked: {self._reason()}")
            if self.lib.bpf_linker__finalize(linker) < 0:
                raise InputError(inputs[-1], f"linking failed: {self._reason()}")
        finally:
            if linker:
                self.lib.bpf_linker__free(linker)
            self.lib.libbpf_set_print(old)

    def _reason(self) -> str:
        # Level 0 is LIBBPF_WARN; info lines ("adding object file ...") are noise here.
        lines = [line.removeprefix("libbpf: ") for level, line in self.log if line and level == 0]
        return "; ".join(lines[-2:]) if lines else "libbpf gave no reason"


def link(inputs: list[str], output: str, check_input: Callable[[str], None]) -> bytes:
    """Link `inputs`, relink until stable, and return the bytes of the result.

    Relinking repairs stale weak-override offsets, but libbpf's linker matches BTF
    variables to symbols by name only, so relinking an object holding a static and a
    global of one name in one section can give the global the static's offset. Of the
    rounds, the first whose BTF agrees with its symbols wins; the stable one otherwise.
    """
    for path in inputs:
        check_input(path)
    libbpf = _Libbpf()
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
    """Give our own one-line error for inputs that are not BPF objects at all."""
    from .elf import BpfElf

    data = read_input(path)
    with reading(path):
        BpfElf(data)


def command(args: argparse.Namespace) -> int:
    from .cli import finish

    data = link(args.inputs, args.output, _check_bpf_object)
    finish(args.output, data, args.depfile, list(args.inputs))
    return 0
