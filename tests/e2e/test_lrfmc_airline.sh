#!/usr/bin/env bash
# test_lrfmc_airline.sh: the airline (LRFMC) case of issue 12 on a synthetic
# airline-like member table (tests/e2e/oracle_lrfmc/airline.py make: five
# overlapping, skewed groups, the classic export's column names, 2 % of the
# members joined after their last flight), checked against pandas and
# scikit-learn (airline.py check):
#   - no monetary and no fare columns: import and train exit 0, the summary
#     and the report say that the fare rules were not applied;
#   - members who joined after their last flight are kept (status ok) and
#     counted in data_quality.joined_after_last_flight;
#   - default train reaches scikit-learn's KMeans(n_init=10) solution on the
#     same z-scored features (ARI >= 0.99), also through restarts on a sample;
#   - k = 5: five different names, high F/M important_keep, high C
#     important_develop;
#   - with fare columns the rules are applied;
#   - the restarts-on-a-sample path is bit-identical at np 1 and np 3 x 2 threads.
#
# Environment (set by ctest): CVSEG, SOURCE_DIR, WORK_DIR, PYTHON.
set -euo pipefail

# shellcheck source=lib.sh
source "${SOURCE_DIR:?}/tests/e2e/lib.sh"
ORACLE=$SOURCE_DIR/tests/e2e/oracle_lrfmc/airline.py
need_python h5py numpy pandas sklearn.cluster sklearn.metrics
enter_work_dir
export OMP_WAIT_POLICY=PASSIVE
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}

MAPS=(--map member_id=MEMBER_NO --map join_date=FFP_DATE --map flight_count=FLIGHT_COUNT
    --map seg_km_sum=SEG_KM_SUM --map reference_date=LOAD_TIME --map recency_days=LAST_TO_END)

# ------------------------------------------------------------ no money, no fares
"$PYTHON" "$ORACLE" make --out nofare.csv --members 20000 --seed 1 --no-fares
run 2 import --format csv --in nofare.csv --out nofare.h5 "${MAPS[@]}"
ran "import: airline table without monetary and fare columns"
run 2 train --in nofare.h5 --out nofare_results.h5 --model nofare_model.h5 --features lrfmc \
    --k 5 --summary nofare.json
ran "train --features lrfmc --k 5 with default settings"
oracle "default train = sklearn n_init=10, names, late joiners, fare rules not applied" check \
    --csv nofare.csv --results nofare_results.h5 --summary nofare.json \
    --expect-fare-rules "not applied: no fare columns"
run 1 report --results nofare_results.h5
if grep -q 'fare cleaning rules: not applied' out.txt; then
    pass "report says the fare rules were not applied"
else
    fail "report says the fare rules were not applied" "$(head -n 5 out.txt | tr '\n' ' ')"
fi

# restarts on a sample (5,000 of 20,000), then Lloyd on all from the best
run 2 train --in nofare.h5 --out sample_results.h5 --model sample_model.h5 --features lrfmc \
    --k 5 --restart-sample 5000 --summary sample.json
ran "train --restart-sample 5000"
oracle "restarts on a sample = sklearn n_init=10 (ARI >= 0.99)" check --csv nofare.csv \
    --results sample_results.h5 --summary sample.json
OMP_NUM_THREADS=1 run 1 train --in nofare.h5 --out sample_np1.h5 --model sample_np1_model.h5 \
    --features lrfmc --k 5 --restart-sample 5000 -q
ran "train --restart-sample 5000 at np 1 x 1 thread"
OMP_NUM_THREADS=2 run 3 train --in nofare.h5 --out sample_np3.h5 --model sample_np3_model.h5 \
    --features lrfmc --k 5 --restart-sample 5000 -q
ran "train --restart-sample 5000 at np 3 x 2 threads"
for d in cluster cluster_label cluster_distance; do
    check "restarts on a sample: /results/$d identical at np 1 and 3" \
        h5diff sample_np1.h5 sample_np3.h5 "/results/$d"
    check "restarts on a sample: /results/$d identical at np 1 and 2" \
        h5diff sample_np1.h5 sample_results.h5 "/results/$d"
done
check "restarts on a sample: centroids identical at np 1 and 3" \
    h5diff sample_np1_model.h5 sample_np3_model.h5 /model/centroids

# ------------------------------------------------------------ with fare columns
"$PYTHON" "$ORACLE" make --out fare.csv --members 8000 --seed 2
run 2 import --format csv --in fare.csv --out fare.h5 "${MAPS[@]}" --map fare_yr1=SUM_YR_1 \
    --map fare_yr2=SUM_YR_2
ran "import: airline table with fare columns"
run 2 train --in fare.h5 --out fare_results.h5 --model fare_model.h5 --features lrfmc --k 5 \
    --summary fare.json
ran "train with fare columns"
oracle "with fares: rules applied, late joiners kept, sklearn n_init=10" check --csv fare.csv \
    --results fare_results.h5 --summary fare.json --expect-fare-rules applied

finish
