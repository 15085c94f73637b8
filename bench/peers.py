#!/usr/bin/env python3
"""Peer implementations measured side by side with cvseg (bench/run.py calls these).

  peers.py sklearn-lloyd DATA.f64 CENTRES.f64 N D K ITERATIONS THREADS
      scikit-learn's Lloyd K-Means on the raw float64 array written by
      cvseg_bench_kmeans, from the same start, exactly ITERATIONS iterations
      (tol=0; stops earlier only when no label changes). Prints JSON.
  peers.py pandas-rfm TRANSACTIONS.h5 REFERENCE_DAYS
      pandas groupby + qcut RFM on a cvseg transaction log. Prints JSON.
  peers.py python-pipeline MEMBERS.h5 OUT.h5 K ITERATIONS
      the whole job in Python: HDF5 -> features -> quintiles -> K-Means -> HDF5.
"""
import json
import sys
import time

import numpy as np


def blas_name():
    try:
        from threadpoolctl import threadpool_info
        for pool in threadpool_info():
            if pool.get("user_api") == "blas":
                return f"{pool.get('internal_api')} {pool.get('version')} ({pool.get('filepath')})"
    except Exception:  # threadpoolctl missing or failing: say so
        pass
    return "unknown"


def sklearn_lloyd(data, centres, n, d, k, iterations, threads):
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits
    x = np.fromfile(data, dtype=np.float64).reshape(int(n), int(d))
    c = np.fromfile(centres, dtype=np.float64).reshape(int(k), int(d))
    with threadpool_limits(limits=int(threads)):
        model = KMeans(n_clusters=int(k), init=c, n_init=1, max_iter=int(iterations), tol=0.0,
                       algorithm="lloyd")
        start = time.perf_counter()
        model.fit(x)
        seconds = time.perf_counter() - start
    print(json.dumps({"peer": "scikit-learn lloyd", "seconds": seconds,
                      "iterations": int(model.n_iter_),
                      "ms_per_iteration": 1e3 * seconds / max(int(model.n_iter_), 1),
                      "inertia": float(model.inertia_), "blas": blas_name(),
                      "threads": int(threads)}))


def pandas_rfm(path, reference):
    import h5py
    import pandas as pd
    start = time.perf_counter()
    with h5py.File(path, "r") as f:
        g = f["transactions"]
        frame = pd.DataFrame({"member_id": g["member_id"][:], "date": g["date"][:],
                              "amount": g["amount"][:]})
    read = time.perf_counter()
    frame = frame[frame["date"] <= int(reference)]
    members = frame.groupby("member_id").agg(last=("date", "max"), first=("date", "min"),
                                             frequency=("date", "size"),
                                             monetary=("amount", "sum"))
    grouped = time.perf_counter()
    members["recency"] = int(reference) - members["last"]
    for name in ("recency", "frequency", "monetary"):
        members[name[0] + "_score"] = pd.qcut(members[name].rank(method="first"), 5,
                                               labels=False) + 1
    done = time.perf_counter()
    print(json.dumps({"peer": "pandas groupby + qcut", "seconds": done - start,
                      "read_seconds": read - start, "groupby_seconds": grouped - read,
                      "qcut_seconds": done - grouped, "members": int(len(members))}))


def python_pipeline(members_path, out_path, k, iterations):
    import h5py
    import pandas as pd
    from sklearn.cluster import KMeans
    start = time.perf_counter()
    with h5py.File(members_path, "r") as f:
        g = f["members"]
        reference = int(g.attrs["reference_date"])
        frame = pd.DataFrame({"member_id": g["member_id"][:], "last": g["last_purchase"][:],
                              "frequency": g["frequency"][:], "monetary": g["monetary"][:]})
    frame["recency"] = reference - frame["last"]
    features = frame[["recency", "frequency", "monetary"]].to_numpy(dtype=np.float64)
    for name in ("recency", "frequency", "monetary"):
        frame[name[0] + "_score"] = pd.qcut(frame[name].rank(method="first"), 5,
                                             labels=False) + 1
    z = (features - features.mean(axis=0)) / features.std(axis=0)
    model = KMeans(n_clusters=int(k), init=z[:int(k)], n_init=1, max_iter=int(iterations),
                   tol=0.0, algorithm="lloyd").fit(z)
    with h5py.File(out_path, "w") as f:
        g = f.create_group("results")
        g["member_id"] = frame["member_id"].to_numpy()
        for name in ("r_score", "f_score", "m_score"):
            g[name] = frame[name].to_numpy(dtype=np.uint8)
        g["cluster"] = model.labels_.astype(np.int16)
    print(json.dumps({"peer": "python pipeline (h5py, pandas, scikit-learn)",
                      "seconds": time.perf_counter() - start, "iterations": int(model.n_iter_),
                      "blas": blas_name()}))


if __name__ == "__main__":
    verb = sys.argv[1]
    if verb == "sklearn-lloyd":
        sklearn_lloyd(*sys.argv[2:9])
    elif verb == "pandas-rfm":
        pandas_rfm(*sys.argv[2:4])
    elif verb == "python-pipeline":
        python_pipeline(*sys.argv[2:6])
    else:
        sys.exit(f"unknown peer {verb}")
