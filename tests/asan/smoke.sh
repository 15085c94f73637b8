#!/usr/bin/env bash
# smoke.sh: the whole pipeline with the ASan + UBSan binary (cvseg_asan) at
# np 2: gen (transactions and members) -> aggregate -> rfm -> train
# (k-means++ with a checkpoint, k-means||, a warm start) -> score --previous -> report
# (text and json), plus a failing run (NaN input) so the error paths run too.
# Each step must exit as expected with no sanitizer report on stderr
# (LeakSanitizer suppressions for Open MPI / HDF5 in lsan.supp).
#
# Environment (set by ctest): CVSEG (cvseg_asan), SOURCE_DIR, WORK_DIR, and
# ASAN_OPTIONS / UBSAN_OPTIONS / LSAN_OPTIONS.
set -euo pipefail
: "${CVSEG:?}" "${SOURCE_DIR:?}" "${WORK_DIR:?}"
rm -rf "$WORK_DIR"
mkdir -p "$WORK_DIR"
cd "$WORK_DIR"
export OMP_NUM_THREADS=2 OMP_WAIT_POLICY=PASSIVE
# shellcheck source=../e2e/lib.sh
source "$SOURCE_DIR/tests/e2e/lib.sh"

# step NAME EXPECTED_CODE ARGS...: cvseg on 2 ranks under a watchdog.
step() {
    local name=$1 want=$2
    shift 2
    rc=0
    timeout -s KILL 300 mpirun -np 2 --oversubscribe --bind-to none -x OMP_NUM_THREADS -x OMP_WAIT_POLICY \
        -x ASAN_OPTIONS -x UBSAN_OPTIONS -x LSAN_OPTIONS "$CVSEG" "$@" >out.txt 2>err.txt || rc=$?
    cat err.txt >>all_err.txt
    if grep -qE 'Sanitizer|runtime error|ERROR: LeakSanitizer' err.txt; then
        fail "$name" "sanitizer report: $(grep -m3 -E 'Sanitizer|runtime error|#[0-9] ' err.txt | tr '\n' ' ')"
    elif [ "$rc" != "$want" ]; then
        fail "$name" "exit $rc, expected $want: $(tail -n 3 err.txt | tr '\n' ' ')"
    else
        pass "$name (exit $rc, no sanitizer report)"
    fi
}

step "gen transactions" 0 gen -q --out tx.h5 --members 1500 --transactions-per-member 4 --seed 3
step "aggregate" 0 aggregate -q --in tx.h5 --out members.h5 --reference-date 2024-12-31
step "gen members (lrfmc)" 0 gen -q --out airline.h5 --members 1500 --layout lrfmc --seed 3
step "rfm" 0 rfm -q --in members.h5 --out rfm.h5 --summary rfm.json
step "rfm lrfmc" 0 rfm -q --in airline.h5 --out rfm_l.h5 --features lrfmc
step "train k-means++ with checkpoint" 0 train -q --in members.h5 --out train.h5 --model model.h5 --k 4 \
    --n-init 2 --checkpoint ck.h5 --checkpoint-interval 0 --transform log1p
step "train k-means-parallel" 0 train -q --in members.h5 --out train2.h5 --model model2.h5 --k 5 \
    --init k-means-parallel --n-init 2
step "train --init-from (warm start)" 0 train -q --in members.h5 --out train3.h5 --model model3.h5 --k 4 --transform log1p \
    --init-from model.h5
step "score --previous" 0 score -q --in members.h5 --model model.h5 --out score.h5 --previous train.h5 \
    --summary score.json
step "report text" 0 report --results score.h5 --model model.h5
step "report json" 0 report --results train.h5 --format json
"$PYTHON" - <<'PY'
import h5py, numpy as np
with h5py.File("members.h5", "a") as f:
    m = f["members/monetary"]
    v = m[:]
    v[7] = np.nan
    m[:] = v
PY
step "bad input (NaN monetary): exit 2" 2 rfm -q --in members.h5 --out bad.h5
step "missing input: exit 3" 3 rfm -q --in nothing.h5 --out bad.h5
finish
