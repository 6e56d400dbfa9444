#!/usr/bin/env bash
# Creates the Python environment for the peer comparison (bench/peers/run_peers.py) and
# installs the peers from PyPI. Nothing is vendored into the repository.
#
#   bench/peers/setup.sh [VENV]          # default: bench/peers/.venv (git-ignored)
#
# CPU peers, always: tvb-library (numpy and numba backends; numba comes with it) and neurolib.
# GPU peers (vbjax, cuBNM) only where an NVIDIA GPU is visible (nvidia-smi works) or when
# NMS_PEERS_GPU=1 is set; otherwise they are skipped and run_peers.py reports them as not run.
# Re-running is safe: pip leaves installed packages alone.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${1:-$here/.venv}"
py="${PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ]; then
    "$py" -m venv "$venv"
fi
pip=("$venv/bin/python" -m pip install --disable-pip-version-check -q)
"${pip[@]}" --upgrade pip
# Versions pinned to those the committed bench/RESULTS.md was measured with.
"${pip[@]}" "tvb-library==2.10.0" "neurolib==0.6.2"

# --- GPU hook -------------------------------------------------------------------------------
# vbjax (JAX) and cuBNM need CUDA; on a CPU-only machine they would either not install (cuBNM
# builds CUDA code) or time a CPU JAX that nobody uses for this. run_peers.py --gpu-peers runs them.
if [ "${NMS_PEERS_GPU:-}" = 1 ] || { command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1; }; then
    echo "GPU found: installing vbjax (jax[cuda12]) and cubnm"
    "${pip[@]}" "jax[cuda12]" vbjax cubnm
else
    echo "no GPU: skipping vbjax and cuBNM (set NMS_PEERS_GPU=1 to force)"
fi
"$venv/bin/python" - <<'PY'
from importlib.metadata import version, PackageNotFoundError
for p in ("tvb-library", "neurolib", "numba", "numpy", "scipy", "vbjax", "cubnm"):
    try:
        print(f"{p:12s} {version(p)}")
    except PackageNotFoundError:
        print(f"{p:12s} (not installed)")
PY
