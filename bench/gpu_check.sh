#!/usr/bin/env bash
# The one script run on the GPU machine, from the repository root:
#
#   bash bench/gpu_check.sh
#
# That machine has the CUDA toolkit, CMake, ninja, g++ and python3 but none
# of Debian's -dev packages and no registry, so the build's dependencies
# travel as .debs (cmake/gpu-deps.sh downloads them into .gpu_deps/debs;
# carry ".gpu_deps/debs"). This script
#   1. prints the GPU (nvidia-smi) and the tools,
#   2. unpacks the .debs into a local prefix (dpkg -x, or a python3 fallback
#      where dpkg is missing) and fixes what relocation breaks,
#   3. configures and builds build/gpu in Release with CUDA,
#   4. runs the GPU tests (run_gpu_tests) and the GPU benchmark (run_gpu_bench),
#   5. prints a short report, also written to $OUT/gpu_report.txt; the full
#      log goes to $OUT/gpu_check.log (build/gpu_check.log without $OUT).
# It keeps going after a failure to reach the report, and exits non-zero if
# unpacking, configuring, building or the tests failed.
#
# Environment (all optional):
#   NMS_CUDA_ARCHS        CMAKE_CUDA_ARCHITECTURES (default 90)
#   NMS_GPU_BUILD_DIR     build directory (default build/gpu); an existing one
#                         is reused (incremental), NMS_GPU_FRESH=1 wipes it
#   NMS_GPU_SKIP_BUILD=1  do not configure/build, only run what is in the build dir
#   NMS_GPU_TARGETS       targets to build (default: what the GPU tests and
#                         benchmarks need; "all" for everything)
#   NMS_GPU_JOBS          parallel build jobs (default: nproc)
#   NMS_GPU_CMAKE_ARGS    extra configure arguments
#   NMS_GPU_DEBS          .deb folder (default .gpu_deps/debs)
#   NMS_GPU_PREFIX        unpack prefix (default .gpu_deps/prefix)
#   NMS_GPU_PY_EXTRACT=1  unpack with the python3 fallback even if dpkg exists
#   NMS_GPU_USE_CARRIED_PKGCONFIG=1  use the carried pkgconf even if pkg-config exists
#   NMS_GPU_BENCH_ARGS    arguments for build/gpu/bench/bench_gpu
#   NMS_GPU_BENCH_TIMEOUT seconds for the benchmark (default 240)
#   NMS_GPU_TEST_TIMEOUT  seconds per test for ctest (default 300)
#   NMS_GPU_BUILD_TIMEOUT seconds for the build (default 420)
#   NMS_GPU_CPU_TESTS=1   also run the CPU-labelled ctest suite
#   NMS_GPU_ALLOW_SKIPS=1 do not fail when GPU tests skip on a machine with a GPU
#   NMS_GPU_STOP_AFTER    "configure" or "build": stop there (no tests, no bench)
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1

CUDA_ARCHS=${NMS_CUDA_ARCHS:-90}
BUILD_DIR=${NMS_GPU_BUILD_DIR:-build/gpu}
DEBS=${NMS_GPU_DEBS:-$ROOT/.gpu_deps/debs}
PREFIX=${NMS_GPU_PREFIX:-$ROOT/.gpu_deps/prefix}
JOBS=${NMS_GPU_JOBS:-$(nproc 2>/dev/null || echo 4)}
BENCH_ARGS=${NMS_GPU_BENCH_ARGS:-}
BENCH_TIMEOUT=${NMS_GPU_BENCH_TIMEOUT:-240}
TEST_TIMEOUT=${NMS_GPU_TEST_TIMEOUT:-300}
BUILD_TIMEOUT=${NMS_GPU_BUILD_TIMEOUT:-420}
MULTIARCH=x86_64-linux-gnu

if [ -n "${OUT:-}" ]; then
  mkdir -p "$OUT"
  RESULT_DIR=$OUT
else
  RESULT_DIR=$ROOT/build
  mkdir -p "$RESULT_DIR"
fi
LOG=$RESULT_DIR/gpu_check.log
REPORT=$RESULT_DIR/gpu_report.txt
WORK=$(mktemp -d "${TMPDIR:-/tmp}/nms-gpu-check.XXXXXX")
# LD_LIBRARY_PATH as found; phase_deps prepends the carried libraries.
ORIG_LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}

