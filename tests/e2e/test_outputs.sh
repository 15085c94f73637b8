#!/usr/bin/env bash
# test_outputs.sh: how cvseg treats the files it writes (README "Outputs").
#  - an output naming an existing special file (character device made with
#    mknod, FIFO, directory, socket) is refused with exit 1 on every rank and
#    the special file is unchanged; a symbolic link is followed and the file
#    it points to replaced (the link stays);
#  - every pair of paths naming the same file (in = out for rfm, train,
#    score, import, aggregate; model, summary, checkpoint = in or out; by
#    the same name, another spelling, a hard link, or a file not yet there)
#    exits 1 before any work, earlier files byte-identical (cmp);
#  - a missing output folder (--summary, --out) exits 3 before any work:
#    no model or results written, earlier ones byte-identical;
#  - a run writing an output that another run holds exits 1 naming that run
#    (pid@host); the first run (paused with SIGSTOP meanwhile) still ends
#    with 0;
#  - stale "<target>.tmp.<pid>" files of dead runs are removed by the next
#    run (other files beside them stay); a run killed with SIGKILL during the
#    results write leaves the earlier model and results byte-identical.
# No case may leave a "*.tmp.*" or "*.lock" file behind. Every command runs
# under `timeout 120` (a hang fails). The disk-full cases (root, tmpfs) are in
# test_outputs_disk_full.sh.
#
# Environment (set by ctest): CVSEG, SOURCE_DIR, WORK_DIR, PYTHON.
set -euo pipefail

# shellcheck source=lib.sh
source "${SOURCE_DIR:?}/tests/e2e/lib.sh"
enter_work_dir
ranks_setup
run() { run_ranks "$@"; } # every rank's exit code (lib.sh)

# Earlier outputs every case must leave byte-identical.
run 1 gen --out members.h5 --members 300 --seed 3
ran "fixture: gen members.h5"
run 1 gen --out transactions.h5 --members 60 --transactions-per-member 3 --seed 3
ran "fixture: gen transactions.h5"
run 1 train --in members.h5 --out results.h5 --model model.h5 --summary summary.json --k 3
ran "fixture: train"
run 1 aggregate --in transactions.h5 --out aggregated.h5 --reference-date 2024-12-31
ran "fixture: aggregate"
cp "$SOURCE_DIR/tests/data/members_map.csv" members.csv
mkdir -p sub keep
PROTECTED="members.h5 transactions.h5 results.h5 model.h5 summary.json aggregated.h5 members.csv"
for f in $PROTECTED; do cp -p "$f" "keep/$f"; done

# Problems with the protected files and leftovers ("" when none).
damage() {
    local f problems=""
    for f in $PROTECTED; do
        cmp -s "$f" "keep/$f" || problems+="$f changed; "
    done
    local left
    left=$(find . -name '*.tmp.*' -o -name '*.lock' | grep -v "^./keep/\|^./${HELD_LOCK:-/}\$" | tr '\n' ' ')
    [ -z "$left" ] || problems+="left behind: $left; "
    printf '%s' "$problems"
}

# expect NAME CODE TEXT NP ARGS...: every rank exits CODE, the one error line
# contains TEXT, nothing damaged or left, and no file NEW_* created.
expect() {
    local name=$1 code=$2 text=$3 np=$4 line lines problems=""
    shift 4
    run "$np" "$@"
    line=$(grep -F 'cvseg: error:' err.txt || true)
    for word in $rank_codes; do
        [ "$word" = "$code" ] || problems+="exit codes $rank_codes, expected $code; "
    done
    lines=$(printf '%s\n' "$line" | grep -c . || true)
    [ "$lines" = 1 ] || problems+="$lines error lines; "
    [[ "$line" == *"$text"* ]] || problems+="message lacks \"$text\"; "
    problems+=$(damage)
    [ -z "$(find . -name 'NEW_*')" ] || problems+="created $(find . -name 'NEW_*' | tr '\n' ' '); "
    if [ -z "$problems" ]; then
        pass "$name [np $np] (exit $code on every rank: ${line#cvseg: error: })"
    else
        fail "$name [np $np]" "${problems}stderr: $(head -c 300 err.txt | tr '\n' ' ')"
    fi
    find . -name 'NEW_*' -exec rm -rf {} +
}

# ------------------------------------------------------------ special files
special=()
if [ "$(id -u)" = 0 ] && mknod chardev c 1 3 2>/dev/null; then
    special+=(chardev) # a private node of the null device: never the machine's /dev/null
else
    echo "note: not root, the character-device case is left out"
