/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The bpfsubskel harness runtime (bpfsubskel_test.h's implementation), compiled once
 * and linked into every harness compiled with -DSUBSKEL_TEST_RUNTIME_LINKED: the CMake
 * package and the Meson module build it this way, so that each harness compiles only
 * its own tests. Without that macro a harness compiles the runtime itself.
 */
#define SUBSKEL_TEST_RUNTIME
#include "bpfsubskel_test.h"