# ---------------------------------------------------------------- helpers
declare -a PHASES=()      # "name|status|seconds"
FAILED=0
GPU_NAME="none"; GPU_DRIVER="?"; GPU_CUDA="?"
TEST_SUMMARY="not run"; TEST_FAILED_LIST=""; TESTS_SKIPPED=0
BENCH_STATUS="not run"

say() { printf '\n=== %s ===\n' "$*"; }
# python3 with the system's libraries only: a distribution h5py linked to the
# system's libhdf5_serial.so.103 must not pick up the carried (older) one.
sys_python3() { LD_LIBRARY_PATH=$ORIG_LD_LIBRARY_PATH python3 "$@"; }
now() { date +%s; }
# phase NAME FUNCTION: runs FUNCTION, records status and elapsed seconds.
phase() {
  local name=$1; shift
  local t0 rc
  say "$name"
  t0=$(now)
  "$@"; rc=$?
  local dt=$(( $(now) - t0 ))
  local st=ok
  [ "$rc" -eq 0 ] || st="FAILED(rc=$rc)"
  [ "$rc" -eq 200 ] && st=skipped
  PHASES+=("$name|$st|$dt")
  echo "--- $name: $st in ${dt}s"
  return "$rc"
}

# ---------------------------------------------------------------- 1. machine
phase_machine() {
  echo "date: $(date -u '+%F %T UTC')  host: $(hostname)  cores: $(nproc)"
  if command -v nvidia-smi >/dev/null 2>&1; then
    nvidia-smi --query-gpu=name,driver_version,compute_cap,memory.total,clocks.sm,clocks.max.sm,clocks.mem,clocks.max.mem,persistence_mode,power.limit \
      --format=csv 2>&1 || nvidia-smi 2>&1
    GPU_NAME=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)
    GPU_DRIVER=$(nvidia-smi --query-gpu=driver_version --format=csv,noheader 2>/dev/null | head -1)
    GPU_CUDA=$(nvidia-smi 2>/dev/null | sed -n 's/.*CUDA Version: *\([0-9.]*\).*/\1/p' | head -1)
    [ -n "$GPU_NAME" ] || GPU_NAME="unknown"
  else
    echo "nvidia-smi not found: no GPU (GPU tests will skip)"
  fi
  local nvcc
  nvcc=$(command -v nvcc || ls /usr/local/cuda/bin/nvcc 2>/dev/null || true)
  echo "nvcc: ${nvcc:-MISSING}"; [ -n "$nvcc" ] && "$nvcc" --version | tail -2
  echo "cmake: $(command -v cmake || echo MISSING) $(cmake --version 2>/dev/null | head -1)"
  echo "ninja: $(command -v ninja || echo 'MISSING (Unix Makefiles will be used)') $(ninja --version 2>/dev/null)"
  echo "c++: $(command -v c++ || command -v g++ || echo MISSING) $( (g++ --version || c++ --version) 2>/dev/null | head -1)"
  echo "pkg-config: $(command -v pkg-config || echo 'MISSING (the carried pkgconf will be used)')"
  echo "dpkg: $(command -v dpkg-deb || echo 'MISSING (python3 fallback unpacks)')"
  echo "python3: $(command -v python3 || echo MISSING) $(python3 --version 2>&1)"
  grep -h PRETTY_NAME /etc/os-release 2>/dev/null
  ldd --version 2>/dev/null | head -1
  return 0
}

