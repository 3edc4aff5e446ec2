"""The one exception type that means "the input is bad, tell the user"."""

from __future__ import annotations


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
