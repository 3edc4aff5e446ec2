"""`bpfsubskel final`: one process per final BPF object.

Orchestration only: linking is link.py's, the skeleton skel.py's, the static checks
check.py's and the harness sources harness.py's. Each object's model is built once: the
final object's from the linked bytes, each library's from its file.
"""

from __future__ import annotations

import argparse
import os
from typing import Any, Optional

HELP = ("one process per final BPF object: link it, write its skeleton, check every "
        "library in it and write their harnesses")
DESCRIPTION = """\
Everything a build needs from one final BPF object, in one process: link it, write
its skeleton, and for every BPF library it links, check the pair and write the pair's
test harness source. One skeleton serves every harness (they include it by its file
name, the base name of --skel):

    bpfsubskel final app.o counters.bpf.o -o app.bpf.o --skel app.skel.h --name app \\
        --lib counters.bpf.o --lib-name counters --harness counters__app.test.c \\
            --test counters_test.c --stamp counters__app.check \\
        --depfile app.d

gives the same bytes as `bpfsubskel link -o app.bpf.o app.o counters.bpf.o`,
`bpfsubskel skel app.bpf.o -o app.skel.h --name app`, `bpfsubskel check
counters.bpf.o app.bpf.o --stamp counters__app.check` and `bpfsubskel harness
counters.bpf.o app.bpf.o -o counters__app.test.c --lib-name counters --final-name app
--final-header app.skel.h --test counters_test.c`. Without -o, the one input is the
final object as it is.

--lib starts a library's group: --lib-name, --harness, --test, --prelude and --stamp
after it apply to that library. Libraries given the same --harness share it: one source
(one program, compiled once) testing each of them, one at a time with its --lib NAME
option; its user tests are all their --test files, its preludes all their --prelude.
Every --lib is checked (errors exit 1, after all pairs are reported); --harness needs
--skel.

Every output is written only when its content changes, all of them or (on any error,
a failed check included) none; stamps are touched. --depfile names every output as a
target, the linked object (else the skeleton) first: list that output first in the
build rule (Ninja without `deps = gcc`, as CMake's DEPFILE, requires it; Ninja >= 1.10
accepts several targets).
"""

_GROUP_OPTIONS = ("--lib-name", "--harness", "--test", "--prelude", "--stamp")


class _Library:
    """One --lib group."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.name: Optional[str] = None
        self.harness: Optional[str] = None
        self.tests: list[str] = []
        self.preludes: list[str] = []
        self.stamp: Optional[str] = None


class _LibraryGroup(argparse.Action):
    """--lib opens a group; the group options that follow fill in its fields."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: Optional[str] = None) -> None:
        libs: list[_Library] = namespace.libs
        if option_string == "--lib":
            libs.append(_Library(values))
            return
        if not libs:
            parser.error(f"{option_string} must follow a --lib")
        lib = libs[-1]
        if option_string in ("--test", "--prelude"):
            (lib.tests if option_string == "--test" else lib.preludes).append(values)
            return
        field = {"--lib-name": "name", "--harness": "harness", "--stamp": "stamp"}[
            option_string or ""]
        if getattr(lib, field) is not None:
            parser.error(f"{option_string} given twice for --lib {lib.path}")
        setattr(lib, field, values)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from .link import add_batch_arguments

    add_batch_arguments(parser, "final")
    parser.add_argument("--skel", metavar="X.skel.h", help="skeleton header to write")
    parser.add_argument("--name", metavar="N",
                        help="C name of the skeleton (default, as bpftool: the final "
                             "object's file name without .o, other characters to _)")
    parser.set_defaults(libs=[])
    parser.add_argument("--lib", action=_LibraryGroup, metavar="LIB.bpf.o",
                        help="a BPF library the final object links (repeatable): check it")
    parser.add_argument("--lib-name", action=_LibraryGroup, metavar="N",
                        help="the library's subskeleton name, N.subskel.h (default: from LIB)")
    parser.add_argument("--harness", action=_LibraryGroup, metavar="T.c",
                        help="write the library's harness source; bpfsubskel_test.h beside it")
    parser.add_argument("--test", action=_LibraryGroup, metavar="USER.c",
                        help="a file of SUBSKEL_TEST(N, name) tests for the library's harness "
                             "(repeatable)")
    parser.add_argument("--prelude", action=_LibraryGroup, metavar="HEADER",
                        help="#include \"HEADER\" first in the library's harness, before the "
                             "generated headers (repeatable)")
    parser.add_argument("--stamp", action=_LibraryGroup, metavar="S",
                        help="touch S when the library's check passes")
    parser.add_argument("--no-runtime-header", action="store_true",
                        help="write no bpfsubskel_test.h beside the harnesses; compile them "
                             "with -I$(bpfsubskel --includedir)")


