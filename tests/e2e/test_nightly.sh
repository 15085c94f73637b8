#!/usr/bin/env bash
# test_nightly.sh: the nightly rescoring job end to end.
# Day 1 = gen --members 60000 --clusters 4 --seed 21, trained (--k 4 --seed 3).
# Day 2 is built with h5py from day 1 (oracle_nightly/nightly.py day2): rows
# shuffled, 8 % of the members gone, 4 % new ids, 10 % with frequency + 5 and
# monetary x 3, another 10 % with last_purchase 60 days earlier. Then
# `score --previous` at np 1, 2, 3 (identical /results and /migration datasets)
# is checked against an independent pandas outer join: the segment, cluster
# and ABC transition matrices (members exactly, monetary to 1e-9 relative),
# row/column sums, new/gone counts, previous_segment/previous_cluster.
# Drift: day 1 against its own model gives PSI 0 (exit 0 with
# --drift-threshold 0.1); monetary x 3 for 60 % of the members (40 % gives only
# PSI 0.19) gives PSI(monetary) > 0.25,
# equal to a numpy PSI from /model/score_bins, and exit 6 with the results
# written. Warm start: train --init-from the day-1 model on day 2 converges in
# few iterations; an LRFMC model is refused with exit 1.
#
# Environment (set by ctest): CVSEG, SOURCE_DIR, SHARED_DIR, WORK_DIR, PYTHON.
set -euo pipefail

# shellcheck source=lib.sh
source "${SOURCE_DIR:?}/tests/e2e/lib.sh"
ORACLE=$SOURCE_DIR/tests/e2e/oracle_nightly/nightly.py
need_python h5py numpy pandas
need_command h5diff
enter_work_dir
export OMP_WAIT_POLICY=PASSIVE
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
export HDF5_USE_FILE_LOCKING=FALSE

# ------------------------------------------------------------ day 1
run 2 gen -q --out day1.h5 --members 60000 --clusters 4 --seed 21
expect_rc "gen day 1 (60000 members, 4 clusters, seed 21)" 0
run 2 train -q --in day1.h5 --k 4 --seed 3 --model M.h5 --out R1.h5
expect_rc "train day 1 (--k 4 --seed 3)" 0

# ------------------------------------------------------------ day 2 + migration
check "build day 2 with h5py (shuffle, -8 %, +4 % new, behaviour changes)" \
    "$PYTHON" "$ORACLE" day2 day1.h5 day2.h5 plan.json --seed 2
for np in 1 2 3; do
    run $np score -q --in day2.h5 --model M.h5 --out R2_np$np.h5 --previous R1.h5 \
        --summary S2_np$np.json
    expect_rc "score day 2 --previous R1 at np $np" 0
done
same_datasets "score --previous: np 2 datasets identical to np 1" R2_np1.h5 R2_np2.h5 results migration
same_datasets "score --previous: np 3 datasets identical to np 1" R2_np1.h5 R2_np3.h5 results migration
if cmp -s <(h5dump -a /migration/new_members -a /migration/gone_members R2_np1.h5 | tail -n +2) \
    <(h5dump -a /migration/new_members -a /migration/gone_members R2_np3.h5 | tail -n +2); then
    pass "new/gone attributes identical at np 1 and np 3"
else
    fail "new/gone attributes identical at np 1 and np 3"
fi
oracle "migration against the pandas join (np 1)" migration R1.h5 R2_np1.h5 plan.json --k 4
oracle "migration against the pandas join (np 3)" migration R1.h5 R2_np3.h5 plan.json --k 4
check "summary migration.new_members/gone_members = planted numbers" "$PYTHON" -c "
import json
s = json.load(open('S2_np3.json'))['migration']; p = json.load(open('plan.json'))
assert (s['new_members'], s['gone_members']) == (p['new'], p['gone']), s
"

# Last night without clusters (results of `cvseg rfm`): everyone "unclustered".
run 2 rfm -q --in day1.h5 --out Rrfm.h5
expect_rc "rfm day 1 (results without clusters)" 0
run 3 score -q --in day2.h5 --model M.h5 --out R2_rfm.h5 --previous Rrfm.h5
expect_rc "score day 2 --previous (rfm results) at np 3" 0
oracle "migration from unclustered results" migration Rrfm.h5 R2_rfm.h5 plan.json --k 4
# Tonight with invalid members kept by --invalid drop: they land in 'none'.
check "day 2 with 3 NaN monetary and 2 negative frequency rows" \
    "$PYTHON" "$ORACLE" invalidate day2.h5 day2_bad.h5 --nan-rows 5 6 7 --negative-rows 10 11
