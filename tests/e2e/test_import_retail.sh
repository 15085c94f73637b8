#!/usr/bin/env bash
# test_import_retail.sh: `cvseg import --kind transactions` of an export shaped
# like the Online Retail data set (InvoiceNo,StockCode,Description,Quantity,
# InvoiceDate,UnitPrice,CustomerID,Country; US dates with times, empty
# CustomerID cells, C-prefixed cancellations with negative quantities,
# multi-row invoices, non-ASCII descriptions). A generated excerpt is imported
# at np 1/2/4 (identical datasets), compared with an independent pandas parse
# (pd.to_datetime with the same format, Quantity*UnitPrice, order keys, skipped
# rows), and read again as .gz and as GB18030 text; bad rows fail with exit 2.
#
# Environment (set by ctest): CVSEG, SOURCE_DIR, WORK_DIR, PYTHON.
set -euo pipefail

# shellcheck source=lib.sh
source "${SOURCE_DIR:?}/tests/e2e/lib.sh"
need_python h5py numpy pandas
enter_work_dir
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}

# ------------------------------------------------------------ the excerpt
"$PYTHON" - <<'EOF'
import random
rng = random.Random(12)
words = ["WHITE HANGING HEART T-LIGHT HOLDER", "REGENCY CAKESTAND 3 TIER", "JUMBO BAG RED",
         "PARTY BUNTING", "LUNCH BAG, RED RETROSPOT", 'SET OF 3 "CAKE" TINS', "café crème mug",
         "Größe M Tasche", "naïve owl doorstop", "顾客 gift box"]
rows = []
invoice = 536365
for n in range(330):
    invoice += rng.randint(1, 3)
    customer = "" if rng.random() < 0.2 else str(rng.randint(12346, 12420))
    cancel = customer != "" and rng.random() < 0.1
    no = ("C" if cancel else "") + str(invoice)
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    year = 2010 if month == 12 else 2011
    date = f"{month}/{day}/{year} {rng.randint(6, 20)}:{rng.randint(0, 59):02d}"
    for item in range(rng.randint(1, 8)):
        q = rng.choice([1, 2, 3, 4, 6, 12, 24, 48])
        q = -q if cancel else q
        price = rng.choice(["2.55", "3.39", "0.85", "1.25", "0", "10.95", "4.65", "0.42"])
        desc = rng.choice(words)
        if "," in desc or '"' in desc:
            desc = '"' + desc.replace('"', '""') + '"'
        rows.append(f"{no},{rng.randint(10000, 99999)}{rng.choice(['', 'A', 'B'])},{desc},{q},"
                    f"{date},{price},{customer},United Kingdom")
text = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
text += "\n".join(rows) + "\n"
open("retail.csv", "w", encoding="utf-8").write(text)
open("retail_gb.csv", "wb").write(text.encode("gb18030"))
print(len(rows), "rows")
EOF
gzip -9 -k -c retail.csv >retail.csv.gz
ARGS=(import --format csv --kind transactions --map member_id=CustomerID --map date=InvoiceDate
    --date-format '%m/%d/%Y %H:%M' --map amount=Quantity*UnitPrice --map order_id=InvoiceNo
    --missing-member skip)
for np in 1 2 4; do
    run "$np" "${ARGS[@]}" --map quantity=Quantity --in retail.csv --out r$np.h5 --summary s$np.json
    ran "import at np $np"
    if grep -q "cvseg: import: .* rows skipped (missing_member: " err.txt; then
        pass "np $np: skipped rows reported on stderr"
    else
        fail "np $np: skipped rows reported on stderr" "$(cat err.txt)"
    fi
done
check "np 1: five /transactions datasets" test "$(h5ls r1.h5/transactions | grep -c Dataset)" = 5
for np in 2 4; do
    same_datasets "np $np = np 1 (h5diff)" r1.h5 r$np.h5 transactions
done

# ------------------------------------------------------------ pandas oracle
check "pandas: rows, members, days, amounts, order keys, counts" "$PYTHON" - <<'EOF'
import json, h5py, numpy as np, pandas as pd
df = pd.read_csv("retail.csv", dtype={"InvoiceNo": str, "CustomerID": str}, keep_default_na=False)
kept = df[df["CustomerID"].str.strip() != ""]
M = (1 << 64) - 1
def key(text):
    t = text.strip()
    body = t[1:] if t.startswith("-") else t
    if body.isdigit() and body.isascii() and (body == "0" or body[0] != "0") and t != "-0":
        v = int(t)
        if -(1 << 63) <= v < (1 << 63):
            return v
    h = 0xcbf29ce484222325
    for b in t.encode():
        h = ((h ^ b) * 0x100000001b3) & M
    h = ((h ^ (h >> 30)) * 0xbf58476d1ce4e5b9) & M
    h = ((h ^ (h >> 27)) * 0x94d049bb133111eb) & M
    h ^= h >> 31
    return h & ((1 << 63) - 1)
days = (pd.to_datetime(kept["InvoiceDate"], format="%m/%d/%Y %H:%M").dt.normalize()
        - pd.Timestamp("1970-01-01")).dt.days.to_numpy()
