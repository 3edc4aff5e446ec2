# bpfsubskel for CMake: BPF objects and libraries, skeletons, subskeletons, and a test
# harness for every (BPF library, final object) pair. Thin wrappers over the
# `python -m bpfsubskel` command line; all generation logic lives there.
#
#   bpf_object(<name> SOURCES <x.bpf.c>... [LIBRARY] [LIBRARIES <bpf library>...]
#              [INCLUDE_DIRECTORIES <dir>...] [COMPILE_OPTIONS <opt>...]
#              [SKELETON [LIGHT] [SKELETON_NAME <c name>] [SKELETON_HEADER <file>]]
#              [INSTALL [DESTINATION <dir>] [HEADER_DESTINATION <dir>] [EXPORT <set>]])
#     Compiles each source with clang for BPF (with a depfile) and links them with
#     `bpfsubskel link` into <name>.bpf.o: a BPF library (LIBRARY; its externs may stay
#     unresolved) or a final object, which also links its LIBRARIES and theirs.
#     Target properties: BPF_OBJECT (the .bpf.o path), BPF_LIBRARY, BPF_LIBRARIES.
#     SKELETON: <name>.skel.h declaring `struct <name>_bpf` (bpftool's name for
#     <name>.bpf.o; SKELETON_NAME and SKELETON_HEADER choose others) and an INTERFACE
#     target <name>_skel (include dir + libbpf).
#     SKELETON LIGHT: a light skeleton instead (bpftool gen skeleton -L), named as the
#     kernel selftests name theirs: <name>.lskel.h declaring `struct <name>_lskel`;
#     <name>_skel carries libbpf's include directory (skel_internal.h) but links
#     neither libbpf nor libelf.
#     INSTALL: `cmake --install` installs <name>.bpf.o (DESTINATION, default
#     ${CMAKE_INSTALL_LIBDIR}/bpf) and the skeleton header (HEADER_DESTINATION, default
#     ${CMAKE_INSTALL_INCLUDEDIR}), where <name>_skel's include directory points once
#     installed. EXPORT <set>: <name>_skel joins the install export set <set>, and
#     <set>Config.cmake sets <set>_<name>_BPF_OBJECT to the installed object's path
#     (also without SKELETON: then only the path).
#
#   bpf_object(... DEPENDS <target>...)
#     Generates the targets' headers (bpf_vmlinux_h) before compiling, with their
#     directories on the include path.
#
#   bpf_vmlinux_h(<target> [BTF <file>])
#     A target generating <target>/vmlinux.h (bpfsubskel vmlinux; bpftool btf dump ...
#     format c) from kernel BTF: BTF <file> (raw BTF or an ELF file with .BTF), by default
#     /sys/kernel/btf/vmlinux, the running kernel's. Pass it to bpf_object(DEPENDS).
#
#   bpf_subskeleton(<target> <bpf library target | lib.bpf.o> [NAME <c name>]
#                   [TESTS <user_test.c>...] [KERNELS <version | image>...]
#                   [TEST_HEADERS <header>...] [TEST_INCLUDE_DIRECTORIES <dir>...]
#                   [TEST_LINK_LIBRARIES <lib>...]
#                   [INSTALL [DESTINATION <dir>] [EXPORT <set>]])
#     Generates <c name>.subskel.h and makes <target> an INTERFACE library carrying its
#     directory and libbpf. For every final object linking the library, declared before
#     or after this call: a build-time check and a test <lib>_in_<final>
#     (SKIP_RETURN_CODE 77) running `<final>_harness --lib <c name>`, the harness
#     executable of the final object, which tests every library in it (one compile and
#     link per final object; a pair found after the final object's command was made gets
#     its own <lib>_in_<final>_harness) with the TESTS linked in (compiled once, in the
#     OBJECT library <target>_harness_tests) and the harness runtime (compiled once per
#     project, in the static library bpfsubskel_test_runtime). For every kernel in KERNELS (default: the
#     cache variable BPFSUBSKEL_KERNELS), a test <lib>_in_<final>@<kernel> (LABELS vm)
#     runs the same harness in `bpfsubskel vm --kernel <kernel>`; a kernel that cannot
#     be had (fetched at test time) skips, and fails under BPFSUBSKEL_REQUIRE_LOAD=1.
#     TEST_HEADERS are included (#include "<header>") before the generated headers in
#     every harness (the types the library's globals name); TEST_INCLUDE_DIRECTORIES and
#     TEST_LINK_LIBRARIES are added to the harness executables (and so to TESTS).
#     Cross compiling without CMAKE_CROSSCOMPILING_EMULATOR, harnesses are not built or
#     registered (they could not run), nor with BUILD_TESTING (CTest's option) OFF; the
#     build-time check still runs.
#     INSTALL: `cmake --install` installs the header (DESTINATION, default
#     ${CMAKE_INSTALL_INCLUDEDIR}), where <target>'s include directory points once
#     installed. EXPORT <set>: <target> joins the install export set <set>.
#     Build cost: one `bpfsubskel final` process per final object links it and writes its
#     skeleton, the checks and the harness sources of every library it links whose
#     subskeleton is declared before the end of the final object's directory (a deferred
#     call); a pair found later gets one `bpfsubskel final` process of its own. A library
#     and its subskeleton declared in the same directory are one `bpfsubskel library`.
#
#   bpfsubskel_install_export(<set> [NAMESPACE <ns>::] [DESTINATION <dir>])
#     Installs the export set <set> (what bpf_object() and bpf_subskeleton() put in it with
#     INSTALL EXPORT <set>, and any other target the project installs with EXPORT <set>)
#     as a package: <set>Targets.cmake (install(EXPORT), targets named <ns>::<target>,
#     default <set>::) and <set>Config.cmake, in DESTINATION (default
#     ${CMAKE_INSTALL_LIBDIR}/cmake/<set>). A project using it needs no bpfsubskel:
#     find_package(<set> CONFIG REQUIRED) (CMAKE_PREFIX_PATH=<prefix>) makes
#     bpfsubskel::libbpf, unless it is a target already, as this build's
#     BPFSUBSKEL_LIBBPF does (shared: pkg-config's libbpf; static: this build's libbpf.a
#     and its libraries; none: empty), includes the targets, and sets <set>_BPF_OBJECTS
#     (the exported BPF objects' names) and <set>_<name>_BPF_OBJECT (installed paths).
#
#   BPFSUBSKEL_LIBBPF (cache: shared, static or none): what bpfsubskel::libbpf, and so
#     every subskeleton and skeleton target, links: pkg-config's libbpf, libbpf.a with
#     `pkg-config --static`'s libraries, or nothing (the project links or dlopens its own
#     libbpf; harnesses then link the system's shared libbpf, or are not built).
#   BPF objects are compiled for the target (CMAKE_SYSTEM_PROCESSOR, byte order, the C
#     compiler's asm/types.h directory) with the clang and flags `bpfsubskel cflags` gives.
include_guard(GLOBAL)
cmake_policy(PUSH)
cmake_policy(VERSION 3.20...3.31)

# -- the tools ------------------------------------------------------------------------

