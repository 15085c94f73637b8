# lib.sh: helpers shared by the end-to-end scripts (sourced, not run).
#   pass NAME / fail NAME [DETAIL]: one line per check, counted;
#   finish: prints the closing "N passed, N failed" line and exits 1 on a failure.
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
