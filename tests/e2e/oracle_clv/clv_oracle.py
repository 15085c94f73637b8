#!/usr/bin/env python3
"""clv_oracle.py: an independent check of `cvseg clv` on CDNOW text.

Recomputes from the raw CDNOW text with pandas (the way lifetimes builds its
summary: distinct purchase days, weeks = days / 7) each member's x, t_x, T,
mean repeat spend and holdout purchases; with the parameters cvseg reports,
evaluates the BG/NBD and Gamma-Gamma log-likelihoods (scipy.special) and the
closed forms (P(alive), expected purchases with scipy's hyp2f1, expected spend,
CLV, lifecycle) and compares them with /clv and the summary. Optionally
checks the published CDNOW parameters. Prints "ok   NAME" / "FAIL NAME: why".

usage: clv_oracle.py TEXT CLV.h5 SUMMARY.json --calibration-end D [--holdout-end D]
       [--horizon N] [--discount R] [--margin F] [--new-days D] [--published]
"""
import argparse
import json
import sys

import h5py
import numpy as np
import pandas as pd
from scipy.special import betaln, gammaln, hyp2f1

failures = 0


def check(name, ok, detail=""):
    global failures
    if ok:
        print(f"ok   {name}")
    else:
        failures += 1
        print(f"FAIL {name}: {detail}")


def close(name, got, want, rtol, atol=0.0):
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    err = np.abs(got - want)
    bad = ~(err <= atol + rtol * np.abs(want))
    check(name, not bad.any(),
          f"{bad.sum()} of {bad.size} differ, worst {err.max():.3g} "
          f"(got {got.flat[np.argmax(err)]!r}, want {want.flat[np.argmax(err)]!r})")


def read_cdnow(path):
    rows = pd.read_csv(path, sep=r"\s+", header=None)
    if rows.shape[1] == 5:  # sample: master id, sample id, date, CDs, dollars
        rows = rows[[0, 2, 4]]
    else:
        rows = rows[[0, 1, 3]]
    rows.columns = ["member_id", "date", "amount"]
    rows["date"] = pd.to_datetime(rows["date"].astype(str), format="%Y%m%d")
    return rows


def summarise(rows, cal_end, hold_end):
    cal = rows[rows.date <= cal_end]
    days = cal.groupby(["member_id", "date"], as_index=False)["amount"].sum()
    first = days.groupby("member_id")["date"].min()
    last = days.groupby("member_id")["date"].max()
    table = pd.DataFrame({"first": first, "last": last})
    table["x"] = days.groupby("member_id").size() - 1
    total = days.groupby("member_id")["amount"].sum()
    first_day = days.merge(first.rename("first"), left_on="member_id", right_index=True)
    first_spend = first_day[first_day.date == first_day["first"]].set_index("member_id")["amount"]
    table["monetary"] = total
    table["repeat"] = total - first_spend
    table["t_x_days"] = (table["last"] - table["first"]).dt.days
    table["T_days"] = (cal_end - table["first"]).dt.days
    table["holdout"] = 0
    if hold_end is not None:
        hold = rows[(rows.date > cal_end) & (rows.date <= hold_end)]
        counts = hold.groupby("member_id")["date"].nunique()
        table["holdout"] = counts.reindex(table.index).fillna(0).astype(int)
    return table.sort_index()


def bgnbd_ll(r, alpha, a, b, x, tx, T):
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = betaln(a, b + x) - betaln(a, b)
    a3 = -(r + x) * np.log(alpha + T)
    a4 = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + tx), -np.inf)
    return a1 + a2 + np.logaddexp(a3, a4)


def gg_ll(p, q, v, x, m):
    return (gammaln(p * x + q) - gammaln(p * x) - gammaln(q) + q * np.log(v) + (p * x - 1) * np.log(m)
            + p * x * np.log(x) - (p * x + q) * np.log(x * m + v))


def expected(r, alpha, a, b, x, tx, T, t):
    hyp = hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t))
    first = (a + b + x - 1) / (a - 1)
    second = 1 - hyp * ((alpha + T) / (alpha + T + t)) ** (r + x)
    return first * second / (1 + (x > 0) * a / (b + x - 1) * ((alpha + T) / (alpha + tx)) ** (r + x))


