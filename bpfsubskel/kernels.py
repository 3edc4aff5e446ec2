"""Kernels for `bpfsubskel vm`: Debian's linux-image packages, fetched into a user cache.

A cached kernel is a directory holding what a boot needs and nothing else:

    vmlinux            the uncompressed ELF image (QEMU boots it through its PVH entry,
                       skipping the in-guest decompression that costs seconds under TCG)
    modules/*.ko       the modules the VM's init loads, uncompressed
    modules/order      their names in load order (dependencies first)
    release            the kernel's `uname -r`
    package            the Debian package and version it came from

`kernels/<series>` (6.1, 5.10...) is a symlink to the newest directory fetched for the
series. Fetches hold `kernels/.lock`, build in a temporary directory and rename it into
place, so concurrent fetches and runs never see a partial kernel.
"""

from __future__ import annotations

import contextlib
import fcntl
import lzma
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Optional

from .errors import InputError

# What the VM's init needs as modules (when they are not built into the kernel).
WANTED_MODULES = ("virtio_pci", "virtio_console", "9pnet_virtio", "9p", "overlay")
# What they depend on in Debian's 5.10-6.12 kernels: taken in the same pass over the .deb.
LIKELY_DEPENDENCIES = ("virtio", "virtio_ring", "virtio_pci_legacy_dev", "virtio_pci_modern_dev",
                       "9pnet", "netfs", "fscache")
# Debian's suites holding linux-image-*-amd64 packages for the series people test on:
# 5.10 (bullseye), 6.1 (bookworm), 6.12 (bookworm-security, the backport to bookworm).
SUITES = (("debian", "bookworm"), ("debian-security", "bookworm-security"),
          ("debian", "bullseye"), ("debian-security", "bullseye-security"))
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
SERIES = re.compile(r"\d+\.\d+\Z")


def fail(what: str, message: str) -> InputError:
    return InputError(what, message)


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "bpfsubskel" / "kernels"


def cached(series: str) -> Optional[Path]:
    """The cached kernel directory of a series, if one was fetched."""
    path = cache_root() / series
    return path.resolve() if (path / "vmlinux").is_file() else None


@contextlib.contextmanager
def _locked(root: Path) -> Iterator[None]:
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def obtain(series: str, refresh: bool = False, log: Callable[[str], None] = print) -> Path:
    """The kernel directory of a series: from the cache, else (or with refresh) fetched."""
    what = f"--kernel {series}"
    if not SERIES.match(series):
        raise fail(what, "a kernel version is MAJOR.MINOR, such as 5.10, 6.1 or 6.12")
    if not refresh and (hit := cached(series)):
        return hit
    root = cache_root()
    with _locked(root):
        if not refresh and (hit := cached(series)):
            return hit  # another process fetched it while this one waited
        return _fetch(series, root, log)


# -- the private apt --------------------------------------------------------------------

def _apt(root: Path) -> dict[str, str]:
    """An environment for apt-get/apt-cache with a private configuration and state."""
    apt = root / ".apt"
    for sub in ("lists/partial", "archives/partial", "parts", "preferences.d"):
        (apt / sub).mkdir(parents=True, exist_ok=True)
    (apt / "status").touch()
    mirror = os.environ.get("BPFSUBSKEL_DEBIAN_MIRROR", "http://deb.debian.org").rstrip("/")
    if not os.path.isfile(KEYRING):
        raise fail("apt", f"{KEYRING} is missing; install debian-archive-keyring")
    sources = "".join(f"deb [signed-by={KEYRING}] {mirror}/{archive} {suite} main\n"
                      for archive, suite in SUITES)
    (apt / "sources.list").write_text(sources)
    conf = f"""\
Dir::Etc::main "/dev/null";
Dir::Etc::Parts "{apt}/parts";
Dir::Etc::SourceList "{apt}/sources.list";
Dir::Etc::SourceParts "{apt}/parts";
Dir::Etc::Preferences "{apt}/preferences";
Dir::Etc::PreferencesParts "{apt}/preferences.d";
Dir::State "{apt}";
Dir::State::Lists "{apt}/lists";
Dir::State::status "{apt}/status";
Dir::Cache "{apt}";
Dir::Cache::Archives "{apt}/archives";
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
Dir::Log "{apt}";
APT::Architecture "amd64";
APT::Architectures {{ "amd64"; }};
Acquire::Languages "none";
Acquire::GzipIndexes "true";
APT::Sandbox::User "root";
"""
    (apt / "apt.conf").write_text(conf)
    return {**os.environ, "APT_CONFIG": str(apt / "apt.conf"), "LC_ALL": "C"}


