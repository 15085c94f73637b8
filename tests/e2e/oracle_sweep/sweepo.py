#!/usr/bin/env python3
"""sweepo.py: independent oracle for `cvseg sweep` (numpy, h5py, scikit-learn).

The features and their standardisation are recomputed from the member table
(R, F, M; optional sign-preserving log1p on F and M; z = (x - mean) / std
with ddof 0), as tests/e2e/oracle_km/kmo.py does. The labels are the
sweep's own (/labels/cluster_kK, written with --labels).

Subcommands (each prints one line of figures; exit 0 when the checks hold,
1 when one fails, 2 on usage):
  metrics MEMBERS SWEEP [--transform log1p] [--tol-rel 1e-9]
      inertia (sum of squared distances to the cluster means),
      calinski_harabasz_score, davies_bouldin_score on all members,
      silhouette_score on the sweep's sample (/sweep/sample_kK member ids)
      and the simplified silhouette, each equal to the sweep's to tol-rel
      (absolute for values below 1); the sample is stratified: its size per
      cluster is the largest-remainder share of the target.
  same-labels SWEEP K RESULTS
      /labels/cluster_kK equals the cluster column of a `train --k K` run.
  summary SUMMARY SWEEP
      the summary's sweep list and recommended_k agree with /sweep.
"""
import json
import sys

import h5py
import numpy as np
from sklearn import metrics


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def features(members_path, transform):
    with h5py.File(members_path, "r") as f:
        g = f["members"]
        reference = int(g.attrs["reference_date"])
        x = np.column_stack(
            [
                (reference - g["last_purchase"][:].astype(np.int64)).astype(np.float64),
                g["frequency"][:].astype(np.float64),
                g["monetary"][:].astype(np.float64),
            ]
        )
        ids = g["member_id"][:]
    if transform == "log1p":
        x[:, 1:] = np.copysign(np.log1p(np.abs(x[:, 1:])), x[:, 1:])
    return ids, (x - x.mean(axis=0)) / x.std(axis=0, ddof=0)


def close(name, got, want, tol):
    scale = max(1.0, abs(want))
    if not abs(got - want) <= tol * scale:
        fail("%s: engine %.17g, reference %.17g (rel %.3g)" % (name, got, want, abs(got - want) / scale))


def simplified_silhouette(z, labels):
    ks = np.unique(labels)
    means = np.array([z[labels == c].mean(axis=0) for c in ks])
    dist = np.sqrt(((z[:, None, :] - means[None, :, :]) ** 2).sum(axis=2))
    own = np.searchsorted(ks, labels)
    a = dist[np.arange(len(z)), own]
    dist[np.arange(len(z)), own] = np.inf
    b = dist.min(axis=1)
    s = (b - a) / np.maximum(a, b)
    sizes = np.bincount(own)
    s[sizes[own] == 1] = 0
    return float(np.nan_to_num(s).mean())


def check_stratified(labels_sample, labels_all, target):
    counts = np.bincount(labels_all)
    n = counts.sum()
    if target >= n:
        want = counts
    else:
        want = (target * counts) // n
        rem = (target * counts) % n
        order = sorted(range(len(counts)), key=lambda c: (-rem[c], c))
        for c in order[: target - want.sum()]:
            want[c] += 1
    got = np.bincount(labels_sample, minlength=len(counts))
    if not np.array_equal(got, want):
        fail("sample per cluster %s, expected %s" % (got.tolist(), want.tolist()))


def cmd_metrics(argv):
    transform = "log1p" if "--transform" in argv and argv[argv.index("--transform") + 1] == "log1p" else "none"
    tol = float(argv[argv.index("--tol-rel") + 1]) if "--tol-rel" in argv else 1e-9
    ids, z = features(argv[0], transform)
    worst = 0.0
    with h5py.File(argv[1], "r") as f:
        sw = f["sweep"]
        assert np.array_equal(f["labels/member_id"][:], ids)
        target = json.loads(bytes(f["report/summary_json"][:]).decode())["silhouette_sample_target"]
        for r, k in enumerate(sw["k"][:]):
            labels = f["labels/cluster_k%d" % k][:].astype(np.int64)
            ok = labels >= 0
            zk, lk = z[ok], labels[ok]
            means = np.array([zk[lk == c].mean(axis=0) for c in range(k)])
            inertia = float(((zk - means[lk]) ** 2).sum())
            close("k=%d inertia" % k, sw["inertia"][r], inertia, tol)
            close("k=%d CH" % k, sw["calinski_harabasz"][r], metrics.calinski_harabasz_score(zk, lk), tol)
            close("k=%d DB" % k, sw["davies_bouldin"][r], metrics.davies_bouldin_score(zk, lk), tol)
            close("k=%d simplified" % k, sw["silhouette_simplified"][r], simplified_silhouette(zk, lk), tol)
            sample = sw["sample_k%d" % k][:]
            position = {m: i for i, m in enumerate(ids[ok])}
            rows = np.array([position[m] for m in sample])
            if len(np.unique(sample)) != len(sample):
                fail("k=%d: repeated members in the sample" % k)
            check_stratified(lk[rows], lk, target)
            sil = metrics.silhouette_score(zk[rows], lk[rows])
            close("k=%d silhouette" % k, sw["silhouette_sample"][r], sil, tol)
            worst = max(worst, abs(sw["silhouette_sample"][r] - sil) / max(1.0, abs(sil)))
    print("metrics of %d k equal to sklearn within %.1e (silhouette max rel diff %.2e)" % (len(sw["k"][:]) if False else r + 1, tol, worst))


def cmd_same_labels(argv):
    with h5py.File(argv[0], "r") as f:
        mine = f["labels/cluster_k%s" % argv[1]][:]
    with h5py.File(argv[2], "r") as f:
        theirs = f["results/cluster"][:]
    if not np.array_equal(mine, theirs):
        fail("k=%s: %d labels differ from train" % (argv[1], int(np.sum(mine != theirs))))
    print("k=%s: %d labels identical to train" % (argv[1], len(mine)))


def cmd_summary(argv):
    with open(argv[0]) as fh:
        s = json.load(fh)
    with h5py.File(argv[1], "r") as f:
        sw = f["sweep"]
        if [row["k"] for row in s["sweep"]] != sw["k"][:].tolist():
            fail("k lists differ")
        for r, row in enumerate(s["sweep"]):
            for key in ["inertia", "calinski_harabasz", "davies_bouldin", "silhouette_sample",
                        "silhouette_simplified", "iterations"]:
                if row[key] != sw[key][r]:
                    fail("k=%d %s: summary %r, file %r" % (row["k"], key, row[key], sw[key][r]))
            if row["converged"] != bool(sw["converged"][r]):
                fail("converged differs")
        if s["recommended_k"] != int(sw.attrs["recommended_k"]):
            fail("recommended_k differs")
    print("summary agrees with /sweep; recommended_k %d" % s["recommended_k"])


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        sys.exit(2)
    {"metrics": cmd_metrics, "same-labels": cmd_same_labels, "summary": cmd_summary}[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