function(_bpfsubskel_find_python)
  if(BPFSUBSKEL_PYTHON)
    return()
  endif()
  # The Python whose bpfsubskel installed this file: in a venv, <venv>/bin/python3.
  get_filename_component(site "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/../.." ABSOLUTE)
  get_filename_component(prefix "${site}/../../.." ABSOLUTE)
  set(candidates "$ENV{BPFSUBSKEL_PYTHON}" "${prefix}/bin/python3")
  find_program(path_python NAMES python3 python NO_CACHE)
  list(APPEND candidates "${path_python}")
  file(REAL_PATH "${CMAKE_CURRENT_FUNCTION_LIST_DIR}" here)
  foreach(python IN LISTS candidates)
    if(NOT python OR NOT EXISTS "${python}")
      continue()
    endif()
    # It must import everything the commands need, not only answer --cmakedir.
    execute_process(COMMAND "${python}" -c
                    "import elftools.elf.elffile, jinja2; from bpfsubskel.render import resource_dir; print(resource_dir('cmake'))"
                    OUTPUT_VARIABLE dir OUTPUT_STRIP_TRAILING_WHITESPACE
                    RESULT_VARIABLE failed ERROR_QUIET)
    if(NOT failed)
      file(REAL_PATH "${dir}" dir)
      if(dir STREQUAL here)
        set(BPFSUBSKEL_PYTHON "${python}" CACHE FILEPATH "Python that runs bpfsubskel")
        return()
      endif()
    endif()
  endforeach()
  message(FATAL_ERROR
    "bpfsubskel: no Python can run the bpfsubskel that provides ${here}; "
    "set BPFSUBSKEL_PYTHON to the python3 where `pip install bpfsubskel` was run")
endfunction()

# How BPF code is compiled for this build's target, asked once per configure of
# `bpfsubskel cflags` (the one definition, shared with Meson): the clang (BPFSUBSKEL_CLANG
# if set) and its flags, in the global property BPFSUBSKEL_BPF_COMMAND. It also fails
# when this machine's libbpf cannot link objects of the target's byte order.
function(_bpfsubskel_bpf_command)
  set(lang C)
  if(NOT CMAKE_C_COMPILER AND CMAKE_CXX_COMPILER)
    set(lang CXX)
  endif()
  if(CMAKE_${lang}_BYTE_ORDER STREQUAL "BIG_ENDIAN")
    set(endian big)
  elseif(CMAKE_${lang}_BYTE_ORDER STREQUAL "LITTLE_ENDIAN")
    set(endian little)
  else()
    message(FATAL_ERROR "bpfsubskel: the target's byte order is unknown; enable C before "
                        "find_package(bpfsubskel) (project(<name> C))")
  endif()
  set(args --cpu-family "${CMAKE_SYSTEM_PROCESSOR}" --endian ${endian} --with-clang
      --check-link)
  if(BPFSUBSKEL_CLANG)
    list(APPEND args "--clang=${BPFSUBSKEL_CLANG}")
  endif()
  if(CMAKE_${lang}_COMPILER)
    list(APPEND args "--cc=${CMAKE_${lang}_COMPILER}")
    if(CMAKE_${lang}_COMPILER_TARGET)  # clang as the C compiler: its --target
      list(APPEND args "--cc=--target=${CMAKE_${lang}_COMPILER_TARGET}")
    endif()
  endif()
  if(CMAKE_SYSROOT)
    list(APPEND args "--sysroot=${CMAKE_SYSROOT}")
  endif()
  execute_process(COMMAND "${BPFSUBSKEL_PYTHON}" -m bpfsubskel cflags ${args}
                  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE failed)
  string(STRIP "${err}" err)
  if(failed)
    message(FATAL_ERROR "${err}")
  elseif(err)
    message(WARNING "${err}")
  endif()
  string(REPLACE ";" "\\;" out "${out}")
  string(REGEX REPLACE "\n$" "" out "${out}")
  string(REPLACE "\n" ";" command "${out}")
  list(GET command 0 clang)
  set(BPFSUBSKEL_CLANG "${clang}" CACHE FILEPATH "clang that compiles BPF objects")
  set_property(GLOBAL PROPERTY BPFSUBSKEL_BPF_COMMAND "${command}")
endfunction()

