"""The system libbpf (`libbpf.so.1`) through ctypes: the few functions bpfsubskel calls.

Shared by `link` (the static linker, bpf_linker__*) and `skel -L` (the loader generator,
bpf_object__gen_loader). libbpf's messages are captured per call, so a failure becomes
one line naming libbpf's reason.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pickle
import signal
from collections.abc import Iterator
from typing import Callable, NamedTuple, TypeVar

from .errors import InputError

T = TypeVar("T")

_PRINT_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p)
_P = ctypes.c_void_p

# libbpf's uapi constants the loader-generator path reads (linux/bpf.h; stable ABI)
BPF_PROG_TYPE_RAW_TRACEPOINT = 17
BPF_PROG_TYPE_TRACING = 26
BPF_PROG_TYPE_LSM = 29
BPF_TRACE_ITER = 28
BPF_MAP_TYPE_STRUCT_OPS = 26
BPF_F_RDONLY_PROG = 1 << 7
BPF_F_MMAPABLE = 1 << 10


class _OpenOpts(ctypes.Structure):
    """struct bpf_object_open_opts, up to bpf_token_path (libbpf 1.4)."""

    _fields_ = [
        ("sz", ctypes.c_size_t),
        ("object_name", ctypes.c_char_p),
        ("relaxed_maps", ctypes.c_bool),
        ("pin_root_path", ctypes.c_char_p),
        ("_attach_prog_fd", ctypes.c_uint32),
        ("kconfig", ctypes.c_char_p),
        ("btf_custom_path", ctypes.c_char_p),
        ("kernel_log_buf", ctypes.c_char_p),
        ("kernel_log_size", ctypes.c_size_t),
        ("kernel_log_level", ctypes.c_uint32),
        ("bpf_token_path", ctypes.c_char_p),
    ]


# libbpf < 1.4 rejects options past kernel_log_level (OPTS_VALID): give it that size.
_OPEN_OPTS_SZ_BEFORE_TOKEN = _OpenOpts.bpf_token_path.offset


class _GenLoaderOpts(ctypes.Structure):
    """struct gen_loader_opts as of libbpf 0.6-1.5 (later versions only append)."""

    _fields_ = [
        ("sz", ctypes.c_size_t),
        ("data", ctypes.c_void_p),
        ("insns", ctypes.c_void_p),
        ("data_sz", ctypes.c_uint32),
        ("insns_sz", ctypes.c_uint32),
    ]


# NamedTuples, not dataclasses: importing dataclasses (through inspect) costs `link` ~5 ms.
class MapInfo(NamedTuple):
    """One map as libbpf sees it after a (loader-generating) load, in libbpf's order."""

    name: str
    type: int
    internal: bool
    flags: int
    value_size: int
    max_entries: int
    initial: bytes  # internal maps: bpf_map__initial_value after load (kconfig resolved)


class ProgInfo(NamedTuple):
    name: str
    section: str
    type: int
    expected_attach_type: int


class Loader(NamedTuple):
    """What bpf_object__gen_loader + bpf_object__load produce: the loader program's data
    and instructions, and the object's maps and programs in libbpf's order."""

    data: bytes
    insns: bytes
    maps: list[MapInfo]
    progs: list[ProgInfo]


