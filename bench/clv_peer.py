#!/usr/bin/python3
"""clv_peer.py: the `lifetimes` way of fitting BG/NBD + Gamma-Gamma, as the peer
of `cvseg clv` in bench/clv_bench.py (Debian's numpy, pandas, scipy, h5py).

Steps, each timed: read /transactions from HDF5 into pandas; the summary
table of lifetimes' summary_data_from_transaction_data (per member and day
summed, then frequency = purchase days - 1, recency t_x and age T in weeks, mean
repeat-day spend); BetaGeoFitter and GammaGammaFitter fits (negative
log-likelihood over one row per member with scipy.special, minimised with
scipy.optimize.minimize, Nelder-Mead on log-parameters, as lifetimes 0.10 does);
per member P(alive), expected purchases over the horizon (scipy's hyp2f1),
expected spend and CLV. Prints one JSON object.

usage: clv_peer.py LOG.h5 CALIBRATION_END [HORIZON_WEEKS]
"""
import json
import sys
import time

import h5py
import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import betaln, gammaln, hyp2f1


def bgnbd_nll(log_params, x, tx, T):
    r, alpha, a, b = np.exp(log_params)
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = betaln(a, b + x) - betaln(a, b)
    a3 = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore"):
        a4 = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + tx), -np.inf)
    return -(a1 + a2 + np.logaddexp(a3, a4)).mean()


def gg_nll(log_params, x, m):
    p, q, v = np.exp(log_params)
    ll = (gammaln(p * x + q) - gammaln(p * x) - gammaln(q) + q * np.log(v) + (p * x - 1) * np.log(m)
          + p * x * np.log(x) - (p * x + q) * np.log(x * m + v))
    return -ll.mean()


def main():
    path, cal_end = sys.argv[1], pd.Timestamp(sys.argv[2])
    horizon = float(sys.argv[3]) if len(sys.argv) > 3 else 52.0
    times = {}
    t = time.perf_counter()
    with h5py.File(path, "r") as f:
        g = f["transactions"]
        df = pd.DataFrame({"member_id": g["member_id"][()], "date": g["date"][()], "amount": g["amount"][()]})
    times["read"] = time.perf_counter() - t
    t = time.perf_counter()
    end_day = (cal_end - pd.Timestamp("1970-01-01")).days
    df = df[df.date <= end_day]
    days = df.groupby(["member_id", "date"], as_index=False)["amount"].sum()
    grouped = days.groupby("member_id")
    summary = grouped["date"].agg(["min", "max", "count"])
    total = grouped["amount"].sum()
    first_amount = days.drop_duplicates("member_id", keep="first").set_index("member_id")["amount"]
    x = (summary["count"] - 1).values.astype(float)
    tx = (summary["max"] - summary["min"]).values / 7.0
    T = (end_day - summary["min"]).values / 7.0
    repeat = (total - first_amount).values
    times["summary"] = time.perf_counter() - t
    t = time.perf_counter()
    fit = minimize(bgnbd_nll, np.log([1.0, max(T.mean(), 1e-3), 1.0, 1.0]), args=(x, tx, T),
                   method="Nelder-Mead", options={"maxiter": 5000, "xatol": 1e-7, "fatol": 1e-12})
    r, alpha, a, b = np.exp(fit.x)
    times["fit_bgnbd"] = time.perf_counter() - t
    t = time.perf_counter()
    rep = x > 0
    m = repeat[rep] / x[rep]
    keep = m > 0
    gfit = minimize(gg_nll, np.log([1.0, 2.0, m.mean()]), args=(x[rep][keep], m[keep]),
                    method="Nelder-Mead", options={"maxiter": 5000, "xatol": 1e-7, "fatol": 1e-12})
    p, q, v = np.exp(gfit.x)
    times["fit_gamma_gamma"] = time.perf_counter() - t
    t = time.perf_counter()
    denominator = 1 + (x > 0) * a / (b + x - 1) * ((alpha + T) / (alpha + tx)) ** (r + x)
    p_alive = 1 / denominator
    hyp = hyp2f1(r + x, b + x, a + b + x - 1, horizon / (alpha + T + horizon))
    expected = (a + b + x - 1) / (a - 1) * (1 - hyp * ((alpha + T) / (alpha + T + horizon)) ** (r + x)) / denominator
    mean = np.zeros_like(x)
    mean[rep] = repeat[rep] / x[rep]
    spend = np.where(rep, p * (v + x * mean) / (p * x + q - 1), p * v / (q - 1))
    clv = spend * expected
    times["predict"] = time.perf_counter() - t
    print(json.dumps({"members": int(x.size), "rows": int(df.shape[0]), "times": times,
                      "bgnbd": {"r": r, "alpha": alpha, "a": a, "b": b, "log_likelihood": -fit.fun * x.size,
                                "evaluations": int(fit.nfev)},
                      "gamma_gamma": {"p": p, "q": q, "v": v, "evaluations": int(gfit.nfev)},
                      "mean_p_alive": float(p_alive.mean()), "total_clv": float(clv.sum())}))


if __name__ == "__main__":
    main()
