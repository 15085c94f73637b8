#!/usr/bin/env bash
# shellcheck disable=SC2154  # PID_<daemon> variables are set through eval
# Start a private single-node Slurm cluster (munged, slurmctld, slurmd) on
# localhost, for tests and local experiments.
#
#   scripts/slurm-start.sh STATE_DIR
#
# Everything (slurm.conf, state, spool, logs, pid files, the munge socket)
# lives under STATE_DIR; nothing under /etc/slurm or /run/munge is touched.
# Point the clients at it with:
#
#   export SLURM_CONF=STATE_DIR/slurm.conf
#
# Needs root and the Debian packages munge slurmctld slurmd slurm-client.
# Exit codes: 0 running (started now or already running from STATE_DIR),
#             1 failed to start (the daemon logs are printed),
#             77 cannot run here (missing binaries, not root, no cgroup fs,
#                localhost does not resolve): callers treat it as "skipped".
# Stop it with scripts/slurm-stop.sh STATE_DIR.
#
# Environment: SLURM_START_TIMEOUT (seconds to wait for the node, default 60),
#              SLURM_NODE_CPUS (CPUs the node claims, default 4),
#              SLURM_CTLD_PORT / SLURMD_PORT (default: first free from 6817/6818).
set -u

SKIP=77
die()  { echo "slurm-start: $*" >&2; exit 1; }
skip() { echo "slurm-start: SKIP: $*" >&2; exit "$SKIP"; }