# libbpf for the code including generated headers, as BPFSUBSKEL_LIBBPF says: the
# target bpfsubskel::libbpf (shared: pkg-config's libbpf; static: libbpf.a and its
# `pkg-config --static` libraries; none: empty, the project adds its libbpf to it or
# loads libbpf itself), and _bpfsubskel_harness_libbpf, what the harnesses link (none:
# the system's shared libbpf when pkg-config finds one, else no harnesses).
function(_bpfsubskel_find_libbpf)
  find_package(PkgConfig QUIET)
  if(PkgConfig_FOUND)
    pkg_check_modules(BPFSUBSKEL_PC_LIBBPF QUIET IMPORTED_TARGET GLOBAL libbpf)
  endif()
  set(harness_libbpf)
  if(TARGET bpfsubskel::libbpf)
    # Made before bpfsubskel was found: by the project (its own libbpf), or by an
    # installed package exporting bpfsubskel targets. Code using generated headers links
    # it; so do the harnesses, unless it links nothing (none), then pkg-config's libbpf.
    get_target_property(links bpfsubskel::libbpf INTERFACE_LINK_LIBRARIES)
    if(links)
      set(harness_libbpf bpfsubskel::libbpf)
    elseif(BPFSUBSKEL_PC_LIBBPF_FOUND)
      set(harness_libbpf PkgConfig::BPFSUBSKEL_PC_LIBBPF)
    endif()
    set_property(GLOBAL PROPERTY BPFSUBSKEL_HARNESS_LIBBPF "${harness_libbpf}")
    set_property(GLOBAL PROPERTY BPFSUBSKEL_LIBBPF_MODE "${BPFSUBSKEL_LIBBPF}")
    return()
  endif()
  if(NOT BPFSUBSKEL_LIBBPF MATCHES "^(shared|static|none)$")
    message(FATAL_ERROR "bpfsubskel: BPFSUBSKEL_LIBBPF is '${BPFSUBSKEL_LIBBPF}'; set it to "
                        "shared, static or none")
  endif()
  if(BPFSUBSKEL_LIBBPF STREQUAL "none")
    add_library(bpfsubskel::libbpf INTERFACE IMPORTED GLOBAL)
    if(BPFSUBSKEL_PC_LIBBPF_FOUND)
      set(harness_libbpf PkgConfig::BPFSUBSKEL_PC_LIBBPF)
    endif()
  else()
    set(where "pkg-config")
    if(CMAKE_CROSSCOMPILING)
      set(where "pkg-config for the target (${CMAKE_SYSTEM_PROCESSOR}; PKG_CONFIG_LIBDIR, "
                "PKG_CONFIG_SYSROOT_DIR or PKG_CONFIG_EXECUTABLE name the target's)")
    endif()
    if(NOT BPFSUBSKEL_PC_LIBBPF_FOUND)
      message(FATAL_ERROR "bpfsubskel: libbpf not found through ${where}; install libbpf-dev "
                          "and pkg-config (Debian: apt-get install libbpf-dev pkg-config), or "
                          "set BPFSUBSKEL_LIBBPF=none to link or load libbpf yourself")
    endif()
    set(real bpfsubskel::libbpf)
    if(BPFSUBSKEL_LIBBPF STREQUAL "shared")
      # A target of its own, not an ALIAS: install(EXPORT) writes an alias as the target
      # it stands for, and exported targets must name bpfsubskel::libbpf (what an
      # installed <set>Config.cmake recreates).
      add_library(bpfsubskel::libbpf INTERFACE IMPORTED GLOBAL)
      set_target_properties(bpfsubskel::libbpf PROPERTIES
        INTERFACE_LINK_LIBRARIES PkgConfig::BPFSUBSKEL_PC_LIBBPF)
      set(real PkgConfig::BPFSUBSKEL_PC_LIBBPF)
    else()
      pkg_get_variable(libdir libbpf libdir)
      find_library(archive NAMES libbpf.a NO_CACHE
                   HINTS ${BPFSUBSKEL_PC_LIBBPF_STATIC_LIBRARY_DIRS} "${libdir}")
      if(NOT archive)
        message(FATAL_ERROR "bpfsubskel: BPFSUBSKEL_LIBBPF=static but libbpf.a is not in "
                            "${libdir} (from ${where}); install libbpf's static library "
                            "(Debian's libbpf-dev has it) or set BPFSUBSKEL_LIBBPF=shared")
      endif()
      set(others ${BPFSUBSKEL_PC_LIBBPF_STATIC_LIBRARIES})
      list(REMOVE_ITEM others bpf)
      add_library(bpfsubskel::libbpf INTERFACE IMPORTED GLOBAL)
      set_target_properties(bpfsubskel::libbpf PROPERTIES
        INTERFACE_INCLUDE_DIRECTORIES "${BPFSUBSKEL_PC_LIBBPF_STATIC_INCLUDE_DIRS}"
        INTERFACE_COMPILE_OPTIONS "${BPFSUBSKEL_PC_LIBBPF_STATIC_CFLAGS_OTHER}"
        INTERFACE_LINK_LIBRARIES "${archive};${others}"
        INTERFACE_LINK_DIRECTORIES "${BPFSUBSKEL_PC_LIBBPF_STATIC_LIBRARY_DIRS}"
        INTERFACE_LINK_OPTIONS "${BPFSUBSKEL_PC_LIBBPF_STATIC_LDFLAGS_OTHER}")
    endif()
    set(harness_libbpf bpfsubskel::libbpf)
    if(CMAKE_CROSSCOMPILING AND CMAKE_C_COMPILER)
      # pkg-config may well have answered for the build machine: link it for the target.
      include(CheckCSourceCompiles)
      set(CMAKE_REQUIRED_LIBRARIES ${real})
      set(CMAKE_REQUIRED_QUIET ON)
      unset(BPFSUBSKEL_LIBBPF_LINKS CACHE)
      check_c_source_compiles("#include <bpf/libbpf.h>
int main(void) { return (int)libbpf_major_version(); }" BPFSUBSKEL_LIBBPF_LINKS)
      if(NOT BPFSUBSKEL_LIBBPF_LINKS)
        message(FATAL_ERROR "bpfsubskel: the libbpf found through ${where} does not link for "
                            "${CMAKE_SYSTEM_PROCESSOR} (${BPFSUBSKEL_PC_LIBBPF_LINK_LIBRARIES}); "
                            "install the target's libbpf and point pkg-config at it, or set "
                            "BPFSUBSKEL_LIBBPF=none to link or load libbpf yourself")
      endif()
    endif()
  endif()
  set_property(GLOBAL PROPERTY BPFSUBSKEL_HARNESS_LIBBPF "${harness_libbpf}")
  set_property(GLOBAL PROPERTY BPFSUBSKEL_LIBBPF_MODE "${BPFSUBSKEL_LIBBPF}")
endfunction()

# The clang command compiling BPF objects for this build's target.
function(_bpfsubskel_bpf_flags out)
  get_property(command GLOBAL PROPERTY BPFSUBSKEL_BPF_COMMAND)
  set(${out} "${command}" PARENT_SCOPE)
endfunction()

set(BPFSUBSKEL_KERNELS "" CACHE STRING
    "Kernels (5.10, 6.1, 6.12 or image paths) every harness also runs on, in bpfsubskel vm")
set(BPFSUBSKEL_VM_TIMEOUT 300 CACHE STRING "Seconds a harness may run in bpfsubskel vm")
set(BPFSUBSKEL_LIBBPF shared CACHE STRING
    "libbpf for code using the generated headers: shared, static, or none (the project links or loads libbpf itself)")
set_property(CACHE BPFSUBSKEL_LIBBPF PROPERTY STRINGS shared static none)

_bpfsubskel_find_python()
_bpfsubskel_bpf_command()
_bpfsubskel_find_libbpf()

# -- helpers --------------------------------------------------------------------------

# Generators without restat (Unix Makefiles): bpfsubskel leaves an unchanged output with
# its old time, which Make would take as out of date forever; there, a command touches
# its outputs after writing them. Ninja skips dependents of an unchanged output instead.
function(_bpfsubskel_settle out)
  set(touch)
  if(NOT CMAKE_GENERATOR MATCHES "Ninja")
    set(touch COMMAND "${CMAKE_COMMAND}" -E touch_nocreate ${ARGN})
  endif()
  set(${out} ${touch} PARENT_SCOPE)
endfunction()

function(_bpfsubskel_c_name out name)
  string(MAKE_C_IDENTIFIER "${name}" c_name)
  set(${out} "${c_name}" PARENT_SCOPE)
endfunction()

# The BPF libraries `target` links, directly or through other libraries, each once.
function(_bpfsubskel_transitive_libraries out target)
  get_target_property(pending ${target} BPF_LIBRARIES)
  set(seen)
  while(pending)
    list(POP_FRONT pending lib)
    if(NOT lib IN_LIST seen)
      list(APPEND seen ${lib})
      get_target_property(more ${lib} BPF_LIBRARIES)
      if(more)
        list(APPEND pending ${more})
      endif()
    endif()
  endwhile()
  set(${out} "${seen}" PARENT_SCOPE)
endfunction()

# The custom command making <dir>/<header> (struct <c_name>) from a BPF object; extra
# arguments (-L) are passed to `bpfsubskel skel`.
function(_bpfsubskel_skeleton_command object c_name dir header comment)
  _bpfsubskel_settle(settle "${dir}/${header}")
  add_custom_command(
    OUTPUT "${dir}/${header}"
    COMMAND "${BPFSUBSKEL_PYTHON}" -m bpfsubskel skel "${object}" -o "${dir}/${header}"
            --name ${c_name} --depfile "${dir}/${header}.d" ${ARGN}
    DEPENDS "${object}"
    DEPFILE "${dir}/${header}.d"
    COMMENT "${comment}"
    ${settle}
    VERBATIM)
endfunction()

# -- export sets ----------------------------------------------------------------------

# An export set's name becomes file names (<set>Config.cmake) and a package name.
function(_bpfsubskel_check_export_name caller set)
  if(NOT set MATCHES "^[A-Za-z0-9_][A-Za-z0-9_.+-]*$")
    message(FATAL_ERROR "${caller}: '${set}' is not a valid export set name (letters, "
                        "digits, '_', '.', '+', '-'): it names <set>Config.cmake and the "
                        "package find_package(<set>) finds")
  endif()
endfunction()

# bpf_object()'s and bpf_subskeleton()'s EXPORT: a set name, and with INSTALL.
function(_bpfsubskel_check_export caller install set missing)
  if("EXPORT" IN_LIST missing)
    message(FATAL_ERROR "${caller}: EXPORT needs the name of an export set (EXPORT <set>)")
  endif()
  if(NOT set)
    return()
  endif()
  if(NOT install)
    message(FATAL_ERROR "${caller}: EXPORT needs INSTALL (the export set holds what is "
                        "installed: INSTALL EXPORT ${set})")
  endif()
  _bpfsubskel_check_export_name("${caller}" "${set}")
endfunction()

# The include directory of an INTERFACE target carrying a generated header: the build
# tree's while building, and with INSTALL the header's destination in the installed tree
# (so the target can be exported); with EXPORT, the target joins that export set.
function(_bpfsubskel_interface_includes target dir install destination set)
  target_include_directories(${target} INTERFACE "$<BUILD_INTERFACE:${dir}>")
  if(install)
    target_include_directories(${target} INTERFACE "$<INSTALL_INTERFACE:${destination}>")
  endif()
  if(set)
    install(TARGETS ${target} EXPORT ${set})
  endif()
endfunction()

# Why harnesses are not built here, or nothing: not when the project turned its tests
# off (BUILD_TESTING, CTest's option, defined and OFF); a harness runs on the target, so
# not when cross compiling without an emulator (CMAKE_CROSSCOMPILING_EMULATOR), nor
# without a libbpf to link (BPFSUBSKEL_LIBBPF=none and none found). The build-time check
# still runs.
function(_bpfsubskel_why_no_harness out)
  get_property(harness_libbpf GLOBAL PROPERTY BPFSUBSKEL_HARNESS_LIBBPF)
  set(why_not)
  if(DEFINED BUILD_TESTING AND NOT BUILD_TESTING)
    set(why_not "BUILD_TESTING is OFF")
  elseif(CMAKE_CROSSCOMPILING AND NOT CMAKE_CROSSCOMPILING_EMULATOR)
    set(why_not "cross compiling for ${CMAKE_SYSTEM_PROCESSOR} without "
                "CMAKE_CROSSCOMPILING_EMULATOR")
  elseif(NOT harness_libbpf)
    set(why_not "BPFSUBSKEL_LIBBPF=none and pkg-config finds no libbpf for the harness")
  endif()
  set(${out} "${why_not}" PARENT_SCOPE)
endfunction()

# Where bpfsubskel_test.h is (`bpfsubskel --includedir`), asked once per configure: user
# tests (compiled once per library) and harnesses include it from there.
function(_bpfsubskel_runtime_include out)
  get_property(dir GLOBAL PROPERTY BPFSUBSKEL_RUNTIME_INCLUDE)
  if(NOT dir)
    execute_process(COMMAND "${BPFSUBSKEL_PYTHON}" -m bpfsubskel --includedir
                    OUTPUT_VARIABLE dir OUTPUT_STRIP_TRAILING_WHITESPACE
                    RESULT_VARIABLE failed)
    if(failed OR NOT dir)
      message(FATAL_ERROR "bpfsubskel: `${BPFSUBSKEL_PYTHON} -m bpfsubskel --includedir` failed")
    endif()
    set_property(GLOBAL PROPERTY BPFSUBSKEL_RUNTIME_INCLUDE "${dir}")
  endif()
  set(${out} "${dir}" PARENT_SCOPE)
endfunction()

# The `bpfsubskel final` arguments of one (library, final object) pair: a --lib group
# checking it (stamp) and, when `harness` (a path) is set, adding the library to that
# harness source (one for all the pairs of a final object). Appends to the caller's args,
# outputs, depends and comment.
macro(_bpfsubskel_pair_group subskel lib final harness)
  get_target_property(_lib_object ${subskel} BPF_SUBSKEL_OBJECT)
  get_target_property(_lib_c ${subskel} BPF_SUBSKEL_NAME)
  get_target_property(_test_headers ${subskel} BPF_SUBSKEL_TEST_HEADERS)
  set(_dir "${CMAKE_CURRENT_BINARY_DIR}/${lib}_in_${final}.harness")
  file(MAKE_DIRECTORY "${_dir}")
  list(APPEND args --lib "${_lib_object}" --lib-name ${_lib_c} --stamp "${_dir}/check.stamp")
  list(APPEND outputs "${_dir}/check.stamp")
  list(APPEND depends "${_lib_object}")
  string(APPEND comment ", checking BPF library ${lib} inside ${final}")
  # (Not the TESTS: they register themselves, the harness source does not name them, and
  # an edit of one recompiles it and relinks the harnesses, nothing more.)
  if(NOT "${harness}" STREQUAL "")  # a macro argument: not a variable for if()
    list(APPEND args --harness "${harness}")
    foreach(_header IN LISTS _test_headers)
      list(APPEND args --prelude "${_header}")
    endforeach()
    if(NOT "${harness}" IN_LIST outputs)
      list(APPEND outputs "${harness}")
    endif()
  endif()
endmacro()

# Without a harness (why_not): a target running the check of the pair of <subskel> (for
# library <lib>) and <final>, which a `bpfsubskel final` command stamps.
function(_bpfsubskel_pair_check subskel lib final why_not)
  set(pair "${lib}_in_${final}")
  add_custom_target(${pair}_check ALL
                    DEPENDS "${CMAKE_CURRENT_BINARY_DIR}/${pair}.harness/check.stamp")
  add_dependencies(${pair}_check ${final} ${lib})
  if(NOT why_not STREQUAL "BUILD_TESTING is OFF")  # else as asked: no news
    message(STATUS "bpfsubskel: no harness test ${pair}: ${why_not}")
  endif()
endfunction()

# The harness executable <exe> from <source> (written by a `bpfsubskel final` command,
# including the final object's skeleton <skel>, whose directory is on the include path)
# testing the libraries of the subskeleton targets that follow (their headers, TESTS,
# TEST_INCLUDE_DIRECTORIES and TEST_LINK_LIBRARIES), and each pair's tests.
function(_bpfsubskel_harness_program exe source skel final)
  get_property(harness_libbpf GLOBAL PROPERTY BPFSUBSKEL_HARNESS_LIBBPF)
  _bpfsubskel_test_runtime(runtime)
  get_filename_component(skel_dir "${skel}" DIRECTORY)
  add_executable(${exe} "${source}" "${skel}")
  target_include_directories(${exe} PRIVATE "${skel_dir}")
  target_link_libraries(${exe} PRIVATE ${runtime} ${harness_libbpf})
  add_dependencies(${exe} ${final})
  foreach(subskel IN LISTS ARGN)
    get_target_property(lib ${subskel} BPF_SUBSKEL_LIBRARY)
    get_target_property(test_includes ${subskel} BPF_SUBSKEL_TEST_INCLUDE_DIRECTORIES)
    get_target_property(test_libraries ${subskel} BPF_SUBSKEL_TEST_LINK_LIBRARIES)
    get_target_property(subskel_include ${subskel} BPF_SUBSKEL_INCLUDE_DIR)
    get_target_property(tests_target ${subskel} BPF_SUBSKEL_TESTS_TARGET)
    target_include_directories(${exe} PRIVATE "${subskel_include}" ${test_includes})
    target_link_libraries(${exe} PRIVATE ${test_libraries})
    if(tests_target)  # the library's TESTS, compiled once for all its harnesses
      target_link_libraries(${exe} PRIVATE ${tests_target})
    endif()
    add_dependencies(${exe} ${subskel}_header ${lib})
    _bpfsubskel_pair_tests(${subskel} ${lib} ${final} ${exe})
  endforeach()
endfunction()

# The tests of one pair, run by the harness <exe> (which may test other libraries too:
# --lib picks this one): <lib>_in_<final>, and <lib>_in_<final>@<kernel> for KERNELS.
function(_bpfsubskel_pair_tests subskel lib final exe)
  set(pair "${lib}_in_${final}")
  get_target_property(c_name ${subskel} BPF_SUBSKEL_NAME)
  add_test(NAME ${pair} COMMAND ${exe} --lib ${c_name})
  set_tests_properties(${pair} PROPERTIES SKIP_RETURN_CODE 77)
  get_target_property(kernels ${subskel} BPF_SUBSKEL_KERNELS)
  foreach(kernel IN LISTS kernels)
    add_test(NAME ${pair}@${kernel}
             COMMAND "${BPFSUBSKEL_PYTHON}" -m bpfsubskel vm --kernel ${kernel} --skip-unavailable
                     --timeout ${BPFSUBSKEL_VM_TIMEOUT} -- $<TARGET_FILE:${exe}> --lib ${c_name})
    # The timeout leaves room for fetching the kernel on first use.
    math(EXPR timeout "${BPFSUBSKEL_VM_TIMEOUT} + 600")
    set_tests_properties(${pair}@${kernel} PROPERTIES SKIP_RETURN_CODE 77 LABELS vm
                         TIMEOUT ${timeout})
  endforeach()
endfunction()

# The harness runtime (bpfsubskel_test_runtime.c), compiled once per project into the
# static library bpfsubskel_test_runtime, which every harness links: its users compile
# with SUBSKEL_TEST_RUNTIME_LINKED, so a harness compiles only its own tests.
function(_bpfsubskel_test_runtime out)
  if(NOT TARGET bpfsubskel_test_runtime)
    get_property(harness_libbpf GLOBAL PROPERTY BPFSUBSKEL_HARNESS_LIBBPF)
    _bpfsubskel_runtime_include(runtime_include)
    add_library(bpfsubskel_test_runtime STATIC EXCLUDE_FROM_ALL
                "${runtime_include}/bpfsubskel_test_runtime.c")
    target_include_directories(bpfsubskel_test_runtime PUBLIC "${runtime_include}")
    target_compile_definitions(bpfsubskel_test_runtime INTERFACE SUBSKEL_TEST_RUNTIME_LINKED)
    target_link_libraries(bpfsubskel_test_runtime PUBLIC ${harness_libbpf})
  endif()
  set(${out} bpfsubskel_test_runtime PARENT_SCOPE)
endfunction()

# One process for a BPF library (deferred to the end of its directory): `bpfsubskel link`,
# or `bpfsubskel library` (link + subskeleton) when bpf_subskeleton() in this directory
# left its header to this command.
function(_bpfsubskel_library_command name)
  get_target_property(output ${name} BPF_OBJECT)
  get_target_property(inputs ${name} BPF_INPUTS)
  get_target_property(header ${name} BPF_LIBRARY_SUBSKEL_HEADER)
  get_target_property(c_name ${name} BPF_LIBRARY_SUBSKEL_NAME)
  set(outputs "${output}")
  set(command link -o "${output}" ${inputs})
  set(comment "Linking BPF ${name}.bpf.o")
  if(header)
    list(APPEND outputs "${header}")
    set(command library ${inputs} -o "${output}" --subskel "${header}" --name ${c_name})
    string(APPEND comment ", generating ${c_name}.subskel.h")
  endif()
  _bpfsubskel_settle(settle ${outputs})
  add_custom_command(
    OUTPUT ${outputs}
    COMMAND "${BPFSUBSKEL_PYTHON}" -m bpfsubskel ${command} --depfile "${output}.d"
    DEPENDS ${inputs}
    DEPFILE "${output}.d"
    COMMENT "${comment}"
    ${settle}
    VERBATIM)
  set_target_properties(${name} PROPERTIES BPF_COMMAND_ADDED TRUE)
endfunction()

# One process for a final object (deferred to the end of its directory, when the
# subskeletons declared so far are known): `bpfsubskel final` links it, writes its
# skeleton (SKELETON's, else one for the harnesses) and, for every library with a
# subskeleton it links, the check stamp and harness source.
function(_bpfsubskel_final_command name)
  get_target_property(output ${name} BPF_OBJECT)
  get_target_property(inputs ${name} BPF_INPUTS)
  get_target_property(skel ${name} BPF_FINAL_SKEL)
  get_target_property(skel_name ${name} BPF_FINAL_SKEL_NAME)
  _bpfsubskel_transitive_libraries(libraries ${name})
  set(pairs)
  get_property(subskeletons GLOBAL PROPERTY BPFSUBSKEL_SUBSKELETONS)
  foreach(subskel IN LISTS subskeletons)
    get_target_property(lib ${subskel} BPF_SUBSKEL_LIBRARY)
    if(lib IN_LIST libraries)
      list(APPEND pairs ${subskel})
    endif()
  endforeach()
  _bpfsubskel_why_no_harness(why_not)
  set(harness TRUE)
  if(why_not)
    set(harness FALSE)
  endif()
  if(NOT skel AND pairs AND harness)  # no SKELETON (or a light one): one for the harnesses
    _bpfsubskel_c_name(skel_name ${name})
    set(skel "${CMAKE_CURRENT_BINARY_DIR}/${name}.harness/${skel_name}.skel.h")
    file(MAKE_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}/${name}.harness")
  endif()
  set(outputs "${output}")
  set(args -o "${output}")
  set(depends ${inputs})
  set(comment "Linking BPF ${name}.bpf.o")
  if(skel)
    list(APPEND outputs "${skel}")
    list(APPEND args --skel "${skel}" --name ${skel_name})
    get_filename_component(header "${skel}" NAME)
    string(APPEND comment ", generating ${header}")
  endif()
  set(source)
  if(pairs AND harness)  # one harness source, and program, testing every library
    set(source "${CMAKE_CURRENT_BINARY_DIR}/${name}.harness/${name}.test.c")
    file(MAKE_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}/${name}.harness")
  endif()
  foreach(subskel IN LISTS pairs)
    get_target_property(lib ${subskel} BPF_SUBSKEL_LIBRARY)
    _bpfsubskel_pair_group(${subskel} ${lib} ${name} "${source}")
  endforeach()
  if(source)
    string(APPEND comment ", generating test harness ${name}.test.c")
  endif()
  _bpfsubskel_settle(settle ${outputs})
  add_custom_command(
    OUTPUT ${outputs}
    COMMAND "${BPFSUBSKEL_PYTHON}" -m bpfsubskel final ${inputs} ${args} --no-runtime-header
            --depfile "${output}.d"
    DEPENDS ${depends}
    DEPFILE "${output}.d"
    COMMENT "${comment}"
    ${settle}
    VERBATIM)
  set_target_properties(${name} PROPERTIES BPF_COMMAND_ADDED TRUE)
  if(source)
    _bpfsubskel_harness_program(${name}_harness "${source}" "${skel}" ${name} ${pairs})
  else()
    foreach(subskel IN LISTS pairs)
      get_target_property(lib ${subskel} BPF_SUBSKEL_LIBRARY)
      _bpfsubskel_pair_check(${subskel} ${lib} ${name} "${why_not}")
    endforeach()
  endif()
endfunction()

# A pair found after its final object's command was made (the final object's directory
# ended before the subskeleton was declared): one `bpfsubskel final` on the linked object,
# in this directory, writing a skeleton of its own (when there is a harness), the check
# stamp and the harness source.
function(_bpfsubskel_add_late_pair subskel lib final)
  get_target_property(final_object ${final} BPF_OBJECT)
  _bpfsubskel_c_name(final_c ${final})
  set(pair "${lib}_in_${final}")
  set(dir "${CMAKE_CURRENT_BINARY_DIR}/${pair}.harness")
  _bpfsubskel_why_no_harness(why_not)
  set(outputs)
  set(args)
  set(depends "${final_object}")
  set(comment "Generating skeleton of ${final}")
  set(source)
  if(why_not)
    set(comment)
  else()
    set(skel "${dir}/${final_c}.skel.h")
    set(source "${dir}/${pair}.test.c")
    list(APPEND outputs "${skel}")
    list(APPEND args --skel "${skel}" --name ${final_c})
  endif()
  _bpfsubskel_pair_group(${subskel} ${lib} ${final} "${source}")
  if(source)
    string(APPEND comment ", generating test harness ${pair}.test.c")
  endif()
  string(REGEX REPLACE "^, c" "C" comment "${comment}")
  list(GET outputs 0 primary)
  _bpfsubskel_settle(settle ${outputs})
  add_custom_command(
    OUTPUT ${outputs}
    COMMAND "${BPFSUBSKEL_PYTHON}" -m bpfsubskel final "${final_object}" ${args}
            --no-runtime-header --depfile "${primary}.d"
    DEPENDS ${depends}
    DEPFILE "${primary}.d"
    COMMENT "${comment}"
    ${settle}
    VERBATIM)
  if(source)  # a harness program of its own
    _bpfsubskel_harness_program(${pair}_harness "${source}" "${skel}" ${final} ${subskel})
  else()
    _bpfsubskel_pair_check(${subskel} ${lib} ${final} "${why_not}")
  endif()
endfunction()

# -- bpf_object -----------------------------------------------------------------------

function(bpf_object name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "LIBRARY;SKELETON;LIGHT;INSTALL"
                        "SKELETON_NAME;SKELETON_HEADER;DESTINATION;HEADER_DESTINATION;EXPORT"
                        "SOURCES;LIBRARIES;INCLUDE_DIRECTORIES;COMPILE_OPTIONS;DEPENDS")
  if((arg_DESTINATION OR arg_HEADER_DESTINATION) AND NOT arg_INSTALL)
    message(FATAL_ERROR "bpf_object(${name}): DESTINATION and HEADER_DESTINATION need INSTALL")
  endif()
  _bpfsubskel_check_export("bpf_object(${name})" "${arg_INSTALL}" "${arg_EXPORT}"
                           "${arg_KEYWORDS_MISSING_VALUES}")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "bpf_object(${name}): unknown arguments: ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT arg_SOURCES)
    message(FATAL_ERROR "bpf_object(${name}): SOURCES is required")
  endif()
  foreach(lib IN LISTS arg_LIBRARIES)
    if(NOT TARGET ${lib})
      message(FATAL_ERROR "bpf_object(${name}): LIBRARIES names '${lib}', which is not a "
                          "target; declare it first with bpf_object(${lib} LIBRARY ...)")
    endif()
    get_target_property(is_library ${lib} BPF_LIBRARY)
    if(NOT is_library)
      message(FATAL_ERROR "bpf_object(${name}): '${lib}' in LIBRARIES is not a BPF library; "
                          "declare it with bpf_object(${lib} LIBRARY ...)")
    endif()
  endforeach()

  _bpfsubskel_bpf_flags(flags)
  set(includes)
  foreach(include IN LISTS arg_INCLUDE_DIRECTORIES)
    get_filename_component(include "${include}" ABSOLUTE)
    list(APPEND includes "-I${include}")
  endforeach()
  # Generated headers (bpf_vmlinux_h): made before compiling, their directories included.
  set(generated)
  foreach(dep IN LISTS arg_DEPENDS)
    if(NOT TARGET ${dep})
      message(FATAL_ERROR "bpf_object(${name}): DEPENDS names '${dep}', which is not a target")
    endif()
    get_target_property(header ${dep} BPF_GENERATED_HEADER)
    if(header)
      get_filename_component(header_dir "${header}" DIRECTORY)
      list(APPEND includes "-I${header_dir}")
      list(APPEND generated "${header}")
    endif()
  endforeach()
  set(dir "${CMAKE_CURRENT_BINARY_DIR}/${name}.bpf")
  file(MAKE_DIRECTORY "${dir}")  # Ninja makes output directories; Makefiles do not
  set(objects)
  set(object_names)
  foreach(source IN LISTS arg_SOURCES)
    get_filename_component(source "${source}" ABSOLUTE)
    get_filename_component(stem "${source}" NAME_WE)
    # One object per source path (lib.v1.bpf.c and lib.v2.bpf.c, or two dirs' lib.bpf.c,
    # do not collide): the path below the source directory, made a file name.
    file(RELATIVE_PATH object_name "${CMAKE_CURRENT_SOURCE_DIR}" "${source}")
    string(REGEX REPLACE "\\.c$" "" object_name "${object_name}")
    string(MAKE_C_IDENTIFIER "${object_name}" object_name)
    if(object_name IN_LIST object_names)
      message(FATAL_ERROR "bpf_object(${name}): SOURCES lists ${source} twice")
    endif()
    list(APPEND object_names "${object_name}")
    set(object "${dir}/${object_name}.o")
    add_custom_command(
      OUTPUT "${object}"
      COMMAND ${flags} ${includes} ${arg_COMPILE_OPTIONS}
              -MD -MF "${object}.d" -c "${source}" -o "${object}"
      DEPENDS "${source}" ${generated}
      DEPFILE "${object}.d"
      COMMENT "Compiling BPF ${name}: ${stem}"
      VERBATIM COMMAND_EXPAND_LISTS)
    list(APPEND objects "${object}")
  endforeach()

  # A library links only its own code; a final object links its libraries too.
  set(output "${CMAKE_CURRENT_BINARY_DIR}/${name}.bpf.o")
  set_property(GLOBAL APPEND PROPERTY BPFSUBSKEL_OBJECT_PATHS "${output}=${name}")
  add_custom_target(${name} ALL DEPENDS "${output}")
  if(arg_DEPENDS)
    add_dependencies(${name} ${arg_DEPENDS})
  endif()
  set_target_properties(${name} PROPERTIES BPF_OBJECT "${output}" BPF_LIBRARY ${arg_LIBRARY}
                        BPF_LIBRARIES "${arg_LIBRARIES}")
  set(inputs ${objects})
  if(NOT arg_LIBRARY)
    _bpfsubskel_transitive_libraries(libraries ${name})
    foreach(lib IN LISTS libraries)
      get_target_property(lib_object ${lib} BPF_OBJECT)
      list(APPEND inputs "${lib_object}")
      add_dependencies(${name} ${lib})
    endforeach()
  endif()
  # An object's one command is made at the end of this directory, when more is known: a
  # library's also writes its subskeleton if one is declared in this directory; a final
  # object's (link, skeleton, checks, harness sources) covers the subskeletons declared by
  # then. (A deferred call evaluates its arguments when it runs: pass the name now.)
  set_target_properties(${name} PROPERTIES BPF_INPUTS "${inputs}"
                        BPF_BINARY_DIR "${CMAKE_CURRENT_BINARY_DIR}")
  if(arg_LIBRARY)
    cmake_language(EVAL CODE "cmake_language(DEFER CALL _bpfsubskel_library_command [[${name}]])")
  else()
    set_target_properties(${name} PROPERTIES BPF_FINAL_SKEL "" BPF_FINAL_SKEL_NAME "")
    cmake_language(EVAL CODE "cmake_language(DEFER CALL _bpfsubskel_final_command [[${name}]])")
  endif()

  if(arg_INSTALL)  # cmake --install: the object, and its skeleton header if any
    include(GNUInstallDirs)
    if(NOT arg_DESTINATION)
      set(arg_DESTINATION "${CMAKE_INSTALL_LIBDIR}/bpf")
    endif()
    install(FILES "${output}" DESTINATION "${arg_DESTINATION}")
    if(arg_EXPORT)  # <set>_<name>_BPF_OBJECT in the installed <set>Config.cmake
      set_property(GLOBAL APPEND PROPERTY BPFSUBSKEL_EXPORT_OBJECTS_${arg_EXPORT}
                   "${name}=${arg_DESTINATION}/${name}.bpf.o")
    endif()
  endif()
  if((arg_SKELETON_NAME OR arg_SKELETON_HEADER) AND NOT arg_SKELETON)
    message(FATAL_ERROR "bpf_object(${name}): SKELETON_NAME and SKELETON_HEADER need SKELETON")
  endif()
  if(arg_LIGHT AND NOT arg_SKELETON)
    message(FATAL_ERROR "bpf_object(${name}): LIGHT needs SKELETON")
  endif()
  if(arg_SKELETON)
    # bpftool's default name for <name>.bpf.o (bpftool gen skeleton <name>.bpf.o); a
    # light skeleton's is the kernel selftests' (name <name>_lskel, <name>.lskel.h).
    _bpfsubskel_c_name(c_name "${name}.bpf")
    set(kind skel)
    set(light_flag)
    if(arg_LIGHT)
      _bpfsubskel_c_name(c_name "${name}_lskel")
      set(kind lskel)
      set(light_flag -L)
    endif()
    if(arg_SKELETON_NAME)
      set(c_name "${arg_SKELETON_NAME}")
      string(MAKE_C_IDENTIFIER "${c_name}" valid)
      if(NOT valid STREQUAL c_name)
        message(FATAL_ERROR "bpf_object(${name}): SKELETON_NAME '${c_name}' is not a C "
                            "identifier")
      endif()
    endif()
    set(header "${name}.${kind}.h")
    if(arg_SKELETON_HEADER)
      set(header "${arg_SKELETON_HEADER}")
      if(NOT header MATCHES "^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
        message(FATAL_ERROR "bpf_object(${name}): SKELETON_HEADER '${header}' is not a plain "
                            "file name (letters, digits, '.', '_', '-')")
      endif()
    endif()
    set(include_dir "${CMAKE_CURRENT_BINARY_DIR}/${name}.include")
    if(arg_LIGHT)
      _bpfsubskel_skeleton_command("${output}" ${c_name} "${include_dir}" "${header}"
                                   "Generating ${header}" ${light_flag})
    else()  # written by the final object's command, and used by its harnesses
      set_target_properties(${name} PROPERTIES BPF_FINAL_SKEL "${include_dir}/${header}"
                            BPF_FINAL_SKEL_NAME ${c_name})
    endif()
    file(MAKE_DIRECTORY "${include_dir}")
    set(all)
    if(arg_INSTALL)  # a light skeleton's own command: built for `cmake --install` too
      set(all ALL)
    endif()
    add_custom_target(${name}_skel_header ${all} DEPENDS "${include_dir}/${header}")
    if(arg_INSTALL)
      if(NOT arg_HEADER_DESTINATION)
        set(arg_HEADER_DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
      endif()
      install(FILES "${include_dir}/${header}" DESTINATION "${arg_HEADER_DESTINATION}")
    endif()
    # The object's own target builds it first (else Makefiles would run its rules twice).
    add_dependencies(${name}_skel_header ${name})
    add_library(${name}_skel INTERFACE)
    _bpfsubskel_interface_includes(${name}_skel "${include_dir}" "${arg_INSTALL}"
                                   "${arg_HEADER_DESTINATION}" "${arg_EXPORT}")
    if(arg_LIGHT)  # <bpf/skel_internal.h> only: no libbpf or libelf at run time
      target_include_directories(${name}_skel INTERFACE
        $<TARGET_PROPERTY:bpfsubskel::libbpf,INTERFACE_INCLUDE_DIRECTORIES>)
    else()
      target_link_libraries(${name}_skel INTERFACE bpfsubskel::libbpf)
    endif()
    add_dependencies(${name}_skel ${name}_skel_header)
  endif()

  if(NOT arg_LIBRARY)
    set_property(GLOBAL APPEND PROPERTY BPFSUBSKEL_FINALS ${name})
  endif()
endfunction()

# -- bpf_vmlinux_h ---------------------------------------------------------------------

function(bpf_vmlinux_h target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "BTF" "")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "bpf_vmlinux_h(${target}): unknown arguments: ${arg_UNPARSED_ARGUMENTS}")
  endif()
  set(btf "/sys/kernel/btf/vmlinux")
  if(arg_BTF)
    get_filename_component(btf "${arg_BTF}" ABSOLUTE)
  endif()
  set(dir "${CMAKE_CURRENT_BINARY_DIR}/${target}")
  file(MAKE_DIRECTORY "${dir}")
  _bpfsubskel_settle(settle "${dir}/vmlinux.h")
  add_custom_command(
    OUTPUT "${dir}/vmlinux.h"
    COMMAND "${BPFSUBSKEL_PYTHON}" -m bpfsubskel vmlinux --btf "${btf}" -o "${dir}/vmlinux.h"
            --depfile "${dir}/vmlinux.h.d"
    DEPENDS "${btf}"
    DEPFILE "${dir}/vmlinux.h.d"
    COMMENT "Generating ${target}/vmlinux.h from ${btf}"
    ${settle}
    VERBATIM)
  add_custom_target(${target} ALL DEPENDS "${dir}/vmlinux.h")
  set_target_properties(${target} PROPERTIES BPF_GENERATED_HEADER "${dir}/vmlinux.h")
endfunction()

# -- bpf_subskeleton ------------------------------------------------------------------

function(bpf_subskeleton target lib)
  cmake_parse_arguments(PARSE_ARGV 2 arg "INSTALL" "NAME;DESTINATION;EXPORT"
                        "TESTS;KERNELS;TEST_HEADERS;TEST_INCLUDE_DIRECTORIES;TEST_LINK_LIBRARIES")
  if(arg_DESTINATION AND NOT arg_INSTALL)
    message(FATAL_ERROR "bpf_subskeleton(${target}): DESTINATION needs INSTALL")
  endif()
  _bpfsubskel_check_export("bpf_subskeleton(${target})" "${arg_INSTALL}" "${arg_EXPORT}"
                           "${arg_KEYWORDS_MISSING_VALUES}")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "bpf_subskeleton(${target}): unknown arguments: "
                        "${arg_UNPARSED_ARGUMENTS}")
  endif()
  set(lib_target)
  if(TARGET ${lib})
    get_target_property(lib_object ${lib} BPF_OBJECT)
    get_target_property(is_library ${lib} BPF_LIBRARY)
    if(NOT lib_object OR NOT is_library)
      message(FATAL_ERROR "bpf_subskeleton(${target}): '${lib}' is not a BPF library; "
                          "declare it with bpf_object(${lib} LIBRARY ...)")
    endif()
    set(lib_target ${lib})
    set(default_name ${lib})
  elseif(lib MATCHES "\\.o$")
    get_filename_component(lib_object "${lib}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_BINARY_DIR}")
    # A path that a bpf_object() in this project builds means that target.
    get_property(known GLOBAL PROPERTY BPFSUBSKEL_OBJECT_PATHS)
    foreach(entry IN LISTS known)
      string(LENGTH "${lib_object}=" prefix_length)
      string(SUBSTRING "${entry}" 0 ${prefix_length} prefix)
      if(prefix STREQUAL "${lib_object}=")
        string(SUBSTRING "${entry}" ${prefix_length} -1 lib_target)
      endif()
    endforeach()
    get_source_file_property(generated "${lib_object}" GENERATED)
    if(NOT lib_target AND NOT EXISTS "${lib_object}" AND NOT generated)
      message(FATAL_ERROR "bpf_subskeleton(${target}): '${lib}' does not exist and nothing "
                          "in this project produces it; name a BPF library target "
                          "(bpf_object(<name> LIBRARY ...)) or an existing .bpf.o file")
    endif()
    get_filename_component(default_name "${lib}" NAME)
    string(REGEX REPLACE "(\\.bpf)?\\.o$" "" default_name "${default_name}")
  else()
    message(FATAL_ERROR "bpf_subskeleton(${target}): '${lib}' is neither a BPF library target "
                        "nor a .bpf.o file")
  endif()
  if(arg_NAME)
    set(c_name ${arg_NAME})
  else()
    _bpfsubskel_c_name(c_name ${default_name})
  endif()
  set(kernels ${arg_KERNELS})
  if(NOT kernels)
    set(kernels ${BPFSUBSKEL_KERNELS})
  endif()
  set(tests)
  foreach(test IN LISTS arg_TESTS)
    get_filename_component(test "${test}" ABSOLUTE)
    list(APPEND tests "${test}")
  endforeach()
  set(test_includes)
  foreach(include IN LISTS arg_TEST_INCLUDE_DIRECTORIES)
    get_filename_component(include "${include}" ABSOLUTE)
    list(APPEND test_includes "${include}")
  endforeach()

  set(include_dir "${CMAKE_CURRENT_BINARY_DIR}/${target}.include")
  set(header "${include_dir}/${c_name}.subskel.h")
  file(MAKE_DIRECTORY "${include_dir}")
  set(with_library FALSE)  # the library's own command (not made yet, same directory)?
  if(lib_target)
    get_target_property(lib_dir ${lib_target} BPF_BINARY_DIR)
    get_target_property(lib_done ${lib_target} BPF_COMMAND_ADDED)
    get_target_property(lib_header ${lib_target} BPF_LIBRARY_SUBSKEL_HEADER)
    if(lib_dir STREQUAL CMAKE_CURRENT_BINARY_DIR AND NOT lib_done AND NOT lib_header)
      set(with_library TRUE)
    endif()
  endif()
  if(with_library)
    set_target_properties(${lib_target} PROPERTIES BPF_LIBRARY_SUBSKEL_HEADER "${header}"
                          BPF_LIBRARY_SUBSKEL_NAME ${c_name})
  else()
    _bpfsubskel_settle(settle "${header}")
    add_custom_command(
      OUTPUT "${header}"
      COMMAND "${BPFSUBSKEL_PYTHON}" -m bpfsubskel subskel "${lib_object}" -o "${header}" --name ${c_name}
              --depfile "${header}.d"
      DEPENDS "${lib_object}"
      DEPFILE "${header}.d"
      COMMENT "Generating ${c_name}.subskel.h"
      ${settle}
      VERBATIM)
  endif()
  add_custom_target(${target}_header DEPENDS "${header}")
  if(arg_INSTALL)  # cmake --install: the header, for the library's userspace users
    include(GNUInstallDirs)
    if(NOT arg_DESTINATION)
      set(arg_DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
    endif()
    install(FILES "${header}" DESTINATION "${arg_DESTINATION}")
  endif()
  if(lib_target)
    add_dependencies(${target}_header ${lib_target})
  endif()
  add_library(${target} INTERFACE)
  _bpfsubskel_interface_includes(${target} "${include_dir}" "${arg_INSTALL}"
                                 "${arg_DESTINATION}" "${arg_EXPORT}")
  target_link_libraries(${target} INTERFACE bpfsubskel::libbpf)
  add_dependencies(${target} ${target}_header)
  # The TESTS, compiled once for every harness of the library: an OBJECT library (not an
  # archive, whose linking would drop tests that register themselves from constructors).
  set(tests_target)
  _bpfsubskel_why_no_harness(why_not)
  if(lib_target AND tests AND NOT why_not)
    set(tests_target ${target}_harness_tests)
    get_property(harness_libbpf GLOBAL PROPERTY BPFSUBSKEL_HARNESS_LIBBPF)
    _bpfsubskel_test_runtime(runtime)
    add_library(${tests_target} OBJECT EXCLUDE_FROM_ALL ${tests})
    target_include_directories(${tests_target} PRIVATE "${include_dir}" ${test_includes})
    target_link_libraries(${tests_target} PRIVATE ${runtime} ${harness_libbpf}
                          ${arg_TEST_LINK_LIBRARIES})
    add_dependencies(${tests_target} ${target}_header)
  endif()
  set_target_properties(${target} PROPERTIES BPF_SUBSKEL_OBJECT "${lib_object}"
                        BPF_SUBSKEL_TESTS_TARGET "${tests_target}"
                        BPF_SUBSKEL_NAME ${c_name} BPF_SUBSKEL_TESTS "${tests}"
                        BPF_SUBSKEL_KERNELS "${kernels}"
                        BPF_SUBSKEL_INCLUDE_DIR "${include_dir}"
                        BPF_SUBSKEL_TEST_HEADERS "${arg_TEST_HEADERS}"
                        BPF_SUBSKEL_TEST_INCLUDE_DIRECTORIES "${test_includes}"
                        BPF_SUBSKEL_TEST_LINK_LIBRARIES "${arg_TEST_LINK_LIBRARIES}"
                        BPF_SUBSKEL_LIBRARY "${lib_target}")

  if(lib_target)
    # One subskeleton per library: a second would give every final object two harnesses
    # of one name.
    get_target_property(first ${lib_target} BPF_SUBSKELETON)
    if(first)
      message(FATAL_ERROR "bpf_subskeleton(${target}): the BPF library '${lib_target}' "
                          "already has a subskeleton, '${first}'; use that target (one "
                          "subskeleton per library: their harnesses would clash)")
    endif()
    set_target_properties(${lib_target} PROPERTIES BPF_SUBSKELETON ${target})
    set_property(GLOBAL APPEND PROPERTY BPFSUBSKEL_SUBSKELETONS ${target})
    # Harnesses for final objects declared before this call whose command is made
    # already (their directory has ended); the others' commands will include this one.
    get_property(finals GLOBAL PROPERTY BPFSUBSKEL_FINALS)
    foreach(final IN LISTS finals)
      get_target_property(added ${final} BPF_COMMAND_ADDED)
      _bpfsubskel_transitive_libraries(libraries ${final})
      if(added AND lib_target IN_LIST libraries)
        _bpfsubskel_add_late_pair(${target} ${lib_target} ${final})
      endif()
    endforeach()
  endif()
endfunction()

# -- bpfsubskel_install_export ---------------------------------------------------------

function(bpfsubskel_install_export set)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "NAMESPACE;DESTINATION" "")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "bpfsubskel_install_export(${set}): unknown arguments: "
                        "${arg_UNPARSED_ARGUMENTS}")
  endif()
  _bpfsubskel_check_export_name("bpfsubskel_install_export(${set})" "${set}")
  get_property(installed GLOBAL PROPERTY BPFSUBSKEL_EXPORT_DESTINATION_${set} SET)
  if(installed)
    message(FATAL_ERROR "bpfsubskel_install_export(${set}): the export set '${set}' is "
                        "installed already; call it once per set")
  endif()
  include(GNUInstallDirs)
  set(namespace "${set}::")
  if(DEFINED arg_NAMESPACE)
    set(namespace "${arg_NAMESPACE}")
  endif()
  if(NOT arg_DESTINATION)
    set(arg_DESTINATION "${CMAKE_INSTALL_LIBDIR}/cmake/${set}")
  endif()
  set(config "${CMAKE_CURRENT_BINARY_DIR}/bpfsubskel-export/${set}Config.cmake")
  install(EXPORT ${set} NAMESPACE "${namespace}" DESTINATION "${arg_DESTINATION}"
          FILE ${set}Targets.cmake)
  install(FILES "${config}" DESTINATION "${arg_DESTINATION}")
  set_property(GLOBAL PROPERTY BPFSUBSKEL_EXPORT_DESTINATION_${set} "${arg_DESTINATION}")
  set_property(GLOBAL PROPERTY BPFSUBSKEL_EXPORT_NAMESPACE_${set} "${namespace}")
  set_property(GLOBAL PROPERTY BPFSUBSKEL_EXPORT_CONFIG_${set} "${config}")
  # Written when the whole project is known (BPF objects exported after this call too).
  cmake_language(EVAL CODE "cmake_language(DEFER DIRECTORY [[${CMAKE_SOURCE_DIR}]] CALL
                            _bpfsubskel_write_export_config [[${set}]])")