run 2 score -q --in day2_bad.h5 --model M.h5 --out R2_bad.h5 --previous R1.h5 --invalid drop
expect_rc "score day 2 (5 invalid members, --invalid drop) --previous at np 2" 0
oracle "migration with invalid members tonight" migration R1.h5 R2_bad.h5 plan.json --k 4 --invalid 5

# ------------------------------------------------------------ drift
run 2 score -q --in day1.h5 --model M.h5 --out D1.h5 --summary SD1.json --drift-threshold 0.1
expect_rc "score day 1 against its own model, --drift-threshold 0.1: exit 0" 0
oracle "day 1 against its own model: PSI 0" psi_zero SD1.json

check "build the shifted day (monetary x 3 for 60 %)" \
    "$PYTHON" "$ORACLE" shift day1.h5 shift.h5 --fraction 0.6 --factor 3
rm -f DS.h5 SDS.json
run 3 score -q --in shift.h5 --model M.h5 --out DS.h5 --summary SDS.json --drift-threshold 0.25
expect_rc "shifted day, --drift-threshold 0.25: exit 6" 6
if grep -qF "drift above threshold" err.txt; then
    pass "exit 6 comes with the 'drift above threshold' message"
else
    fail "exit 6 comes with the 'drift above threshold' message" "$(tail -n 2 err.txt | tr '\n' ' ')"
fi
check "exit 6: results file written (60000 rows, m_score present)" "$PYTHON" -c "
import h5py
g = h5py.File('DS.h5', 'r')['results']
assert g['member_id'].shape == (60000,) and g['m_score'].shape == (60000,)
"
if [ -f SDS.json ]; then
    oracle "PSI(monetary) against numpy" psi M.h5 DS.h5 SDS.json --feature monetary --min 0.25 --zero-others
else
    fail "exit 6: summary written"
fi
rm -f DS1.h5
run 1 score -q --in shift.h5 --model M.h5 --out DS1.h5 --drift-threshold 0.25
expect_rc "shifted day at np 1: exit 6" 6
same_datasets "shifted day: np 1 datasets identical to np 3" DS.h5 DS1.h5 results

# ------------------------------------------------------------ warm start
run 2 train -q --in day2.h5 --init-from M.h5 --seed 3 --model M2.h5 --out W2.h5
expect_rc "train --init-from M on day 2: exit 0" 0
iters=$("$PYTHON" -c "import h5py; print(int(h5py.File('M2.h5','r')['model'].attrs['iterations']))" 2>/dev/null || echo none)
k2=$("$PYTHON" -c "import h5py; print(int(h5py.File('M2.h5','r')['model'].attrs['k']))" 2>/dev/null || echo none)
if [ "$iters" != none ] && [ "$iters" -le 10 ]; then
    pass "warm start converges in few iterations (/model@iterations = $iters <= 10)"
else
    fail "warm start converges in few iterations (<= 10)" "iterations $iters"
fi
if [ "$k2" = 4 ]; then
    pass "warm start takes k = 4 from the model"
else
    fail "warm start takes k = 4 from the model" "k $k2"
fi
run 2 gen -q --out air.h5 --members 5000 --layout lrfmc --seed 5
expect_rc "gen --layout lrfmc" 0
run 2 train -q --in air.h5 --features lrfmc --k 5 --model AM.h5 --out AR.h5
expect_rc "train --features lrfmc" 0
rm -f W3.h5 M3.h5
run 2 train -q --in day2.h5 --init-from AM.h5 --model M3.h5 --out W3.h5
expect_rc "train --init-from an LRFMC model on RFM data: exit 1" 1
if grep -qF "init-from" err.txt && [ ! -e W3.h5 ] && [ ! -e M3.h5 ]; then
    pass "refused --init-from names the option and writes no output"
else
    fail "refused --init-from names the option and writes no output" "$(tail -n 2 err.txt | tr '\n' ' ')"
fi

finish
