"""`bpfsubskel library`: one process per BPF library, `link` and `subskel` in one go.

Orchestration only: linking is link.py's, the header subskel.py's; the library's model is
built once, from the linked bytes.
"""

from __future__ import annotations

import argparse

HELP = "one process per BPF library: link it and write its subskeleton"
DESCRIPTION = """\
Link a BPF library and write its subskeleton in one process, for build systems that
start one command per BPF object:

    bpfsubskel library counters.o config.o -o counters.bpf.o \\
        --subskel counters.subskel.h --name counters --depfile counters.d

is `bpfsubskel link -o counters.bpf.o counters.o config.o` followed by
`bpfsubskel subskel counters.bpf.o -o counters.subskel.h --name counters`, with the
same bytes in each output. Without -o, the one input is the library as it is.

Every output is written only when its content changes, all of them or (on any
error) none. --depfile names every output as a target, the linked object (else the
header) first: list that output first in the build rule (Ninja without `deps = gcc`,
as CMake's DEPFILE, requires it; Ninja >= 1.10 accepts several targets).
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from .link import add_batch_arguments

    add_batch_arguments(parser, "library")
    parser.add_argument("--subskel", required=True, metavar="X.subskel.h",
                        help="subskeleton header to write")
    parser.add_argument("--name", metavar="N",
                        help="C name of the subskeleton (default, as bpftool: the library's "
                             "file name without .o, other characters to _)")


def command(args: argparse.Namespace) -> int:
    from .cli import finish_all, object_name
    from .errors import reading
    from .link import batch_object
    from .subskel import generate

    name = object_name(args.name, args.output or args.inputs[0])
    path, obj, outputs = batch_object(args, "library")
    with reading(path):
        header = generate(obj, name)
    finish_all([*outputs, (args.subskel, header)], args.depfile, list(args.inputs))
    return 0
