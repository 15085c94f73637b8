#!/usr/bin/env bash
# test_twostep.sh: `cvseg train --two-step` (K-Means pre-clusters, Ward
# merging, k by the silhouette of the Ward cuts, Lloyd refinement).
#   a. On planted data (gen --clusters 3, log1p features) it chooses k = 3;
#      the summary's kmeans.k is the chosen k and "two_step" holds the rule,
#      the merge costs, silhouettes and ratios; the model has k centroids. The
#      silhouettes equal a numpy oracle: Ward (brute force) on the k0
#      centroids of `train --k 50` (the same pre-clustering) weighted by their
#      sizes, and the silhouette of the cut with members at their centres;
#      the chosen k is the largest whose silhouette is within 0.01 of the best.
#   b. Identical results (h5diff on the clusters and the model) at np 1 and 3
#      (K = 3) and at np 1 x 1 thread and np 2 x 2 threads (K = 7).
#   c. --two-step with --k or --checkpoint: exit 1.
#   d. K = 3..8 (20,000 members each): the planted groups are recoverable
#      (independent oracle: scikit-learn KMeans(K, n_init=10, random_state=0)
#      on the same standardised log1p features reaches ARI >= 0.95 against
#      /truth/group), and two-step chooses k = K with ARI >= 0.95; also for
#      K = 5 and 7 with --pre-clusters 100 (there the best silhouette alone
#      chose 4 and 5 on the generator's earlier groups).
#
# Environment (set by ctest): CVSEG, SOURCE_DIR, WORK_DIR, PYTHON.
set -euo pipefail

: "${CVSEG:?CVSEG must name the cvseg binary}"
: "${SOURCE_DIR:?}" "${WORK_DIR:?}"
PYTHON=${PYTHON:-/usr/bin/python3}
ORACLE=$SOURCE_DIR/tests/e2e/oracle_km/kmo.py
if ! "$PYTHON" -c 'import h5py, numpy, sklearn.metrics' 2>/dev/null; then
    echo "skipped: $PYTHON lacks h5py/numpy/sklearn"
    exit 77
fi
rm -rf "$WORK_DIR"
mkdir -p "$WORK_DIR"
cd "$WORK_DIR"
export OMP_WAIT_POLICY=PASSIVE
export OMP_NUM_THREADS=1

# shellcheck source=lib.sh
source "$SOURCE_DIR/tests/e2e/lib.sh"

run 1 gen --out g3.h5 --members 20000 --clusters 3 --seed 23
ran "gen --clusters 3"
run 1 train -q --in g3.h5 --out r1.h5 --model m1.h5 --two-step --transform log1p --summary s1.json
ran "train --two-step np 1"
run 3 train -q --in g3.h5 --out r3.h5 --model m3.h5 --two-step --transform log1p
ran "train --two-step np 3"
run 1 train -q --in g3.h5 --out p3.h5 --model pm3.h5 --k 50 --transform log1p
ran "train --k 50 (the pre-clustering)"
if "$PYTHON" - s1.json m1.h5 pm3.h5 >check.log 2>&1 <<'PY'
import json, sys
import h5py
import numpy as np
s = json.load(open(sys.argv[1]))
t = s["two_step"]
assert s["kmeans"]["k"] == 3 == t["chosen_k"], (s["kmeans"]["k"], t["chosen_k"])
assert t["pre_clusters"] == 50 and t["k_max"] == 15 and "silhouette" in t["rule"]
assert t["tolerance"] == 0.01
assert len(t["silhouettes"]) == 14 and len(t["ratios"]) == 14 and len(t["merge_costs"]) == 15
top = max(r["silhouette"] for r in t["silhouettes"])
best = max((r for r in t["silhouettes"] if r["silhouette"] >= top - 0.01), key=lambda r: r["k"])
assert best["k"] == 3, best
with h5py.File(sys.argv[2]) as f:
    assert f["model/centroids"].shape == (3, 3)
with h5py.File(sys.argv[3]) as f:
    c = f["model/centroids"][:]
    w = f["model/cluster_size"][:].astype(np.float64)
# Ward by brute force: every step merges the pair of least w_a w_b/(w_a+w_b)|ca-cb|^2.
m = len(c)
group, centre, weight = list(range(m)), {i: c[i].copy() for i in range(m)}, {i: w[i] for i in range(m)}
cuts = {m: list(group)}
while len(centre) > 1:
    keys = sorted(centre)
    cost, a, b = min((weight[a] * weight[b] / (weight[a] + weight[b]) * np.sum((centre[a] - centre[b]) ** 2), a, b)
                     for i, a in enumerate(keys) for b in keys[i + 1:])
    centre[a] = (weight[a] * centre[a] + weight[b] * centre[b]) / (weight[a] + weight[b])
    weight[a] += weight[b]
    del centre[b], weight[b]
    group = [a if g == b else g for g in group]
    cuts[len(centre)] = list(group)
dist = np.sqrt(((c[:, None, :] - c[None, :, :]) ** 2).sum(-1))
worst = 0.0
for row in t["silhouettes"]:
    g = np.array(cuts[row["k"]])
    labels = sorted(set(g))
    sil = 0.0
    for p in range(m):
        sums = {h: np.sum(w[g == h] * dist[p, g == h]) for h in labels}
        sizes = {h: np.sum(w[g == h]) for h in labels}
        a = sums[g[p]] / (sizes[g[p]] - 1)
        b = min(sums[h] / sizes[h] for h in labels if h != g[p])
        sil += w[p] * (b - a) / max(a, b)
    sil /= w.sum()
    worst = max(worst, abs(sil - row["silhouette"]))
