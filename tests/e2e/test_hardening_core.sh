#!/usr/bin/env bash
# test_hardening_core.sh: the production-hardening cases of the kernels, numerics and
# command line (issue 11), at 1 and 3 ranks. Refused cases: the exit code on EVERY
# rank, exactly one "cvseg: error:" line naming the problem, no output file (nor a
# temporary beside it). Accepted edge cases: exit 0 and results checked with h5py.
#   - --features '' / ',' / 'monetary,' / duplicates / unknown columns (train, rfm)
#   - --k up to the CLI maximum (256) with k-means++ and k-means-parallel
#   - fewer distinct members than k (all identical; three distinct values)
#   - monetary beyond 1e150 refused; up to 1e150 finite moments, scaler and distances
#   - dates outside 0001..9999 (members, transactions), reference_date 2147483647 or
#     with two values; transaction amounts beyond 1e150
#   - a CSV whose header repeats a used column name
#   - --abc with --abc-cuts, report --model of other features, --init-from messages
#   - score --previous: one new invalid member with monetary 1e30 (migration sums)
# Environment (set by ctest): CVSEG, SOURCE_DIR, WORK_DIR, PYTHON.
set -euo pipefail

# shellcheck source=lib.sh
source "${SOURCE_DIR:?}/tests/e2e/lib.sh"
need_python h5py numpy
enter_work_dir out
ranks_setup
export OMP_NUM_THREADS=1
run() { run_ranks "$@"; } # every rank's exit code (lib.sh)


# ------------------------------------------------------------------ inputs
run 1 gen --out members.h5 --members 3000 --seed 7
[ "$rc" = 0 ] || fail "gen" "$(cat err.txt)"
"$PYTHON" - <<'EOF'
import h5py, numpy as np
src = h5py.File("members.h5", "r")["members"]
ref = int(src.attrs["reference_date"])
def write(path, columns, reference=ref, attr_values=None):
    with h5py.File(path, "w") as f:
        g = f.create_group("members")
        for name, values in columns.items():
            g.create_dataset(name, data=values)
        if attr_values is not None:
            g.attrs.create("reference_date", attr_values)
        elif reference is not None:
            g.attrs.create("reference_date", np.int32(reference))
base = {name: src[name][...] for name in ("member_id", "last_purchase", "frequency", "monetary")}
n = 200
def small(**changes):
    cols = {name: values[:n].copy() for name, values in base.items()}
    cols.update(changes)
    return cols
# every member identical; three distinct members
write("identical.h5", small(last_purchase=np.full(n, ref - 10, np.int32),
                            frequency=np.full(n, 3, np.int32), monetary=np.full(n, 50.0)))
three = np.arange(n) % 3
write("three.h5", small(last_purchase=(ref - 10 * (three + 1)).astype(np.int32),
                        frequency=(three + 1).astype(np.int32), monetary=50.0 * (three + 1)))
# one monetary beyond the documented range; one at its edge
m = base["monetary"][:n].copy(); m[17] = 1e200
write("huge.h5", small(monetary=m))
m = base["monetary"][:n].copy(); m[17] = 1e150
write("edge.h5", small(monetary=m))
# dates at the int32 extremes; reference dates out of range or with two values
d = base["last_purchase"][:n].copy(); d[5] = np.iinfo(np.int32).min
write("old_date.h5", small(last_purchase=d))
write("ref_max.h5", small(), reference=np.iinfo(np.int32).max)
write("ref_two.h5", small(), attr_values=np.array([ref, ref], np.int32))
# tonight: the first 200 members, plus a new invalid member with monetary 1e30
cols = small()
for name, extra in (("member_id", 10**9), ("last_purchase", ref - 5), ("frequency", -1),
                    ("monetary", 1e30)):
    cols[name] = np.append(cols[name], np.array([extra], cols[name].dtype))
