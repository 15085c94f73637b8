#!/usr/bin/env bash
# Quick start, command 1: installs what is missing, builds, generates a
# synthetic base of 1,000,000 members, trains the full pipeline (RFM scores,
# segments, ABC, value matrix, K-Means) with `mpirun -np 2` and prints the
# report. Outputs go to out/quickstart/.
#   scripts/quickstart.sh [MEMBERS]
set -euo pipefail
cd "$(dirname "$0")/.."
members=${1:-1000000}
scripts/install-deps.sh
scripts/build.sh
source scripts/env.sh
out=out/quickstart
mkdir -p "$out"
set -x
mpirun -np 2 build/cvseg gen --out "$out/members.h5" --members "$members" --clusters 5 \
    --seed 1 --reference-date 2024-12-31
mpirun -np 2 build/cvseg train --in "$out/members.h5" --out "$out/results.h5" \
    --model "$out/model.h5" --k 5 --transform log1p --seed 1 --summary "$out/summary.json"
build/cvseg report --results "$out/results.h5" --model "$out/model.h5"
build/cvseg report --results "$out/results.h5" --model "$out/model.h5" --format html \
    --out "$out/report.html"
