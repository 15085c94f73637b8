#!/usr/bin/env python3
"""Independent oracle for tests/e2e/test_nightly.sh (numpy, pandas, h5py only).

Subcommands (each exits 0 when every assertion holds, 1 with a message otherwise):

  day2 DAY1.h5 DAY2.h5 PLAN.json [--seed S]
      Builds tonight's member table from last night's: rows shuffled, 8 % of the
      members removed, 4 % new members (new unique ids, features copied from
      random existing rows), 10 % of the remaining members with frequency + 5 and
      monetary x 3, another 10 % with last_purchase 60 days earlier (first_purchase
      moved along where it would otherwise be later). Same /members layout,
      dtypes and attributes (reference_date included). PLAN.json records the
      planted numbers.
  shift DAY1.h5 OUT.h5 --fraction F --factor X [--seed S]
      Copy of DAY1 with monetary x X for a random fraction F of the members.
  migration R1.h5 R2.h5 PLAN.json --k K
      Checks /migration/* and /results/previous_* of R2 against an outer join of
      R1 and R2 by member_id (prints one line per check, "FAIL" lines on error).
  invalidate SRC.h5 OUT.h5 --nan-rows I... --negative-rows J...
      Copy of a member table with NaN monetary / frequency -1 in the given rows.
  psi MODEL.h5 RESULTS.h5 SUMMARY.json --feature monetary [--min X] [--zero-others]
      Recomputes the PSI of a feature from the model's training score bins and
      the results' score counts; compares with the summary's drift.psi.
  psi_zero SUMMARY.json
      Every drift.psi value is exactly 0.
"""
import argparse
import json
import math
import sys

import h5py
import numpy as np
import pandas as pd

FAILED = []


def check(name, condition, detail=""):
    if condition:
        print(f"ok   {name}")
    else:
        print(f"FAIL {name}{': ' + detail if detail else ''}")
        FAILED.append(name)


def finish():
    if FAILED:
        print(f"{len(FAILED)} oracle check(s) failed", file=sys.stderr)
        sys.exit(1)


def read_members(path):
    with h5py.File(path, "r") as f:
        g = f["members"]
        columns = {name: g[name][...] for name in g}
        column_attrs = {name: dict(g[name].attrs) for name in g}
        attrs = dict(g.attrs)
    return columns, column_attrs, attrs


def write_members(path, columns, column_attrs, attrs):
    with h5py.File(path, "w") as f:
        g = f.create_group("members")
        n = len(next(iter(columns.values())))
        for name, values in columns.items():
            d = g.create_dataset(name, data=values, maxshape=(None,),
                                 chunks=(min(max(n, 1), 65536),))
            for key, value in column_attrs.get(name, {}).items():
                d.attrs[key] = value
        for key, value in attrs.items():
            g.attrs[key] = value


