# Build options. CUDA is on automatically where nvcc exists; the CPU build
# never needs it.
include(CheckLanguage)
set(NMS_CUDA "AUTO" CACHE STRING "Build the CUDA backend: AUTO, ON or OFF")
set_property(CACHE NMS_CUDA PROPERTY STRINGS AUTO ON OFF)
# MPI runs (`mpirun -n K nmsweep run`): on where Open MPI is found (Debian's
# libopenmpi-dev); without it `nmsweep run` under mpirun says so.
set(NMS_MPI "AUTO" CACHE STRING "Build the MPI runs: AUTO, ON or OFF")
set_property(CACHE NMS_MPI PROPERTY STRINGS AUTO ON OFF)
# The Python package's extension (src/python): on where Python's headers and
# nanobind (PyPI: cmake/setup-debian.sh installs it) are found.
set(NMS_PYTHON "AUTO" CACHE STRING "Build the Python extension nmsweep._core: AUTO, ON or OFF")
set_property(CACHE NMS_PYTHON PROPERTY STRINGS AUTO ON OFF)
option(NMS_NATIVE "Optimise the CPU backend for this machine (-march=native)" ON)
option(NMS_BUILD_TESTS "Build the tests" ON)
option(NMS_BUILD_BENCH "Build the benchmarks" ON)
# The `sanitize` preset: ASan + UBSan with clang; builds the libFuzzer
# targets (tests/fuzz) and leaves out the tests that LD_PRELOAD a library.
# UBSan's pointer-overflow and object-size checks are off there (ASan checks
# every access; those two tripled the build of the template-heavy files).
option(NMS_SANITIZE "Sanitizer build with the fuzz targets" OFF)
set(NMS_SANITIZE_MODELS "jansen_rit;linear" CACHE STRING "Models whose CPU engine the sanitizer build instruments")
set(NMS_SANITIZE_LANE_FLAGS "-fno-sanitize=null,alignment")
set(NMS_HOT_OPT "-O3" CACHE STRING "Optimisation of the hot loops (the sanitizer build uses -O1)")

if(NMS_CUDA STREQUAL "AUTO")
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    set(NMS_CUDA ON)
  else()
    set(NMS_CUDA OFF)
  endif()
endif()

# Flags for the hot loops: vectorise across instance lanes (OpenMP simd),
# allow libmvec's vector exp/log/sin, keep IEEE NaN/Inf semantics so that
# diverging instances are detected.
set(NMS_HOT_FLAGS ${NMS_HOT_OPT} -fopenmp-simd -fno-math-errno -fno-trapping-math)
if(NMS_NATIVE)
  list(APPEND NMS_HOT_FLAGS -march=native -mprefer-vector-width=512)
endif()

# The host's lane operations (analysis/channel_schedule.hpp): vectorised,
# without contraction into FMAs, so that every lane rounds as in a generic
# build whether it ran in a vector or alone (tests/test_lane_ops.cpp).
set(NMS_LANE_FLAGS ${NMS_HOT_FLAGS} -ffp-contract=off)

# Lane loops in NMS_HD code (NMS_LANES, core/hd.hpp) are `omp simd` loops in
# every C++ translation unit that includes them, OpenMP or not.
add_compile_options($<$<COMPILE_LANGUAGE:CXX>:-fopenmp-simd>)
