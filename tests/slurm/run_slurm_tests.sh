#!/usr/bin/env bash
# End-to-end tests of the Slurm job scripts in jobs/ on a private single-node
# Slurm cluster (scripts/slurm-start.sh), with the real cvseg binary.
#
#   tests/slurm/run_slurm_tests.sh CVSEG_BINARY WORK_DIR
#
# WORK_DIR is wiped and reused (cluster state, data, outputs, job logs).
# Prints one line per check (PASS / FAIL / SKIPPED) and a final
# "N passed, N failed, N skipped" line. Exit 0 when nothing failed, 1 when
# something failed, 77 when Slurm cannot run here (ctest: skipped).
# The cluster is always stopped at exit.
set -u

if [ $# -ne 2 ]; then
  echo "usage: $0 CVSEG_BINARY WORK_DIR" >&2
  exit 2
fi
REPO=$(cd "$(dirname "$0")/../.." && pwd)
CVSEG=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
WORK=$2
STATE=$WORK/slurm
T0=$SECONDS

[ -x "$CVSEG" ] && [ -s "$CVSEG" ] || { echo "run_slurm_tests: cvseg binary not found or empty: $CVSEG" >&2; exit 1; }

# A cluster left behind by a killed earlier run: stop it before wiping.
[ -f "$STATE/pids" ] && "$REPO/scripts/slurm-stop.sh" "$STATE" >/dev/null 2>&1
rm -rf "$WORK"
mkdir -p "$WORK" || exit 1
WORK=$(cd "$WORK" && pwd -P)
STATE=$WORK/slurm

# MPI under Slurm on a small machine, as root (see shared/design/slurm-ci.md);
# sbatch passes the environment on to the jobs.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_mpi_yield_when_idle=1 OMPI_MCA_pml=ob1 OMPI_MCA_btl=self,vader,tcp
export OMPI_MCA_hwloc_base_binding_policy=none
export HDF5_USE_FILE_LOCKING=FALSE
unset OMP_NUM_THREADS OMP_PROC_BIND OMP_PLACES LAUNCHER SRUN_ARGS MPIRUN_ARGS EXTRA_ARGS

"$REPO/scripts/slurm-start.sh" "$STATE"
rc=$?
if [ $rc -eq 77 ]; then echo "SKIPPED all: Slurm cannot run here (see above)"; exit 77; fi
if [ $rc -ne 0 ]; then echo "FAIL cluster start (exit $rc)"; echo "0 passed, 1 failed, 0 skipped"; exit 1; fi
cleanup() {
  trap - EXIT INT TERM
  "$REPO/scripts/slurm-stop.sh" "$STATE" >/dev/null 2>&1
}
trap cleanup EXIT
trap 'echo "interrupted" >&2; exit 1' INT TERM HUP PIPE
export SLURM_CONF=$STATE/slurm.conf
export PATH=$REPO/scripts:$PATH

# ---------------------------------------------------------------- helpers
npass=0 nfail=0 nskip=0
pass() { npass=$((npass + 1)); echo "PASS $*"; }
fail() { nfail=$((nfail + 1)); echo "FAIL $*"; }
skip() { nskip=$((nskip + 1)); echo "SKIPPED $*"; }
check() {  # check NAME command...: PASS when the command succeeds
  local name=$1; shift
  local out
  if out=$("$@" 2>&1); then pass "$name"; else fail "$name"; [ -n "$out" ] && sed 's/^/    /' <<< "$out"; fi
}
# wait_job NAME JOBID [--expect STATE] [TIMEOUT]
wait_job() {
  local name=$1 id=$2; shift 2
  local exp=() t=180
  if [ "${1:-}" = --expect ]; then exp=(--expect "$2"); shift 2; fi
  [ -n "${1:-}" ] && t=$1
  local out
  if out=$(slurm-wait.sh "${exp[@]}" "$id" "$t" 2>&1); then
    pass "$name: $(head -n1 <<< "$out")"
  else
    fail "$name: $out"
    return 1
  fi
}
# json_get FILE KEY.PATH: prints the value (python3, else jq)
json_get() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): d=d[k]
print(str(d).lower() if isinstance(d,bool) else d)' "$1" "$2"
  else
    jq -er ".$2" "$1"
  fi
}
json_eq() { [ "$(json_get "$1" "$2" 2>/dev/null)" = "$3" ]; }
files_exist() { local f; for f in "$@"; do [ -s "$f" ] || { echo "missing or empty: $f"; return 1; }; done; }
log_has() { grep -q -- "$2" "$1" || { echo "'$2' not in $1:"; tail -n 20 "$1"; return 1; }; }
h5same() {  # compare two HDF5 files: all datasets (values and attributes)
  # and the set of objects. Left out: group attributes, which hold the run's
  # provenance (command line, start/end times, ranks), and /report, which
  # holds the summary document (timings, command line).
  command -v h5diff >/dev/null 2>&1 || { echo "h5diff not installed"; return 1; }
  local ex=(--exclude-path /report) g
  for g in $(h5ls -r "$1" 2>/dev/null | awk '$2 == "Group" { print $1 }'); do ex+=(--exclude-attribute "$g"); done
  local out rc
  out=$(h5diff -c "${ex[@]}" "$1" "$2" 2>&1); rc=$?
  [ $rc -eq 0 ] || head -n 30 <<< "$out"
  return $rc
}
sub() { sbatch --parsable "$@" | cut -d';' -f1; }
elapsed() { echo "$((SECONDS - T0))s"; }

