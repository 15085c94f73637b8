#!/usr/bin/env bash
# test_checkpoint.sh: K-Means checkpoints, signals and --resume, end to end.
# Data: gen --members 400000 --clusters 6 --seed 8 (a seed whose restarts run
# 34, 32 and 23 Lloyd iterations with --tol 0, so a signal has time to land).
# Reference: train --k 6 --n-init 3 --restart-sample 0 --tol 0 --seed 9 at np 2. Every resumed
# run must give /results and /model datasets bit-identical to the reference
# (h5diff per dataset) and equal inertia/iterations/converged attributes;
# provenance and timing attributes and /report are ignored.
#   (a) SIGTERM to a singleton run (no mpirun) during restart 1 with
#       --checkpoint-interval 0: exit 7, checkpoint present, no outputs;
#       resume with --resume at np 3.
#   (b) SIGUSR1 to mpirun -np 2 (forwarded to the ranks): exit 7; resume at
#       np 1, interrupted again by SIGUSR1 in restart 2; resume that at np 3.
#   (c) kill -9 of the whole mpirun process group in restart 2 over a previous good
#       output: the previous results and model stay byte-identical; resume.
#   (d) a checkpoint from other settings (--seed 10) or other data is refused
#       with exit 1 and a message naming the checkpoint.
#   (e) --resume without a checkpoint file starts from scratch: the reference.
#   (f) a successful run removes its checkpoint.
#   (g) SIGTERM to scripts/cvseg-run around mpirun -np 2 after the first Lloyd
#       iteration: exit 7 from every rank and from the launch; resume at np 2.
#
# Environment (set by ctest): CVSEG, SOURCE_DIR, SHARED_DIR, WORK_DIR, PYTHON.
set -euo pipefail

: "${CVSEG:?CVSEG must name the cvseg binary}"
: "${SOURCE_DIR:?}" "${WORK_DIR:?}"
PYTHON=${PYTHON:-/usr/bin/python3}
if ! "$PYTHON" -c 'import h5py, numpy' 2>/dev/null; then
    echo "skipped: $PYTHON lacks h5py/numpy"
    exit 77
fi
if ! command -v h5diff >/dev/null || ! command -v setsid >/dev/null; then
    echo "skipped: h5diff or setsid not found"
    exit 77
fi
rm -rf "$WORK_DIR"
mkdir -p "$WORK_DIR"
cd "$WORK_DIR"
export OMP_WAIT_POLICY=PASSIVE
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
export HDF5_USE_FILE_LOCKING=FALSE

# shellcheck source=lib.sh
source "$SOURCE_DIR/tests/e2e/lib.sh"
MPIRUN=(mpirun --oversubscribe --bind-to none -x OMP_NUM_THREADS -x OMP_WAIT_POLICY
    -x HDF5_USE_FILE_LOCKING)