class Libbpf:
    """libbpf.so.1 with a message log captured while `capture()` is active."""

    def __init__(self, path: str) -> None:
        """`path` names the input in errors (libbpf missing, too old)."""
        try:
            lib = ctypes.CDLL("libbpf.so.1")
            libc = ctypes.CDLL(None)
        except OSError as e:
            raise InputError(path, f"cannot load libbpf ({e}); install libbpf1") from None
        self.lib = lib
        self.path = path
        self.log: list[tuple[int, str]] = []
        libc.vsnprintf.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, _P]
        self._declare("libbpf_set_print", _P, _P)

        def on_print(level: int, fmt: bytes, args: int) -> int:
            buf = ctypes.create_string_buffer(1024)
            libc.vsnprintf(buf, len(buf), fmt, args)
            self.log.append((level, buf.value.decode(errors="replace").strip()))
            return 0

        self._print_cb = _PRINT_FN(on_print)  # kept alive as long as self

    def _declare(self, name: str, restype: object, *argtypes: object) -> Callable[..., object]:
        try:
            fn = getattr(self.lib, name)
        except AttributeError:
            raise InputError(self.path, f"the system libbpf ({self.version_text()}) is too old: "
                                        f"it has no {name}(); install libbpf >= 1.0") from None
        fn.restype = restype
        fn.argtypes = list(argtypes)
        return fn  # type: ignore[no-any-return]

    def version(self) -> tuple[int, int]:
        try:
            major, minor = self.lib.libbpf_major_version, self.lib.libbpf_minor_version
        except AttributeError:  # before libbpf 0.6
            return (0, 0)
        major.restype = minor.restype = ctypes.c_uint32
        return (major(), minor())

    def version_text(self) -> str:
        major, minor = self.version()
        return f"libbpf {major}.{minor}" if (major, minor) != (0, 0) else "libbpf < 0.6"

    @contextlib.contextmanager
    def capture(self) -> Iterator[None]:
        """Route libbpf's messages into self.log (cleared) for the duration."""
        old = self.lib.libbpf_set_print(ctypes.cast(self._print_cb, _P))
        self.log.clear()
        try:
            yield
        finally:
            self.lib.libbpf_set_print(old)

    def reason(self, count: int = 2) -> str:
        """libbpf's last `count` warnings (level 0), without the `libbpf: ` prefix."""
        lines = [line.removeprefix("libbpf: ") for level, line in self.log if line and level == 0]
        return "; ".join(lines[-count:]) if lines else "libbpf gave no reason"

    # -- static linker ------------------------------------------------------------------

    def link_once(self, inputs: list[str], output: str) -> None:
        """One bpf_linker run; raises InputError naming the input that failed.

        It runs in a forked child (see `isolated`): libbpf's linker has crashed on
        objects bpfsubskel's ELF checks let through before, and may again.
        """
        isolated(inputs[-1], "linking", lambda: self._link_once(inputs, output))

    def _link_once(self, inputs: list[str], output: str) -> None:
        new = self._declare("bpf_linker__new", _P, ctypes.c_char_p, _P)
        add_file = self._declare("bpf_linker__add_file", ctypes.c_int, _P, ctypes.c_char_p, _P)
        finalize = self._declare("bpf_linker__finalize", ctypes.c_int, _P)
        free = self._declare("bpf_linker__free", None, _P)
        with self.capture():
            linker = new(os.fsencode(output), None)
            try:
                if not linker:
                    raise InputError(output, f"cannot create the linker: {self.reason()}")
                for path in inputs:
                    if add_file(linker, os.fsencode(path), None) < 0:  # type: ignore[operator]
                        raise InputError(path, f"cannot be linked: {self.reason()}")
                if finalize(linker) < 0:  # type: ignore[operator]
                    raise InputError(inputs[-1], f"linking failed: {self.reason()}")
            finally:
                if linker:
                    free(linker)

    # -- loader generator ---------------------------------------------------------------

    def gen_loader(self, data: bytes, object_name: str) -> Loader:
        """bpf_object__open_mem, bpf_object__gen_loader, bpf_object__load: the loader.

        With a loader generator attached, libbpf's load records every syscall it would
        make into the loader program instead of making it: no map, program or BTF is
        created in the kernel, feature probes are skipped (the latest kernel is
        assumed), and no privilege is needed. The BPF token step of libbpf >= 1.4 is
        switched off (an empty bpf_token_path) so not even a token is created.
        """
        lib = self.lib
        open_mem = self._declare("bpf_object__open_mem", _P, ctypes.c_char_p, ctypes.c_size_t, _P)
        gen_loader = self._declare("bpf_object__gen_loader", ctypes.c_int, _P, _P)
        load = self._declare("bpf_object__load", ctypes.c_int, _P)
        close = self._declare("bpf_object__close", None, _P)
        next_map = self._declare("bpf_object__next_map", _P, _P, _P)
        next_prog = self._declare("bpf_object__next_program", _P, _P, _P)
        for fn, res in (("bpf_map__name", ctypes.c_char_p), ("bpf_map__type", ctypes.c_int),
                        ("bpf_map__is_internal", ctypes.c_bool),
                        ("bpf_map__map_flags", ctypes.c_uint32),
                        ("bpf_map__value_size", ctypes.c_uint32),
                        ("bpf_map__max_entries", ctypes.c_uint32),
                        ("bpf_program__name", ctypes.c_char_p),
                        ("bpf_program__section_name", ctypes.c_char_p),
                        ("bpf_program__type", ctypes.c_int),
                        ("bpf_program__expected_attach_type", ctypes.c_int)):
            self._declare(fn, res, _P)
        initial_value = self._declare("bpf_map__initial_value", _P, _P,
                                      ctypes.POINTER(ctypes.c_size_t))

        opts = _OpenOpts(object_name=object_name.encode())
        if self.version() >= (1, 4):
            opts.sz = ctypes.sizeof(_OpenOpts)
            opts.bpf_token_path = b""  # "no token": libbpf must not touch /sys/fs/bpf
        else:
            opts.sz = _OPEN_OPTS_SZ_BEFORE_TOKEN
        with self.capture():
            obj = open_mem(data, len(data), ctypes.byref(opts))
            if not obj:
                raise InputError(self.path, f"libbpf cannot open it: {self.reason()}")
            try:
                gen = _GenLoaderOpts(sz=ctypes.sizeof(_GenLoaderOpts))
                if gen_loader(obj, ctypes.byref(gen)) < 0:  # type: ignore[operator]
                    raise InputError(self.path, "libbpf cannot generate a loader: "
                                                f"{self.reason()}")
                if load(obj) < 0:  # type: ignore[operator]
                    raise InputError(self.path, "libbpf's loader generator failed: "
                                                f"{self.reason(3)}")
                maps = []
                m = next_map(obj, None)
                while m:
                    size = ctypes.c_size_t(0)
                    internal = bool(lib.bpf_map__is_internal(m))
                    value = initial_value(m, ctypes.byref(size)) if internal else None
                    maps.append(MapInfo(
                        name=lib.bpf_map__name(m).decode(errors="replace"),
                        type=lib.bpf_map__type(m), internal=internal,
                        flags=lib.bpf_map__map_flags(m), value_size=lib.bpf_map__value_size(m),
                        max_entries=lib.bpf_map__max_entries(m),
                        initial=ctypes.string_at(value, size.value) if value else b""))
                    m = next_map(obj, m)
                progs = []
                p = next_prog(obj, None)
                while p:
                    progs.append(ProgInfo(
                        name=lib.bpf_program__name(p).decode(errors="replace"),
                        section=lib.bpf_program__section_name(p).decode(errors="replace"),
                        type=lib.bpf_program__type(p),
                        expected_attach_type=lib.bpf_program__expected_attach_type(p)))
                    p = next_prog(obj, p)
                return Loader(ctypes.string_at(gen.data, gen.data_sz),
                              ctypes.string_at(gen.insns, gen.insns_sz), maps, progs)
            finally:
                close(obj)


