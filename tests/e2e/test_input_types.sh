#!/usr/bin/env bash
# test_input_types.sh: member tables whose columns have other types than the
# data model's, through the real binary at 1 and 3 ranks (built with h5py).
# A wider type is fine when every value fits (results identical to the
# original file's); a value that does not fit, an enum/bool column or a
# column that was never written must end with exit 2 on every rank, one
# error line naming the file, dataset, row and value, and no output.
#
# Environment (set by ctest): CVSEG, SOURCE_DIR, WORK_DIR, PYTHON.
set -euo pipefail

# shellcheck source=lib.sh
source "${SOURCE_DIR:?}/tests/e2e/lib.sh"
need_python h5py numpy
enter_work_dir out
export OMP_NUM_THREADS=1

run 1 gen --out members.h5 --members 300 --seed 7
ran "gen members.h5"

# variant NAME: a copy of members.h5 with one column changed.
"$PYTHON" - <<'EOF'
import shutil
import h5py
import numpy as np

def variant(name, column, make):
    shutil.copy("members.h5", name)
    with h5py.File(name, "r+") as f:
        g = f["/members"]
        old = g[column][...]
        attrs = dict(g[column].attrs)
        del g[column]
        make(g, column, old)
        for key, value in attrs.items():
            g[column].attrs[key] = value

def wide_frequency(g, c, old):
    g.create_dataset(c, data=old.astype(np.int64))  # every value fits in int32

def freq_overflow(g, c, old):
    data = old.astype(np.int64)
    data[57] = 3000000000
    g.create_dataset(c, data=data)

def ids_u64(g, c, old):
    data = old.astype(np.uint64)
    data[101] = 2**63 + 5  # clipped, these two would look like duplicates
    data[202] = 2**63 + 9
    g.create_dataset(c, data=data)

def freq_bool(g, c, old):
    g.create_dataset(c, data=(old % 2).astype(bool))

def monetary_unwritten(g, c, old):
    g.create_dataset(c, shape=old.shape, dtype=np.float64)

variant("wide_frequency.h5", "frequency", wide_frequency)
variant("freq_overflow.h5", "frequency", freq_overflow)
variant("ids_u64.h5", "member_id", ids_u64)
variant("freq_bool.h5", "frequency", freq_bool)
variant("monetary_unwritten.h5", "monetary", monetary_unwritten)
EOF

same_results() { # A.h5 B.h5: every dataset of /results equal
    "$PYTHON" - "$1" "$2" <<'EOF'
import sys
import h5py
import numpy as np
with h5py.File(sys.argv[1], "r") as a, h5py.File(sys.argv[2], "r") as b:
    names = sorted(a["/results"].keys())
    assert names == sorted(b["/results"].keys()), "different datasets"
    for n in names:
        x, y = a["/results"][n][...], b["/results"][n][...]
        assert x.dtype == y.dtype and np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), n
EOF
}

for np in 1 3; do
    run "$np" rfm --in members.h5 --out out/reference.h5
    ran "np $np: rfm on the original"
    run "$np" rfm --in wide_frequency.h5 --out out/wide.h5
    ran "np $np: rfm with int64 frequency that fits"
    check "np $np: int64 frequency gives the same results" same_results out/reference.h5 out/wide.h5
    # case FILE DATASET EXPECTED-TEXT...
    for spec in "freq_overflow.h5|/members/frequency|row 57: value 3000000000 does not fit in int32" \
        "ids_u64.h5|/members/member_id|row 101: value 9223372036854775813 does not fit in int64" \
        "freq_bool.h5|/members/frequency|enumeration" \
        "monetary_unwritten.h5|/members/monetary|never written"; do
        IFS='|' read -r file dataset text <<<"$spec"
        rm -rf out/bad* out/*.tmp.*
        run "$np" rfm --in "$file" --out out/bad.h5
        name="np $np: $file"
        line=$(grep -c "cvseg: error:" err.txt || true)
        if [ "$rc" != 2 ]; then
            fail "$name exits 2" "exit $rc: $(tail -n 2 err.txt | tr '\n' ' ')"
        elif [ "$line" != 1 ] || ! grep -q "file '$file', dataset '$dataset'" err.txt ||
            ! grep -qF "$text" err.txt; then
            fail "$name names file, dataset, row and value" "$(cat err.txt)"
        elif grep -q "duplicate" err.txt; then
            fail "$name is not reported as duplicates" "$(cat err.txt)"
        elif compgen -G "out/bad*" >/dev/null; then
            fail "$name leaves no output" "$(ls out)"
        else
            pass "$name: exit 2, $(grep -o "row [0-9]*: value [0-9]*" err.txt || echo "$text")"
        fi
    done
done
finish