endfunction()

# <set>Config.cmake from BpfSubskelExportConfig.cmake.in: bpfsubskel::libbpf as this
# build has it (shared: pkg-config's libbpf; static: the same libbpf.a and libraries;
# none: empty), the targets file, and the installed paths of the set's BPF objects.
function(_bpfsubskel_write_export_config set)
  get_property(destination GLOBAL PROPERTY BPFSUBSKEL_EXPORT_DESTINATION_${set})
  get_property(_namespace GLOBAL PROPERTY BPFSUBSKEL_EXPORT_NAMESPACE_${set})
  get_property(config GLOBAL PROPERTY BPFSUBSKEL_EXPORT_CONFIG_${set})
  get_property(_objects GLOBAL PROPERTY BPFSUBSKEL_EXPORT_OBJECTS_${set})
  get_property(_libbpf GLOBAL PROPERTY BPFSUBSKEL_LIBBPF_MODE)
  set(_set "${set}")
  set(_archive)
  foreach(property IN ITEMS INCLUDE_DIRECTORIES COMPILE_OPTIONS LINK_LIBRARIES
                            LINK_DIRECTORIES LINK_OPTIONS)
    string(TOLOWER "_${property}" var)
    set(${var})
    if(_libbpf STREQUAL "static")
      get_target_property(${var} bpfsubskel::libbpf INTERFACE_${property})
      if(NOT ${var})
        set(${var})
      endif()
    endif()
  endforeach()
  if(_libbpf STREQUAL "static")
    list(GET _link_libraries 0 _archive)
  endif()
  include(CMakePackageConfigHelpers)
  configure_package_config_file("${CMAKE_CURRENT_FUNCTION_LIST_DIR}/BpfSubskelExportConfig.cmake.in"
                                "${config}" INSTALL_DESTINATION "${destination}")
endfunction()

cmake_policy(POP)
