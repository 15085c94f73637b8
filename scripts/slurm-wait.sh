#!/usr/bin/env bash
# Wait for a Slurm job to reach a final state by polling `scontrol show job`
# (sbatch --wait polls too rarely and exits 0 for jobs cancelled before they
# ran; no accounting database is needed).
#
#   scripts/slurm-wait.sh [--expect STATE] [--quiet] JOBID [TIMEOUT_SECONDS]
#
# Prints one line: "JOBID STATE ExitCode=N:S Reason=R" (plus the last lines of
# the job's output file when it did not end as expected).
# Exit codes:
#   0   the job ended COMPLETED with ExitCode=0:0, or, with --expect STATE,
#       in STATE. STATE may be a final job state (COMPLETED, FAILED,
#       CANCELLED, TIMEOUT, NODE_FAIL, OUT_OF_MEMORY, PREEMPTED,
#       BOOT_FAIL, DEADLINE) or DependencyNeverSatisfied (cancelled, or
#       pending for good, because a dependency failed).
#   1   it ended in another state or exit code
#   2   usage error
#   3   timeout (default 300 s); the job is left alone
#   4   the job is unknown to the controller (MinJobAge elapsed, or bad id)
# For a job array, pass the array's job id: it waits for every task and
# succeeds only if all tasks match.
set -u
expect=""
quiet=0
while [ $# -gt 0 ]; do
  case "$1" in
    --expect) expect=${2:-}; shift 2 ;;
    --expect=*) expect=${1#--expect=}; shift ;;
    -q|--quiet) quiet=1; shift ;;
    -h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    --) shift; break ;;
    -*) echo "slurm-wait: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: $0 [--expect STATE] JOBID [TIMEOUT]" >&2; exit 2; }
job=$1
timeout=${2:-300}
export PATH="$PATH:/usr/sbin:/sbin"

final_re='^(COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|PREEMPTED|BOOT_FAIL|DEADLINE|SPECIAL_EXIT)$'

# Emits one line per job record: "JobId State ExitCode Reason StdOut"
snapshot() {
  scontrol show job -o "$job" 2>/dev/null | awk '
    { id = st = ec = rs = out = "" 
      for (i = 1; i <= NF; i++) {
        split($i, kv, "=")
        if (kv[1] == "JobId") id = kv[2]
        else if (kv[1] == "ArrayJobId") aj = kv[2]
        else if (kv[1] == "ArrayTaskId") at = kv[2]
        else if (kv[1] == "JobState") st = kv[2]
        else if (kv[1] == "ExitCode") ec = substr($i, 10)
        else if (kv[1] == "Reason") rs = kv[2]
        else if (kv[1] == "StdOut") out = substr($i, 8)
      }
      if (at != "") id = aj "_" at
      print id, st, ec, rs, out
      aj = at = "" }'
}

deadline=$((SECONDS + timeout))
lines=""
while :; do
  lines=$(snapshot)
  if [ -z "$lines" ]; then
    if ! scontrol show job "$job" >/dev/null 2>&1; then
      echo "$job UNKNOWN (not known to the controller)"
      exit 4
    fi
  else
    done_all=1
    while read -r id st ec rs out; do
      if [[ ! $st =~ $final_re ]]; then
        # A pending job whose dependency can never be satisfied is final for us.
        if [ "$st" = PENDING ] && [ "$rs" = DependencyNeverSatisfied ]; then continue; fi
        done_all=0
      fi
    done <<< "$lines"
    [ $done_all -eq 1 ] && break
  fi
  if [ $SECONDS -ge $deadline ]; then
    while read -r id st ec rs out; do echo "$id $st ExitCode=$ec Reason=$rs (timeout after ${timeout}s)"; done <<< "$lines"
    exit 3
  fi
  sleep 1
done

rc=0
while read -r id st ec rs out; do
  ok=0
  if [ -z "$expect" ]; then
    [ "$st" = COMPLETED ] && [ "$ec" = "0:0" ] && ok=1
  elif [ "$expect" = DependencyNeverSatisfied ]; then
    [ "$rs" = DependencyNeverSatisfied ] && ok=1
  else
    [ "$st" = "$expect" ] && ok=1
  fi
  echo "$id $st ExitCode=$ec Reason=$rs"
  if [ $ok -eq 0 ]; then
    rc=1
    if [ $quiet -eq 0 ] && [ -n "$out" ] && [ -f "$out" ]; then
      echo "----- last lines of $out" >&2
      tail -n 20 "$out" >&2
    fi
  fi
done <<< "$lines"
exit $rc
