"""The exceptions that mean "the input is bad, tell the user", and reading inputs safely."""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator


class InputError(Exception):
    """Bad input. The CLI prints `bpfsubskel: error: FILE: MESSAGE` and exits 2."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


class CorruptData(Exception):
    """Raised deep inside a parser (or a generator) that does not know the file name.

    The caller that opened the file turns it into an InputError (see `reading`). Parsers
    raise it explicitly for every kind of bad data they detect: any other exception
    escaping them is a bug in bpfsubskel, reported as an internal error.
    """


# The largest input read: BPF objects are a few MiB; vmlinux-sized ones some 100 MiB.
MAX_INPUT_SIZE = 1 << 30


def read_input(path: str, max_size: int = MAX_INPUT_SIZE) -> bytes:
    """The bytes of an input file; an unreadable one is an InputError about it.

    Only regular files are read (a FIFO would block, /dev/zero never ends), and at most
    `max_size` bytes of them.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as e:
        raise InputError(path, f"cannot read: {e.strerror}") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise InputError(path, "cannot read: it is a directory")
        if not stat.S_ISREG(st.st_mode):
            raise InputError(path, "cannot read: not a regular file (a device, FIFO or "
                                   "socket); pass a BPF object file")
        if st.st_size > max_size:
            raise InputError(path, f"cannot read: {st.st_size} bytes is more than the "
                                   f"{max_size >> 20} MiB an input may have")
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(st.st_size + 1)  # one more: a file that grew is read in full
            if len(data) > st.st_size:
                data += f.read(max_size + 1 - len(data))
        if len(data) > max_size:
            raise InputError(path, f"cannot read: more than the {max_size >> 20} MiB an "
                                   "input may have")
        return data
    except OSError as e:
        raise InputError(path, f"cannot read: {e.strerror}") from None
    finally:
        os.close(fd)


@contextlib.contextmanager
def reading(path: str) -> Iterator[None]:
    """Turn CorruptData (bad data found while parsing or generating from `path`) and the
    low-level decoding errors of the ELF reader into an InputError about `path`.

    Nothing else is caught: a KeyError or IndexError is a bug, not bad input.
    """
    import struct

    from elftools.common.exceptions import ELFError

    try:
        yield
    except InputError:
        raise
    except CorruptData as e:
        raise InputError(path, str(e)) from None
    except (struct.error, ELFError) as e:
        raise InputError(path, f"corrupt or truncated BPF object ({type(e).__name__}: {e})"
                         ) from None