SB=(-t 10)            # every test job: 10 minute limit
DATA=$WORK/data
mkdir -p "$DATA" "$WORK/logs"

# ---------------------------------------------------------------- 0. cluster smoke
check "srun --mpi=pmix -n 2 hostname" bash -c '[ "$(srun --mpi=pmix -n 2 hostname | wc -l)" -eq 2 ]'
j=$(sub "${SB[@]}" -o "$WORK/logs/wrap-%j.out" --wrap 'echo hello from $SLURM_JOB_ID')
wait_job "sbatch --wrap" "$j" 60

# ---------------------------------------------------------------- data
check "cvseg gen members" "$CVSEG" gen --out "$DATA/members.h5" --members 20000 --clusters 4 --seed 1 --reference-date 2024-12-31
check "cvseg gen transactions" "$CVSEG" gen --out "$DATA/transactions.h5" --members 2000 --transactions-per-member 5 --seed 1 --reference-date 2024-12-31
CDNOW=""
CLV_CHAIN=()  # the real CDNOW log gets the optional clv step (a BG/NBD fit needs repeat buyers)
for c in "$REPO/../shared/data/cdnow/CDNOW_master.txt" "$REPO/shared/data/cdnow/CDNOW_master.txt"; do
  [ -f "$c" ] && { CDNOW=$(cd "$(dirname "$c")" && pwd)/$(basename "$c"); break; }
done
[ -n "$CDNOW" ] && CLV_CHAIN=(--clv-calibration-end 1997-09-30 --clv-args "--unit week")
if [ -z "$CDNOW" ]; then   # synthetic text in the CDNOW layout: id yyyymmdd cds dollars
  CDNOW=$DATA/cdnow-synthetic.txt
  awk 'BEGIN { srand(1); for (c = 1; c <= 2000; c++) { n = 1 + int(rand() * 5)
         for (i = 0; i < n; i++) { m = 1 + int(rand() * 12); d = 1 + int(rand() * 28)
           printf " %05d 1997%02d%02d %2d %7.2f\n", c, m, d, 1 + int(rand() * 4), 5 + rand() * 80 } } }' > "$CDNOW"
fi

# parallel HDF5 under srun: gen on 2 ranks must write the same data as alone
j=$(sub "${SB[@]}" -n 2 -c 1 -o "$WORK/logs/gen2-%j.out" \
      --wrap "srun --mpi=pmix -n 2 '$CVSEG' gen --out '$DATA/members-np2.h5' --members 20000 --clusters 4 --seed 1 --reference-date 2024-12-31")
if wait_job "cvseg gen under srun -n 2 job $j" "$j" 60; then
  check "cvseg gen np2 == np1 (h5diff)" h5same "$DATA/members.h5" "$DATA/members-np2.h5"
fi

