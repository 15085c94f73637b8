#!/usr/bin/env python3
"""kmo.py: independent K-Means oracle for the cvseg e2e tests (numpy, h5py,
scikit-learn). Every subcommand prints one line of figures and exits 0 when
its checks hold, 1 when one fails (the message says which), 2 on usage.

The engine's features are recomputed here from the member table alone:
R = reference_date - last_purchase (days), F = frequency, M = monetary;
optional sign-preserving log1p on F and M; z = (x - mean) / std(ddof=0)
over all members (the tests use tables where every member has status ok,
which `check_status_ok` asserts).

Subcommands:
  centers MEMBERS K OUT [--transform log1p] [--far]
      k distinct rows of z at fixed positions, written as /centers [k][3];
      --far puts the last centre far outside the data (an empty cluster in
      the first iteration).
  given MEMBERS CENTERS RESULTS MODEL [--tol-rel 1e-9]
      sklearn KMeans(init=CENTERS, n_init=1, lloyd, max_iter 300, tol 0) on z;
      engine clusters matched to sklearn's through the centroids; labels
      identical, centroids and inertia equal to tol-rel, iterations equal.
  best MEMBERS RESULTS MODEL [--n-init 5] [--slack 0.005]
      sklearn KMeans(n_init, random_state=0, lloyd) on z; engine inertia
      <= sklearn's * (1 + slack); engine inertia and labels consistent with
      its own centroids.
  ari RESULTS TRUTH [--min 0.95 | --info]
      adjusted_rand_score(/truth/group, /results/cluster).
  same-model A B
      model attributes inertia, iterations, converged, best_restart equal bit
      for bit, /model/cluster_size equal.
"""
import argparse
import sys

import h5py
import numpy as np


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def features(members_path, transform="none"):
    """Raw R, F, M (n x 3) and z from the member table."""
    with h5py.File(members_path, "r") as f:
        g = f["members"]
        reference = int(g.attrs["reference_date"])
        last = g["last_purchase"][:].astype(np.int64)
        x = np.column_stack(
            [
                (reference - last).astype(np.float64),
                g["frequency"][:].astype(np.float64),
                g["monetary"][:].astype(np.float64),
            ]
        )
    if transform == "log1p":
        x[:, 1:] = np.copysign(np.log1p(np.abs(x[:, 1:])), x[:, 1:])
    mean = x.mean(axis=0)
    sd = x.std(axis=0, ddof=0)
    return x, (x - mean) / sd, mean, sd


def check_status_ok(results_path):
    with h5py.File(results_path, "r") as f:
        status = f["results/status"][:]
    if np.any(status != 0):
        fail("%d members not ok in %s" % (int(np.sum(status != 0)), results_path))


def model(path):
    with h5py.File(path, "r") as f:
        g = f["model"]
        return {
            "centroids": g["centroids"][:],
            "mean": g["scaler_mean"][:],
            "sd": g["scaler_sd"][:],
            "size": g["cluster_size"][:],
            "inertia": float(g.attrs["inertia"]),
            "iterations": int(g.attrs["iterations"]),
            "attrs": dict(g.attrs),
        }


def results(path):
    with h5py.File(path, "r") as f:
        return {name: f["results"][name][:] for name in ("cluster", "cluster_distance", "status")}


def check_scaler(m, mean, sd, x):
    rel_mean = np.max(np.abs(m["mean"] - mean) / np.maximum(np.abs(mean), 1e-300))
    rel_sd = np.max(np.abs(m["sd"] - sd) / sd)
    if rel_mean > 1e-11 or rel_sd > 1e-11:
        fail("engine scaler differs from numpy: mean %s vs %s, sd %s vs %s" % (m["mean"], mean, m["sd"], sd))
    return max(rel_mean, rel_sd)


