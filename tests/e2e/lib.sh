# lib.sh: helpers shared by the end-to-end scripts (sourced, not run).
#   pass NAME / fail NAME [DETAIL]: one line per check, counted;
#   finish: prints the closing "N passed, N failed" line and exits 1 on a failure;
#   run NP ARGS...: $CVSEG under mpirun (OMP_NUM_THREADS and OMP_WAIT_POLICY
#     exported by the caller are passed on); sets rc, stdout in out.txt,
#     stderr in err.txt. Scripts that need another launch define their own.
#   ran NAME: the last run exited 0 (or fails with its exit code and stderr).
#   ranks_setup; run_ranks NP ARGS...: like run, but every rank's exit code is
#     kept: rc (rank 0's, or "timeout" after 120 s), rank_codes (all ranks').
passed=0
failed=0
pass() {
    echo "ok   $1"
    passed=$((passed + 1))
}
fail() {
    echo "FAIL $1${2:+: $2}"
    failed=$((failed + 1))
}
finish() {
    echo "$passed passed, $failed failed"
    [ "$failed" = 0 ] || exit 1
}
run() {
    local np=$1
    shift
    rc=0
    mpirun -np "$np" --oversubscribe --bind-to none -x OMP_NUM_THREADS -x OMP_WAIT_POLICY \
        "$CVSEG" "$@" >out.txt 2>err.txt || rc=$?
}
ran() {
    if [ "$rc" = 0 ]; then
        pass "$1"
    else
        fail "$1" "exit $rc: $(tail -n 3 err.txt | tr '\n' ' ')"
    fi
}

# Writes ./rankrc.sh (runs a command, records its exit code per rank) and ./ranks/.
ranks_setup() {
    mkdir -p ranks
    cat >rankrc.sh <<'EOF'
#!/usr/bin/env bash
"$@"
rc=$?
echo "$rc" >"$RANK_DIR/rank.${OMPI_COMM_WORLD_RANK:-${PMI_RANK:-0}}"
exit $rc
EOF
    chmod +x rankrc.sh
    export RANK_DIR=$PWD/ranks
}
run_ranks() {
    local np=$1 r mrc=0
    shift
    rm -f ranks/rank.*
    OMP_NUM_THREADS=1 timeout 120 mpirun -np "$np" --oversubscribe --bind-to none \
        -x OMP_NUM_THREADS -x RANK_DIR --mca orte_abort_on_non_zero_status 0 \
        ./rankrc.sh "$CVSEG" "$@" >out.txt 2>err.txt || mrc=$?
    rank_codes=""
    for ((r = 0; r < np; r++)); do
        rank_codes+="$(cat "ranks/rank.$r" 2>/dev/null || echo missing) "
    done
    rank_codes=${rank_codes% }
    if [ "$mrc" = 124 ] || [ "$mrc" = 137 ]; then
        rc=timeout
    else
        rc=$(cat ranks/rank.0 2>/dev/null || echo "mpirun:$mrc")
    fi
}
