#!/usr/bin/env bash
# test_bad_input.sh: every verb (rfm, train, score, aggregate, report, gen) on bad
# command lines and bad input files, at 1 and 3 ranks. For each case: the exit
# code on EVERY rank (each rank records its own), one "cvseg: error:" line on
# stderr naming the file (and dataset, row, member id where the case has one),
# no output file created (nor any temporary left beside it), and earlier good
# outputs at the same paths left byte-identical. Every command runs under
# `timeout 60` so a hang fails instead of blocking. Malformed HDF5 files are built
# with h5py (tests/e2e/oracle/bad_files.py).
#
# Environment (set by ctest): CVSEG, SOURCE_DIR, SHARED_DIR, WORK_DIR, PYTHON.
set -euo pipefail

# shellcheck source=lib.sh
source "${SOURCE_DIR:?}/tests/e2e/lib.sh"
BAD_FILES=$SOURCE_DIR/tests/e2e/oracle/bad_files.py
need_python h5py numpy
enter_work_dir out
ranks_setup
RUN_TIMEOUT=60
run() { run_ranks "$@"; } # every rank's exit code (lib.sh)

# Good inputs and earlier outputs.
REF=2024-12-31
run 1 gen --out members.h5 --members 200 --seed 4
[ "$rc" = 0 ] || { fail "gen members.h5" "$(cat err.txt)"; }
run 1 gen --out transactions.h5 --members 50 --transactions-per-member 3 --seed 4
[ "$rc" = 0 ] || { fail "gen transactions.h5" "$(cat err.txt)"; }
run 1 train --in members.h5 --out good_results.h5 --model good_model.h5 --k 3 --summary good_summary.json
[ "$rc" = 0 ] || { fail "train good model" "$(cat err.txt)"; }
run 1 aggregate --in transactions.h5 --out good_members.h5 --reference-date $REF
[ "$rc" = 0 ] || { fail "aggregate good members" "$(cat err.txt)"; }
"$PYTHON" "$BAD_FILES" members members.h5 . >member_ids.txt
"$PYTHON" "$BAD_FILES" transactions transactions.h5 .
"$PYTHON" "$BAD_FILES" results good_results.h5 .
id_of() { awk -v c="$1" '$1 == c { print $2 }' member_ids.txt; }
echo "this is not an HDF5 file" >not_hdf5.h5
head -c $(($(stat -c %s members.h5) / 2)) members.h5 >truncated_members.h5
head -c $(($(stat -c %s transactions.h5) / 2)) transactions.h5 >truncated_transactions.h5
head -c $(($(stat -c %s good_results.h5) / 2)) good_results.h5 >truncated_results.h5
head -c $(($(stat -c %s good_model.h5) / 2)) good_model.h5 >truncated_model.h5

# Command templates: @IN@ is the case's input, @OUT@ @MODEL@ @SUMMARY@ outputs.
verb_args() { # verb_args VERB: prints the template, one word a line
    case $1 in
    rfm) printf '%s\n' rfm --in @IN@ --out @OUT@ --summary @SUMMARY@ ;;
    train) printf '%s\n' train --in @IN@ --out @OUT@ --model @MODEL@ --k 3 --summary @SUMMARY@ ;;
    score) printf '%s\n' score --in @IN@ --model good_model.h5 --out @OUT@ --summary @SUMMARY@ ;;
    score-model) printf '%s\n' score --in members.h5 --model @IN@ --out @OUT@ --summary @SUMMARY@ ;;
    aggregate) printf '%s\n' aggregate --in @IN@ --out @OUT@ --reference-date $REF --summary @SUMMARY@ ;;
    report) printf '%s\n' report --results @IN@ ;;
    gen) printf '%s\n' gen --out @OUT@ --members 100 ;;
    esac
}
good_output() { # good_output PLACEHOLDER VERB: the earlier good file for that output
    case $1 in
    @OUT@) [ "$2" = aggregate ] || [ "$2" = gen ] && echo good_members.h5 || echo good_results.h5 ;;
    @MODEL@) echo good_model.h5 ;;
    @SUMMARY@) echo good_summary.json ;;
    esac
}

