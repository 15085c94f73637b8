# lib.sh: helpers shared by the end-to-end scripts (sourced, not run).
#   pass NAME / fail NAME [DETAIL]: one line per check, counted;
#   finish: prints the closing "N passed, N failed" line and exits 1 on a failure;
#   run NP ARGS...: $CVSEG under mpirun (OMP_NUM_THREADS and OMP_WAIT_POLICY
#     exported by the caller are passed on); sets rc, stdout in out.txt,
#     stderr in err.txt. Scripts that need another launch define their own.
#   ran NAME: the last run exited 0 (or fails with its exit code and stderr).
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
