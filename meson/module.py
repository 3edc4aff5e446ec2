"""`subskel = import('subskel')`: the Meson front end of bpfsubskel.

A thin layer over the `bpfsubskel` command line, mirroring the CMake functions:

    subskel.bpf_object(name, sources..., library:, libraries:, include_directories:,
                       c_args:, install:, install_dir:)          -> the .bpf.o target
    subskel.generate(bpf_library, name:, tests:, kernels:, test_headers:,
                     test_dependencies:, install:, install_dir:)  -> dependency
    subskel.skeleton(final_bpf_object)                            -> dependency
    subskel.vmlinux_h(btf:, install:, install_dir:)               -> vmlinux.h target

A generated header among bpf_object()'s sources (vmlinux_h(), any custom_target making
.h files) is made before compiling, and its build directory is on the include path.

For every (library passed to generate(), final object linking it) pair, declared in
either order, it adds a build-time check and a test `<lib>_in_<final>` (exit status 77
= skipped) running `<final>_harness --lib <name>`: one harness executable per final
object tests every library whose generate() came before it (one compile and link), with
their tests compiled in; a pair whose generate() comes after gets its own
`<lib>_in_<final>_harness`. For every kernel in kernels: (default:
the project's option subskel_kernels, if it defines one), a test `<lib>_in_<final>@<kernel>`
in the suite `vm` runs the harness in `bpfsubskel vm --kernel <kernel>`. test_headers are
included (#include "<header>") before the generated headers in the harnesses (the types
the library's globals name); test_dependencies are the harnesses' (their include
directories and libraries, also for tests:). A cross build that cannot run host binaries
(no exe_wrapper), or a project whose boolean option subskel_tests is false, gets the
checks but no harnesses.

Build cost: a final object's skeleton, and the checks and harness sources of the libraries
whose generate() came before it, are one `bpfsubskel final` process; a pair whose
generate() comes after the final object gets its own check and harness commands.

BPF objects are compiled with the clang and flags `bpfsubskel cflags` gives for the host
machine (once per configure). The project option subskel_libbpf (shared, the default,
static, or none: the project links or loads libbpf itself) chooses the libbpf the
returned dependencies carry; harnesses link the shared one when it is none, or are not
built. All Meson internals are in compat.py.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from typing import Any, Optional, Union

from bpfsubskel.names import (
    default_object_name,
    identifier_problem,
    is_header_file_name,
    is_include_path,
    sanitize,
)

from . import compat
from .compat import (
    ContainerTypeInfo,
    CustomTarget,
    CustomTargetIndex,
    Dependency,
    File,
    IncludeDirs,
    InvalidArguments,
    KwargInfo,
    ModuleInfo,
    ModuleReturnValue,
    NoneType,
    typed_kwargs,
    typed_pos_args,
)

VM_TIMEOUT = 300  # seconds a harness may take in `bpfsubskel vm`
TESTS_OFF = "the option subskel_tests is false"  # the project turned harnesses off
LIBBPF_CHOICES = ("shared", "static", "none")
BpfInput = Union[str, File, CustomTarget, CustomTargetIndex]


def c_name(name: str) -> str:
    """CMake's MAKE_C_IDENTIFIER: `my-lib` -> `my_lib`, `2x` -> `_2x`."""
    ident = sanitize(name)
    return f"_{ident}" if ident[:1].isdigit() else ident


def skeleton_name(name: str) -> str:
    """The skeleton of bpf_object('x') is bpftool's for x.bpf.o: `struct x_bpf`."""
    return c_name(default_object_name(f"{name}.bpf.o"))


@dataclass(eq=False)
class BpfObject:
    """A .bpf.o made by bpf_object(): what harnesses need to know about it."""

    name: str
    target: CustomTarget
    library: bool
    libraries: list[BpfObject]
    skeleton: Optional[CustomTarget] = None  # finals: <name>.skel.h, built on demand
    include_dirs: Any = None  # finals: where the skeleton is generated

    def transitive_libraries(self) -> list[BpfObject]:
        return _closure(self.libraries)


def _closure(libraries: list[BpfObject]) -> list[BpfObject]:
    """The libraries and, through them, theirs: each once."""
    seen: list[BpfObject] = []
    pending = list(libraries)
    while pending:
        lib = pending.pop(0)
        if lib not in seen:
            seen.append(lib)
            pending += lib.libraries
    return seen