# run NP ARGS...: runs cvseg under mpirun; sets rc, stderr in err.txt.
run() {
    local np=$1
    shift
    rc=0
    "${MPIRUN[@]}" -np "$np" "$CVSEG" "$@" >out.txt 2>err.txt || rc=$?
}
# expect_rc NAME CODE [ERRFILE]: the last run exited with CODE.
expect_rc() {
    if [ "$rc" = "$2" ]; then
        pass "$1"
    else
        fail "$1" "exit $rc, expected $2: $(tail -n 3 "${3:-err.txt}" | tr '\n' ' ')"
    fi
}
# same_as_reference NAME RESULTS MODEL: every /results and /model dataset
# bit-identical to the reference (h5diff), inertia/iterations/converged equal.
same_as_reference() {
    local name=$1 results=$2 model=$3 bad="" n=0 ds
    if [ ! -f "$results" ] || [ ! -f "$model" ]; then
        fail "$name" "missing $results or $model"
        return
    fi
    for ds in $(h5ls ref.h5/results | awk '$2 == "Dataset" {print $1}'); do
        n=$((n + 1))
        h5diff -q ref.h5 "$results" "/results/$ds" "/results/$ds" >/dev/null 2>&1 || bad="$bad /results/$ds"
    done
    for ds in $(h5ls ref_model.h5/model | awk '$2 == "Dataset" {print $1}'); do
        n=$((n + 1))
        h5diff -q ref_model.h5 "$model" "/model/$ds" "/model/$ds" >/dev/null 2>&1 || bad="$bad /model/$ds"
    done
    local attrs
    attrs=$("$PYTHON" - "$model" <<'EOF' 2>&1 || true
import sys, h5py
a = h5py.File("ref_model.h5", "r")["model"].attrs
b = h5py.File(sys.argv[1], "r")["model"].attrs
for key in ("inertia", "iterations", "converged", "k"):
    if key not in b or a[key] != b[key]:
        print(f"@{key} {a[key]!r} vs {b.get(key)!r}")
EOF
)
    if [ "$n" -gt 10 ] && [ -z "$bad" ] && [ -z "$attrs" ]; then
        pass "$name ($n datasets, inertia/iterations equal)"
    else
        fail "$name" "differ:$bad $attrs"
    fi
}
# wait_for FILE PATTERN PID: waits (up to 120 s) until FILE contains PATTERN or
# PID has ended; returns 0 when the pattern showed while PID still ran.
wait_for() {
    local file=$1 pattern=$2 pid=$3 i
    for ((i = 0; i < 12000; ++i)); do
        if grep -qE "$pattern" "$file" 2>/dev/null; then
            kill -0 "$pid" 2>/dev/null && return 0
            return 1
        fi
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.01
    done
    return 1
}
# no_process_left PGID: nothing of the process group is alive (waits up to 10 s).
no_process_left() {
    local i
    for ((i = 0; i < 100; ++i)); do
        pgrep -g "$1" >/dev/null 2>&1 || return 0
        sleep 0.1
    done
    return 1
}
ckpt_attr() {
    "$PYTHON" -c "import h5py, sys; print(int(h5py.File(sys.argv[1], 'r')['checkpoint'].attrs[sys.argv[2]]))" "$1" "$2" 2>/dev/null || echo none
}

SETTINGS=(--k 6 --n-init 3 --restart-sample 0 --tol 0 --seed 9)

# ------------------------------------------------------------ reference
run 2 gen -q --out big.h5 --members 400000 --clusters 6 --seed 8
expect_rc "gen --members 400000 --clusters 6 --seed 8" 0
run 2 train -q --in big.h5 --out ref.h5 --model ref_model.h5 "${SETTINGS[@]}"
expect_rc "reference train --k 6 --n-init 3 --tol 0 --seed 9 (np 2)" 0
ref_iters=$("$PYTHON" -c "import h5py; print(h5py.File('ref_model.h5','r')['model'].attrs['iterations'])")
echo "info reference: /model@iterations = $ref_iters"

# ------------------------------------------------------------ (a) SIGTERM, singleton
rm -f A.h5 A_model.h5 CK.h5
"$CVSEG" train --in big.h5 --out A.h5 --model A_model.h5 "${SETTINGS[@]}" \
    --checkpoint CK.h5 --checkpoint-interval 0 >outA.txt 2>errA.txt &
pid=$!
if wait_for errA.txt 'restart 1 iteration' "$pid"; then
    kill -TERM "$pid"
    signalled=1
else
    signalled=0
fi
rc=0
wait "$pid" || rc=$?
if [ "$signalled" = 1 ]; then
    pass "(a) SIGTERM sent to the singleton during restart 1"
else
    fail "(a) SIGTERM sent to the singleton during restart 1" "run ended first (exit $rc)"
fi
expect_rc "(a) SIGTERM: exit code 7" 7 errA.txt
if [ -f CK.h5 ] && [ "$(ckpt_attr CK.h5 restart)" = 1 ]; then
    pass "(a) checkpoint CK.h5 written at restart 1 (iteration $(ckpt_attr CK.h5 iteration))"
else
    fail "(a) checkpoint CK.h5 written at restart 1" "restart $(ckpt_attr CK.h5 restart)"
fi
if [ ! -e A.h5 ] && [ ! -e A_model.h5 ] && ! compgen -G "A.h5.*" >/dev/null && ! compgen -G "A_model.h5.*" >/dev/null; then
    pass "(a) interrupted run wrote neither results nor model (nor temporaries)"
else
    fail "(a) interrupted run wrote neither results nor model (nor temporaries)" "$(ls A*.h5* 2>/dev/null | tr '\n' ' ')"
fi
if grep -qF "signal received" errA.txt; then
    pass "(a) stderr reports the signal and the checkpoint"
else
    fail "(a) stderr reports the signal and the checkpoint" "$(tail -n 2 errA.txt | tr '\n' ' ')"