def isolated(path: str, what: str, fn: Callable[[], T]) -> T:
    """Run `fn` in a forked child and return its result.

    libbpf dereferences NULL on some objects it was never taught to generate loaders
    for (struct_ops maps in 1.1-1.5; bpftool 7.1 and 7.5 crash there too). A crash
    in the child becomes an InputError about `path`, never a dead bpfsubskel.
    """
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never returns
        status = 0
        try:
            os.close(read_fd)
            try:
                result: object = ("ok", fn())
            except InputError as e:
                result = ("error", (e.path, e.message))
            payload = pickle.dumps(result)
            with os.fdopen(write_fd, "wb") as out:
                out.write(payload)
        except BaseException:  # nothing may escape a forked child
            status = 3
        os._exit(status)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as pipe:
        payload = pipe.read()
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        sig = signal.Signals(os.WTERMSIG(status)).name
        raise InputError(path, f"libbpf crashed ({sig}) while {what}; this object is not "
                               "supported by the system libbpf")
    if os.WEXITSTATUS(status) != 0 or not payload:
        raise InputError(path, f"libbpf failed while {what} (child exit status "
                               f"{os.WEXITSTATUS(status)})")
    kind, value = pickle.loads(payload)
    if kind == "error":
        raise InputError(*value)
    return value  # type: ignore[no-any-return]

