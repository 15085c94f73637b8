#!/usr/bin/env bash
# test_import.sh: `cvseg import` end to end: the CDNOW files at 1 and 3 ranks
# (identical datasets, counts, values against an independent pandas parse), a
# mapped CSV member table, an airline export, and every bad-input case (message,
# exit code, no output file, an earlier output left byte-identical).
#
# Environment (set by ctest): CVSEG, SOURCE_DIR, SHARED_DIR, WORK_DIR, PYTHON.
set -euo pipefail

# shellcheck source=lib.sh
source "${SOURCE_DIR:?}/tests/e2e/lib.sh"
: "${SHARED_DIR:?}"
CDNOW=$SHARED_DIR/data/cdnow
DATA=$SOURCE_DIR/tests/data
need_file "$CDNOW/CDNOW_master.txt"
need_python h5py numpy pandas
enter_work_dir

h5py_check() { # h5py_check PYTHON-CODE: fails on an AssertionError
    "$PYTHON" -c "import h5py, numpy as np, pandas as pd, sys
$1"
}

# ------------------------------------------------------------ CDNOW master
run 1 import --format cdnow --in "$CDNOW/CDNOW_master.txt" --out master1.h5 \
    --reference-date 1998-06-30
ran "import CDNOW_master.txt at np 1"
run 3 import --format cdnow --in "$CDNOW/CDNOW_master.txt" --out master3.h5 \
    --reference-date 1998-06-30
ran "import CDNOW_master.txt at np 3"
for dataset in member_id date amount quantity; do
    check "np 1 and np 3 give identical /transactions/$dataset" \
        h5diff master1.h5 master3.h5 "/transactions/$dataset" "/transactions/$dataset"
done
check "master: 69,659 rows, 23,570 members, schema, units, reference date" h5py_check "
g = h5py.File('master3.h5', 'r')['transactions']
n = len(g['member_id'])
assert n == 69659, n
assert len(np.unique(g['member_id'][:])) == 23570
for name in ('date', 'amount', 'quantity'):
    assert len(g[name]) == n, name
assert g['member_id'].dtype == np.int64 and g['date'].dtype == np.int32
assert g['amount'].dtype == np.float64 and g['quantity'].dtype == np.int32
assert g.attrs['schema'] == b'cvseg.transactions/1', g.attrs['schema']
assert g['date'].attrs['units'] == b'days since 1970-01-01'
assert int(g.attrs['reference_date']) == (np.datetime64('1998-06-30') - np.datetime64('1970-01-01')).astype(int)
assert g.attrs['input_file'].decode().endswith('CDNOW_master.txt')
"
check "master: values equal an independent pandas parse" h5py_check "
t = pd.read_csv('$CDNOW/CDNOW_master.txt', sep=r'\s+', dtype={'customer_id': np.int64, 'date': str})
g = h5py.File('master3.h5', 'r')['transactions']
assert len(t) == len(g['amount'])
assert abs(t['dollar_value'].sum() - g['amount'][:].sum()) <= 1e-6, (t['dollar_value'].sum(), g['amount'][:].sum())
assert np.array_equal(t['dollar_value'].to_numpy(), g['amount'][:])
days = (pd.to_datetime(t['date'], format='%Y%m%d') - pd.Timestamp('1970-01-01')).dt.days.to_numpy()
assert np.array_equal(days, g['date'][:])
assert np.array_equal(t['customer_id'].to_numpy(), g['member_id'][:])
assert np.array_equal(t['number_of_cds'].to_numpy(), g['quantity'][:])
"

# ------------------------------------------------------------ CDNOW sample
run 2 import --format cdnow --in "$CDNOW/CDNOW_sample.txt" --out sample.h5
ran "import CDNOW_sample.txt at np 2"
check "sample: 6,919 rows, 2,357 members keyed by the master id" h5py_check "
g = h5py.File('sample.h5', 'r')['transactions']
assert len(g['member_id']) == 6919, len(g['member_id'])
assert len(np.unique(g['member_id'][:])) == 2357
t = pd.read_csv('$CDNOW/CDNOW_sample.txt', sep=r'\s+', header=None, dtype={2: str})
assert np.array_equal(t[0].to_numpy(), g['member_id'][:])
assert np.array_equal(t[4].to_numpy(), g['amount'][:])
assert 'reference_date' not in g.attrs
"

# ------------------------------------------------------------ CSV member table
run 2 import --format csv --in "$DATA/members_map.csv" --out members.h5 --map member_id=cust_no \
    --map "last_purchase=Last Purchase" --map first_purchase=first --map frequency=orders \
    --map monetary=spend --reference-date 2024-12-31