fi
cp CK.h5 CK_saved.h5 2>/dev/null || true
run 3 train --in big.h5 --out A.h5 --model A_model.h5 "${SETTINGS[@]}" --checkpoint CK.h5 --resume
expect_rc "(a) --resume at np 3: exit 0" 0
if grep -qF "resuming from CK.h5: restart 1" err.txt; then
    pass "(a) resume started from the checkpoint (restart 1)"
else
    fail "(a) resume started from the checkpoint (restart 1)" "$(grep -m1 -iE 'resum|checkpoint' err.txt)"
fi
same_as_reference "(a) resumed at np 3: bit-identical to the reference" A.h5 A_model.h5
if [ ! -e CK.h5 ]; then
    pass "(f) checkpoint removed after the successful resumed run"
else
    fail "(f) checkpoint removed after the successful resumed run"
fi

# ------------------------------------------------------------ (b) SIGUSR1 via mpirun
rm -f B.h5 B_model.h5 CKB.h5
"${MPIRUN[@]}" -np 2 "$CVSEG" train --in big.h5 --out B.h5 --model B_model.h5 "${SETTINGS[@]}" \
    --checkpoint CKB.h5 --checkpoint-interval 0 >outB.txt 2>errB.txt &
pid=$!
if wait_for errB.txt 'restart 1 iteration' "$pid"; then
    kill -USR1 "$pid"
    signalled=1
else
    signalled=0
fi
rc=0
wait "$pid" || rc=$?
if [ "$signalled" = 1 ]; then
    pass "(b) SIGUSR1 sent to mpirun -np 2 during restart 1"
else
    fail "(b) SIGUSR1 sent to mpirun -np 2 during restart 1" "run ended first (exit $rc)"
fi
expect_rc "(b) SIGUSR1 through mpirun: exit code 7" 7 errB.txt
if [ -f CKB.h5 ] && [ ! -e B.h5 ] && [ ! -e B_model.h5 ]; then
    pass "(b) checkpoint written, no outputs (restart $(ckpt_attr CKB.h5 restart), iteration $(ckpt_attr CKB.h5 iteration))"
else
    fail "(b) checkpoint written, no outputs" "$(ls CKB.h5 B*.h5 2>/dev/null | tr '\n' ' ')"
fi
# Interrupt the resumed run again (restart 2), then resume that at np 3.
"${MPIRUN[@]}" -np 1 "$CVSEG" train --in big.h5 --out B.h5 --model B_model.h5 "${SETTINGS[@]}" \
    --checkpoint CKB.h5 --checkpoint-interval 0 --resume >outB.txt 2>errB2.txt &
pid=$!
if wait_for errB2.txt 'restart 2 iteration' "$pid"; then
    kill -USR1 "$pid"
    signalled=1
else
    signalled=0
fi
rc=0
wait "$pid" || rc=$?
if [ "$signalled" = 1 ] && grep -qF "resuming from CKB.h5: restart 1" errB2.txt; then
    pass "(b) resumed at np 1 from restart 1, SIGUSR1 again during restart 2"
else
    fail "(b) resumed at np 1 from restart 1, SIGUSR1 again during restart 2" "signalled $signalled, exit $rc"
fi
expect_rc "(b) second SIGUSR1: exit code 7" 7 errB2.txt
if [ -f CKB.h5 ] && [ "$(ckpt_attr CKB.h5 restart)" = 2 ] && [ ! -e B.h5 ]; then
    pass "(b) second checkpoint at restart 2, no outputs"
else
    fail "(b) second checkpoint at restart 2, no outputs" "restart $(ckpt_attr CKB.h5 restart)"
fi
run 3 train --in big.h5 --out B.h5 --model B_model.h5 "${SETTINGS[@]}" --checkpoint CKB.h5 --resume
expect_rc "(b) --resume at np 3: exit 0" 0
same_as_reference "(b) resumed twice (np 1, np 3): bit-identical to the reference" B.h5 B_model.h5
if [ ! -e CKB.h5 ]; then
    pass "(f) checkpoint removed after the successful run (b)"
else
    fail "(f) checkpoint removed after the successful run (b)"
fi

