#!/usr/bin/env bash
# Quick start, command 2: installs what is missing, builds with warnings as
# errors, and runs the whole test suite (unit + ASan/UBSan, MPI at np 1/2/4,
# end-to-end, style, Slurm).
#   scripts/test.sh [ctest arguments, e.g. -L unit]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
cd build
ctest --output-on-failure -j 2 "$@"
