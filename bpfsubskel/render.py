"""Rendering C from templates/, and writing outputs: atomic, only if changed, with depfiles."""

from __future__ import annotations

import functools
import os
import re
import stat
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jinja2

PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """templates/ and cmake/ are installed inside the package; in a checkout, beside it."""
    for candidate in (PACKAGE_DIR / name, PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise RuntimeError(f"bpfsubskel is installed without its {name}/ (looked in {PACKAGE_DIR})")


@functools.cache
def templates_dir() -> Path:
    return resource_dir("templates")


@functools.cache
def _environment() -> jinja2.Environment:
    import jinja2  # ~25 ms: only commands that render pay for it

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )


def render(template: str, **context: Any) -> str:
    return _environment().get_template(template).render(**context)


class WriteError(Exception):
    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def check_output_paths(outputs: list[str], inputs: list[str]) -> None:
    """Refuse output paths that name a directory, the same file twice, or an input."""
    seen: dict[str, str] = {}
    for path in outputs:
        if not path or path.endswith(("/", os.sep)) or os.path.basename(path) in (".", ".."):
            raise WriteError(path, "names a directory, not a file; give a file name")
        if "\n" in path or "\r" in path:
            raise WriteError(path, "contains a line break, which a depfile cannot hold")
        key = _identity(path)
        if key in seen:
            raise WriteError(path, f"is also the output {seen[key]}; give each output its "
                                   "own file")
        seen[key] = path
    for path in inputs:
        key = _identity(path)
        if key in seen:
            raise WriteError(seen[key], f"is the input {path}; writing it would destroy it")


def _identity(path: str) -> object:
    """What makes two paths the same file: (device, inode) if it exists, else its realpath."""
    try:
        st = os.stat(path)
    except OSError:
        return os.path.realpath(path)
    return (st.st_dev, st.st_ino)


def write_outputs(outputs: list[tuple[str, str | bytes]]) -> None:
    """Atomically replace each file whose content differs, all or none.

    An unchanged file is left alone, keeping its mtime, so ninja's restat skips what
    depends on it. Every changed file is first written to a temporary file beside it;
    only when all of them exist are they renamed into place, so a failure (say, an
    unwritable depfile) leaves every output untouched. A symlink is written through,
    as compilers do; anything else that is not a regular file is refused.

    Temporary files are named `.NAME.tmp-XXXXXXXX`: hidden, and matching no glob for the
    outputs themselves (`*.bpf.o`, `*.h`), should a killed run leave one behind.
    """
    pending: list[tuple[str, str]] = []  # (temporary file, final path)
    try:
        for path, content in outputs:
            data = content.encode() if isinstance(content, str) else content
            target = os.path.realpath(path)
            if not _differs(target, data, path):
                continue
            directory = os.path.dirname(target)
            try:
                fd, tmp = tempfile.mkstemp(
                    dir=directory, prefix=f".{os.path.basename(target)[:64]}.tmp-")
            except OSError as e:
                raise WriteError(path, f"cannot write: {e.strerror}") from None
            pending.append((tmp, target))
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                os.chmod(tmp, 0o666 & ~_umask())
            except OSError as e:  # ENOSPC, EDQUOT, EIO...
                raise WriteError(path, f"cannot write: {e.strerror}") from None
        for tmp, target in pending:
            try:
                os.replace(tmp, target)
            except OSError as e:
                raise WriteError(target, f"cannot write: {e.strerror}") from None
    finally:
        for tmp, _ in pending:
            if os.path.exists(tmp):
                os.unlink(tmp)


def _differs(target: str, data: bytes, shown: str) -> bool:
    try:
        st = os.stat(target)
    except FileNotFoundError:
        return True
    except OSError as e:
        raise WriteError(shown, f"cannot write: {e.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        raise WriteError(shown, "exists and is not a regular file; choose another output path")
    if st.st_size != len(data):
        return True
    try:
        with open(target, "rb") as f:
            return f.read() != data
    except OSError:  # an output we may replace but not read: write it
        return True


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def own_files() -> list[str]:
    """The package's sources and templates: a depfile lists them so upgrades regenerate."""
    files = sorted(str(p) for p in PACKAGE_DIR.glob("*.py"))
    files += sorted(str(p) for p in templates_dir().rglob("*") if p.is_file())
    return files


def depfile_escape(path: str) -> str:
    """A path as gcc writes it in a depfile, which ninja reads back unchanged.

    ninja's rules (depfile_parser.in.cc): 2N+1 backslashes and a space are N backslashes
    and a space in the name; `\\#` is `#`, backslashes before it kept; `$$` is `$`; any
    other backslash is literal. So only a run of backslashes before a space is doubled.
    A line break, or a backslash ending the path, cannot be written: WriteError.
    """
    if "\n" in path or "\r" in path or path.endswith("\\"):
        raise WriteError(path, "cannot be listed in a depfile (it contains a line break or "
                               "ends with a backslash); rename it")
    return re.sub(r"(\\+)(?= )", r"\1\1", path).replace(" ", "\\ ").replace(
        "#", "\\#").replace("$", "$$")


def depfile_text(target: str, inputs: list[str]) -> str:
    escape = depfile_escape

    deps = [*inputs, *own_files()]
    lines = [f"{escape(target)}:"] + [f" {escape(d)}" for d in deps]
    return " \\\n".join(lines) + "\n"


