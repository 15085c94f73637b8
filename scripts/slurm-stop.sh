#!/usr/bin/env bash
# Stop a cluster started by scripts/slurm-start.sh STATE_DIR: cancel all jobs,
# then stop slurmd, slurmctld and munged by the process ids recorded in
# STATE_DIR/pids, and wait for them to exit (SIGKILL after a grace period).
#
#   scripts/slurm-stop.sh STATE_DIR
#
# Exit 0 when nothing of that cluster is left running (also when it was not running).
set -u
[ $# -eq 1 ] || { echo "usage: $0 STATE_DIR" >&2; exit 2; }
[ -d "$1" ] || { echo "slurm-stop: no such folder $1; nothing to stop"; exit 0; }
STATE=$(cd "$1" && pwd -P)
PIDS="$STATE/pids"
export PATH="$PATH:/usr/sbin:/sbin"
export SLURM_CONF="$STATE/slurm.conf"
[ -f "$PIDS" ] || { echo "slurm-stop: no $PIDS; nothing to stop"; exit 0; }

pid_of() { awk -v n="$1" '$1 == n { print $2 }' "$PIDS"; }
alive()  { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

# A recorded pid may have been reused by an unrelated process after a crash:
# only signal it if its command line still names the daemon.
is_ours() {  # pid name
  alive "$1" || return 1
  tr '\0' ' ' < "/proc/$1/cmdline" 2>/dev/null | grep -q "$2"
}

stop_one() {  # name grace_seconds
  local name=$1 grace=$2 pid
  pid=$(pid_of "$name")
  is_ours "$pid" "$name" || return 0
  kill -TERM "$pid" 2>/dev/null
  local t=0
  while alive "$pid" && [ $t -lt $((grace * 10)) ]; do sleep 0.1; t=$((t + 1)); done
  if alive "$pid"; then
    echo "slurm-stop: $name ($pid) still running after ${grace}s; killing it" >&2
    kill -KILL "$pid" 2>/dev/null
    while alive "$pid"; do sleep 0.1; done
  fi
  echo "slurm-stop: stopped $name ($pid)"
}

# Cancel jobs while the controller and slurmd can still act on them.
ctld=$(pid_of slurmctld)
if is_ours "$ctld" slurmctld && scontrol ping >/dev/null 2>&1; then
  jobs=$(squeue -h -o '%i' 2>/dev/null | tr '\n' ' ')
  if [ -n "${jobs// /}" ]; then
    echo "slurm-stop: cancelling jobs $jobs"
    scancel --full $jobs 2>/dev/null || true
    scancel $jobs 2>/dev/null || true
    for _ in $(seq 1 100); do
      left=$(squeue -h -t R,CG,S,PD,CF -o '%i' 2>/dev/null | wc -l)
      [ "$left" -eq 0 ] && break
      sleep 0.2
    done
  fi
fi

stop_one slurmd 15
stop_one slurmctld 15
stop_one munged 10
rm -f "$PIDS"
# Short folder under /run used for sockets when STATE_DIR is deep (see slurm-start.sh).
if [ -L "$STATE/spool" ]; then
  short=$(dirname "$(readlink "$STATE/spool")")
  case "$short" in /run/cvseg-slurm-*) rm -rf "$short"; rm -f "$STATE/spool" "$STATE/munge" ;; esac
fi
exit 0
