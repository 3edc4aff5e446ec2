"""`bpfsubskel vm`: run a command as root inside a QEMU VM booting another kernel.

The VM boots the kernel with a small generated initramfs (busybox-static, the 9p,
virtio and overlay modules, templates/vm-init.sh), mounts the host's / read-only over
virtio-9p under a throwaway tmpfs overlay, and runs the command in the current
directory. stdout, stderr and the exit status come back over virtio-serial ports.
KVM is used when it boots the kernel; otherwise (and from then on, until the host
reboots) TCG.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import selectors
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from . import kernels
from .errors import InputError

HELP = "run a command as root inside a QEMU VM booting another kernel"
DESCRIPTION = """\
Run CMD as root inside a virtual machine booting kernel K, with the host's / visible
read-only (writes go to a throwaway overlay) and the current directory the same:

    bpfsubskel vm --kernel 6.1 -- uname -r
    bpfsubskel vm --kernel ~/linux/vmlinux --modules ~/linux/mods -- ./harness
    bpfsubskel vm --fetch 6.12

K is a kernel image (vmlinux or bzImage; modules from --modules, else from modules/
beside it, else assumed built in), or a version such as 5.10, 6.1 or 6.12: Debian's
newest linux-image-VERSION.*-amd64 package (bullseye, bookworm, bookworm-security),
fetched on first use with a private apt configuration into
${XDG_CACHE_HOME:-~/.cache}/bpfsubskel/kernels/. --fetch VERSION fetches (or
updates) one and exits.