# ---------------------------------------------------------------- 1. submit the independent jobs
# train, 2 ranks x 2 threads, srun --mpi=pmix
t2=$(sub "${SB[@]}" -n 2 -c 2 -o "$WORK/logs/train2-%j.out" "$REPO/jobs/train.sbatch" \
       CVSEG="$CVSEG" INPUT="$DATA/members.h5" OUTDIR="$WORK/train2" K=4 SEED=1)
# train, 4 ranks x 1 thread, mpirun inside the allocation (oversubscribed on small machines)
t4=$(sub "${SB[@]}" -n 4 -c 1 -o "$WORK/logs/train4-%j.out" "$REPO/jobs/train.sbatch" \
       CVSEG="$CVSEG" INPUT="$DATA/members.h5" OUTDIR="$WORK/train4" K=4 SEED=1 \
       LAUNCHER=mpirun MPIRUN_ARGS=--oversubscribe)
# nightly chain on CDNOW text: import -> aggregate -> train [-> clv] -> score -> report
nightly_ok=$("$REPO/jobs/submit-nightly.sh" --in "$CDNOW" --format cdnow --workdir "$WORK/nightly" \
               --reference-date 1998-06-30 --k 4 "${CLV_CHAIN[@]}" --cvseg "$CVSEG" -- "${SB[@]}" -n 2 -c 1 2>&1)
# nightly chain on the synthetic transaction log (no import step), scoring with
# the model of the np2 training job, after that job (--after), against its
# results as last night's; the tiny drift threshold makes score exit 6, which
# must not stop the chain
nightly_h5=$("$REPO/jobs/submit-nightly.sh" --in "$DATA/transactions.h5" --workdir "$WORK/nightly-h5" \
               --reference-date 2024-12-31 --model "$WORK/train2/model.h5" --after "$t2" \
               --previous "$WORK/train2/results.h5" --drift-threshold 0.000001 \
               --cvseg "$CVSEG" -- "${SB[@]}" -n 2 -c 1 2>&1)
# nightly chain whose first step fails (missing input): the rest must never run
nightly_bad=$("$REPO/jobs/submit-nightly.sh" --in "$DATA/does-not-exist.txt" --workdir "$WORK/nightly-bad" \
               --reference-date 1998-06-30 --cvseg "$CVSEG" -- "${SB[@]}" -n 2 -c 1 2>&1)
# sweep over K as a job array, then the collector
sweep_ids=$("$REPO/jobs/submit-sweep.sh" --in "$DATA/members.h5" --outdir "$WORK/sweep" --k 2-5 \
              --cvseg "$CVSEG" -- "${SB[@]}" -n 2 -c 1 2>&1)

# ---------------------------------------------------------------- 2. train checks
for spec in "2:$t2:2:srun" "4:$t4:1:mpirun"; do
  IFS=: read -r np id thr how <<< "$spec"
  d=$WORK/train$np
  if wait_job "train np$np ($how) job $id" "$id"; then
    check "train np$np outputs" files_exist "$d/results.h5" "$d/model.h5" "$d/summary.json" "$d/train.env"
    check "train np$np summary ranks=$np threads=$thr" \
      bash -c "$(declare -f json_get json_eq); json_eq '$d/summary.json' ranks $np && json_eq '$d/summary.json' threads $thr"
    check "train np$np log shows launcher" log_has "$WORK/logs/train$np-$id.out" "$np ranks x $thr threads via $how"
    check "train np$np env file records OMP_NUM_THREADS=$thr" log_has "$d/train.env" "^OMP_NUM_THREADS=$thr\$"
    check "train np$np checkpoint removed after success" bash -c "[ ! -e '$d/train.ckpt.h5' ]"
  fi
done
if [ -s "$WORK/train2/model.h5" ] && [ -s "$WORK/train4/model.h5" ]; then
  check "train np2 and np4 give the same model (h5diff /model/centroids)" \
    bash -c "h5diff -c '$WORK/train2/model.h5' '$WORK/train4/model.h5' /model/centroids /model/centroids | head -n 30; exit \${PIPESTATUS[0]}"
  check "train np2 (2 threads) and np4 (1 thread) give the same results (h5diff)" \
    h5same "$WORK/train2/results.h5" "$WORK/train4/results.h5"
