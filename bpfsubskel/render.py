"""Rendering C from templates/, and writing outputs: atomic, only if changed, with depfiles."""

from __future__ import annotations

import functools
import os
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


def write_if_changed(path: str, content: str | bytes) -> bool:
    """Atomically replace `path` with `text` unless it already holds exactly that.

    Leaving an unchanged file alone keeps its mtime, so ninja's restat skips everything
    that depends on it. Returns whether the file was written.
    """
    data = content.encode() if isinstance(content, str) else content
    try:
        with open(path, "rb") as f:
            if f.read() == data:
                return False
    except OSError:
        pass
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix="-" + os.path.basename(path))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    return True


def own_files() -> list[str]:
    """The package's sources and templates: a depfile lists them so upgrades regenerate."""
    files = sorted(str(p) for p in PACKAGE_DIR.glob("*.py"))
    files += sorted(str(p) for p in templates_dir().rglob("*") if p.is_file())
    return files


def depfile_text(target: str, inputs: list[str]) -> str:
    def escape(path: str) -> str:
        return path.replace("\\", "\\\\").replace(" ", "\\ ").replace("#", "\\#").replace(
            "$", "$$"
        )

    deps = [*inputs, *own_files()]
    lines = [f"{escape(target)}:"] + [f" {escape(d)}" for d in deps]
    return " \\\n".join(lines) + "\n"


def write_depfile(depfile: str, target: str, inputs: list[str]) -> None:
    write_if_changed(depfile, depfile_text(target, inputs))