@dataclass(eq=False)
class Subskeleton:
    """A generate() call: the header, its dependency, and the library's user tests."""

    name: str
    library: BpfObject
    dependency: Any
    tests: list[File] = field(default_factory=list)
    kernels: list[str] = field(default_factory=list)  # also run the harnesses on these
    test_headers: list[str] = field(default_factory=list)  # --prelude
    test_dependencies: list[Any] = field(default_factory=list)
    test_objects: Any = None  # the tests, compiled once for every harness (extracted objects)


@dataclass
class Tools:
    bpfsubskel: Any  # ExternalProgram
    bpf_command: list[str]  # clang and its flags, from `bpfsubskel cflags`
    libbpf: Any  # Dependency: what code using generated headers gets (subskel_libbpf)
    harness_libbpf: Any  # Dependency the harnesses link, None: no harnesses
    runtime_include: str  # where bpfsubskel_test.h lives


class SubskelModule(compat.NewExtensionModule):
    INFO = ModuleInfo("subskel")

    def __init__(self, interpreter: Any) -> None:
        super().__init__()
        self.objects: dict[int, BpfObject] = {}  # id(CustomTarget) -> BpfObject
        self.subskeletons: list[Subskeleton] = []
        self.harness_names: set[str] = set()
        # (input, C name, header) -> skeleton() dependency
        self.skeletons: dict[tuple[object, ...], Any] = {}
        self.skeleton_headers: dict[tuple[str, str], str] = {}  # (subdir, header) -> C name
        self.tools: Optional[Tools] = None
        self.test_runtime: Any = None  # Dependency: the harness runtime, compiled once
        self.methods.update({
            "bpf_object": self.bpf_object,
            "generate": self.generate,
            "skeleton": self.skeleton,
            "vmlinux_h": self.vmlinux_h,
        })

    # -- tools, found once per configure ------------------------------------------------

    def _tools(self, state: Any) -> Tools:
        if self.tools is None:
            bpfsubskel = compat.bpfsubskel_command(state)
            # A machine file's `[binaries] clang` (or clang on PATH); else bpfsubskel looks.
            clang = compat.call(state, "find_program", "clang", native=True, required=False)
            command = _bpf_command(state, bpfsubskel.get_command(),
                                   clang.get_command()[0] if clang.found() else None)
            libbpf, harness_libbpf = _libbpf(state)
            self.tools = Tools(bpfsubskel, command, libbpf, harness_libbpf,
                               _runtime_include(bpfsubskel.get_command()))
        return self.tools

    # -- bpf_object ------------------------------------------------------------------------

    @typed_pos_args("subskel.bpf_object", str,
                    varargs=(str, File, CustomTarget, CustomTargetIndex), min_varargs=1)
    @typed_kwargs(
        "subskel.bpf_object",
        KwargInfo("library", bool, default=False),
        KwargInfo("libraries", ContainerTypeInfo(list, CustomTarget), default=[], listify=True),
        KwargInfo("include_directories", ContainerTypeInfo(list, (str, IncludeDirs)),
                  default=[], listify=True),
        KwargInfo("c_args", ContainerTypeInfo(list, str), default=[], listify=True),
        KwargInfo("install", bool, default=False),
        KwargInfo("install_dir", (str, NoneType), default=None),
    )
    def bpf_object(self, state: Any, args: tuple[str, list[BpfInput]],
                   kwargs: dict[str, Any]) -> ModuleReturnValue:
        name, sources = args
        problem = identifier_problem(c_name(name)) if name and "/" not in name else \
            "is not a file name"
        if problem:
            raise InvalidArguments(f"subskel.bpf_object: the name {name!r} {problem} (it names "
                                   "<name>.bpf.o and the C skeleton); choose another name")
        libraries = [self._library(lib, "subskel.bpf_object", "libraries")
                     for lib in kwargs["libraries"]]
        tools = self._tools(state)
        flags: list[str] = []
        for inc in kwargs["include_directories"]:
            if isinstance(inc, str):
                inc = compat.call(state, "include_directories", inc)
            flags += compat.include_flags(state, inc)
        flags += kwargs["c_args"]

        # C sources are compiled; .o files (built or not) are linked; generated headers
        # are made before any compile step.
        c_sources, objects, headers = [], [], []
        for source in sources:
            source = _as_file(state, source)
            outputs = [source.fname] if isinstance(source, File) else _outputs(source)
            if all(o.endswith(".o") for o in outputs):
                objects.append(source)
            elif all(o.endswith(".h") for o in outputs) and not isinstance(source, File):
                headers.append(source)
            elif isinstance(source, File) and source.fname.endswith(".c"):
                c_sources.append(source)
            else:
                raise InvalidArguments(
                    f"subskel.bpf_object: source {outputs} is not a .c file, .o file or "
                    "generated header")
        generated_includes: list[str] = []
        for header in headers:  # commands run in the build root: a relative -I
            include = f"-I{compat.target_subdir(header) or '.'}"
            if include not in generated_includes:
                generated_includes.append(include)
        flags[:0] = generated_includes  # before the project's own directories
        stems: set[str] = set()
        for source in c_sources:
            stem = os.path.basename(source.fname).removesuffix(".c").removesuffix(".bpf")
            if stem in stems:
                raise InvalidArguments(f"subskel.bpf_object: two sources named '{stem}'; "
                                       "rename one (each becomes <name>.<stem>.o)")
            stems.add(stem)
            output = f"{name}.{stem}.o"
            objects.append(compat.call(
                state, "custom_target", output, input=[source], output=[output],
                command=[*tools.bpf_command, *flags, "-MD", "-MF", "@DEPFILE@", "-c", "@INPUT@",
                         "-o", "@OUTPUT@"],
                depfile=f"{output}.d", depends=headers))

        # A library links only its own code; a final object links its libraries too.
        linked = [] if kwargs["library"] else _closure(libraries)
        output = f"{name}.bpf.o"
        target = compat.call(
            state, "custom_target", output, input=objects + [lib.target for lib in linked],
            output=[output],
            command=[tools.bpfsubskel, "link", "-o", "@OUTPUT@", "@INPUT@", "--depfile",
                     "@DEPFILE@"],
            depfile=f"{output}.d", build_by_default=True,
            **_install_kwargs(state, kwargs, "libdir", "bpf"))
        obj = BpfObject(name, target, kwargs["library"], libraries)
        self.objects[id(target)] = obj

        if not obj.library:
            self.skeleton_headers[(state.subdir, f"{name}.skel.h")] = skeleton_name(name)
            obj.include_dirs = compat.call(state, "include_directories", ".")
            # Libraries whose subskeleton was generated before this object: their checks
            # and harness sources come from the one command writing the skeleton.
            self._final_command(state, obj, [sub for sub in self.subskeletons
                                             if sub.library in linked])
        return ModuleReturnValue(target, [])

    def _final_command(self, state: Any, final: BpfObject, subs: list[Subskeleton]) -> None:
        """One `bpfsubskel final` on the linked object: its skeleton (<name>.skel.h, one for
        userspace and the harness), and, for each library in `subs`, the check stamp and
        its part of the harness source (one for all of them); then the harness program
        testing them all (one compile and link per final object)."""
        tools = self._tools(state)
        header = f"{final.name}.skel.h"
        source = f"{final.name}.test.c"
        outputs, args, inputs = [header], [], [final.target]
        pairs: list[tuple[Subskeleton, str]] = []
        for sub in subs:
            plan = self._plan_pair(state, sub, final)
            if plan is None:
                continue
            pair, harness = plan
            inputs.append(sub.library.target)
            args += ["--lib", f"@INPUT{len(inputs) - 1}@", "--lib-name", sub.name,
                     "--stamp", f"@OUTPUT{len(outputs)}@"]
            outputs.append(f"{pair}.check")
            if harness:
                if source not in outputs:
                    outputs.append(source)
                # (Not the tests: they register themselves, the source does not name
                # them, and an edit of one recompiles it and relinks the harness.)
                args += ["--harness", f"@OUTPUT{outputs.index(source)}@"]
                for prelude in sub.test_headers:
                    args += ["--prelude", prelude]
                pairs.append((sub, pair))
        target = compat.call(
            state, "custom_target", header, input=inputs, output=outputs,
            command=[tools.bpfsubskel, "final", "@INPUT0@", "--skel", "@OUTPUT0@", "--name",
                     skeleton_name(final.name), *args, "--no-runtime-header", "--depfile",
                     "@DEPFILE@"],
            depfile=f"{header}.d",
            # Built on demand, unless it checks libraries (every build checks them).
            build_by_default=len(outputs) > 1)
        final.skeleton = target[0]
        if pairs:
            self._harness_program(state, f"{final.name}_harness", pairs, final,
                                  target[outputs.index(source)])

    def _library(self, target: Any, function: str, argument: str) -> BpfObject:
        obj = self.objects.get(id(target))
        if obj is None or not obj.library:
            what = "a final BPF object" if obj else "not made by subskel.bpf_object()"
            raise InvalidArguments(
                f"{function}: '{argument}' names '{target.name}', which is {what}; declare the "
                f"library with subskel.bpf_object(..., library: true)")
        return obj

    def _skeleton_target(self, state: Any, obj: Any, name: str, output: str,
                         light: bool = False) -> CustomTarget:
        return compat.call(
            state, "custom_target", output, input=[obj], output=[output],
            command=[self._tools(state).bpfsubskel, "skel", "@INPUT@", "-o", "@OUTPUT@",
                     "--name", name, "--depfile", "@DEPFILE@", *(["-L"] if light else [])],
            depfile=f"{output}.d", build_by_default=False)

    # -- vmlinux_h --------------------------------------------------------------------------

    @typed_pos_args("subskel.vmlinux_h")
    @typed_kwargs(
        "subskel.vmlinux_h",
        KwargInfo("btf", (str, File, CustomTarget, CustomTargetIndex),
                  default="/sys/kernel/btf/vmlinux"),
        KwargInfo("install", bool, default=False),
        KwargInfo("install_dir", (str, NoneType), default=None),
    )
    def vmlinux_h(self, state: Any, args: tuple[()], kwargs: dict[str, Any]
                  ) -> ModuleReturnValue:
        """vmlinux.h from kernel BTF (raw, or an ELF file's .BTF), for bpf_object sources."""
        btf = _as_file(state, kwargs["btf"])
        target = compat.call(
            state, "custom_target", "vmlinux.h", input=[btf], output=["vmlinux.h"],
            command=[self._tools(state).bpfsubskel, "vmlinux", "--btf", "@INPUT@", "-o",
                     "@OUTPUT@", "--depfile", "@DEPFILE@"],
            depfile="vmlinux.h.d", build_by_default=True,
            **_install_kwargs(state, kwargs, "includedir"))
        return ModuleReturnValue(target, [])

    # -- generate --------------------------------------------------------------------------

    @typed_pos_args("subskel.generate", (CustomTarget, CustomTargetIndex, File, str))
    @typed_kwargs(
        "subskel.generate",
        KwargInfo("name", (str, NoneType), default=None),
        KwargInfo("tests", ContainerTypeInfo(list, (str, File)), default=[], listify=True),
        KwargInfo("harness", bool, default=True),
        KwargInfo("kernels", (ContainerTypeInfo(list, str), NoneType), default=None),
        KwargInfo("test_headers", ContainerTypeInfo(list, str), default=[], listify=True),
        KwargInfo("test_dependencies", ContainerTypeInfo(list, Dependency), default=[],
                  listify=True),
        KwargInfo("install", bool, default=False),
        KwargInfo("install_dir", (str, NoneType), default=None),
    )
    def generate(self, state: Any, args: tuple[BpfInput], kwargs: dict[str, Any]
                 ) -> ModuleReturnValue:
        (lib,) = args
        obj = self.objects.get(id(lib))
        if obj is not None and not obj.library:
            raise InvalidArguments(
                f"subskel.generate: '{lib.name}' is a final BPF object; subskeletons are for "
                "BPF libraries (subskel.bpf_object(..., library: true)); use "
                "subskel.skeleton() for a final object")
        lib = _as_file(state, lib)
        name = kwargs["name"]
        if name is None:
            name = c_name(obj.name) if obj else default_object_name(_input_name(lib))
        problem = identifier_problem(name)
        if problem:
            raise InvalidArguments(f"subskel.generate: 'name' {name!r} {problem}; pass a valid "
                                   "C identifier")
        tests = [_as_file(state, t) for t in kwargs["tests"]]
        harness_kwargs = [k for k in ("tests", "test_headers", "test_dependencies") if kwargs[k]]
        if harness_kwargs and (obj is None or not kwargs["harness"]):
            raise InvalidArguments(
                f"subskel.generate: {', '.join(map(repr, harness_kwargs))} are for the "
                "harnesses of the final objects linking the library, so they need harness: "
                "true and a library made by subskel.bpf_object(..., library: true)")
        for header in kwargs["test_headers"]:
            if not is_include_path(header):
                raise InvalidArguments(
                    f"subskel.generate: 'test_headers' {header!r} is not a header as #include "
                    "names it (a relative path of letters, digits, '_', '-', '+', '.', '/'); "
                    "put its directory in a test_dependencies include_directories")

        tools = self._tools(state)
        output = f"{name}.subskel.h"
        header = compat.call(
            state, "custom_target", output, input=[lib], output=[output],
            command=[tools.bpfsubskel, "subskel", "@INPUT@", "-o", "@OUTPUT@", "--name", name,
                     "--depfile", "@DEPFILE@"],
            depfile=f"{output}.d", build_by_default=True,
            **_install_kwargs(state, kwargs, "includedir"))
        dependency = self._header_dependency(
            state, header, compat.call(state, "include_directories", "."))
        kernels = kwargs["kernels"]
        if kernels is None:
            kernels = compat.project_option(state, "subskel_kernels") or []
        if obj is not None and kwargs["harness"]:
            sub = Subskeleton(name, obj, dependency, tests, list(kernels),
                              list(kwargs["test_headers"]), list(kwargs["test_dependencies"]))
            if tests and compat.host_c_compiler(state) and not self._why_no_harness(state):
                # Compiled once for all the library's harnesses: a static library never
                # built itself, whose objects (all of them: tests register themselves from
                # constructors, which an archive's link would drop) each harness links.
                tests_lib = compat.call(
                    state, "static_library", f"{name}_harness_tests", *tests,
                    dependencies=[dependency, tools.harness_libbpf, *sub.test_dependencies],
                    c_args=["-isystem", tools.runtime_include], build_by_default=False,
                    override_options=["werror=false"])
                sub.test_objects = compat.extract_all_objects(tests_lib)
            self.subskeletons.append(sub)
            # Harnesses for final objects declared before this call.
            for final in [o for o in self.objects.values() if not o.library]:
                if obj in final.transitive_libraries():
                    self._add_harness(state, sub, final)
        return ModuleReturnValue(dependency, [])

    # -- skeleton --------------------------------------------------------------------------

    @typed_pos_args("subskel.skeleton", (CustomTarget, CustomTargetIndex, File, str))
    @typed_kwargs(
        "subskel.skeleton",
        KwargInfo("name", (str, NoneType), default=None),
        KwargInfo("header", (str, NoneType), default=None),
        KwargInfo("light", bool, default=False),
    )
    def skeleton(self, state: Any, args: tuple[BpfInput], kwargs: dict[str, Any]
                 ) -> ModuleReturnValue:
        (final,) = args
        obj = self.objects.get(id(final))
        if obj is not None and obj.library:
            raise InvalidArguments(
                f"subskel.skeleton: '{final.name}' is a BPF library, whose externs are "
                "unresolved; skeletons are for final objects (use subskel.generate() for a "
                "library)")
        final = _as_file(state, final)
        # Defaults as bpftool and libbpf-bootstrap: x.bpf.o -> x.skel.h, struct x_bpf.
        stem = obj.name if obj else _object_stem(_input_name(final))
        default = (skeleton_name(obj.name) if obj else default_object_name(_input_name(final)),
                   f"{stem}.skel.h")
        light = kwargs["light"]
        if light:  # light skeletons as the kernel selftests name them: x.lskel.h, x_lskel
            default = (c_name(f"{stem}_lskel"), f"{stem}.lskel.h")
        name = kwargs["name"] or default[0]
        header = kwargs["header"] or default[1]
        problem = identifier_problem(name)
        if problem:
            what = "'name'" if kwargs["name"] else \
                f"the name derived from {_input_name(final)!r} (pass name:)"
            raise InvalidArguments(f"subskel.skeleton: {what} {name!r} {problem}")
        if not is_header_file_name(header):
            raise InvalidArguments(f"subskel.skeleton: 'header' {header!r} is not a plain file "
                                   "name (letters, digits, '.', '_', '-')")
        key = ("file", compat.file_path(state, final)) if isinstance(final, File) else \
            ("target", id(final))
        key = (*key, name, header, light)
        if key not in self.skeletons:
            if obj is not None and (name, header) == default and not light:
                target, include_dirs = obj.skeleton, obj.include_dirs
            else:
                if (state.subdir, header) in self.skeleton_headers:
                    raise InvalidArguments(
                        f"subskel.skeleton: '{header}' is already generated in this directory "
                        "for another skeleton; pass header: with another file name")
                target = self._skeleton_target(state, final, name, header, light)
                include_dirs = compat.call(state, "include_directories", ".")
                self.skeleton_headers[(state.subdir, header)] = name
            self.skeletons[key] = self._header_dependency(state, target, include_dirs, light)
        return ModuleReturnValue(self.skeletons[key], [])

    def _header_dependency(self, state: Any, header: CustomTarget, include_dirs: Any,
                           light: bool = False) -> Any:
        """What userspace code including a generated header needs: the header (made
        first), its directory, libbpf (a light skeleton: libbpf's headers only, for
        <bpf/skel_internal.h>; it runs without libbpf and libelf)."""
        libbpf = self._tools(state).libbpf
        if light:
            libbpf = libbpf.get_partial_dependency(compile_args=True, includes=True)
        return compat.call(state, "declare_dependency", sources=[header],
                           include_directories=[include_dirs], dependencies=[libbpf])

    # -- harnesses -------------------------------------------------------------------------

    def _test_runtime(self, state: Any) -> Any:
        """The harness runtime (bpfsubskel_test_runtime.c), compiled once per project into
        a static library every harness links: they compile with SUBSKEL_TEST_RUNTIME_LINKED,
        so each compiles only its own tests."""
        if self.test_runtime is None:
            tools = self._tools(state)
            library = compat.call(
                state, "static_library", "bpfsubskel_test_runtime",
                os.path.join(tools.runtime_include, "bpfsubskel_test_runtime.c"),
                dependencies=[tools.harness_libbpf],
                c_args=["-isystem", tools.runtime_include], build_by_default=False,
                override_options=["werror=false"])
            self.test_runtime = compat.call(
                state, "declare_dependency", link_with=library,
                compile_args=["-DSUBSKEL_TEST_RUNTIME_LINKED"])
        return self.test_runtime

    def _why_no_harness(self, state: Any) -> str:
        """Why no harness is built, or '': not when the project turned them off (its
        boolean option subskel_tests, if it has one, is false); a harness runs on the host
        machine, so not when it cannot run there (cross without an exe_wrapper), nor
        without a libbpf (subskel_libbpf=none, none found). The build-time check still
        runs."""
        return (TESTS_OFF if compat.project_option(state, "subskel_tests") is False else
                "this cross build cannot run host binaries (no exe_wrapper)"
                if not compat.can_run_host_binaries(state) else
                "subskel_libbpf is none and no libbpf was found for the harness"
                if self._tools(state).harness_libbpf is None else "")

    def _plan_pair(self, state: Any, sub: Subskeleton, final: BpfObject
                   ) -> Optional[tuple[str, bool]]:
        """(pair name, whether it gets a harness) of one (library, final object) pair, or
        None: no check either (no C compiler)."""
        final_name = c_name(final.name)
        pair = f"{sub.name}_in_{final_name}"
        if pair in self.harness_names:
            raise InvalidArguments(
                f"subskel: two harnesses would be named '{pair}' (library "
                f"'{sub.library.name}' as '{sub.name}' in a final object '{final.name}'); give "
                "the final objects linking a library different names, and call generate() "
                "once per library and name")
        self.harness_names.add(pair)
        if not compat.host_c_compiler(state):
            compat.warning(f"subskel: no test {pair}: the harness is C and this project has "
                           "no C compiler (add 'c' to project() languages)")
            return None
        why_not = self._why_no_harness(state)
        if why_not and why_not != TESTS_OFF:  # else as asked: no news
            compat.message(f"subskel: no harness test {pair}: {why_not}")
        return pair, not why_not

    def _add_harness(self, state: Any, sub: Subskeleton, final: BpfObject) -> None:
        """A pair found after its final object's command was made (generate() after
        bpf_object()): its own check and harness source commands."""
        plan = self._plan_pair(state, sub, final)
        if plan is None:
            return
        pair, harness = plan
        tools = self._tools(state)
        lib_target = sub.library.target
        check = compat.call(
            state, "custom_target", f"{pair}.check", input=[lib_target, final.target],
            output=[f"{pair}.check"],
            command=[tools.bpfsubskel, "check", "@INPUT0@", "@INPUT1@", "--stamp", "@OUTPUT@",
                     "--depfile", "@DEPFILE@"],
            depfile=f"{pair}.check.d", build_by_default=True)
        if not harness:
            return
        test_args = []
        for header in sub.test_headers:
            test_args += ["--prelude", header]
        source = compat.call(
            state, "custom_target", f"{pair}.test.c", input=[lib_target, final.target],
            output=[f"{pair}.test.c"],
            command=[tools.bpfsubskel, "harness", "@INPUT0@", "@INPUT1@", "-o", "@OUTPUT@",
                     "--lib-name", sub.name, "--final-name", skeleton_name(final.name),
                     "--final-header", f"{final.name}.skel.h", "--no-runtime-header",
                     *test_args, "--depfile", "@DEPFILE@"],
            depfile=f"{pair}.test.c.d", depends=[check])
        self._harness_program(state, f"{pair}_harness", [(sub, pair)], final, source)

    def _harness_program(self, state: Any, name: str, pairs: list[tuple[Subskeleton, str]],
                         final: BpfObject, source: Any) -> None:
        """The harness executable `name` testing the libraries of `pairs` inside the final
        object, and each pair's tests (the program's --lib picks the library)."""
        tools = self._tools(state)
        sources, objects = [source, final.skeleton], []
        dependencies = [self._test_runtime(state), tools.harness_libbpf]
        for sub, _ in pairs:
            if sub.test_objects is not None:  # compiled once for all its harnesses
                objects.append(sub.test_objects)
            else:
                sources += sub.tests
            dependencies += [sub.dependency, *sub.test_dependencies]
        program = compat.call(
            state, "executable", name, *sources, objects=objects, dependencies=dependencies,
            include_directories=[final.include_dirs],
            c_args=["-isystem", tools.runtime_include], build_by_default=True,
            # The project's -Dwerror/warning_level are for its code, not for generated code.
            override_options=["werror=false"])
        for sub, pair in pairs:
            selected = ["--lib", sub.name]
            compat.call(state, "test", pair, program, args=selected, suite=["bpfsubskel"],
                        protocol="exitcode")
            for kernel in sub.kernels:
                # The kernel is fetched at test time, on first use: the timeout leaves room.
                compat.call(state, "test", f"{pair}@{kernel}", tools.bpfsubskel,
                            args=["vm", "--kernel", kernel, "--skip-unavailable", "--timeout",
                                  str(VM_TIMEOUT), "--", program, *selected],
                            suite=["bpfsubskel", "vm"], protocol="exitcode",
                            timeout=VM_TIMEOUT + 600)


