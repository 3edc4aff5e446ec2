"""Rendering C from templates/, and writing outputs: atomic, only if changed, with depfiles."""

from __future__ import annotations

import functools
import os
import stat
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    import jinja2

# Plain strings and os.path: pathlib (and tempfile) cost milliseconds to import.
PACKAGE_DIR = os.path.dirname(os.path.realpath(__file__))


def resource_dir(name: str) -> Path:
    """templates/ and cmake/ are installed inside the package; in a checkout, beside it."""
    from pathlib import Path

    return Path(_resource_dir(name))


@functools.cache
def _resource_dir(name: str) -> str:
    for candidate in (os.path.join(PACKAGE_DIR, name),
                      os.path.join(os.path.dirname(PACKAGE_DIR), name)):
        if os.path.isdir(candidate):
            return candidate
    raise RuntimeError(f"bpfsubskel is installed without its {name}/ (looked in {PACKAGE_DIR})")


def templates_dir() -> Path:
    return resource_dir("templates")


def template_text(name: str) -> str:
    """A file of templates/ as text (the harness runtime header)."""
    with open(os.path.join(_resource_dir("templates"), name), encoding="utf-8") as f:
        return f.read()


@functools.cache
def _environment() -> jinja2.Environment:
    import jinja2  # ~25 ms: only commands that render pay for it

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(_resource_dir("templates")),
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


def write_outputs(outputs: list[tuple[str, str | bytes]]) -> None:
    """Atomically replace each file whose content differs, all or none.

    An unchanged file is left alone, keeping its mtime, so ninja's restat skips what
    depends on it. Every changed file is first written to a temporary file beside it;
    only when all of them exist are they renamed into place, so a failure (say, an
    unwritable depfile) leaves every output untouched. A symlink is written through,
    as compilers do; anything else that is not a regular file is refused.
    """
    pending: list[tuple[str, str]] = []  # (temporary file, final path)
    try:
        for path, content in outputs:
            data = content.encode() if isinstance(content, str) else content
            target = os.path.realpath(path)
            if not _differs(target, data, path):
                continue
            fd, tmp = _create_beside(target, path)
            pending.append((tmp, target))
            with os.fdopen(fd, "wb") as f:
                f.write(data)
        for tmp, target in pending:
            os.replace(tmp, target)
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
    with open(target, "rb") as f:
        return f.read() != data


def _create_beside(target: str, shown: str) -> tuple[int, str]:
    """A new temporary file in `target`'s directory, mode 0666 less the umask, as the
    final file would get (tempfile.mkstemp, without importing tempfile)."""
    directory, base = os.path.split(target)
    for attempt in range(100):
        tmp = os.path.join(directory, f".tmp-{os.getpid()}-{attempt}-{base}")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666), tmp
        except FileExistsError:
            continue
        except OSError as e:
            raise WriteError(shown, f"cannot write: {e.strerror}") from None
    raise WriteError(shown, "cannot write: no free temporary file name beside it")


def own_files() -> list[str]:
    """The package's sources and templates: a depfile lists them so upgrades regenerate."""
    files = sorted(os.path.join(PACKAGE_DIR, n) for n in os.listdir(PACKAGE_DIR)
                   if n.endswith(".py"))
    templates = []
    for root, dirs, names in os.walk(_resource_dir("templates")):
        dirs.sort()
        templates += (os.path.join(root, n) for n in names)
    return files + sorted(templates)


def depfile_text(targets: str | list[str], inputs: list[str]) -> str:
    """A gcc-style depfile: one rule, `targets` (the first is the primary output; Ninja
    without `deps = gcc` requires it to be the build edge's first output) depending on
    `inputs` and on bpfsubskel's own files."""
    def escape(path: str) -> str:
        return path.replace("\\", "\\\\").replace(" ", "\\ ").replace("#", "\\#").replace(
            "$", "$$"
        )

    if isinstance(targets, str):
        targets = [targets]
    deps = list(dict.fromkeys([*inputs, *own_files()]))
    lines = [" ".join(escape(t) for t in targets) + ":"] + [f" {escape(d)}" for d in deps]
    return " \\\n".join(lines) + "\n"


