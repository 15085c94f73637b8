#!/usr/bin/env python3
"""Builds the malformed HDF5 inputs of tests/e2e/test_bad_input.sh with h5py.

  bad_files.py members GOOD_MEMBERS.h5 OUTDIR
      writes OUTDIR/m_CASE.h5 for every member-table case below and prints
      "CASE MEMBER_ID" for the cases whose message must name a member id.
  bad_files.py transactions GOOD_TRANSACTIONS.h5 OUTDIR
      writes OUTDIR/t_CASE.h5 for every transaction-log case.
  bad_files.py results GOOD_RESULTS.h5 OUTDIR
      writes OUTDIR/r_CASE.h5 for every results-file case.

Each file is a copy of the good one with one defect (two_invalid: two). "Row"
numbers are 0-based dataset indices (the index h5dump prints). The good member
table has 200 rows and the transaction log 150; with block shares at np 3 (rows
0-66, 67-133, 134-199) row 17 lies in rank 0's share, rows 90 and 120 in rank
1's, rows 150-190 (and row 140 of the log) in rank 2's.
"""
import os
import shutil
import sys

import h5py
import numpy as np

NAN_ROW = 17
LATE_ROW = 150


def copy_group(src, dst, skip=(), replace=None, attrs_skip=()):
    replace = replace or {}
    for k, v in src.attrs.items():
        if k not in attrs_skip:
            dst.attrs[k] = v
    for k in src:
        if k in skip:
            continue
        data = replace[k] if k in replace else src[k][:]
        d = dst.create_dataset(k, data=data)
        for ak, av in src[k].attrs.items():
            d.attrs[ak] = av


def write(path, group, cols, attrs, skip=(), replace=None, attrs_skip=(), group_name=None):
    with h5py.File(path, "w") as f:
        g = f.create_group(group_name or group)
        for k, v in attrs.items():
            if k not in attrs_skip:
                g.attrs[k] = v
        for k, v in cols.items():
            if k in skip:
                continue
            g.create_dataset(k, data=(replace or {}).get(k, v))


def load(path, group):
    with h5py.File(path, "r") as f:
        g = f[group]
        return {k: g[k][:] for k in g if isinstance(g[k], h5py.Dataset)}, dict(g.attrs)


def members(good, out):
    cols, attrs = load(good, "members")
    ids = cols["member_id"]
    p = lambda case: os.path.join(out, f"m_{case}.h5")
    write(p("no_group"), "members", cols, attrs, group_name="customers")
    write(p("no_monetary"), "members", cols, attrs, skip=("monetary",))
    write(p("monetary_string"), "members", cols, attrs,
          replace={"monetary": np.array([b"%.2f" % x for x in cols["monetary"]], dtype="S16")})
    write(p("member_id_float"), "members", cols, attrs,
          replace={"member_id": np.arange(len(ids), dtype=np.float64) + 0.5})
    write(p("unequal_lengths"), "members", cols, attrs, replace={"frequency": cols["frequency"][:-3]})
    write(p("no_reference_date"), "members", cols, attrs, attrs_skip=("reference_date",))
    m = cols["monetary"].copy()
    m[NAN_ROW] = np.nan
    write(p("nan_monetary"), "members", cols, attrs, replace={"monetary": m})
    print(f"nan_monetary {ids[NAN_ROW]}")
    # The same defect on the last rank's rows at np 3 (rows 134..199 of 200).
    m = cols["monetary"].copy()
    m[LATE_ROW] = np.nan
    write(p("nan_monetary_late"), "members", cols, attrs, replace={"monetary": m})
    print(f"nan_monetary_late {ids[LATE_ROW]}")
    # Two defects in different ranks' rows: the lowest row is reported.
    m = cols["monetary"].copy()
    m[LATE_ROW] = np.nan
    m[90] = np.inf
    write(p("two_invalid"), "members", cols, attrs, replace={"monetary": m})
    print(f"two_invalid {ids[90]}")
    last = cols["last_purchase"].copy()
    last[190] = int(attrs["reference_date"]) + 3
    write(p("after_reference"), "members", cols, attrs, replace={"last_purchase": last})
    print(f"after_reference {ids[190]}")
    first = cols["first_purchase"].copy()
    first[120] = cols["last_purchase"][120] + 5
    write(p("first_after_last"), "members", cols, attrs, replace={"first_purchase": first})
    print(f"first_after_last {ids[120]}")
    write(p("monetary_2d"), "members", cols, attrs,
          replace={"monetary": np.column_stack([cols["monetary"], cols["monetary"]])})
    write(p("empty"), "members", {k: v[:0] for k, v in cols.items()}, attrs)
    dup = ids.copy()
    dup[150] = dup[20]  # row 150 repeats the id of row 20
    write(p("duplicate_ids"), "members", cols, attrs, replace={"member_id": dup})
    print(f"duplicate_ids {ids[20]}")
    freq = cols["frequency"].copy()
    freq[160] = -2
    write(p("negative_frequency"), "members", cols, attrs, replace={"frequency": freq})
    print(f"negative_frequency {ids[160]}")


def transactions(good, out):
    cols, attrs = load(good, "transactions")
    p = lambda case: os.path.join(out, f"t_{case}.h5")
    write(p("no_group"), "transactions", cols, attrs, group_name="members")
    write(p("no_amount"), "transactions", cols, attrs, skip=("amount",))
    write(p("amount_string"), "transactions", cols, attrs,
          replace={"amount": np.array([b"%.2f" % x for x in cols["amount"]], dtype="S16")})
    write(p("member_id_float"), "transactions", cols, attrs,
          replace={"member_id": cols["member_id"].astype(np.float64)})
    write(p("unequal_lengths"), "transactions", cols, attrs, replace={"date": cols["date"][:-5]})
    a = cols["amount"].copy()
    a[NAN_ROW] = np.nan
    write(p("nan_amount"), "transactions", cols, attrs, replace={"amount": a})
    a = cols["amount"].copy()
    a[140] = np.nan  # on the last rank's rows at np 3 (150 rows)
    write(p("nan_amount_late"), "transactions", cols, attrs, replace={"amount": a})


def results(good, out):
    p = lambda case: os.path.join(out, f"r_{case}.h5")
    with h5py.File(good, "r") as f, h5py.File(p("no_group"), "w") as g:
        f.copy("results", g, name="output")
    shutil.copy(good, p("no_member_id"))
    with h5py.File(p("no_member_id"), "a") as f:
        del f["results/member_id"]
        if "report" in f:
            del f["report"]


if __name__ == "__main__":
    kind, good, out = sys.argv[1:4]
    {"members": members, "transactions": transactions, "results": results}[kind](good, out)