def initialize(interpreter: Any) -> SubskelModule:
    return SubskelModule(interpreter)


def _as_file(state: Any, item: Any) -> Any:
    """A string names a source file, as in meson.build: files(item)."""
    return compat.call(state, "files", item)[0] if isinstance(item, str) else item


def _install_kwargs(state: Any, kwargs: dict[str, Any], option: str, *subdir: str
                    ) -> dict[str, Any]:
    """custom_target()'s install arguments; install_dir defaults to get_option(option)/subdir."""
    if not kwargs["install"]:
        return {"install": False}
    install_dir = kwargs["install_dir"] or os.path.join(
        compat.call(state, "get_option", option), *subdir)
    return {"install": True, "install_dir": [install_dir]}


def _outputs(target: Union[CustomTarget, CustomTargetIndex]) -> list[str]:
    return [target.output] if isinstance(target, CustomTargetIndex) else target.get_outputs()


def _object_stem(file_name: str) -> str:
    """`x.bpf.o` -> `x`, `y.o` -> `y`: what libbpf-bootstrap names x.skel.h after."""
    for suffix in (".bpf.o", ".o"):
        if file_name.endswith(suffix) and len(file_name) > len(suffix):
            return file_name[: -len(suffix)]
    return file_name


def _input_name(obj: Any) -> str:
    return obj.fname if isinstance(obj, File) else _outputs(obj)[0]


