"""The one exception type that means "the input is bad, tell the user"."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


class InputError(Exception):
    """Bad input. The CLI prints `bpfsubskel: error: FILE: MESSAGE` and exits 2."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


class CorruptData(Exception):
    """Raised deep inside a parser that does not know the file name.

    The caller that opened the file turns it into an InputError.
    """


def read_input(path: str) -> bytes:
    """The bytes of an input file; an unreadable one is an InputError about it."""
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise InputError(path, f"cannot read: {e.strerror}") from None


# What parsers (ours, pyelftools, struct) raise on data they cannot make sense of.
_PARSE_ERRORS = (CorruptData, ValueError, IndexError, KeyError, UnicodeDecodeError,
                 OverflowError, RecursionError)


@contextlib.contextmanager
def reading(path: str) -> Iterator[None]:
    """Turn any parse failure while working on `path` into an InputError about it."""
    import struct

    try:
        yield
    except InputError:
        raise
    except CorruptData as e:
        raise InputError(path, str(e)) from None
    except (*_PARSE_ERRORS, struct.error) as e:
        raise InputError(path, f"corrupt or truncated BPF object ({type(e).__name__}: {e})"
                         ) from None