assert worst <= 1e-12, worst
print("k = 3 chosen (silhouette %.4f); silhouettes equal the numpy oracle (max diff %.1e)"
      % (best["silhouette"], worst))
PY
then
    pass "summary: $(tail -n 1 check.log)"
else
    fail "summary" "$(tail -n 2 check.log | tr '\n' ' ')"
fi
if h5diff r1.h5 r3.h5 /results/cluster /results/cluster >/dev/null 2>&1 &&
    h5diff m1.h5 m3.h5 /model/centroids /model/centroids >/dev/null 2>&1; then
    pass "np 1 and 3: clusters and centroids identical"
else
    fail "np 1 and 3 differ"
fi
for extra in "--k 4" "--checkpoint c.h5"; do
    # shellcheck disable=SC2086
    run 1 train -q --in g3.h5 --out bad.h5 --model bad_m.h5 --two-step $extra
    if [ "$rc" = 1 ] && [ ! -e bad.h5 ] && grep -q -- "--two-step" err.txt; then
        pass "--two-step $extra: exit 1"
    else
        fail "--two-step $extra" "exit $rc"
    fi
done
for K in 4 5 6 7 8; do
    run 1 gen --out "g$K.h5" --members 20000 --clusters "$K" --seed $((20 + K))
    run 1 train -q --in "g$K.h5" --out "r$K.h5" --model "m$K.h5" --two-step --transform log1p \
        --summary "s$K.json"
    ran "K = $K: gen and train --two-step"
done
if "$PYTHON" - "$SOURCE_DIR/tests/e2e/oracle_km" >sk.log 2>&1 <<'PY'; then
import sys
import h5py
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score
sys.path.insert(0, sys.argv[1])
from kmo import features
worst = 1.0
for K in range(3, 9):
    _, z, _, _ = features("g%d.h5" % K, "log1p")
    with h5py.File("g%d.h5" % K) as f:
        truth = f["truth/group"][:]
    ari = adjusted_rand_score(truth, KMeans(K, n_init=10, random_state=0).fit(z).labels_)
    print("K = %d: scikit-learn KMeans ARI %.4f" % (K, ari))
    worst = min(worst, ari)
print("scikit-learn KMeans(K, n_init=10) with the true K: ARI >= %.4f for K = 3..8" % worst)
assert worst >= 0.95
PY
    pass "planted groups recoverable: $(tail -n 1 sk.log)"
else
    fail "planted groups recoverable" "$(grep -v '^K = ' sk.log | tail -n 2 | tr '\n' ' ') $(grep '^K = ' sk.log | tr '\n' ' ')"
fi
for K in 3 4 5 6 7 8; do
    result="r$K.h5" summary="s$K.json"
    [ "$K" = 3 ] && result=r1.h5 summary=s1.json # np 1 (r3.h5 is the np 3 run)
    chosen=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["kmeans"]["k"])' "$summary")
    "$PYTHON" "$ORACLE" ari "$result" "g$K.h5" --info >ari.log 2>&1 || true
    ari=$(tail -n 1 ari.log)
    if [ "$chosen" = "$K" ] && "$PYTHON" "$ORACLE" ari "$result" "g$K.h5" --min 0.95 >/dev/null 2>&1; then
        pass "K = $K recovered by two-step: k = $chosen, $ari >= 0.95"
    else
        fail "K = $K recovered by two-step" "k = $chosen, $ari"
    fi
done
for K in 5 7; do
    run 1 train -q --in "g$K.h5" --out "q$K.h5" --model "qm$K.h5" --two-step --pre-clusters 100 \
        --transform log1p --summary "q$K.json"
    ran "K = $K, --pre-clusters 100: train --two-step"
    chosen=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["kmeans"]["k"])' "q$K.json")
    "$PYTHON" "$ORACLE" ari "q$K.h5" "g$K.h5" --info >ari.log 2>&1 || true
    if [ "$chosen" = "$K" ] && "$PYTHON" "$ORACLE" ari "q$K.h5" "g$K.h5" --min 0.95 >/dev/null 2>&1; then
        pass "K = $K, --pre-clusters 100 recovered: k = $chosen, $(tail -n 1 ari.log) >= 0.95"
    else
        fail "K = $K, --pre-clusters 100 recovered" "k = $chosen, $(tail -n 1 ari.log)"
    fi
done
export OMP_NUM_THREADS=2
run 2 train -q --in g7.h5 --out r7n2.h5 --model m7n2.h5 --two-step --transform log1p
export OMP_NUM_THREADS=1
ran "K = 7: train --two-step np 2 x 2 threads"
if h5diff r7.h5 r7n2.h5 /results/cluster /results/cluster >/dev/null 2>&1 &&
    h5diff m7.h5 m7n2.h5 /model/centroids /model/centroids >/dev/null 2>&1; then
    pass "K = 7, np 1 x 1 thread and np 2 x 2 threads: clusters and centroids identical"
else
    fail "K = 7, np 1 x 1 thread and np 2 x 2 threads differ"
fi
finish