def _bpf_command(state: Any, bpfsubskel: list[str], clang: Optional[str]) -> list[str]:
    """`bpfsubskel cflags` for the host machine, once per configure: the clang compiling
    BPF objects, then its flags (byte order, __TARGET_ARCH_*, asm/types.h's directory)."""
    cpu_family, endian = compat.host_machine(state)
    args = ["cflags", "--cpu-family", cpu_family, "--endian", endian, "--with-clang",
            "--check-link", *(f"--cc={word}" for word in compat.host_c_compiler(state))]
    if clang:
        args.append(f"--clang={clang}")
    if compat.host_sys_root(state):
        args.append(f"--sysroot={compat.host_sys_root(state)}")
    try:
        result = subprocess.run([*bpfsubskel, *args], capture_output=True, text=True,
                                check=False)
    except OSError as e:
        raise InvalidArguments(f"subskel: cannot run bpfsubskel ({' '.join(bpfsubskel)}): "
                               f"{e.strerror}") from None
    for line in result.stderr.splitlines():
        if result.returncode == 0 and line.strip():
            compat.warning(line)
    if result.returncode:
        raise InvalidArguments(result.stderr.strip() or f"bpfsubskel {' '.join(args)} failed")
    return result.stdout.splitlines()


def _libbpf(state: Any) -> tuple[Any, Any]:
    """(what code using generated headers gets, what harnesses link) for the project's
    option subskel_libbpf: shared (default), static, or none (the project links or loads
    libbpf itself; harnesses link the system's shared libbpf, or are not built)."""
    choice = compat.project_option(state, "subskel_libbpf") or "shared"
    if choice not in LIBBPF_CHOICES:
        raise InvalidArguments(f"subskel: option subskel_libbpf is {choice!r}; use one of "
                               f"{', '.join(LIBBPF_CHOICES)}")
    libbpf = compat.call(state, "dependency", "libbpf", required=False)
    if choice == "none":
        return compat.call(state, "declare_dependency"), libbpf if libbpf.found() else None
    if libbpf.found() and choice == "static":
        libbpf = _static_libbpf(state, libbpf)
    if not libbpf.found():
        cross = " for the host machine (a cross file's [binaries] pkg-config)" \
            if not compat.can_run_host_binaries(state) else ""
        raise InvalidArguments(
            f"subskel: libbpf not found through pkg-config{cross}; install libbpf-dev and "
            "pkg-config (Debian: apt-get install libbpf-dev pkg-config), or set the project "
            "option subskel_libbpf to none to link or load libbpf yourself")
    return libbpf, libbpf


