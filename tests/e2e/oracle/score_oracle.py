#!/usr/bin/env python3
"""Helpers for tests/e2e/test_score.sh (independent of cvseg: numpy/h5py only).

  score_oracle.py snapshot --in DAY1.h5 --out DAY2.h5 [--seed S] [--monetary-factor X]
      Builds a day-2 member snapshot from day 1: rows shuffled, 10 % of members
      dropped, 5 % new members (copies of existing rows with new unique ids and
      changed values), monetary of 5 % of members scaled; then, with
      --monetary-factor, every monetary value multiplied by X. The reference date
      moves one day on.

  score_oracle.py check --members M.h5 --model MODEL.h5 --results R.h5 [--label L]
      Applies the frozen model by hand (reading only the members file and the
      model's datasets) and compares every member's cluster, cluster_label,
      cluster_distance, r/f/m scores, rfm_cell, segment, abc_class and
      value_matrix with /results. With --expect-m5-share X also checks that the
      frozen edges put at least that share of members into m_score 5 and that
      edges recomputed on the snapshot would score differently.

  score_oracle.py same --a R1.h5 --b R2.h5 --datasets a,b,c
      Joins on member_id and checks the named datasets are identical.

Prints "ok NAME" / "FAIL NAME: DETAIL" lines; exit 1 if any check failed.
"""
import argparse
import sys

import h5py
import numpy as np

from rfm_rules import abc_classes, edges_below, enum_names, exact_edges, failures
from rfm_rules import report, report_equal, segments, value_matrix


def decode(a):
    return a.decode() if isinstance(a, bytes) else str(a)


