#!/usr/bin/env bash
# Submit a cvseg sweep (job array, jobs/sweep.sbatch) and its collector
# (jobs/sweep-collect.sbatch, afterok on the whole array).
#
#   jobs/submit-sweep.sh --in MEMBERS.h5 --outdir DIR [--k 2-10 | --seeds 1-8 [--k K]]
#                        [--seed S] [--features F] [--cvseg PATH] [--max-parallel N]
#                        [-- SBATCH_OPTIONS...]
#
#   --k RANGE      sweep K over an array range (Slurm syntax: 2-10, 2,4,8, 2-20:2); default 2-10
#   --seeds RANGE  sweep the seed instead, K fixed (--k K, default 5)
#   --max-parallel N   at most N array tasks at once (--array=RANGE%N)
# SBATCH_OPTIONS after `--` go to the array's sbatch call (e.g. -n 2 -c 1 -t 10).
# Environment passed to the tasks: EXTRA_ARGS, LAUNCHER, SRUN_ARGS, MPIRUN_ARGS.
# Prints "sweep JOBID" and "collect JOBID"; logs and results go to DIR
# (DIR/logs/sweep-ARRAYID_TASK.out, DIR/sweep.tsv).
set -euo pipefail
here=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
abspath() { case "$1" in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 1; }

INPUT="" OUTDIR="" MODE=k RANGE="" K=5 SEED=1 FEATURES=rfm CVSEG="${CVSEG:-}" MAXPAR=""
while [ $# -gt 0 ]; do
  case "$1" in
    --in) INPUT=$(abspath "$2"); shift 2 ;;
    --outdir) OUTDIR=$(abspath "$2"); shift 2 ;;
    --k) if [ "$MODE" = seed ]; then K=$2; else RANGE=$2; fi; shift 2 ;;
    --seeds) MODE=seed; if [ -n "$RANGE" ]; then K=$RANGE; fi; RANGE=$2; shift 2 ;;
    --seed) SEED=$2; shift 2 ;;
    --features) FEATURES=$2; shift 2 ;;
    --cvseg) CVSEG=$2; shift 2 ;;
    --max-parallel) MAXPAR=%$2; shift 2 ;;
    -h|--help) usage ;;
    --) shift; break ;;
    *) echo "submit-sweep: unknown option $1" >&2; usage ;;
  esac
done
[ -n "$INPUT" ] && [ -n "$OUTDIR" ] || usage
RANGE=${RANGE:-2-10}
INSTALLED_CVSEG=""  # `cmake --install` writes PREFIX/bin/cvseg here (empty in a checkout)
if [ -z "${CVSEG:-}" ] && [ -x "$INSTALLED_CVSEG" ]; then CVSEG=$INSTALLED_CVSEG; fi
if [ -z "$CVSEG" ]; then
  if command -v cvseg >/dev/null 2>&1; then CVSEG=$(command -v cvseg); else CVSEG=$here/../build/cvseg; fi
fi
case "$CVSEG" in */*) CVSEG=$(cd "$(dirname "$CVSEG")" && pwd)/$(basename "$CVSEG") ;; esac
[ -x "$CVSEG" ] || { echo "submit-sweep: cvseg not found: $CVSEG (use --cvseg)" >&2; exit 1; }

mkdir -p "$OUTDIR/logs"
sweep=$(sbatch --parsable --array="$RANGE$MAXPAR" --output="$OUTDIR/logs/sweep-%A_%a.out" "$@" \
          "$here/sweep.sbatch" CVSEG="$CVSEG" INPUT="$INPUT" OUTDIR="$OUTDIR" SWEEP="$MODE" \
          K="$K" SEED="$SEED" FEATURES="$FEATURES")
sweep=${sweep%%;*}
echo "sweep $sweep"
collect=$(sbatch --parsable --dependency="afterok:$sweep" --kill-on-invalid-dep=yes \
            --output="$OUTDIR/logs/collect-%j.out" "$here/sweep-collect.sbatch" "$OUTDIR")
collect=${collect%%;*}
echo "collect $collect"
