#!/usr/bin/env python3
"""Order-aware aggregation oracle for `cvseg aggregate --frequency` (issue 12).

  orders.py make LOG.h5            writes /transactions with order ids
  orders.py check LOG.h5 MEMBERS.h5 REFERENCE MODE RETURNS [SUMMARY.json]
  orders.py rfm MEMBERS.h5 RESULTS.h5 SUMMARY.json

Written from the README's rule table, with pandas group-bys, never from
cvseg's output. Amounts are multiples of 0.25, so every sum is exact in any
order and values are compared with ==. Prints "ok NAME" / "FAIL NAME: ...";
exit status 1 when a check failed.
"""
import json
import math
import sys

import h5py
import numpy as np
import pandas as pd

failures = []


def report(name, ok, detail=""):
    print(f"ok   {name}" if ok else f"FAIL {name}: {detail}")
    if not ok:
        failures.append(name)


def day(iso):
    return int((np.datetime64(iso) - np.datetime64("1970-01-01")).astype(int))


def make(path):
    rng = np.random.default_rng(12)
    rows = []  # (member, order, date, amount)
    base = day("2011-01-01")
    order = 500000
    for member in range(1, 301):
        for _ in range(int(rng.integers(1, 6))):
            order += 1
            d = base + int(rng.integers(0, 300))
            for _ in range(int(rng.integers(1, 5))):  # line items, some a day later
                rows.append((member, order, d + int(rng.integers(0, 2) == 0 and rng.random() < 0.1),
                             float(rng.integers(1, 400)) * 0.25))
            if rng.random() < 0.15:  # cancellation: its own order, negative
                order += 1
                rows.append((member, order, d + int(rng.integers(0, 20)), -float(rng.integers(1, 400)) * 0.25))
    # Named cases.
    rows += [(9001, 1, base + 10, 20.0), (9001, 1, base + 10, 5.5), (9001, 1, base + 12, 1.0),  # multi-row, multi-day order
             (9001, 2, base + 30, 8.0), (9001, 2, base + 30, -12.0),  # cancelled order: negative net
             (9001, 3, base + 40, 3.0), (9001, 4, base + 40, 2.0),  # two orders, one day
             (9002, 7, base + 50, -10.0), (9002, 8, base + 60, -2.5),  # only returns: no purchase
             (9003, 9, base + 5, 10.0), (9003, 10, base + 70, -30.0),  # a purchase, net M <= 0
             (9004, 11, base + 80, 5.0), (9004, 11, base + 80, -5.0), (9004, 12, base + 90, 4.0),  # zero-net order
             (9005, 13, base + 100, 7.0), (9005, 14, base + 400, 9.0),  # a row after the reference date
             (9006, 1, base + 20, 6.0),  # order id 1 also used by member 9001
             (-7, -3, base + 1, 0.0), (-7, -4, base + 2, 1.25),  # negative ids, a zero row
             (9007, 15, base + 3, 4.0), (9007, 15, base + 3, -4.0)]  # one zero-net order only: no purchase
    rows = [rows[i] for i in rng.permutation(len(rows))]
    with h5py.File(path, "w") as f:
        g = f.create_group("transactions")
        g.create_dataset("member_id", data=np.array([r[0] for r in rows], dtype=np.int64))
        g.create_dataset("order_id", data=np.array([r[1] for r in rows], dtype=np.int64))
        g.create_dataset("date", data=np.array([r[2] for r in rows], dtype=np.int32))
        g.create_dataset("amount", data=np.array([r[3] for r in rows], dtype=np.float64))


def expected(log, reference, mode, returns):
    """The README rules: purchases per mode, dates of purchases, net M."""
    t = log[log.date <= reference]
    if returns == "drop":
        t = t[t.amount > 0]
    members = t.groupby("member_id").agg(monetary=("amount", "sum"), lo=("date", "min"), hi=("date", "max"))
    if mode == "rows":
        p = t.assign(day=t.date, net=1.0)
    else:
        key = "order_id" if mode == "orders" else "date"
        p = t.groupby(["member_id", key]).agg(net=("amount", "sum"), day=("date", "min")).reset_index()
        members["orders"] = p.groupby("member_id").size()
        p = p[p.net > 0]
    per = p.groupby("member_id").agg(frequency=("day", "size"), first_purchase=("day", "min"),
                                     last_purchase=("day", "max"), distinct_days=("day", "nunique"))
    m = members.join(per)
    buyer = m.frequency.notna()
    m.loc[~buyer, ["frequency", "distinct_days"]] = 0
    m.loc[~buyer, "first_purchase"] = m.lo[~buyer]
    m.loc[~buyer, "last_purchase"] = m.hi[~buyer]
    first = t.member_id.map(m.first_purchase)
    later = t[(t.date > first) & t.member_id.map(buyer)]
    m["repeat_monetary"] = later.groupby("member_id").amount.sum()
    m["repeat_monetary"] = m.repeat_monetary.fillna(0.0)
    return m.sort_index(), t


