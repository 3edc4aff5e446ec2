"""Serves Meson's `import('subskel')` from the installed bpfsubskel package.

Meson has no plugin API: `import('x')` imports `mesonbuild.modules.x`. This file,
run at interpreter start by bpfsubskel-meson.pth (or .start, PEP 829), appends a
finder to sys.meta_path that answers for that one name only. It imports nothing
itself; the real module is imported when Meson asks for it. Set
BPFSUBSKEL_NO_MESON_HOOK=1 to disable it.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # not `from typing import ...`: this runs in every interpreter start
if TYPE_CHECKING:
    from importlib.machinery import ModuleSpec
    from types import ModuleType

_NAME = "mesonbuild.modules.subskel"


class _ShimLoader:
    @staticmethod
    def create_module(spec: ModuleSpec) -> None:
        return None

    @staticmethod
    def exec_module(module: ModuleType) -> None:
        try:
            from bpfsubskel.meson.module import initialize
        except Exception as e:  # not only ImportError: any mismatch with Meson's internals
            # Meson then reports the module as absent, so `required: false` can fall back.
            reason = str(e) if isinstance(e, ImportError) else f"{type(e).__name__}: {e}"
            cause = f"bpfsubskel: import('subskel') is unavailable: {reason}"
            try:
                from mesonbuild import mlog

                mlog.warning(cause)
            except ImportError:
                print("WARNING:", cause, file=sys.stderr)
            raise ImportError(cause, name=_NAME) from e
        module.initialize = initialize


class _SubskelMesonFinder:
    @staticmethod
    def find_spec(fullname: str, path: object = None, target: object = None
                  ) -> ModuleSpec | None:
        if fullname != _NAME:
            return None
        from importlib.machinery import ModuleSpec

        return ModuleSpec(fullname, _ShimLoader(), origin="bpfsubskel.meson.module")


def install() -> None:
    if os.environ.get("BPFSUBSKEL_NO_MESON_HOOK", "") not in ("", "0"):
        return
    if not any(isinstance(f, _SubskelMesonFinder) for f in sys.meta_path):
        # Appended: Meson's own modules (a future in-tree `subskel`) win.
        sys.meta_path.append(_SubskelMesonFinder())