# bad NAME VERB INPUT CODE TEXTS [EXTRA ARGS...]: runs the case at np 1 and np 3.
# TEXTS: '|'-separated fixed strings the error line must contain (the input file
# name, quoted, is added unless INPUT is - or TEXTS starts with "-|"). CODE may be "2|3".
bad() {
    local name=$1 verb=$2 input=$3 code=$4 texts=$5
    shift 5
    local extra=("$@") template=() args=() outputs=() word np line problems text before after o name_file=1
    if [[ $texts == "-|"* ]]; then # a command-line error: no file to name
        name_file=0
        texts=${texts#-|}
    fi
    mapfile -t template < <(verb_args "$verb")
    for word in "${template[@]}"; do
        case $word in
        @IN@) args+=("$input") ;;
        @OUT@ | @MODEL@ | @SUMMARY@)
            o=out/${word//@/}
            o=${o,,}
            [ "$word" = @SUMMARY@ ] && o+=.json || o+=.h5
            args+=("$o")
            outputs+=("$word=$o")
            ;;
        *) args+=("$word") ;;
        esac
    done
    args+=("${extra[@]}")
    local -a want_texts=()
    IFS='|' read -r -a want_texts <<<"$texts"
    [ "$input" != - ] && [ "$name_file" = 1 ] && want_texts+=("'$input'")
    # np 1: a run with no outputs present, then one with earlier good outputs at the
    # same paths; np 3: the run with earlier outputs (both properties are checked in
    # each run: no new file in out/, the earlier files byte-identical).
    local modes
    for np in 1 3; do
        modes="fresh preserve"
        [ "$np" = 1 ] || modes=preserve
        [ "${#outputs[@]}" -gt 0 ] || modes=fresh
        local message_problems="" output_problems="" mode first=1
        for mode in $modes; do
            rm -rf out && mkdir out
            if [ "$mode" = preserve ]; then
                for o in "${outputs[@]}"; do cp "$(good_output "${o%%=*}" "$verb")" "${o#*=}"; done
            fi
            before=$(ls -A out)
            run "$np" "${args[@]}"
            problems=""
            case "|$code|" in *"|$rc|"*) ;; *) problems+="exit code $rc, expected $code; " ;; esac
            for word in $rank_codes; do
                [ "$word" = "$rc" ] || problems+="rank exit codes differ: $rank_codes; "
            done
            line=$(grep -F 'cvseg: error:' err.txt || true)
            [ "$(printf '%s\n' "$line" | grep -c .)" = 1 ] || problems+="$(printf '%s\n' "$line" | grep -c .) error lines; "
            [ "$(grep -ci 'error' err.txt || true)" -le 1 ] ||
                problems+="other error output on stderr: $(grep -i error err.txt | grep -vF 'cvseg: error:' | head -n 2 | tr '\n' ' '); "
            for text in "${want_texts[@]}"; do
                case "$line" in
                *"$text"*) ;;
                *) problems+="message lacks \"$text\"; " ;;
                esac
            done
            [ -z "$problems" ] || message_problems+="($mode run) ${problems}stderr: $(head -c 400 err.txt | tr '\n' ' '); "
            [ "$first" = 1 ] && first_line=$line
            first=0
            after=$(ls -A out)
            [ "$before" = "$after" ] || output_problems+="($mode run) out/ held '$(echo $before)', now '$(echo $after)'; "
            [ "$verb" != report ] || [ ! -s out.txt ] || output_problems+="report printed to stdout: $(head -c 100 out.txt); "
            if [ "$mode" = preserve ]; then
                for o in "${outputs[@]}"; do
                    cmp -s "$(good_output "${o%%=*}" "$verb")" "${o#*=}" || output_problems+="${o#*=} changed; "
                done
            fi
        done
        [ -z "$message_problems" ] && pass "$name [$verb, np $np] (exit $rc on every rank: ${first_line#cvseg: error: })" ||
            fail "$name [$verb, np $np]" "$message_problems"
        if [ "$verb" = report ]; then
            text="nothing on stdout"
        elif [ "$np" = 1 ]; then
            text="no output created; earlier outputs byte-identical"
        else
            text="earlier outputs byte-identical, no temporary left"
        fi
        [ -z "$output_problems" ] && pass "$name [$verb, np $np]: $text" || fail "$name [$verb, np $np]: $text" "$output_problems"
    done
}

