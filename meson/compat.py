"""Everything the subskel module touches inside Meson, in one place.

Meson has no stable module API (its maintainers say so), so this layer keeps the
surface small and mostly *public*: targets, tests and dependencies are made by
calling the interpreter's own `meson.build` functions (`custom_target()`,
`executable()`, `test()`, `declare_dependency()`...), whose behaviour is the
documented DSL, instead of constructing Meson's internal classes, whose
constructors change between releases (CustomTarget did in 1.12).

What remains internal is checked when this module is imported; a mismatch raises
ImportError, which the import hook turns into "module absent" plus a warning, so
`import('subskel', required: false)` lets a project fall back to the command line.
"""

from __future__ import annotations

import os
import sys
from typing import Any

try:
    from mesonbuild import build, mesonlib, mlog
    from mesonbuild.coredata import version as meson_version
    from mesonbuild.dependencies import Dependency
    from mesonbuild.environment import Environment
    from mesonbuild.interpreter.interpreter import Interpreter
    from mesonbuild.interpreterbase import (
        ContainerTypeInfo,
        InvalidArguments,
        KwargInfo,
        noKwargs,
        typed_kwargs,
        typed_pos_args,
    )
    from mesonbuild.mesonlib import File, MachineChoice
    from mesonbuild.modules import ModuleInfo, ModuleReturnValue, NewExtensionModule
    from mesonbuild.programs import ExternalProgram
except ImportError as e:  # Meson older than 0.64 (no ModuleInfo) or reorganised
    raise ImportError(f"this Meson's internals do not match what bpfsubskel needs ({e}); "
                      "use the find_program('bpfsubskel') fallback") from e

MINIMUM_MESON = "0.64.0"
# The meson.build functions the module calls, found as Interpreter.func_<name>.
DSL_FUNCTIONS = ("custom_target", "executable", "test", "declare_dependency", "dependency",
                 "find_program", "include_directories", "files", "get_option")

if getattr(sys, "frozen", False):
    raise ImportError("this Meson is a frozen executable, which cannot run bpfsubskel at build "
                      "time; use a pip-installed Meson or the find_program() fallback")
if not mesonlib.version_compare(meson_version, f">={MINIMUM_MESON}"):
    raise ImportError(f"Meson {meson_version} is older than {MINIMUM_MESON}")
_missing = [f for f in DSL_FUNCTIONS if not hasattr(Interpreter, f"func_{f}")]
_missing += [a for a in ("lookup_binary_entry", "get_source_dir", "get_build_dir")
             if not hasattr(Environment, a)]
if _missing:
    raise ImportError(f"Meson {meson_version} lacks {_missing}")

# IncludeDirs as absolute paths: to_string_list in Meson 1.0, abs_string_list later.
_include_dirs_as_paths = getattr(build.IncludeDirs, "abs_string_list", None) or getattr(
    build.IncludeDirs, "to_string_list", None)
if _include_dirs_as_paths is None:
    raise ImportError(f"Meson {meson_version}'s include_directories() objects have no path list")

CustomTarget = build.CustomTarget
CustomTargetIndex = build.CustomTargetIndex
IncludeDirs = build.IncludeDirs
NoneType = type(None)

__all__ = [
    "ContainerTypeInfo", "CustomTarget", "CustomTargetIndex", "Dependency", "ExternalProgram",
    "File",
    "IncludeDirs", "InvalidArguments", "KwargInfo", "ModuleInfo", "ModuleReturnValue",
    "NewExtensionModule", "NoneType", "call", "can_run_host_binaries", "host_machine",
    "host_c_compiler", "host_sys_root",
    "bpfsubskel_command", "extract_all_objects", "file_path", "include_flags", "message",
    "meson_version",
    "noKwargs", "project_option", "typed_kwargs", "typed_pos_args", "warning",
]


def call(state: Any, function: str, *args: Any, **kwargs: Any) -> Any:
    """Call a meson.build function, as the interpreter does for `function(args, kwargs)`."""
    try:
        dsl_function, node = state._interpreter.funcs[function], state.current_node
    except (AttributeError, KeyError) as e:
        raise InvalidArguments(f"bpfsubskel's module does not fit Meson {meson_version} "
                               f"({type(e).__name__}: {e}); use the find_program('bpfsubskel') "
                               "fallback") from None
    return dsl_function(node, list(args), kwargs)


def host_machine(state: Any) -> tuple[str, str]:
    """(cpu_family, endian) of the machine the BPF objects are built for."""
    host = state.environment.machines.host
    return host.cpu_family, host.endian


def host_sys_root(state: Any) -> str:
    """The cross file's `[properties] sys_root`, or ''."""
    return state.environment.properties.host.get_sys_root() or ""


def can_run_host_binaries(state: Any) -> bool:
    """meson.can_run_host_binaries(): not cross, or cross with an exe_wrapper."""
    env = state.environment
    return not (env.is_cross_build() and env.need_exe_wrapper()
                and getattr(env, "exe_wrapper", None) is None)


def host_c_compiler(state: Any) -> list[str]:
    """The host C compiler's command, if the project enabled C."""
    compiler = state.environment.coredata.compilers.host.get("c")
    return list(compiler.exelist) if compiler is not None else []


def bpfsubskel_command(state: Any) -> ExternalProgram:
    """How build steps run bpfsubskel: a machine file's `[binaries] bpfsubskel`, else
    the Python running Meson (the one that has this module)."""
    entry = state.environment.lookup_binary_entry(MachineChoice.BUILD, "bpfsubskel")
    command = list(entry) if entry else [sys.executable, "-m", "bpfsubskel"]
    return ExternalProgram("bpfsubskel", command, silent=True)


def file_path(state: Any, file: File) -> str:
    return file.absolute_path(state.environment.get_source_dir(),
                              state.environment.get_build_dir())


def include_flags(state: Any, include_dirs: IncludeDirs) -> list[str]:
    """-I flags (source and build directories) of an include_directories() object."""
    src, bld = state.environment.get_source_dir(), state.environment.get_build_dir()
    paths = _include_dirs_as_paths(include_dirs, src, bld)
    return [f"-I{p}" for p in dict.fromkeys(map(os.path.normpath, paths)) if os.path.isdir(p)]


def extract_all_objects(target: Any) -> Any:
    """meson.build's target.extract_all_objects(recursive: true): its objects, for another
    target's objects: (every object linked, unlike an archive's members)."""
    return target.extract_all_objects(True)


def target_subdir(target: Any) -> str:
    """The build subdirectory (relative to the build root) of a custom_target or one of
    its outputs."""
    return str(getattr(target, "target", target).get_subdir())


def project_option(state: Any, name: str) -> Any:
    """get_option(name) if the project defines the option, else None."""
    try:
        return call(state, "get_option", name)
    except mesonlib.MesonException:
        return None


def warning(message: str) -> None:
    mlog.warning(message)


def message(text: str) -> None:
    mlog.log(text)