fi
mkfifo fifo
mkdir directory
"$PYTHON" -c 'import socket; socket.socket(socket.AF_UNIX).bind("socket")'
special+=(fifo directory socket)
describe() { stat -c '%F %t:%T %s %Y' "$1"; }
for s in "${special[@]}"; do
    before=$(describe "$s")
    for option in --out --model --summary; do
        args=(train --in members.h5 --out NEW_r.h5 --model NEW_m.h5 --summary NEW_s.json --k 3)
        for ((a = 0; a < ${#args[@]}; a++)); do
            [ "${args[$a]}" = "$option" ] && args[$((a + 1))]=$s
        done
        for np in 1 3; do
            [ "$np" = 1 ] || [ "$option" = --out ] || continue
            expect "train $option $s refused" 1 "'$s' ($option) exists and is" "$np" "${args[@]}"
            [ "$(describe "$s")" = "$before" ] || fail "train $option $s: the special file changed" "$(describe "$s")"
        done
    done
done
expect "gen --out fifo refused" 1 "is a FIFO" 1 gen --out fifo --members 10
expect "aggregate --summary directory refused" 1 "is a directory" 1 \
    aggregate --in transactions.h5 --out NEW_a.h5 --reference-date 2024-12-31 --summary directory

# ------------------------------------------------------------ symbolic links
cp -p model.h5 linked_model.h5
ln -s linked_model.h5 link.h5
ln -s sub/created_through_link.h5 dangling.h5
run 1 train --in members.h5 --out NEW_r.h5 --model link.h5 --summary dangling.h5 --k 3 --seed 7
if [ "$rc" = 0 ] && [ -L link.h5 ] && [ "$(readlink link.h5)" = linked_model.h5 ] &&
    ! cmp -s linked_model.h5 model.h5 && [ -L dangling.h5 ] && [ -f sub/created_through_link.h5 ] &&
    "$PYTHON" -c "
import h5py, json
assert h5py.File('linked_model.h5', 'r')['model/centroids'].shape[0] == 3
json.load(open('sub/created_through_link.h5'))" && [ -z "$(damage)" ]; then
    pass "symbolic links: the files they point to are replaced, the links stay"
else
    fail "symbolic links" "rc $rc, $(ls -l link.h5 dangling.h5 sub | tr '\n' ' ') $(damage) $(head -c 300 err.txt)"
fi
rm -f NEW_r.h5

# ------------------------------------------------------------ the same file twice
ln members.h5 hardlink_members.h5
ln model.h5 hardlink_model.h5
same=(
    "rfm in = out|rfm --in members.h5 --out members.h5"
    "rfm in = ./out|rfm --in members.h5 --out ./members.h5"
    "rfm in = sub/../out|rfm --in members.h5 --out sub/../members.h5"
    "rfm in = out by absolute path|rfm --in members.h5 --out $WORK_DIR/members.h5"
    "rfm in = out via a hard link|rfm --in members.h5 --out hardlink_members.h5"
    "rfm summary = in|rfm --in members.h5 --out NEW_r.h5 --summary members.h5"
    "train in = out|train --in members.h5 --out members.h5 --model NEW_m.h5"
    "train model = out|train --in members.h5 --out results.h5 --model results.h5"
    "train model = out (not there yet, other spelling)|train --in members.h5 --out NEW_x.h5 --model sub/../NEW_x.h5"
    "train summary = out|train --in members.h5 --out results.h5 --model NEW_m.h5 --summary ./results.h5"
    "train summary = model|train --in members.h5 --out NEW_r.h5 --model model.h5 --summary model.h5"
    "train checkpoint = in|train --in members.h5 --out NEW_r.h5 --model NEW_m.h5 --checkpoint ./members.h5"
    "train checkpoint = out|train --in members.h5 --out results.h5 --model NEW_m.h5 --checkpoint results.h5"
    "train checkpoint = model via a hard link|train --in members.h5 --out NEW_r.h5 --model model.h5 --checkpoint hardlink_model.h5"
    "train model = --init-from|train --in members.h5 --out NEW_r.h5 --model model.h5 --init-from model.h5"
    "score in = out|score --in members.h5 --model model.h5 --out members.h5"
    "score model = out|score --in members.h5 --model model.h5 --out model.h5"
    "score previous = out|score --in members.h5 --model model.h5 --out results.h5 --previous results.h5"
    "score summary = model|score --in members.h5 --model model.h5 --out NEW_r.h5 --summary hardlink_model.h5"
    "import in = out|import --format csv --in members.csv --out members.csv"
    "aggregate in = out|aggregate --in transactions.h5 --out transactions.h5 --reference-date 2024-12-31"
    "aggregate summary = out|aggregate --in transactions.h5 --out aggregated.h5 --reference-date 2024-12-31 --summary aggregated.h5"
)
for entry in "${same[@]}"; do
    read -r -a args <<<"${entry#*|}"
    expect "${entry%%|*}" 1 "name the same file" 1 "${args[@]}"
done
expect "rfm in = out" 1 "name the same file" 3 rfm --in members.h5 --out ./members.h5
expect "train checkpoint = out" 1 "name the same file" 3 \
    train --in members.h5 --out results.h5 --model NEW_m.h5 --checkpoint results.h5
rm -f hardlink_members.h5 hardlink_model.h5

# ------------------------------------------------------------ missing folders
for np in 1 3; do
    expect "train --summary in a missing folder" 3 "does not exist" "$np" \
        train --in members.h5 --out results.h5 --model model.h5 --summary no_dir/s.json --k 3
done
expect "rfm --out in a missing folder" 3 "does not exist" 1 \
    rfm --in members.h5 --out no_dir/r.h5 --summary summary.json
expect "aggregate --summary in a missing folder" 3 "does not exist" 1 \
    aggregate --in transactions.h5 --out aggregated.h5 --reference-date 2024-12-31 --summary no/s.json

# ------------------------------------------------------------ locks
# A lock held by another process (python): refused, the holder named.
"$PYTHON" - <<'EOF' &
import fcntl, os, time
fd = os.open("results.h5.lock", os.O_RDWR | os.O_CREAT)
fcntl.lockf(fd, fcntl.LOCK_EX)
os.write(fd, b"pid 4242@elsewhere: cvseg train --out results.h5\n")
open("holder.ready", "w").close()
while os.path.exists("holder.ready"):
    time.sleep(0.05)
os.unlink("results.h5.lock")
EOF
holder=$!
for _ in $(seq 200); do [ -e holder.ready ] && break; sleep 0.05; done
HELD_LOCK=results.h5.lock # the holder's own lock file stays while it runs
expect "results.h5 locked by another process" 1 "pid 4242@elsewhere" 1 \
    train --in members.h5 --out results.h5 --model NEW_m.h5 --k 3
HELD_LOCK=
rm -f holder.ready
wait "$holder"

# Two cvseg runs: the first is paused (SIGSTOP) while it holds its locks.
"$CVSEG" gen --out NEW_big.h5 --members 2000000 -q 2>first.err &
first=$!
for _ in $(seq 400); do [ -s NEW_big.h5.lock ] && break; sleep 0.05; done
kill -STOP "$first"
run 3 train --in members.h5 --out NEW_r.h5 --model NEW_big.h5 --k 3
line=$(grep -F 'cvseg: error:' err.txt || true)
kill -CONT "$first"
first_rc=0
wait "$first" || first_rc=$?
if [ "$rank_codes" = "1 1 1" ] && [[ "$line" == *"pid $first@"* ]] && [ "$first_rc" = 0 ] &&
    [ ! -e NEW_r.h5 ] && "$PYTHON" -c "
import h5py; assert h5py.File('NEW_big.h5', 'r')['members/member_id'].shape == (2000000,)" &&
    [ -z "$(damage)" ]; then
    pass "a second run on a locked output exits 1 on every rank naming the first (${line#cvseg: error: }); the first ends with 0"
else
    fail "two runs on one output" "second: $rank_codes '$line'; first: exit $first_rc $(cat first.err); $(damage)"
fi
rm -f NEW_big.h5

# ------------------------------------------------------------ stale temporaries, kill -9
touch results.h5.tmp.4242424 results.h5.tmp.4242424.old results.h5.tmp.notes model.h5.tmp.17
echo "pid 4242424@gone: cvseg train" >model.h5.lock
cp -p results.h5 stale_results.h5
run 1 train --in members.h5 --out results.h5 --model model.h5 --k 3
if [ "$rc" = 0 ] && [ ! -e results.h5.tmp.4242424 ] && [ ! -e results.h5.tmp.4242424.old ] &&
    [ ! -e model.h5.tmp.17 ] && [ -e results.h5.tmp.notes ] && [ ! -e model.h5.lock ]; then
    pass "stale temporaries of dead runs removed (a stale lock file reused), other files kept"
else
    fail "stale temporaries" "rc $rc: $(ls | tr '\n' ' ') $(head -c 300 err.txt)"
fi
rm -f results.h5.tmp.notes
for f in results.h5 model.h5 summary.json; do cp -p "keep/$f" "$f"; done

run 1 gen --out big_members.h5 --members 3000000 --seed 5
ran "fixture: gen big_members.h5"
"$CVSEG" train --in big_members.h5 --out results.h5 --model model.h5 --summary summary.json --k 3 \
    --n-init 1 -q 2>killed.err &
victim=$!
for _ in $(seq 1200); do compgen -G 'results.h5.tmp.*' >/dev/null && break; sleep 0.05; done
kill -KILL "$victim"
wait "$victim" 2>/dev/null || true
left=$(compgen -G 'results.h5.tmp.*' | tr '\n' ' ' || true)
PROTECTED_SAVED=$PROTECTED
if [ -n "$left" ] && cmp -s results.h5 keep/results.h5 && cmp -s model.h5 keep/model.h5 &&
    cmp -s summary.json keep/summary.json; then
    pass "kill -9 during the results write: earlier model, results and summary byte-identical (left: $left)"
else
    fail "kill -9 during the results write" "left '$left'; $(damage)"
fi
run 1 rfm --in members.h5 --out results.h5
if [ "$rc" = 0 ] && ! compgen -G 'results.h5.tmp.*' >/dev/null && [ ! -e results.h5.lock ]; then
    pass "the next run removes the killed run's temporaries and lock file"
else
    fail "cleanup after kill -9" "rc $rc: $(ls | tr '\n' ' ')"
fi
rm -f model.h5.tmp.* summary.json.tmp.* model.h5.lock summary.json.lock big_members.h5
for f in results.h5 model.h5 summary.json; do cp -p "keep/$f" "$f"; done
PROTECTED=$PROTECTED_SAVED
[ -z "$(damage)" ] || fail "work folder clean at the end" "$(damage)"

finish
