# Every dependency comes from Debian's packages (cmake/setup-debian.sh
# installs them) or the CUDA toolkit.
find_package(OpenMP REQUIRED COMPONENTS CXX)
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBZIP REQUIRED IMPORTED_TARGET libzip)
find_package(HDF5 REQUIRED COMPONENTS C HL)
find_package(toml11 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(Eigen3 REQUIRED NO_MODULE)
find_package(OpenSSL REQUIRED COMPONENTS Crypto)  # SHA-256 of the input files (libssl-dev)
find_package(Boost REQUIRED)  # header-only: Boost.Random's Sobol sequences
# FFTW (double) for the spectra and synchrony reducers (Debian: libfftw3-dev).
pkg_check_modules(FFTW3 REQUIRED IMPORTED_TARGET fftw3)
# Vector math for the SIMD loops: glibc's libmvec, with the AVX-512 exp taken
# from SLEEF (Debian: libsleef-dev) where found (src/backends/cpu/sleef_exp.cpp
# says why and what it gained).
find_path(NMS_SLEEF_INCLUDE_DIR sleef.h)
find_library(NMS_SLEEF_LIBRARY sleef)
if(NMS_SLEEF_INCLUDE_DIR AND NMS_SLEEF_LIBRARY)
  set(NMS_SLEEF ON)
  message(STATUS "nmsweep: vector exp from SLEEF (${NMS_SLEEF_LIBRARY}), other vector math from libmvec")
else()
  set(NMS_SLEEF OFF)
  message(STATUS "nmsweep: vector math from libmvec (libsleef-dev not found)")
endif()
find_path(RANDOM123_INCLUDE_DIR Random123/philox.h REQUIRED)
add_library(nms_random123 INTERFACE)
target_include_directories(nms_random123 SYSTEM INTERFACE ${RANDOM123_INCLUDE_DIR})
if(NMS_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(NMS_BUILD_BENCH)
  find_package(benchmark QUIET)
endif()