def _run(what: str, command: list[str], env: dict[str, str], cwd: Optional[Path] = None) -> str:
    try:
        result = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True)
    except OSError as e:
        raise fail(command[0], f"cannot run it ({e.strerror}); Debian's apt and dpkg "
                               "fetch kernels") from None
    if result.returncode:
        errors = [line for line in result.stderr.splitlines() if line.startswith(("E:", "W:"))]
        detail = (errors or result.stderr.strip().splitlines() or ["no message"])[-1]
        raise fail(what, f"{' '.join(command[:2])} failed: {detail}")
    return result.stdout


def _natural(name: str) -> list[object]:
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name)]


def newest_package(series: str, names: list[str]) -> Optional[str]:
    """linux-image-6.1.0-57-amd64 or linux-image-6.12.117+deb12-amd64 for 6.1 / 6.12;
    not -cloud/-rt flavours, meta-packages or bullseye's 6.1.0-0.deb11.N backports."""
    pattern = re.compile(rf"linux-image-{re.escape(series)}\.\d+(?:-\d+|\+deb\d+)-amd64\Z")
    matching = [n for n in names if pattern.match(n)]
    return max(matching, key=_natural) if matching else None


def _fetch(series: str, root: Path, log: Callable[[str], None]) -> Path:
    what = f"--kernel {series}"
    env = _apt(root)
    log(f"bpfsubskel: vm: looking up Debian's newest {series} kernel")
    _run(what, ["apt-get", "-q", "update"], env)
    names = _run(what, ["apt-cache", "pkgnames", "linux-image-"], env).split()
    package = newest_package(series, names)
    if package is None:
        known = sorted({m.group(1) for n in names
                        if (m := re.match(r"linux-image-(\d+\.\d+)\.\d+(?:-\d+|\+deb\d+)-amd64\Z",
                                          n))}, key=_natural)
        raise fail(what, f"Debian ({', '.join(s for _, s in SUITES)}) has no {series} kernel; "
                         f"it has {', '.join(known) or 'none'}")
    release = package.removeprefix("linux-image-")
    current = cache_root() / series
    if current.is_symlink() and os.readlink(current) == release and cached(series):
        return current.resolve()
    tmp = Path(tempfile.mkdtemp(prefix=".fetch-", dir=root))
    try:
        log(f"bpfsubskel: vm: downloading {package}")
        _run(what, ["apt-get", "-q", "download", package], env, cwd=tmp)
        (deb,) = tmp.glob("*.deb")
        out = tmp / release
        unpack(deb, out, what)
        deb.unlink()
        (out / "package").write_text(f"{deb.name}\n")
        final = root / release
        if final.exists():
            shutil.rmtree(final)
        os.rename(out, final)
        link = root / f".{series}.{os.getpid()}"
        with contextlib.suppress(FileNotFoundError):
            link.unlink()
        os.symlink(release, link)
        os.replace(link, current)
        log(f"bpfsubskel: vm: kernel {release} cached in {final}")
        return final
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# -- unpacking -----------------------------------------------------------------------------

