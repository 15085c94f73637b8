#!/usr/bin/env bash
# run_multihost_tests.sh: cvseg across three "hosts" (network namespaces on
# one machine, tests/multihost/hosts.sh), Open MPI over TCP only.
#
#   tests/multihost/run_multihost_tests.sh
#
# Environment (set by ctest): CVSEG (the binary), SOURCE_DIR, WORK_DIR (wiped
# and reused), MPI_TEST_PROGRAMS (colon-separated CUnit MPI test binaries),
# PYTHON (with h5py).
#
# Each host has its own network stack and address (10.213.0.11-13 on a
# private bridge), host name, /etc/hosts, and monotonic/boot clocks (1000
# days apart); mpirun runs on mh1 and starts orted on the others through
# agent.sh (ip netns exec, a fresh environment, as ssh would); btl tcp,self:
# no shared-memory transport, even between ranks of one host. The hosts share
# the file system (as a parallel file system). Checks:
#   0. 6 ranks, 2 per host, each on its own host name and address;
#   1. the MPI test programs at np 6 across the hosts;
#   2. gen -> aggregate -> train -> gen -> aggregate -> score --previous at
#      np 6 across the hosts: every dataset of every file (transactions,
#      members, results, model, migration) bit-identical (h5diff) to the same
#      commands at np 1 on one host;
#   3. faults during train --checkpoint at np 6: (a) host mh3's link goes
#      down; (b) a rank on mh2 gets SIGKILL. The job must end by itself within
#      the bound below (watchdog FAULT_BOUND seconds), with a non-zero exit code
#      and Open MPI's message naming the lost host or the killed rank, no
#      process left on any host, the previous results and model byte-identical,
#      a checkpoint present; --resume across the hosts must give results and
#      model bit-identical to the uninterrupted run;
#   4. where Slurm and munge are installed: slurmctld on mh1, one slurmd per
#      host; jobs/train.sbatch and the nightly chain (submit-nightly.sh:
#      aggregate -> score --previous -> report) on 3 nodes x 2 tasks with
#      srun --mpi=pmix, results identical to np 1 on one host.
# Exit 0 all passed, 1 a check failed, 77 skipped (no root / no namespaces).
# Everything the fixture made is removed at exit, also on failure or signal.
set -uo pipefail

: "${CVSEG:?CVSEG must name the cvseg binary}" "${SOURCE_DIR:?}" "${WORK_DIR:?}"
PYTHON=${PYTHON:-/usr/bin/python3}
HERE=$SOURCE_DIR/tests/multihost
# A link-down is noticed by the keepalive of mpirun's control connections
# (hosts.sh: 5 + 2 x 3 = 11 s); a killed rank at once. Past this, a hang.
FAULT_BOUND=${FAULT_BOUND:-90}
RUN_BOUND=${RUN_BOUND:-300}
T0=$SECONDS

for tool in h5diff h5ls timeout; do
    command -v $tool >/dev/null || { echo "multihost: SKIP: $tool not found"; exit 77; }
done
"$PYTHON" -c 'import h5py' 2>/dev/null || { echo "multihost: SKIP: $PYTHON lacks h5py"; exit 77; }

# shellcheck source=../e2e/lib.sh
source "$SOURCE_DIR/tests/e2e/lib.sh"
# shellcheck source=hosts.sh
source "$HERE/hosts.sh"

rm -rf "$WORK_DIR"
mkdir -p "$WORK_DIR" || exit 1
cd "$WORK_DIR" || exit 1
WORK_DIR=$(pwd -P)

cleanup() {
    trap - EXIT INT TERM HUP
    declare -F mh_slurm_down >/dev/null && mh_slurm_down
    mh_down
    echo "multihost: cleaned up ($((SECONDS - T0)) s in all)"
}
trap cleanup EXIT
trap 'echo "multihost: interrupted"; exit 1' INT TERM HUP

mh_sweep_stale
mh_up "$WORK_DIR"
rc=$?
[ $rc = 77 ] && exit 77
[ $rc = 0 ] || { echo "multihost: FAIL: could not create the hosts"; exit 1; }

