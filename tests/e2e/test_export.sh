#!/usr/bin/env bash
# test_export.sh: `cvseg export`. gen -> train -> export at np 1, 2, 4 (and with
# 333-row pieces, so many windows of collective writes) gives byte-identical
# CSV; .csv.gz at np 1 and 3 decompresses to the same bytes (concatenated
# gzip members); pandas.read_csv with no options equals h5py's /results
# (tests/e2e/oracle_export/compare_csv.py: enums as names, dates as ISO,
# integers exact, floats bit-identical with a correctly rounded parser); a
# member table (dates); a clv file and a transaction log; a hand-made file with NaN, +-inf, -0, subnormals,
# extremes and enum names that need quoting; --columns subset and order;
# unknown column (exit 1); --out naming the input (exit 1); a date out of
# range (exit 2); no output left by a failing run.
#
# Environment (set by ctest): CVSEG, SOURCE_DIR, WORK_DIR, PYTHON.
set -euo pipefail

# shellcheck source=lib.sh
source "${SOURCE_DIR:?}/tests/e2e/lib.sh"
ORACLE=$SOURCE_DIR/tests/e2e/oracle_export/compare_csv.py
need_python h5py numpy pandas
enter_work_dir
export OMP_NUM_THREADS=2
RUN_TIMEOUT=120 RUN_EXPORT=CVSEG_EXPORT_PIECE_ROWS
export CVSEG_EXPORT_PIECE_ROWS=

run 2 gen --out members.h5 --members 20000 --seed 7 --clusters 4
ran "gen"
run 2 train --in members.h5 --out results.h5 --model model.h5 --k 4 --seed 1
ran "train"

for np in 1 2 4; do
    run "$np" export --results results.h5 --out "r$np.csv"
    ran "export np $np"
done
cmp -s r1.csv r2.csv && cmp -s r1.csv r4.csv && pass "np 1/2/4 byte-identical" ||
    fail "np 1/2/4 byte-identical"
CVSEG_EXPORT_PIECE_ROWS=333 run 2 export --results results.h5 --out pieces.csv
ran "export np 2, 333-row pieces"
CVSEG_EXPORT_PIECE_ROWS=333 run 3 export --results results.h5 --out pieces.csv.gz
ran "export np 3, 333-row pieces, gzip"
run 1 export --results results.h5 --out r1.csv.gz
ran "export np 1 gzip"
cmp -s r1.csv pieces.csv && pass "pieces byte-identical" || fail "pieces byte-identical"
gzip -dc pieces.csv.gz | cmp -s - r1.csv && gzip -dc r1.csv.gz | cmp -s - r1.csv &&
    pass ".gz decompresses to the same bytes" || fail ".gz decompresses to the same bytes"
[ "$(wc -l <r1.csv)" = 20001 ] && pass "one line per member + header" || fail "line count"

oracle "pandas.read_csv(results.csv) == h5py /results" r1.csv results.h5 /results
oracle "pandas.read_csv(results.csv.gz) == h5py /results" pieces.csv.gz results.h5 /results

run 2 export --results members.h5 --out members.csv
ran "export a member table"
oracle "member table: dates as ISO" members.csv members.h5 /members

run 1 gen --out transactions.h5 --members 2000 --transactions-per-member 5 --seed 2 \
    --reference-date 2024-12-31
ran "gen transactions"
run 1 clv --in transactions.h5 --calibration-end 2024-06-30 --out clv.h5
ran "clv"
run 2 export --results clv.h5 --out clv.csv
ran "export a clv file (group /clv found by itself)"
oracle "clv file: enums as names, floats exact" clv.csv clv.h5 /clv
run 2 export --results transactions.h5 --out transactions.csv.gz
ran "export a transaction log"
oracle "transaction log: dates as ISO" transactions.csv.gz transactions.h5 /transactions

# A hand-made file: special values, enum names that need quoting.
"$PYTHON" - <<'PY'
import h5py, numpy as np
rng = np.random.default_rng(5)
n = 5000
x = rng.standard_normal(n) * 10.0 ** rng.integers(-300, 300, n)
x[:12] = [np.nan, np.inf, -np.inf, -0.0, 0.0, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308,
          0.1, 1 / 3, 1e23, 12.0]
bits = rng.integers(0, 2**63, n, dtype=np.int64).view(np.float64)
bits[np.isnan(bits)] = 1.5
f32 = (rng.standard_normal(n) * 10.0 ** rng.integers(-40, 38, n)).astype(np.float32)
f32[:3] = [np.nan, np.float32(0.1), np.float32(-0.0)]
ids = np.arange(n, dtype=np.int64) * 1844674407370955 - 2**62
ids[0], ids[1] = np.iinfo(np.int64).min, np.iinfo(np.int64).max
kind = h5py.enum_dtype({"plain": 0, "with, comma": 1, 'say "hi"': 2, "two\nlines": 5}, basetype="u1")
with h5py.File("special.h5", "w") as f:
    g = f.create_group("results")
    g["member_id"] = ids
    g["x"] = x
    g["bits"] = bits
    g["small"] = f32
    g["kind"] = rng.choice([0, 1, 2, 5], n).astype(np.uint8)
    g["kind"][...] = g["kind"][...]
    g.create_dataset("label", data=rng.choice([0, 1, 2, 5], n).astype(np.uint8), dtype=kind)
    g["day"] = rng.integers(-719162, 2932896, n).astype(np.int32)
    g["day"].attrs["units"] = "days since 1970-01-01"
    g["count"] = rng.integers(0, 255, n).astype(np.uint8)
    g["matrix"] = np.zeros((n, 2))  # 2-D: left out by default
    g.create_group("subgroup")  # not a dataset: left out
    f.create_group("bad")["day"] = np.array([0, 2932897], dtype=np.int32)
    f["bad/day"].attrs["units"] = "days since 1970-01-01"
PY
run 4 export --results special.h5 --out special.csv
ran "export special values np 4"
run 1 export --results special.h5 --out special1.csv
cmp -s special.csv special1.csv && pass "special values np 1 = np 4" || fail "special values np 1 = np 4"
oracle "special values: exact, NaN empty, inf, -0, quoted enum names" special.csv special.h5 /results
head -c 300 special.csv | head -n 3 | sed 's/^/    /'

run 2 export --results results.h5 --out subset.csv --columns segment,member_id,monetary,cluster_label
ran "--columns subset"
oracle "--columns subset and order" subset.csv results.h5 /results segment,member_id,monetary,cluster_label

run 2 export --results results.h5 --out unknown.csv --columns member_id,no_such_column
[ "$rc" = 1 ] && grep -q "unknown column 'no_such_column'" err.txt && [ ! -e unknown.csv ] &&
    pass "unknown column: exit 1 naming it, no output" || fail "unknown column" "exit $rc: $(cat err.txt)"
cp r1.csv before.csv
run 2 export --results results.h5 --out results.h5
[ "$rc" = 1 ] && pass "--out naming the input: exit 1" || fail "--out naming the input" "exit $rc"
run 2 export --results special.h5 --group bad --out r1.csv
[ "$rc" = 2 ] && grep -q "row 1: date 2932897" err.txt && cmp -s r1.csv before.csv &&
    ! ls r1.csv.tmp.* >/dev/null 2>&1 &&
    pass "date out of range: exit 2 naming the row, earlier output intact" ||
    fail "date out of range" "exit $rc: $(cat err.txt)"
run 1 export --results special.h5 --group nothing --out none.csv
[ "$rc" = 2 ] && [ ! -e none.csv ] && pass "missing group: exit 2" || fail "missing group" "exit $rc"
finish