def unpack(deb: Path, out: Path, what: str) -> None:
    """vmlinux, the wanted modules (and what they depend on) and the release from a
    linux-image .deb, streaming its data archive once (twice if a dependency lies
    outside the usual directories)."""
    (out / "modules").mkdir(parents=True)
    builtin: set[str] = set()
    found: dict[str, bytes] = {}
    needed = {*WANTED_MODULES, *LIKELY_DEPENDENCIES}
    release = ""
    image = b""
    for _ in range(4):
        with _data_tar(deb, what) as tar:
            for member in tar:
                name = member.name.removeprefix("./")
                if re.match(r"boot/vmlinuz-", name) and member.isfile() and not image:
                    image = _read(tar, member)
                    release = name.removeprefix("boot/vmlinuz-")
                elif name.endswith("/modules.builtin") and member.isfile():
                    builtin = {module_name(p) for p in _read(tar, member).decode().split()}
                elif (m := _module_file(name)) and m in needed - found.keys():
                    found[m] = decompress_module(_read(tar, member), name, what)
        missing = _closure(set(WANTED_MODULES), found, builtin)
        if not missing:
            break
        if missing <= needed:  # looked for already: not in the package
            raise fail(what, f"{deb.name} lacks the modules {sorted(missing)} (and they are "
                             "not built into its kernel)")
        needed |= missing
    else:
        raise fail(what, f"{deb.name}: the module dependencies do not resolve")
    if not image:
        raise fail(what, f"{deb.name} holds no boot/vmlinuz-*")
    (out / "vmlinux").write_bytes(vmlinux_from(image, what))
    write_modules(out / "modules", found, builtin)
    (out / "release").write_text(f"{release}\n")


def _closure(needed: set[str], found: dict[str, bytes], builtin: set[str]) -> set[str]:
    """Modules needed (directly or as dependencies) that are neither found nor built in."""
    missing: set[str] = set()
    pending = list(needed)
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if name in seen or name in builtin:
            continue
        seen.add(name)
        if name not in found:
            missing.add(name)
            continue
        pending += module_depends(found[name])
    return missing


def load_order(found: dict[str, bytes], builtin: set[str]) -> list[str]:
    """The wanted modules and their dependencies, each after what it depends on."""
    order: list[str] = []

    def visit(name: str) -> None:
        if name in builtin or name in order:
            return
        for dep in module_depends(found[name]):
            visit(dep)
        order.append(name)

    for name in WANTED_MODULES:
        visit(name)
    return order


def write_modules(directory: Path, found: dict[str, bytes], builtin: set[str]) -> None:
    order = load_order(found, builtin)
    for name in order:
        (directory / f"{name}.ko").write_bytes(found[name])
    (directory / "order").write_text("".join(f"{n}.ko\n" for n in order))


def modules_from_tree(tree: Path, what: str) -> tuple[dict[str, bytes], set[str]]:
    """`--modules DIR`: the wanted modules and their dependencies found anywhere under
    DIR (a /lib/modules/RELEASE tree, or a flat directory of .ko files)."""
    files: dict[str, Path] = {}
    for path in sorted(tree.rglob("*.ko*")):
        if (m := _module_file(str(path))) and m not in files:
            files[m] = path
    builtin: set[str] = set()
    for listing in tree.rglob("modules.builtin"):
        builtin |= {module_name(p) for p in listing.read_text().split()}
    found: dict[str, bytes] = {}
    pending = list(WANTED_MODULES)
    while pending:
        name = pending.pop()
        if name in found or name in builtin:
            continue
        if name not in files:
            # Not in the tree: assume the kernel has it built in (its init says otherwise).
            builtin.add(name)
            continue
        found[name] = decompress_module(files[name].read_bytes(), str(files[name]), what)
        pending += module_depends(found[name])
    return found, builtin


