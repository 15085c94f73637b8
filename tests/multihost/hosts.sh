# shellcheck shell=bash
# hosts.sh: a three-"host" cluster on one machine, for the multihost tests
# (sourced, not run). Each host is a network namespace with one veth link on
# a private bridge (subnet MH_SUBNET, no address in the root namespace, so no
# traffic leaves the namespaces and concurrent runs cannot collide), its own
# /etc/hosts (ip netns exec binds /etc/netns/NS/hosts), and, when commands
# run through mh_on or agent.sh, its own host name and clocks. The hosts share
# the file system, as cluster nodes share a parallel file system.
#
#   mh_up WORK_DIR    create the hosts (names in MH_HOSTS, namespaces in
#                     MH_NS_<host>, addresses in MH_IP_<host>), the host map
#                     for agent.sh and a hostfile (2 slots per host).
#                     Returns 77 (with a message) where namespaces cannot be
#                     made, 1 on other failures.
#   mh_down           remove everything mh_up made: processes left in the
#                     namespaces (by the pids the kernel lists for them),
#                     namespaces, veths, bridge, /etc/netns entries. Safe to
#                     call twice and after a partial mh_up.
#   mh_sweep_stale    remove what an earlier, killed run left behind (its
#                     namespaces carry the pid of that run's shell).
#   mh_on HOST CMD... run CMD on HOST (its namespaces, its host name), with
#                     the caller's environment (a login shell on that node).
#   mh_link HOST up|down    set HOST's network link up or down.
#   "${MH_MPIRUN[@]}" ARGS...  mpirun on host mh1 across the hosts over TCP,
#                     with the hostfile and the MCA settings in MH_MCA
#                     (printed by mh_print_mca); a plain command, so it runs
#                     under timeout, in the background, etc.
MH_SUBNET_PREFIX=10.213.0
MH_SUBNET=$MH_SUBNET_PREFIX.0/24
MH_HOSTS="mh1 mh2 mh3"
MH_TAG=$$
MH_BR=cvmhb$MH_TAG
MH_DIR=""
MH_AGENT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/agent.sh
# Keepalive on mpirun's control connections (seconds): a host that stops
# answering is declared lost after time + intvl * probes = 5 + 2 * 3 = 11 s.
MH_KEEPALIVE_TIME=5 MH_KEEPALIVE_INTVL=2 MH_KEEPALIVE_PROBES=3

mh__ns() { echo "cvseg-mh-$MH_TAG-$1"; }

mh__skip() {
    echo "multihost: SKIP: $*"
    return 77
}

mh_up() {
    local work=$1 i=0 host ns ip
    [ "$(id -u)" = 0 ] || { mh__skip "needs root (network namespaces)"; return; }
    for cmd in ip unshare awk; do
        command -v $cmd >/dev/null 2>&1 || { mh__skip "$cmd not found"; return; }
    done
    if ! ip netns add "$(mh__ns probe)" 2>/dev/null; then
        mh__skip "cannot create network namespaces here (ip netns add failed)"
        return
    fi
    ip netns del "$(mh__ns probe)"
    if ! ip link add "$MH_BR" type bridge 2>/dev/null; then
        mh__skip "cannot create a bridge here (ip link add type bridge failed)"
        return
    fi
    ip link set "$MH_BR" up || return 1
    MH_DIR=$work
    : >"$work/hosts.map"
    : >"$work/hostfile"
    for host in $MH_HOSTS; do
        i=$((i + 1))
        ns=$(mh__ns "$host")
        ip=$MH_SUBNET_PREFIX.$((10 + i))
        eval "MH_NS_$host=$ns MH_IP_$host=$ip"
        ip netns add "$ns" || return 1
        ip link add "cvmh${MH_TAG}h$i" type veth peer name "cvmh${MH_TAG}p$i" || return 1
        ip link set "cvmh${MH_TAG}p$i" netns "$ns" || return 1
        ip link set "cvmh${MH_TAG}h$i" master "$MH_BR" up || return 1
        ip -n "$ns" link set "cvmh${MH_TAG}p$i" name eth0 || return 1
        ip -n "$ns" addr add "$ip/24" dev eth0 || return 1
        ip -n "$ns" link set eth0 up || return 1
        ip -n "$ns" link set lo up || return 1
        # separate monotonic/boot clocks: host i runs (i - 1) * 1000 days ahead
        echo "$host $ns $(((i - 1) * 86400000))" >>"$work/hosts.map"
        echo "$host slots=2" >>"$work/hostfile"
    done
    [ -d /etc/netns ] || MH_MADE_ETC_NETNS=1
    for host in $MH_HOSTS; do
        ns=$(mh__ns "$host")
        mkdir -p "/etc/netns/$ns" || return 1
        {
            echo "127.0.0.1 localhost"
            for h in $MH_HOSTS; do eval "echo \"\$MH_IP_$h $h\""; done
        } >"/etc/netns/$ns/hosts"
    done
    export CVSEG_MH_MAP=$work/hosts.map
    # shellcheck disable=SC2054  # "tcp,self" is one value
    MH_MCA=(--mca plm_rsh_agent "$MH_AGENT" --mca plm_rsh_no_tree_spawn 1
        --mca pml ob1 --mca btl tcp,self
        --mca btl_tcp_if_include "$MH_SUBNET" --mca oob_tcp_if_include "$MH_SUBNET"
        --mca oob_tcp_keepalive_time "$MH_KEEPALIVE_TIME"
        --mca oob_tcp_keepalive_intvl "$MH_KEEPALIVE_INTVL"
        --mca oob_tcp_keepalive_probes "$MH_KEEPALIVE_PROBES"
        --mca mpi_yield_when_idle 1 --bind-to none)
    # shellcheck disable=SC2016,SC2034  # expanded by sh -c; used by callers
    MH_MPIRUN=(ip netns exec "$(mh__ns mh1)" unshare --uts --fork --kill-child=SIGTERM
        sh -c 'hostname "$0" && exec "$@"' mh1
        mpirun --hostfile "$work/hostfile" "${MH_MCA[@]}")
    return 0
}