stdout and stderr stream through separately; stdin is /dev/null. The exit status is
CMD's (128+N when a signal N killed it), 124 when --timeout expired (the VM is
killed), 2 when the VM cannot run (no QEMU, a bad kernel). Needs qemu-system-x86_64
and a static busybox (Debian: apt-get install qemu-system-x86 busybox-static).
KVM is used when it can boot the kernel, TCG otherwise (BPFSUBSKEL_VM_ACCEL=kvm|tcg
forces one).
"""

PORTS = ("out", "err", "status")
KVM_BOOT_SECONDS = 20.0  # under KVM the guest says "booted" in well under a second
_SKIP_ENV = {"PWD", "OLDPWD", "SHLVL", "_"}
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kernel", metavar="K",
                        help="kernel image file, or a Debian kernel version (5.10, 6.1, 6.12)")
    parser.add_argument("--fetch", metavar="VERSION",
                        help="fetch Debian's newest kernel VERSION into the cache and exit")
    parser.add_argument("--memory", default="1G", metavar="M",
                        help="guest memory, as QEMU's -m (default: 1G)")
    parser.add_argument("--timeout", type=float, metavar="S",
                        help="kill the VM after S seconds (boot included) and exit 124")
    parser.add_argument("--modules", metavar="DIR",
                        help="where the modules of an image file are (a /lib/modules/RELEASE "
                             "tree or a directory of .ko files)")
    parser.add_argument("--skip-unavailable", action="store_true",
                        help="for test runners: when the kernel or QEMU cannot be had, say "
                             "why and exit 77 (skipped), or fail (exit 2) under "
                             "BPFSUBSKEL_REQUIRE_LOAD=1")
    parser.add_argument("cmd", nargs=argparse.REMAINDER, metavar="-- CMD [ARG...]",
                        help="the command to run in the VM")


class _Signalled(Exception):
    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@dataclass
class Kernel:
    label: str  # for messages: the --kernel value
    image: Path
    modules: list[tuple[str, bytes]] = field(default_factory=list)  # in load order


@dataclass
class Boot:
    """What came back from one VM run."""

    booted: bool = False
    status: Optional[int] = None
    timed_out: bool = False
    qemu_status: Optional[int] = None
    qemu_stderr: bytes = b""
    status_text: bytes = b""


def command(args: argparse.Namespace) -> int:
    cmd = list(args.cmd)
    if cmd[:1] == ["--"]:
        cmd = cmd[1:]
    if args.fetch is not None:
        if args.kernel or cmd:
            raise InputError("--fetch", "--fetch VERSION takes no --kernel and no command")
        path = kernels.obtain(args.fetch, refresh=True, log=_log)
        print(f"{args.fetch}: {(path / 'release').read_text().strip()} in {path}")
        return 0
    if not args.kernel:
        raise InputError("vm", "--kernel K is required (an image file or a version such as 6.1)")
    if not cmd:
        raise InputError("vm", "no command: bpfsubskel vm --kernel K -- CMD [ARG...]")
    if args.timeout is not None and args.timeout <= 0:
        raise InputError("--timeout", f"{args.timeout:g} is not a positive number of seconds")
    handlers = {s: signal.signal(s, _raise) for s in (signal.SIGINT, signal.SIGTERM,
                                                       signal.SIGHUP)}
    try:
        try:
            qemu = _qemu()
            busybox = _busybox()
            kernel = _kernel(args.kernel, args.modules)
        except InputError as e:
            if not args.skip_unavailable or os.environ.get("BPFSUBSKEL_REQUIRE_LOAD") == "1":
                raise
            _log(f"bpfsubskel: vm: SKIP: {e.path}: {e.message}")
            return 77
        with tempfile.TemporaryDirectory(prefix="bpfsubskel-vm-") as tmp:
            return _run(qemu, busybox, kernel, cmd, args, Path(tmp))
    except _Signalled as e:
        return 128 + e.signum
    finally:
        for s, h in handlers.items():
            signal.signal(s, h)


def _raise(signum: int, frame: Any) -> None:
    raise _Signalled(signum)


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- what a VM needs ----------------------------------------------------------------------

def _qemu() -> str:
    name = os.environ.get("BPFSUBSKEL_QEMU") or "qemu-system-x86_64"
    path = shutil.which(name)
    if path is None:
        raise InputError(name, "not found on PATH; install QEMU (Debian: apt-get install "
                               "qemu-system-x86) or set BPFSUBSKEL_QEMU")
    return path


def _busybox() -> Path:
    name = os.environ.get("BPFSUBSKEL_BUSYBOX") or "busybox"
    found = shutil.which(name) or shutil.which(name, path="/bin:/usr/bin:/sbin:/usr/sbin")
    if found is None:
        raise InputError(name, "not found; install a static busybox (Debian: apt-get install "
                               "busybox-static) or set BPFSUBSKEL_BUSYBOX")
    data = Path(found).read_bytes()
    if _elf_interpreter(data):
        raise InputError(found, "is dynamically linked, but the VM's initramfs has no libc; "
                                "install busybox-static or set BPFSUBSKEL_BUSYBOX")
    return Path(found)


def _elf_interpreter(data: bytes) -> bool:
    """Whether a 64-bit little-endian ELF has a PT_INTERP program header."""
    if data[:4] != b"\x7fELF" or data[4] != 2:
        return False
    phoff = int.from_bytes(data[32:40], "little")
    phentsize = int.from_bytes(data[54:56], "little")
    phnum = int.from_bytes(data[56:58], "little")
    return any(int.from_bytes(data[phoff + i * phentsize:phoff + i * phentsize + 4], "little")
               == 3 for i in range(phnum))


def _kernel(value: str, modules_dir: Optional[str]) -> Kernel:
    what = f"--kernel {value}"
    path = Path(value).expanduser()
    if path.is_file() or "/" in value:
        if not path.is_file():
            raise InputError(what, "no such kernel image file")
        directory = Path(modules_dir) if modules_dir else path.parent / "modules"
        if modules_dir and not directory.is_dir():
            raise InputError(f"--modules {modules_dir}", "not a directory")
        return Kernel(value, path.resolve(), _modules(directory, what))
    if modules_dir:
        raise InputError("--modules", "only for a kernel image file (a cached Debian kernel "
                                      "has its modules)")
    if not kernels.SERIES.match(value):
        raise InputError(what, "neither a kernel image file nor a version such as 5.10, 6.1 "
                               "or 6.12")
    directory = kernels.obtain(value, log=_log)
    return Kernel(value, directory / "vmlinux", _modules(directory / "modules", what))


def _modules(directory: Path, what: str) -> list[tuple[str, bytes]]:
    if not directory.is_dir():
        return []
    order = directory / "order"
    if order.is_file():  # a cached Debian kernel: already resolved and uncompressed
        return [(n, (directory / n).read_bytes()) for n in order.read_text().split()]
    found, builtin = kernels.modules_from_tree(directory, what)
    return [(f"{n}.ko", found[n]) for n in kernels.load_order(found, builtin)]


def initramfs(busybox: Path, kernel: Kernel) -> bytes:
    """A newc cpio archive: /init, /bin/busybox, /lib/modules/*.ko and /modules."""
    from .render import resource_dir

    init = (resource_dir("templates") / "vm-init.sh").read_bytes()
    entries: list[tuple[str, int, bytes]] = [
        (d, 0o40755, b"") for d in ("bin", "dev", "proc", "sys", "lib", "lib/modules")]
    entries += [("init", 0o100755, init), ("bin/busybox", 0o100755, busybox.read_bytes()),
                ("modules", 0o100644, "".join(f"{n}\n" for n, _ in kernel.modules).encode())]
    entries += [(f"lib/modules/{n}", 0o100644, data) for n, data in kernel.modules]
    out = bytearray()
    for ino, (name, mode, data) in enumerate([*entries, ("TRAILER!!!", 0, b"")], 1):
        encoded = name.encode() + b"\0"
        fields = (ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(encoded), 0)
        out += b"070701" + b"".join(b"%08X" % f for f in fields) + encoded
        out += b"\0" * (-len(out) % 4) + data
        out += b"\0" * (-len(out) % 4)
    return bytes(out)


def run_script(cmd: list[str]) -> str:
    """What the VM's init runs: the host's environment, directory and command."""
    lines = ["# written by bpfsubskel vm"]
    try:
        cwd = os.getcwd()
    except OSError:
        cwd = "/"
    lines.append(f"cd -- {shlex.quote(cwd)} || exit 125")
    for name, value in sorted(os.environ.items()):
        if _ENV_NAME.match(name) and name not in _SKIP_ENV:
            lines.append(f"export {name}={shlex.quote(value)}")
    lines.append("exec " + " ".join(shlex.quote(a) for a in cmd))
    return "\n".join(lines) + "\n"


# -- running ---------------------------------------------------------------------------

def _run(qemu: str, busybox: Path, kernel: Kernel, cmd: list[str], args: argparse.Namespace,
         tmp: Path) -> int:
    (tmp / "initramfs.cpio").write_bytes(initramfs(busybox, kernel))
    script = tmp / "run.sh"
    script.write_text(run_script(cmd))
    deadline = time.monotonic() + args.timeout if args.timeout else None
    accel = _accelerator()
    boot = _boot(qemu, kernel, accel, args.memory, tmp, deadline)
    if accel == "kvm" and not boot.booted and not boot.timed_out:
        boot = _boot(qemu, kernel, "tcg", args.memory, tmp, deadline)
        if boot.booted:  # KVM is what failed: TCG from now on, until the host reboots
            _kvm_verdict_path().parent.mkdir(parents=True, exist_ok=True)
            _kvm_verdict_path().write_text("KVM did not boot a kernel that TCG boots\n")
    if boot.timed_out:
        _log(f"bpfsubskel: vm: timed out after {args.timeout:g} s; the VM was killed")
        return 124
    if boot.status is not None:
        return boot.status
    raise InputError(f"--kernel {kernel.label}", _why_not(boot, tmp))


def _why_not(boot: Boot, tmp: Path) -> str:
    """One line on why the VM ran no command."""
    qemu_lines = [line for line in boot.qemu_stderr.decode(errors="replace").splitlines()
                  if line.strip() and "warning:" not in line]
    if boot.qemu_status and qemu_lines:
        return f"QEMU cannot boot it: {qemu_lines[-1].strip()}"
    console = (tmp / "console.log").read_text(errors="replace") if \
        (tmp / "console.log").exists() else ""
    ours = [line for line in console.splitlines() if "bpfsubskel-vm:" in line]
    if ours:
        return f"the VM's init failed: {ours[-1].split('bpfsubskel-vm:', 1)[1].strip()}"
    if boot.booted:
        return "the VM stopped before the command finished (kernel crash?): " + \
            _last_line(console)
    return "the kernel did not boot to the VM's init: " + _last_line(console)


def _last_line(console: str) -> str:
    lines = [re.sub(r"^\[\s*[\d.]+\]\s*", "", line).strip() for line in console.splitlines()]
    lines = [line for line in lines if line and not line.startswith(("---[", "Kernel Offset"))]
    return lines[-1] if lines else "no console output"


def _kvm_verdict_path() -> Path:
    try:
        boot_id = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        boot_id = "unknown"
    return kernels.cache_root().parent / f"kvm-unusable-{boot_id}"


def _accelerator() -> str:
    forced = os.environ.get("BPFSUBSKEL_VM_ACCEL", "")
    if forced in ("kvm", "tcg"):
        return forced
    try:
        os.close(os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC))
    except OSError:
        return "tcg"
    return "tcg" if _kvm_verdict_path().exists() else "kvm"


def _qemu_command(qemu: str, kernel: Kernel, accel: str, memory: str, tmp: Path) -> list[str]:
    # Measured under TCG: no ACPI, no clocksource checks, qboot instead of SeaBIOS and
    # a plain CPU model (no 5-level paging to emulate) each shave a little off a boot.
    cmdline = ["console=ttyS0", "quiet", "panic=-1", "rdinit=/init", "acpi=off",
               "tsc=reliable", "no_timer_check", "mitigations=off", "i8042.noaux",
               "i8042.nomux", "i8042.nopnp", "8250.nr_uarts=1",
               f"bpfsubskel_run={tmp / 'run.sh'}"]
    command = [qemu, "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
               "-machine", "pc,hpet=off", "-accel", accel,
               "-cpu", "host" if accel == "kvm" else "qemu64", "-smp", "1", "-m", memory]
    qboot = Path(qemu).resolve().parent.parent / "share" / "qemu" / "qboot.rom"
    if qboot.is_file():
        command += ["-bios", str(qboot)]
    command += ["-kernel", str(kernel.image), "-initrd", str(tmp / "initramfs.cpio"),
                "-append", " ".join(cmdline),
                "-chardev", f"file,id=console,path={tmp / 'console.log'}",
                "-serial", "chardev:console",
                "-virtfs", "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,"
                           "multidevs=remap",
                "-device", "virtio-serial-pci,id=vser"]
    for port in PORTS:
        command += ["-chardev", f"socket,id={port},path={tmp / port}",
                    "-device", f"virtserialport,bus=vser.0,chardev={port},name={port}"]
    return command


def _die_with_parent() -> None:
    """In QEMU's process: SIGKILL it when bpfsubskel dies, however that happens."""
    import ctypes

    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _boot(qemu: str, kernel: Kernel, accel: str, memory: str, tmp: Path,
          deadline: Optional[float]) -> Boot:
    """One VM run: stream its stdout/stderr, collect its status; the VM is gone after."""
    boot = Boot()
    listeners = {}
    for port in PORTS:
        path = tmp / port
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(str(path))
        s.listen(1)
        listeners[port] = s
    (tmp / "console.log").write_bytes(b"")
    sel = selectors.DefaultSelector()
    proc: Optional[subprocess.Popen[bytes]] = None
    conns: list[socket.socket] = []
    try:
        proc = subprocess.Popen(_qemu_command(qemu, kernel, accel, memory, tmp),
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, start_new_session=True,
                                preexec_fn=_die_with_parent)
        assert proc.stderr is not None
        for port, s in listeners.items():
            sel.register(s, selectors.EVENT_READ, ("listen", port))
        sel.register(proc.stderr, selectors.EVENT_READ, ("qemu", ""))
        kvm_deadline = time.monotonic() + KVM_BOOT_SECONDS if accel == "kvm" else None
        qemu_running = True
        while qemu_running:  # until QEMU closes its stderr: it exited
            limits = [d for d in (deadline, None if boot.booted else kvm_deadline) if d]
            timeout = max(0.0, min(limits) - time.monotonic()) if limits else None
            events = sel.select(timeout)
            if not events and limits and time.monotonic() >= min(limits):
                boot.timed_out = deadline is not None and time.monotonic() >= deadline
                break  # a deadline passed: --timeout, or KVM did not boot
            for key, _ in events:
                if not _handle(key, sel, conns, boot):
                    qemu_running = False
        if not qemu_running:
            # QEMU is gone: what it wrote to the ports is there to the end.
            proc.wait()
            for s in listeners.values():
                with contextlib.suppress(KeyError):
                    sel.unregister(s)
                s.setblocking(False)
                with contextlib.suppress(BlockingIOError):
                    conn, _ = s.accept()
                    conn.setblocking(True)
                    conns.append(conn)
                    sel.register(conn, selectors.EVENT_READ, ("port", _port_of(s, listeners)))
            while any(k.data[0] == "port" for k in sel.get_map().values()):
                for key, _ in sel.select():
                    _handle(key, sel, conns, boot)
    finally:
        if proc is not None:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            boot.qemu_status = proc.returncode
            if proc.stderr:
                proc.stderr.close()
        sel.close()
        for s in [*listeners.values(), *conns]:
            s.close()
    m = re.search(rb"^exit (\d+)$", boot.status_text, re.M)
    if m and not boot.timed_out:
        boot.status = int(m.group(1))
    return boot


def _handle(key: selectors.SelectorKey, sel: selectors.BaseSelector,
            conns: list[socket.socket], boot: Boot) -> bool:
    """Act on one ready stream; False when it was QEMU's stderr reaching its end."""
    kind, port = key.data
    if kind == "listen":
        conn, _ = key.fileobj.accept()  # type: ignore[union-attr]
        sel.unregister(key.fileobj)
        conns.append(conn)
        sel.register(conn, selectors.EVENT_READ, ("port", port))
        return True
    data = os.read(key.fileobj.fileno(), 65536)  # type: ignore[union-attr]
    if not data:
        sel.unregister(key.fileobj)
        return kind != "qemu"
    if kind == "qemu":
        boot.qemu_stderr += data
    elif port == "status":
        boot.status_text += data
        boot.booted = boot.booted or b"booted\n" in boot.status_text
    else:
        _forward(1 if port == "out" else 2, data)
    return True


def _port_of(s: socket.socket, listeners: dict[str, socket.socket]) -> str:
    return next(p for p, ls in listeners.items() if ls is s)


def _forward(fd: int, data: bytes) -> None:
    with contextlib.suppress(BrokenPipeError):
        while data:
            data = data[os.write(fd, data):]
