#!/usr/bin/env bash
# test_faults.sh: faults during a run, each under a watchdog (timeout -s KILL)
# so that a hang fails fast instead of blocking the suite.
#   (1) kill -9 of rank 1 of 3 during Lloyd iterations (train): the job ends,
#       non-zero, within the watchdog; no process left; earlier results and
#       model byte-identical; no new file.
#   (2) kill -9 of rank 1 of 3 while the results file is being written (rfm,
#       the moment its temporary appears): same checks (a temporary left by
#       the killed job is reported, not failed: nothing can remove it).
#   (3) SIGTERM and SIGUSR1 to mpirun -np 2 during train --checkpoint: exit 7,
#       checkpoint written, no outputs; --resume at np 3 gives /results and
#       /model bit-identical (h5diff) to an uninterrupted run.
#   (4) two concurrent runs on the same --out: the second exits 1 naming the
#       output, the first completes (exit 0) with a valid file.
# Checks tagged "expected after BRANCH" wait for a fix on that branch: they
# print XFAIL (or XPASS) and do not fail the test until the tag is removed.
#
# Environment (set by ctest): CVSEG, SOURCE_DIR, WORK_DIR, PYTHON.
set -euo pipefail
# shellcheck source=../e2e/lib.sh
source "${SOURCE_DIR:?}/tests/e2e/lib.sh"
need_command h5diff setsid
enter_work_dir pids
export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE HDF5_USE_FILE_LOCKING=FALSE
export PID_DIR=$WORK_DIR/pids
WATCHDOG=120
WAIT_SECONDS=$WATCHDOG # wait_for (lib.sh)
xfailed=0
# check TAG NAME CONDITION-STATUS [DETAIL]: pass/fail, or XFAIL/XPASS when TAG names a branch.
check() {
    local tag=$1 name=$2 ok=$3 detail=${4:-}
    if [ -z "$tag" ]; then
        if [ "$ok" = 0 ]; then pass "$name"; else fail "$name" "$detail"; fi
    elif [ "$ok" = 0 ]; then
        echo "XPASS $name (expected after $tag)"
    else
        echo "XFAIL $name (expected after $tag): $detail"
        xfailed=$((xfailed + 1))
    fi
}
# Each rank writes its pid (so one rank can be killed) and then becomes cvseg.
cat >rankpid.sh <<'EOF'
#!/bin/sh
echo $$ >"$PID_DIR/pid.${OMPI_COMM_WORLD_RANK:-0}"
exec "$@"
EOF
chmod +x rankpid.sh
MPIRUN=(mpirun --oversubscribe --bind-to none -x OMP_NUM_THREADS -x OMP_WAIT_POLICY -x HDF5_USE_FILE_LOCKING -x PID_DIR)
run() { # run NP ARGS...: foreground, under the watchdog
    local np=$1
    shift
    rc=0
    timeout -s KILL $WATCHDOG "${MPIRUN[@]}" -np "$np" "$CVSEG" "$@" >out.txt 2>err.txt || rc=$?
}
# no_process_left PID...: none of them alive after up to 10 s.
no_process_left() {
    local i p alive
    for ((i = 0; i < 100; ++i)); do
        alive=""
        for p in "$@"; do kill -0 "$p" 2>/dev/null && alive+="$p "; done
        [ -z "$alive" ] && return 0
        sleep 0.1
    done
    kill -KILL $alive 2>/dev/null || true
    return 1
}
same_as() { # same_as A_RESULTS A_MODEL B_RESULTS B_MODEL: every dataset equal (h5diff)
    local compared differing
    compare_run "$@"
    [ -z "$differing" ] || {
        echo "differ:$differing"
        return 1
    }
}

SETTINGS=(--k 6 --n-init 3 --restart-sample 0 --tol 0 --seed 9)
run 2 gen -q --out big.h5 --members 400000 --clusters 6 --seed 8
ran "gen --members 400000"
run 2 train -q --in big.h5 --out ref.h5 --model ref_model.h5 "${SETTINGS[@]}"
ran "reference train (uninterrupted, np 2)"

# kill_rank_one NAME TRIGGER ARGS...: starts cvseg ARGS at np 3 over earlier
# outputs out.h5 / model.h5 (copies of the reference), kills rank 1 with -9
# once TRIGGER holds, and checks the outcome.
kill_rank_one() {
    local name=$1 trigger=$2 pid signalled=0 leftover before after p pids=""
    shift 2
    rm -rf k && mkdir k && cp ref.h5 k/out.h5 && cp ref_model.h5 k/model.h5
    rm -f pids/pid.*
    before=$(cd k && ls -A && md5sum out.h5 model.h5)
    local started=$SECONDS
    rm -f k.out k.err # before the start: the trigger must not see the last run's log
    setsid timeout -s KILL $WATCHDOG "${MPIRUN[@]}" -np 3 ./rankpid.sh "$CVSEG" "$@" >k.out 2>k.err &
    pid=$!
    if wait_for "$pid" eval "$trigger && [ -s pids/pid.1 ]"; then
        kill -KILL "$(cat pids/pid.1)" 2>/dev/null && signalled=1
    fi
    rc=0
    wait "$pid" || rc=$?
    local took=$((SECONDS - started))
    for p in pids/pid.*; do pids+="$(cat "$p") "; done
    check "" "$name: rank 1 killed with -9 at the moment" "$((1 - signalled))" "the run ended first (exit $rc)"
    check "" "$name: the job ends non-zero within the ${WATCHDOG} s watchdog (exit $rc, ${took} s)" \
        "$([ "$rc" != 0 ] && [ "$took" -lt $((WATCHDOG - 5)) ] && echo 0 || echo 1)" "exit $rc after $took s"
    no_process_left $pids
    check "" "$name: no rank process left" $? "still alive: $pids"
    leftover=$(cd k && compgen -G "*.tmp.*" || true)
    [ -z "$leftover" ] || echo "info $name: temporary left by the killed job: $leftover"
    # a lock file left by the killed run is harmless: the next run takes it over
    after=$(cd k && ls -A | grep -v -e '\.tmp\.' -e '\.lock$' && md5sum out.h5 model.h5)
    check "" "$name: earlier results and model byte-identical, no new output" \
        "$([ "$before" = "$after" ] && echo 0 || echo 1)" "before: $before; after: $after"
}
# (1) mid-Lloyd: rank 0 has logged an iteration of restart 1.
kill_rank_one "(1) kill -9 of rank 1 mid-Lloyd" "grep -q 'restart 1 iteration' k.err 2>/dev/null" \
    train --in big.h5 --out k/out.h5 --model k/model.h5 "${SETTINGS[@]}"