def _static_libbpf(state: Any, libbpf: Any) -> Any:
    """libbpf.a, and the libraries of its .pc's Requires.private (shared, as CMake's
    choice: `dependency(static: true)` would take every one static, and Debian 13's
    libelf.a does not link from its .pc)."""
    libdir = libbpf.get_variable(pkgconfig="libdir")
    archive = os.path.join(libdir, "libbpf.a")
    if not os.path.isfile(archive):
        raise InvalidArguments(f"subskel: subskel_libbpf is static but {archive} does not "
                               "exist; install libbpf's static library (Debian's libbpf-dev "
                               "has it) or choose shared")
    pc = os.path.join(libbpf.get_variable(pkgconfig="pcfiledir"), "libbpf.pc")
    try:
        with open(pc) as f:
            text = f.read()
    except OSError as e:
        raise InvalidArguments(f"subskel: cannot read {pc}: {e.strerror}") from None
    line = re.search(r"^Requires\.private:(.*)$", text, re.M)
    names = re.sub(r"[<>=!]+\s*\S+", "", line.group(1)).replace(",", " ").split() if line \
        else []
    return compat.call(
        state, "declare_dependency", link_args=[archive],
        dependencies=[libbpf.get_partial_dependency(compile_args=True, includes=True),
                      *(compat.call(state, "dependency", name) for name in names)])


def _runtime_include(bpfsubskel: list[str]) -> str:
    """Where bpfsubskel_test.h is, as the build's bpfsubskel reports it."""
    try:
        result = subprocess.run([*bpfsubskel, "--includedir"], capture_output=True, text=True,
                                check=False)
    except OSError as e:
        raise InvalidArguments(f"subskel: cannot run bpfsubskel ({' '.join(bpfsubskel)}): "
                               f"{e.strerror}; fix [binaries] bpfsubskel in the machine "
                               "file") from None
    path = result.stdout.strip()
    if result.returncode != 0 or not os.path.isfile(os.path.join(path, "bpfsubskel_test.h")):
        raise InvalidArguments(f"subskel: `{' '.join(bpfsubskel)} --includedir` failed: "
                               f"{result.stderr.strip() or path!r}")
    return path
