#!/usr/bin/env bash
# docs/make-report-example.sh: regenerates docs/report-example.html and
# docs/report.png (the README's report example) from generated data:
# 50,000 members on two nights two months apart (the second night from the
# same seed with one more planted group, so the same member ids, some of
# them now behaving like another group; its table stops at 48,000 members,
# so the last 4 % are gone), train at k 5 with
# log1p, score --previous for the migration matrices, a sweep for the curves,
# then the HTML report and a screenshot 1000 px wide by headless Chromium.
# Needs a build (scripts/build.sh) and Debian's chromium.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CVSEG=${CVSEG:-$ROOT/build/cvseg}
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -x "$CVSEG" ] || { echo "make-report-example: $CVSEG missing: run scripts/build.sh" >&2; exit 1; }
[ -n "$CHROMIUM" ] || { echo "make-report-example: chromium not installed" >&2; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=${OMPI_ALLOW_RUN_AS_ROOT:-1}
export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=${OMPI_ALLOW_RUN_AS_ROOT_CONFIRM:-1}
export HDF5_USE_FILE_LOCKING=FALSE OMP_NUM_THREADS=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
mpi() { mpirun --oversubscribe -np 2 "$CVSEG" "$@"; }
mpi gen --out a.h5 --members 50000 --clusters 5 --seed 4 --reference-date 2024-06-30 -q
mpi gen --out b.h5 --members 48000 --clusters 6 --seed 4 --reference-date 2024-08-31 -q
mpi train -q --in a.h5 --out ra.h5 --model model.h5 --k 5 --transform log1p
mpi score -q --in b.h5 --model model.h5 --out rb.h5 --previous ra.h5
mpi sweep -q --in a.h5 --out sweep.h5 --k 2-9 --transform log1p > /dev/null
"$CVSEG" report --results rb.h5 --sweep sweep.h5 --format html --out "$ROOT/docs/report-example.html"
"$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --screenshot="$ROOT/docs/report.png" --window-size=1000,4960 \
    "file://$ROOT/docs/report-example.html" > /dev/null 2>&1
echo "wrote docs/report-example.html and docs/report.png"
