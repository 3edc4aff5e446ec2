#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine for bpfsubskel, then runs one job:
#   ./run.sh demo   build sample_project/ with CMake, run its harnesses and programs
#                   (they load BPF: run as root), then build and test it with Meson
#   ./run.sh test   run the whole test suite (lint + pytest)
#   ./run.sh bench  the benchmarks against bpftool (bench/README.md)
#   ./run.sh test-trixie, ./run.sh bench-trixie
#                   the whole test suite (benchmarks) again on the second toolchain tier: Debian 13
#                   (clang 19, libbpf 1.5, bpftool 7.5, cmake 3.31, meson 1.7) in a chroot
#                   built with debootstrap and cached in $BPFSUBSKEL_TRIXIE_ROOT
#                   (default /var/cache/bpfsubskel/trixie); needs root
# Setup is idempotent: apt packages only if missing, the venv in .venv (or
# $BPFSUBSKEL_VENV), the package installed from a wheel of this checkout (a real,
# non-editable install).
set -euo pipefail
cd "$(dirname "$0")"
job="${1:-}"
case "$job" in demo|test|bench|test-trixie|bench-trixie) ;;
    *) echo "usage: $0 demo|test|bench|test-trixie|bench-trixie" >&2; exit 2 ;; esac

# Debian's cross compilers (with the targets' linux-libc-dev-*-cross and libc headers):
# BPF objects and generated headers for other machines (test_cflags, test_cross_builds).
cross_packages=(gcc-aarch64-linux-gnu gcc-s390x-linux-gnu gcc-riscv64-linux-gnu
                gcc-powerpc64le-linux-gnu libc6-dev-arm64-cross libc6-dev-s390x-cross
                libc6-dev-riscv64-cross libc6-dev-ppc64el-cross)
apt_packages=(clang llvm libbpf-dev libelf-dev pkg-config ninja-build cmake make gcc g++ bpftool
              python3 python3-venv meson "${cross_packages[@]}")
# bpfsubskel vm: QEMU, a static busybox for its initramfs, zstd for newer Debian kernels.
# Its tests are host-tier only, so the Debian 13 chroot goes without.
[ "${BPFSUBSKEL_TOOLCHAIN_TIER:-1}" = 2 ] || apt_packages+=(qemu-system-x86 busybox-static zstd)
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

if [ "$job" = test-trixie ] || [ "$job" = bench-trixie ]; then
    # Tier 2: the same checkout, bind-mounted at the same path inside a Debian 13 chroot,
    # in a private mount namespace (the mounts vanish with it; runs can overlap).
    root="${BPFSUBSKEL_TRIXIE_ROOT:-/var/cache/bpfsubskel/trixie}"
    if [ -z "${BPFSUBSKEL_IN_NAMESPACE:-}" ]; then
        if [ ! -e "$root/.bpfsubskel-ready" ]; then
            command -v debootstrap >/dev/null || {
                $sudo apt-get update -qq
                DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq debootstrap >/dev/null
            }
            echo "run.sh: building the Debian 13 chroot in $root (once)" >&2
            $sudo rm -rf "$root.partial"
            $sudo mkdir -p "$(dirname "$root")"
            $sudo debootstrap --variant=minbase trixie "$root.partial" \
                http://deb.debian.org/debian >/dev/null
            $sudo rm -rf "$root"
            $sudo mv "$root.partial" "$root"
            $sudo touch "$root/.bpfsubskel-ready"
        fi
        exec $sudo env BPFSUBSKEL_IN_NAMESPACE=1 unshare --mount --propagation private "$0" "$@"
    fi
    trixie_packages=(clang llvm libbpf-dev libelf-dev pkg-config ninja-build cmake make gcc g++
                     bpftool python3 python3-venv meson ca-certificates "${cross_packages[@]}")
    copy_host_config() {  # apt and pip inside reach the registries the host reaches
        cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
        mkdir -p "$root/etc/ssl/certs"
        cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
        if [ -e /etc/pip.conf ]; then cp /etc/pip.conf "$root/etc/pip.conf"; fi
    }
    mount -t proc proc "$root/proc"
    for dir in /sys /dev "$PWD"; do
        mkdir -p "$root$dir"
        mount --rbind "$dir" "$root$dir"
    done
    copy_host_config
    in_root() { chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin \
                    LANG=C.UTF-8 "$@"; }
    missing=()
    for p in "${trixie_packages[@]}"; do
        in_root dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        echo "run.sh: installing ${missing[*]} in the Debian 13 chroot" >&2
        in_root apt-get update -qq
        in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            "${missing[@]}" >/dev/null
        copy_host_config  # ca-certificates replaced the bundle: the host's again
    fi
    # The venv lives in the checkout (.venv-trixie), beside the host's .venv.
    exec chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin \
        LANG=C.UTF-8 BPFSUBSKEL_VENV=.venv-trixie BPFSUBSKEL_TOOLCHAIN_TIER=2 \
        ${BPFSUBSKEL_REQUIRE_LOAD:+BPFSUBSKEL_REQUIRE_LOAD="$BPFSUBSKEL_REQUIRE_LOAD"} \
        bash -c 'cd "$1" && shift && exec ./run.sh "$@"' run.sh "$PWD" "${job%-trixie}" "${@:2}"