write("tonight.h5", cols)
write("last_night.h5", small())
# transactions: row 7 dated at INT32_MIN; row 9 with an amount of 1e300
for name, row, column, value in (("tx_old_date.h5", 7, "date", np.iinfo(np.int32).min),
                                  ("tx_huge_amount.h5", 9, "amount", 1e300)):
    with h5py.File(name, "w") as f:
        g = f.create_group("transactions")
        cols = {"member_id": np.arange(12, dtype=np.int64) % 5,
                "date": np.full(12, ref - 3, np.int32), "amount": np.full(12, 2.5)}
        cols[column][row] = value
        for key, values in cols.items():
            g.create_dataset(key, data=values)
EOF
printf 'member_id,last_purchase,frequency,monetary,monetary\n1,2024-01-02,3,10.5,99\n2,2024-02-03,1,5.0,7\n' >repeated.csv

# ------------------------------------------------------------------ command line
refused "train --features ''" 1 "option --features" train --in members.h5 --out out/r.h5 --model out/m.h5 --features ''
refused "rfm --features ''" 1 "option --features" rfm --in members.h5 --out out/r.h5 --features ''
refused "train --features ," 1 "option --features" train --in members.h5 --out out/r.h5 --model out/m.h5 --features ,
refused "train --features monetary," 1 "option --features" train --in members.h5 --out out/r.h5 --model out/m.h5 --features monetary,
refused "train --features monetary,monetary" 1 "column 'monetary' given twice" train --in members.h5 --out out/r.h5 --model out/m.h5 --features monetary,monetary
refused "train --features unknown column" 2 "'/members/nosuch'" train --in members.h5 --out out/r.h5 --model out/m.h5 --features frequency,nosuch
refused "rfm --abc with --abc-cuts" 1 "--abc and --abc-cuts" rfm --in members.h5 --out out/r.h5 --abc pyramid --abc-cuts 0.1,0.2

# ------------------------------------------------------------------ K-Means
for init in k-means++ k-means-parallel; do
    for np in 1 3; do
        run "$np" train --in members.h5 --out k256.h5 --model k256_model.h5 --k 256 --n-init 1 \
            --max-iter 5 --init "$init"
        if [ "$rc" != 0 ] && [ "$rc" != 5 ]; then
            fail "train --k 256 --init $init (np $np)" "exit $rc: $(tail -n 2 err.txt)"
            continue
        fi
        check "train --k 256 --init $init (np $np): 256 non-empty clusters" "$PYTHON" - <<'EOF'
import h5py, numpy as np, sys
sizes = h5py.File("k256_model.h5", "r")["model/cluster_size"][...]
c = h5py.File("k256.h5", "r")["results/cluster"][...]
sys.exit(0 if len(sizes) == 256 and sizes.min() > 0 and len(np.unique(c)) == 256 else 1)
EOF
    done
done
refused "identical members, k 5" 2 "has only 1" train --in identical.h5 --out out/r.h5 --model out/m.h5 --k 5
refused "three distinct members, k 4 (k-means-parallel)" 2 "has only 3" train --in three.h5 --out out/r.h5 --model out/m.h5 --k 4 --init k-means-parallel
run 3 train --in three.h5 --out three_r.h5 --model three_m.h5 --k 3
ran "three distinct members, k 3"

# ------------------------------------------------------------------ numerics
refused "monetary 1e200" 2 "row 17" train --in huge.h5 --out out/r.h5 --model out/m.h5 --k 3
for transform in none log1p; do
    run 3 train --in edge.h5 --out edge_r.h5 --model edge_m.h5 --k 3 --transform $transform
    ran "monetary 1e150, --transform $transform"
    check "monetary 1e150 ($transform): finite scaler, distances, summary" "$PYTHON" - <<'EOF'
