#!/usr/bin/env bash
# test_score_clv.sh: `cvseg score --clv CLV.h5` attaches p_alive,
# expected_purchases, expected_spend, clv, historic_value and lifecycle to
# /results by member_id. A BG/NBD transaction log (oracle_clv/gen_bgnbd.py:
# `cvseg gen`'s logs have no repeat-purchase structure for the fit), aggregate,
# clv, train; then the member table shuffled and the CLV file cut (every 7th
# row dropped, three ids no member has appended) with h5py. score --clv at np
# 1, 2, 4: identical results; the columns equal a pandas left merge of /clv onto
# /results by member_id (exact floats, NaN and "prospect" for the cut members,
# enum names); the summary's clv counts and sum; the report's lifecycle table;
# --clv equal to --out (1), a file without /clv and an id twice in /clv (2)
# are refused.
#
# Environment (set by ctest): CVSEG, SOURCE_DIR, WORK_DIR, PYTHON.
set -euo pipefail

# shellcheck source=lib.sh
source "${SOURCE_DIR:?}/tests/e2e/lib.sh"
need_python h5py numpy pandas
enter_work_dir
export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=passive
RUN_TIMEOUT=300

"$PYTHON" "$SOURCE_DIR/tests/e2e/oracle_clv/gen_bgnbd.py" tx.h5 4000 11
run 2 aggregate --in tx.h5 --out members.h5 --reference-date 2021-06-29
ran "aggregate"
run 2 clv --in tx.h5 --calibration-end 2020-12-29 --out clv.h5
ran "clv"
run 2 train --in members.h5 --model model.h5 --out train.h5 --k 4
ran "train"

# Shuffled members; the CLV file without every 7th row, plus 3 unknown ids.
"$PYTHON" - <<'PY'
import shutil
import h5py
import numpy as np
shutil.copy("members.h5", "shuffled.h5")
with h5py.File("shuffled.h5", "r+") as f:
    group = f["members"]
    n = group["member_id"].shape[0]
    order = np.random.default_rng(5).permutation(n)
    for name in group:
        if group[name].shape == (n,):
            group[name][...] = group[name][...][order]
with h5py.File("clv.h5", "r") as src, h5py.File("cut.h5", "w") as dst:
    clv = src["clv"]
    n = clv["member_id"].shape[0]
    keep = np.arange(n) % 7 != 3
    top = int(clv["member_id"][...].max())
    for name in clv:
        data = clv[name][...][keep]
        extra = np.array([top + 1, top + 2, top + 3]) if name == "member_id" else data[:3]
        dst.create_dataset("clv/" + name, data=np.concatenate([data, extra.astype(data.dtype)]),
                           dtype=clv[name].dtype)
with h5py.File("clv.h5", "r") as src, h5py.File("dup.h5", "w") as dst:
    for name in src["clv"]:
        data = src["clv"][name][...]
        dst.create_dataset("clv/" + name, data=np.concatenate([data[:10], data[9:]]),
                           dtype=src["clv"][name].dtype)
PY

for np in 1 2 4; do
    run "$np" score --in shuffled.h5 --model model.h5 --clv cut.h5 --out "res$np.h5" \
        --summary "summary$np.json"
    ran "score --clv, np $np"
done

checks "pandas merge of /clv onto /results" "$PYTHON" - <<'PY'
import json
import math
import h5py
import numpy as np
import pandas as pd

def say(ok, what):
    print(("ok   " if ok else "FAIL ") + what)

def table(path, group):
    with h5py.File(path, "r") as f:
        out = {}
        for name in f[group]:
            data = f[group][name][...]
            names = h5py.check_enum_dtype(f[group][name].dtype)
            if names and name == "lifecycle":
                data = pd.Categorical.from_codes(data, [k for k, v in sorted(names.items(), key=lambda kv: kv[1])]).astype(str)
            out[name] = data
        return pd.DataFrame(out)

with h5py.File("res1.h5", "r") as one:
    for np_ in (2, 4):
        with h5py.File(f"res{np_}.h5", "r") as other:
            same = sorted(one["results"]) == sorted(other["results"]) and all(
                one["results"][n][...].tobytes() == other["results"][n][...].tobytes()
                for n in one["results"])
            say(same, f"/results identical at np 1 and np {np_}")

results = table("res2.h5", "results")
clv = table("cut.h5", "clv")
merged = results[["member_id"]].merge(clv, on="member_id", how="left", validate="one_to_one")
columns = ["p_alive", "expected_purchases", "expected_spend", "clv", "historic_value"]
for c in columns:
    a = results[c].to_numpy(np.float64)
    b = merged[c].to_numpy(np.float64)
    say(a.view(np.int64).tolist() == b.view(np.int64).tolist() or
        (np.array_equal(np.isnan(a), np.isnan(b)) and np.array_equal(a[~np.isnan(a)], b[~np.isnan(b)])),
        f"{c} equals the pandas merge bit for bit (NaN where missing)")
missing = merged["lifecycle"].isna()
expected = merged["lifecycle"].fillna("prospect")
say((results["lifecycle"] == expected).all(), "lifecycle equals the merge (prospect where missing)")
say(missing.sum() > 500 and np.isnan(results.loc[missing, "clv"]).all(),
    f"{missing.sum()} members missing from the CLV file: NaN clv, prospect")
summary = json.load(open("summary2.json"))["clv"]
say(summary["members_without_clv"] == int(missing.sum()), "summary members_without_clv")
say(summary["clv_rows_not_scored"] == 3, "summary clv_rows_not_scored = 3")
counts = results["lifecycle"].value_counts()
say(all(summary["lifecycle"][k] == int(counts.get(k, 0)) for k in summary["lifecycle"]),
    f"summary lifecycle counts {summary['lifecycle']}")
total = math.fsum(x for x in results["clv"] if not math.isnan(x))
say(abs(summary["clv_sum"] - total) <= 1e-12 * abs(total), f"summary clv_sum {summary['clv_sum']} = {total}")
PY

run 1 report --results res2.h5 --format markdown --out report.md
if [ "$rc" = 0 ] && grep -q '^| prospect | [1-9]' report.md && grep -q '^| active |' report.md; then
    pass "report: lifecycle table"
else
    fail "report: lifecycle table" "rc $rc"
fi

run 2 score --in shuffled.h5 --model model.h5 --clv res2.h5 --out res2.h5
if [ "$rc" = 1 ] && grep -q -- "--clv" err.txt; then pass "--clv equal to --out: exit 1"; else fail "--clv equal to --out: exit 1" "rc $rc: $(cat err.txt)"; fi
run 2 score --in shuffled.h5 --model model.h5 --clv members.h5 --out bad.h5
if [ "$rc" = 2 ] && [ ! -e bad.h5 ] && grep -q "/clv" err.txt; then
    pass "--clv without /clv: exit 2, no output"
else
    fail "--clv without /clv: exit 2, no output" "rc $rc: $(cat err.txt)"
fi
run 3 score --in shuffled.h5 --model model.h5 --clv dup.h5 --out bad.h5
if [ "$rc" = 2 ] && [ ! -e bad.h5 ] && grep -q "appears more than once" err.txt; then
    pass "an id twice in /clv: exit 2, no output"
else
    fail "an id twice in /clv: exit 2, no output" "rc $rc: $(cat err.txt)"
fi
finish
