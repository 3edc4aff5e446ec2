"""Command-line entry point: `bpfsubskel COMMAND ...` / `python -m bpfsubskel COMMAND ...`.

Each command lives in its own module with `HELP`, `DESCRIPTION`, `add_arguments` and
`command`; modules are imported only for the command that runs.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
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
    "library": "bpfsubskel.library",
    "final": "bpfsubskel.final",
    "vmlinux": "bpfsubskel.vmlinux",
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
    "library": "one process per BPF library: link it and write its subskeleton",
    "final": "one process per final BPF object: link it, write its skeleton, check every "
             "library in it and write their harnesses",
    "vmlinux": "write vmlinux.h from kernel BTF (bpftool btf dump ... format c without bpftool)",
    "cflags": "print the clang flags that compile BPF code for a target (one per line)",
}


def fail(path: str, message: str) -> NoReturn:
    raise InputError(path, message)


def warn(path: str, message: str) -> None:
    report("warning", path, message)


def report(what: str, path: str, message: str) -> None:
    """`bpfsubskel: WHAT: PATH: MESSAGE` on stderr, one line whatever the names hold."""
    from .names import shown

    print(f"bpfsubskel: {what}: {shown(path)}: {shown(message)}", file=sys.stderr)


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

    return vet_warnings(load(path), path, werror)


def vet_warnings(obj, path: str, werror: bool):  # model.BpfObject -> the same
    """Print the model's warnings about `path`; with `werror`, fail on them."""
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


def generate_header(args: argparse.Namespace,
                    generate: Callable[[Any, str], str | bytes]) -> int:
    """The whole of `subskel` and `skel`: name, model, render, write."""
    from .errors import reading

    name = object_name(args.name, args.object)
    obj = load_object(args.object, args.werror)
    with reading(args.object):  # CorruptData only: what generation finds wrong with it
        header = generate(obj, name)
    finish(args.output, header, args.depfile, [args.object])
    return 0


def finish(output: str, content: str | bytes, depfile: Optional[str], inputs: list[str],
           extra: Optional[list[tuple[str, str | bytes]]] = None) -> None:
    """Write an output, its depfile and any extra files: all (if changed) or none."""
    _write([*(extra or []), (output, content)], depfile, output, inputs)


def finish_all(outputs: list[tuple[str, str | bytes]], depfile: Optional[str],
               inputs: list[str]) -> None:
    """Write several outputs of one command and one depfile naming them all (the first is
    the primary output): each only if changed, all or none."""
    _write(outputs, depfile, list(dict.fromkeys(path for path, _ in outputs)), inputs)


def _write(outputs: list[tuple[str, str | bytes]], depfile: Optional[str],
           targets: str | list[str], inputs: list[str]) -> None:
    """Every command's outputs: the depfile added, the paths vetted (no output over an
    input or another output), then all written or none; any problem is one error line."""
    from . import render

    try:
        if depfile:
            outputs = [*outputs, (depfile, render.depfile_text(targets, inputs))]
        render.check_output_paths([path for path, _ in outputs], inputs)
        render.write_outputs(outputs)
    except render.WriteError as e:
        fail(e.path, e.reason)


def _terminal_width() -> int:
    """shutil.get_terminal_size().columns without importing shutil (and bz2, lzma...)."""
    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


class _Formatter(argparse.HelpFormatter):
    """argparse's default formatter. argparse makes one for every add_argument call, and
    without a width each imports shutil to ask for the terminal's."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: Optional[int] = None) -> None:
        super().__init__(prog, indent_increment, max_help_position,
                         _terminal_width() - 2 if width is None else width)


class _RawDescriptionFormatter(_Formatter, argparse.RawDescriptionHelpFormatter):
    pass


def _untranslated(message: str) -> str:
    return message


def _untranslated_plural(singular: str, plural: str, n: int) -> str:
    return singular if n == 1 else plural


def build_parser(with_commands: Optional[str] = None) -> argparse.ArgumentParser:
    # argparse looks up a translation for each of its messages, importing locale and
    # probing a dozen .mo paths per call; Python ships none for argparse, and bpfsubskel's
    # own text is English, so skip the lookups.
    argparse._ = _untranslated  # type: ignore[attr-defined]
    argparse.ngettext = _untranslated_plural  # type: ignore[attr-defined]
    parser = argparse.ArgumentParser(
        prog="bpfsubskel",
        description="libbpf subskeletons, skeletons and test harnesses for BPF libraries.",
        formatter_class=_Formatter,
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
                               formatter_class=_RawDescriptionFormatter)
            module.add_arguments(p)
        else:
            sub.add_parser(name, help=SUMMARIES[name], add_help=False,
                           formatter_class=_Formatter)
    return parser


INTERNAL_ERROR = 70  # EX_SOFTWARE


def run() -> NoReturn:
    """The `bpfsubskel` console script and `python -m bpfsubskel`: main, then exit at once.

    A short-lived CLI: flushing and os._exit skip tearing down the interpreter and the
    object graph of a large BPF object (15-18 ms for the console script otherwise).
    """
    status = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        status = status or 1
    os._exit(status)


def main(argv: Optional[list[str]] = None) -> int:
    # Parsing allocates many small objects and frees few: cyclic GC passes are pure cost.
    gc.disable()
    import bpfsubskel

    bpfsubskel._cli_running = True
    try:
        return _main(sys.argv[1:] if argv is None else argv)
    except KeyboardInterrupt:
        return 130
    except InputError as e:
        report("error", e.path, e.message)
        return 2
    except MemoryError:
        print("bpfsubskel: error: out of memory", file=sys.stderr)
        return 2
    except Exception as e:
        from .names import shown

        message = shown(str(e))[:300]
        print(f"bpfsubskel: internal error: {type(e).__name__}: {message} (a bug; please "
              "report it with the input)", file=sys.stderr)
        return INTERNAL_ERROR
    finally:
        bpfsubskel._cli_running = False
        gc.enable()


def _main(argv: list[str]) -> int:
    command = next((a for a in argv if not a.startswith("-")), None)
    trace = os.environ.get("BPFSUBSKEL_TRACE")
    if trace:  # bench/build_bench.py counts the processes a build starts
        _trace(trace, command)
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
    return int(module.command(args))


def _trace(path: str, command: Optional[str]) -> None:
    """Append one line (pid, command) to `path`: one small O_APPEND write, safe in
    parallel builds."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o666)
        try:
            os.write(fd, f"{os.getpid()} {command or '-'}\n".encode())
        finally:
            os.close(fd)
    except OSError:
        pass


if __name__ == "__main__":
    sys.exit(main())
