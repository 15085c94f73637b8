#!/usr/bin/env python3
"""gen_bgnbd.py: a transaction log drawn from the BG/NBD + Gamma-Gamma models
with known parameters (numpy, fixed seed), written as /transactions HDF5.

Per member: first purchase on a day uniform in the first 12 weeks from
2020-01-01; purchase rate lambda ~ Gamma(r, scale 1 / alpha) per week; after
every repeat purchase the member drops out with probability p ~ Beta(a, b); purchases
follow a Poisson process while alive, until the calibration end (52 weeks after
2020-01-01) plus a holdout of 26 weeks. Spend: nu ~ Gamma(q, scale 1 / v), each
purchase ~ Gamma(p_gg, scale 1 / nu). Rows are shuffled.

usage: gen_bgnbd.py OUT.h5 MEMBERS SEED
"""
import sys

import h5py
import numpy as np

TRUE = {"r": 0.5, "alpha": 8.0, "a": 0.7, "b": 3.0, "p": 6.0, "q": 4.0, "v": 15.0}
START = 18262  # 2020-01-01 in days since 1970-01-01
END_WEEKS = 52 + 26


def main():
    out, members, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rng = np.random.default_rng(seed)
    lam = rng.gamma(TRUE["r"], 1 / TRUE["alpha"], members)
    drop = rng.beta(TRUE["a"], TRUE["b"], members)
    nu = rng.gamma(TRUE["q"], 1 / TRUE["v"], members)
    first = rng.integers(0, 84, members)
    # all members step together: purchase k of every member still buying
    who = [np.arange(members)]
    when = [first / 7.0]
    t = first / 7.0
    active = np.arange(members)
    while active.size:
        t_next = t[active] + rng.exponential(1 / lam[active])
        going = t_next < END_WEEKS
        active, t_active = active[going], t_next[going]
        t[active] = t_active
        who.append(active)
        when.append(t_active)
        active = active[rng.random(active.size) >= drop[active]]
    ids = np.concatenate(who)
    weeks = np.concatenate(when)
    amounts = np.round(rng.gamma(TRUE["p"], 1 / nu[ids]), 2)
    days = START + np.floor(weeks * 7 + 1e-9).astype(np.int64)
    order = rng.permutation(ids.size)
    with h5py.File(out, "w") as f:
        g = f.create_group("transactions")
        g["member_id"] = (ids + 1000).astype(np.int64)[order]
        g["date"] = days.astype(np.int32)[order]
        g["amount"] = amounts[order]


if __name__ == "__main__":
    main()
