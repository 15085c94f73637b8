#!/usr/bin/env bash
# Configures and builds cvseg in build/ (Release, warnings as errors).
#   scripts/build.sh [extra cmake arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DCVSEG_WERROR=ON "$@" >/dev/null
cmake --build build -j "$(nproc)"
