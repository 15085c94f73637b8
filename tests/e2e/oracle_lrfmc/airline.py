#!/usr/bin/env python3
"""airline.py: a synthetic airline-like member table and its independent checks.

  airline.py make --out T.csv --members N [--seed S] [--no-fares] [--late-joiners SHARE]
      CSV in the column layout of the classic airline export (MEMBER_NO, FFP_DATE,
      LOAD_TIME, FLIGHT_COUNT, SEG_KM_SUM, LAST_TO_END, avg_discount, and SUM_YR_1,
      SUM_YR_2 unless --no-fares), no money column. Five overlapping, skewed groups
      like the LRFMC study's: frequent high-mileage flyers, high-discount flyers,
      long-standing members, new members, lapsed members. A share of members joined
      after their last recorded flight (flights credited retroactively).
  airline.py check --csv T.csv --results R.h5 [--summary S.json] [--ari-min 0.99]
      Recomputes L, R, F, M, C from the CSV with pandas (README rules), z-scores them
      (population sd) and fits scikit-learn KMeans(k=5, n_init=10); checks the
      results' features, every member kept (status ok), the late joiners counted,
      ARI(cvseg clusters, sklearn) >= --ari-min, the five names unique, and that the
      high F/M cluster is important_keep and the high C cluster important_develop.
Prints one "ok"/"FAIL" line per check; exits 1 on a failure.
"""
import argparse
import json
import sys

import h5py
import numpy as np
import pandas as pd

LOAD = pd.Timestamp("2014-03-31")


def make(a):
    rng = np.random.default_rng(a.seed)
    n = a.members
    # group: share, L months (mean, sd), R days (scale), F (lognormal mu), km per flight, C (mean)
    groups = [(0.08, 60, 25, 20, 3.0, 1700, 0.85), (0.15, 45, 30, 60, 1.6, 1500, 1.10),
              (0.27, 95, 20, 90, 1.9, 1300, 0.68), (0.30, 22, 10, 110, 1.5, 1200, 0.66),
              (0.20, 40, 20, 420, 0.7, 1100, 0.62)]
    share = np.array([g[0] for g in groups])
    g = rng.choice(5, size=n, p=share / share.sum())
    par = np.array([g_[1:] for g_ in groups])[g]
    length = np.clip(rng.normal(par[:, 0], par[:, 1]), 12.5, 114)
    recency = np.clip(rng.exponential(par[:, 2]), 1, 730).astype(int)
    flights = np.maximum(2, np.round(rng.lognormal(par[:, 3], 0.55))).astype(int)
    km = np.round(flights * par[:, 4] * rng.lognormal(0, 0.35, n))
    disc = np.clip(rng.normal(par[:, 5], 0.12), 0.11, 1.5)
    last = LOAD - pd.to_timedelta(recency, unit="D")
    join = LOAD - pd.to_timedelta(np.round(length * 30.4375), unit="D")
    late = rng.random(n) < a.late_joiners
    join = np.where(late, last + pd.to_timedelta(rng.integers(1, 90, n), unit="D"), join)
    join = pd.to_datetime(join)
    df = pd.DataFrame({
        "MEMBER_NO": rng.permutation(np.arange(10, 10 + 3 * n, 3))[:n],
        "FFP_DATE": [f"{d.year}/{d.month}/{d.day}" for d in join],
        "LOAD_TIME": "2014/3/31",
        "FLIGHT_COUNT": flights,
        "SEG_KM_SUM": km.astype(int),
        "LAST_TO_END": recency,
        "avg_discount": np.round(disc, 9),
    })
    if not a.no_fares:
        fare = np.round(km * disc * 0.6)
        df["SUM_YR_1"] = np.round(fare * 0.45)
        df["SUM_YR_2"] = fare - df["SUM_YR_1"]
    df.to_csv(a.out, index=False)


def report(ok, name, detail=""):
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else f": {detail}"))
    return ok