amount = kept["Quantity"].astype(np.float64).to_numpy() * kept["UnitPrice"].astype(np.float64).to_numpy()
with h5py.File("r1.h5", "r") as f:
    g = f["transactions"]
    assert g["order_id"].dtype == np.int64
    assert np.array_equal(g["member_id"][...], kept["CustomerID"].astype(np.int64).to_numpy())
    assert np.array_equal(g["date"][...], days)
    assert np.array_equal(g["amount"][...].view(np.uint64), amount.view(np.uint64)), "amount bits"
    assert np.array_equal(g["quantity"][...], kept["Quantity"].to_numpy())
    keys = np.array([key(t) for t in kept["InvoiceNo"]], dtype=np.int64)
    assert np.array_equal(g["order_id"][...], keys)
    # invoices and their keys correspond one to one; plain invoices keep their number
    assert kept["InvoiceNo"].nunique() == len(np.unique(keys))
    plain = ~kept["InvoiceNo"].str.startswith("C").to_numpy()
    assert np.array_equal(keys[plain], kept["InvoiceNo"][plain].astype(np.int64).to_numpy())
    assert (keys[~plain] >= 0).all() and (~plain).any() and (amount < 0).any()
for np_ in (1, 2, 4):
    s = json.load(open(f"s{np_}.json"))
    assert s["rows_read"] == len(df), s
    assert s["rows_imported"] == len(kept), s
    assert s["rows_skipped"] == {"missing_member": len(df) - len(kept)}, s
    assert len(df) - len(kept) > 0
EOF

# ------------------------------------------------------------ gzip and GB18030
for np in 1 3; do
    run "$np" "${ARGS[@]}" --map quantity=Quantity --in retail.csv.gz --out gz$np.h5
    ran "gzip input at np $np"
    same_datasets "gzip np $np = plain (h5diff)" r1.h5 gz$np.h5 transactions
    run "$np" "${ARGS[@]}" --map quantity=Quantity --in retail_gb.csv --encoding GB18030 --out gb$np.h5
    ran "GB18030 input at np $np"
    same_datasets "GB18030 np $np = UTF-8 (h5diff)" r1.h5 gb$np.h5 transactions
done

# ------------------------------------------------------------ ISO dates with times (default)
cat >iso.csv <<'EOF'
member,when,amount
1,2010-12-01 08:26,1.5
2,2010-12-01T08:26:00,2
3,2010-12-31T23:59:59Z,3
4,2011-01-01 00:00+05:30,4
EOF
run 2 import --format csv --kind transactions --in iso.csv --out iso.h5 --map member_id=member --map date=when
ran "ISO dates with times"
if h5py_out=$("$PYTHON" -c "import h5py; print(list(h5py.File('iso.h5')['transactions/date'][...]))") &&
    [ "$h5py_out" = "[14944, 14944, 14974, 14975]" ]; then
    pass "ISO times dropped, day kept"
else
    fail "ISO times dropped, day kept" "$h5py_out"
fi

# ------------------------------------------------------------ bad rows
head -n 40 retail.csv >bad_time.csv
echo '536999,1,x,1,12/1/2010 8:60,1.0,12346,UK' >>bad_time.csv
run 2 "${ARGS[@]}" --in bad_time.csv --out bad.h5
expect_failure "minute 60 refused" 2 bad.h5 "file 'bad_time.csv', line 41, column 'InvoiceDate': '12/1/2010 8:60'" "'%m/%d/%Y %H:%M'"
head -n 40 retail.csv >bad_day.csv
echo '536999,1,x,1,2/29/2011 8:00,1.0,12346,UK' >>bad_day.csv
run 3 "${ARGS[@]}" --in bad_day.csv --out bad.h5
expect_failure "Feb 29 2011 refused" 2 bad.h5 "line 41, column 'InvoiceDate': '2/29/2011 8:00'"
run 2 import --format csv --kind transactions --map member_id=CustomerID --map date=InvoiceDate \
    --date-format '%m/%d/%Y %H:%M' --map amount=Quantity*UnitPrice --in retail.csv --out bad.h5
expect_failure "empty member is an error by default" 2 bad.h5 "column 'CustomerID': empty cell"
run 2 import --format csv --kind transactions --map member_id=CustomerID --map date=InvoiceDate \
    --date-format '%m/%d/%Y %H:%M' --map amount=Quantity*Price --missing-member skip \
    --in retail.csv --out bad.h5
expect_failure "unknown product column" 2 bad.h5 "column 'Price' (--map amount=Quantity*Price) is not in the header"
run 1 "${ARGS[@]}" --date-format '%m/%d %H:%M' --in retail.csv --out bad.h5
expect_failure "format without a year" 1 bad.h5 "option --date-format"
head -n 20 retail_gb.csv >bad_gb.csv
printf '536999,1,\x81\x20,1,12/1/2010 8:00,1.0,12346,UK\n' >>bad_gb.csv
run 2 "${ARGS[@]}" --in bad_gb.csv --encoding GB18030 --out bad.h5
expect_failure "invalid GB18030 bytes" 2 bad.h5 "file 'bad_gb.csv', line 21: not valid GB18030 text"
head -c 3000 retail.csv.gz >cut.csv.gz
run 2 "${ARGS[@]}" --in cut.csv.gz --out bad.h5
expect_failure "truncated gzip" 2 bad.h5 "file 'cut.csv.gz', line" "gzip"
finish