def lifecycle(x, tenure_days, p_alive, new_days):
    stage = np.full(x.shape, "active", dtype=object)
    stage[(p_alive < 0.5) | (x == 0)] = "at_risk"
    stage[(p_alive < 0.25) | ((x == 0) & (tenure_days > 365))] = "churned"
    stage[tenure_days <= new_days] = "new"
    return stage


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("text")
    ap.add_argument("clv")
    ap.add_argument("summary")
    ap.add_argument("--calibration-end", required=True)
    ap.add_argument("--holdout-end")
    ap.add_argument("--horizon", type=int, default=52)
    ap.add_argument("--discount", type=float, default=0.0)
    ap.add_argument("--margin", type=float, default=1.0)
    ap.add_argument("--new-days", type=float, default=91.0)
    ap.add_argument("--published", action="store_true")
    args = ap.parse_args()
    cal_end = pd.Timestamp(args.calibration_end)
    hold_end = pd.Timestamp(args.holdout_end) if args.holdout_end else None
    table = summarise(read_cdnow(args.text), cal_end, hold_end)
    summary = json.load(open(args.summary))
    bg, gg = summary["clv"]["bgnbd"], summary["clv"]["gamma_gamma"]
    r, alpha, a, b = bg["r"], bg["alpha"], bg["a"], bg["b"]
    p, q, v = gg["p"], gg["q"], gg["v"]
    with h5py.File(args.clv, "r") as f:
        out = {name: f["clv"][name][()] for name in f["clv"]}
        names = h5py.check_enum_dtype(f["clv"]["lifecycle"].dtype)
    inverse = {code: name for name, code in names.items()}
    check("member ids (ascending, all calibration members)", np.array_equal(out["member_id"], table.index.values))
    x = table["x"].values.astype(float)
    tx, T = table["t_x_days"].values / 7.0, table["T_days"].values / 7.0
    check("x", np.array_equal(out["x"], table["x"].values))
    close("t_x (weeks)", out["t_x"], tx, 0, 1e-12)
    close("T (weeks)", out["T"], T, 0, 1e-12)
    check("members / repeat buyers", summary["clv"]["members"] == len(table)
          and summary["clv"]["repeat_buyers"] == int((x > 0).sum()))
    close("BG/NBD log-likelihood (scipy) at cvseg's parameters", bg["log_likelihood"],
          bgnbd_ll(r, alpha, a, b, x, tx, T).sum(), 1e-9)
    rep = x > 0
    m = table["repeat"].values[rep] / x[rep]
    close("Gamma-Gamma log-likelihood (scipy) at cvseg's parameters", gg["log_likelihood"],
          gg_ll(p, q, v, x[rep], m).sum(), 1e-9)
    alive = 1 / (1 + (x > 0) * a / (b + x - 1) * ((alpha + T) / (alpha + tx)) ** (r + x))
    close("P(alive) (1e-9)", out["p_alive"], alive, 1e-9, 1e-12)
    purchases = expected(r, alpha, a, b, x, tx, T, args.horizon)
    close("expected purchases, scipy hyp2f1 (1e-9)", out["expected_purchases"], purchases, 1e-9, 1e-12)
    mean = np.zeros_like(x)
    mean[rep] = m
    spend = np.where(rep, p * (v + x * mean) / (p * x + q - 1), p * v / (q - 1))
    close("expected spend (1e-9)", out["expected_spend"], spend, 1e-9)
    if args.discount == 0:
        value = spend * purchases
    else:
        steps = [expected(r, alpha, a, b, x, tx, T, k) for k in range(0, args.horizon + 1)]
        steps[0] = np.zeros_like(x)
        value = spend * sum((steps[k] - steps[k - 1]) / (1 + args.discount) ** k
                            for k in range(1, args.horizon + 1))
    close("CLV (1e-9)", out["clv"], args.margin * value, 1e-9, 1e-12)
    close("historic value", out["historic_value"], args.margin * table["monetary"].values, 1e-12)
    stages = lifecycle(x, table["T_days"].values, alive, args.new_days)
    got_stages = np.array([inverse[c] for c in out["lifecycle"]], dtype=object)
    check("lifecycle per member", np.array_equal(got_stages, stages))
    counts = {s: int((stages == s).sum()) for s in ["prospect", "new", "active", "at_risk", "churned"]}
    check("lifecycle counts in the summary", summary["lifecycle"] == counts, f"{summary['lifecycle']} vs {counts}")
    if hold_end is not None:
        t_hold = (hold_end - cal_end).days / 7.0
        want = expected(r, alpha, a, b, x, tx, T, t_hold)
        bins = np.minimum(x, 7).astype(int)
        chart = summary["clv"]["holdout"]
        check("holdout actual per frequency", [c["actual"] for c in chart] ==
              [int(table["holdout"].values[bins == k].sum()) for k in range(8)])
        check("holdout members per frequency", [c["members"] for c in chart] ==
              [int((bins == k).sum()) for k in range(8)])
        close("holdout predicted per frequency (1e-9)", [c["predicted"] for c in chart],
              [want[bins == k].sum() for k in range(8)], 1e-9)
        check("holdout purchases per member", np.array_equal(out["holdout_purchases"], table["holdout"].values))
    if args.published:
        # BG/NBD paper (r, alpha, a, b to 3 decimals, LL to 1): half a unit of the last digit
        for name, want, tol in [("r", 0.243, 5e-4), ("alpha", 4.414, 5e-4), ("a", 0.793, 5e-4),
                                ("b", 2.426, 5e-4), ("log_likelihood", -9582.4, 0.05)]:
            close(f"published BG/NBD {name} = {want}", bg[name], want, 0, tol)
        for name, want in [("p", 6.25), ("q", 3.74), ("v", 15.44)]:
            close(f"published Gamma-Gamma {name} = {want}", gg[name], want, 0, 5e-3)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
