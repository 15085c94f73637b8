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
    ids, days, amounts = [], [], []
    for i in range(members):
        t = first[i] / 7.0
        while True:
            ids.append(i + 1000)
            days.append(START + int(np.floor(t * 7 + 1e-9)))
            amounts.append(rng.gamma(TRUE["p"], 1 / nu[i]))
            if t > first[i] / 7.0 and rng.random() < drop[i]:
                break
            t += rng.exponential(1 / lam[i])
            if t >= END_WEEKS:
                break
    order = rng.permutation(len(ids))
    with h5py.File(out, "w") as f:
        g = f.create_group("transactions")
        g["member_id"] = np.asarray(ids, dtype=np.int64)[order]
        g["date"] = np.asarray(days, dtype=np.int32)[order]
        g["amount"] = np.round(np.asarray(amounts), 2)[order]


if __name__ == "__main__":
    main()