# ------------------------------------------------------------ (g) SIGTERM to an mpirun launch
# Open MPI 4's mpirun answers SIGTERM by aborting the job (exit 1 whatever the ranks
# return; it cannot forward SIGTERM). scripts/cvseg-run turns SIGTERM into SIGUSR1
# for the launcher: every rank writes the checkpoint and exits 7, and so does the
# launch. Each rank records its own code (its wrapper outlives the SIGTERM that
# mpirun sends the other ranks once the first has exited non-zero).
cat >rankrc.sh <<'EOF'
#!/usr/bin/env bash
# mpirun signals this script (its child): pass SIGUSR1 on to cvseg; a SIGTERM
# (mpirun ending the job) only cuts the wait short, so the code is recorded.
"$@" &
child=$!
trap 'got=1; kill -USR1 $child' USR1
trap 'got=1' TERM
while :; do
    got=0 rc=0
    wait $child || rc=$?
    [ "$got" = 1 ] || break                 # cvseg ended: rc is its code
    kill -0 $child 2>/dev/null && continue  # the trap cut the wait short
    rc=0
    wait $child || rc=$?
    break
done
echo "$rc" >"rank.${OMPI_COMM_WORLD_RANK:-0}.rc"
exit $rc
EOF
chmod +x rankrc.sh
rm -f G.h5 G_model.h5 CKG.h5 rank.*.rc
"$SOURCE_DIR/scripts/cvseg-run" "${MPIRUN[@]}" -np 2 ./rankrc.sh "$CVSEG" train --in big.h5 --out G.h5 \
    --model G_model.h5 "${SETTINGS[@]}" --checkpoint CKG.h5 >outG.txt 2>errG.txt &
pid=$!
if wait_for errG.txt 'restart 0 iteration +1:' "$pid"; then
    kill -TERM "$pid"
    signalled=1
else
    signalled=0
fi
rc=0
wait "$pid" || rc=$?
if [ "$signalled" = 1 ]; then
    pass "(g) SIGTERM sent to cvseg-run mpirun -np 2 after the first Lloyd iteration"
else
    fail "(g) SIGTERM sent to cvseg-run mpirun -np 2 after the first Lloyd iteration" "run ended first (exit $rc)"
fi
expect_rc "(g) SIGTERM through cvseg-run + mpirun: exit code 7" 7 errG.txt
if [ "$(cat rank.0.rc rank.1.rc 2>/dev/null | tr '\n' ' ')" = "7 7 " ]; then
    pass "(g) every rank exited 7"
else
    fail "(g) every rank exited 7" "ranks: $(cat rank.*.rc 2>/dev/null | tr '\n' ' ')"
fi
if [ -f CKG.h5 ] && [ ! -e G.h5 ] && [ ! -e G_model.h5 ]; then
    pass "(g) checkpoint written, no outputs (restart $(ckpt_attr CKG.h5 restart), iteration $(ckpt_attr CKG.h5 iteration))"
else
    fail "(g) checkpoint written, no outputs" "$(ls CKG.h5 G*.h5 2>/dev/null | tr '\n' ' ')"
fi
run 2 train --in big.h5 --out G.h5 --model G_model.h5 "${SETTINGS[@]}" --checkpoint CKG.h5 --resume
expect_rc "(g) --resume at np 2: exit 0" 0
same_as_reference "(g) resumed after SIGTERM: bit-identical to the reference" G.h5 G_model.h5

# ------------------------------------------------------------ (c) SIGKILL over a previous output
rm -f CKC.h5
cp ref.h5 C.h5
cp ref_model.h5 C_model.h5
cp ref.h5 C_before.h5
cp ref_model.h5 C_model_before.h5
setsid "${MPIRUN[@]}" -np 2 "$CVSEG" train --in big.h5 --out C.h5 --model C_model.h5 "${SETTINGS[@]}" \
    --checkpoint CKC.h5 --checkpoint-interval 0 >outC.txt 2>errC.txt &
pid=$!
if wait_for errC.txt 'restart 2 iteration +[0-9]*[2-9]:' "$pid"; then
    kill -KILL -- "-$pid" 2>/dev/null || true
    signalled=1
else
    signalled=0
fi
rc=0
{ wait "$pid"; } 2>/dev/null || rc=$?
if [ "$signalled" = 1 ] && [ "$rc" = 137 ]; then
    pass "(c) kill -9 of the mpirun process group during restart 2"
else
    fail "(c) kill -9 of the mpirun process group during restart 2" "signalled $signalled, exit $rc"
fi
if no_process_left "$pid"; then
    pass "(c) no process of the killed group is left"
else
    fail "(c) no process of the killed group is left" "$(pgrep -g "$pid" -a | tr '\n' ' ')"
    kill -KILL -- "-$pid" 2>/dev/null || true