# ---------------------------------------------------------------- 2. deps
# python3 fallback for `dpkg -x DEB DIR`: ar archive -> data.tar.{xz,gz,zst,bz2,} -> extract.
py_extract() {
  python3 - "$1" "$2" <<'PY'
import io, lzma, gzip, bz2, shutil, subprocess, sys, tarfile
deb, dest = sys.argv[1], sys.argv[2]
with open(deb, 'rb') as f:
    if f.read(8) != b'!<arch>\n':
        sys.exit(f'{deb}: not an ar archive')
    data = None
    while True:
        hdr = f.read(60)
        if len(hdr) < 60:
            break
        name = hdr[:16].decode().strip().rstrip('/')
        size = int(hdr[48:58].decode().strip())
        body = f.read(size)
        if size % 2:
            f.read(1)
        if name.startswith('data.tar'):
            data = (name, body)
            break
if data is None:
    sys.exit(f'{deb}: no data.tar member')
name, body = data
if name.endswith('.xz'):
    raw = lzma.decompress(body)
elif name.endswith('.gz'):
    raw = gzip.decompress(body)
elif name.endswith('.bz2'):
    raw = bz2.decompress(body)
elif name.endswith('.zst'):
    try:
        from compression import zstd  # Python >= 3.14
        raw = zstd.decompress(body)
    except ImportError:
        try:
            import zstandard
            raw = zstandard.ZstdDecompressor().decompressobj().decompress(body)
        except ImportError:
            exe = shutil.which('zstd') or shutil.which('unzstd')
            if not exe:
                sys.exit(f'{deb}: data.tar.zst needs python zstandard or the zstd tool')
            raw = subprocess.run([exe, '-dc'], input=body, stdout=subprocess.PIPE, check=True).stdout
elif name == 'data.tar':
    raw = body
else:
    sys.exit(f'{deb}: unknown member {name}')
with tarfile.open(fileobj=io.BytesIO(raw), mode='r:') as tar:
    # Debian's own packages: extract as tar(1) would (Python >= 3.12 asks).
    kw = {'filter': 'fully_trusted'} if hasattr(tarfile, 'fully_trusted_filter') else {}
    tar.extractall(dest, **kw)
PY
}

# Is SONAME provided by the system (outside our prefix)?
system_has_soname() {
  local so=$1
  if [ -n "${LDCONFIG_CACHE:-}" ]; then
    grep -qxF "$so" "$LDCONFIG_CACHE" && return 0
  fi
  local d
  for d in /lib/$MULTIARCH /usr/lib/$MULTIARCH /lib64 /usr/lib64 /lib /usr/lib; do
    [ -e "$d/$so" ] && return 0
  done
  return 1
}

