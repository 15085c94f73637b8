#!/usr/bin/env bash
# test_kmeans_sklearn.sh: `cvseg train` against scikit-learn as an independent
# oracle. The features and their standardisation (population sd, optional
# log1p on F and M) are recomputed in numpy from the member table
# (tests/e2e/oracle_km/kmo.py).
#   a. From the same given start (--init CENTERS.h5, --tol 0, lloyd): labels
#      identical for every member (engine clusters matched to sklearn's through
#      the centroids), centroids and inertia equal to 1e-9 relative, same
#      iteration count; on the CDNOW master file (aggregated at 1998-07-01) and
#      on a generated base of 200,000 members (plain, log1p, and a start with
#      one centre far outside the data, so an empty cluster is repaired).
#   b. Own seeding (k-means++ and k-means||, --n-init 5): the best inertia is
#      within 0.5 % of sklearn's KMeans(n_init=5, random_state=0) or better.
#
# Environment (set by ctest): CVSEG, SOURCE_DIR, SHARED_DIR, WORK_DIR, PYTHON.
set -euo pipefail

: "${CVSEG:?CVSEG must name the cvseg binary}"
: "${SOURCE_DIR:?}" "${SHARED_DIR:?}" "${WORK_DIR:?}"
PYTHON=${PYTHON:-/usr/bin/python3}
CDNOW=$SHARED_DIR/data/cdnow
ORACLE=$SOURCE_DIR/tests/e2e/oracle_km/kmo.py
if [ ! -r "$CDNOW/CDNOW_master.txt" ]; then
    echo "skipped: $CDNOW/CDNOW_master.txt not found"
    exit 77
fi
if ! "$PYTHON" -c 'import h5py, numpy, sklearn.cluster, sklearn.metrics' 2>/dev/null; then
    echo "skipped: $PYTHON lacks h5py/numpy/sklearn"
    exit 77
fi
rm -rf "$WORK_DIR"
mkdir -p "$WORK_DIR"
cd "$WORK_DIR"
export OMP_WAIT_POLICY=PASSIVE
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}

# shellcheck source=lib.sh
source "$SOURCE_DIR/tests/e2e/lib.sh"

# oracle NAME SUBCOMMAND ARGS...: the oracle's figures on the check line.
oracle() {
    local name=$1
    shift
    if "$PYTHON" "$ORACLE" "$@" >oracle.log 2>&1; then
        pass "$name ($(tail -n 1 oracle.log))"
    else
        fail "$name" "$(tail -n 3 oracle.log | tr '\n' ' ')"
    fi
}

# ------------------------------------------------------------ CDNOW features
run 1 import --format cdnow --in "$CDNOW/CDNOW_master.txt" --out tx.h5
ran "import CDNOW_master.txt"
run 2 aggregate --in tx.h5 --out cdnow.h5 --reference-date 1998-07-01
ran "aggregate at 1998-07-01"

# a. given start, CDNOW (23,570 members)
"$PYTHON" "$ORACLE" centers cdnow.h5 5 cdnow_centers.h5 >centers.log 2>&1 ||
    fail "CDNOW: write 5 starting centres" "$(cat centers.log)"
run 1 train -q --in cdnow.h5 --out cdnow_given.h5 --model cdnow_given_model.h5 --k 5 \
    --init cdnow_centers.h5 --max-iter 300 --tol 0
ran "CDNOW: train --k 5 --init CENTERS.h5 --tol 0 (np 1)"
oracle "CDNOW, given start: labels identical, centroids and inertia to 1e-9 rel vs sklearn lloyd" \
    given cdnow.h5 cdnow_centers.h5 cdnow_given.h5 cdnow_given_model.h5

# a. given start, generated base (200,000 members)
run 2 gen -q --out gen.h5 --members 200000 --clusters 5 --seed 7
ran "gen --members 200000 --clusters 5 --seed 7"
"$PYTHON" "$ORACLE" centers gen.h5 5 gen_centers.h5 >centers.log 2>&1 ||
    fail "generated: write 5 starting centres" "$(cat centers.log)"
run 2 train -q --in gen.h5 --out gen_given.h5 --model gen_given_model.h5 --k 5 \
    --init gen_centers.h5 --max-iter 300 --tol 0
ran "generated: train --k 5 --init CENTERS.h5 --tol 0 (np 2)"
oracle "generated, given start: labels identical, centroids and inertia to 1e-9 rel vs sklearn lloyd" \
    given gen.h5 gen_centers.h5 gen_given.h5 gen_given_model.h5
"$PYTHON" "$ORACLE" centers gen.h5 5 gen_centers_log.h5 --transform log1p >centers.log 2>&1 ||
    fail "generated log1p: write 5 starting centres" "$(cat centers.log)"
run 3 train -q --in gen.h5 --out gen_given_log.h5 --model gen_given_log_model.h5 --k 5 \
    --init gen_centers_log.h5 --max-iter 300 --tol 0 --transform log1p
ran "generated: train --transform log1p --init CENTERS.h5 --tol 0 (np 3)"
oracle "generated log1p, given start: labels identical, centroids and inertia to 1e-9 rel vs sklearn" \
    given gen.h5 gen_centers_log.h5 gen_given_log.h5 gen_given_log_model.h5 --transform log1p

# a. given start with one centre far outside the data: an empty cluster in the
# first iteration, repaired with the farthest member (as sklearn relocates it)
"$PYTHON" "$ORACLE" centers gen.h5 5 gen_centers_far.h5 --far >centers.log 2>&1 ||
    fail "generated: write 5 starting centres, one far away" "$(cat centers.log)"
run 3 train -q --in gen.h5 --out gen_far.h5 --model gen_far_model.h5 --k 5 \
    --init gen_centers_far.h5 --max-iter 300 --tol 0 --summary gen_far.json
ran "generated: train --init CENTERS.h5 with a far centre (np 3)"
repairs=$("$PYTHON" -c "import json, sys; print(json.load(open(sys.argv[1]))['kmeans']['empty_cluster_repairs'])" \
    gen_far.json 2>&1 || true)
if [ "$repairs" -ge 1 ] 2>/dev/null; then
    pass "far centre: the summary counts $repairs empty-cluster repair(s)"
else
    fail "far centre: the summary counts an empty-cluster repair" "kmeans.empty_cluster_repairs: $repairs"
fi
oracle "far centre: labels identical, centroids and inertia to 1e-9 rel vs sklearn (empty cluster relocated)" \
    given gen.h5 gen_centers_far.h5 gen_far.h5 gen_far_model.h5

# b. own seeding, best of 5 restarts vs sklearn n_init=5
for base in cdnow gen; do
    for init in k-means++ k-means-parallel; do
        run 2 train -q --in $base.h5 --out ${base}_$init.h5 --model ${base}_${init}_model.h5 --k 5 \
            --n-init 5 --seed 1 --init $init
        ran "$base: train --k 5 --n-init 5 --seed 1 --init $init"
        oracle "$base, $init: inertia within 0.5 % of sklearn KMeans(n_init=5, random_state=0)" \
            best $base.h5 ${base}_$init.h5 ${base}_${init}_model.h5 --n-init 5 --slack 0.005
    done
done

finish
