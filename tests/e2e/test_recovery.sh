#!/usr/bin/env bash
# test_recovery.sh: `cvseg train` recovers the groups that `cvseg gen` plants.
# For K = 4 and 5: gen --members 100000 --clusters K --seed 11, then
# train --k K --transform log1p --n-init 3; the adjusted Rand index
# (sklearn.metrics.adjusted_rand_score) of /results/cluster against
# /truth/group must be >= 0.95. The ARI without --transform is reported for
# information only (skewed raw features are not expected to recover the groups).
#
# Environment (set by ctest): CVSEG, SOURCE_DIR, SHARED_DIR, WORK_DIR, PYTHON.
set -euo pipefail

# shellcheck source=lib.sh
source "${SOURCE_DIR:?}/tests/e2e/lib.sh"
ORACLE=$SOURCE_DIR/tests/e2e/oracle_km/kmo.py
need_python h5py numpy sklearn.metrics
enter_work_dir
export OMP_WAIT_POLICY=PASSIVE
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}

for k in 4 5; do
    run 2 gen -q --out gen$k.h5 --members 100000 --clusters $k --seed 11
    ran "gen --members 100000 --clusters $k --seed 11"
    run 2 train -q --in gen$k.h5 --out log$k.h5 --model log${k}_model.h5 --k $k \
        --transform log1p --n-init 3
    ran "train --k $k --transform log1p --n-init 3"
    checks "K = $k, log1p: planted groups recovered (ARI >= 0.95)" \
        "$PYTHON" "$ORACLE" ari log$k.h5 gen$k.h5 --min 0.95
    run 2 train -q --in gen$k.h5 --out raw$k.h5 --model raw${k}_model.h5 --k $k --n-init 3
    ran "train --k $k --n-init 3 (no transform)"
    if "$PYTHON" "$ORACLE" ari raw$k.h5 gen$k.h5 --info >ari.log 2>&1; then
        echo "info K = $k, no transform: $(tail -n 1 ari.log) (not asserted)"
    else
        fail "K = $k, no transform: ARI computed" "$(tail -n 3 ari.log | tr '\n' ' ')"
    fi
done

finish
