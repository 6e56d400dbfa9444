#!/usr/bin/env bash
# Campaign scaling on this machine: the CPU-bound sweep of
# bench/cases/jr76_campaign_4k.toml (4096 points, Jansen-Rit, 76 nodes) as
#   1 process, 1 thread                       (the baseline)
#   1 process, N threads                      (OpenMP, for comparison)
#   N shards of 1 thread in parallel + merge  (nmsweep run --shard I/N; merge)
#   mpirun -n N, 1 thread per rank            (dynamic ranges, rank files, merge)
# each REPEAT times (median shown), and the ratio of each to the baseline:
# the issue asks for <= 0.55 with 2 shards or 2 ranks on 2 cores.
#
#   bench/hpc_scaling.sh [N]          (N: 2 by default)
#
# Environment: BUILD (build/release), REPEAT (3), MPIRUN (mpirun), WORK (a
# scratch folder; default a temporary one). Results: bench/RESULTS.md.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(cd "${BUILD:-$ROOT/build/release}" && pwd)
REPEAT=${REPEAT:-3}
MPIRUN=${MPIRUN:-mpirun}
N=${1:-2}
nms=$BUILD/src/nmsweep
spec=$ROOT/bench/cases/jr76_campaign_4k.toml
work=${WORK:-$(mktemp -d)}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
[ -x "$nms" ] || { echo "no $nms: build first (BUILD=...)"; exit 1; }

# Median wall seconds of REPEAT runs of a command.
timed() {
  local ts=()
  for ((k = 0; k < REPEAT; ++k)); do
    rm -rf "$work/run" && mkdir -p "$work/run"
    local t0 t1
    t0=$(date +%s.%N)
    (cd "$work/run" && eval "$1") > "$work/log" 2>&1 || { echo "failed: $1"; cat "$work/log"; exit 1; }
    t1=$(date +%s.%N)
    ts+=("$(echo "$t1 - $t0" | bc -l)")
  done
  printf '%s\n' "${ts[@]}" | sort -g | sed -n "$(( (REPEAT + 1) / 2 ))p"
}

run="$nms run -q --backend cpu $spec"
shards=""
for ((i = 0; i < N; ++i)); do shards+="$run --threads 1 -o c.h5 --shard $i/$N & "; done
base=$(timed "$run --threads 1 -o one.h5")
omp=$(timed "$run --threads $N -o omp.h5")
shard=$(timed "$shards wait && $nms merge -q c.h5 .")
echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))"
printf '%-44s %8s %8s\n' "jr76_campaign_4k (4096 points)" "wall s" "ratio"
printf '%-44s %8.2f %8.2f\n' "1 process, 1 thread" "$base" 1
printf '%-44s %8.2f %8.2f\n' "1 process, $N threads" "$omp" "$(echo "$omp / $base" | bc -l)"
printf '%-44s %8.2f %8.2f\n' "$N shards x 1 thread + merge" "$shard" "$(echo "$shard / $base" | bc -l)"
if command -v "$MPIRUN" > /dev/null && "$nms" --help > /dev/null; then
  mpi=$(timed "$MPIRUN -n $N $run --threads 1 -o m.h5")
  printf '%-44s %8.2f %8.2f\n' "mpirun -n $N x 1 thread (incl. merge)" "$mpi" "$(echo "$mpi / $base" | bc -l)"
fi
