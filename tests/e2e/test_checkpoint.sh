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

# shellcheck source=lib.sh
source "${SOURCE_DIR:?}/tests/e2e/lib.sh"
need_python h5py numpy
need_command h5diff setsid
enter_work_dir
export OMP_WAIT_POLICY=PASSIVE
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
export HDF5_USE_FILE_LOCKING=FALSE
# For launches in the background (run, from lib.sh, is the foreground one).
MPIRUN=(mpirun --oversubscribe --bind-to none -x OMP_NUM_THREADS -x OMP_WAIT_POLICY
    -x HDF5_USE_FILE_LOCKING)
# same_as_reference NAME RESULTS MODEL: every /results and /model dataset
# bit-identical to the reference (h5diff), inertia/iterations/converged equal.
same_as_reference() {
    local name=$1 results=$2 model=$3 compared differing attrs
    compare_run ref.h5 ref_model.h5 "$results" "$model"
    attrs=$("$PYTHON" - "$model" <<'EOF' 2>&1 || true
import sys, h5py
a = h5py.File("ref_model.h5", "r")["model"].attrs
b = h5py.File(sys.argv[1], "r")["model"].attrs
for key in ("inertia", "iterations", "converged", "k"):
    if key not in b or a[key] != b[key]:
        print(f"@{key} {a[key]!r} vs {b.get(key)!r}")
EOF
)
    if [ "$compared" -gt 10 ] && [ -z "$differing" ] && [ -z "$attrs" ]; then
        pass "$name ($compared datasets, inertia/iterations equal)"
    else
        fail "$name" "differ:$differing $attrs"
    fi
}
# interrupt SIGNAL PATTERN OUT ERR COMMAND...: starts COMMAND in the background
# (stdout OUT, stderr ERR); sends SIGNAL to it (to its process group for
# SIGNAL "KILL-GROUP") once ERR matches PATTERN while it runs (up to 120 s),
# and waits for it. Sets pid, signalled (1 when sent, else 0) and rc.
interrupt() {
    local signal=$1 pattern=$2 out=$3 err=$4
    shift 4
    "$@" >"$out" 2>"$err" &
    pid=$!
    signalled=0
    if wait_for "$pid" grep -sqE "$pattern" "$err"; then
        if [ "$signal" = KILL-GROUP ]; then
            kill -KILL -- "-$pid" 2>/dev/null || true
        else
            kill -"$signal" "$pid"
        fi
        signalled=1
    fi
    rc=0
    { wait "$pid"; } 2>/dev/null || rc=$?
}
# signalled_check NAME: the last interrupt sent its signal.
signalled_check() {
    if [ "$signalled" = 1 ]; then
        pass "$1"
    else
        fail "$1" "run ended first (exit $rc)"
    fi
}
# resume TAG NP RESULTS MODEL CHECKPOINT [TEXT]: train --resume from CHECKPOINT at
# NP exits 0 (its stderr holding TEXT), gives results and model bit-identical to
# the reference and removes the checkpoint (f).
resume() {
    local tag=$1 np=$2 results=$3 model=$4 checkpoint=$5 text=${6:-}
    run "$np" train --in big.h5 --out "$results" --model "$model" "${SETTINGS[@]}" \
        --checkpoint "$checkpoint" --resume
    expect_rc "$tag --resume at np $np: exit 0" 0
    if [ -n "$text" ] && grep -qF "$text" err.txt; then
        pass "$tag resume started from the checkpoint ($text)"
    elif [ -n "$text" ]; then
        fail "$tag resume started from the checkpoint ($text)" "$(grep -m1 -iE 'resum|checkpoint' err.txt)"
    fi
    same_as_reference "$tag resumed at np $np: bit-identical to the reference" "$results" "$model"
    if [ ! -e "$checkpoint" ]; then
        pass "(f) $checkpoint removed after the successful run $tag"
    else
        fail "(f) $checkpoint removed after the successful run $tag"
    fi
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
interrupt TERM 'restart 1 iteration' outA.txt errA.txt \
    "$CVSEG" train --in big.h5 --out A.h5 --model A_model.h5 "${SETTINGS[@]}" \
    --checkpoint CK.h5 --checkpoint-interval 0
signalled_check "(a) SIGTERM sent to the singleton during restart 1"
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
resume "(a)" 3 A.h5 A_model.h5 CK.h5 "resuming from CK.h5: restart 1"

# ------------------------------------------------------------ (b) SIGUSR1 via mpirun
rm -f B.h5 B_model.h5 CKB.h5
interrupt USR1 'restart 1 iteration' outB.txt errB.txt \
    "${MPIRUN[@]}" -np 2 "$CVSEG" train --in big.h5 --out B.h5 --model B_model.h5 "${SETTINGS[@]}" \
    --checkpoint CKB.h5 --checkpoint-interval 0
signalled_check "(b) SIGUSR1 sent to mpirun -np 2 during restart 1"
expect_rc "(b) SIGUSR1 through mpirun: exit code 7" 7 errB.txt
if [ -f CKB.h5 ] && [ ! -e B.h5 ] && [ ! -e B_model.h5 ]; then
    pass "(b) checkpoint written, no outputs (restart $(ckpt_attr CKB.h5 restart), iteration $(ckpt_attr CKB.h5 iteration))"
else
    fail "(b) checkpoint written, no outputs" "$(ls CKB.h5 B*.h5 2>/dev/null | tr '\n' ' ')"
fi
# Interrupt the resumed run again (restart 2), then resume that at np 3.
interrupt USR1 'restart 2 iteration' outB.txt errB2.txt \
    "${MPIRUN[@]}" -np 1 "$CVSEG" train --in big.h5 --out B.h5 --model B_model.h5 "${SETTINGS[@]}" \
    --checkpoint CKB.h5 --checkpoint-interval 0 --resume
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
resume "(b), twice (np 1, np 3)" 3 B.h5 B_model.h5 CKB.h5

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
interrupt TERM 'restart 0 iteration +1:' outG.txt errG.txt \
    "$SOURCE_DIR/scripts/cvseg-run" "${MPIRUN[@]}" -np 2 ./rankrc.sh "$CVSEG" train --in big.h5 \
    --out G.h5 --model G_model.h5 "${SETTINGS[@]}" --checkpoint CKG.h5
signalled_check "(g) SIGTERM sent to cvseg-run mpirun -np 2 after the first Lloyd iteration"
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
resume "(g), after SIGTERM," 2 G.h5 G_model.h5 CKG.h5

# ------------------------------------------------------------ (c) SIGKILL over a previous output
rm -f CKC.h5
cp ref.h5 C.h5
cp ref_model.h5 C_model.h5
cp ref.h5 C_before.h5
cp ref_model.h5 C_model_before.h5
interrupt KILL-GROUP 'restart 2 iteration +[0-9]*[2-9]:' outC.txt errC.txt \
    setsid "${MPIRUN[@]}" -np 2 "$CVSEG" train --in big.h5 --out C.h5 --model C_model.h5 \
    "${SETTINGS[@]}" --checkpoint CKC.h5 --checkpoint-interval 0
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
resume "(c), after kill -9," 2 C.h5 C_model.h5 CKC.h5 "resuming from CKC.h5"

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