import h5py, numpy as np, sys, json
m = h5py.File("edge_m.h5", "r")["model"]
r = h5py.File("edge_r.h5", "r")["results"]
summary = json.loads(bytes(h5py.File("edge_r.h5", "r")["report/summary_json"][...]).decode())
ok = (np.all(np.isfinite(m["scaler_sd"][...])) and np.all(m["scaler_sd"][...] > 0)
      and np.all(np.isfinite(r["cluster_distance"][...])) and np.all(np.isfinite(m["centroids"][...]))
      and "nan" not in json.dumps(summary).lower() and "inf" not in json.dumps(summary).lower())
sys.exit(0 if ok else 1)
EOF
done

# ------------------------------------------------------------------ dates, attributes, CSV
refused "last_purchase at INT32_MIN" 2 "outside 0001-01-01..9999-12-31" rfm --in old_date.h5 --out out/r.h5
refused "reference_date 2147483647" 2 "reference_date attribute 2147483647" rfm --in ref_max.h5 --out out/r.h5
refused "reference_date with two values" 2 "has 2 values" rfm --in ref_two.h5 --out out/r.h5
refused "aggregate: transaction dated INT32_MIN" 2 "'/transactions/date', row 7" aggregate --in tx_old_date.h5 --out out/m.h5 --reference-date 2024-12-31
refused "aggregate: amount 1e300" 2 "'/transactions/amount', row 9" aggregate --in tx_huge_amount.h5 --out out/m.h5 --reference-date 2024-12-31
refused "CSV repeats a used column" 2 "column 'monetary' appears more than once" import --format csv --in repeated.csv --out out/m.h5 --kind members --reference-date 2024-12-31

# ------------------------------------------------------------------ models
run 1 train --in members.h5 --out rfm_r.h5 --model rfm_m.h5 --k 3
ran "train rfm model"
run 1 train --in members.h5 --out fm_r.h5 --model fm_m.h5 --k 3 --features frequency,monetary
ran "train frequency,monetary model"
refused "report --model of other features" 1 "trained on features 'frequency,monetary'" report --results rfm_r.h5 --model fm_m.h5
refused "--init-from with another k" 1 "this run asks for k = 4" train --in members.h5 --out out/r.h5 --model out/m.h5 --init-from rfm_m.h5 --k 4
refused "--init-from with other features" 1 "model has d = 2 features, this run has d = 3" train --in members.h5 --out out/r.h5 --model out/m.h5 --init-from fm_m.h5
if grep -q "k = 0" err.txt; then fail "--init-from message names k = 0"; else pass "--init-from message does not say k = 0"; fi

# ------------------------------------------------------------------ migration bound
run 1 train --in last_night.h5 --out night_model_r.h5 --model night_m.h5 --k 3
ran "train for the migration"
run 1 score --in last_night.h5 --model night_m.h5 --out yesterday.h5
ran "score last night"
for np in 1 3; do
    run "$np" score --in tonight.h5 --model night_m.h5 --out tonight_r.h5 --previous yesterday.h5 --invalid drop
    ran "score --previous with a new invalid member of monetary 1e30 (np $np)"
    check "migration monetary sums (np $np)" "$PYTHON" - <<'EOF'
import h5py, numpy as np, sys
g = h5py.File("tonight_r.h5", "r")["migration"]
old = h5py.File("last_night.h5", "r")["members/monetary"][...]
ok = True
for name in ("segment_monetary", "cluster_monetary", "abc_monetary"):
    cells = g[name][...]
    # rows: last night (+ absent), columns: tonight (+ absent). The new member is in
    # the absent row. Sums are exact to 2^-62 of the largest amount (fixed point), so
    # the other cells may round to 0 next to 1e30, but none may be negative.
    ok &= bool(np.all(cells >= 0))
    ok &= bool(np.isclose(cells[-1, :].sum(), 1e30, rtol=1e-12))
    ok &= bool(np.isclose(cells.sum(), 1e30 + old.sum(), rtol=1e-12))
sys.exit(0 if ok else 1)
EOF
done
finish
