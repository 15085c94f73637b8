# shellcheck shell=bash
# slurm_hosts.sh: a Slurm cluster on the hosts of hosts.sh (sourced after
# it, after mh_up): slurmctld on mh1, one slurmd per host (NodeName mh1..mh3,
# NodeAddr its address), one munged (on mh1) shared through its socket (munge keys are
# the same on every node of a real cluster too). Settings as in
# scripts/slurm-start.sh (shared/design/slurm-ci.md), 2 CPUs per node.
#
#   mh_slurm_up    start it; state, logs and slurm.conf in MH_SLURM_DIR (a short
#                  folder under /run, for socket path limits); returns 77 where
#                  Slurm or munge is missing, 1 when it does not come up.
#   mh_slurm_down  cancel jobs, stop the daemons by their recorded pids.
#   mh_slurm CMD...  a Slurm client command on mh1 (sbatch, squeue, ...).
MH_SLURM_DIR=/run/cvseg-mh-$MH_TAG
MH_SLURM_PIDS=()

# mh__on_node HOST CMD...: like mh_on, but entering only the host's network
# namespace (ip netns exec mounts a fresh /sys, without the cgroup file
# system that slurmd needs), with the host's name and its own /tmp (Slurm's
# PMIx plugin keeps per-step folders there, as on any node).
mh__on_node() {
    local host=$1 ns
    shift
    eval "ns=\${MH_NS_$host:-}"
    # The host's own /tmp hides the real one: folders of the test that live
    # under /tmp (a checkout or work folder there) are bound back into it from
    # a hold mount of the real /tmp.
    local keep="" p
    for p in "$SOURCE_DIR" "$SOURCE_DIR/../shared" "$WORK_DIR" "$(dirname "$CVSEG")"; do
        p=$(realpath -m "$p")
        case $p in /tmp/*) keep+="$p " ;; esac
    done
    # shellcheck disable=SC2016  # expanded by sh -c
    nsenter --net="/run/netns/$ns" unshare --uts --mount --fork --kill-child=SIGTERM \
        sh -c 'hostname "$0" && mount --bind /tmp "$2" && mount --bind "$1" /tmp || exit 1
               for p in $3; do mkdir -p "$p" && mount --bind "$2/${p#/tmp/}" "$p" || exit 1; done
               shift 3 && exec "$@"' \
        "$host" "$MH_SLURM_DIR/tmp-$host" "$MH_SLURM_DIR/hold-$host" "$keep" "$@"
}

mh_slurm() {
    mh__on_node mh1 env SLURM_CONF="$MH_SLURM_DIR/slurm.conf" "$@"
}

mh__slurm_conf() {
    local mem host i=0
    mem=$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 / 4 }' /proc/meminfo)
    cat <<CONF
ClusterName=cvseg-mh
SlurmctldHost=mh1(${MH_IP_mh1:?})
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MH_SLURM_DIR/munge/munge.socket.2,cred_expire=10
StateSaveLocation=$MH_SLURM_DIR/ctld
SlurmdSpoolDir=$MH_SLURM_DIR/spool-%n
SlurmctldPidFile=$MH_SLURM_DIR/slurmctld.pid
SlurmdPidFile=$MH_SLURM_DIR/slurmd-%n.pid
SlurmctldLogFile=$MH_SLURM_DIR/log/slurmctld.log
SlurmdLogFile=$MH_SLURM_DIR/log/slurmd-%n.log
MailProg=/bin/true
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
EnforcePartLimits=ALL
KillWait=5
MinJobAge=600
InactiveLimit=0
SlurmdTimeout=60
Waittime=0
CONF
    for host in $MH_HOSTS; do
        i=$((i + 1))
        eval "echo \"NodeName=$host NodeAddr=\$MH_IP_$host CPUs=2 Sockets=1 CoresPerSocket=2 ThreadsPerCore=1 RealMemory=$mem State=UNKNOWN\""
    done
    echo "PartitionName=mh Nodes=ALL Default=YES MaxTime=INFINITE State=UP"
}

# mh__start NAME HOST COMMAND...: a daemon on HOST in its own session, pid recorded.
mh__start() {
    local name=$1 host=$2
    shift 2
    setsid bash -c "$(declare -f mh__on_node); $(declare -p MH_NS_"$host" MH_SLURM_DIR); mh__on_node \"\$@\"" mh \
        "$host" "$@" </dev/null >"$MH_SLURM_DIR/log/$name.out" 2>&1 &
    MH_SLURM_PIDS+=("$!")
    echo "$name $!" >>"$MH_SLURM_DIR/pids"
}

mh__slurm_logs() {
    local f
    for f in "$MH_SLURM_DIR"/log/*; do
        echo "----- $f"
        tail -n 15 "$f"
    done
}

mh_slurm_up() {
    local cmd host state i
    for cmd in nsenter munged munge unmunge slurmctld slurmd sbatch srun scontrol setpriv; do
        command -v $cmd >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] ||
            { echo "multihost: SKIP Slurm: $cmd not found"; return 77; }
    done
    if [ ! -r /etc/munge/munge.key ] || ! id munge >/dev/null 2>&1; then
        echo "multihost: SKIP Slurm: no munge user or key"
        return 77
    fi
    export PATH=$PATH:/usr/sbin:/sbin
    rm -rf "$MH_SLURM_DIR"
    mkdir -p "$MH_SLURM_DIR"/{ctld,log,munge} || return 1
    for host in $MH_HOSTS; do
        mkdir -p "$MH_SLURM_DIR/spool-$host" "$MH_SLURM_DIR/tmp-$host" "$MH_SLURM_DIR/hold-$host"
    done
    chmod 1777 "$MH_SLURM_DIR"/tmp-*
    chown munge:munge "$MH_SLURM_DIR/munge"
    chmod 0755 "$MH_SLURM_DIR" "$MH_SLURM_DIR/munge"
    mh__slurm_conf >"$MH_SLURM_DIR/slurm.conf"
    printf 'CgroupPlugin=autodetect\nConstrainCores=no\nConstrainRAMSpace=no\nConstrainDevices=no\n' \
        >"$MH_SLURM_DIR/cgroup.conf"
    : >"$MH_SLURM_DIR/pids"
    local sock=$MH_SLURM_DIR/munge/munge.socket.2
    mh__start munged mh1 setpriv --reuid=munge --regid=munge --init-groups munged --foreground --force \
        --socket="$sock" --pid-file="$MH_SLURM_DIR/munge/munged.pid" \
        --seed-file="$MH_SLURM_DIR/munge/munged.seed" --log-file="$MH_SLURM_DIR/munge/munged.log"
    for i in $(seq 1 50); do
        munge -n -S "$sock" 2>/dev/null | unmunge -S "$sock" >/dev/null 2>&1 && break
        sleep 0.1
    done
    mh__start slurmctld mh1 slurmctld -D -c -i -f "$MH_SLURM_DIR/slurm.conf"
    for i in $(seq 1 50); do
        mh_slurm scontrol ping 2>/dev/null | grep -q 'is UP' && break
        sleep 0.2
    done
    for host in $MH_HOSTS; do
        mh__start "slurmd-$host" "$host" slurmd -D -N "$host" -f "$MH_SLURM_DIR/slurm.conf"
    done
    for i in $(seq 1 120); do
        state=$(mh_slurm sinfo -h -o '%T %D' 2>/dev/null | tr '\n' ' ')
        [ "$state" = "idle 3 " ] && return 0
        sleep 0.5
    done
    echo "multihost: Slurm did not come up (sinfo: ${state:-nothing})"
    mh__slurm_logs
    return 1
}

mh_slurm_down() {
    [ -f "$MH_SLURM_DIR/pids" ] || return 0
    local jobs name pid i
    jobs=$(mh_slurm squeue -h -o '%i' 2>/dev/null | tr '\n' ' ')
    if [ -n "${jobs// /}" ]; then
        # shellcheck disable=SC2086
        mh_slurm scancel $jobs 2>/dev/null
        for i in $(seq 1 50); do
            [ -z "$(mh_slurm squeue -h -o '%i' 2>/dev/null)" ] && break
            sleep 0.2
        done
    fi
    # slurmd first, then slurmctld, then munged (reverse start order)
    tac "$MH_SLURM_DIR/pids" | while read -r name pid; do
        kill -TERM -- "-$pid" 2>/dev/null
        for i in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL -- "-$pid" 2>/dev/null
    done
    rm -rf "$MH_SLURM_DIR"
}
