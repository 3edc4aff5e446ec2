"""`bpfsubskel harness`: a test_progs-style test program for one (library, final) pair.

The generated C file only names things: the pair, the library's maps, programs and
variables with their offsets in the final object, and the user tests. What the checks
do is in templates/bpfsubskel_test.h, written beside it and shared by every harness.
One source may hold several pairs of one final object (`bpfsubskel final` writes one
per final object, for every library it tests): `generate` takes a list.
"""

from __future__ import annotations

import argparse
import os
from typing import Any, NamedTuple, Optional

from . import render
from .errors import InputError, reading
from .model import BpfObject, MapKind, refuse_subskeleton_problem, refuse_unopenable
from .names import c_string_body, is_header_file_name, is_include_path, names_clash

HELP = "generate a test program checking a BPF library inside one final BPF object"
DESCRIPTION = """\
Generate a C test program (in the style of the kernel's test_progs) for one BPF
library inside one final object, plus bpfsubskel_test.h beside it:

    bpfsubskel harness counters.bpf.o syscalls.bpf.o -o counters__syscalls.test.c \\
        --test counters_test.c
    cc -Ibuild counters__syscalls.test.c counters_test.c -o t -lbpf   # needs
    ./t                          # counters.subskel.h and syscalls.skel.h in build/

Built-in subtests: the final object opens; the library's subskeleton opens on it; every
map, program and variable resolves; each variable is at the final skeleton's address;
writes before load are the maps' initial values; after load the subskeleton sees the
kernel's maps (skipped without privilege, failed under BPFSUBSKEL_REQUIRE_LOAD=1).
User tests are functions written with SUBSKEL_TEST(lib, name) in --test files; they
register themselves when compiled into the harness (a test for another library, or a
name used twice, does not build). A load or attach the kernel refuses fails with
libbpf's and the verifier's log when the process may load BPF programs (root, CAP_BPF
or CAP_SYS_ADMIN), and skips when it may not. The program takes -t/-a/-d NAME filters,
-v, -l and --lib NAME (the library to test, when one program tests several: bpfsubskel
final writes such sources). Exit status 0 when all pass, 1 on a failure, 77 when a test skipped and
none failed, 2 on a usage error or when the filters select no test.
"""

RUNTIME_HEADER = "bpfsubskel_test.h"


