#!/usr/bin/env bash
# test_outputs_disk_full.sh: outputs on a full disk (a 20 MiB tmpfs; needs
# root, else skipped with exit 77). With 1,000,000 generated members:
#  - train at np 1 and np 3 with results, model and summary on the tmpfs;
#  - train at np 3 with the results elsewhere and the model and summary on a
#    tmpfs left with 2.5 MiB (the model write is what fails), and with 300
#    KiB (refused before any work);
#  - gen of 1,000,000 members onto the tmpfs at np 3.
# Each must exit 3 on every rank (each rank records its code) within
# `timeout 120` (no hang, no crash in MPI_Finalize), print one error line
# naming the file, leave the earlier outputs byte-identical (cmp) and leave
# no "*.tmp.*" or "*.lock" file behind.
#
# Environment (set by ctest): CVSEG, SOURCE_DIR, WORK_DIR.
set -euo pipefail

# shellcheck source=lib.sh
source "${SOURCE_DIR:?}/tests/e2e/lib.sh"
[ "$(id -u)" = 0 ] || skip "the disk-full cases mount a tmpfs, which needs root"
enter_work_dir full keep elsewhere
mount -t tmpfs -o size=20m tmpfs full 2>mount.err || skip "cannot mount a tmpfs: $(cat mount.err)"
trap 'umount "$WORK_DIR/full" 2>/dev/null || umount -l "$WORK_DIR/full" 2>/dev/null || true' EXIT
ranks_setup
run() { run_ranks "$@"; } # every rank's exit code (lib.sh)

run 1 gen --out members.h5 --members 1000000 --seed 11
ran "fixture: gen 1,000,000 members"
run 1 gen --out small.h5 --members 500 --seed 11
ran "fixture: gen small.h5"
run 1 train --in small.h5 --out keep/results.h5 --model keep/model.h5 --summary keep/summary.json --k 3
ran "fixture: earlier outputs"

# place DIR FILES...: copies the earlier outputs into DIR.
place() {
    local dir=$1 f
    shift
    for f in "$@"; do cp -p "keep/$f" "$dir/$f" || echo "note: cannot copy $f into $dir"; done
}

# disk_full NAME NP TEXT DIR:FILE...: every rank exited 3, one error line with
# TEXT, the listed earlier files byte-identical, nothing left in full/ or
# elsewhere/ but the listed files (and a filler).
disk_full() {
    local name=$1 np=$2 text=$3 problems="" want="" line lines left="" f g listed i
    shift 3
    for ((i = 0; i < np; i++)); do want+="3 "; done
    want=${want% }
    [ "$rc" != timeout ] || problems+="hung (timeout 120 s); "
    [ "$rank_codes" = "$want" ] || problems+="exit codes '$rank_codes', expected '$want'; "
    line=$(grep -F 'cvseg: error:' err.txt || true)
    lines=$(printf '%s\n' "$line" | grep -c . || true)
    [ "$lines" = 1 ] || problems+="$lines error lines; "
    [[ "$line" == *"$text"* ]] || problems+="message lacks \"$text\"; "
    if grep -q 'Segmentation fault\|signal 11' err.txt; then problems+="a rank crashed; "; fi
    for f in "$@"; do
        cmp -s "$f" "keep/${f#*/}" || problems+="$f changed; "
    done
    for f in full/* full/.[!.]* elsewhere/* elsewhere/.[!.]*; do
        [ -e "$f" ] && [ "$f" != full/filler ] || continue
        listed=0
        for g in "$@"; do [ "$f" = "$g" ] && listed=1; done
        [ "$listed" = 1 ] || left+="$f "
    done
    [ -z "$left" ] || problems+="left: $left; "
    if [ -z "$problems" ]; then
        pass "$name [np $np] (exit 3 on every rank: ${line#cvseg: error: })"
    else
        fail "$name [np $np]" "${problems}stderr: $(grep -v '^--\|^ *$' err.txt | head -c 400 | tr '\n' ' ')"
    fi
    rm -rf full/* elsewhere/*
}

for np in 1 3; do
    place full results.h5 model.h5 summary.json
    run "$np" train --in members.h5 --out full/results.h5 --model full/model.h5 \
        --summary full/summary.json --k 3 --n-init 1
    disk_full "train onto a full disk" "$np" "no space left on device" \
        full/results.h5 full/model.h5 full/summary.json
done

# The model write fails: results go elsewhere (and must not be committed).
place elsewhere results.h5
place full model.h5 summary.json
fallocate -l $(((20 * 1024 - 2560) * 1024 - $(du -k full | tail -n 1 | cut -f 1) * 1024)) full/filler
run 3 train --in members.h5 --out elsewhere/results.h5 --model full/model.h5 \
    --summary full/summary.json --k 3 --n-init 1
disk_full "model onto a nearly full disk (2.5 MiB left)" 3 "model.h5" \
    elsewhere/results.h5 full/model.h5 full/summary.json

place elsewhere results.h5
place full model.h5
fallocate -l $(((20 * 1024 - 300) * 1024 - $(du -k full | tail -n 1 | cut -f 1) * 1024)) full/filler
run 3 train --in members.h5 --out elsewhere/results.h5 --model full/model.h5 --k 3 --n-init 1
disk_full "model onto a full disk (300 KiB left): refused before any work" 3 "no space left on device" \
    elsewhere/results.h5 full/model.h5

run 3 gen --out full/generated.h5 --members 1000000
disk_full "gen onto a full disk" 3 "no space left on device"

finish
