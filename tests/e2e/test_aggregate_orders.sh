#!/usr/bin/env bash
# test_aggregate_orders.sh: `cvseg aggregate --frequency rows|orders|days` on a
# transaction log with order ids (issue 12, item 4), made with h5py
# (oracle_orders/orders.py: multi-row and multi-day orders, a cancelled
# order with a negative net, a member with only returns, a member with a
# purchase but net M <= 0, a zero-net order, a row after the reference date,
# one order id used by two members), at np 1/2/4 (identical files) and
# against an independent pandas group-by written from the README's rules;
# then rfm on the result: members without a purchase have status
# no_purchase and no scores, and the others are scored on edges over
# themselves only.
#
# Environment (set by ctest): CVSEG, SOURCE_DIR, WORK_DIR, PYTHON.
set -euo pipefail

# shellcheck source=lib.sh
source "${SOURCE_DIR:?}/tests/e2e/lib.sh"
ORACLE=$SOURCE_DIR/tests/e2e/oracle_orders/orders.py
need_python h5py numpy pandas
enter_work_dir
export OMP_NUM_THREADS=2
REF=2011-12-01

# same_members A B: every /members dataset identical (plain h5diff, no tolerance;
# provenance attributes differ by design).
same_members() {
    local d
    for d in member_id first_purchase last_purchase frequency monetary distinct_days \
        repeat_monetary; do
        h5diff "$1" "$2" "/members/$d" "/members/$d" >/dev/null || return 1
    done
}

"$PYTHON" "$ORACLE" make log.h5
for mode in orders days rows; do
    for returns in net drop; do
        for np in 1 2 4; do
            run "$np" aggregate -q --in log.h5 --out "m_${mode}_${returns}_$np.h5" \
                --reference-date $REF --frequency "$mode" --returns "$returns" \
                --summary "s_${mode}_${returns}_$np.json"
            ran "aggregate --frequency $mode --returns $returns at np $np"
        done
        for np in 2 4; do
            check "$mode/$returns: np $np identical to np 1" \
                same_members "m_${mode}_${returns}_1.h5" "m_${mode}_${returns}_$np.h5"
        done
        oracle "$mode/$returns against pandas" check log.h5 "m_${mode}_${returns}_4.h5" $REF \
            "$mode" "$returns" "s_${mode}_${returns}_4.json"
    done
done

# The default is orders when the log has order ids, else rows (as before).
run 2 aggregate -q --in log.h5 --out m_default.h5 --reference-date $REF
ran "aggregate default with order ids"
check "default with order ids = --frequency orders" same_members m_default.h5 m_orders_net_1.h5
"$PYTHON" -c '
import h5py, sys
with h5py.File(sys.argv[1], "r") as f, h5py.File(sys.argv[2], "w") as g:
    for k in ("member_id", "date", "amount"):
        g.create_dataset("transactions/" + k, data=f["transactions"][k][()])
' log.h5 plain.h5
run 2 aggregate -q --in plain.h5 --out m_plain.h5 --reference-date $REF
ran "aggregate default without order ids"
check "default without order ids = --frequency rows" same_members m_plain.h5 m_rows_net_1.h5
run 2 aggregate -q --in plain.h5 --out m_bad.h5 --reference-date $REF --frequency orders
if [ "$rc" = 2 ] && grep -q "no dataset '/transactions/order_id'" err.txt && [ ! -e m_bad.h5 ]; then
    pass "--frequency orders without order ids: exit 2, no output"
else
    fail "--frequency orders without order ids" "exit $rc: $(tr '\n' ' ' <err.txt)"
fi
run 1 aggregate -q --in log.h5 --out m_bad.h5 --reference-date $REF --frequency weeks
if [ "$rc" = 1 ] && [ ! -e m_bad.h5 ]; then
    pass "--frequency weeks: exit 1"
else
    fail "--frequency weeks: exit 1" "exit $rc"
fi

# rfm on the order-based member table, at np 1 and 3 (identical).
for np in 1 3; do
    run "$np" rfm -q --in m_orders_net_1.h5 --out "r_$np.h5" --summary "rs_$np.json"
    ran "rfm on the order-based member table at np $np"
done
for d in status segment rfm_cell; do
    check "rfm np 3 identical to np 1: /results/$d" h5diff r_1.h5 r_3.h5 "/results/$d" "/results/$d"
done
oracle "rfm: no_purchase kept and not scored" rfm m_orders_net_1.h5 r_3.h5 rs_3.json
finish