phase_deps() {
  if ! ls "$DEBS"/*.deb >/dev/null 2>&1; then
    echo "no .debs in $DEBS: run cmake/gpu-deps.sh on the dev machine and carry .gpu_deps/debs"
    return 1
  fi
  local stamp_want stamp_file=$PREFIX/.nms-stamp
  # The .deb names carry their versions: names and sizes decide a re-unpack.
  stamp_want=$( (cd "$DEBS" && ls -l ./*.deb | awk '{print $5, $NF}') | md5sum | cut -d' ' -f1)
  if [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$stamp_want" ]; then
    echo "prefix $PREFIX is up to date with $DEBS"
  else
    rm -rf "$PREFIX"
    mkdir -p "$PREFIX"
    local use_py=0 n=0 f
    if [ "${NMS_GPU_PY_EXTRACT:-0}" = 1 ] || ! command -v dpkg-deb >/dev/null 2>&1; then use_py=1; fi
    if [ $use_py = 1 ] && ! command -v python3 >/dev/null; then echo "neither dpkg-deb nor python3"; return 1; fi
    echo "unpacking $(ls "$DEBS"/*.deb | wc -l) .debs into $PREFIX with $([ $use_py = 1 ] && echo 'python3 fallback' || echo 'dpkg-deb -x')"
    for f in "$DEBS"/*.deb; do
      if [ $use_py = 1 ]; then py_extract "$f" "$PREFIX" || { echo "failed: $f"; return 1; }
      else dpkg-deb -x "$f" "$PREFIX" || { echo "failed: $f"; return 1; }
      fi
      n=$((n + 1))
    done
    echo "unpacked $n packages ($(du -sh "$PREFIX" | cut -f1))"

    # Absolute symlinks point into the host's /usr: point them into the prefix.
    local l t
    while IFS= read -r -d '' l; do
      t=$(readlink "$l")
      ln -sfn "$PREFIX$t" "$l"
      echo "relinked $l -> $PREFIX$t"
    done < <(find "$PREFIX" -type l -lname '/*' -print0)

    # pkg-config files say prefix=/usr and, for HDF5, -I/usr/include/hdf5/serial.
    local pc
    for pc in "$PREFIX"/usr/lib/$MULTIARCH/pkgconfig/*.pc "$PREFIX"/usr/share/pkgconfig/*.pc "$PREFIX"/usr/lib/pkgconfig/*.pc; do
      [ -f "$pc" ] || continue
      sed -i -E "s#(^|[=[:space:]'\"]|-I|-L)/usr(/|[[:space:]]|\$)#\1$PREFIX/usr\2#g" "$pc"
    done

    # The CMake configs carried (GTest, GMock, benchmark, toml11, CLI11,
    # Eigen3, Boost, boost_headers) locate themselves relative to their own
    # file; check that nothing else names the host's /usr.
    local bad
    bad=$(grep -rlE '"/usr/(include|lib)' "$PREFIX"/usr/lib/$MULTIARCH/cmake "$PREFIX"/usr/share/cmake \
            "$PREFIX"/usr/share/eigen3/cmake 2>/dev/null | xargs -r grep -LE '_realOrig|REALPATH' || true)
    [ -z "$bad" ] || echo "WARNING: CMake configs with absolute /usr paths: $bad"

    echo "$stamp_want" > "$stamp_file"
  fi

  # Runtime libraries: a folder of links for LD_LIBRARY_PATH (also searched
  # by ld for the libraries' own dependencies at link time). The libraries
  # the build links (HDF5, libzip, FFTW, benchmark, libaec/szip, pkgconf)
  # always come from the prefix; the rest of the closure (libcurl, OpenSSL,
  # krb5, gnutls, ...) only where the system lacks that soname, so that the
  # system's own (newer) copies win for every other program.
  LDCONFIG_CACHE=$WORK/ldconfig.txt
  { ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null; } | awk 'NR>1{print $1}' > "$LDCONFIG_CACHE"
  [ -s "$LDCONFIG_CACHE" ] || LDCONFIG_CACHE=
  LIBLINKS=$PREFIX/ldpath
  rm -rf "$LIBLINKS"; mkdir -p "$LIBLINKS"
  local so base own=0 sys=0
  for so in "$PREFIX"/usr/lib/$MULTIARCH/lib*.so.* "$PREFIX"/lib/$MULTIARCH/lib*.so.*; do
    [ -e "$so" ] || continue
    base=$(basename "$so")
    case $base in
      libhdf5*|libzip.*|libfftw3*|libbenchmark*|libsz.*|libaec.*|libpkgconf.*) ;;
      *) if system_has_soname "$base"; then sys=$((sys + 1)); continue; fi ;;
    esac
    ln -sfn "$so" "$LIBLINKS/$base"
    own=$((own + 1))
  done
  echo "LD_LIBRARY_PATH: $own library names from the prefix, $sys left to the system's copies"
  echo "from the prefix: $(find "$LIBLINKS" -mindepth 1 -regextype posix-extended -regex '.*\.so\.([0-9]+|1\.0)' -printf '%f\n' | sort | tr '\n' ' ')"
  export LD_LIBRARY_PATH=$LIBLINKS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}

  # pkg-config: the system's if there is one, otherwise the carried pkgconf.
  export PKG_CONFIG_PATH=$PREFIX/usr/lib/$MULTIARCH/pkgconfig:$PREFIX/usr/share/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
  PKG_CONFIG_BIN=$(command -v pkg-config || true)
  if [ -z "$PKG_CONFIG_BIN" ] || [ "${NMS_GPU_USE_CARRIED_PKGCONFIG:-0}" = 1 ]; then
    mkdir -p "$PREFIX/bin"
    cat > "$PREFIX/bin/pkg-config" <<EOF
#!/bin/sh
LD_LIBRARY_PATH="$LIBLINKS\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" exec "$PREFIX/usr/bin/pkgconf" "\$@"
EOF
    chmod +x "$PREFIX/bin/pkg-config"
    PKG_CONFIG_BIN=$PREFIX/bin/pkg-config
  fi
  echo "pkg-config: $PKG_CONFIG_BIN ($("$PKG_CONFIG_BIN" --version 2>&1))"
  local m
  for m in libzip fftw3; do
    echo "  $m: $("$PKG_CONFIG_BIN" --modversion $m 2>&1) $("$PKG_CONFIG_BIN" --cflags --libs $m 2>&1)"
  done
  "$PKG_CONFIG_BIN" --exists libzip fftw3 || { echo "pkg-config cannot see libzip/fftw3"; return 1; }
  return 0
}

# ---------------------------------------------------------------- 3. configure + build
cmake_dep_args() {
  local L=$PREFIX/usr/lib/$MULTIARCH S=$PREFIX/usr/share
  local H=$L/hdf5/serial
  local boost_cfg boost_hdr false_bin
  boost_cfg=$(ls -d "$L"/cmake/Boost-* 2>/dev/null | head -1)
  boost_hdr=$(ls -d "$L"/cmake/boost_headers-* 2>/dev/null | head -1)
  false_bin=$(type -P false || echo /bin/false)
  DEP_ARGS=(
    -DCMAKE_PREFIX_PATH="$PREFIX/usr"
    -DPKG_CONFIG_EXECUTABLE="$PKG_CONFIG_BIN"
    # HDF5 (FindHDF5): no hdf5-config.cmake, and the h5cc wrapper is made to
    # fail so that FindHDF5 takes these cached paths instead of any h5cc
    # found on PATH (Debian's would print /usr paths).
    -DHDF5_NO_FIND_PACKAGE_CONFIG_FILE=ON
    -DHDF5_C_COMPILER_EXECUTABLE="$false_bin"
    -DHDF5_ROOT="$H"
    -DHDF5_C_INCLUDE_DIR="$PREFIX/usr/include/hdf5/serial"
    -DHDF5_hdf5_LIBRARY_RELEASE="$H/libhdf5.so"
    -DHDF5_hdf5_hl_LIBRARY_RELEASE="$H/libhdf5_hl.so"
    # Config packages: each pinned to its carried config folder.
    -Dtoml11_DIR="$S/cmake/toml11"
    -DCLI11_DIR="$S/cmake/CLI11"
    -DEigen3_DIR="$S/eigen3/cmake"
    -DGTest_DIR="$L/cmake/GTest"
    -Dbenchmark_DIR="$L/cmake/benchmark"
    -DBoost_DIR="$boost_cfg"
    -Dboost_headers_DIR="$boost_hdr"
    -DRANDOM123_INCLUDE_DIR="$PREFIX/usr/include"
  )
}

phase_configure() {
  [ "${NMS_GPU_SKIP_BUILD:-0}" = 1 ] && { echo "NMS_GPU_SKIP_BUILD=1"; return 200; }
  if [ "${NMS_GPU_FRESH:-0}" = 1 ]; then rm -rf "$BUILD_DIR"; fi
  local gen=()
  if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
    if command -v ninja >/dev/null 2>&1; then gen=(-G Ninja); else gen=(-G "Unix Makefiles"); fi
  else
    echo "reusing $BUILD_DIR"
  fi
  if ! command -v nvcc >/dev/null 2>&1 && [ -x /usr/local/cuda/bin/nvcc ]; then
    export PATH=/usr/local/cuda/bin:$PATH
  fi
  cmake_dep_args
  local extra=()
  # shellcheck disable=SC2206
  [ -n "${NMS_GPU_CMAKE_ARGS:-}" ] && extra=(${NMS_GPU_CMAKE_ARGS})
  local cmd=(cmake -S . -B "$BUILD_DIR" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release -DNMS_CUDA=ON
             -DCMAKE_CUDA_ARCHITECTURES="$CUDA_ARCHS" "${DEP_ARGS[@]}" "${extra[@]}")
  echo "${cmd[*]}"
  "${cmd[@]}" || return 1
  # How each dependency was found.
  grep -E '^(HDF5_C_INCLUDE_DIR|HDF5_hdf5_LIBRARY_RELEASE|HDF5_hdf5_hl_LIBRARY_RELEASE|pkgcfg_lib_LIBZIP_zip|pkgcfg_lib_FFTW3_fftw3|RANDOM123_INCLUDE_DIR|[A-Za-z0-9_]+_DIR|CMAKE_CUDA_COMPILER|CMAKE_CXX_COMPILER|CMAKE_CUDA_ARCHITECTURES):' \
    "$BUILD_DIR/CMakeCache.txt" | grep -v '^CMAKE_' | sed 's/^/  cache: /'
  grep -E '^(CMAKE_CUDA_COMPILER|CMAKE_CXX_COMPILER|CMAKE_CUDA_ARCHITECTURES):' "$BUILD_DIR/CMakeCache.txt" | sed 's/^/  cache: /'
  return 0
}

phase_build() {
  [ "${NMS_GPU_SKIP_BUILD:-0}" = 1 ] && return 200
  [ -f "$BUILD_DIR/CMakeCache.txt" ] || { echo "not configured"; return 1; }
  local targets=()
  # shellcheck disable=SC2206
  local want=${NMS_GPU_TARGETS:-nmsweep test_gpu_physics test_gpu_backend test_gpu_kernels_host bench_gpu bench_cpu}
  [ "$want" != all ] && targets=(--target $want)
  local to=()
  command -v timeout >/dev/null && to=(timeout "$BUILD_TIMEOUT")
  echo "cmake --build $BUILD_DIR -j$JOBS ${targets[*]}"
  "${to[@]}" cmake --build "$BUILD_DIR" -j"$JOBS" "${targets[@]}"
}

# ---------------------------------------------------------------- 4. tests
# ctest output parsing: "NN% tests passed[, F tests failed] out of T".
parse_ctest() {
  local f=$1 line
  line=$(grep -E 'tests passed(, [0-9]+ tests? failed)? out of [0-9]+' "$f" | tail -1)
  [ -n "$line" ] || line=$(grep -E 'No tests were found' "$f" | tail -1)
  TEST_SUMMARY=${line:-"no ctest summary"}
  # ctest lists skipped tests (GTEST_SKIP, SKIP_RETURN_CODE) under "did not run".
  TESTS_SKIPPED=$(sed -n '/The following tests did not run/,/^$/p' "$f" | grep -c '(Skipped)' || true)
  TEST_FAILED_LIST=$(sed -n '/The following tests FAILED/,/^$/p' "$f" | tail -n +2)
}

run_gpu_tests() {
  # ctest -L gpu (the GPU-vs-CPU tests and result-file comparisons); 0 = all passed.
  local rc=0 f=$WORK/ctest_gpu.txt
  [ -d "$BUILD_DIR" ] || { echo "no build dir"; return 1; }
  echo "ctest --test-dir $BUILD_DIR -L gpu --output-on-failure --timeout $TEST_TIMEOUT"
  ctest --test-dir "$BUILD_DIR" -L gpu --output-on-failure --timeout "$TEST_TIMEOUT" \
        --output-junit "$RESULT_DIR/ctest_gpu.xml" 2>&1 | tee "$f"
  rc=${PIPESTATUS[0]}
  parse_ctest "$f"
  grep -q 'No tests were found' "$f" && rc=1

  if [ "${NMS_GPU_CPU_TESTS:-0}" = 1 ]; then
    say "ctest -L cpu"
    ctest --test-dir "$BUILD_DIR" -L cpu --output-on-failure --timeout "$TEST_TIMEOUT" 2>&1 | tee "$WORK/ctest_cpu.txt"
    [ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
    TEST_SUMMARY="gpu: $TEST_SUMMARY | cpu: $(grep -E 'tests passed' "$WORK/ctest_cpu.txt" | tail -1)"
  fi

  # The CPU-vs-GPU comparisons (every model in test_gpu_backend, the result
  # files of two sweeps in gpu_backend_result_files) are ctest entries with
  # the label gpu, so the ctest call above ran them.
  return $rc
}

run_gpu_bench() {
  # Cases: Jansen-Rit on TVB's 76-region connectome (carried under
  # .gpu_deps/data, else the synthetic 76-node one), float, at three batch
  # sizes and three block sizes; double; the 998-region sparse connectome;
  # the named cases (bench_gpu --case jr76|wc80|epileptor76|kuramoto998|mpr76);
  # an end-to-end 16384-point sweep through the command line on the GPU and
  # on all CPU cores of the same machine; the CPU benchmark for comparison.
  local exe=$BUILD_DIR/bench/bench_gpu nms=$BUILD_DIR/src/nmsweep rc=0
  if [ ! -x "$exe" ]; then
    echo "no $exe: benchmark skipped"
    BENCH_STATUS="no bench_gpu"
    return 200
  fi
  local to=()
  command -v timeout >/dev/null && to=(timeout "$BENCH_TIMEOUT")
  local c76=synthetic:76 c998=synthetic:998
  [ -f "$ROOT/.gpu_deps/data/connectivity_76.zip" ] && c76=$ROOT/.gpu_deps/data/connectivity_76.zip
  [ -f "$ROOT/.gpu_deps/data/connectivity_998.zip" ] && c998=$ROOT/.gpu_deps/data/connectivity_998.zip
  bench_case() {  # title, then bench_gpu arguments
    local title=$1; shift
    echo; echo "--- $title"
    echo "$exe $*"
    "${to[@]}" "$exe" "$@" 2>&1 | tee -a "$WORK/bench.txt"
    [ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
  }
  if [ -n "$BENCH_ARGS" ]; then
    # shellcheck disable=SC2086
    bench_case "custom" $BENCH_ARGS
  else
    # Both thread mappings side by side (bench_gpu --mapping both, the
    # default): one thread per instance, one per (node, instance).
    bench_case "JR 76, float, batch sizes, both mappings" --connectome "$c76" --instances 16384,65536,262144 --steps 4000
    for bt in 64 256; do
      NMS_CUDA_BLOCK=$bt bench_case "JR 76, float, $bt threads per block" --connectome "$c76" --instances 65536 --steps 4000
    done
    bench_case "JR 76, double" --connectome "$c76" --instances 65536 --steps 2000 --double --mapping auto
    bench_case "JR 998 sparse, float, both mappings" --connectome "$c998" --instances 1024,8192 --steps 1000
    # The named cases of bench/cases.hpp (the same as bench_cpu --case), at
    # their GPU defaults; "result" lines carry device memory and copy-bandwidth fraction.
    local nc cc
    for nc in jr76 wc80 epileptor76 kuramoto998 mpr76; do
      cc=()
      case $nc in
        kuramoto998) [ "$c998" != synthetic:998 ] && cc=(--connectome "$c998") ;;
        wc80) ;;  # synthetic 80-node connectome
        *) [ "$c76" != synthetic:76 ] && cc=(--connectome "$c76") ;;
      esac
      bench_case "named case $nc" --case "$nc" --mapping auto ${cc[@]+"${cc[@]}"}
    done
    local sw
    for sw in jr76_sweep_16k jr76_bifurcation_16k jr76_bold_4k; do
      echo; echo "--- end to end: nmsweep run bench/cases/$sw.toml, GPU then all CPU cores"
      for be in cuda cpu; do
        "${to[@]}" "$nms" run --overwrite --backend "$be" "bench/cases/$sw.toml" -o "$WORK/${sw}_$be.h5" 2>&1 \
          | tr '\r' '\n' | grep -E "wrote|error" | sed "s/^/[$be] /" | tee -a "$WORK/bench.txt"
      done
    done
    # Issue 14: the seizure reducers' cost on the device (the same sweep
    # keeping only the final state as the baseline); GPU only (~41 min on 2 cores).
    echo; echo "--- seizure reducers: bench/cases/epileptor76_ez.toml against epileptor76_ez_off.toml, GPU"
    for sw in epileptor76_ez epileptor76_ez_off; do
      "${to[@]}" "$nms" run --overwrite --backend cuda "bench/cases/$sw.toml" -o "$WORK/$sw.h5" 2>&1 \
        | tr '\r' '\n' | grep -E "wrote|error" | sed "s/^/[$sw] /" | tee -a "$WORK/bench.txt"
    done
    if [ -x "$BUILD_DIR/bench/bench_cpu" ]; then
      echo; echo "--- CPU benchmark on this host, JR 76, all cores"
      "${to[@]}" "$BUILD_DIR/bench/bench_cpu" --connectome "$c76" --instances 4096 --threads "1,$(nproc)" 2>&1 | tee -a "$WORK/bench.txt"
    fi
  fi
  BENCH_STATUS=$([ "$rc" -eq 0 ] && echo ok || echo "FAILED")
  cp "$WORK/bench.txt" "$RESULT_DIR/bench.txt" 2>/dev/null
  return "$rc"
}
BENCH_GREP=${NMS_GPU_BENCH_GREP:-'^---|^device|^case|^bytes|ceiling|copy bandwidth|^instances|^threads|wrote'}

# ---------------------------------------------------------------- 5. report
write_report() {
  {
    echo "nmsweep GPU check — $(date -u '+%F %T UTC')"
    echo "host: $(hostname)  git: $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?')"
    echo "GPU: $GPU_NAME  driver: $GPU_DRIVER  CUDA (driver): $GPU_CUDA  archs: $CUDA_ARCHS"
    echo "nvcc: $( (nvcc --version 2>/dev/null || /usr/local/cuda/bin/nvcc --version 2>/dev/null) | grep -o 'release [0-9.]*' | head -1)  cmake: $(cmake --version 2>/dev/null | head -1 | awk '{print $3}')  g++: $(g++ -dumpfullversion 2>/dev/null)"
    echo "build dir: $BUILD_DIR"
    echo "phases:"
    local p
    for p in "${PHASES[@]}"; do
      IFS='|' read -r n s t <<< "$p"
      printf '  %-10s %-16s %5ss\n' "$n" "$s" "$t"
    done
    echo "tests: $TEST_SUMMARY (skipped: $TESTS_SKIPPED)"
    [ -n "$TEST_FAILED_LIST" ] && { echo "failed tests:"; echo "$TEST_FAILED_LIST"; }
    echo "bench: $BENCH_STATUS"
    if [ -f "$WORK/bench.txt" ]; then
      grep -E "$BENCH_GREP" "$WORK/bench.txt" | head -60 | sed 's/^/  /'
    fi
    echo "result: $([ "$FAILED" -eq 0 ] && echo PASS || echo FAIL)  (total $(( $(now) - T_START ))s)"
  } > "$REPORT"
  say "report"
  cat "$REPORT"
}

main() {
  T_START=$(now)
  phase machine phase_machine
  if phase deps phase_deps; then
    phase configure phase_configure; rc=$?
    if [ "${NMS_GPU_STOP_AFTER:-}" = configure ]; then
      [ $rc -eq 0 ] || [ $rc -eq 200 ] || FAILED=1
    elif [ $rc -eq 0 ] || [ $rc -eq 200 ]; then
      phase build phase_build; rc=$?
      [ $rc -eq 0 ] || [ $rc -eq 200 ] || FAILED=1
    else
      FAILED=1
    fi
  else
    FAILED=1
  fi
  if [ -n "${NMS_GPU_STOP_AFTER:-}" ]; then
    echo "NMS_GPU_STOP_AFTER=$NMS_GPU_STOP_AFTER: tests and bench not run"
  elif [ -d "$BUILD_DIR" ] && [ -f "$BUILD_DIR/CTestTestfile.cmake" ]; then
    phase tests run_gpu_tests || FAILED=1
    # A GPU test that skips where nvidia-smi sees a GPU means the device was
    # not usable from the tests: that is a failure here.
    if [ "$GPU_NAME" != none ] && [ "${TESTS_SKIPPED:-0}" -gt 0 ] && [ "${NMS_GPU_ALLOW_SKIPS:-0}" != 1 ]; then
      echo "FAIL: $TESTS_SKIPPED GPU test(s) skipped on a machine with a GPU ($GPU_NAME)"
      TEST_SUMMARY="$TEST_SUMMARY; FAIL: skips with a GPU present"
      FAILED=1
    fi
    phase bench run_gpu_bench; rc=$?
    [ $rc -eq 0 ] || [ $rc -eq 200 ] || echo "(bench failure does not fail the check)"
  else
    echo "no configured build dir: tests and bench not run"
    FAILED=1
  fi
  [ -f "$BUILD_DIR/Testing/Temporary/LastTest.log" ] && cp "$BUILD_DIR/Testing/Temporary/LastTest.log" "$RESULT_DIR/ctest_LastTest.log"
  write_report
  rm -rf "$WORK"
  return "$FAILED"
}

main "$@" 2>&1 | tee "$LOG"
exit "${PIPESTATUS[0]}"