def cmd_day2(a):
    rng = np.random.default_rng(a.seed)
    cols, col_attrs, attrs = read_members(a.day1)
    n = len(cols["member_id"])
    ref = int(attrs["reference_date"])
    n_gone = int(round(n * 0.08))
    n_new = int(round(n * 0.04))
    perm = rng.permutation(n)
    gone_rows = np.sort(perm[:n_gone])
    kept_rows = perm[n_gone:]
    n_kept = len(kept_rows)
    spend_rows = kept_rows[: n_kept // 10]
    lapse_rows = kept_rows[n_kept // 10: 2 * (n_kept // 10)]
    out = {name: values.copy() for name, values in cols.items()}
    out["frequency"][spend_rows] += 5
    out["monetary"][spend_rows] *= 3.0
    out["last_purchase"][lapse_rows] -= 60
    if "first_purchase" in out:
        out["first_purchase"] = np.minimum(out["first_purchase"], out["last_purchase"])
    # New members: features of random existing rows, fresh unique ids.
    existing = set(cols["member_id"].tolist())
    new_ids = []
    while len(new_ids) < n_new:
        candidate = int(rng.integers(1, 2**62))
        if candidate not in existing:
            existing.add(candidate)
            new_ids.append(candidate)
    templates = rng.integers(0, n, n_new)
    keep_mask = np.ones(n, bool)
    keep_mask[gone_rows] = False
    day2 = {}
    for name, values in out.items():
        extra = values[templates].copy()
        if name == "member_id":
            extra = np.array(new_ids, dtype=values.dtype)
        day2[name] = np.concatenate([values[keep_mask], extra]).astype(values.dtype)
    order = rng.permutation(len(day2["member_id"]))
    day2 = {name: values[order] for name, values in day2.items()}
    assert len(np.unique(day2["member_id"])) == len(day2["member_id"])
    assert int(day2["last_purchase"].max()) <= ref
    write_members(a.day2, day2, col_attrs, attrs)
    plan = {
        "members_day1": n,
        "members_day2": int(len(day2["member_id"])),
        "gone": n_gone,
        "new": n_new,
        "spend_changed": int(len(spend_rows)),
        "lapsed": int(len(lapse_rows)),
        "spend_ids": [int(x) for x in cols["member_id"][spend_rows]],
        "lapse_ids": [int(x) for x in cols["member_id"][lapse_rows]],
    }
    with open(a.plan, "w") as f:
        json.dump(plan, f)
    print(f"day 2: {plan['members_day2']} members, {n_gone} gone, {n_new} new, "
          f"{len(spend_rows)} spend x3, {len(lapse_rows)} lapsed 60 days")


def cmd_shift(a):
    rng = np.random.default_rng(a.seed)
    cols, col_attrs, attrs = read_members(a.day1)
    n = len(cols["member_id"])
    rows = rng.permutation(n)[: int(round(n * a.fraction))]
    cols["monetary"][rows] *= a.factor
    write_members(a.out, cols, col_attrs, attrs)
    print(f"shift: monetary x {a.factor} for {len(rows)} of {n} members")


def cmd_invalidate(a):
    """Copy of a member table with NaN monetary and negative frequency rows."""
    cols, col_attrs, attrs = read_members(a.src)
    cols["monetary"][list(a.nan_rows)] = np.nan
    cols["frequency"][list(a.negative_rows)] = -1
    write_members(a.out, cols, col_attrs, attrs)


def read_results(path, names):
    with h5py.File(path, "r") as f:
        g = f["results"]
        return pd.DataFrame({name: g[name][...] for name in names if name in g})


def cmd_migration(a):
    with open(a.plan) as f:
        plan = json.load(f)
    with h5py.File(a.r2, "r") as f:
        mig = {name: f["migration"][name][...] for name in f["migration"]}
        mattrs = dict(f["migration"].attrs)
    k = a.k
    base = ["member_id", "segment", "cluster", "abc_class", "monetary"]
    old = read_results(a.r1, base)
    new = read_results(a.r2, base + ["previous_segment", "previous_cluster"])
    # Results of `cvseg rfm` have no clusters: every member is "unclustered".
    for frame, name in ((old, "R1"), (new, "R2")):
        if "cluster" not in frame:
            print(f"note: {name} has no /results/cluster: all members unclustered")
            frame["cluster"] = np.full(len(frame), -1, np.int16)
    # Category codes: segment 0..8 then absent 9; cluster 0..k-1, unclustered k,
    # absent k+1; abc A B C none = 0..3, absent 4. k is the model's: the matrix
    # size says it (k + 2), checked against the cluster codes seen.
    ksize = k
    check(f"cluster codes of R1 and R2 within -1..{k - 1}",
          int(max(old["cluster"].max(), new["cluster"].max())) < k
          and int(min(old["cluster"].min(), new["cluster"].min())) >= -1)
    sizes = {"segment": 10, "cluster": ksize + 2, "abc": 5}
    old_code = {
        "segment": old["segment"].astype(np.int64),
        "cluster": np.where(old["cluster"] < 0, ksize, old["cluster"]).astype(np.int64),
        "abc": old["abc_class"].astype(np.int64),
    }
    new_code = {
        "segment": new["segment"].astype(np.int64),
        "cluster": np.where(new["cluster"] < 0, ksize, new["cluster"]).astype(np.int64),
        "abc": new["abc_class"].astype(np.int64),
    }
    o = pd.DataFrame({"member_id": old["member_id"], "old_monetary": old["monetary"],
                      **{"o_" + m: v for m, v in old_code.items()},
                      "o_segment_raw": old["segment"], "o_cluster_raw": old["cluster"]})
    t = pd.DataFrame({"member_id": new["member_id"], "new_monetary": new["monetary"],
                      **{"t_" + m: v for m, v in new_code.items()},
                      "prev_segment": new["previous_segment"], "prev_cluster": new["previous_cluster"],
                      "row": np.arange(len(new))})
    check("member ids unique in R1 and R2", o.member_id.is_unique and t.member_id.is_unique)
    j = o.merge(t, on="member_id", how="outer", indicator=True)
    n_new = int((j["_merge"] == "right_only").sum())
    n_gone = int((j["_merge"] == "left_only").sum())
    check(f"join: {n_new} new members = planted {plan['new']}", n_new == plan["new"])
    check(f"join: {n_gone} gone members = planted {plan['gone']}", n_gone == plan["gone"])
    check(f"/migration@new_members = {plan['new']}",
          int(mattrs.get("new_members", -1)) == plan["new"], f"got {mattrs.get('new_members')}")
    check(f"/migration@gone_members = {plan['gone']}",
          int(mattrs.get("gone_members", -1)) == plan["gone"], f"got {mattrs.get('gone_members')}")
    present = j["_merge"] != "left_only"
    money = np.where(present, j["new_monetary"], j["old_monetary"])
    # Non-finite monetary (invalid members kept with --invalid drop) adds nothing.
    money = np.where(np.isfinite(money), money, 0.0)
    for m, size in sizes.items():
        absent = size - 1
        frm = j["o_" + m].fillna(absent).astype(np.int64).to_numpy()
        to = j["t_" + m].fillna(absent).astype(np.int64).to_numpy()
        members = np.zeros((size, size), np.int64)
        np.add.at(members, (frm, to), 1)
        cells = {}
        for a_, b_, v in zip(frm, to, money):
            cells.setdefault((a_, b_), []).append(float(v))
        monetary = np.zeros((size, size))
        for (a_, b_), values in cells.items():
            monetary[a_, b_] = math.fsum(values)
        got_m = mig.get(f"{m}_members")
        got_v = mig.get(f"{m}_monetary")
        check(f"/migration/{m}_members shape {size}x{size}",
              got_m is not None and got_m.shape == (size, size),
              f"got {None if got_m is None else got_m.shape}")
        if got_m is None or got_m.shape != (size, size):
            continue
        bad = np.argwhere(got_m != members)
        check(f"/migration/{m}_members equals the pandas outer join exactly",
              len(bad) == 0,
              "; ".join(f"[{r},{c}] engine {got_m[r, c]} oracle {members[r, c]}" for r, c in bad[:5]))
        scale = np.maximum(np.abs(monetary), 1e-300)
        rel = np.abs(got_v - monetary) / scale
        zero_ok = np.all(got_v[members == 0] == 0.0)
        worst = np.unravel_index(np.argmax(rel), rel.shape)
        check(f"/migration/{m}_monetary equals the fsum per cell to 1e-9 relative",
              zero_ok and float(rel.max()) <= 1e-9,
              f"worst [{worst[0]},{worst[1]}] engine {got_v[worst]!r} oracle {monetary[worst]!r}, "
              f"empty cells zero: {zero_ok}")
        # Row sums: last night's category counts (+ new members in the absent row).
        last = np.bincount(old_code[m], minlength=size)
        last[absent] += n_new
        tonight = np.bincount(new_code[m], minlength=size)
        tonight[absent] += n_gone
        check(f"/migration/{m}_members row sums = last night's counts (+ {n_new} new in absent)",
              np.array_equal(got_m.sum(axis=1), last), f"{got_m.sum(axis=1)} vs {last}")
        check(f"/migration/{m}_members column sums = tonight's counts (+ {n_gone} gone in absent)",
              np.array_equal(got_m.sum(axis=0), tonight), f"{got_m.sum(axis=0)} vs {tonight}")
        check(f"/migration/{m}_members absent->absent is 0", got_m[absent, absent] == 0)
    # previous_segment / previous_cluster per member of tonight.
    tj = j[present].sort_values("row")
    is_new = tj["_merge"] == "right_only"
    exp_seg = np.where(is_new, 8, tj["o_segment_raw"].fillna(8)).astype(np.int64)
    exp_clu = np.where(is_new, -1, tj["o_cluster_raw"].fillna(-1)).astype(np.int64)
    got_seg = tj["prev_segment"].astype(np.int64).to_numpy()
    got_clu = tj["prev_cluster"].astype(np.int64).to_numpy()
    check("/results/previous_segment = R1 segment per member ('none' for new)",
          np.array_equal(got_seg, exp_seg), f"{int((got_seg != exp_seg).sum())} rows differ")
    check("/results/previous_cluster = R1 cluster per member (-1 for new)",
          np.array_equal(got_clu, exp_clu), f"{int((got_clu != exp_clu).sum())} rows differ")
    with h5py.File(a.r2, "r") as f:
        et = h5py.check_enum_dtype(f["results"]["previous_segment"].dtype)
    check("/results/previous_segment is the segment enum", et is not None and et.get("none") == 8, f"{et}")
    # The planted behaviour change shows up: spend x3 members moved up in M.
    spend = set(plan["spend_ids"])
    moved = j[j.member_id.isin(spend) & np.isfinite(j["new_monetary"])]
    up = (moved["new_monetary"] > moved["old_monetary"]).mean()
    check(f"planted spend change visible in R2 monetary ({up:.3f} of {len(moved)} members up)",
          len(moved) >= plan["spend_changed"] - a.invalid and up == 1.0)
    finish()


def psi(expected_counts, actual_counts):
    e = np.maximum(np.asarray(expected_counts, float) / np.sum(expected_counts), 1e-4)
    a = np.maximum(np.asarray(actual_counts, float) / np.sum(actual_counts), 1e-4)
    return float(np.sum((a - e) * np.log(a / e)))


def cmd_psi(a):
    names = ["recency", "frequency", "monetary"]
    score_cols = ["r_score", "f_score", "m_score"]
    with h5py.File(a.model, "r") as f:
        bins = f["model"]["score_bins"][...]
    check("/model/score_bins shape [3][5]", bins.shape == (3, 5), f"{bins.shape}")
    with h5py.File(a.results, "r") as f:
        g = f["results"]
        status = g["status"][...]
        scores = {c: g[c][...] for c in score_cols}
    with open(a.summary) as f:
        doc = json.load(f)
    engine = doc.get("drift", {}).get("psi", {})
    for fi, name in enumerate(names):
        s = scores[score_cols[fi]][status == 0]
        counts = np.array([(s == v).sum() for v in range(1, 6)])
        value = psi(bins[fi], counts)
        got = engine.get(name)
        if name == a.feature:
            check(f"PSI({name}) = {value:.6f} > {a.min}", value > a.min)
            check(f"summary drift.psi.{name} = numpy PSI {value:.12g} (1e-12 rel)",
                  got is not None and abs(got - value) <= 1e-12 * max(abs(value), 1e-300),
                  f"engine {got!r}")
        elif a.zero_others:
            check(f"PSI({name}) = 0 (feature not shifted)", value == 0.0 and got == 0.0,
                  f"numpy {value!r}, engine {got!r}")
    finish()


def cmd_psi_zero(a):
    with open(a.summary) as f:
        doc = json.load(f)
    p = doc.get("drift", {}).get("psi")
    check("summary has drift.psi for recency, frequency, monetary",
          isinstance(p, dict) and all(n in p for n in ("recency", "frequency", "monetary")), f"{p}")
    if isinstance(p, dict):
        check(f"every PSI is exactly 0 ({p})", all(v == 0.0 for v in p.values()))
    finish()


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("day2")
    p.add_argument("day1")
    p.add_argument("day2")
    p.add_argument("plan")
    p.add_argument("--seed", type=int, default=2)
    p = sub.add_parser("shift")
    p.add_argument("day1")
    p.add_argument("out")
    p.add_argument("--fraction", type=float, required=True)
    p.add_argument("--factor", type=float, required=True)
    p.add_argument("--seed", type=int, default=4)
    p = sub.add_parser("migration")
    p.add_argument("r1")
    p.add_argument("r2")
    p.add_argument("plan")
    p.add_argument("--k", type=int, required=True)
    p.add_argument("--invalid", type=int, default=0, help="members made invalid in R2's input")
    p = sub.add_parser("invalidate")
    p.add_argument("src")
    p.add_argument("out")
    p.add_argument("--nan-rows", type=int, nargs="*", default=[])
    p.add_argument("--negative-rows", type=int, nargs="*", default=[])
    p = sub.add_parser("psi")
    p.add_argument("model")
    p.add_argument("results")
    p.add_argument("summary")
    p.add_argument("--feature", default="monetary")
    p.add_argument("--min", type=float, default=0.25)
    p.add_argument("--zero-others", action="store_true")
    p = sub.add_parser("psi_zero")
    p.add_argument("summary")
    a = parser.parse_args()
    {"day2": cmd_day2, "shift": cmd_shift, "migration": cmd_migration, "psi": cmd_psi,
     "psi_zero": cmd_psi_zero, "invalidate": cmd_invalidate}[a.cmd](a)


if __name__ == "__main__":
    main()
