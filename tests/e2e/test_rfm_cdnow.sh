#!/usr/bin/env bash
# test_rfm_cdnow.sh: `cvseg rfm` on the real CDNOW master file (import, aggregate
# at 1998-07-01, rfm) at 1, 2 and 4 ranks x 1 and 2 threads, against an
# independent pandas oracle computed from the raw text (tests/e2e/oracle/
# rfm_oracle.py: R, F, M, quintile edges, scores, cells, segments, ABC, value
# matrix), all six result files identical dataset by dataset, the summary JSON
# keys and segment counts; then CDNOW_sample.txt through the same pipeline.
#
# Environment (set by ctest): CVSEG, SOURCE_DIR, SHARED_DIR, WORK_DIR, PYTHON.
set -euo pipefail

: "${CVSEG:?CVSEG must name the cvseg binary}"
: "${SOURCE_DIR:?}" "${SHARED_DIR:?}" "${WORK_DIR:?}"
PYTHON=${PYTHON:-/usr/bin/python3}
CDNOW=$SHARED_DIR/data/cdnow
ORACLE=$SOURCE_DIR/tests/e2e/oracle/rfm_oracle.py
REFERENCE=1998-07-01
if [ ! -r "$CDNOW/CDNOW_master.txt" ] || [ ! -r "$CDNOW/CDNOW_sample.txt" ]; then
    echo "skipped: $CDNOW/CDNOW_master.txt or CDNOW_sample.txt not found"
    exit 77
fi
if ! "$PYTHON" -c 'import h5py, numpy, pandas' 2>/dev/null; then
    echo "skipped: $PYTHON lacks h5py/numpy/pandas"
    exit 77
fi
rm -rf "$WORK_DIR"
mkdir -p "$WORK_DIR"
cd "$WORK_DIR"

# shellcheck source=lib.sh
source "$SOURCE_DIR/tests/e2e/lib.sh"
# check NAME COMMAND...: passes when the command succeeds.
check() {
    local name=$1
    shift
    if "$@" >check.log 2>&1; then
        pass "$name"
    else
        fail "$name" "$(tail -n 5 check.log | tr '\n' ' ')"
    fi
}
# run NP THREADS ARGS...: runs cvseg under mpirun; sets rc, stderr in err.txt.
run() {
    local np=$1 threads=$2
    shift 2
    rc=0
    OMP_NUM_THREADS=$threads timeout 300 mpirun -np "$np" --oversubscribe -x OMP_NUM_THREADS \
        --bind-to none "$CVSEG" "$@" >out.txt 2>err.txt || rc=$?
}
# oracle ARGS...: runs the oracle; counts its "ok"/"FAIL" lines as checks.
oracle() {
    local line orc=0
    "$PYTHON" "$ORACLE" "$@" >oracle.log 2>&1 || orc=$?
    while IFS= read -r line; do
        case "$line" in
        "ok   "*) pass "${line#ok   }" ;;
        "FAIL "*) fail "${line#FAIL }" ;;
        "note "*) echo "$line" ;;
        esac
    done <oracle.log
    if [ "$orc" != 0 ] && ! grep -q '^FAIL ' oracle.log; then
        fail "oracle $*" "exit $orc: $(tail -n 5 oracle.log | tr '\n' ' ')"
    fi
}

# ------------------------------------------------------------ CDNOW master
run 1 1 import --format cdnow --in "$CDNOW/CDNOW_master.txt" --out transactions.h5
[ "$rc" = 0 ] && pass "import CDNOW_master.txt" || fail "import CDNOW_master.txt" "rc $rc: $(cat err.txt)"
run 2 1 aggregate --in transactions.h5 --out members.h5 --reference-date "$REFERENCE"
[ "$rc" = 0 ] && pass "aggregate at $REFERENCE" || fail "aggregate at $REFERENCE" "rc $rc: $(cat err.txt)"

configs=()
for np in 1 2 4; do
    for threads in 1 2; do
        tag=np${np}_t${threads}
        configs+=("$tag")
        run "$np" "$threads" rfm --in members.h5 --out "rfm_$tag.h5" --summary "summary_$tag.json"
        if [ "$rc" = 0 ] && [ -s "rfm_$tag.h5" ] && [ -s "summary_$tag.json" ]; then
            pass "rfm at np $np, $threads threads"
        else
            fail "rfm at np $np, $threads threads" "rc $rc: $(tail -n 3 err.txt | tr '\n' ' ')"
        fi
    done
done

# The oracle against every configuration (results and summary: keys, ranks, threads,
# phases, segment counts, quintile edges).
for tag in "${configs[@]}"; do
    np=${tag#np}
    np=${np%%_*}
    threads=${tag##*_t}
    oracle --text "$CDNOW/CDNOW_master.txt" --layout master --reference-date "$REFERENCE" \
        --results "rfm_$tag.h5" --summary "summary_$tag.json" --ranks "$np" --threads "$threads" \
        --label "master $tag"
done

# All six result files identical, dataset by dataset (provenance attributes differ).
datasets=$("$PYTHON" -c "
import h5py
g = h5py.File('rfm_np1_t1.h5', 'r')['results']
print(' '.join(sorted(k for k in g if isinstance(g[k], h5py.Dataset))))
")
echo "datasets in /results: $datasets"
for tag in "${configs[@]}"; do
    [ "$tag" = np1_t1 ] && continue
    check "$tag has the same /results datasets as np1_t1" "$PYTHON" -c "
import h5py
a = h5py.File('rfm_np1_t1.h5', 'r')['results']
b = h5py.File('rfm_$tag.h5', 'r')['results']
ka = sorted(k for k in a if isinstance(a[k], h5py.Dataset))
kb = sorted(k for k in b if isinstance(b[k], h5py.Dataset))
assert ka == kb, (ka, kb)
"
    bad=""
    for dataset in $datasets; do
        if ! h5diff rfm_np1_t1.h5 "rfm_$tag.h5" "/results/$dataset" "/results/$dataset" >h5diff.log 2>&1; then
            bad+="$dataset ($(head -c 200 h5diff.log | tr '\n' ' ')) "
        fi
    done
    [ -z "$bad" ] && pass "$tag identical to np1_t1 in every /results dataset" ||
        fail "$tag identical to np1_t1 in every /results dataset" "$bad"
done

# ------------------------------------------------------------ CDNOW sample
run 2 1 import --format cdnow --in "$CDNOW/CDNOW_sample.txt" --out sample_tx.h5
[ "$rc" = 0 ] && pass "import CDNOW_sample.txt at np 2" || fail "import CDNOW_sample.txt" "rc $rc: $(cat err.txt)"
run 2 1 aggregate --in sample_tx.h5 --out sample_members.h5 --reference-date "$REFERENCE"
[ "$rc" = 0 ] && pass "aggregate sample at np 2" || fail "aggregate sample" "rc $rc: $(cat err.txt)"
run 2 2 rfm --in sample_members.h5 --out sample_rfm.h5 --summary sample_summary.json
[ "$rc" = 0 ] && pass "rfm sample at np 2" || fail "rfm sample" "rc $rc: $(cat err.txt)"
oracle --text "$CDNOW/CDNOW_sample.txt" --layout sample --reference-date "$REFERENCE" \
    --results sample_rfm.h5 --summary sample_summary.json --ranks 2 --threads 2 --label "sample np2 t2"

finish
