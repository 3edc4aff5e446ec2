#!/usr/bin/env bash
# Builds the quickstart by hand, the way a Makefile would, and runs it.
# BPFSUBSKEL: how to run bpfsubskel (default: `bpfsubskel` on PATH).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/build"
bpfsubskel="${BPFSUBSKEL:-bpfsubskel}"
bpf_cflags=(-target bpf -g -O2 "-I/usr/include/$(gcc -print-multiarch)")
mkdir -p "$out"

clang "${bpf_cflags[@]}" -c "$here/counters.bpf.c" -o "$out/counters.o"
clang "${bpf_cflags[@]}" -c "$here/syscalls.bpf.c" -o "$out/syscalls.o"
# The BPF library, and a final object that links it.
$bpfsubskel link -o "$out/counters.bpf.o" "$out/counters.o"
$bpfsubskel link -o "$out/syscalls.bpf.o" "$out/syscalls.o" "$out/counters.bpf.o"
# The library's subskeleton: all its userspace half needs.
$bpfsubskel subskel "$out/counters.bpf.o" -o "$out/counters.subskel.h"
# The final object's skeleton (bpfsubskel skel replaces this once it exists).
bpftool gen skeleton "$out/syscalls.bpf.o" name syscalls > "$out/syscalls.skel.h"

cc -Wall -Wextra -O2 -I"$out" "$here/main.c" "$here/counters_user.c" -o "$out/quickstart" -lbpf
"$out/quickstart"
