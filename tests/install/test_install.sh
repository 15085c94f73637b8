#!/usr/bin/env bash
# test_install.sh: cvseg installed the way a cluster's admins install it.
#  1. `cpack -G DEB` from the build tree makes cvseg_VERSION_ARCH.deb whose
#     Depends name the Open MPI, parallel HDF5, jansson and OpenMP runtime
#     packages and openmpi-bin, and which `apt-get install --simulate` installs
#     on an empty system (a fresh Debian 12) from the machine's package lists;
#  2. `dpkg -x` into a scratch root: the files are where cvseg(1) says, and the
#     installed binary runs gen -> train (mpirun -np 2) -> report, with results
#     identical (h5diff) to the build tree's binary; `--version` names the
#     version, the git revision (git describe) and the MPI and HDF5 versions
#     the system's own tools report;
#  3. `man -l` renders the page: NAME ... SEE ALSO, one section per verb of
#     `cvseg --help`, and every option of every `cvseg VERB --help` in it;
#  4. `cmake --install --prefix P`: `man cvseg` finds the page with only P/bin
#     on PATH (what a module file sets); the job scripts find P/bin/cvseg with an
#     empty PATH (train.sbatch run outside Slurm with LAUNCHER=none), and
#     submit-sweep.sh, called through a symlink, and submit-nightly.sh submit
#     the .sbatch files beside them (a stand-in sbatch records the calls).
# Exit 77 (skipped) when cpack, dpkg-deb, dpkg-shlibdeps or man is missing.
#
# Environment (set by ctest): CVSEG (the build tree's binary), SOURCE_DIR,
# BUILD_DIR, WORK_DIR, CVSEG_VERSION (the project version).
set -euo pipefail

: "${CVSEG:?}" "${SOURCE_DIR:?}" "${BUILD_DIR:?}" "${WORK_DIR:?}" "${CVSEG_VERSION:?}"
for tool in cpack dpkg-deb dpkg-shlibdeps man h5diff; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "skipped: $tool not found (Debian: cmake, dpkg-dev, man-db, hdf5-tools)"
        exit 77
    fi
done
export LC_ALL=C MANWIDTH=200 OMP_NUM_THREADS=1 OMP_WAIT_POLICY=passive
rm -rf "$WORK_DIR"
mkdir -p "$WORK_DIR"
cd "$WORK_DIR"
# shellcheck source=../e2e/lib.sh
source "$SOURCE_DIR/tests/e2e/lib.sh"

# ------------------------------------------------------------------ 1. package
arch=$(dpkg --print-architecture)
deb=$WORK_DIR/pkg/cvseg_${CVSEG_VERSION}_${arch}.deb
if cpack -G DEB --config "$BUILD_DIR/CPackConfig.cmake" -B "$WORK_DIR/pkg" >cpack.log 2>&1 &&
    [ -f "$deb" ]; then
    pass "cpack -G DEB makes $(basename "$deb")"
else
    fail "cpack" "$(tail -n 5 cpack.log | tr '\n' ' ')"
    finish
fi
depends=$(dpkg-deb -f "$deb" Depends)
for package in openmpi-bin libopenmpi3 'libhdf5-openmpi-[0-9a-z-]*' libjansson4 libgomp1 libc6; do
    if echo ", $depends," | grep -Eq ", $package( \([^)]*\))?,"; then
        pass "Depends: $package"
    else
        fail "Depends: $package" "$depends"
    fi
