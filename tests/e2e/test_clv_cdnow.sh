#!/usr/bin/env bash
# test_clv_cdnow.sh: `cvseg clv` on the CDNOW sample (calibration to
# 1997-09-30 in weeks, holdout to 1998-06-30): the BG/NBD and Gamma-Gamma
# parameters against the published values, every member's values against an
# independent pandas + scipy oracle (tests/e2e/oracle_clv/clv_oracle.py: x, t_x,
# T, P(alive), expected purchases with scipy's hyp2f1, spend, CLV, lifecycle,
# the holdout chart; 1e-9), identical outputs at np 1/2/4 x 1/2 threads, a
# discounted run, bad options (exit 1) and data without a finite maximum
# (exit 5, no output).
#
# Environment (set by ctest): CVSEG, SOURCE_DIR, SHARED_DIR, WORK_DIR, PYTHON.
set -euo pipefail

# shellcheck source=lib.sh
source "${SOURCE_DIR:?}/tests/e2e/lib.sh"
: "${SHARED_DIR:?}"
SAMPLE=$SHARED_DIR/data/cdnow/CDNOW_sample.txt
ORACLE=$SOURCE_DIR/tests/e2e/oracle_clv/clv_oracle.py
need_file "$SAMPLE"
need_python h5py numpy pandas scipy.special
enter_work_dir
export OMP_WAIT_POLICY=passive

export OMP_NUM_THREADS=1
run 1 import --format cdnow --in "$SAMPLE" --out sample.h5
ran "import the CDNOW sample"
CAL=(--calibration-end 1997-09-30 --holdout-end 1998-06-30 --unit week)
for np in 1 2 4; do
    for threads in 1 2; do
        export OMP_NUM_THREADS=$threads
        run "$np" clv --in sample.h5 "${CAL[@]}" --out "clv_$np$threads.h5" --summary "s_$np$threads.json"
        ran "clv np $np threads $threads"
    done
done
export OMP_NUM_THREADS=1
oracle "oracle, np 2 x 1 thread" "$SAMPLE" clv_21.h5 s_21.json "${CAL[@]:0:4}" --published
for tag in 12 21 22 41 42; do
    same_datasets "np/threads $tag: /clv identical to np 1" clv_11.h5 "clv_$tag.h5" clv
    check "np/threads $tag: summary clv + lifecycle identical" "$PYTHON" -c "
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:])
for doc in (a, b):  # timings differ run to run
    for model in ('bgnbd', 'gamma_gamma'):
        del doc['clv'][model]['seconds'], doc['clv'][model]['cpu_seconds']
sys.exit(0 if a['clv'] == b['clv'] and a['lifecycle'] == b['lifecycle'] else 1)" s_11.json "s_$tag.json"
done

run 2 clv --in sample.h5 --calibration-end 1997-09-30 --horizon 20 --discount 0.01 --margin 0.3 \
    --out discounted.h5 --summary discounted.json
ran "clv discounted, np 2"
oracle "oracle, discounted" "$SAMPLE" discounted.h5 discounted.json --calibration-end 1997-09-30 --horizon 20 \
    --discount 0.01 --margin 0.3

# bad options: exit 1 on every rank, no output
for args in "--calibration-end 1997-13-01" "--calibration-end 1997-09-30 --holdout-end 1997-09-30" \
    "--calibration-end 1997-09-30 --unit year" "--calibration-end 1997-09-30 --discount -1"; do
    # shellcheck disable=SC2086
    run 2 clv --in sample.h5 $args --out bad.h5
    [ "$rc" = 1 ] && [ ! -e bad.h5 ] && pass "exit 1: $args" || fail "exit 1: $args" "rc $rc"
done
# only one-time buyers: the likelihood has no finite maximum -> exit 5, message, no output
"$PYTHON" -c "
import h5py, numpy as np
with h5py.File('once.h5', 'w') as f:
    g = f.create_group('transactions')
    g['member_id'] = np.arange(300, dtype=np.int64)
    g['date'] = (10000 + np.arange(300) % 90).astype(np.int32)
    g['amount'] = np.full(300, 10.0)"
run 2 clv --in once.h5 --calibration-end 1997-09-30 --out once_clv.h5
if [ "$rc" = 5 ] && [ ! -e once_clv.h5 ] && grep -q "did not converge" err.txt; then
    pass "no finite maximum: exit 5 with a message, no output"
else
    fail "no finite maximum" "rc $rc: $(tail -n 2 err.txt | tr '\n' ' ')"
fi
finish