fi

missing=()
for p in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "run.sh: installing ${missing[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

python="${PYTHON:-python3}"
venv="${BPFSUBSKEL_VENV:-.venv}"
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
pip=(-m pip install -q --disable-pip-version-check)
"$venv/bin/python" "${pip[@]}" --upgrade pip
# Always reinstall from the checkout, so the tests see exactly this source. A real
# (non-editable) install: Meson finds import('subskel') through its .pth hook.
rm -rf "$venv/wheel"
"$venv/bin/python" -m pip wheel -q --disable-pip-version-check --no-deps -w "$venv/wheel" .
wheel=("$venv"/wheel/bpfsubskel-*.whl)
install_package() {  # PYTHON [more requirements...]
    "$1" "${pip[@]}" --force-reinstall --no-deps "${wheel[0]}"
    "$1" "${pip[@]}" "${wheel[0]}" "${@:2}"
}
install_package "$venv/bin/python" pytest ruff meson
venv="$(cd "$venv" && pwd)"
export PATH="$venv/bin:$PATH"

case "$job" in
demo)
    cmake -S sample_project -B build/sample -G Ninja \
        -Dbpfsubskel_DIR="$(python3 -m bpfsubskel --cmakedir)"
    cmake --build build/sample
    (cd build/sample && $sudo ctest --output-on-failure)
    $sudo build/sample/syscount
    $sudo build/sample/pktcount
    # The same sample with Meson (the newest, from the venv) and import('subskel').
    [ -d build/sample-meson ] || meson setup build/sample-meson sample_project >/dev/null
    meson compile -C build/sample-meson
    $sudo "$venv/bin/meson" test -C build/sample-meson --print-errorlogs
    ;;
bench)
    # Side by side with bpftool (bench/README.md): per command at 10 and 3,000 globals,
    # then whole builds (CMake, Meson, by hand with bpftool). Extra arguments go to
    # bench/bench.py.
    python3 bench/bench.py --repeat 5 --sizes 10 3000 --commands subskel skel link \
        --bpfsubskel "$venv/bin/bpfsubskel" "${@:2}"
    python3 bench/build_bench.py --shapes 1,2 4,8
    ;;
test)
    # The newest CMake from PyPI, beside (not in) the venv: the tests build with it too.
    if [ ! -x "$venv/cmake-latest/cmake/data/bin/cmake" ]; then
        "$venv/bin/python" "${pip[@]}" --target "$venv/cmake-latest" cmake
    fi
    # Debian's own Meson (1.0.1) runs under Debian's Python: a venv over it gets bpfsubskel.
    if [ ! -x "$venv/debian-meson/bin/python" ]; then
        /usr/bin/python3 -m venv --system-site-packages "$venv/debian-meson"
    fi
    install_package "$venv/debian-meson/bin/python"
    # Meson 0.63, older than the module supports: its projects must fall back.
    if [ ! -d "$venv/meson-0.63/mesonbuild" ]; then
        "$venv/bin/python" "${pip[@]}" --no-deps --target "$venv/meson-0.63" meson==0.63.3
    fi
    ruff check .
    # From tests/ so that `import bpfsubskel` is the installed package, not the checkout.
    cd tests && exec pytest -p no:cacheprovider "${@:2}"
    ;;
esac