# ------------------------------------------------------------ command line
run 1 frobnicate --in members.h5
line=$(grep -F 'cvseg: error:' err.txt || true)
[ "$rc" = 1 ] && [[ "$line" == *"frobnicate"* ]] && pass "unknown verb (exit 1: ${line#cvseg: error: })" ||
    fail "unknown verb" "rc $rc: $(cat err.txt)"
run 3 frobnicate --in members.h5
[ "$rc" = 1 ] && [ "$rank_codes" = "1 1 1" ] && pass "unknown verb at np 3 (every rank exits 1)" ||
    fail "unknown verb at np 3" "rc $rc, ranks $rank_codes"
declare -A FIRST_OPTION=([rfm]=--in [train]=--in [score]=--in [aggregate]=--in [report]=--results [gen]=--out)
declare -A GOOD_INPUT=([rfm]=members.h5 [train]=members.h5 [score]=members.h5 [aggregate]=transactions.h5
    [report]=good_results.h5 [gen]=-)
for verb in rfm train score aggregate report gen; do
    bad "unknown flag --colour" "$verb" "${GOOD_INPUT[$verb]}" 1 "-|'--colour'|expected one of: ${FIRST_OPTION[$verb]}" --colour red
done
# The missing-required cases drop one option from the template, so they are run directly.
missing_required() { # missing_required VERB OPTION ARGS...
    refused "missing $2 [$1]" 1 "missing required option $2" "${@:3}"
}
missing_required rfm --out rfm --in members.h5
missing_required train --model train --in members.h5 --out out/out.h5
missing_required score --model score --in members.h5 --out out/out.h5
missing_required aggregate --reference-date aggregate --in transactions.h5 --out out/out.h5
missing_required report --results report --format json
missing_required gen --members gen --out out/out.h5

# ------------------------------------------------------------ files that are not good HDF5
for verb in rfm train score aggregate; do
    bad "input is not an HDF5 file" "$verb" not_hdf5.h5 2 "not an HDF5 file"
    bad "input file missing" "$verb" no_such_file.h5 3 ""
done
bad "results file is not an HDF5 file" report not_hdf5.h5 2 "not an HDF5 file"
bad "results file missing" report no_such_file.h5 3 ""
bad "model is not an HDF5 file" score-model not_hdf5.h5 2 "not an HDF5 file"
bad "model file missing" score-model no_such_file.h5 3 ""
for verb in rfm train score; do
    bad "truncated member table (half the bytes)" "$verb" truncated_members.h5 "2|3" ""
done
bad "truncated transaction log" aggregate truncated_transactions.h5 "2|3" ""
bad "truncated results file" report truncated_results.h5 "2|3" ""
bad "truncated model file" score-model truncated_model.h5 "2|3" ""
for np in 1 3; do
    rm -rf out && mkdir out
    run "$np" gen --out out/no_such_dir/x.h5 --members 100
    line=$(grep -F 'cvseg: error:' err.txt || true)
    if [ "$rc" = 3 ] && [ "$rank_codes" = "$([ "$np" = 1 ] && echo 3 || echo 3 3 3)" ] &&
        [ "$(printf '%s\n' "$line" | grep -c .)" = 1 ] && [[ "$line" == *"out/no_such_dir/x.h5"* ]] &&
        [ -z "$(ls -A out)" ]; then
        pass "gen into a missing directory [np $np] (exit 3: ${line#cvseg: error: })"
    else
        fail "gen into a missing directory [np $np]" "rc $rc, ranks $rank_codes, stderr: $(head -c 300 err.txt)"
    fi
done