def check_prelude(header: str) -> None:
    """A --prelude is printed inside #include "...": a plain relative header path."""
    if not is_include_path(header):
        raise InputError(header, "--prelude takes a header as #include names it: a relative "
                                 "path of letters, digits, '_', '-', '+', '.' and '/' (no '..'; "
                                 "add its directory to the include path)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("library", metavar="LIB.bpf.o", help="the BPF library object")
    parser.add_argument("final", metavar="FINAL.bpf.o", help="a final object linking it")
    parser.add_argument("-o", "--output", required=True, metavar="T.c",
                        help="C file to write; bpfsubskel_test.h is written beside it")
    parser.add_argument("--lib-name", metavar="N",
                        help="the subskeleton's name, N.subskel.h (default: from LIB)")
    parser.add_argument("--final-name", metavar="M",
                        help="the skeleton's name (default: from FINAL, as bpftool)")
    parser.add_argument("--final-header", metavar="H",
                        help="the skeleton's header file (default: M.skel.h)")
    parser.add_argument("--test", action="append", default=[], metavar="USER.c",
                        help="a file of SUBSKEL_TEST(N, name) tests (repeatable)")
    parser.add_argument("--prelude", action="append", default=[], metavar="HEADER",
                        help="#include \"HEADER\" before the generated headers, for the types "
                             "the library's globals name (repeatable; a relative path of "
                             "letters, digits, '_', '-', '+', '.' and '/')")
    parser.add_argument("--no-runtime-header", action="store_true",
                        help="do not write bpfsubskel_test.h beside T.c; compile with "
                             "-I$(bpfsubskel --includedir) instead")
    parser.add_argument("--depfile", metavar="D", help="write a gcc-style depfile")


class VarRow(NamedTuple):
    name: str
    in_final: bool
    offset: int  # in the final object (from its ELF symbol)
    seed: int  # makes each variable's test pattern different


class SectionRow(NamedTuple):
    ident: str
    name: str
    in_final: bool
    kconfig: bool
    writable: bool  # after load: .rodata and .kconfig are read-only
    vars: list[VarRow]


def pair_context(lib: BpfObject, final: BpfObject, lib_name: str) -> dict[str, Any]:
    """What the harness names of one library inside the final object."""
    final_sections = {m.lookup_name: m for m in final.var_maps}
    sections = []
    seed = 0
    for m in lib.var_maps:
        fm = final_sections.get(m.lookup_name)
        final_vars = {v.name: v for v in fm.public_vars} if fm else {}
        rows = []
        for v in m.public_vars:
            seed += 1
            fv = final_vars.get(v.name)
            rows.append(VarRow(v.name, fv is not None, fv.offset if fv else 0, seed))
        sections.append(SectionRow(m.ident, c_string_body(m.section), fm is not None,
                                   m.kind == MapKind.KCONFIG, not m.readonly, rows))
    return {
        "lib": lib_name,
        "maps": [m.ident for m in lib.maps],
        "progs": [p.name for p in lib.programs],
        "sections": sections,
    }


def check_test_files(paths: list[str]) -> None:
    """The user's test files must be readable; their tests register themselves when the
    harness is compiled (nothing here parses C)."""
    for path in paths:
        try:
            with open(path, "rb"):
                pass
        except OSError as e:
            raise InputError(path, f"cannot read the test file: {e.strerror}") from None


def pair_names(lib_path: str, final_path: str, lib_name: Optional[str],
               final_name: Optional[str], final_header: Optional[str]) -> tuple[str, str, str]:
    """The library's and the final object's C names and the skeleton header's file name."""
    from .cli import object_name

    lib_c = object_name(lib_name, lib_path)
    final_c = object_name(final_name, final_path)
    if lib_c == final_c:
        raise InputError(final_path, f"the library and the final object are both named "
                                     f"'{lib_c}'; pass --lib-name or --final-name")
    header = final_header or f"{final_c}.skel.h"
    if not is_header_file_name(header):
        raise InputError(final_path, f"--final-header '{header}' is not a plain file "
                                     "name (letters, digits, '.', '_', '-')")
    return lib_c, final_c, header


def generate(libs: list[tuple[BpfObject, str]], final: BpfObject, final_path: str,
             final_name: str, final_header: str, preludes: tuple[str, ...] = ()) -> str:
    """The harness C text testing each (library, its C name) of `libs` (already vetted for
    subskeletons, names distinct) inside the final object; `preludes` are included
    first, each once."""
    refuse_unopenable(final, final_path)  # its skeleton could not be generated either
    names = [final_name, *(name for _, name in libs)]
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            if names_clash(a, b):
                raise InputError(final_path, f"'{a}' and '{b}' cannot be in one harness: "
                                             "their headers' C names can collide (N and "
                                             "N__..., or names differing only in case); give "
                                             "one another --lib-name or --final-name")
    with reading(final_path):
        pairs = [pair_context(lib, final, name) for lib, name in sorted(libs, key=_by_name)]
        return render.render("harness.c.j2", final=final_name,
                             final_header=final_header or f"{final_name}.skel.h",
                             preludes=list(dict.fromkeys(preludes)), pairs=pairs)


def _by_name(lib: tuple[BpfObject, str]) -> str:
    return lib[1]


def runtime_header(output: str) -> tuple[str, str]:
    """bpfsubskel_test.h beside a harness `output`: (path, text)."""
    check_output_name(output)
    text = render.template_text(RUNTIME_HEADER)
    return os.path.join(os.path.dirname(output), RUNTIME_HEADER), text


def check_output_name(output: str) -> None:
    """A harness source may not take the runtime header's name (it would replace it)."""
    if os.path.basename(output) == RUNTIME_HEADER:
        raise InputError(output, f"is the name of the runtime header the harness "
                                 f"includes ({RUNTIME_HEADER}); name the harness T.c")


def command(args: argparse.Namespace) -> int:
    from .cli import finish, load_object

    check_output_name(args.output)
    lib_name, final_name, final_header = pair_names(
        args.library, args.final, args.lib_name, args.final_name, args.final_header)
    for header in args.prelude:
        check_prelude(header)
    check_test_files(args.test)
    lib = load_object(args.library, werror=False)
    refuse_subskeleton_problem(lib, args.library)
    final = load_object(args.final, werror=False)
    text = generate([(lib, lib_name)], final, args.final, final_name, final_header,
                    tuple(args.prelude))
    extra = [] if args.no_runtime_header else [runtime_header(args.output)]
    finish(args.output, text, args.depfile, [args.library, args.final, *args.test],
           extra=extra)
    return 0
