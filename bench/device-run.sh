#!/usr/bin/env bash
# Runs the issue-15 scale case on the device machine (16 cores): 100 M
# members and 100 M transactions in /dev/shm, train and aggregate at np 16 with
# their floors (bench/run.py --scale), then the K-Means kernel's strong scaling
# 1..16 ranks at 100 M. Results go to $OUT/scale (table.md, results.jsonl).
#   bench/device-run.sh [MEMBERS]   (default 100000000; .device/ from device-pack.sh)
set -uo pipefail
cd "$(dirname "$0")/.."
members=${1:-100000000}
out=${OUT:-/tmp/cvseg-device-out}
export LD_LIBRARY_PATH="$PWD/.device/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export CVSEG_BUILD="$PWD/.device" OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export HDF5_USE_FILE_LOCKING=FALSE
nproc; free -g | head -2; mpirun --version | head -1
.device/cvseg --version || exit 1
mkdir -p "$out/scale" /dev/shm/cvseg-bench
python3 bench/run.py --scale "$members" --ranks "$(nproc)" --work /dev/shm/cvseg-bench \
    --out "$out/scale" --no-peers
rc=$?
rm -rf /dev/shm/cvseg-bench
python3 bench/run.py --scaling-only --no-peers --out "$out/scaling" || rc=$?
cat "$out"/scale/table.md "$out"/scaling/table.md 2>/dev/null
exit $rc