[ $# -eq 1 ] || { echo "usage: $0 STATE_DIR" >&2; exit 2; }

# ---------------------------------------------------------------- environment checks
missing=()
for b in munged munge unmunge slurmctld slurmd sinfo scontrol sbatch srun setpriv; do
  command -v "$b" >/dev/null 2>&1 || [ -x "/usr/sbin/$b" ] || missing+=("$b")
done
if [ ${#missing[@]} -gt 0 ]; then
  skip "missing ${missing[*]} (apt-get install --no-install-recommends munge slurmctld slurmd slurm-client)"
fi
export PATH="$PATH:/usr/sbin:/sbin"
[ "$(id -u)" -eq 0 ] || skip "needs root (SlurmUser=root, munged runs as user munge)"
id munge >/dev/null 2>&1 || skip "no 'munge' user (is the munge package installed?)"
[ -r /etc/munge/munge.key ] || skip "no /etc/munge/munge.key (is the munge package installed?)"
getent hosts localhost >/dev/null 2>&1 || skip "'localhost' does not resolve (add '127.0.0.1 localhost' to /etc/hosts)"
if ! grep -qE '^[^ ]+ /sys/fs/cgroup[ /]' /proc/mounts; then
  skip "no cgroup file system under /sys/fs/cgroup (slurmd needs one)"
fi

mkdir -p "$1" || die "cannot create $1"
STATE=$(cd "$1" && pwd -P)
CONF="$STATE/slurm.conf"
PIDS="$STATE/pids"
LOG="$STATE/log"
TIMEOUT=${SLURM_START_TIMEOUT:-60}
NODE_CPUS=${SLURM_NODE_CPUS:-4}

alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

print_exports() {
  echo "slurm-start: cluster running from $STATE"
  echo "  export SLURM_CONF=$CONF"
}

# ---------------------------------------------------------------- already running?
if [ -f "$PIDS" ]; then
  all=1; any=0
  while read -r name pid; do
    [ -n "${name:-}" ] || continue
    if alive "$pid"; then any=1; else all=0; fi
  done < "$PIDS"
  if [ "$all" -eq 1 ] && [ "$any" -eq 1 ] && SLURM_CONF="$CONF" sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
    echo "slurm-start: already running from $STATE"
    print_exports
    exit 0
  fi
  if [ "$any" -eq 1 ]; then
    echo "slurm-start: a partial cluster is running from $STATE; stopping it first" >&2
    "$(dirname "$0")/slurm-stop.sh" "$STATE" >&2 || true
  fi
  rm -f "$PIDS"
fi

# ---------------------------------------------------------------- layout
# Unix socket paths (munge's socket, slurmstepd's and pmix's sockets in the
# spool folder) must fit in 108 bytes: when STATE_DIR is deep, the spool and
# munge folders go to a short folder under /run, linked from STATE_DIR.
SHORT=$STATE
if [ ${#STATE} -gt 50 ]; then
  SHORT=/run/cvseg-slurm-$(printf '%s' "$STATE" | md5sum | cut -c1-12)
  rm -rf "$SHORT"
  mkdir -p "$SHORT" || die "cannot create $SHORT"
  for d in munge spool; do rm -rf "${STATE:?}/$d"; ln -sfn "$SHORT/$d" "$STATE/$d"; done
fi
mkdir -p "$STATE/ctld" "$SHORT/spool" "$LOG" "$STATE/run" "$STATE/tmp" || die "cannot create folders in $STATE"
# munge checks the permissions of its folders strictly: give it its own
# folder that it owns and nobody else can write.
MUNGE_DIR="$SHORT/munge"
mkdir -p "$MUNGE_DIR"
chown munge:munge "$MUNGE_DIR"
chmod 0755 "$MUNGE_DIR"
MUNGE_SOCKET="$MUNGE_DIR/munge.socket.2"
rm -f "$MUNGE_SOCKET" "$MUNGE_SOCKET.lock"
# munged insists on non-group/world-writable parents; keep the state folder tidy.
chmod go-w "$STATE" 2>/dev/null || true

# ---------------------------------------------------------------- ports
port_busy() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q . ; }
pick_port() {
  local p=$1
  while port_busy "$p" || port_busy "$((p + 1))"; do p=$((p + 10)); done
  echo "$p"
}
if [ -n "${SLURM_CTLD_PORT:-}" ]; then CTLD_PORT=$SLURM_CTLD_PORT; else CTLD_PORT=$(pick_port 6817); fi
SLURMD_PORT_=${SLURMD_PORT:-$((CTLD_PORT + 1))}

# ---------------------------------------------------------------- slurm.conf
mem_mb=$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)
[ -n "$mem_mb" ] && [ "$mem_mb" -gt 0 ] || mem_mb=1024
cat > "$CONF" <<EOF
# Written by scripts/slurm-start.sh for a private single-node test cluster.
ClusterName=cvseg-local
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT_
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET,cred_expire=10
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$SHORT/spool
MailProg=/bin/true
SlurmctldPidFile=$STATE/run/slurmctld.pid
SlurmdPidFile=$STATE/run/slurmd.pid
SlurmctldLogFile=$LOG/slurmctld.log
SlurmdLogFile=$LOG/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
TmpFS=$STATE/tmp
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=pmix
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
ReturnToService=2
DependencyParameters=kill_invalid_depend
SchedulerParameters=batch_sched_delay=0,sched_interval=5
SchedulerType=sched/backfill
EnforcePartLimits=ALL
KillWait=5
MinJobAge=600
InactiveLimit=0
SlurmctldTimeout=30
SlurmdTimeout=60
Waittime=0
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$NODE_CPUS Sockets=1 CoresPerSocket=$NODE_CPUS ThreadsPerCore=1 RealMemory=$mem_mb State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
# The cgroup plugin is loaded by slurmd even with proctrack/linuxproc; keep it
# from touching the host's hierarchy more than needed.
cat > "$STATE/cgroup.conf" <<EOF
CgroupPlugin=autodetect
ConstrainCores=no
ConstrainRAMSpace=no
ConstrainDevices=no
EOF
export SLURM_CONF="$CONF"

# ---------------------------------------------------------------- start daemons
: > "$PIDS"
start_daemon() {  # name logfile command...
  local name=$1 out=$2; shift 2
  setsid "$@" </dev/null >"$out" 2>&1 &
  local pid=$!
  echo "$name $pid" >> "$PIDS"
  eval "PID_$name=$pid"
}

show_logs() {
  local f
  for f in "$LOG"/*.log "$LOG"/munged.out; do
    [ -f "$f" ] || continue
    echo "----- $f (last 40 lines)" >&2
    tail -n 40 "$f" >&2
  done
}

fail() {
  echo "slurm-start: $*" >&2
  show_logs
  "$(dirname "$0")/slurm-stop.sh" "$STATE" >/dev/null 2>&1 || true
  # Environmental failures that no script change can fix: report as skip.
  if grep -qiE 'cgroup.*(not mounted|unable to mount|cannot|failed)|Could not initialize cgroup' \
       "$LOG"/slurmd.log "$LOG"/slurmd.out 2>/dev/null; then
    echo "slurm-start: SKIP: slurmd cannot use the cgroup file system here" >&2
    exit "$SKIP"
  fi
  exit 1
}

# munged, as user munge, with everything in its own folder.
start_daemon munged "$LOG/munged.out" \
  setpriv --reuid=munge --regid=munge --init-groups \
  munged --foreground --force \
    --socket="$MUNGE_SOCKET" \
    --pid-file="$MUNGE_DIR/munged.pid" \
    --seed-file="$MUNGE_DIR/munged.seed" \
    --log-file="$MUNGE_DIR/munged.log"
for _ in $(seq 1 50); do
  munge -n -S "$MUNGE_SOCKET" 2>/dev/null | unmunge -S "$MUNGE_SOCKET" >/dev/null 2>&1 && break
  alive "$PID_munged" || break
  sleep 0.1
done
if ! munge -n -S "$MUNGE_SOCKET" 2>/dev/null | unmunge -S "$MUNGE_SOCKET" >/dev/null 2>&1; then
  cp "$MUNGE_DIR/munged.log" "$LOG/munged.log" 2>/dev/null
  fail "munged did not come up"
fi

start_daemon slurmctld "$LOG/slurmctld.out" slurmctld -D -c -i -f "$CONF"
for _ in $(seq 1 50); do
  scontrol ping 2>/dev/null | grep -q 'is UP' && break
  alive "$PID_slurmctld" || break
  sleep 0.2
done
scontrol ping 2>/dev/null | grep -q 'is UP' || fail "slurmctld did not come up"

start_daemon slurmd "$LOG/slurmd.out" slurmd -D -N localhost -f "$CONF"

deadline=$((SECONDS + TIMEOUT))
state=""
while [ $SECONDS -lt $deadline ]; do
  state=$(sinfo -h -n localhost -o '%T' 2>/dev/null | head -n1)
  case "$state" in idle|mixed|allocated) break ;; esac
  alive "$PID_slurmd" || fail "slurmd exited"
  alive "$PID_slurmctld" || fail "slurmctld exited"
  sleep 0.5
done
case "$state" in
  idle|mixed|allocated) ;;
  *) fail "node not idle after ${TIMEOUT}s (state: ${state:-none})" ;;
esac

print_exports
sinfo
exit 0