def enum_names(ds):
    mapping = {v: k for k, v in h5py.check_enum_dtype(ds.dtype).items()}
    return np.array([mapping[v] for v in ds[:]], dtype=object)


def ari(a, b):
    from sklearn.metrics import adjusted_rand_score
    return adjusted_rand_score(a, b)


def check(a):
    from sklearn.cluster import KMeans
    df = pd.read_csv(a.csv)
    join = pd.to_datetime(df["FFP_DATE"], format="%Y/%m/%d")
    feats = pd.DataFrame({
        "length": (LOAD - join).dt.days / 30.4375,
        "recency": df["LAST_TO_END"].astype(float),
        "frequency": df["FLIGHT_COUNT"].astype(float),
        "mileage": df["SEG_KM_SUM"].astype(float),
        "discount": df["avg_discount"].astype(float),
    })
    ok = True
    with h5py.File(a.results, "r") as f:
        g = f["/results"]
        ids = g["member_id"][:]
        status = enum_names(g["status"])
        got = {c: g[c][:] for c in feats.columns}
        cluster = g["cluster"][:]
        labels = enum_names(g["cluster_label"])
    ok &= report(np.array_equal(ids, df["MEMBER_NO"].to_numpy()), "results keep every member in input order")
    ok &= report((status == "ok").all(), "every member kept (status ok)", f"{(status != 'ok').sum()} not ok")
    for c in feats.columns:
        ok &= report(np.allclose(got[c], feats[c].to_numpy(), rtol=1e-12, atol=1e-9), f"{c} = the pandas value")
    z = (feats - feats.mean()) / feats.std(ddof=0)
    km = KMeans(n_clusters=5, n_init=10, random_state=0).fit(z.to_numpy())
    score = ari(cluster, km.labels_)
    ok &= report(score >= a.ari_min, f"ARI vs scikit-learn KMeans(n_init=10) = {score:.4f} >= {a.ari_min}")
    names = {}
    for c in range(5):
        names.setdefault(c, set(labels[cluster == c]))
    flat = [next(iter(v)) for v in names.values() if len(v) == 1]
    ok &= report(len(flat) == 5 and len(set(flat)) == 5, "five clusters, five different names", str(names))
    centres = z.groupby(cluster).mean()
    fm = (centres["frequency"] + centres["mileage"]).idxmax()
    cabin = centres["discount"].idxmax()
    ok &= report(names[fm] == {"important_keep"}, "high F/M cluster is important_keep", str(names[fm]))
    ok &= report(names[cabin] == {"important_develop"}, "high C cluster is important_develop", str(names[cabin]))
    late = int((join > LOAD - pd.to_timedelta(df["LAST_TO_END"], unit="D")).sum())
    if a.summary:
        doc = json.load(open(a.summary))
        counted = doc["data_quality"].get("joined_after_last_flight")
        ok &= report(counted == late and late > 0, f"joined_after_last_flight = {late} (pandas)", str(counted))
        if a.expect_fare_rules:
            ok &= report(a.expect_fare_rules in doc.get("fare_rules", ""), f"fare_rules says '{a.expect_fare_rules}'",
                         doc.get("fare_rules"))
    return ok


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make")
    m.add_argument("--out", required=True)
    m.add_argument("--members", type=int, required=True)
    m.add_argument("--seed", type=int, default=1)
    m.add_argument("--no-fares", action="store_true")
    m.add_argument("--late-joiners", type=float, default=0.02)
    c = sub.add_parser("check")
    c.add_argument("--csv", required=True)
    c.add_argument("--results", required=True)
    c.add_argument("--summary")
    c.add_argument("--ari-min", type=float, default=0.99)
    c.add_argument("--expect-fare-rules")
    a = p.parse_args()
    if a.cmd == "make":
        make(a)
        return 0
    return 0 if check(a) else 1


if __name__ == "__main__":
    sys.exit(main())
