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

# shellcheck source=lib.sh
source "${SOURCE_DIR:?}/tests/e2e/lib.sh"
: "${SHARED_DIR:?}"
CDNOW=$SHARED_DIR/data/cdnow
ORACLE=$SOURCE_DIR/tests/e2e/oracle/rfm_oracle.py
REFERENCE=1998-07-01
need_file "$CDNOW/CDNOW_master.txt" "$CDNOW/CDNOW_sample.txt"
need_python h5py numpy pandas
enter_work_dir
RUN_TIMEOUT=300

# ------------------------------------------------------------ CDNOW master
OMP_NUM_THREADS=1 cdnow_members "$CDNOW/CDNOW_master.txt" transactions.h5 members.h5 "$REFERENCE"

configs=()
for np in 1 2 4; do
    for threads in 1 2; do
        tag=np${np}_t${threads}
        configs+=("$tag")
        run_threads "$np" "$threads" rfm --in members.h5 --out "rfm_$tag.h5" --summary "summary_$tag.json"
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
    oracle "oracle master $tag" --text "$CDNOW/CDNOW_master.txt" --layout master --reference-date "$REFERENCE" \
        --results "rfm_$tag.h5" --summary "summary_$tag.json" --ranks "$np" --threads "$threads" \
        --label "master $tag"
done

# All six result files identical, dataset by dataset (provenance attributes differ).
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
    same_datasets "$tag identical to np1_t1 in every /results dataset" rfm_np1_t1.h5 "rfm_$tag.h5" results
done

# ------------------------------------------------------------ CDNOW sample
run_threads 2 1 import --format cdnow --in "$CDNOW/CDNOW_sample.txt" --out sample_tx.h5
ran "import CDNOW_sample.txt at np 2"
run_threads 2 1 aggregate --in sample_tx.h5 --out sample_members.h5 --reference-date "$REFERENCE"
ran "aggregate sample at np 2"
run_threads 2 2 rfm --in sample_members.h5 --out sample_rfm.h5 --summary sample_summary.json
ran "rfm sample at np 2"
oracle "oracle sample" --text "$CDNOW/CDNOW_sample.txt" --layout sample --reference-date "$REFERENCE" \
    --results sample_rfm.h5 --summary sample_summary.json --ranks 2 --threads 2 --label "sample np2 t2"

finish
