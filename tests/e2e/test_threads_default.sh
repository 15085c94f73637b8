#!/usr/bin/env bash
# test_threads_default.sh: OpenMP threads per rank when OMP_NUM_THREADS is not
# set. Ranks that mpirun does not bind (--bind-to none, as every e2e run)
# each see all the CPUs; cvseg then gives each of the node's P ranks an equal
# share of the CPUs their sets cover together (at least 1) rather than one
# thread per CPU each (P x CPUs threads spinning against each other):
#   - np 2: threads = max(1, CPUs // 2) in the summary;
#   - np 1: threads = CPUs (the OpenMP runtime's default is kept);
#   - OMP_NUM_THREADS=3 at np 2: 3 (the user's choice is kept);
#   - the three results files are identical (results never depend on it).
#
# Environment (set by ctest): CVSEG, SOURCE_DIR, WORK_DIR, PYTHON.
set -euo pipefail

# shellcheck source=lib.sh
source "${SOURCE_DIR:?}/tests/e2e/lib.sh"
need_python h5py
need_command h5diff
enter_work_dir
unset OMP_NUM_THREADS
cpus=$("$PYTHON" -c "import os; print(len(os.sched_getaffinity(0)))")

run 1 gen -q --out members.h5 --members 5000 --clusters 4 --seed 9
ran "gen"
threads_of() { "$PYTHON" -c "import json, sys; print(json.load(open(sys.argv[1]))['threads'])" "$1"; }
expect_threads() { # NAME SUMMARY WANT
    local got
    got=$(threads_of "$2")
    if [ "$got" = "$3" ]; then pass "$1: $got"; else fail "$1" "threads $got, expected $3"; fi
}

run 2 rfm -q --in members.h5 --out np2.h5 --summary np2.json
ran "rfm at np 2, OMP_NUM_THREADS unset"
expect_threads "np 2 on $cpus CPUs: each rank takes half" np2.json $((cpus / 2 > 0 ? cpus / 2 : 1))

run 1 rfm -q --in members.h5 --out np1.h5 --summary np1.json
ran "rfm at np 1, OMP_NUM_THREADS unset"
expect_threads "np 1 on $cpus CPUs: one thread per CPU" np1.json "$cpus"

OMP_NUM_THREADS=3 run 2 rfm -q --in members.h5 --out set3.h5 --summary set3.json
ran "rfm at np 2, OMP_NUM_THREADS=3"
expect_threads "OMP_NUM_THREADS=3 is kept" set3.json 3

same_datasets "the same results at every thread count" np1.h5 np2.h5 /results
same_datasets "the same results with OMP_NUM_THREADS=3" np1.h5 set3.h5 /results
finish
