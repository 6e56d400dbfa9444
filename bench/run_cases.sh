#!/usr/bin/env bash
# Runs the named benchmark cases (bench/cases.hpp) and prints one table.
#
#   bench/run_cases.sh                 # all CPU cases, all cores; GPU cases too
#                                      # when bench_gpu is built and a device is seen
#   THREADS=1,2 REPEAT=3 bench/run_cases.sh jr76 mpr76
#
# Environment (all optional):
#   BUILD     build directory with bench/bench_cpu (default build/release)
#   GPU_BUILD build directory with bench/bench_gpu (default: $BUILD, then build/gpu)
#   DATA      folder with TVB's connectivity_76.zip / connectivity_998.zip
#             (default ../shared/data/tvb next to the repository); when a file
#             is missing the case runs on the synthetic connectome of that size
#   THREADS   CPU thread counts, comma-separated (default: all cores)
#   REPEAT    runs per case and thread count (default 1); the table shows the
#             best node-steps/s and the range over the repeats
#   CPU=0     skip the CPU cases;  GPU=0 skip the GPU cases
#   LOG       raw output (default $BUILD/run_cases.log)
#   APPEND=1  append to LOG instead of starting it afresh (the table covers all
#             results in it: runs spread over time, e.g. waiting for a quiet machine)
#   TABLE_ONLY=1  run nothing, print the table of the results in LOG
#   QUIET=0.3 wait before each run until other jobs use less than 0.3 cores
#             (bench/quiet.sh; at most QUIET_MAX_WAIT s, default 900)
# Arguments: case names (default: all five).
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1
BUILD=${BUILD:-build/release}
DATA=${DATA:-$ROOT/../shared/data/tvb}
THREADS=${THREADS:-$(nproc)}
REPEAT=${REPEAT:-1}
LOG=${LOG:-$BUILD/run_cases.log}
CASES=("$@")
[ ${#CASES[@]} -eq 0 ] && CASES=(jr76 wc80 epileptor76 kuramoto998 mpr76)

conn_for() {  # the TVB file for a case, if present
  case $1 in
    jr76|epileptor76|mpr76) f=$DATA/connectivity_76.zip ;;
    kuramoto998) f=$DATA/connectivity_998.zip ;;
    *) f= ;;  # wc80: the synthetic 80-node connectome (TVB has no 80-region file)
  esac
  [ -n "$f" ] && [ -f "$f" ] && echo "--connectome $f"
}

# shellcheck source=bench/quiet.sh
source "$ROOT/bench/quiet.sh"

if [ "${TABLE_ONLY:-0}" = 1 ]; then CPU=0; GPU=0; else
[ "${APPEND:-0}" = 1 ] || : > "$LOG"
echo "# $(date -u '+%F %T UTC')  $(lscpu | sed -n 's/^Model name: *//p') x $(nproc)  git $(git describe --always --dirty 2>/dev/null)" | tee -a "$LOG"
fi
if [ "${CPU:-1}" != 0 ]; then
  exe=$BUILD/bench/bench_cpu
  [ -x "$exe" ] || { echo "no $exe (cmake --build $BUILD --target bench_cpu)"; exit 1; }
  for c in "${CASES[@]}"; do
    for ((k = 0; k < REPEAT; ++k)); do
      # shellcheck disable=SC2046
      echo "\$ $exe --case $c $(conn_for "$c") --threads $THREADS" | tee -a "$LOG"
      bz=$(wait_quiet)
      "$exe" --case "$c" $(conn_for "$c") --threads "$THREADS" 2>&1 | sed "/^result /s/\$/ busy=$bz/" | tee -a "$LOG" | grep -v '^result' || true
    done
  done
fi
gexe=
for d in "${GPU_BUILD:-}" "$BUILD" build/gpu; do
  [ -n "$d" ] && [ -x "$d/bench/bench_gpu" ] && { gexe=$d/bench/bench_gpu; break; }
done
if [ "${GPU:-1}" != 0 ] && [ -n "$gexe" ] && nvidia-smi -L >/dev/null 2>&1; then
  for c in "${CASES[@]}"; do
    for ((k = 0; k < REPEAT; ++k)); do
      echo "\$ $gexe --case $c $(conn_for "$c")" | tee -a "$LOG"
      bz=$(wait_quiet)
      # shellcheck disable=SC2046
      "$gexe" --case "$c" $(conn_for "$c") 2>&1 | sed "/^result /s/\$/ busy=$bz/" | tee -a "$LOG" | grep -v '^result' || true
    done
  done
elif [ "${GPU:-1}" != 0 ] && [ "${TABLE_ONLY:-0}" != 1 ]; then
  echo "GPU cases not run: $([ -z "$gexe" ] && echo "no bench_gpu built (configure with -DNMS_CUDA=ON)" || echo "no device (nvidia-smi -L)")" | tee -a "$LOG"
fi

echo
# One row per case, backend and thread count: best node-steps/s of the repeats
# and the range. per thread = node-steps/s / threads (CPU). "cores busy before":
# CPU use by other jobs in the second before each run (from /proc/stat).
grep '^result ' "$LOG" | awk '
function kv(s,   a, i, p) { delete F; n = split(s, a, " "); for (i = 2; i <= n; ++i) { p = index(a[i], "="); F[substr(a[i], 1, p - 1)] = substr(a[i], p + 1) } }
{
  kv($0)
  par = F["backend"] == "cpu" ? F["threads"] : F["devices"]
  key = F["case"] SUBSEP F["backend"] SUBSEP par SUBSEP F["instances"]
  r = F["node_steps_per_s"] + 0
  if (!(key in best)) { order[++nk] = key; lo[key] = r; lmin[key] = F["load1"]; lmax[key] = F["load1"]; bmin[key] = F["busy"]; bmax[key] = F["busy"] }
  if (F["busy"] < bmin[key]) bmin[key] = F["busy"]
  if (F["busy"] > bmax[key]) bmax[key] = F["busy"]
  cnt[key]++
  if (r < lo[key]) lo[key] = r
  if (F["load1"] < lmin[key]) lmin[key] = F["load1"]
  if (F["load1"] > lmax[key]) lmax[key] = F["load1"]
  if (!(key in best) || r > best[key]) {
    best[key] = r
    row[key] = sprintf("| %s | %s | %s | %s | %s | %s | %s | %.2f | %.3e", F["case"], F["backend"], par, F["precision"], F["instances"], F["nodes"], F["steps"], F["wall_s"], r)
    pt[key] = F["backend"] == "cpu" ? sprintf("%.3e", r / F["threads"]) : "-"
    mem[key] = F["peak_rss_MiB"]
    dev[key] = F["backend"] == "cuda" ? F["device_MiB"] " / " F["copy_bw_fraction"] : "-"
  }
}
END {
  print "| case | backend | threads (cpu) / devices | precision | instances | nodes | steps | wall s (best) | node-steps/s (best) | per thread | range over runs | runs | peak RSS MiB | device MiB / copy-bw fraction | load1 | cores busy before |"
  print "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  for (i = 1; i <= nk; ++i) { k = order[i]
    printf "%s | %s | %.3e .. %.3e | %d | %s | %s | %s .. %s | %s .. %s |\n", row[k], pt[k], lo[k], best[k], cnt[k], mem[k], dev[k], lmin[k], lmax[k], bmin[k], bmax[k] }
}'