def module_name(path: str) -> str:
    base = os.path.basename(path)
    for suffix in (".ko.xz", ".ko.zst", ".ko.gz", ".ko"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
    return base.replace("-", "_")


def _module_file(path: str) -> Optional[str]:
    return module_name(path) if re.search(r"\.ko(\.xz|\.zst|\.gz)?\Z", path) else None


def module_depends(ko: bytes) -> list[str]:
    """The `depends=` of a module's .modinfo (NUL-separated key=value strings)."""
    m = re.search(rb"(?:^|\0)depends=([^\0]*)\0", ko)
    return [d.decode().replace("-", "_") for d in m.group(1).split(b",") if d] if m else []


def decompress_module(data: bytes, name: str, what: str) -> bytes:
    if name.endswith(".xz"):
        return lzma.decompress(data)
    if name.endswith(".gz"):
        return zlib.decompress(data, 47)
    if name.endswith(".zst"):
        return _zstd(data, what)
    return data


def _zstd(data: bytes, what: str) -> bytes:
    try:
        result = subprocess.run(["zstd", "-d", "-c", "-q"], input=data, capture_output=True)
    except OSError:
        raise fail(what, "zstd-compressed kernel files need the zstd program "
                         "(apt-get install zstd)") from None
    if result.returncode:
        raise fail(what, f"zstd -d failed: {result.stderr.decode(errors='replace').strip()}")
    return result.stdout


def vmlinux_from(image: bytes, what: str) -> bytes:
    """The ELF vmlinux inside a bzImage (as the kernel's scripts/extract-vmlinux, but
    from the boot header's payload_offset/payload_length); an ELF image is returned as is."""
    if image[:4] == b"\x7fELF":
        return image
    candidates = []
    if image[0x202:0x206] == b"HdrS" and len(image) > 0x250:
        setup_sects = image[0x1F1] or 4
        offset = int.from_bytes(image[0x248:0x24C], "little")
        length = int.from_bytes(image[0x24C:0x250], "little")
        start = (setup_sects + 1) * 512 + offset
        candidates.append(image[start:start + length])
    for magic in (b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd", b"\x1f\x8b\x08\x00"):
        if (start := image.find(magic)) != -1:
            candidates.append(image[start:])
    decompressors = ((b"\xfd7zXZ\x00", _xz_stream), (b"\x28\xb5\x2f\xfd", _zstd_stream),
                     (b"\x1f\x8b\x08\x00", _gzip_stream))
    for payload in candidates:
        for magic, decompress in decompressors:
            if payload.startswith(magic):
                with contextlib.suppress(Exception):
                    elf = decompress(payload, what)
                    if elf[:4] == b"\x7fELF":
                        return elf
    raise fail(what, "cannot find the compressed vmlinux inside the kernel image "
                     "(xz, zstd and gzip are supported)")


def _xz_stream(data: bytes, what: str) -> bytes:
    return lzma.LZMADecompressor().decompress(data)


def _gzip_stream(data: bytes, what: str) -> bytes:
    return zlib.decompressobj(47).decompress(data)


def _zstd_stream(data: bytes, what: str) -> bytes:
    # Trailing bytes after the frame make zstd exit 1; the output is still whole.
    return subprocess.run(["zstd", "-d", "-c", "-q"], input=data, capture_output=True).stdout


@contextlib.contextmanager
def _data_tar(deb: Path, what: str) -> Iterator[tarfile.TarFile]:
    """The .deb's data archive as a stream (dpkg-deb knows every compression)."""
    try:
        proc = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
    except OSError as e:
        raise fail(what, f"cannot run dpkg-deb ({e.strerror})") from None
    assert proc.stdout is not None
    try:
        with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
            yield tar
            # Read to the end, so dpkg-deb finishes.
            for _ in tar:
                pass
    finally:
        proc.stdout.close()
        _, err = proc.communicate()
        if proc.returncode not in (0, -13):  # -13: SIGPIPE when stopped early
            raise fail(what, f"dpkg-deb --fsys-tarfile {deb.name} failed: "
                             f"{err.decode(errors='replace').strip()}")


def _read(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    f: Optional[IO[bytes]] = tar.extractfile(member)
    return f.read() if f else b""