def cmd_centers(a):
    _, z, _, _ = features(a.members, a.transform)
    n = len(z)
    picked = []
    for i in range(a.k):
        row = (2 * i + 1) * n // (2 * a.k)
        # Step forward to a row whose z differs from every centre so far.
        while any(np.array_equal(z[row], z[p]) for p in picked):
            row = (row + 1) % n
        picked.append(row)
    centers = z[picked].astype(np.float64)
    if a.far:
        centers[-1] = 3.0 * np.abs(z).max(axis=0) + 10.0
    with h5py.File(a.out, "w") as f:
        f.create_dataset("centers", data=centers)
    print("rows %s of %d" % (picked, n))


def match(engine_centroids, sk_centroids):
    """perm[e] = sklearn cluster nearest to engine centroid e (a permutation)."""
    d2 = ((engine_centroids[:, None, :] - sk_centroids[None, :, :]) ** 2).sum(axis=2)
    perm = d2.argmin(axis=1)
    if len(set(perm.tolist())) != len(perm):
        fail("engine centroids do not match sklearn's one to one: %s" % perm)
    return perm


def cmd_given(a):
    from sklearn.cluster import KMeans

    x, z, mean, sd = features(a.members, a.transform)
    check_status_ok(a.results)
    m = model(a.model)
    r = results(a.results)
    scaler_rel = check_scaler(m, mean, sd, x)
    with h5py.File(a.centers, "r") as f:
        init = f["centers"][:]
    k = len(init)
    km = KMeans(n_clusters=k, init=init, n_init=1, algorithm="lloyd", max_iter=300, tol=0.0)
    km.fit(z)
    perm = match(m["centroids"], km.cluster_centers_)
    mapped = perm[r["cluster"].astype(np.int64)]
    differing = int(np.sum(mapped != km.labels_))
    sk_c = km.cluster_centers_[perm]
    centroid_rel = np.linalg.norm(m["centroids"] - sk_c) / np.linalg.norm(sk_c)
    per_cluster_rel = np.max(np.linalg.norm(m["centroids"] - sk_c, axis=1) / np.linalg.norm(sk_c, axis=1))
    inertia_rel = abs(m["inertia"] - km.inertia_) / km.inertia_
    # Engine distances (float32, z units) against numpy at the engine centroids.
    own = np.sqrt(((z - m["centroids"][r["cluster"]]) ** 2).sum(axis=1))
    dist_rel = np.max(np.abs(r["cluster_distance"].astype(np.float64) - own) / np.maximum(own, 1e-6))
    sizes_ok = np.array_equal(m["size"], np.bincount(km.labels_, minlength=k)[perm])
    print(
        "n %d k %d: labels differing %d, centroid rel diff %.3g (max per cluster %.3g), "
        "inertia engine %.17g sklearn %.17g rel %.3g, iterations engine %d sklearn %d, "
        "scaler rel %.3g, distance rel %.3g"
        % (len(z), k, differing, centroid_rel, per_cluster_rel, m["inertia"], km.inertia_, inertia_rel,
           m["iterations"], km.n_iter_, scaler_rel, dist_rel)
    )
    problems = []
    if differing:
        problems.append("%d labels differ" % differing)
    if not sizes_ok:
        problems.append("cluster sizes %s vs sklearn %s" % (m["size"], np.bincount(km.labels_, minlength=k)[perm]))
    if not centroid_rel <= a.tol_rel:
        problems.append("centroid rel diff %.3g > %g" % (centroid_rel, a.tol_rel))
    if not inertia_rel <= a.tol_rel:
        problems.append("inertia rel diff %.3g > %g" % (inertia_rel, a.tol_rel))
    if m["iterations"] != km.n_iter_:
        problems.append("iterations %d vs sklearn %d" % (m["iterations"], km.n_iter_))
    if not dist_rel <= 1e-6:
        problems.append("cluster_distance rel diff %.3g" % dist_rel)
    if problems:
        fail("; ".join(problems))


