#!/usr/bin/env bash
# test_score.sh: `cvseg score` applies a frozen model. Train on a generated table
# (50,000 members, 4 planted groups), score the same file (equal to train's
# results), then a day-2 snapshot built with h5py (rows shuffled, 10 % dropped,
# 5 % new members, some spend scaled) checked against an independent numpy
# application of the model (tests/e2e/oracle/score_oracle.py: scaler, nearest
# centroid, frozen quintile edges, thresholds and cuts), a snapshot with all spend
# tripled (the frozen edges, not recomputed ones), a model of another feature set
# and a corrupted model (exit 2, no output), and `cvseg report` as JSON/markdown.
#
# Environment (set by ctest): CVSEG, SOURCE_DIR, SHARED_DIR, WORK_DIR, PYTHON.
set -euo pipefail

# shellcheck source=lib.sh
source "${SOURCE_DIR:?}/tests/e2e/lib.sh"
ORACLE=$SOURCE_DIR/tests/e2e/oracle/score_oracle.py
need_python h5py numpy
enter_work_dir
export OMP_NUM_THREADS=2
RUN_TIMEOUT=300

expect_ok() { # expect_ok NAME FILE...: rc 0 and every FILE written
    local name=$1 file
    shift
    for file in "$@"; do
        if [ ! -s "$file" ]; then
            fail "$name" "rc $rc, $file not written: $(tail -n 3 err.txt | tr '\n' ' ')"
            return
        fi
    done
    [ "$rc" = 0 ] && pass "$name" || fail "$name" "rc $rc: $(tail -n 3 err.txt | tr '\n' ' ')"
}

EXACT=member_id,status,recency,frequency,monetary,cluster,cluster_label,cluster_distance,segment,r_score,f_score,m_score,rfm_cell,abc_class,value_matrix

# ------------------------------------------------------------ day 1: train, score the same file
run 1 gen --out day1.h5 --members 50000 --clusters 4 --seed 3
expect_ok "gen 50,000 members, 4 clusters" day1.h5
run 2 train --in day1.h5 --out train.h5 --model model.h5 --k 4 --seed 5 --summary train.json
expect_ok "train --k 4 --seed 5 at np 2" train.h5 model.h5
run 2 score --in day1.h5 --model model.h5 --out score1.h5 --summary score1.json
expect_ok "score the training file at np 2" score1.h5
oracle "oracle same" same --a train.h5 --b score1.h5 --datasets "$EXACT" --label "score of the training file = train"
oracle "oracle check" check --members day1.h5 --model model.h5 --results train.h5 --label "train results = frozen model"

# ------------------------------------------------------------ day 2 snapshot
oracle "oracle snapshot" snapshot --in day1.h5 --out day2.h5 --seed 11
run 3 score --in day2.h5 --model model.h5 --out score2.h5
expect_ok "score the day-2 snapshot at np 3" score2.h5
oracle "oracle check" check --members day2.h5 --model model.h5 --results score2.h5 --label "day 2 (np 3)"
run 1 score --in day2.h5 --model model.h5 --out score2_np1.h5
expect_ok "score the day-2 snapshot at np 1" score2_np1.h5
oracle "oracle same" same --a score2.h5 --b score2_np1.h5 --datasets "$EXACT" --label "day 2: np 1 = np 3"
check "day 2: results in the snapshot's (shuffled) row order" "$PYTHON" -c "
import h5py, numpy as np
a = h5py.File('score2.h5', 'r')['results']['member_id'][:]
b = h5py.File('day2.h5', 'r')['members']['member_id'][:]
assert np.array_equal(a, b)
"

# All spend tripled: the frozen edges put most members into m_score 5, unlike edges
# recomputed on the snapshot (which would give each score a fifth).
oracle "oracle snapshot" snapshot --in day1.h5 --out day2x3.h5 --seed 12 --monetary-factor 3
run 2 score --in day2x3.h5 --model model.h5 --out score3.h5
expect_ok "score the tripled-spend snapshot" score3.h5
oracle "oracle check" check --members day2x3.h5 --model model.h5 --results score3.h5 --label "spend x3" --expect-m5-share 0.35

# ------------------------------------------------------------ wrong or corrupted models
run 1 gen --out airline.h5 --members 5000 --layout lrfmc --clusters 5 --seed 2
expect_ok "gen an lrfmc table" airline.h5
run 2 train --in airline.h5 --features lrfmc --k 5 --out airline_results.h5 --model lrfmc_model.h5
expect_ok "train --features lrfmc" airline_results.h5 lrfmc_model.h5
run 2 score --in day1.h5 --model lrfmc_model.h5 --out bad.h5
expect_failure "lrfmc model on an rfm table" 2 bad.h5 "day1.h5" "missing dataset" "/members/"
cp model.h5 no_centroids.h5
"$PYTHON" -c "
import h5py
with h5py.File('no_centroids.h5', 'a') as f:
    del f['model/centroids']
"
run 2 score --in day1.h5 --model no_centroids.h5 --out bad.h5
expect_failure "model without /model/centroids" 2 bad.h5 "no_centroids.h5" "/model/centroids"
cp score1.h5 keep.h5
cp keep.h5 keep_before.h5
run 2 score --in day1.h5 --model no_centroids.h5 --out keep.h5
if [ "$rc" = 2 ] && cmp -s keep.h5 keep_before.h5; then
    pass "failed score leaves an earlier output byte-identical"
else
    fail "failed score leaves an earlier output byte-identical" "rc $rc"
fi

# ------------------------------------------------------------ report
for results in train.h5 score2.h5; do
    rc=0
    timeout 60 "$CVSEG" report --results "$results" --format json >report.json 2>err.txt || rc=$?
    if [ "$rc" = 0 ] && "$PYTHON" -c "
import json
d = json.load(open('report.json'))
assert isinstance(d, dict) and d
assert d.get('members') == len(__import__('h5py').File('$results', 'r')['results']['member_id']), d.get('members')
" 2>check.log; then
        pass "report --format json of $results parses as JSON (members = rows)"
    else
        fail "report --format json of $results" "rc $rc: $(tail -n 3 check.log err.txt | tr '\n' ' ')"
    fi
    rc=0
    timeout 60 "$CVSEG" report --results "$results" --model model.h5 --format markdown >report.md 2>err.txt || rc=$?
    if [ "$rc" = 0 ] && grep -Eq '^\|.*\|.*\|$' report.md && grep -Eq '^\|[ :|-]*---[ :|-]*\|$' report.md; then
        pass "report --format markdown of $results prints a table"
    else
        fail "report --format markdown of $results" "rc $rc: $(head -n 5 report.md | tr '\n' ' ')"
    fi
done

finish