ran "import mapped CSV member table at np 2"
check "CSV: ISO, YYYYMMDD, YYYY/M/D dates; empty/NaN cells are NaN; quotes" h5py_check "
g = h5py.File('members.h5', 'r')['members']
d = lambda s: (np.datetime64(s) - np.datetime64('1970-01-01')).astype(int)
assert list(g['member_id'][:]) == [101, 102, 103, 104, 105]
assert list(g['last_purchase'][:]) == [d('2024-03-31'), d('2024-02-28'), d('2024-02-29'), d('1999-12-31'), d('2000-02-29')]
assert list(g['first_purchase'][:]) == [d('2023-01-15'), d('2022-01-01'), d('2021-07-04'), d('1999-01-01'), d('2000-01-02')]
assert list(g['frequency'][:]) == [5, 1, 12, 3, 7] and g['frequency'].dtype == np.int32
m = g['monetary'][:]
assert m[0] == 120.5 and np.isnan(m[1]) and m[2] == 1234.5 and m[3] == -4.25 and np.isnan(m[4]), m
assert g.attrs['schema'] == b'cvseg.members/1'
assert int(g.attrs['reference_date']) == d('2024-12-31')
assert set(g.keys()) == {'member_id', 'first_purchase', 'last_purchase', 'frequency', 'monetary'}
"
run 1 import --format csv --in "$DATA/members_map.csv" --out members1.h5 --map member_id=cust_no \
    --map "last_purchase=Last Purchase" --map first_purchase=first --map frequency=orders \
    --map monetary=spend --reference-date 2024-12-31
for dataset in member_id first_purchase last_purchase frequency monetary; do
    check "CSV np 1 and np 2 give identical /members/$dataset" \
        h5diff members1.h5 members.h5 "/members/$dataset" "/members/$dataset"
done

# ------------------------------------------------------------ airline export
AIRLINE_MAPS=(--map member_id=MEMBER_NO --map join_date=FFP_DATE --map flight_count=FLIGHT_COUNT
    --map seg_km_sum=SEG_KM_SUM --map avg_discount=avg_discount --map fare_yr1=SUM_YR_1
    --map fare_yr2=SUM_YR_2 --map reference_date=LOAD_TIME --map recency_days=LAST_TO_END)
run 3 import --format csv --in "$DATA/airline_small.csv" --out airline.h5 "${AIRLINE_MAPS[@]}"
ran "import airline CSV at np 3"
check "airline: reference date, last_purchase from LAST_TO_END, frequency, monetary" h5py_check "
g = h5py.File('airline.h5', 'r')['members']
d = lambda s: (np.datetime64(s) - np.datetime64('1970-01-01')).astype(int)
ref = d('2014-03-31')
assert int(g.attrs['reference_date']) == ref
assert g.attrs['schema'] == b'cvseg.members.airline/1'
assert list(g['last_purchase'][:]) == [ref - x for x in (1, 7, 11, 97, 5, 79)]
assert list(g['join_date'][:])[:2] == [d('2006-11-02'), d('2007-02-19')]
assert list(g['frequency'][:]) == list(g['flight_count'][:]) == [210, 140, 135, 23, 152, 92]
m = g['monetary'][:]
assert m[0] == 239560 + 234188 and np.isnan(m[5]) and np.isnan(g['fare_yr1'][5])
assert g['avg_discount'][0] == 0.961639043 and g['seg_km_sum'][3] == 281336
"

# ------------------------------------------------------------ bad input
run 2 import --format cdnow --in missing.txt --out bad.h5
expect_failure "missing input file" 3 bad.h5 "file 'missing.txt'" "cannot open"

: >empty.csv
run 2 import --format csv --in empty.csv --out bad.h5
expect_failure "empty CSV file" 2 bad.h5 "file 'empty.csv'" "empty file"
run 2 import --format cdnow --in empty.csv --out bad.h5
expect_failure "empty CDNOW file" 2 bad.h5 "file 'empty.csv'" "empty file"
printf '101,2024-01-01,3,9.5\n102,2024-01-02,1,1.5\n' >noheader.csv
run 2 import --format csv --in noheader.csv --out bad.h5
expect_failure "CSV without a header row" 2 bad.h5 "file 'noheader.csv', line 1" "header"

# Two bad lines in different ranks' ranges at np 3: the lowest one is reported.
awk 'NR == 25001 { $2 = "19971301" } NR == 60001 { $3 = "x" } { print }' \
    "$CDNOW/CDNOW_master.txt" >bad_date.txt
run 3 import --format cdnow --in bad_date.txt --out bad.h5
expect_failure "bad date (np 3, lowest line wins)" 2 bad.h5 \
    "file 'bad_date.txt', line 25001, column 'date': '19971301' is not a date (expected YYYY-MM-DD, YYYYMMDD or YYYY/M/D)"
