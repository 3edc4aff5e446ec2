"""Command-line entry point: `bpfsubskel COMMAND ...` / `python -m bpfsubskel COMMAND ...`.

Each command lives in its own module with `HELP`, `DESCRIPTION`, `add_arguments` and
`command`; modules are imported only for the command that runs.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import sys
from typing import Any, Callable, NoReturn, Optional

from . import __version__
from .errors import InputError

COMMANDS = {
    "subskel": "bpfsubskel.subskel",
    "skel": "bpfsubskel.skel",
    "link": "bpfsubskel.link",
    "check": "bpfsubskel.check",
    "harness": "bpfsubskel.harness",
    "vm": "bpfsubskel.vm",
    "cflags": "bpfsubskel.cflags",
}
# One-line summaries, kept here so `--help` does not import every command module.
SUMMARIES = {
    "subskel": "generate a libbpf subskeleton header (X.subskel.h) for a BPF library object",
    "skel": "generate a full libbpf skeleton header (X.skel.h) for a final BPF object",
    "link": "statically link BPF objects with libbpf (bpftool gen object without bpftool)",
    "check": "check statically that a BPF library works inside a final BPF object",
    "harness": "generate a test program checking a BPF library inside one final BPF object",
    "vm": "run a command as root inside a QEMU VM booting another kernel",
    "cflags": "print the clang flags that compile BPF code for a target (one per line)",
}


def fail(path: str, message: str) -> NoReturn:
    raise InputError(path, message)


def warn(path: str, message: str) -> None:
    print(f"bpfsubskel: warning: {path}: {message}", file=sys.stderr)


def object_name(requested: Optional[str], path: str) -> str:
    """The C name of a generated object: --name verbatim, else derived from the file."""
    from .names import default_object_name, identifier_problem

    if requested is not None:
        problem = identifier_problem(requested)
        if problem:
            fail(path, f"--name '{requested}' {problem}; pass a valid C identifier")
        return requested
    name = default_object_name(path)
    problem = identifier_problem(name)
    if problem:
        fail(path, f"the name '{name}' derived from the file name {problem}; "
                   "pass --name with a valid C identifier")
    return name


def load_object(path: str, werror: bool):  # -> model.BpfObject (lazy import)
    from .model import load

    obj = load(path)
    for w in obj.warnings:
        warn(path, w)
    if werror and obj.warnings:
        fail(path, "warnings treated as errors (--werror)")
    return obj


def add_header_arguments(parser: argparse.ArgumentParser, *, input_metavar: str,
                         input_help: str, output_metavar: str, what: str) -> None:
    """The arguments every header generator takes (subskel, skel)."""
    parser.add_argument("object", metavar=input_metavar, help=input_help)
    parser.add_argument("-o", "--output", required=True, metavar=output_metavar,
                        help="header to write (only rewritten when its content changes)")
    parser.add_argument("--name", metavar="N",
                        help=f"C name of the {what} (default, as bpftool: the file name "
                             "without .o, other characters to _: x.bpf.o gives x_bpf)")
    parser.add_argument("--depfile", metavar="D", help="write a gcc-style depfile")
    parser.add_argument("--werror", action="store_true", help="treat warnings as errors")


def generate_header(args: argparse.Namespace, generate: Callable[[Any, str], str]) -> int:
    """The whole of `subskel` and `skel`: name, model, render, write."""
    from .errors import reading

    name = object_name(args.name, args.object)
    obj = load_object(args.object, args.werror)
    with reading(args.object):
        header = generate(obj, name)
    finish(args.output, header, args.depfile, [args.object])
    return 0


def finish(output: str, content: str | bytes, depfile: Optional[str], inputs: list[str],
           extra: Optional[list[tuple[str, str | bytes]]] = None) -> None:
    """Write an output, its depfile and any extra files: all (if changed) or none."""
    from . import render

    outputs = [*(extra or []), (output, content)]
    if depfile:
        outputs.append((depfile, render.depfile_text(output, inputs)))
    try:
        render.write_outputs(outputs)
    except render.WriteError as e:
        fail(e.path, e.reason)


def build_parser(with_commands: Optional[str] = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bpfsubskel",
        description="libbpf subskeletons, skeletons and test harnesses for BPF libraries.",
    )
    parser.add_argument("--version", action="version", version=f"bpfsubskel {__version__}")
    parser.add_argument("--cmakedir", action="store_true",
                        help="print the directory of the CMake package (for -Dbpfsubskel_DIR=)")
    parser.add_argument("--includedir", action="store_true",
                        help="print the directory of bpfsubskel_test.h (for harnesses built "
                             "with --no-runtime-header)")
    parser.add_argument("--mesondir", action="store_true",
                        help="print the directory holding the Meson fallback subprojects/")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        if name == with_commands:
            module = importlib.import_module(COMMANDS[name])
            p = sub.add_parser(name, help=module.HELP, description=module.DESCRIPTION,
                               formatter_class=argparse.RawDescriptionHelpFormatter)
            module.add_arguments(p)
        else:
            sub.add_parser(name, help=SUMMARIES[name], add_help=False)
    return parser


def main(argv: Optional[list[str]] = None) -> int:
    # Parsing allocates many small objects and frees few: cyclic GC passes are pure cost.
    gc.disable()
    try:
        return _main(sys.argv[1:] if argv is None else argv)
    finally:
        gc.enable()


def _main(argv: list[str]) -> int:
    command = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(command if command in COMMANDS else None)
    args = parser.parse_args(argv)
    for flag, resource in (("cmakedir", "cmake"), ("includedir", "templates"),
                           ("mesondir", "meson")):
        if getattr(args, flag):
            from .render import resource_dir

            print(resource_dir(resource))
            return 0
    if not args.command:
        parser.print_help(sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[args.command])
    try:
        return module.command(args)
    except InputError as e:
        print(f"bpfsubskel: error: {e.path}: {e.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
