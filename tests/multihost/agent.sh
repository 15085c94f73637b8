#!/bin/sh
# agent.sh HOST COMMAND...: Open MPI's remote launch agent (--mca plm_rsh_agent)
# for the multihost fixture (tests/multihost/hosts.sh). It plays the part of
# ssh: it runs COMMAND on HOST, where HOST is a network namespace of the
# fixture, with its own host name (UTS namespace), its own monotonic and boot
# clocks (time namespace, offset per host, where the kernel has them) and a
# fresh environment (as a non-interactive ssh login would give: PATH, HOME,
# USER; nothing of mpirun's environment leaks through except what mpirun
# itself forwards with -x).
#
# The host -> namespace map is the file named by CVSEG_MH_MAP, one line per
# host: HOST NAMESPACE MONOTONIC_OFFSET_SECONDS.
# Exit code 255 (as ssh) when the host is unknown.
host=$1
shift
line=$(awk -v h="$host" '$1 == h { print; exit }' "${CVSEG_MH_MAP:-/nonexistent}" 2>/dev/null)
if [ -z "$line" ]; then
    echo "agent.sh: unknown host '$host' (map: ${CVSEG_MH_MAP:-unset})" >&2
    exit 255
fi
set -- "$host" "$*"
# shellcheck disable=SC2086  # split the map line into fields
ns=$(echo "$line" | awk '{ print $2 }')
offset=$(echo "$line" | awk '{ print $3 }')
clock=""
if [ "${offset:-0}" != 0 ] && [ -e /proc/self/ns/time ]; then
    clock="--time --monotonic $offset --boottime $offset"
fi
# shellcheck disable=SC2086,SC2016  # $clock splits into options; sh -c expands
exec ip netns exec "$ns" unshare --uts $clock --fork --kill-child=SIGKILL \
    sh -c 'hostname "$1" && exec env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
        HOME="${HOME:-/root}" USER=root LOGNAME=root SHELL=/bin/sh sh -c "$2"' agent "$@"