cp err.txt err_np3.txt
run 1 import --format cdnow --in bad_date.txt --out bad.h5
if [ "$(grep -F 'cvseg: error:' err.txt)" = "$(grep -F 'cvseg: error:' err_np3.txt)" ]; then
    pass "bad date: same message at np 1 and np 3"
else
    fail "bad date: same message at np 1 and np 3" "$(grep -F 'cvseg: error:' err.txt)"
fi
awk 'NR == 50000 { $4 = "" } { print }' "$CDNOW/CDNOW_master.txt" >bad_fields.txt
run 3 import --format cdnow --in bad_fields.txt --out bad.h5
expect_failure "wrong number of fields (CDNOW)" 2 bad.h5 "file 'bad_fields.txt', line 50000: 3 fields, expected 4"
awk 'NR == 69660 { $4 = "12.3.4" } { print }' "$CDNOW/CDNOW_master.txt" >bad_amount.txt
run 3 import --format cdnow --in bad_amount.txt --out bad.h5
expect_failure "unparsable amount in the last line" 2 bad.h5 \
    "file 'bad_amount.txt', line 69660, column 'dollar_value': '12.3.4' is not a number"

MAPS=(--map member_id=cust_no --map "last_purchase=Last Purchase" --map first_purchase=first
    --map frequency=orders --map monetary=spend)
sed '3s/^102,20240228,20220101,1,,/102,20240228,20220101,1,,extra,/' "$DATA/members_map.csv" >bad_count.csv
run 2 import --format csv --in bad_count.csv --out bad.h5 "${MAPS[@]}"
expect_failure "wrong number of fields (CSV)" 2 bad.h5 "file 'bad_count.csv', line 3: 7 fields, expected 6"
sed '4s/2024\/2\/29/2023\/2\/29/' "$DATA/members_map.csv" >bad_csv_date.csv
run 2 import --format csv --in bad_csv_date.csv --out bad.h5 "${MAPS[@]}"
expect_failure "bad CSV date (2023/2/29)" 2 bad.h5 \
    "file 'bad_csv_date.csv', line 4, column 'Last Purchase': '2023/2/29' is not a date"
sed '2s/,5,/,,/' "$DATA/members_map.csv" >bad_empty_int.csv
run 2 import --format csv --in bad_empty_int.csv --out bad.h5 "${MAPS[@]}"
expect_failure "empty integer cell" 2 bad.h5 "file 'bad_empty_int.csv', line 2, column 'orders': empty cell"
sed '2s/,5,/,99999999999,/' "$DATA/members_map.csv" >bad_overflow.csv
run 2 import --format csv --in bad_overflow.csv --out bad.h5 "${MAPS[@]}"
expect_failure "int32 overflow" 2 bad.h5 "line 2, column 'orders': '99999999999' is out of range"
run 2 import --format csv --in "$DATA/members_map.csv" --out bad.h5 --map member_id=MEMBER_NO
expect_failure "missing mapped column" 2 bad.h5 "column 'MEMBER_NO' (--map member_id=MEMBER_NO) is not in the header" \
    "columns are: 'cust_no', 'Last Purchase', 'first', 'orders', 'spend', 'note'"
run 2 import --format csv --in "$DATA/members_map.csv" --out bad.h5 --map memberid=cust_no
expect_failure "unknown --map field" 1 bad.h5 "unknown field 'memberid'" \
    "valid fields: member_id, first_purchase, last_purchase, frequency, monetary"
run 2 import --format xls --in "$DATA/members_map.csv" --out bad.h5
expect_failure "unknown --format" 1 bad.h5 "--format: 'xls'"
run 2 import --format csv --kind people --in "$DATA/members_map.csv" --out bad.h5
expect_failure "unknown --kind" 1 bad.h5 "--kind: 'people'"
sed '4s/2014\/3\/31/2014\/4\/1/' "$DATA/airline_small.csv" >bad_load_time.csv
run 3 import --format csv --in bad_load_time.csv --out bad.h5 "${AIRLINE_MAPS[@]}"
expect_failure "reference date column not constant" 2 bad.h5 \
    "file 'bad_load_time.csv', line 4, column 'LOAD_TIME': '2014/4/1' differs from the reference date 2014-03-31"

# A failed run leaves an earlier good output untouched.
cp master3.h5 keep.h5
cp keep.h5 keep_before.h5
run 3 import --format cdnow --in bad_date.txt --out keep.h5
if [ "$rc" = 2 ] && cmp -s keep.h5 keep_before.h5 && ! compgen -G "keep.h5.tmp.*" >/dev/null; then
    pass "failed import leaves the earlier output byte-identical"
else
    fail "failed import leaves the earlier output byte-identical" "rc $rc"
fi

finish
