#!/usr/bin/env bash
# test_sweep.sh: `cvseg sweep` against scikit-learn and against `cvseg train`.
#   a. On a generated base of 30,000 members with 4 planted groups (log1p
#      features), --k 2-6, a silhouette sample of 4,000: inertia,
#      calinski_harabasz_score, davies_bouldin_score and the simplified
#      silhouette on all members, and silhouette_score on the sweep's sample,
#      equal to scikit-learn / numpy on the same labels and features to 1e-9
#      relative (tests/e2e/oracle_sweep/sweepo.py), at np 1, 2 and 4; the
#      sample is stratified (largest-remainder shares per cluster).
#   b. Every dataset of /sweep and /labels (sample member ids included)
#      identical (h5diff, no tolerance) at np 1, 2, 4 and 1 or 2 threads.
#   c. The labels at k = 3 and k = 5 identical to `cvseg train --k K` with
#      the same flags; --models DIR writes the same centroids as train.
#   d. The summary's keys agree with /sweep; recommended_k is the planted 4.
#   e. A sample larger than the base uses every member; --max-iter 1 exits 5
#      with everything written (converged = 0); bad --k ranges exit 1 with no
#      output file.
#
# Environment (set by ctest): CVSEG, SOURCE_DIR, WORK_DIR, PYTHON.
set -euo pipefail

# shellcheck source=lib.sh
source "${SOURCE_DIR:?}/tests/e2e/lib.sh"
ORACLE=$SOURCE_DIR/tests/e2e/oracle_sweep/sweepo.py
need_python h5py numpy sklearn.metrics
need_command h5diff
enter_work_dir
export OMP_WAIT_POLICY=PASSIVE
export OMP_NUM_THREADS=1

FLAGS=(--transform log1p --n-init 2 --seed 7)
run 1 gen --out members.h5 --members 30000 --clusters 4 --seed 11
ran "gen 30,000 members, 4 planted groups"

# a + b. metrics against sklearn at np 1, 2, 4; identical files
for np in 1 2 4; do
    run "$np" sweep -q --in members.h5 --out sweep$np.h5 --k 2-6 --silhouette-sample 4000 \
        --labels --summary sweep$np.json "${FLAGS[@]}"
    ran "sweep np $np"
    oracle "np $np: metrics equal to sklearn" metrics members.h5 sweep$np.h5 --transform log1p
done
OMP_NUM_THREADS=2 run 2 sweep -q --in members.h5 --out sweep2t.h5 --k 2-6 \
    --silhouette-sample 4000 --labels "${FLAGS[@]}"
ran "sweep np 2 x 2 threads"
same=1
for candidate in sweep2.h5 sweep4.h5 sweep2t.h5; do
    for object in /labels /sweep/k /sweep/inertia /sweep/kmeans_inertia /sweep/calinski_harabasz \
        /sweep/davies_bouldin /sweep/silhouette_sample /sweep/silhouette_simplified \
        /sweep/iterations /sweep/silhouette_sample_size /sweep/sample_k2 /sweep/sample_k6; do
        h5diff sweep1.h5 "$candidate" "$object" "$object" >h5diff.log 2>&1 ||
            { same=0; fail "$candidate $object differs from np 1" "$(head -n 3 h5diff.log)"; }
    done
done
[ "$same" = 1 ] && pass "np 1, 2, 4 and 2 threads: /sweep and /labels identical"

# c. the same training as train
mkdir -p models
run 2 sweep -q --in members.h5 --out sweep_models.h5 --k 3-5 --models models --labels "${FLAGS[@]}"
ran "sweep --models"
for k in 3 5; do
    run 2 train -q --in members.h5 --out train$k.h5 --model model$k.h5 --k $k "${FLAGS[@]}"
    ran "train --k $k"
    oracle "k $k: sweep labels equal train's" same-labels sweep1.h5 $k train$k.h5
    check "k $k: --models centroids equal train's" \
        h5diff models/model-k$k.h5 model$k.h5 /model/centroids /model/centroids
done

# d. summary
oracle "summary agrees with /sweep" summary sweep1.json sweep1.h5
recommended=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["recommended_k"])' sweep1.json)
if [ "$recommended" = 4 ]; then
    pass "recommended_k is the planted 4"
else
    fail "recommended_k" "got $recommended, planted 4"
fi

# e. sample larger than the base; bad ranges
run 1 gen --out small.h5 --members 500 --clusters 3 --seed 5
run 2 sweep -q --in small.h5 --out small_sweep.h5 --k 2-4 --silhouette-sample 100000 --labels
ran "sweep of 500 members, sample 100,000"
oracle "small base: silhouette over every member equals sklearn" metrics small.h5 small_sweep.h5
run 2 sweep -q --in small.h5 --out noconv.h5 --k 3-4 --max-iter 1 --summary noconv.json
if [ "$rc" = 5 ] && [ -e noconv.h5 ] && [ -e noconv.json ] &&
    [ "$(h5dump -d /sweep/converged -y noconv.h5 | grep -Eo '^ *[0-9, ]+$' | tr -d ' \n')" = "0,0" ]; then
    pass "--max-iter 1: exit 5, sweep and summary written with converged = 0"
else
    fail "--max-iter 1" "exit $rc, $(head -n 1 err.txt)"
fi
for bad in 1-3 5-3 x 2-100; do
    run 2 sweep -q --in small.h5 --out bad.h5 --k "$bad"
    if [ "$rc" = 1 ] && [ ! -e bad.h5 ] && grep -q -- "--k" err.txt; then
        pass "--k $bad: exit 1, no output"
    else
        fail "--k $bad" "exit $rc, $(head -n 1 err.txt)"
    fi
done
finish