done
# A fresh Debian 12: apt resolves the package against an empty dpkg status
# (nothing installed) from the machine's package lists; every runtime package
# must come in. Without package lists (no apt-get update yet): this machine.
if command -v apt-get >/dev/null 2>&1; then
    fresh=(-o Dir::State::status="$WORK_DIR/empty-status")
    : >empty-status
    compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null || fresh=()
    if apt-get install --simulate "${fresh[@]}" "$deb" >apt.log 2>&1 && grep -q '^Inst cvseg' apt.log; then
        pass "apt-get install --simulate ${fresh[*]:+(on an empty system) }resolves every dependency"
    elif grep -q 'Could not get lock' apt.log; then
        echo "skip apt-get install --simulate: apt is locked by another process"
        fresh=()
    else
        fail "apt-get install --simulate" "$(tail -n 3 apt.log | tr '\n' ' ')"
    fi
    if [ ${#fresh[@]} -gt 0 ]; then
        absent=""
        for package in openmpi-bin libopenmpi3 libhdf5-openmpi-103-1 libjansson4 libgomp1; do
            grep -q "^Inst $package " apt.log || absent="$absent $package"
        done
        if [ -z "$absent" ]; then
            pass "a fresh system gets $(grep -c '^Inst' apt.log) packages incl. Open MPI, parallel HDF5, jansson"
        else
            fail "a fresh system does not get" "$absent"
        fi
    fi
fi

# ------------------------------------------------------------------ 2. installed tree
root=$WORK_DIR/root
dpkg -x "$deb" "$root"
missing=""
for file in usr/bin/cvseg usr/share/man/man1/cvseg.1 usr/share/doc/cvseg/README.md \
    usr/share/doc/cvseg/file-formats.md; do
    [ -s "$root/$file" ] || missing="$missing $file"
done
for script in "$SOURCE_DIR"/jobs/*; do
    installed=$root/usr/share/cvseg/jobs/$(basename "$script")
    [ -x "$installed" ] || missing="$missing ${installed#"$root"/}"
    grep -q '^INSTALLED_CVSEG=""' "$script" &&
        ! grep -q '^INSTALLED_CVSEG="/usr/bin/cvseg"' "$installed" &&
        missing="$missing ${installed#"$root"/}(INSTALLED_CVSEG)"
done
if [ -z "$missing" ]; then pass "package files (bin, man1, doc, jobs)"; else fail "package files" "$missing"; fi

installed_cvseg=$root/usr/bin/cvseg
"$installed_cvseg" --version >version.txt 2>&1 || true
expected_revision=unknown
if git -C "$SOURCE_DIR" rev-parse --git-dir >/dev/null 2>&1; then
    expected_revision=$(git -C "$SOURCE_DIR" describe --always --dirty)
fi
if head -n 1 version.txt | grep -qxF "cvseg $CVSEG_VERSION (git $expected_revision)"; then
    pass "--version: cvseg $CVSEG_VERSION (git $expected_revision)"
else
    fail "--version first line" "$(head -n 1 version.txt), expected revision $expected_revision"
fi
ompi=$(mpirun --version 2>/dev/null | sed -n 's/.*(Open MPI) \([0-9.]*\).*/\1/p' | head -n 1)
if grep -q "^MPI [0-9]\.[0-9]: Open MPI v${ompi}," version.txt; then
    pass "--version: Open MPI $ompi (mpirun --version)"
else
    fail "--version MPI line" "$(grep ^MPI version.txt), mpirun says $ompi"
fi
hdf5=$(h5dump --version | sed -n 's/.*Version \([0-9.]*\).*/\1/p')
if grep -qx "HDF5 $hdf5 (parallel)" version.txt; then
    pass "--version: HDF5 $hdf5 (h5dump --version)"
else
    fail "--version HDF5 line" "$(grep ^HDF5 version.txt), h5dump says $hdf5"
fi

CVSEG=$installed_cvseg
run 1 gen --out members.h5 --members 20000 --clusters 4 --seed 7
ran "installed cvseg gen"
run 2 train --in members.h5 --out results.h5 --model model.h5 --k 4 --seed 3 --summary summary.json
ran "installed cvseg train (mpirun -np 2)"
run 1 report --results results.h5 --model model.h5 --format markdown
ran "installed cvseg report"
if grep -qi "segment" out.txt && [ "$(wc -l <out.txt)" -gt 10 ]; then
    pass "report has its tables"
else
    fail "report text" "$(head -n 3 out.txt | tr '\n' ' ')"
fi
CVSEG=$BUILD_DIR/cvseg
run 2 train --in members.h5 --out results-build.h5 --model model-build.h5 --k 4 --seed 3
ran "build tree cvseg train"
differ=""
for ds in $(h5ls results.h5/results | awk '{print $1}'); do
    h5diff -q results.h5 results-build.h5 "/results/$ds" "/results/$ds" >/dev/null 2>&1 ||
        differ="$differ /results/$ds"
done
h5diff -q model.h5 model-build.h5 /model/centroids /model/centroids >/dev/null 2>&1 ||
    differ="$differ /model/centroids"
if [ -z "$differ" ]; then
    pass "installed and build-tree binaries give identical results (h5diff per dataset)"
else
    fail "installed vs build tree" "h5diff:$differ"
fi

# ------------------------------------------------------------------ 3. man page
page=$root/usr/share/man/man1/cvseg.1
if man --warnings -l "$page" >man.txt 2>man.err && [ ! -s man.err ]; then
    pass "man -l renders cvseg.1 without warnings"
else
    fail "man -l" "$(head -n 3 man.err | tr '\n' ' ')"
fi
absent=""
for heading in NAME SYNOPSIS DESCRIPTION VERBS "COMMON OPTIONS" "EXIT STATUS" ENVIRONMENT FILES \
    EXAMPLES "SEE ALSO"; do
    grep -qx "$heading" man.txt || absent="$absent [$heading]"
done
verbs=$("$installed_cvseg" --help | sed -n '/^verbs:/,/^$/s/^  \([a-z]*\) .*/\1/p')
for verb in $verbs; do
    heading="CVSEG $(echo "$verb" | tr a-z A-Z)"
    grep -qx "$heading" man.txt || absent="$absent [$heading]"
    # every option of the verb's --help, as the page's roff source writes it
    for option in $("$installed_cvseg" "$verb" --help | sed -n 's/^  --\([a-z0-9-]*\).*/\1/p'); do
        TAG="\\fB$(printf '%s' "--$option" | sed 's/-/\\-/g')\\fR" SECTION=".SH \"$heading\"" \
            awk '$0 == ENVIRON["SECTION"] {s = 1; next} /^\.SH/ {s = 0}
                 s && index($0, ENVIRON["TAG"]) == 1 {f = 1} END {exit !f}' "$page" ||
            absent="$absent [$verb --$option]"
    done
done
if [ -z "$absent" ] && [ -n "$verbs" ]; then
    pass "man page: every section, verb ($(echo $verbs | wc -w)) and option of --help"
else
    fail "man page misses" "$absent"
fi
absent=""
for code in 0 1 2 3 4 5 6 7 70; do
    grep -Eq "^ {7}$code +[A-Za-z]" man.txt || absent="$absent [exit $code]"
done
if [ -z "$absent" ]; then pass "man page: exit codes 0-7, 70"; else fail "man exit codes" "$absent"; fi

# ------------------------------------------------------------------ 4. cmake --install, job scripts
prefix=$WORK_DIR/prefix
if cmake --install "$BUILD_DIR" --prefix "$prefix" >install.log 2>&1 && [ -x "$prefix/bin/cvseg" ] &&
    [ -s "$prefix/share/man/man1/cvseg.1" ] && [ -s "$prefix/share/doc/cvseg/file-formats.md" ]; then
    pass "cmake --install --prefix P"
else
    fail "cmake --install" "$(tail -n 3 install.log | tr '\n' ' ')"
fi
# A module file's PATH line is enough for man-db (MANPATH unset): it looks in P/share/man.
found=$(env -u MANPATH PATH="$prefix/bin:$PATH" man -w cvseg 2>/dev/null || true)
if [ "$found" = "$prefix/share/man/man1/cvseg.1" ]; then
    pass "man cvseg finds P/share/man/man1/cvseg.1 from PATH=P/bin"
else
    fail "man -w cvseg with P/bin on PATH" "found '$found'"
fi
rc=0
env -u CVSEG PATH=/usr/bin:/bin bash "$prefix/share/cvseg/jobs/train.sbatch" INPUT=members.h5 OUTDIR=job-train \
    K=3 LAUNCHER=none >train-job.log 2>&1 || rc=$?
if [ "$rc" = 0 ] && grep -qxF "CVSEG=$prefix/bin/cvseg" job-train/train.env &&
    [ -s job-train/results.h5 ]; then
    pass "installed train.sbatch runs P/bin/cvseg (empty PATH, outside Slurm)"
else
    fail "installed train.sbatch" "exit $rc: $(grep -h '^CVSEG=\|error' train-job.log job-train/train.env 2>/dev/null | head -n 3 | tr '\n' ' ')"
fi
mkdir -p fakebin links
cat >fakebin/sbatch <<'EOF'
#!/bin/sh
echo "$*" >>"$SBATCH_CALLS"
echo 4711
EOF
chmod +x fakebin/sbatch
ln -s "$prefix/share/cvseg/jobs/submit-sweep.sh" links/cvseg-submit-sweep
rc=0
env -u CVSEG PATH="$WORK_DIR/fakebin:/usr/bin:/bin" SBATCH_CALLS="$WORK_DIR/sbatch.calls" \
    links/cvseg-submit-sweep --in members.h5 --outdir sweep --k 2-3 >submit.log 2>&1 || rc=$?
if [ "$rc" = 0 ] && grep -qF "$prefix/share/cvseg/jobs/sweep.sbatch CVSEG=$prefix/bin/cvseg " sbatch.calls &&
    grep -qF "$prefix/share/cvseg/jobs/sweep-collect.sbatch" sbatch.calls; then
    pass "installed submit-sweep.sh (via a symlink) submits the .sbatch beside it with P/bin/cvseg"
else
    fail "installed submit-sweep.sh" "exit $rc: $(cat submit.log sbatch.calls 2>/dev/null | head -n 3 | tr '\n' ' ')"
fi
rc=0
: >sbatch.calls
env -u CVSEG PATH="$WORK_DIR/fakebin:/usr/bin:/bin" SBATCH_CALLS="$WORK_DIR/sbatch.calls" \
    "$prefix/share/cvseg/jobs/submit-nightly.sh" --in members.h5 --format cdnow --workdir nightly \
    >submit-nightly.log 2>&1 || rc=$?
if [ "$rc" = 0 ] && grep -qxF "CVSEG=$prefix/bin/cvseg" nightly/nightly.env &&
    [ "$(grep -cF "$prefix/share/cvseg/jobs/nightly.sbatch " sbatch.calls)" -ge 3 ]; then
    pass "installed submit-nightly.sh submits the nightly.sbatch beside it with P/bin/cvseg"
else
    fail "installed submit-nightly.sh" "exit $rc: $(cat submit-nightly.log | head -n 3 | tr '\n' ' ')"
fi
finish
