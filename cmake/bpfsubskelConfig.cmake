# bpfsubskel CMake package:
#
#   find_package(bpfsubskel CONFIG REQUIRED)   # -Dbpfsubskel_DIR=$(python3 -m bpfsubskel --cmakedir)
#
#   bpf_object(counters LIBRARY SOURCES counters.bpf.c)
#   bpf_subskeleton(counters_subskel counters TESTS counters_test.c)
#   bpf_object(syscalls SOURCES syscalls.bpf.c LIBRARIES counters SKELETON)
#
# See BpfSubskel.cmake for the functions.
if(CMAKE_VERSION VERSION_LESS 3.20)
  set(bpfsubskel_FOUND FALSE)
  set(bpfsubskel_NOT_FOUND_MESSAGE "bpfsubskel needs CMake >= 3.20 (this is ${CMAKE_VERSION})")
  return()
endif()
include("${CMAKE_CURRENT_LIST_DIR}/BpfSubskel.cmake")
