#!/usr/bin/env bash
# shellcheck disable=SC2034  # settings are written out through ${!name}
# Submit the nightly cvseg chain as dependent Slurm jobs:
#   import -> aggregate [-> train] [-> clv] -> score -> report
# each step starting only if the previous one ended COMPLETED with exit code 0
# (--dependency=afterok); a failed step cancels the rest
# (--kill-on-invalid-dep=yes, so this works without
# DependencyParameters=kill_invalid_depend on the cluster).
#
#   jobs/submit-nightly.sh --in RAW_TEXT --workdir DIR [options] [-- SBATCH_OPTIONS...]
#
# Options:
#   --in FILE              raw transactions text (required); an HDF5 transaction
#                          log (*.h5, e.g. from `cvseg gen`) skips the import step
#   --workdir DIR          where all files and logs go (created; required)
#   --format cdnow|csv     import format (default cdnow)
#   --reference-date DATE  YYYY-MM-DD (default: today)
#   --model MODEL.h5       score with this model; without it the chain trains
#                          one on tonight's members (adds a `train` step)
#   --previous OLD.h5      earlier results, joined by member id in `score`
#   --drift-threshold PSI  `score` exits 6 (drift) when a feature's PSI exceeds it
#   --k K --seed S --features F   training settings when no --model (5, 1, rfm)
#   --cvseg PATH           binary (default: the installed one, else cvseg on PATH, else build/cvseg)
#   --after JOBID          make the first step wait for JOBID (afterok)
#   --drift-fails          let drift (exit 6 from score) stop the chain
#   --clv-calibration-end DATE  add a `clv` step (cvseg clv on the transaction log,
#                          calibration ending at DATE) and `score --clv`: the
#                          results gain the CLV columns (a CLV fit that does not
#                          converge, exit 5, stops the chain)
#   --clv-args "ARGS"      more `cvseg clv` options (e.g. "--unit week --horizon 52")
# SBATCH_OPTIONS after `--` go to every sbatch call (e.g. -n 2 -c 1 -t 10 -p PART).
# Environment passed to the steps: LAUNCHER, SRUN_ARGS, MPIRUN_ARGS (see train.sbatch).
#
# Prints one line per step: "STEP JOBID"; logs are DIR/logs/STEP-JOBID.out.
# A failure before the first submission exits 1 and submits nothing.
set -euo pipefail

here=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
abspath() { case "$1" in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 1; }

RAW="" WORKDIR="" FORMAT=cdnow REFERENCE_DATE=$(date +%F) MODEL="" PREVIOUS=""
K=5 SEED=1 FEATURES=rfm CVSEG="${CVSEG:-}" AFTER="" DRIFT_FAILS=0 DRIFT_THRESHOLD=""
CLV_CALIBRATION_END="" CLV_ARGS=""
while [ $# -gt 0 ]; do
  case "$1" in
    --in) RAW=$(abspath "$2"); shift 2 ;;
    --workdir) WORKDIR=$(abspath "$2"); shift 2 ;;
    --format) FORMAT=$2; shift 2 ;;
    --reference-date) REFERENCE_DATE=$2; shift 2 ;;
    --model) MODEL=$(abspath "$2"); shift 2 ;;
    --previous) PREVIOUS=$(abspath "$2"); shift 2 ;;
    --k) K=$2; shift 2 ;;
    --seed) SEED=$2; shift 2 ;;
    --features) FEATURES=$2; shift 2 ;;
    --cvseg) CVSEG=$2; shift 2 ;;
    --after) AFTER=$2; shift 2 ;;
    --drift-fails) DRIFT_FAILS=1; shift ;;
    --drift-threshold) DRIFT_THRESHOLD=$2; shift 2 ;;
    --clv-calibration-end) CLV_CALIBRATION_END=$2; shift 2 ;;
    --clv-args) CLV_ARGS=$2; shift 2 ;;
    -h|--help) usage ;;
    --) shift; break ;;
    *) echo "submit-nightly: unknown option $1" >&2; usage ;;
  esac
done
[ -n "$RAW" ] && [ -n "$WORKDIR" ] || usage
INSTALLED_CVSEG=""  # `cmake --install` writes PREFIX/bin/cvseg here (empty in a checkout)
if [ -z "${CVSEG:-}" ] && [ -x "$INSTALLED_CVSEG" ]; then CVSEG=$INSTALLED_CVSEG; fi
if [ -z "$CVSEG" ]; then
  if command -v cvseg >/dev/null 2>&1; then CVSEG=$(command -v cvseg); else CVSEG=$here/../build/cvseg; fi
fi
case "$CVSEG" in */*) CVSEG=$(cd "$(dirname "$CVSEG")" && pwd)/$(basename "$CVSEG") ;; esac
[ -x "$CVSEG" ] || { echo "submit-nightly: cvseg not found: $CVSEG (use --cvseg)" >&2; exit 1; }

mkdir -p "$WORKDIR/logs"    # --output into a missing folder fails the job silently
TRANSACTIONS=$WORKDIR/transactions.h5
steps=(import aggregate)
case "$RAW" in *.h5|*.hdf5) TRANSACTIONS=$RAW; steps=(aggregate) ;; esac
if [ -z "$MODEL" ]; then steps+=(train); MODEL=$WORKDIR/model.h5; fi
if [ -n "$CLV_CALIBRATION_END" ]; then steps+=(clv); fi
steps+=(score report)

SETTINGS=$WORKDIR/nightly.env
{
  echo "# cvseg nightly chain settings, written by submit-nightly.sh at $(date -Is)"
  for v in CVSEG WORKDIR RAW TRANSACTIONS FORMAT REFERENCE_DATE MODEL PREVIOUS DRIFT_THRESHOLD FEATURES K SEED DRIFT_FAILS CLV_CALIBRATION_END CLV_ARGS; do
    printf '%s=%q\n' "$v" "${!v}"
  done
  for v in LAUNCHER SRUN_ARGS MPIRUN_ARGS; do
    [ -n "${!v+x}" ] && printf '%s=%q\n' "$v" "${!v}"
  done
} > "$SETTINGS"

prev=$AFTER
for step in "${steps[@]}"; do
  dep=()
  [ -n "$prev" ] && dep=(--dependency="afterok:$prev" --kill-on-invalid-dep=yes)
  extra=()
  [ "$step" = report ] && extra=(--ntasks=1)
  id=$(sbatch --parsable --job-name="cvseg-$step" --output="$WORKDIR/logs/$step-%j.out" \
         "${dep[@]}" "$@" "${extra[@]}" "$here/nightly.sbatch" "$step" "$SETTINGS")
  id=${id%%;*}
  echo "$step $id"
  prev=$id
done
