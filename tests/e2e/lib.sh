# lib.sh: helpers shared by the end-to-end scripts (sourced, not run).
# shellcheck shell=bash
# Environment (set by ctest): CVSEG, SOURCE_DIR, WORK_DIR; PYTHON defaults to
# /usr/bin/python3. A script starts with
#     source "${SOURCE_DIR:?}/tests/e2e/lib.sh"
#     need_python h5py numpy ...   # and need_command / need_file: else exit 77
#     enter_work_dir [SUBDIR...]   # a fresh WORK_DIR, the current directory
#
# Checks, one line each, counted:
#   pass NAME / fail NAME [DETAIL];
#   finish: prints the closing "N passed, N failed" line and exits 1 on a failure;
#   check NAME COMMAND...: passes when COMMAND succeeds (its output in check.log);
#   checks NAME COMMAND...: a checker that prints "ok   X" / "FAIL X: DETAIL"
#     lines: each line is one check; a non-zero exit without a FAIL line fails
#     NAME; a clean exit without any ok line passes NAME with its last line;
#   oracle NAME ARGS...: checks NAME "$PYTHON" "$ORACLE" ARGS...;
#   compare_datasets A B GROUP...: h5diff (plain, no tolerance) of every dataset
#     of each GROUP of A against B; sets compared (how many) and differing
#     (" /GROUP/NAME (why)" for each that differs or is missing in B);
#   same_datasets NAME A B GROUP...: compare_datasets finds at least one
#     dataset and none differing;
#   compare_run A_RESULTS A_MODEL B_RESULTS B_MODEL: compare_datasets of
#     /results and of /model (counts summed; a missing B file is differing);
#   wait_for PID COMMAND...: polls COMMAND every 10 ms (up to WAIT_SECONDS,
#     default 120) while PID runs; 0 when COMMAND succeeded with PID running.
# Running cvseg (every run sets rc; stdout in out.txt, stderr in err.txt):
#   run NP ARGS...: $CVSEG under mpirun; OMP_NUM_THREADS, OMP_WAIT_POLICY,
#     HDF5_USE_FILE_LOCKING and the names in RUN_EXPORT are passed on;
#     RUN_TIMEOUT (seconds) adds a watchdog;
#   run_threads NP THREADS ARGS...: run with OMP_NUM_THREADS=THREADS;
#   ranks_setup; run_ranks NP ARGS...: like run, but every rank's exit code is
#     kept: rc (rank 0's, or "timeout" after RUN_TIMEOUT, default 120 s),
#     rank_codes (all ranks');
#   refused NAME CODE TEXT ARGS...: after ranks_setup, at np 1 and 3: cvseg ARGS
#     exits CODE on every rank with one "cvseg: error:" line holding TEXT, and
#     out/ (emptied before each run) stays empty;
#   ran NAME: the last run exited 0 (or fails with its exit code and stderr);
#   expect_rc NAME CODE [ERRFILE]: the last run exited with CODE;
#   cdnow_members TEXT TX OUT REFERENCE: import of a CDNOW text file (np 1)
#     into TX, aggregated (np 2) into the member table OUT at REFERENCE;
#   expect_failure NAME CODE OUT TEXT...: the last run exited CODE with one
#     "cvseg: error:" line holding every TEXT, and left no OUT (nor a
#     temporary beside it); OUT is removed afterwards.
: "${CVSEG:?CVSEG must name the cvseg binary}" "${SOURCE_DIR:?}" "${WORK_DIR:?}"
PYTHON=${PYTHON:-/usr/bin/python3}
export PYTHONDONTWRITEBYTECODE=1 # the oracles import shared modules from the source tree
passed=0
failed=0

# ------------------------------------------------------------ skips and setup
skip() {
    echo "skipped: $*"
    exit 77
}
# need_python MODULE...: skips unless $PYTHON imports every MODULE.
need_python() {
    local modules
    modules=$(IFS=,; echo "$*")
    "$PYTHON" -c "import ${modules//,/, }" 2>/dev/null || skip "$PYTHON lacks $(IFS=/; echo "$*")"
}
# need_command NAME...: skips unless every NAME is on PATH.
need_command() {
    local c
    for c in "$@"; do
        command -v "$c" >/dev/null || skip "$c not found"
    done
}
# need_file PATH...: skips unless every PATH is readable.
need_file() {
    local f
    for f in "$@"; do
        [ -r "$f" ] || skip "$f not found"
    done
}
# enter_work_dir [SUBDIR...]: an empty WORK_DIR (with SUBDIRs) as the current directory.
enter_work_dir() {
    rm -rf "$WORK_DIR"
    mkdir -p "$WORK_DIR"
    cd "$WORK_DIR" || exit 1
    [ "$#" = 0 ] || mkdir -p "$@"
}

