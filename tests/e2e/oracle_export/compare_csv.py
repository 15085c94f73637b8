"""compare_csv.py CSV H5 GROUP [COLUMNS]: the CSV that `cvseg export` wrote,
read by pandas.read_csv with no options, against h5py's datasets of GROUP.

Independent of cvseg: enum names from h5py's enum dtype, dates from numpy
datetime64, numbers from h5py. Checks the header (COLUMNS, comma-separated,
when given), the row count, enums as names, dates as ISO strings, integers
exactly, floats within 1e-14 relative with pandas' default parser and
bit-identical with float_precision="round_trip" (and with Python's float()),
NaN as an empty field. Prints one line per column; exits 1 on a mismatch."""
import csv
import sys

import h5py
import numpy as np
import pandas as pd

path, h5_path, group = sys.argv[1:4]
plain = pd.read_csv(path)  # no options: what the CRM side does
exact = pd.read_csv(path, float_precision="round_trip")
failures = 0
opener = __import__("gzip").open if path.endswith(".gz") else open
with opener(path, "rt", newline="") as f:
    rows = list(csv.reader(f))
header = rows[0]

with h5py.File(h5_path, "r") as h5:
    g = h5[group]
    if len(sys.argv) > 4:
        expected_columns = sys.argv[4].split(",")
    else:
        names = sorted(k for k in g.keys() if isinstance(g[k], h5py.Dataset) and g[k].ndim == 1)
        expected_columns = (["member_id"] if "member_id" in names else []) + [
            n for n in names if n != "member_id"]
    if header != expected_columns or list(plain.columns) != expected_columns:
        print(f"FAIL header {header} != {expected_columns}")
        sys.exit(1)
    for j, name in enumerate(expected_columns):
        ds = g[name]
        values = ds[()]
        if len(plain) != len(values) or len(rows) - 1 != len(values):
            print(f"FAIL {name}: {len(plain)} rows, expected {len(values)}")
            failures += 1
            continue
        mapping = h5py.check_enum_dtype(ds.dtype)
        units = ds.attrs.get("units", b"")
        units = units.decode() if isinstance(units, bytes) else str(units)
        raw = [r[j] for r in rows[1:]]
        if mapping is not None:
            names_by_value = {v: k for k, v in mapping.items()}
            want = np.array([names_by_value[int(v)] for v in values], dtype=object)
            ok = bool(np.all(plain[name].astype(str).values == want)) and raw == list(want)
            kind = "enum"
        elif units == "days since 1970-01-01":
            want = (np.datetime64("1970-01-01") + values.astype("timedelta64[D]")).astype(str)
            ok = bool(np.all(plain[name].values.astype(str) == want))
            kind = "date"
        elif values.dtype.kind in "iu":
            ok = bool(np.all(plain[name].values == values)) and str(plain[name].dtype).startswith("int")
            kind = "integer"
        else:
            want = values.astype(np.float64)
            nan = np.isnan(want)
            got = plain[name].values.astype(np.float64)
            if values.dtype == np.float32:  # written as the shortest float32 text
                got = got.astype(np.float32).astype(np.float64)
            # pandas' default parser is not correctly rounded (off by a few units in
            # the last place; far more for subnormals and |x| > 1e200): tolerance there.
            ordinary = ~np.isfinite(want) | ((np.abs(want) > 1e-200) & (np.abs(want) < 1e200))
            close = np.isclose(got, want, rtol=1e-14, atol=0) | (got == want) | ~ordinary
            got_exact = exact[name].values.astype(values.dtype)
            python_exact = np.array([float(v) if v != "" else np.nan for v in raw]).astype(values.dtype)
            same = lambda a: np.array_equal(a.view(np.uint8), values.view(np.uint8)) or (
                np.array_equal(np.isnan(a), nan) and np.array_equal(
                    a[~nan].view(np.uint8), values[~nan].view(np.uint8)))
            off = int(np.sum((got != want) & ~nan))
            ok = (np.array_equal(np.isnan(got), nan) and bool(np.all(close[~nan]))
                  and same(got_exact) and same(python_exact) and str(plain[name].dtype) == "float64")
            kind = f"float ({off} of {int((~nan).sum())} differ (<= 1e-14 relative) under pandas' default parser)"
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {kind}")
        failures += not ok
sys.exit(1 if failures else 0)
