#!/usr/bin/env bash
# Scaling series of the CPU backend on the Jansen-Rit case (bench_cpu --case jr76):
#   instances  node-steps/s vs the number of instances, 1 .. 10^5, on TVB's
#              76-region connectome (synthetic:76 when the file is missing)
#   nodes      node-steps/s vs network size, synthetic:N for N = 16 .. 998, 256 instances
# each at the thread counts of THREADS (default 1,<all cores>). The work per
# point is held near WORK node-steps (steps = WORK / (instances x nodes),
# between 200 and 20000), so that every point takes a few seconds.
#
#   bench/scaling.sh [instances|nodes|all]
#
# Environment: BUILD (build/release), DATA (../shared/data/tvb), THREADS,
# WORK (3e8; WORK_NODES 1.5e8 for the nodes series), NS and NODES (the
# lists), REPEAT (1: runs per point; the table shows the best and the
# range), LOG ($BUILD/scaling.log), QUIET=0.3 (wait before each run until
# other jobs use less than 0.3 cores; bench/quiet.sh). The table it prints is in bench/RESULTS.md.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1
BUILD=${BUILD:-build/release}
DATA=${DATA:-$ROOT/../shared/data/tvb}
THREADS=${THREADS:-1,$(nproc)}
WORK=${WORK:-3e8}
REPEAT=${REPEAT:-1}
WORK_NODES=${WORK_NODES:-1.5e8}
NS=${NS:-1 2 4 8 16 32 64 128 256 1024 4096 16384 100000}
NODES=${NODES:-16 32 76 128 256 512 998}
LOG=${LOG:-$BUILD/scaling.log}
WHAT=${1:-all}
exe=$BUILD/bench/bench_cpu
[ -x "$exe" ] || { echo "no $exe (cmake --build $BUILD --target bench_cpu)"; exit 1; }
c76=synthetic:76
[ -f "$DATA/connectivity_76.zip" ] && c76=$DATA/connectivity_76.zip

steps_for() {  # instances nodes
  awk -v w="$WORK" -v n="$1" -v m="$2" 'BEGIN { s = int(w / (n * m)); if (s < 200) s = 200; if (s > 20000) s = 20000; print s }'
}
one() {  # series, connectome, instances, nodes: one row per thread count, best of REPEAT runs
  local s t k bz conn; s=$(steps_for "$3" "$4")
  for t in ${THREADS//,/ }; do
    : > "$LOG.best"
    for ((k = 0; k < REPEAT; ++k)); do
      echo "\$ $exe --case jr76 --connectome $2 --instances $3 --steps $s --threads $t" >> "$LOG"
      bz=$(wait_quiet)
      "$exe" --case jr76 --connectome "$2" --instances "$3" --steps "$s" --threads "$t" > "$LOG.tmp" 2>&1
      cat "$LOG.tmp" >> "$LOG"
      conn=$(grep '^connectome:' "$LOG.tmp")
      grep '^result ' "$LOG.tmp" | sed "s|^result |result series=$1 |; s|\$| busy=$bz $(echo "$conn" | sed -E 's/.*\(([0-9.]+) inputs\/node.* = ([0-9.]+) MiB.*/inputs=\1 ring_MiB=\2/')|" >> "$LOG.best"
    done
    # the best run, with the range over the repeats
    awk '{ for (i = 1; i <= NF; ++i) if ($i ~ /^node_steps_per_s=/) r = substr($i, 18) + 0
           if (NR == 1 || r > b) { b = r; line = $0 } if (NR == 1 || r < lo) lo = r }
         END { printf "%s range=%.3e..%.3e runs=%d\n", line, lo, b, NR }' "$LOG.best"
  done
}
# shellcheck source=bench/quiet.sh
source "$ROOT/bench/quiet.sh"

: > "$LOG"
echo "# $(date -u '+%F %T UTC')  $(lscpu | sed -n 's/^Model name: *//p') x $(nproc)  git $(git describe --always --dirty 2>/dev/null)  threads $THREADS  work $WORK" | tee -a "$LOG"
{
  if [ "$WHAT" = all ] || [ "$WHAT" = instances ]; then
    for n in $NS; do one instances "$c76" "$n" 76; done
  fi
  if [ "$WHAT" = all ] || [ "$WHAT" = nodes ]; then
    for m in $NODES; do WORK=$WORK_NODES one nodes "synthetic:$m" 256 "$m"; done
  fi
} | tee -a "$LOG.results" | awk '
function kv(s,   a, i, p) { delete F; n = split(s, a, " "); for (i = 2; i <= n; ++i) { p = index(a[i], "="); F[substr(a[i], 1, p - 1)] = substr(a[i], p + 1) } }
BEGIN { print "| series | instances | nodes | inputs/node | ring MiB per block | steps | threads | wall s | node-steps/s | per thread | input-steps/s per thread | range over runs | load1 | cores busy before |"; print "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|" }
{ kv($0); r = F["node_steps_per_s"]; t = F["threads"]
  printf "| %s | %s | %s | %s | %s | %s | %s | %.2f | %.3e | %.3e | %.3e | %s (%s) | %s | %s |\n", F["series"], F["instances"], F["nodes"], F["inputs"], F["ring_MiB"], F["steps"], t, F["wall_s"], r, r / t, r / t * F["inputs"], F["range"], F["runs"], F["load1"], F["busy"]; fflush() }'
rm -f "$LOG.tmp" "$LOG.results" "$LOG.best"
