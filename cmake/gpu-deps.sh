#!/usr/bin/env bash
# Downloads (apt-get download, nothing is installed) the Debian 12 packages
# that a machine WITHOUT Debian's -dev packages and without a package
# registry (the GPU machine) needs to build and run nmsweep from a local
# prefix: the -dev packages that cmake/nms_dependencies.cmake finds, the
# shared libraries they link, and the non-core runtime closure of those
# (libcurl4 and friends, which libhdf5 needs). bench/gpu_check.sh unpacks
# them there (dpkg -x, or a python3 fallback) into .gpu_deps/prefix.
#
#   bash cmake/gpu-deps.sh        # run here, before a GPU session
#
# Result: .gpu_deps/debs/*.deb and .gpu_deps/debs/MANIFEST (ignored by git;
# carry ".gpu_deps/debs" to the GPU machine). Idempotent: a .deb already
# there at the candidate version is kept, stale ones are removed.
# Env: NMS_GPU_DEPS_DIR (default <repo>/.gpu_deps).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
deps_dir=${NMS_GPU_DEPS_DIR:-$root/.gpu_deps}
debs=$deps_dir/debs
max_mib=40

if [ "$(dpkg --print-architecture)" != amd64 ]; then
  echo "gpu-deps: this downloads amd64 packages for an x86-64 GPU machine; run it on Debian 12 amd64" >&2
  exit 1
fi

# Packages whose headers, CMake configs, pkg-config files and link-time .so
# names the build uses (libhdf5-dev: serial HDF5 with the HL library).
dev_pkgs=(libhdf5-dev libzip-dev libtoml11-dev libcli11-dev libeigen3-dev libfftw3-dev
          librandom123-dev libgtest-dev libgmock-dev libbenchmark-dev libsleef-dev)
# The runtime libraries those link, plus pkgconf (for an image without
# pkg-config). Their dependency closure is added below.
runtime_roots=(libhdf5-103-1 libhdf5-hl-100 libzip4 libfftw3-double3 libfftw3-single3
               libbenchmark1debian libsleef3 pkgconf-bin libpkgconf3)
# Present on every Ubuntu/Debian image that has g++ (and needed by g++
# itself): never carried.
skip_pkgs=(libc6 libgcc-s1 libstdc++6 gcc-12-base zlib1g libgomp1 libcrypt1 debconf
           dpkg perl-base libselinux1 libpcre2-8-0)

have_lists() { apt-cache show --no-all-versions libhdf5-dev >/dev/null 2>&1; }
if ! have_lists; then
  echo "gpu-deps: apt lists missing, running apt-get update"
  apt-get update -qq
fi

# Boost: whatever package libboost-dev stands for (bookworm: libboost1.74-dev)
# holds /usr/include/boost and the Boost / boost_headers CMake configs;
# Boost.Random is header-only, so nothing else of Boost is needed.
boost_dev=$(apt-cache depends libboost-dev | awk '/Depends: libboost[0-9.]+-dev/{print $2; exit}')
[ -n "$boost_dev" ] || { echo "gpu-deps: cannot resolve libboost-dev" >&2; exit 1; }
dev_pkgs+=("$boost_dev")

closure=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
            --no-replaces --no-enhances "${runtime_roots[@]}" | grep -v '^ ' | grep -v '^<' | sort -u)
declare -A skip=()
for p in "${skip_pkgs[@]}"; do skip[$p]=1; done
pkgs=()
declare -A seen=()
for p in "${dev_pkgs[@]}" $closure; do
  [ -n "${skip[$p]:-}" ] && continue
  [ -n "${seen[$p]:-}" ] && continue
  seen[$p]=1
  pkgs+=("$p")
done

mkdir -p "$debs"
cd "$debs"
want=()
to_get=()
for p in "${pkgs[@]}"; do
  # apt-get download names files pkg_version_arch.deb, the epoch's ':' as %3a.
  f=$(apt-cache show --no-all-versions "$p" |
      awk '/^Version:/{v=$2} /^Architecture:/{a=$2} END{if (v != "") {sub(":", "%3a", v); print v "_" a}}')
  [ -n "$f" ] || { echo "gpu-deps: no candidate for $p" >&2; exit 1; }
  f=${p}_$f.deb
  want+=("$f")
  [ -s "$f" ] || to_get+=("$p")
done

if ((${#to_get[@]})); then
  echo "gpu-deps: downloading ${#to_get[@]} package(s): ${to_get[*]}"
  if ! apt-get download -q "${to_get[@]}"; then
    echo "gpu-deps: download failed, refreshing apt lists and retrying"
    apt-get update -qq
    apt-get download -q "${to_get[@]}"
  fi
fi

# Remove stale versions / packages no longer wanted.
declare -A keep=()
for f in "${want[@]}"; do keep[$f]=1; done
for f in *.deb; do
  [ -e "$f" ] || continue
  if [ -z "${keep[$f]:-}" ]; then echo "gpu-deps: removing stale $f"; rm -f "$f"; fi
done
missing=0
for f in "${want[@]}"; do [ -s "$f" ] || { echo "gpu-deps: missing $f" >&2; missing=1; }; done
((missing == 0)) || exit 1

# Check that every shared object carried needs only carried sonames or the
# core system ones (glibc, libstdc++, libgcc_s, zlib, libgomp).
if command -v objdump >/dev/null && command -v dpkg-deb >/dev/null; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  for f in *.deb; do
    case $f in libboost*|libeigen*) continue ;; esac   # headers only
    dpkg-deb -x "$f" "$tmp"
  done
  have=$(find "$tmp" -name 'lib*.so*' -printf '%f\n' | sort -u)
  core='^(libc|libm|libdl|libpthread|librt|libresolv|libutil|libmvec|libstdc\+\+|libgcc_s|libz|libgomp|ld-linux-x86-64)\.so'
  unresolved=$(find "$tmp" -type f -name 'lib*.so*' -print0 | xargs -0 -r objdump -p 2>/dev/null |
               awk '/NEEDED/{print $2}' | sort -u | grep -Ev "$core" | grep -vxF -f <(echo "$have") || true)
  if [ -n "$unresolved" ]; then
    echo "gpu-deps: WARNING: sonames needed but neither carried nor core:" $unresolved >&2
  else
    echo "gpu-deps: runtime closure OK (every NEEDED soname is carried or core glibc/libstdc++/libgcc_s/zlib/libgomp)"
  fi
fi

{
  echo "# nmsweep GPU-machine dependencies (Debian $(cat /etc/debian_version 2>/dev/null), $(date -u +%F))"
  for f in "${want[@]}"; do echo "$f"; done
} > MANIFEST

total_kib=$(du -sk "$debs" | cut -f1)
echo "gpu-deps: ${#want[@]} packages in $debs, total $((total_kib / 1024)) MiB ($total_kib KiB)"
if ((total_kib > max_mib * 1024)); then
  echo "gpu-deps: WARNING: over ${max_mib} MiB; the working tree must travel in 64 MiB" >&2
fi