# Transport settings come from the command line only (ctest's environment
# asks for shared memory).
for v in $(env | sed -n 's/^\(OMPI_MCA_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export HDF5_USE_FILE_LOCKING=FALSE OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE
FORWARD=(-x HDF5_USE_FILE_LOCKING -x OMP_NUM_THREADS -x OMP_WAIT_POLICY)
mh_print_mca
echo "multihost: forwarded to the ranks: ${FORWARD[*]}"

# across ARGS...: cvseg ARGS at np 6 across the hosts (stdout out.txt,
# stderr err.txt), watchdog RUN_BOUND; sets rc.
across() {
    rc=0
    timeout -k 10 "$RUN_BOUND" "${MH_MPIRUN[@]}" -np 6 "${FORWARD[@]}" "$CVSEG" "$@" >out.txt 2>err.txt || rc=$?
}
# alone ARGS...: cvseg ARGS at np 1 on this machine (shared memory); sets rc.
alone() {
    rc=0
    timeout -k 10 "$RUN_BOUND" mpirun -np 1 --mca btl self,vader --bind-to none "${FORWARD[@]}" \
        "$CVSEG" "$@" >out.txt 2>err.txt || rc=$?
}
# expect NAME COMMAND...: passes when COMMAND succeeds.
expect() {
    local name=$1
    shift
    if "$@"; then pass "$name"; else fail "$name"; fi
}
# same NAME REFERENCE CANDIDATE: the same datasets in both files, each equal
# under plain h5diff (all groups but /report, which holds timings), and for a
# model the attributes inertia, iterations, converged, best_restart equal.
same() {
    local name=$1 ref=$2 cand=$3 ds count=0 bad=""
    local list
    list=$("$PYTHON" - "$ref" "$cand" <<'PY'
import sys, h5py
def names(path):
    out = []
    with h5py.File(path, "r") as f:
        f.visititems(lambda n, o: out.append("/" + n) if isinstance(o, h5py.Dataset) and not n.startswith("report") else None)
    return out
a, b = names(sys.argv[1]), names(sys.argv[2])
if sorted(a) != sorted(b):
    print("MISMATCH", sorted(set(a) ^ set(b)))
with h5py.File(sys.argv[1], "r") as fa, h5py.File(sys.argv[2], "r") as fb:
    if "model" in fa:  # the K-Means outcome kept as attributes, bit for bit
        for key in ("inertia", "iterations", "converged", "best_restart"):
            if key in fa["model"].attrs and (key not in fb["model"].attrs or
                                             fa["model"].attrs[key] != fb["model"].attrs[key]):
                print("MISMATCH", "/model@" + key)
for n in a:
    print(n)
PY
    ) || { fail "$name" "cannot list $ref / $cand"; return; }
    if grep -q '^MISMATCH' <<<"$list"; then
        fail "$name" "$(grep '^MISMATCH' <<<"$list" | tr '\n' ' ')"
        return
    fi
    for ds in $list; do
        count=$((count + 1))
        h5diff -q "$ref" "$cand" "$ds" "$ds" >/dev/null 2>&1 || bad+=" $ds"
    done
    if [ "$count" -gt 0 ] && [ -z "$bad" ]; then
        pass "$name ($count datasets)"
    else
        fail "$name" "differ:${bad:- no datasets}"
    fi
}

# ------------------------------------------------------------ 0. the hosts
# shellcheck disable=SC2016  # expanded by each rank's shell
out=$(timeout -k 5 60 "${MH_MPIRUN[@]}" \
    -np 6 sh -c 'echo "$OMPI_COMM_WORLD_RANK $(hostname) $(ip -4 -o addr show eth0 | awk "{ print \$4 }") $(cut -d" " -f1 /proc/uptime)"' 2>&1)
echo "$out" | sort -n | sed 's/^/    rank /'
hosts=$(echo "$out" | awk 'NF == 4 { print $2, $3 }' | sort | uniq -c | awk '{ print $2 ":" $1 }' | tr '\n' ' ')
if [ "$hosts" = "mh1:2 mh2:2 mh3:2 " ] &&
    [ "$(echo "$out" | awk 'NF == 4 { print $3 }' | sort -u | wc -l)" = 3 ]; then
    pass "6 ranks on 3 hosts, 2 per host, 3 addresses"
else
    fail "6 ranks on 3 hosts, 2 per host, 3 addresses" "$hosts"
fi
if [ "$(echo "$out" | awk 'NF == 4 { printf "%d\n", $4 / 86400000 }' | sort -u | wc -l)" = 3 ]; then
    pass "each host has its own monotonic clock (1000 days apart)"
else
    echo "info monotonic clocks not separated (no time namespaces here)"
fi

# ------------------------------------------------------------ 1. MPI test programs
mkdir -p mpi
IFS=: read -r -a programs <<<"${MPI_TEST_PROGRAMS:-}"
for program in "${programs[@]}"; do
    [ -x "$program" ] || { fail "MPI test program $program" "not found"; continue; }
    name=$(basename "$program")
    (cd mpi && timeout -k 10 "$RUN_BOUND" "${MH_MPIRUN[@]}" -np 6 "${FORWARD[@]}" "$program" >"../$name.log" 2>&1)
    rc=$?
    if [ $rc = 0 ]; then
        pass "$name at np 6 across 3 hosts ($(grep -m1 -oE 'asserts +[0-9]+ +[0-9]+ +[0-9]+ +0' "$name.log" | tr -s ' '))"
    else
        fail "$name at np 6 across 3 hosts" "exit $rc: $(tail -n 5 "$name.log" | tr '\n' ' ')"
    fi
done
echo "-- $((SECONDS - T0)) s"

# ------------------------------------------------------------ 2. pipeline
PIPE=(
    "gen -q --out TX.h5 --members 60000 --transactions-per-member 4 --seed 31 --reference-date 2024-06-30"
    "aggregate -q --in TX.h5 --out MEMBERS.h5 --reference-date 2024-06-30"
    "train -q --in MEMBERS.h5 --out TRAIN.h5 --model MODEL.h5 --k 6 --n-init 2 --seed 5"
    "gen -q --out TX2.h5 --members 64000 --transactions-per-member 4 --seed 32 --reference-date 2024-07-31"
    "aggregate -q --in TX2.h5 --out MEMBERS2.h5 --reference-date 2024-07-31"
    "score -q --in MEMBERS2.h5 --model MODEL.h5 --out SCORE.h5 --previous TRAIN.h5"
)
for where in one six; do
    for step in "${PIPE[@]}"; do
        # shellcheck disable=SC2001
        args=$(echo "$step" | sed "s/\([A-Z0-9]*\)\.h5/${where}_\1.h5/g")
        # shellcheck disable=SC2086
        if [ $where = one ]; then alone $args; else across $args; fi
        ran "$(echo "$step" | cut -d' ' -f1) $([ $where = one ] && echo "np 1 on one host" || echo "np 6 across 3 hosts")"
    done
done
for f in TX MEMBERS TRAIN MODEL TX2 MEMBERS2 SCORE; do
    same "np 6 across hosts = np 1 on one host: $f.h5" one_$f.h5 six_$f.h5
done
if h5ls six_SCORE.h5/migration >/dev/null 2>&1; then
    pass "score --previous wrote /migration ($(h5ls six_SCORE.h5/migration | wc -l) datasets)"
else
    fail "score --previous wrote /migration"
fi
echo "-- $((SECONDS - T0)) s"

# ------------------------------------------------------------ 3. faults
TRAIN=(train -v --in one_MEMBERS.h5 --k 6 --n-init 3 --restart-sample 0 --tol 0 --seed 9)
alone "${TRAIN[@]}" --out REF.h5 --model REF_model.h5
ran "uninterrupted reference train at np 1 on one host"

# fault NAME ACTION: starts train --checkpoint across the hosts over a
# previous good output, runs ACTION once a checkpoint of restart 1 is written,
# and checks how the job ends.
fault() {
    local name=$1 action=$2 pid t i ended=0 seconds
    cp REF.h5 "$name.h5"
    cp REF_model.h5 "${name}_model.h5"
    cp REF.h5 "$name.before.h5"
    cp REF_model.h5 "${name}_model.before.h5"
    rm -f "$name.ckpt.h5"
    "${MH_MPIRUN[@]}" \
        -np 6 "${FORWARD[@]}" "$CVSEG" "${TRAIN[@]}" --out "$name.h5" --model "${name}_model.h5" \
        --checkpoint "$name.ckpt.h5" --checkpoint-interval 0 >"$name.out" 2>"$name.err" &
    pid=$!
    for ((i = 0; i < 12000; ++i)); do
        grep -q 'checkpoint written: restart [1-9]' "$name.err" 2>/dev/null && break
        kill -0 $pid 2>/dev/null || break
        sleep 0.01
    done
    if ! kill -0 $pid 2>/dev/null; then
        fail "$name: fault injected while training ran" "the run ended first"
        wait $pid
        return
    fi
    t=$SECONDS
    eval "$action"
    pass "$name: fault injected after '$(grep 'checkpoint written' "$name.err" | tail -n 1 | sed 's/^cvseg train: //')'"
    for ((i = 0; i < FAULT_BOUND * 10; ++i)); do
        kill -0 $pid 2>/dev/null || { ended=1; break; }
        sleep 0.1
    done
    seconds=$((SECONDS - t))
    if [ $ended = 1 ]; then
        pass "$name: the job ended by itself after $seconds s (bound $FAULT_BOUND s)"
    else
        fail "$name: the job ended by itself within $FAULT_BOUND s" "still running: killed"
        kill -TERM $pid 2>/dev/null
    fi
    rc=0
    wait $pid || rc=$?
    echo "info $name: mpirun exit code $rc; its message:"
    grep -vE '^cvseg train:' "$name.err" | grep -v '^-*$' | head -n 12 | sed 's/^/    /'
    expect "$name: non-zero exit code ($rc)" [ "$rc" != 0 ]
}
# no_process_left: no process is left in any host's namespace (waits up to 30 s).
no_process_left() {
    local i h ns left
    for ((i = 0; i < 300; ++i)); do
        left=""
        for h in $MH_HOSTS; do
            eval "ns=\$MH_NS_$h"
            [ -n "$(ip netns pids "$ns")" ] && left+=" $h:$(ip netns pids "$ns" | tr '\n' ',')"
        done
        [ -z "$left" ] && { pass "$1: no process left on any host"; return; }
        sleep 0.1
    done
    fail "$1: no process left on any host" "$left"
}
# after_fault NAME: earlier outputs untouched, checkpoint there, resume = reference.
after_fault() {
    local name=$1
    if cmp -s "$name.h5" "$name.before.h5" && cmp -s "${name}_model.h5" "${name}_model.before.h5"; then
        pass "$name: previous results and model byte-identical"
    else
        fail "$name: previous results and model byte-identical"
    fi
    echo "info $name: temporaries left: $(compgen -G "$name*.tmp.*" | tr '\n' ' ')"
    expect "$name: checkpoint present" [ -s "$name.ckpt.h5" ]
    across "${TRAIN[@]}" --out "$name.h5" --model "${name}_model.h5" --checkpoint "$name.ckpt.h5" --resume
    ran "$name: --resume at np 6 across the hosts"
    grep -m1 'resuming from' err.txt | sed 's/^/    /'
    expect "$name: resumed from the checkpoint" grep -q "resuming from $name.ckpt.h5" err.txt
    same "$name: resumed results = uninterrupted run" REF.h5 "$name.h5"
    same "$name: resumed model = uninterrupted run" REF_model.h5 "${name}_model.h5"
}

# (a) the link of host mh3 goes down mid-training
fault linkdown "mh_link mh3 down"
expect "linkdown: message names the lost host mh3" \
    grep -Pzq "lost communication with a remote daemon(.|\n)*Remote daemon: .* on node mh3" linkdown.err
no_process_left linkdown
mh_link mh3 up
after_fault linkdown

# (b) SIGKILL to a rank on host mh2
kill_rank_on_mh2() {
    local p
    for p in $(ip netns pids "${MH_NS_mh2:?}"); do
        if [ "$(cat "/proc/$p/comm" 2>/dev/null)" = cvseg ]; then
            echo "info killing cvseg pid $p on mh2"
            kill -KILL "$p"
            return
        fi
    done
    echo "info no cvseg process found on mh2"
}
fault killrank kill_rank_on_mh2
expect "killrank: message names the rank on mh2 and signal 9" \
    grep -qE "rank [0-9]+ with PID [0-9]+ on node mh2 exited on signal 9" killrank.err
no_process_left killrank
after_fault killrank

echo "-- $((SECONDS - T0)) s"

# ------------------------------------------------------------ 4. Slurm across the hosts
# slurmctld on mh1, one slurmd per host; the job scripts with srun --mpi=pmix
# over 3 nodes x 2 tasks, MPI over TCP (the transport settings travel in the
# job's environment, as a site's module would set them).
slurm_section() {
    # shellcheck source=slurm_hosts.sh
    source "$HERE/slurm_hosts.sh"
    local rc=0 j ids step id
    mh_slurm_up || rc=$?
    if [ $rc = 77 ]; then
        echo "info Slurm part skipped (see above)"
        return
    fi
    if [ $rc != 0 ]; then
        fail "Slurm with one slurmd per host came up"
        return
    fi
    pass "Slurm with one slurmd per host: $(mh_slurm sinfo -h -o '%D nodes %T %N')"
    export OMPI_MCA_pml=ob1 OMPI_MCA_btl=tcp,self OMPI_MCA_btl_tcp_if_include=$MH_SUBNET
    export OMPI_MCA_oob_tcp_if_include=$MH_SUBNET OMPI_MCA_mpi_yield_when_idle=1
    echo "multihost: Slurm jobs get OMPI_MCA_pml=ob1 OMPI_MCA_btl=tcp,self OMPI_MCA_btl_tcp_if_include=$MH_SUBNET OMPI_MCA_oob_tcp_if_include=$MH_SUBNET"
    local NODES=(-t 10 -N 3 -n 6 --ntasks-per-node 2 -c 1)
    mkdir -p slurm/logs
    j=$(mh_slurm sbatch --parsable "${NODES[@]}" -o "$WORK_DIR/slurm/logs/train-%j.out" \
        "$SOURCE_DIR/jobs/train.sbatch" CVSEG="$CVSEG" INPUT="$WORK_DIR/one_MEMBERS.h5" \
        OUTDIR="$WORK_DIR/slurm/train" K=6 SEED=5 EXTRA_ARGS="--n-init 2" LAUNCHER=srun | cut -d';' -f1)
    ids=$(mh_slurm "$SOURCE_DIR/jobs/submit-nightly.sh" --in "$WORK_DIR/one_TX2.h5" \
        --workdir "$WORK_DIR/slurm/nightly" --reference-date 2024-07-31 --model "$WORK_DIR/one_MODEL.h5" \
        --previous "$WORK_DIR/one_TRAIN.h5" --cvseg "$CVSEG" -- "${NODES[@]}" 2>&1 |
        grep -E '^[a-z]+ [0-9]+$|rror')
    if out=$(mh_slurm "$SOURCE_DIR/scripts/slurm-wait.sh" "$j" 240 2>&1); then
        pass "train.sbatch on 3 nodes x 2 tasks: $out"
        expect "train.sbatch ran on mh[1-3]" grep -q "NodeList=mh\[1-3\]" <(mh_slurm scontrol show job "$j")
        expect "train.sbatch log: 6 ranks via srun" grep -q "6 ranks x 1 threads via srun" "$WORK_DIR/slurm/logs/train-$j.out"
        same "train.sbatch on 3 nodes: results = np 1 on one host" one_TRAIN.h5 slurm/train/results.h5
        same "train.sbatch on 3 nodes: model = np 1 on one host" one_MODEL.h5 slurm/train/model.h5
    else
        fail "train.sbatch on 3 nodes x 2 tasks" "$out"
    fi
    if ! grep -q '^aggregate [0-9]' <<<"$ids"; then
        fail "submit-nightly on 3 nodes" "$ids"
    else
        while read -r step id; do
            if out=$(mh_slurm "$SOURCE_DIR/scripts/slurm-wait.sh" "$id" 240 2>&1); then
                pass "nightly $step: $out"
                [ "$step" = report ] ||
                    expect "nightly $step ran on mh[1-3] with 6 tasks" grep -q "NumNodes=3 NumCPUs=6 NumTasks=6 " <(mh_slurm scontrol show job "$id")
            else
                fail "nightly $step" "$out"
            fi
        done <<<"$ids"
        same "nightly on 3 nodes: members = np 1 on one host" one_MEMBERS2.h5 slurm/nightly/members.h5
        same "nightly on 3 nodes: score --previous results = np 1 on one host" one_SCORE.h5 slurm/nightly/results.h5
    fi
    mh_slurm_down
    for v in pml btl btl_tcp_if_include oob_tcp_if_include mpi_yield_when_idle; do unset "OMPI_MCA_$v"; done
}
slurm_section

echo "-- $((SECONDS - T0)) s"
finish
