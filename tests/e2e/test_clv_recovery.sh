#!/usr/bin/env bash
# test_clv_recovery.sh: `cvseg clv` on a log drawn from the BG/NBD and
# Gamma-Gamma models with known parameters (tests/e2e/oracle_clv/gen_bgnbd.py,
# 30,000 members, fixed seed) recovers r, alpha, a, b, p, q, v within 4
# standard errors (its own, from the Hessian) plus 2 % (the day grid), and the
# holdout chart's predicted purchases per calibration frequency match the
# actual ones (the model is true here) within 0.05 + 10 %.
#
# Environment (set by ctest): CVSEG, SOURCE_DIR, WORK_DIR, PYTHON.
set -euo pipefail

# shellcheck source=lib.sh
source "${SOURCE_DIR:?}/tests/e2e/lib.sh"
need_python h5py numpy
enter_work_dir
export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=passive

"$PYTHON" "$SOURCE_DIR/tests/e2e/oracle_clv/gen_bgnbd.py" gen.h5 30000 7
run 2 clv --in gen.h5 --calibration-end 2020-12-29 --holdout-end 2021-06-29 --unit week \
    --out clv.h5 --summary summary.json
ran "clv on generated data, np 2"
checks "parameters and holdout chart" "$PYTHON" - summary.json <<'PY'
import json, sys
summary = json.load(open(sys.argv[1]))["clv"]
true = {"r": 0.5, "alpha": 8.0, "a": 0.7, "b": 3.0, "p": 6.0, "q": 4.0, "v": 15.0}
for model, names in (("bgnbd", "r alpha a b"), ("gamma_gamma", "p q v")):
    fit = summary[model]
    for name in names.split():
        est, se = fit[name], fit["standard_errors"][name]
        ok = abs(est - true[name]) <= 4 * se + 0.02 * true[name]
        print(("ok   " if ok else "FAIL ") + f"{model} {name} = {est:.4f} (se {se:.4f}), true {true[name]}")
for row in summary["holdout"]:
    ok = abs(row["actual_mean"] - row["predicted_mean"]) <= 0.05 + 0.1 * row["actual_mean"]
    print(("ok   " if ok else "FAIL ") + f"holdout x={row['x']}: actual {row['actual_mean']:.3f}, "
          f"predicted {row['predicted_mean']:.3f}")
PY
finish
