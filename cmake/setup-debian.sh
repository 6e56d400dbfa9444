#!/usr/bin/env bash
# Installs everything nmsweep needs on a fresh Debian 12 machine: the
# compiler toolchain, libraries and test tools from Debian's packages, and the Python
# packages used by the result checks and plots from PyPI. Safe to re-run.
set -euo pipefail

pkgs=(build-essential cmake ninja-build pkg-config
      libeigen3-dev libhdf5-dev libzip-dev libssl-dev libtoml11-dev libcli11-dev nlohmann-json3-dev
      libfftw3-dev libsleef-dev librandom123-dev libboost-random-dev libgtest-dev libgmock-dev libbenchmark-dev
      libopenmpi-dev openmpi-bin   # MPI runs (mpirun -n K nmsweep run)
      libpagmo-dev                 # optimisers (nmsweep fit)
      python3 python3-pip
      clang libclang-rt-14-dev libomp-14-dev    # the sanitize preset: ASan + UBSan, libFuzzer
      slurmctld slurmd slurm-client munge)      # the one-node Slurm cluster of tests/slurm

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Python side: reading results (h5py, xarray) and plots; the Python package's
# build (nanobind, scikit-build-core), its dependencies and tests (tomli-w,
# pytest, tqdm), and simulation-based inference for its example (sbi, which
# brings PyTorch: ~1.5 min and ~6 GB).
py_pkgs=(numpy scipy h5py xarray h5netcdf matplotlib nanobind scikit-build-core tomli-w pytest tqdm sbi)
if ! python3 -c "import numpy, scipy, h5py, xarray, h5netcdf, matplotlib, nanobind, scikit_build_core, tomli_w, pytest, tqdm, sbi" 2>/dev/null; then
  python3 -m pip install -q "${py_pkgs[@]}" || python3 -m pip install -q --break-system-packages "${py_pkgs[@]}"
fi
