#!/usr/bin/env bash
# Builds the quickstart by hand, the way a Makefile would, runs the library's test
# harness in the final object, then the program.
# BPFSUBSKEL: how to run bpfsubskel (default: `bpfsubskel` on PATH).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/build"
bpfsubskel="${BPFSUBSKEL:-bpfsubskel}"
bpf_cflags=(-target bpf -g -O2 "-I/usr/include/$(gcc -print-multiarch)")
cflags=(-Wall -Wextra -O2 -I"$out")
mkdir -p "$out"

clang "${bpf_cflags[@]}" -c "$here/counters.bpf.c" -o "$out/counters.o"
clang "${bpf_cflags[@]}" -c "$here/syscalls.bpf.c" -o "$out/syscalls.o"
# The BPF library, and a final object that links it.
$bpfsubskel link -o "$out/counters.bpf.o" "$out/counters.o"
$bpfsubskel link -o "$out/syscalls.bpf.o" "$out/syscalls.o" "$out/counters.bpf.o"
# The library's subskeleton (all its userspace half needs), the final object's skeleton.
$bpfsubskel subskel "$out/counters.bpf.o" -o "$out/counters.subskel.h" --name counters
$bpfsubskel skel "$out/syscalls.bpf.o" -o "$out/syscalls.skel.h"   # struct syscalls_bpf

# Does the library work inside this final object? Statically, then in the kernel.
$bpfsubskel check "$out/counters.bpf.o" "$out/syscalls.bpf.o"
$bpfsubskel harness "$out/counters.bpf.o" "$out/syscalls.bpf.o" \
    -o "$out/counters__syscalls.test.c" --test "$here/counters_test.c" \
    --lib-name counters --final-name syscalls_bpf --final-header syscalls.skel.h
cc "${cflags[@]}" "$out/counters__syscalls.test.c" "$here/counters_test.c" \
    -o "$out/counters__syscalls.test" -lbpf
"$out/counters__syscalls.test"

cc "${cflags[@]}" "$here/main.c" "$here/counters_user.c" -o "$out/quickstart" -lbpf
"$out/quickstart"