def snapshot(a):
    rng = np.random.default_rng(a.seed)
    with h5py.File(a.inp, "r") as f:
        g = f["members"]
        cols = {k: g[k][:] for k in g if isinstance(g[k], h5py.Dataset)}
        attrs = dict(g.attrs)
    n = len(cols["member_id"])
    reference = int(attrs["reference_date"]) + 1
    keep = np.sort(rng.choice(n, size=n - n // 10, replace=False))
    cols = {k: v[keep] for k, v in cols.items()}
    n_new = n // 20
    src = rng.choice(len(keep), size=n_new, replace=False)
    new = {k: v[src].copy() for k, v in cols.items()}
    used = set(cols["member_id"].tolist())
    ids = []
    while len(ids) < n_new:
        c = int(rng.integers(1, 2**62))
        if c not in used:
            used.add(c)
            ids.append(c)
    new["member_id"] = np.array(ids, dtype=np.int64)
    new["monetary"] = np.round(new["monetary"] * rng.uniform(0.5, 2.0, n_new), 2)
    new["frequency"] = (new["frequency"] + rng.integers(0, 4, n_new)).astype(np.int32)
    new["last_purchase"] = np.minimum(new["last_purchase"] + rng.integers(0, 30, n_new), reference).astype(np.int32)
    cols = {k: np.concatenate([cols[k], new[k]]) for k in cols}
    m = len(cols["member_id"])
    scaled = rng.choice(m, size=m // 20, replace=False)
    cols["monetary"][scaled] = np.round(cols["monetary"][scaled] * 1.5, 2)
    if a.monetary_factor != 1.0:
        cols["monetary"] = cols["monetary"] * a.monetary_factor
    order = rng.permutation(m)
    with h5py.File(a.out, "w") as f:
        g = f.create_group("members")
        for k, v in cols.items():
            g.create_dataset(k, data=v[order])
        for k, v in attrs.items():
            g.attrs[k] = v
        g.attrs["reference_date"] = np.int32(reference)
    print(f"snapshot {a.out}: {m} members ({n - len(keep)} dropped, {n_new} new, {len(scaled)} scaled)")
    return 0


def transform(name, x):
    if name == "none":
        return x
    if name == "log1p":
        return np.sign(x) * np.log1p(np.abs(x))
    raise SystemExit(f"unknown transform {name}")


def check(a):
    label = a.label
    with h5py.File(a.members, "r") as f:
        g = f["members"]
        ids = g["member_id"][:]
        reference = int(g.attrs["reference_date"])
        R = (reference - g["last_purchase"][:]).astype(np.float64)
        F = g["frequency"][:].astype(np.float64)
        M = g["monetary"][:].astype(np.float64)
    with h5py.File(a.model, "r") as f:
        mo = f["model"]
        names = decode(mo.attrs["feature_names"]).split(",")
        transforms = decode(mo.attrs["transforms"]).split(",")
        mean, sd = mo["scaler_mean"][:], mo["scaler_sd"][:]
        centroids = mo["centroids"][:]
        edges = mo["quintile_edges"][:]
        baseline = mo["segment_baseline"][:]
        abc_cut = mo["abc_cut"][:]
        vm_base = mo["value_matrix_baseline"][:]
        label_codes = mo["cluster_label"][:]
        label_names = decode(mo.attrs["cluster_label_names"]).split(",")
        recency_order = decode(mo.attrs["recency_order"])
    report(f"{label}: model features are recency,frequency,monetary", names == ["recency", "frequency", "monetary"],
           f"{names}")
    X = np.column_stack([transform(t, x) for t, x in zip(transforms, (R, F, M))])
    z = (X - mean) / sd
    d2 = ((z[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=2)
    cluster = d2.argmin(axis=1)
    srt = np.sort(d2, axis=1)
    near_tie = np.flatnonzero(srt[:, 1] - srt[:, 0] <= 1e-9 * np.maximum(srt[:, 1], 1.0))
    r_score = (5 - edges_below(R, edges[0])) if recency_order == "recent-high" else (1 + edges_below(R, edges[0]))
    f_score = 1 + edges_below(F, edges[1])
    m_score = 1 + edges_below(M, edges[2])
    rh, fh, mh = R < baseline[0], F > baseline[1], M > baseline[2]
    segment = segments(rh, fh, mh)
    abc = abc_classes(M, abc_cut[0], abc_cut[1]).astype(object)
    amount = M / F
    freq, big = F > vm_base[0], amount > vm_base[1]
    vm = value_matrix(freq, big).astype(object)

    with h5py.File(a.results, "r") as f:
        g = f["results"]
        rid = g["member_id"][:]
        report(f"{label}: /results keeps the snapshot's member order", np.array_equal(rid, ids),
               f"{len(rid)} rows vs {len(ids)}")
        if not np.array_equal(rid, ids):
            return
        for name, want in (("recency", R), ("frequency", F), ("monetary", M)):
            got = g[name][:].astype(np.float64)
            report(f"{label}: {name} feature from the snapshot (reference date {reference})",
                   np.array_equal(got, want), f"{np.count_nonzero(got != want)} differ")
        status = enum_names(g["status"])
        report(f"{label}: every member scored (status ok)", (status == "ok").all(), f"{(status != 'ok').sum()} not ok")
        got_cluster = g["cluster"][:].astype(np.int64)
        bad = np.setdiff1d(np.flatnonzero(got_cluster != cluster), near_tie)
        report(f"{label}: cluster = nearest frozen centroid of the frozen-scaler z for every member", len(bad) == 0,
               f"{len(bad)} differ ({len(near_tie)} near ties ignored), e.g. member {rid[bad[0]] if len(bad) else ''}: "
               f"cvseg {got_cluster[bad[0]] if len(bad) else ''}, oracle {cluster[bad[0]] if len(bad) else ''}")
        dist = np.sqrt(d2[np.arange(len(cluster)), cluster])
        got = g["cluster_distance"][:].astype(np.float64)
        ok = np.allclose(got, dist, rtol=1e-5, atol=1e-5)
        report(f"{label}: cluster_distance = distance to the centroid (float32)", ok,
               f"max abs diff {np.max(np.abs(got - dist))}")
        want_label = np.array([label_names[label_codes[c]] for c in cluster], dtype=object)
        got_label = enum_names(g["cluster_label"])
        bad = np.setdiff1d(np.flatnonzero(got_label != want_label), near_tie)
        report(f"{label}: cluster_label = the model's label of the cluster", len(bad) == 0, f"{len(bad)} differ")
        for name, want in (("r_score", r_score), ("f_score", f_score), ("m_score", m_score),
                           ("rfm_cell", 100 * r_score + 10 * f_score + m_score)):
            report_equal(f"{label}: {name} from the frozen quintile edges", rid, g[name][:].astype(np.int64), want,
                         lambda i: f"R {R[i]}, F {F[i]}, M {M[i]}")
        for name, want in (("segment", segment), ("abc_class", abc), ("value_matrix", vm)):
            report_equal(f"{label}: {name} from the frozen thresholds", rid, enum_names(g[name]), want)
        if a.expect_m5_share is not None:
            share = float((g["m_score"][:] == 5).mean())
            report(f"{label}: frozen edges put >= {a.expect_m5_share:.0%} of members into m_score 5",
                   share >= a.expect_m5_share, f"share {share:.3f}")
            recomputed = 1 + edges_below(M, exact_edges(M))
            differ = np.flatnonzero(recomputed != g["m_score"][:])
            ex = (f"e.g. member {rid[differ[0]]} M {M[differ[0]]}: cvseg {g['m_score'][differ[0]]}, "
                  f"recomputed edges would give {recomputed[differ[0]]}") if len(differ) else ""
            print(f"note {label}: {len(differ)} members score differently under recomputed edges; {ex}")
            report(f"{label}: m_score is not from edges recomputed on the snapshot", len(differ) > 0, "no member differs")
    return 0


def same(a):
    fa, fb = h5py.File(a.a, "r")["results"], h5py.File(a.b, "r")["results"]
    ia, ib = fa["member_id"][:], fb["member_id"][:]
    report(f"{a.label}: same member set", len(ia) == len(ib) and set(ia.tolist()) == set(ib.tolist()),
           f"{len(ia)} vs {len(ib)} members")
    if len(ia) != len(ib) or set(ia.tolist()) != set(ib.tolist()):
        return 0
    pa, pb = np.argsort(ia), np.argsort(ib)
    for name in a.datasets.split(","):
        if name not in fa or name not in fb:
            report(f"{a.label}: {name} identical", False, "missing")
            continue
        x, y = fa[name][:][pa], fb[name][:][pb]
        bad = np.flatnonzero(x != y)
        report(f"{a.label}: {name} identical for every member", len(bad) == 0,
               f"{len(bad)} differ, e.g. member {ia[pa][bad[0]] if len(bad) else ''}: {x[bad[0]] if len(bad) else ''} "
               f"vs {y[bad[0]] if len(bad) else ''}")
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("snapshot")
    s.add_argument("--in", dest="inp", required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--seed", type=int, default=11)
    s.add_argument("--monetary-factor", type=float, default=1.0)
    c = sub.add_parser("check")
    c.add_argument("--members", required=True)
    c.add_argument("--model", required=True)
    c.add_argument("--results", required=True)
    c.add_argument("--label", default="score")
    c.add_argument("--expect-m5-share", type=float)
    m = sub.add_parser("same")
    m.add_argument("--a", required=True)
    m.add_argument("--b", required=True)
    m.add_argument("--datasets", required=True)
    m.add_argument("--label", default="same")
    a = p.parse_args()
    {"snapshot": snapshot, "check": check, "same": same}[a.cmd](a)
    return 0 if failures() == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
