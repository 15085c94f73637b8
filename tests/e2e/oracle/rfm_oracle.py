#!/usr/bin/env python3
"""Independent RFM oracle for the CDNOW files.

Recomputes, from the raw CDNOW text only (pandas/numpy, never cvseg's output),
every member's recency, frequency and monetary value at a reference date, the
global quintile edges, r/f/m scores, RFM cell, the eight value segments, ABC
classes and the customer value matrix, and compares them with a cvseg
/results file (and optionally a --summary JSON document).

Prints one line per check: "ok NAME" or "FAIL NAME: DETAIL" (and "note ..."
lines that are informational). Exit status 0 when every check passed, 1 if not.

Rules (tests/e2e/test_rfm_cdnow.sh documents where they come from):
  R = days from the last purchase to the reference date; F = transaction rows;
  M = sum of dollar_value.
  Quintile edge k (k = 1..4) = the value at ascending position ceil(k*N/5)
  (1-based) of the sorted values; numpy.quantile(method="inverted_cdf") at
  0.2..0.8 is computed as well and any difference is reported.
  F, M score = 1 + number of edges strictly below the value; R score =
  5 - number of R edges strictly below R (5 = most recent).
  Segments: High F if F > mean F, High M if M > mean M, High R if R < mean R.
  ABC: sort by M descending; A = M >= M at position ceil(0.15 N); B = M >= M
  at position ceil(0.40 N) and not A; else C.
  Value matrix: amount = M / F; frequent = F > mean F; big = amount > mean
  amount; quality (F, big), spender (not F, big), frequent (F, not big),
  uncertain.
"""
import argparse
import json
import math
import sys

import h5py
import numpy as np
import pandas as pd

from rfm_rules import SEGMENTS, abc_classes, edges_below, enum_names, exact_edges, failures
from rfm_rules import report, report_equal, segments, value_matrix


def read_cdnow(path, layout):
    if layout == "master":
        t = pd.read_csv(path, sep=r"\s+", dtype={"customer_id": np.int64, "date": str})
        t = t.rename(columns={"customer_id": "member_id", "dollar_value": "amount"})
    else:
        t = pd.read_csv(path, sep=r"\s+", header=None, dtype={0: np.int64, 2: str})
        t = t.rename(columns={0: "member_id", 2: "date", 4: "amount"})
    t["day"] = (pd.to_datetime(t["date"], format="%Y%m%d") - pd.Timestamp("1970-01-01")).dt.days
    return t[["member_id", "day", "amount"]]


def oracle(t, reference_day):
    t = t[t["day"] <= reference_day]
    g = t.groupby("member_id", sort=True)
    m = pd.DataFrame(
        {
            "recency": reference_day - g["day"].max(),
            "frequency": g.size(),
            "monetary": g["amount"].sum(),
        }
    )
    n = len(m)
    R = m["recency"].to_numpy(np.float64)
    F = m["frequency"].to_numpy(np.float64)
    M = m["monetary"].to_numpy(np.float64)
    edges = {}
    numpy_edges = {}
    for name, x in (("recency", R), ("frequency", F), ("monetary", M)):
        edges[name] = exact_edges(x)
        numpy_edges[name] = np.quantile(x, [0.2, 0.4, 0.6, 0.8], method="inverted_cdf")
    m["r_score"] = 5 - edges_below(R, edges["recency"])
    m["f_score"] = 1 + edges_below(F, edges["frequency"])
    m["m_score"] = 1 + edges_below(M, edges["monetary"])
    m["rfm_cell"] = 100 * m["r_score"] + 10 * m["f_score"] + m["m_score"]
    r_high, f_high, m_high = R < R.mean(), F > F.mean(), M > M.mean()
    m["segment"] = segments(r_high, f_high, m_high)
    desc = np.sort(M)[::-1]
    cut_a = desc[math.ceil(0.15 * n) - 1]
    cut_b = desc[math.ceil(0.40 * n) - 1]
    m["abc_class"] = abc_classes(M, cut_a, cut_b)
    amount = M / F
    big = amount > amount.mean()
    m["value_matrix"] = value_matrix(f_high, big)
    extra = {
        "edges": edges,
        "numpy_edges": numpy_edges,
        "cuts": (cut_a, cut_b),
        "means": {"recency": R.mean(), "frequency": F.mean(), "monetary": M.mean(), "amount": amount.mean()},
    }
    return m, extra


