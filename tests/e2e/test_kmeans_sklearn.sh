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

# shellcheck source=lib.sh
source "${SOURCE_DIR:?}/tests/e2e/lib.sh"
: "${SHARED_DIR:?}"
CDNOW=$SHARED_DIR/data/cdnow
ORACLE=$SOURCE_DIR/tests/e2e/oracle_km/kmo.py
need_file "$CDNOW/CDNOW_master.txt"
need_python h5py numpy sklearn.cluster sklearn.metrics
enter_work_dir
export OMP_WAIT_POLICY=PASSIVE
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}

# ------------------------------------------------------------ CDNOW features
cdnow_members "$CDNOW/CDNOW_master.txt" tx.h5 cdnow.h5 1998-07-01

# given_start NAME NP BASE TAG [--transform T | --far]: kmo.py writes 5 starting
# centres for BASE.h5 (one far outside the data with --far); train --k 5 from
# them with --tol 0 at NP (TAG.h5, TAG_model.h5, TAG.json) against sklearn's
# lloyd from the same start: labels identical, centroids and inertia to 1e-9
# relative, same iteration count.
given_start() {
    local name=$1 np=$2 base=$3 tag=$4 option=("${@:5}") transform=()
    [ "${option[0]:-}" != --transform ] || transform=("${option[@]}")
    "$PYTHON" "$ORACLE" centers "$base.h5" 5 "${tag}_centers.h5" "${option[@]}" >centers.log 2>&1 ||
        fail "$name: write 5 starting centres" "$(cat centers.log)"
    run "$np" train -q --in "$base.h5" --out "$tag.h5" --model "${tag}_model.h5" --k 5 \
        --init "${tag}_centers.h5" --max-iter 300 --tol 0 --summary "$tag.json" "${transform[@]}"
    ran "$name: train --k 5 --init CENTERS.h5 --tol 0 (np $np)"
    oracle "$name, given start: labels identical, centroids and inertia to 1e-9 rel vs sklearn lloyd" \
        given "$base.h5" "${tag}_centers.h5" "$tag.h5" "${tag}_model.h5" "${transform[@]}"
}

# a. given start, CDNOW (23,570 members) and a generated base (200,000 members)
given_start CDNOW 1 cdnow cdnow_given
run 2 gen -q --out gen.h5 --members 200000 --clusters 5 --seed 7
ran "gen --members 200000 --clusters 5 --seed 7"
given_start generated 2 gen gen_given
given_start "generated log1p" 3 gen gen_given_log --transform log1p

# a. given start with one centre far outside the data: an empty cluster in the
# first iteration, repaired with the farthest member (as sklearn relocates it)
given_start "far centre (empty cluster relocated)" 3 gen gen_far --far
repairs=$("$PYTHON" -c "import json, sys; print(json.load(open(sys.argv[1]))['kmeans']['empty_cluster_repairs'])" \
    gen_far.json 2>&1 || true)
if [ "$repairs" -ge 1 ] 2>/dev/null; then
    pass "far centre: the summary counts $repairs empty-cluster repair(s)"
else
    fail "far centre: the summary counts an empty-cluster repair" "kmeans.empty_cluster_repairs: $repairs"
fi

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
