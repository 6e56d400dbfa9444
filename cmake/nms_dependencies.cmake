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
find_package(Boost REQUIRED)  # header-only: Boost.Random's Sobol sequences
# FFTW (double) for the spectra and synchrony reducers (Debian: libfftw3-dev).
pkg_check_modules(FFTW3 REQUIRED IMPORTED_TARGET fftw3)
find_path(RANDOM123_INCLUDE_DIR Random123/philox.h REQUIRED)
add_library(nms_random123 INTERFACE)
target_include_directories(nms_random123 SYSTEM INTERFACE ${RANDOM123_INCLUDE_DIR})
if(NMS_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(NMS_BUILD_BENCH)
  find_package(benchmark QUIET)
endif()