def command(args: argparse.Namespace) -> int:
    from . import check, harness, skel
    from .cli import finish_all, load_object, object_name
    from .errors import InputError, reading
    from .link import batch_object
    from .model import refuse_subskeleton_problem, refuse_unopenable

    final_path = args.output or args.inputs[0]
    final_name = object_name(args.name, final_path)
    final_header = os.path.basename(args.skel) if args.skel else None
    # Names and user tests first: a mistake there costs no link.
    plans = []
    seen: set[str] = set()
    for lib in args.libs:
        if lib.path in seen:
            raise InputError(lib.path, "given twice with --lib; name each library once")
        seen.add(lib.path)
        if lib.harness and not args.skel:
            raise InputError(lib.harness, "--harness needs --skel: the harness includes the "
                                          "final object's skeleton")
        lib_name, _, _ = harness.pair_names(lib.path, final_path, lib.name, final_name,
                                            final_header)
        harness.check_test_files(lib.tests)
        for header in lib.preludes:
            harness.check_prelude(header)
        if lib.harness:
            harness.check_output_name(lib.harness)
        plans.append((lib, lib_name))

    # Libraries next: a bad one costs no link either.
    lib_objs = [load_object(lib.path, args.werror) for lib, _ in plans]
    for (lib, _), lib_obj in zip(plans, lib_objs):
        refuse_subskeleton_problem(lib_obj, lib.path)

    path, final, outputs = batch_object(args, "final")
    refuse_unopenable(final, path)  # no skeleton, check or harness of it
    if args.skel:
        with reading(path):
            outputs.append((args.skel, skel.generate_bytes(final, final_name)))
    compatible = True
    stamps = []
    # One source per --harness path, testing every library that names it: written where
    # the first of them names it (its text once all are known).
    harnesses: dict[str, tuple[int, list[Any], list[str]]] = {}
    for (lib, lib_name), lib_obj in zip(plans, lib_objs):
        compatible &= check.report(check.check(lib_obj, final), lib.path, path, args.werror,
                                   args.verbose)
        if lib.stamp:
            outputs.append((lib.stamp, b""))
            stamps.append(lib.stamp)
        if lib.harness:
            key = os.path.realpath(lib.harness)
            if key not in harnesses:
                harnesses[key] = (len(outputs), [], [])
                outputs.append((lib.harness, ""))
                if not args.no_runtime_header:
                    outputs.append(harness.runtime_header(lib.harness))
            _, libs, preludes = harnesses[key]
            if any(name == lib_name for _, name in libs):
                raise InputError(lib.harness, f"tests two libraries named '{lib_name}'; give "
                                              "them different --lib-name or harnesses")
            libs.append((lib_obj, lib_name))
            preludes.extend(lib.preludes)
    for index, libs, preludes in harnesses.values():
        source = outputs[index][0]
        outputs[index] = (source, harness.generate(libs, final, path, final_name,
                                                   final_header or "", tuple(preludes)))
    if not compatible:
        return 1
    inputs = [*args.inputs, *(lib.path for lib in args.libs),
              *(t for lib in args.libs for t in lib.tests)]
    finish_all(_unique(outputs), args.depfile, inputs)
    check.touch_stamps(stamps)
    return 0


def _unique(outputs: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """Each path once (every harness in one directory shares bpfsubskel_test.h); two
    different contents for one path is a mistake in the command line."""
    from .errors import InputError

    by_path: dict[str, Any] = {}
    for path, content in outputs:
        key = os.path.realpath(path)
        if key in by_path and by_path[key][1] != content:
            raise InputError(path, "is written twice with different contents; give each "
                                   "output its own path")
        by_path.setdefault(key, (path, content))
    return list(by_path.values())
