#!/usr/bin/env bash
# Throughput of `nmsweep fit` on a 76-region fit: Jansen-Rit on TVB's 76-region
# connectome (synthetic:76 when the file is missing), global coupling and
# speed fitted by CMA-ES to the FC of a run at known values. Prints the
# candidate evaluations per second and the optimiser's own share of the time
# (the time outside the generation batches; the issue's bound is 5%).
#
#   bench/fit_throughput.sh
#
# Environment: BUILD (build/release), DATA (../shared/data/tvb), POP (32),
# GEN (4), DURATION (ms of model time per candidate, 2000), THREADS (all cores),
# ALGO (cmaes; abc-smc measures the sampler's own cost: its proposal and
# importance-weight work is O(POP^2) per generation).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-build/release}
DATA=${DATA:-$ROOT/../shared/data/tvb}
POP=${POP:-32}
GEN=${GEN:-4}
DURATION=${DURATION:-2000.0}
THREADS=${THREADS:-$(nproc)}
ALGO=${ALGO:-cmaes}
exe=$ROOT/$BUILD/src/nmsweep
[ -x "$exe" ] || { echo "no $exe: build first (cmake --preset release && cmake --build build/release)"; exit 1; }
conn=synthetic:76
[ -f "$DATA/connectivity_76.zip" ] && conn=$DATA/connectivity_76.zip
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
base() {
  cat <<SPEC
[model]
name = "jansen_rit"
[network]
connectome = "$conn"
speed = 4.0
normalise = "max"
[coupling]
kind = "sigmoidal_jansen_rit"
$1
[integrator]
method = "heun"
dt = 0.1
duration = $DURATION
transient = 500.0
noise = { sigma = 1e-4, seed = 3 }
[output]
path = "t.h5"
observable = "y1 - y2"
features = ["fc"]
SPEC
}
base "a = 0.05" > "$work/truth.toml"
"$exe" run -q "$work/truth.toml" -o "$work/truth.h5" --threads "$THREADS"
python3 - "$work" <<'PY'
import sys, h5py, numpy as np
d = sys.argv[1]
fc = h5py.File(f"{d}/truth.h5")["features/fc"][...]
n = int(round(fc.size ** 0.5))
np.savetxt(f"{d}/fc.csv", fc.reshape(n, n), delimiter=",")
PY
{ base ""; cat <<SPEC
[fit]
algorithm = "$ALGO"
generations = $GEN
population = $POP
[[fit.parameter]]
name = "coupling.a"
bounds = [0.0, 0.2]
[[fit.parameter]]
name = "network.speed"
bounds = [1.0, 20.0]
[[fit.target]]
cost = "fc_correlation"
file = "$work/fc.csv"
SPEC
} > "$work/fit.toml"
echo "$(nproc) cores, $THREADS threads, $conn, $ALGO, $POP candidates a batch, $DURATION ms each:"
"$exe" fit "$work/fit.toml" -o "$work/fit.h5" --threads "$THREADS" 2>/dev/null