fi

# ---------------------------------------------------------------- 3. nightly chains
nightly_check() {  # nightly_check NAME WORKDIR IDS FIRST_STEP FILES...
  local name=$1 wd=$2 ids=$3 first=$4; shift 4
  if ! grep -q "^$first [0-9]" <<< "$ids"; then
    fail "$name: submit-nightly: $ids"
    return
  fi
  local step id
  while read -r step id; do
    wait_job "$name $step job $id" "$id" || sed 's/^/    /' "$wd/logs/$step-$id.out" 2>/dev/null | tail -n 15
  done <<< "$ids"
  check "$name outputs" files_exist "${@/#/$wd/}"
  check "$name report.json is JSON" bash -c "python3 -m json.tool '$wd/report.json' >/dev/null 2>&1 || jq . '$wd/report.json' >/dev/null"
  id=$(awk '$1 == "report" { print $2 }' <<< "$ids")
  check "$name report ran as 1 task" bash -c "scontrol show job $id | grep -q 'NumTasks=1 '"
}
nightly_check "nightly(cdnow)" "$WORK/nightly" "$nightly_ok" import \
  transactions.h5 members.h5 model.h5 results.h5 score.json report.md report.json nightly.env
if [ ${#CLV_CHAIN[@]} -gt 0 ]; then
  check "nightly(cdnow) steps are: import aggregate train clv score report" \
    test "$(awk '{ printf "%s ", $1 }' <<< "$nightly_ok")" = "import aggregate train clv score report "
  check "nightly(cdnow) clv step: clv.h5, clv.json and /results/lifecycle" \
    bash -c "[ -s '$WORK/nightly/clv.h5' ] && [ -s '$WORK/nightly/clv.json' ] && h5ls '$WORK/nightly/results.h5/results/lifecycle' >/dev/null"
fi
nightly_check "nightly(h5)" "$WORK/nightly-h5" "$nightly_h5" aggregate \
  members.h5 results.h5 score.json report.md report.json nightly.env
h5steps=$(awk '{ printf "%s ", $1 }' <<< "$nightly_h5")
check "nightly(h5) steps are: aggregate score report" test "$h5steps" = "aggregate score report "
check "nightly(h5) score found drift (exit 6 -> DRIFT file) and the chain went on" \
  bash -c "[ -s '$WORK/nightly-h5/DRIFT' ] && grep -q 'exit code 6' '$WORK'/nightly-h5/logs/score-*.out"

if ! grep -q '^import [0-9]' <<< "$nightly_bad"; then
  fail "submit-nightly (failing chain): $nightly_bad"
else
  while read -r step id; do
    if [ "$step" = import ]; then
      wait_job "failing chain: import job $id FAILED" "$id" --expect FAILED 120
    else
      wait_job "failing chain: $step job $id never ran (DependencyNeverSatisfied)" "$id" --expect DependencyNeverSatisfied 60
      check "failing chain: $step job $id is CANCELLED" bash -c "scontrol show job $id | grep -q 'JobState=CANCELLED'"
    fi
  done <<< "$nightly_bad"
  check "failing chain: no results written" bash -c "[ ! -e '$WORK/nightly-bad/results.h5' ]"
fi

# ---------------------------------------------------------------- 4. sweep (job array)
sid=$(awk '$1 == "sweep" { print $2 }' <<< "$sweep_ids")
cid=$(awk '$1 == "collect" { print $2 }' <<< "$sweep_ids")
if [ -z "$sid" ] || [ -z "$cid" ]; then
  fail "submit-sweep: $sweep_ids"
else
  wait_job "sweep array $sid (4 tasks)" "$sid"
  wait_job "sweep collect $cid" "$cid" 60
  check "sweep summaries k2..k5" files_exist "$WORK/sweep/k2.json" "$WORK/sweep/k3.json" "$WORK/sweep/k4.json" "$WORK/sweep/k5.json"
  check "sweep.tsv has 4 rows with k and numeric inertia" bash -c \
    "awk -F'\t' 'NR > 1 && \$2 ~ /^[0-9]+\$/ && \$4 ~ /^[0-9.eE+-]+\$/ { n++ } END { exit n != 4 }' '$WORK/sweep/sweep.tsv'"
  [ -f "$WORK/sweep/sweep.tsv" ] && sed 's/^/    /' "$WORK/sweep/sweep.tsv"
fi

# ---------------------------------------------------------------- 5. requeue from a checkpoint
echo "-- $(elapsed) requeue test"
if ! "$CVSEG" train --help 2>&1 | grep -q -- '--checkpoint'; then
  skip "requeue: 'cvseg train --help' does not mention --checkpoint"
else
  # A bigger input and more restarts of K-Means so that the job is still
  # running when it is signalled.
  RQ_ARGS=${CVSEG_SLURM_REQUEUE_ARGS:---n-init 32 --restart-sample 0 --tol 0 --max-iter 300}
  if [ ! -s "$DATA/members-big.h5" ]; then
    "$CVSEG" gen --out "$DATA/members-big.h5" --members 200000 --clusters 6 --seed 2 --reference-date 2024-12-31 >/dev/null 2>&1
  fi
  ref=$(sub "${SB[@]}" -n 2 -c 1 -o "$WORK/logs/ref-%j.out" "$REPO/jobs/train.sbatch" \
          CVSEG="$CVSEG" INPUT="$DATA/members-big.h5" OUTDIR="$WORK/rq-ref" K=6 SEED=3 CHECKPOINT=none \
          EXTRA_ARGS="$RQ_ARGS")
  rq=$(sub "${SB[@]}" -n 2 -c 1 -o "$WORK/logs/rq-%j.out" "$REPO/jobs/train.sbatch" \
          CVSEG="$CVSEG" INPUT="$DATA/members-big.h5" OUTDIR="$WORK/rq" K=6 SEED=3 \
          EXTRA_ARGS="$RQ_ARGS")
  rqlog=$WORK/logs/rq-$rq.out
  # Wait until it runs and cvseg has printed K-Means progress (an iteration line).
  signalled=0
  for _ in $(seq 1 600); do
    st=$(scontrol show job "$rq" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2)
    if [ "$st" = RUNNING ] && [ -f "$rqlog" ] && grep -qE 'iteration +[0-9]+:' "$rqlog"; then
      scancel --batch --signal=USR1 "$rq" && signalled=1
      break
    fi
    case "$st" in COMPLETED|FAILED|CANCELLED|TIMEOUT) break ;; esac
    sleep 0.1
  done
  if [ $signalled -eq 0 ]; then
    fail "requeue: job $rq was never seen running with progress in its log (state ${st:-?}); raise CVSEG_SLURM_REQUEUE_ARGS"
    sed 's/^/    /' "$rqlog" 2>/dev/null | tail -n 20
  else
    pass "requeue: sent USR1 to job $rq while running"
    wait_job "requeue: job $rq" "$rq" 300
    wait_job "requeue: reference job $ref" "$ref" 300
    grep -q 'SIGUSR1' "$rqlog" ||
      echo "    note: the batch script never got SIGUSR1 (did cvseg finish first? raise CVSEG_SLURM_REQUEUE_ARGS)"
    check "requeue: job restarted once (Restarts=1)" bash -c "scontrol show job $rq | grep -q 'Restarts=1 '"
    check "requeue: cvseg exited 7 in the first run" log_has "$rqlog" "cvseg exited with code 7"
    check "requeue: second run resumed from the checkpoint" log_has "$rqlog" "resuming from checkpoint"
    check "requeue: second run has SLURM_RESTART_COUNT=1" log_has "$WORK/rq/train.env" "^SLURM_RESTART_COUNT=1\$"
    check "requeue: results identical to an uninterrupted run" h5same "$WORK/rq-ref/results.h5" "$WORK/rq/results.h5"
    check "requeue: model identical to an uninterrupted run" h5same "$WORK/rq-ref/model.h5" "$WORK/rq/model.h5"
  fi
fi

echo "-- $(elapsed) done"
echo "$npass passed, $nfail failed, $nskip skipped"
[ $nfail -eq 0 ]