def cmd_best(a):
    from sklearn.cluster import KMeans

    x, z, mean, sd = features(a.members, a.transform)
    check_status_ok(a.results)
    m = model(a.model)
    r = results(a.results)
    check_scaler(m, mean, sd, x)
    k = len(m["centroids"])
    km = KMeans(n_clusters=k, n_init=a.n_init, random_state=0, algorithm="lloyd")
    km.fit(z)
    c = m["centroids"]
    d2 = ((z[:, None, :] - c[None, :, :]) ** 2).sum(axis=2)
    own_inertia = float(d2[np.arange(len(z)), r["cluster"]].sum())
    nearest_gap = d2[np.arange(len(z)), r["cluster"]] - d2.min(axis=1)
    ratio = m["inertia"] / km.inertia_
    print(
        "k %d: engine inertia %.10g, sklearn (n_init %d, random_state 0) %.10g, ratio %.6f; "
        "engine inertia vs its own centroids rel %.3g"
        % (k, m["inertia"], a.n_init, km.inertia_, ratio, abs(own_inertia - m["inertia"]) / own_inertia)
    )
    problems = []
    if not ratio <= 1.0 + a.slack:
        problems.append("engine inertia %.10g is %.3f %% above sklearn's %.10g" % (m["inertia"], 100 * (ratio - 1), km.inertia_))
    if not abs(own_inertia - m["inertia"]) <= 1e-9 * own_inertia:
        problems.append("inertia attribute %.17g vs recomputed %.17g" % (m["inertia"], own_inertia))
    if np.max(nearest_gap) > 1e-12 * max(1.0, float(d2.max())):
        problems.append("%d members not at their nearest centroid" % int(np.sum(nearest_gap > 1e-12)))
    if problems:
        fail("; ".join(problems))


def cmd_ari(a):
    from sklearn.metrics import adjusted_rand_score

    with h5py.File(a.results, "r") as f:
        cluster = f["results/cluster"][:]
    with h5py.File(a.truth, "r") as f:
        group = f["truth/group"][:]
    if len(cluster) != len(group):
        fail("%d results vs %d truth rows" % (len(cluster), len(group)))
    ari = adjusted_rand_score(group, cluster)
    print("ARI %.4f" % ari)
    if not a.info and not ari >= a.min:
        fail("ARI %.4f < %.2f" % (ari, a.min))


def bits(value):
    return np.asarray(value).tobytes()


def cmd_same_model(a):
    ma, mb = model(a.a), model(a.b)
    problems = []
    for name in ("inertia", "iterations", "converged", "best_restart", "restarts", "k"):
        va, vb = ma["attrs"].get(name), mb["attrs"].get(name)
        if va is None or vb is None:
            if name in ("inertia", "iterations"):
                problems.append("attribute %s missing" % name)
            continue
        if bits(va) != bits(vb) or np.asarray(va).dtype != np.asarray(vb).dtype:
            problems.append("%s %r vs %r" % (name, va, vb))
    if not np.array_equal(ma["size"], mb["size"]):
        problems.append("cluster_size %s vs %s" % (ma["size"], mb["size"]))
    print("inertia %.17g iterations %d" % (ma["inertia"], ma["iterations"]))
    if problems:
        fail("; ".join(problems))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("centers")
    s.add_argument("members")
    s.add_argument("k", type=int)
    s.add_argument("out")
    s.add_argument("--transform", default="none")
    s.add_argument("--far", action="store_true")
    s.set_defaults(func=cmd_centers)
    s = sub.add_parser("given")
    for name in ("members", "centers", "results", "model"):
        s.add_argument(name)
    s.add_argument("--transform", default="none")
    s.add_argument("--tol-rel", type=float, default=1e-9)
    s.set_defaults(func=cmd_given)
    s = sub.add_parser("best")
    for name in ("members", "results", "model"):
        s.add_argument(name)
    s.add_argument("--transform", default="none")
    s.add_argument("--n-init", type=int, default=5)
    s.add_argument("--slack", type=float, default=0.005)
    s.set_defaults(func=cmd_best)
    s = sub.add_parser("ari")
    s.add_argument("results")
    s.add_argument("truth")
    s.add_argument("--min", type=float, default=0.95)
    s.add_argument("--info", action="store_true")
    s.set_defaults(func=cmd_ari)
    s = sub.add_parser("same-model")
    s.add_argument("a")
    s.add_argument("b")
    s.set_defaults(func=cmd_same_model)
    a = p.parse_args()
    a.func(a)


if __name__ == "__main__":
    main()
