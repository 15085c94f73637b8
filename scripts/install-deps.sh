#!/usr/bin/env bash
# Installs the Debian 12 packages cvseg needs to build, test and benchmark.
# Idempotent and fast when everything is present (no apt-get call at all).
# Needs root (or sudo) only when something is missing.
#   scripts/install-deps.sh          build + test packages (Slurm included, best effort)
set -euo pipefail

required=(gcc make cmake pkg-config libopenmpi-dev openmpi-bin libhdf5-openmpi-dev hdf5-tools
          libcunit1-dev libjansson-dev libgsl-dev zlib1g-dev clang-format python3 python3-numpy python3-pandas
          python3-h5py python3-sklearn python3-scipy python3-matplotlib procps
          zlib1g-dev  # import: .gz input
          dpkg-dev man-db  # the Debian package and its man page (ctest -L install)
          clang libclang-rt-14-dev libomp-14-dev llvm-14)  # libFuzzer harnesses (ctest -L fuzz)
# Slurm for the job-script tests: optional; its tests are skipped without it.
# Chromium for the HTML report test: optional too.
optional=(munge slurmctld slurmd slurm-client chromium)
# iproute2 (ip netns) for the multihost tests: optional too; skipped without it.
optional+=(iproute2)

missing() {
    local p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
    done
}

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

need=$(missing "${required[@]}")
want=$(missing "${optional[@]}")
if [ -z "$need" ] && [ -z "$want" ]; then
    echo "install-deps: all packages present"
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
echo "install-deps: installing:" $need $want
as_root apt-get update -qq
if [ -n "$need" ]; then
    # shellcheck disable=SC2086
    as_root apt-get install -y -qq --no-install-recommends $need >/dev/null
fi
if [ -n "$want" ]; then
    # shellcheck disable=SC2086
    as_root apt-get install -y -qq --no-install-recommends $want >/dev/null ||
        echo "install-deps: optional packages unavailable; the slurm / multihost / html tests will be skipped"
fi
echo "install-deps: done"