# ------------------------------------------------------------ bad member tables
for verb in rfm train score; do
    bad "missing group /members" "$verb" m_no_group.h5 2 "/members"
    bad "missing dataset monetary" "$verb" m_no_monetary.h5 2 "/members/monetary"
    bad "monetary stored as strings" "$verb" m_monetary_string.h5 2 "/members/monetary"
    bad "member_id stored as float" "$verb" m_member_id_float.h5 2 "/members/member_id"
    bad "unequal column lengths" "$verb" m_unequal_lengths.h5 2 ""
    bad "no reference date (attribute or option)" "$verb" m_no_reference_date.h5 2 "reference"
    bad "NaN monetary in row 17" "$verb" m_nan_monetary.h5 2 "/members/monetary|row 17|$(id_of nan_monetary)"
    bad "NaN monetary in row 150 (last rank at np 3)" "$verb" m_nan_monetary_late.h5 2 \
        "/members/monetary|row 150|$(id_of nan_monetary_late)"
    bad "last purchase after the reference date (row 190)" "$verb" m_after_reference.h5 2 \
        "/members/last_purchase|row 190|$(id_of after_reference)"
    bad "duplicate member ids (rows 20 and 150)" "$verb" m_duplicate_ids.h5 2 "/members/member_id|$(id_of duplicate_ids)"
    bad "negative frequency (row 160)" "$verb" m_negative_frequency.h5 2 "/members/frequency|row 160|$(id_of negative_frequency)"
done
# A few more, for rfm only (the loader is shared by the three verbs).
bad "Inf in row 90 and NaN in row 150: the lowest row is reported" rfm m_two_invalid.h5 2 \
    "/members/monetary|row 90|$(id_of two_invalid)"
bad "first purchase after the last purchase (row 120)" rfm m_first_after_last.h5 2 \
    "/members/first_purchase|row 120|$(id_of first_after_last)"
bad "monetary is 2-D" rfm m_monetary_2d.h5 2 "/members/monetary"
bad "empty member table" rfm m_empty.h5 2 ""

# --invalid drop: the run succeeds and the NaN member is marked invalid, the others ok.
for verb in rfm train score; do
    for np in 1 3; do
        rm -rf out && mkdir out
        case $verb in
        rfm) run "$np" rfm --in m_nan_monetary.h5 --out out/drop.h5 --invalid drop ;;
        train) run "$np" train --in m_nan_monetary.h5 --out out/drop.h5 --model out/model.h5 --k 3 --invalid drop ;;
        score) run "$np" score --in m_nan_monetary.h5 --model good_model.h5 --out out/drop.h5 --invalid drop ;;
        esac
        if [ "$rc" = 0 ] && "$PYTHON" -c "
import h5py, numpy as np
g = h5py.File('out/drop.h5', 'r')['results']
names = {v: k for k, v in h5py.check_enum_dtype(g['status'].dtype).items()}
status = np.array([names[int(c)] for c in g['status'][:]])
ids = g['member_id'][:]
bad = $(id_of nan_monetary)
assert len(ids) == 200, len(ids)
assert status[ids == bad].tolist() == ['invalid'], status[ids == bad]
assert (status[ids != bad] == 'ok').all(), np.unique(status[ids != bad])
" >check.log 2>&1; then
            pass "--invalid drop [$verb, np $np]: exit 0, NaN member has status invalid, others ok"
        else
            fail "--invalid drop [$verb, np $np]" "rc $rc, ranks $rank_codes: $(tail -n 3 check.log err.txt | tr '\n' ' ')"
        fi
    done
done

# ------------------------------------------------------------ bad transaction logs
bad "missing group /transactions" aggregate t_no_group.h5 2 "/transactions"
bad "missing dataset amount" aggregate t_no_amount.h5 2 "/transactions/amount"
bad "amount stored as strings" aggregate t_amount_string.h5 2 "/transactions/amount"
bad "member_id stored as float" aggregate t_member_id_float.h5 2 "/transactions/member_id"
bad "unequal column lengths" aggregate t_unequal_lengths.h5 2 ""
bad "NaN amount in row 17" aggregate t_nan_amount.h5 2 "/transactions/amount|row 17"
bad "NaN amount in row 140 (last rank at np 3)" aggregate t_nan_amount_late.h5 2 "/transactions/amount|row 140"

# ------------------------------------------------------------ bad results files
bad "results without /results (group renamed)" report r_no_group.h5 2 ""
bad "results without /results/member_id" report r_no_member_id.h5 2 ""

finish