def compare(m, extra, results_path, summary_path, ranks, threads, label):
    f = h5py.File(results_path, "r")
    g = f["results"]
    ids = g["member_id"][:]
    report(f"{label}: /results has one row per oracle member", len(ids) == len(m), f"{len(ids)} rows, oracle {len(m)}")
    report(f"{label}: member ids are unique and equal the oracle's set",
           len(np.unique(ids)) == len(ids) and set(ids.tolist()) == set(m.index.tolist()), "id sets differ")
    if len(ids) != len(m) or set(ids.tolist()) != set(m.index.tolist()):
        return
    o = m.loc[ids]
    if "status" in g:
        st = enum_names(g["status"])
        report(f"{label}: every member has status ok", (st == "ok").all(), f"{(st != 'ok').sum()} not ok")
    for name in ("recency", "frequency"):
        got = g[name][:]
        bad = np.flatnonzero(got != o[name].to_numpy())
        report(f"{label}: {name} exact for every member", len(bad) == 0,
               f"{len(bad)} differ, e.g. member {ids[bad[0]] if len(bad) else ''}: "
               f"{got[bad[0]] if len(bad) else ''} vs {o[name].to_numpy()[bad[0]] if len(bad) else ''}")
    got = g["monetary"][:]
    want = o["monetary"].to_numpy()
    rel = np.abs(got - want) / np.maximum(np.abs(want), 1e-300)
    bad = np.flatnonzero((rel > 1e-9) & (np.abs(got - want) > 0))
    report(f"{label}: monetary within 1e-9 relative for every member", len(bad) == 0,
           f"{len(bad)} differ, e.g. member {ids[bad[0]] if len(bad) else ''}")
    for name in ("r_score", "f_score", "m_score", "rfm_cell"):
        report_equal(f"{label}: {name} identical for every member", ids, g[name][:].astype(np.int64),
                     o[name].to_numpy(np.int64),
                     lambda i: f"R {o['recency'].iloc[i]}, F {o['frequency'].iloc[i]}, M {o['monetary'].iloc[i]}")
    for name in ("segment", "abc_class", "value_matrix"):
        got = enum_names(g[name])
        if got is None:
            report(f"{label}: {name} is an HDF5 enum", False, f"dtype {g[name].dtype}")
            continue
        report_equal(f"{label}: {name} identical for every member", ids, got, o[name].to_numpy(object))

    # Ties: members whose spend is equal to the cent (and whose F is equal) must not be split
    # into different m_score / abc_class / value_matrix values, whatever the summation order.
    cents = np.round(o["monetary"].to_numpy() * 100).astype(np.int64)
    df = pd.DataFrame({"cents": cents, "F": o["frequency"].to_numpy(), "m_score": g["m_score"][:],
                       "abc_class": g["abc_class"][:], "value_matrix": g["value_matrix"][:]})
    for name, keys in (("m_score", ["cents"]), ("abc_class", ["cents"]), ("value_matrix", ["cents", "F"])):
        k = df.groupby(keys)[name].nunique()
        k = k[k > 1]
        report(f"{label}: members with equal spend (to the cent) share one {name}", len(k) == 0,
               f"{len(k)} values split, e.g. {k.index[0] if len(k) else ''}")

    # Edge rule: exact integer rank versus numpy's float quantile.
    for name in ("recency", "frequency", "monetary"):
        e, ne = extra["edges"][name], extra["numpy_edges"][name]
        if not np.array_equal(e, ne):
            print(f"note {label}: numpy inverted_cdf edges for {name} {ne.tolist()} differ from the exact-rank "
                  f"edges {e.tolist()} (float rounding of q*N); the exact-rank edges are the reference")
    if summary_path:
        s = json.load(open(summary_path))
        for key in ("members", "ranks", "threads", "phases"):
            report(f"{label}: summary has key '{key}'", key in s, f"keys: {sorted(s)}")
        report(f"{label}: summary phases is an object of seconds",
               isinstance(s.get("phases"), dict) and len(s["phases"]) > 0
               and all(isinstance(v, (int, float)) and v >= 0 for v in s["phases"].values()),
               f"phases: {s.get('phases')}")
        report(f"{label}: summary members = {len(m)}", s.get("members") == len(m), f"members: {s.get('members')}")
        if ranks is not None:
            report(f"{label}: summary ranks = {ranks}", s.get("ranks") == ranks, f"ranks: {s.get('ranks')}")
        if threads is not None:
            report(f"{label}: summary threads = {threads}", s.get("threads") == threads, f"threads: {s.get('threads')}")
        want_counts = m["segment"].value_counts().to_dict()
        got_counts = {}
        segs = s.get("segments")
        if isinstance(segs, list):
            got_counts = {x.get("name"): x.get("members") for x in segs}
        elif isinstance(segs, dict):
            got_counts = {k: (v.get("members") if isinstance(v, dict) else v) for k, v in segs.items()}
        ok = all(got_counts.get(k, 0) == want_counts.get(k, 0) for k in SEGMENTS.values())
        report(f"{label}: summary segment counts equal the oracle's", ok,
               f"summary {got_counts}, oracle {want_counts}")
        q = s.get("quintiles", {})
        # R and F edges exact; M edges to 1e-9 relative (sums of cents may differ in the last bit).
        ok = all(len(q.get(n, {}).get("edges", [])) == 4 for n in ("recency", "frequency", "monetary"))
        ok = ok and all(np.array_equal(np.array(q[n]["edges"]), extra["edges"][n]) for n in ("recency", "frequency"))
        ok = ok and np.allclose(np.array(q["monetary"]["edges"]), extra["edges"]["monetary"], rtol=1e-9, atol=0)
        report(f"{label}: summary quintile edges equal the oracle's", ok,
               f"summary { {n: q.get(n, {}).get('edges') for n in ('recency', 'frequency', 'monetary')} }, "
               f"oracle { {n: extra['edges'][n].tolist() for n in extra['edges']} }")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--text", required=True)
    p.add_argument("--layout", choices=("master", "sample"), default="master")
    p.add_argument("--reference-date", required=True)
    p.add_argument("--results", required=True)
    p.add_argument("--summary")
    p.add_argument("--ranks", type=int)
    p.add_argument("--threads", type=int)
    p.add_argument("--label", default="oracle")
    a = p.parse_args()
    reference_day = int((np.datetime64(a.reference_date) - np.datetime64("1970-01-01")).astype(int))
    m, extra = oracle(read_cdnow(a.text, a.layout), reference_day)
    compare(m, extra, a.results, a.summary, a.ranks, a.threads, a.label)
    return 0 if failures() == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
