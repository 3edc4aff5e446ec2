"""`bpfsubskel vmlinux`: vmlinux.h from kernel BTF (bpftool btf dump ... format c, no bpftool)."""

from __future__ import annotations

import argparse

from .errors import CorruptData, InputError, read_input, reading

HELP = "write vmlinux.h from kernel BTF (bpftool btf dump ... format c without bpftool)"
DESCRIPTION = """\
Write every type of a kernel's BTF as one C header, the vmlinux.h that CO-RE BPF
programs include: the text of bpftool >= 7.5's `btf dump file F format c` (types in
dependency order with forward declarations, sorted by name, anonymous types inline,
duplicate names as name___2, packed structs and bit-field padding as libbpf prints
them, CO-RE's preserve_access_index pragma, kfunc prototypes). The input is raw BTF
(default /sys/kernel/btf/vmlinux, the running kernel's) or an ELF file with a .BTF
section (a vmlinux image, a .bpf.o). The output is written only when it changes.

    bpfsubskel vmlinux -o vmlinux.h
    bpfsubskel vmlinux --btf /boot/vmlinux-6.1 -o vmlinux.h --depfile vmlinux.h.d
"""

DEFAULT_BTF = "/sys/kernel/btf/vmlinux"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--btf", metavar="FILE", default=DEFAULT_BTF,
                        help=f"raw BTF or an ELF file with a .BTF section (default {DEFAULT_BTF})")
    parser.add_argument("-o", "--output", required=True, metavar="vmlinux.h",
                        help="header to write (only rewritten when its content changes)")
    parser.add_argument("--depfile", metavar="D", help="write a gcc-style depfile")
    parser.add_argument("--unsorted", action="store_true",
                        help="emit types in BTF id order, as bpftool <= 7.4 (and 7.5's "
                             "`format c unsorted`) do, instead of sorted by name")
    parser.add_argument("--no-kfuncs", action="store_true",
                        help="leave out the kfunc prototypes (bpftool <= 7.4 has none; "
                             "defining BPF_NO_KFUNC_PROTOTYPES hides them too)")


def read_btf(path: str) -> bytes:
    """The BTF bytes of `path`: the file itself, or an ELF file's .BTF section."""
    data = read_input(path)
    if data[:4] != b"\x7fELF":
        return data
    import io

    from elftools.common.exceptions import ELFError
    from elftools.elf.elffile import ELFFile

    try:
        section = ELFFile(io.BytesIO(data)).get_section_by_name(".BTF")
        if section is None:
            raise InputError(path, "is an ELF file without a .BTF section; build the kernel "
                                   "with CONFIG_DEBUG_INFO_BTF=y or pass raw BTF")
        return section.data()
    except ELFError as e:
        raise CorruptData(f"truncated or corrupt ELF file ({e})") from None


def generate(path: str, *, sort: bool = True, kfuncs: bool = True) -> str:
    import sys

    from . import btf_c, render
    from .btf import parse

    # btf_dump's ordering is a depth-first walk; kernel types nest deep enough to need
    # more than Python's default recursion limit (loops are caught, not recursed into).
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 20000))
    with reading(path):
        btf = parse(read_btf(path))
        types, kfunc_decls = btf_c.dump(btf, sort=sort, kfuncs=kfuncs)
    return render.render("vmlinux.h.j2", types=types, kfuncs=kfunc_decls if kfuncs else None)


def command(args: argparse.Namespace) -> int:
    from .cli import finish

    header = generate(args.btf, sort=not args.unsorted, kfuncs=not args.no_kfuncs)
    finish(args.output, header, args.depfile, [args.btf])
    return 0