# (2) mid-write: the results temporary exists.
kill_rank_one "(2) kill -9 of rank 1 mid-write" "compgen -G 'k/out.h5.tmp.*' >/dev/null" \
    rfm --in big.h5 --out k/out.h5

# (3) SIGTERM / SIGUSR1 to mpirun during train --checkpoint.
for sig in TERM USR1; do
    # SIGTERM goes through scripts/cvseg-run: Open MPI 4's mpirun itself turns
    # SIGTERM into "abort the job" and exits 1 whatever the ranks return (README).
    tag=""
    launcher=()
    [ "$sig" = TERM ] && launcher=("$SOURCE_DIR/scripts/cvseg-run")
    rm -f S.h5 S_model.h5 CK_$sig.h5 s.out s.err # the trigger must not see the last run's log
    timeout -s KILL $WATCHDOG "${launcher[@]}" "${MPIRUN[@]}" -np 2 "$CVSEG" train --in big.h5 --out S.h5 --model S_model.h5 \
        "${SETTINGS[@]}" --checkpoint CK_$sig.h5 --checkpoint-interval 0 >s.out 2>s.err &
    pid=$!
    signalled=1
    # the signal goes to the launcher (mpirun or cvseg-run: the child of timeout)
    wait_for "$pid" grep -sq 'restart 1 iteration' s.err && kill -"$sig" "$(pgrep -P "$pid")" || signalled=0
    rc=0
    wait "$pid" || rc=$?
    check "" "(3) SIG$sig sent to mpirun -np 2 during restart 1" "$((1 - signalled))" "run ended first"
    check "$tag" "(3) SIG$sig to ${launcher[*]:+cvseg-run + }mpirun: exit 7" "$([ "$rc" = 7 ] && echo 0 || echo 1)" "exit $rc"
    check "$tag" "(3) SIG$sig: checkpoint written, no results or model" \
        "$([ -f CK_$sig.h5 ] && [ ! -e S.h5 ] && [ ! -e S_model.h5 ] && echo 0 || echo 1)" "$(ls CK_$sig.h5 S*.h5 2>&1 | tr '\n' ' ')"
    run 3 train -q --in big.h5 --out S.h5 --model S_model.h5 "${SETTINGS[@]}" --checkpoint CK_$sig.h5 --resume
    ran "(3) SIG$sig: --resume at np 3"
    diff=$(same_as ref.h5 ref_model.h5 S.h5 S_model.h5) && ok=0 || ok=1
    check "" "(3) SIG$sig: resumed results and model bit-identical to the uninterrupted run" $ok "$diff"
done

# (4) two writers on the same --out.
rm -f W.h5 W_model.h5 W2_model.h5 w1.out w1.err w2.out w2.err
timeout -s KILL $WATCHDOG "${MPIRUN[@]}" -np 2 "$CVSEG" train --in big.h5 --out W.h5 --model W_model.h5 \
    "${SETTINGS[@]}" >w1.out 2>w1.err &
first=$!
wait_for "$first" grep -sq iteration w1.err || true
# hold the first writer's ranks still while the second runs, so the two overlap
# however fast the machine is
pkill -STOP -f -- "train --in big.h5 --out W.h5" || true
rc2=0
timeout -s KILL $WATCHDOG "${MPIRUN[@]}" -np 2 "$CVSEG" rfm --in big.h5 --out W.h5 >w2.out 2>w2.err || rc2=$?
pkill -CONT -f -- "train --in big.h5 --out W.h5" || true
rc1=0
wait "$first" || rc1=$?
line=$(grep -F 'cvseg: error:' w2.err || true)
check "" "(4) second writer on the same --out exits 1 naming it" \
    "$([ "$rc2" = 1 ] && [[ "$line" == *W.h5* ]] && echo 0 || echo 1)" "exit $rc2: ${line:-no error line}"
check "" "(4) the first writer completes (exit $rc1)" "$([ "$rc1" = 0 ] && echo 0 || echo 1)" "$(tail -n 2 w1.err | tr '\n' ' ')"
diff=$(same_as ref.h5 ref_model.h5 W.h5 W_model.h5) && ok=0 || ok=1
check "" "(4) W.h5 is the first writer's complete result" $ok "$diff"

echo "info $xfailed checks XFAIL (waiting for other branches)"
finish