def check(log_path, members_path, reference_iso, mode, returns, summary_path=None):
    with h5py.File(log_path, "r") as f:
        log = pd.DataFrame({k: f["transactions"][k][()] for k in ("member_id", "order_id", "date", "amount")})
    reference = day(reference_iso)
    m, t = expected(log, reference, mode, returns)
    with h5py.File(members_path, "r") as f:
        g = f["members"]
        got = pd.DataFrame({k: g[k][()] for k in ("member_id", "first_purchase", "last_purchase", "frequency",
                                                   "monetary", "distinct_days", "repeat_monetary")})
        report(f"{mode}/{returns} frequency_mode attribute", g.attrs["frequency_mode"] in (mode, mode.encode()),
               str(g.attrs["frequency_mode"]))
    report(f"{mode}/{returns} member ids ascending", list(got.member_id) == list(m.index),
           f"{len(got)} vs {len(m)}")
    if len(got) == len(m):
        for col in ("first_purchase", "last_purchase", "frequency", "monetary", "distinct_days", "repeat_monetary"):
            bad = np.flatnonzero(got[col].to_numpy() != m[col].to_numpy().astype(got[col].dtype))
            report(f"{mode}/{returns} {col}", len(bad) == 0,
                   f"{len(bad)} differ, e.g. member {m.index[bad[0]] if len(bad) else ''}: "
                   f"{got[col].iloc[bad[0]] if len(bad) else ''} vs {m[col].iloc[bad[0]] if len(bad) else ''}")
    if summary_path:
        s = json.load(open(summary_path))
        want = {"frequency_mode": mode, "purchases": int(m.frequency.sum()),
                "no_purchase_members": int((m.frequency == 0).sum()), "members": len(m),
                "rows_used": len(t)}
        if mode == "orders":
            want["orders"] = int(m.orders.sum())
        for key, value in want.items():
            report(f"{mode}/{returns} summary {key}", s.get(key) == value, f"{s.get(key)} vs {value}")
        npm = int(((m.frequency > 0) & (m.monetary <= 0)).sum())
        report(f"{mode}/{returns} summary data_quality.non_positive_monetary",
               s["data_quality"]["non_positive_monetary"] == npm, f"{s['data_quality']} vs {npm}")
    if mode == "orders" and returns == "net":  # the named cases, spelled out
        e = {9001: (3, 27.5), 9002: (0, -12.5), 9003: (1, -20.0), 9004: (1, 4.0), 9005: (1, 7.0), 9007: (0, 0.0)}
        for member, (f, mon) in e.items():
            row = got[got.member_id == member]
            report(f"named member {member}: F {f}, M {mon}",
                   len(row) == 1 and int(row.frequency.iloc[0]) == f and float(row.monetary.iloc[0]) == mon,
                   row.to_dict("records"))


def exact_edges(values):
    v = np.sort(values)
    n = len(v)
    return [v[math.ceil(k * n / 5) - 1] for k in range(1, 5)]


def rfm(members_path, results_path, summary_path):
    """rfm on the aggregate: F = 0 members are no_purchase and unscored; the
    others scored on quintile edges of the scored members only."""
    with h5py.File(members_path, "r") as f:
        g = f["members"]
        m = pd.DataFrame({k: g[k][()] for k in ("member_id", "last_purchase", "frequency", "monetary")})
        reference = int(g.attrs["reference_date"])
    with h5py.File(results_path, "r") as f:
        r = f["results"]
        names = {v: k for k, v in h5py.check_enum_dtype(r["status"].dtype).items()}
        status = np.array([names[v] for v in r["status"][()]])
        scores = {k: r[k][()] for k in ("r_score", "f_score", "m_score")}
        seg_names = {v: k for k, v in h5py.check_enum_dtype(r["segment"].dtype).items()}
        segment = np.array([seg_names[v] for v in r["segment"][()]])
        report("rfm keeps every member", list(r["member_id"][()]) == list(m.member_id))
    none = m.frequency.to_numpy() == 0
    report("rfm status no_purchase exactly for F = 0", list(status == "no_purchase") == list(none),
           f"{(status == 'no_purchase').sum()} vs {none.sum()}")
    report("rfm other members ok", bool((status[~none] == "ok").all()))
    report("rfm no_purchase members unscored",
           all((scores[k][none] == 0).all() for k in scores) and bool((segment[none] == "none").all()))
    ok = m[~none]
    R = (reference - ok.last_purchase).to_numpy(dtype=float)
    F = ok.frequency.to_numpy(dtype=float)
    M = ok.monetary.to_numpy(dtype=float)
    want = {"r_score": [5 - sum(e < x for e in exact_edges(R)) for x in R],
            "f_score": [1 + sum(e < x for e in exact_edges(F)) for x in F],
            "m_score": [1 + sum(e < x for e in exact_edges(M)) for x in M]}
    for k, w in want.items():
        report(f"rfm {k} of scored members (edges over them only)", list(scores[k][~none]) == w)
    s = json.load(open(summary_path))
    q = s["data_quality"]
    report("rfm summary data_quality.no_purchase", q.get("no_purchase") == int(none.sum()), str(q))
    report("rfm summary data_quality.non_positive_monetary",
           q.get("non_positive_monetary") == int((M <= 0).sum()), str(q))
    report("rfm summary members_scored", s["members_scored"] == len(ok))


if __name__ == "__main__":
    verb = sys.argv[1]
    if verb == "make":
        make(sys.argv[2])
    elif verb == "check":
        check(*sys.argv[2:])
    else:
        rfm(*sys.argv[2:])
    sys.exit(1 if failures else 0)