fi
if cmp -s C.h5 C_before.h5 && cmp -s C_model.h5 C_model_before.h5; then
    pass "(c) previous results and model byte-identical after kill -9"
else
    fail "(c) previous results and model byte-identical after kill -9"
fi
leftover=$(compgen -G "C.h5.*"; compgen -G "C_model.h5.*"; compgen -G "CKC.h5.*") || true
echo "info (c) temporaries left by kill -9: ${leftover:-none}"
if [ -f CKC.h5 ]; then
    pass "(c) a complete checkpoint survived (restart $(ckpt_attr CKC.h5 restart), iteration $(ckpt_attr CKC.h5 iteration))"
else
    fail "(c) a complete checkpoint survived"
fi
run 2 train --in big.h5 --out C.h5 --model C_model.h5 "${SETTINGS[@]}" --checkpoint CKC.h5 --resume
expect_rc "(c) --resume after kill -9: exit 0" 0
if grep -qF "resuming from CKC.h5" err.txt; then
    pass "(c) resume started from the checkpoint"
else
    fail "(c) resume started from the checkpoint" "$(grep -m1 -iE 'resum|checkpoint' err.txt)"
fi
same_as_reference "(c) resumed after kill -9: bit-identical to the reference" C.h5 C_model.h5

# ------------------------------------------------------------ (d) foreign checkpoints
if [ -f CK_saved.h5 ]; then
    rm -f D.h5 D_model.h5
    cp CK_saved.h5 CKD.h5
    run 2 train --in big.h5 --out D.h5 --model D_model.h5 --k 6 --n-init 3 --restart-sample 0 --tol 0 --seed 10 \
        --checkpoint CKD.h5 --resume
    expect_rc "(d) --resume with a checkpoint of --seed 9 in a --seed 10 run: exit 1" 1
    if grep -F "cvseg: error:" err.txt | grep -qF "checkpoint" && [ ! -e D.h5 ] && [ ! -e D_model.h5 ]; then
        pass "(d) other seed: message names the checkpoint, no outputs"
    else
        fail "(d) other seed: message names the checkpoint, no outputs" "$(tail -n 2 err.txt | tr '\n' ' ')"
    fi
    if cmp -s CKD.h5 CK_saved.h5; then
        pass "(d) the refused checkpoint is left untouched"
    else
        fail "(d) the refused checkpoint is left untouched"
    fi
    run 2 gen -q --out other.h5 --members 400000 --clusters 6 --seed 81
    cp CK_saved.h5 CKD.h5
    run 2 train --in other.h5 --out D.h5 --model D_model.h5 "${SETTINGS[@]}" --checkpoint CKD.h5 --resume
    expect_rc "(d) --resume with a checkpoint of other data (same size): exit 1" 1
    if grep -F "cvseg: error:" err.txt | grep -qF "checkpoint" && [ ! -e D.h5 ]; then
        pass "(d) other data: message names the checkpoint, no outputs"
    else
        fail "(d) other data: message names the checkpoint, no outputs" "$(tail -n 2 err.txt | tr '\n' ' ')"
    fi
    run 2 train --in big.h5 --out D.h5 --model D_model.h5 --k 5 --n-init 3 --tol 0 --seed 9 \
        --checkpoint CKD.h5 --resume
    expect_rc "(d) --resume with a checkpoint of --k 6 in a --k 5 run: exit 1" 1
else
    fail "(d) foreign checkpoints" "no checkpoint saved in (a)"
fi

# ------------------------------------------------------------ (e) resume without a checkpoint
rm -f E.h5 E_model.h5 CKE.h5
run 2 train --in big.h5 --out E.h5 --model E_model.h5 "${SETTINGS[@]}" \
    --checkpoint CKE.h5 --checkpoint-interval 0 --resume
expect_rc "(e) --resume without a checkpoint file: exit 0" 0
if grep -qF "no checkpoint at CKE.h5" err.txt; then
    pass "(e) stderr says it starts from the beginning"
else
    fail "(e) stderr says it starts from the beginning" "$(grep -m1 -i checkpoint err.txt)"
fi
same_as_reference "(e) from scratch with --resume: bit-identical to the reference" E.h5 E_model.h5
if [ ! -e CKE.h5 ] && ! compgen -G "CKE.h5.*" >/dev/null; then
    pass "(f) checkpoint (written every iteration) removed after the successful run"
else
    fail "(f) checkpoint (written every iteration) removed after the successful run"
fi

finish