# ------------------------------------------------------------ checks
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
check() {
    local name=$1
    shift
    if "$@" >check.log 2>&1; then
        pass "$name"
    else
        fail "$name" "$(tail -n 5 check.log | tr '\n' ' ')"
    fi
}
checks() {
    local name=$1 line crc=0 oks=0 fails=0
    shift
    "$@" >check.log 2>&1 || crc=$?
    while IFS= read -r line; do
        case "$line" in
        "ok "*)
            line=${line#ok }
            pass "${line#"${line%%[! ]*}"}"
            oks=$((oks + 1))
            ;;
        "FAIL "*)
            fail "${line#FAIL }"
            fails=$((fails + 1))
            ;;
        *) echo "    $line" ;;
        esac
    done <check.log
    if [ "$crc" != 0 ] && [ "$fails" = 0 ]; then
        fail "$name" "exit $crc: $(tail -n 5 check.log | tr '\n' ' ')"
    elif [ "$crc" = 0 ] && [ "$oks" = 0 ] && [ "$fails" = 0 ]; then
        pass "$name ($(tail -n 1 check.log))"
    fi
}
oracle() {
    checks "$1" "$PYTHON" "${ORACLE:?}" "${@:2}"
}
compare_datasets() {
    local a=$1 b=$2 group ds
    shift 2
    compared=0
    differing=""
    for group in "$@"; do
        group=${group#/}
        for ds in $(h5ls "$a/$group" 2>/dev/null | awk '$2 == "Dataset" {print $1}'); do
            compared=$((compared + 1))
            if ! h5diff "$a" "$b" "/$group/$ds" "/$group/$ds" >h5diff.log 2>&1; then
                differing+=" /$group/$ds ($(grep -m 1 -E 'differences found|not comparable|does not exist|rror' \
                    h5diff.log || echo "h5diff exit"))"
            fi
        done
    done
}
same_datasets() {
    local name=$1 compared differing
    shift
    compare_datasets "$@"
    if [ "$compared" -gt 0 ] && [ -z "$differing" ]; then
        pass "$name ($compared datasets)"
    else
        fail "$name" "differ:${differing:- no datasets in $1 (${*:3})}"
    fi
}

compare_run() {
    local results_compared results_differing
    compare_datasets "$1" "$3" results
    results_compared=$compared results_differing=$differing
    compare_datasets "$2" "$4" model
    compared=$((results_compared + compared))
    differing=$results_differing$differing
    [ -f "$3" ] && [ -f "$4" ] || differing+=" (missing $3 or $4)"
}
wait_for() {
    local pid=$1 i
    shift
    for ((i = 0; i < ${WAIT_SECONDS:-120} * 100; ++i)); do
        if "$@"; then
            kill -0 "$pid" 2>/dev/null && return 0
            return 1
        fi
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.01
    done
    return 1
}

# ------------------------------------------------------------ running cvseg
run() {
    local np=$1 name exports=() watchdog=()
    shift
    for name in OMP_NUM_THREADS OMP_WAIT_POLICY HDF5_USE_FILE_LOCKING ${RUN_EXPORT:-}; do
        exports+=(-x "$name")
    done
    [ -z "${RUN_TIMEOUT:-}" ] || watchdog=(timeout "$RUN_TIMEOUT")
    rc=0
    "${watchdog[@]}" mpirun -np "$np" --oversubscribe --bind-to none "${exports[@]}" \
        "$CVSEG" "$@" >out.txt 2>err.txt || rc=$?
}
run_threads() {
    local np=$1 threads=$2
    shift 2
    OMP_NUM_THREADS=$threads run "$np" "$@"
}
ran() {
    if [ "$rc" = 0 ]; then
        pass "$1"
    else
        fail "$1" "exit $rc: $(tail -n 3 err.txt | tr '\n' ' ')"
    fi
}
expect_rc() {
    if [ "$rc" = "$2" ]; then
        pass "$1"
    else
        fail "$1" "exit $rc, expected $2: $(tail -n 3 "${3:-err.txt}" | tr '\n' ' ')"
    fi
}
cdnow_members() {
    run 1 import --format cdnow --in "$1" --out "$2"
    ran "import ${1##*/}"
    run 2 aggregate --in "$2" --out "$3" --reference-date "$4"
    ran "aggregate ${1##*/} at $4"
}
# error_line_problems CODE TEXT...: sets error_line (the "cvseg: error:" lines
# of err.txt) and problems (what is wrong with rc and that line, "" when none).
error_line_problems() {
    local code=$1 text
    shift
    problems=""
    error_line=$(grep -F 'cvseg: error:' err.txt || true)
    [ "$rc" = "$code" ] || problems+="exit code $rc, expected $code; "
    [ "$(printf '%s\n' "$error_line" | grep -c .)" = 1 ] || problems+="not one error line; "
    for text in "$@"; do
        case "$error_line" in
        *"$text"*) ;;
        *) problems+="message lacks '$text'; " ;;
        esac
    done
}
expect_failure() {
    local name=$1 code=$2 out=$3 problems error_line
    shift 3
    error_line_problems "$code" "$@"
    if [ -e "$out" ] || compgen -G "$out.tmp*" >/dev/null || compgen -G ".$out*" >/dev/null; then
        problems+="output $out exists; "
    fi
    if [ -z "$problems" ]; then
        pass "$name (exit $code: ${error_line#cvseg: error: })"
    else
        fail "$name" "$problems message: $error_line"
    fi
    rm -f "$out" # keep the next case independent of this one
}

# Writes ./rankrc.sh (runs a command, records its exit code per rank) and ./ranks/.
# mpirun is told not to abort the other ranks on a non-zero exit, so every rank
# gets to report.
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
    OMP_NUM_THREADS=1 timeout "${RUN_TIMEOUT:-120}" mpirun -np "$np" --oversubscribe --bind-to none \
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
refused() {
    local name=$1 code=$2 text=$3 np r problems error_line
    shift 3
    for np in 1 3; do
        rm -rf out && mkdir out
        run_ranks "$np" "$@"
        error_line_problems "$code" "$text"
        for r in $rank_codes; do
            [ "$r" = "$code" ] || problems+="rank exit codes '$rank_codes'; "
        done
        [ -z "$(ls -A out)" ] || problems+="output left: $(ls -A out | tr '\n' ' '); "
        if [ -z "$problems" ]; then
            pass "$name (np $np, exit $code on every rank: ${error_line#cvseg: error: })"
        else
            fail "$name (np $np)" "${problems}stderr: $(head -c 400 err.txt | tr '\n' ' ')"
        fi
    done
}