# mh__kill_ns NS: SIGKILL every process in network namespace NS, wait for them.
mh__kill_ns() {
    local pids i
    for i in $(seq 1 50); do
        pids=$(ip netns pids "$1" 2>/dev/null | tr '\n' ' ')
        [ -n "${pids// /}" ] || return 0
        # shellcheck disable=SC2086
        kill -KILL $pids 2>/dev/null
        sleep 0.1
    done
    echo "multihost: processes still in $1: $pids" >&2
}

# mh__remove TAG: everything of the run with that tag.
mh__remove() {
    local tag=$1 ns
    for ns in $(ip netns list 2>/dev/null | awk -v p="cvseg-mh-$tag-" 'index($1, p) == 1 { print $1 }'); do
        mh__kill_ns "$ns"
        ip netns del "$ns" 2>/dev/null
        rm -rf "/etc/netns/${ns:?}"
    done
    ip link del "cvmhb$tag" 2>/dev/null
    rm -rf "/run/cvseg-mh-$tag" # slurm_hosts.sh: state, sockets, per-node /tmp
    local link
    for link in $(ip -o link show 2>/dev/null | awk -F': ' -v p="cvmh${tag}h" 'index($2, p) == 1 { sub(/@.*/, "", $2); print $2 }'); do
        ip link del "$link" 2>/dev/null
    done
    return 0
}

mh_down() {
    mh__remove "$MH_TAG"
    # /etc/netns itself only when this run made it and nothing else is in it
    [ "${MH_MADE_ETC_NETNS:-0}" = 1 ] && rmdir /etc/netns 2>/dev/null
    return 0
}

mh_sweep_stale() {
    local tag
    for tag in $(ip netns list 2>/dev/null | sed -n 's/^cvseg-mh-\([0-9]*\)-.*/\1/p' | sort -u); do
        [ "$tag" = "$MH_TAG" ] && continue
        kill -0 "$tag" 2>/dev/null && continue
        echo "multihost: removing the hosts of an earlier run (pid $tag, gone)"
        mh__remove "$tag"
    done
}

mh_on() {
    local host=$1 ns
    shift
    eval "ns=\${MH_NS_$host:-}"
    [ -n "$ns" ] || { echo "mh_on: unknown host $host" >&2; return 255; }
    # shellcheck disable=SC2016  # expanded by sh -c
    ip netns exec "$ns" unshare --uts --fork --kill-child=SIGTERM \
        sh -c 'hostname "$0" && exec "$@"' "$host" "$@"
}

mh_link() {
    local ns
    eval "ns=\${MH_NS_$1:-}"
    ip -n "$ns" link set eth0 "$2"
}

mh_print_mca() {
    echo "multihost: hosts $(for h in $MH_HOSTS; do eval "printf '%s=%s(%s) ' $h \$MH_IP_$h \$MH_NS_$h"; done)"
    echo "multihost: hostfile: $(tr '\n' ' ' <"$MH_DIR/hostfile")"
    echo "multihost: mpirun ${MH_MCA[*]}"
}
