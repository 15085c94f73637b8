"""The bad-input cases, as data: one row per case (run_badinput.py runs them).

Columns:
  id         unique name (also the case's work folder)
  category   usage, paths, hdf5-file, hdf5-types, values, import, model,
             checkpoint, transactions, results (the README counts them)
  generator  the corpus.py function that writes the case's input ("-": none,
             "base": the good files made by cvseg)
  command    cvseg arguments. Files of the corpus named in it are copied into
             the case's folder. Outputs: @OUT@ (out/results.h5), @MODEL@
             (out/model.h5), @SUMMARY@ (out/summary.json), @MEMBERS@
             (out/members.h5).
  exit       the exit code every rank must return ("2|3": either; "0|2": a
             success is checked by the case's `check`)
  message    regex the one "cvseg: error:" line must match ($name: a fact
             returned by the generator, e.g. a member id). Ignored for exit 0.
  options    expected_after: the branch whose fix the case waits for (reported
             as XFAIL until the tag is removed); setup: ';'-separated steps run
             in the case folder before each run (mkfifo P, mkdir P, symlink P
             TARGET, hardlink P TARGET, mknod P MAJOR MINOR: a character device
             like /dev/null (1 3) or /dev/full (1 7), tmpfs SIZE P: a small
             tmpfs mounted at P; skipped where mknod or mount is not allowed); check: a post-run check
             in run_badinput.py for exit-0 runs; np: ranks (default 1 and 3).

Each case runs at np 1 with no earlier outputs and at np 3 with earlier
outputs at every output path. Both runs must: exit with the code on EVERY
rank, print exactly one "cvseg: error:" line matching the regex and no other
line mentioning an error, leave every file in the folder byte-identical (so no
output and no *.tmp.* is created, and earlier outputs and inputs are intact),
and end within the watchdog (timeout -s KILL).
"""

K3 = "--k 3"
REF = "--reference-date 2024-12-31"
# The --map options of the CSV member tables of the corpus (corpus.py text_files).
CSV_MAPS = "--map member_id=cust_no --map last_purchase=last --map first_purchase=first --map frequency=orders " \
    "--map monetary=spend"


# Command templates of the verbs most cases run, on one input file.
def rfm(members):
    return f"rfm --in {members} --out @OUT@"


def train(members, options=K3):
    return f"train --in {members} --out @OUT@ --model @MODEL@ {options}"


def score_with(model):
    return f"score --in members.h5 --model {model} --out @OUT@"


def aggregate(transactions):
    return f"aggregate --in {transactions} --out @MEMBERS@ {REF}"


def import_csv(text, maps=CSV_MAPS):
    return f"import --format csv --in {text} --out @MEMBERS@ {maps}"


# Settings of the checkpoint cases: those ck.h5 was written with (run_badinput.py).
CKSET = "--k 6 --n-init 3 --tol 0 --seed 9"
CK_TRAIN = train("ck_members.h5", CKSET)

HO, HM, HC = "harden-out", "harden-mpi", "harden-core"
# Defects this corpus found that no branch of issue 11 fixes yet (see README).
UNASSIGNED = "unassigned"

CASES = [
    # ------------------------------------------------------------ usage (exit 1)
    ("usage-unknown-verb", "usage", "-", "frobnicate --in members.h5", "1", r"'?frobnicate"),
    ("usage-unknown-flag-rfm", "usage", "base", rfm("members.h5") + " --colour red", "1",
     r"'--colour'.*expected one of: --in"),
    ("usage-unknown-flag-report", "usage", "base", "report --results good_results.h5 --colour red", "1",
     r"'--colour'"),
    ("usage-missing-out", "usage", "base", "rfm --in members.h5", "1", r"missing required option --out"),
    ("usage-missing-model", "usage", "base", "train --in members.h5 --out @OUT@", "1",
     r"missing required option --model"),
    ("usage-missing-reference-date", "usage", "base", "aggregate --in transactions.h5 --out @MEMBERS@", "1",
     r"missing required option --reference-date"),
    ("usage-k-zero", "usage", "base", train("members.h5", "--k 0"), "1", r"--k"),
    ("usage-bad-reference-date", "usage", "base",
     rfm("members.h5") + " --reference-date 2024-02-30", "1", r"--reference-date"),
    ("usage-reference-date-year-10000", "usage", "base",
     rfm("members.h5") + " --reference-date 10000-01-01", "1", r"--reference-date"),
    ("usage-unknown-map-field", "usage", "text_files",
     import_csv("good.csv", "--map memberid=cust_no"), "1", r"unknown field 'memberid'"),
    ("usage-features-empty", "usage", "base", rfm("members.h5") + " --features ''", "1",
     r"--features"),
    ("usage-features-empty-train", "usage", "base",
     train("members.h5", "--features ''"), "1", r"--features"),
    ("usage-abc-with-abc-cuts", "usage", "base",
     rfm("members.h5") + " --abc pyramid --abc-cuts 0.1,0.3", "1", r"--abc"),
    ("usage-report-model-other-features", "usage", "base",
     "report --results good_results.h5 --model model_fm.h5", "1|2", r"model_fm\.h5"),
    # ------------------------------------------------------------ output paths
    ("paths-input-missing", "paths", "-", rfm("no_such_file.h5"), "3", r"'no_such_file\.h5'"),
    ("paths-output-dir-missing", "paths", "base", "rfm --in members.h5 --out nodir/r.h5", "3", r"nodir/r\.h5"),
    ("paths-gen-dir-missing", "paths", "-", "gen --out nodir/m.h5 --members 100", "3", r"nodir/m\.h5"),
    # Character devices are made in the case's folder (mknod), never /dev itself:
    # a cvseg that renames its temporary onto the target would replace them.
    ("paths-out-char-device-null", "paths", "base", "rfm --in members.h5 --out out/null", "1", r"out/null",
     {"setup": "mknod out/null 1 3"}),
    ("paths-out-char-device-full", "paths", "base", "train --in members.h5 --out @OUT@ --model out/full " + K3, "1",
     r"out/full", {"setup": "mknod out/full 1 7"}),
    ("paths-out-fifo", "paths", "base", "rfm --in members.h5 --out out/fifo.h5", "1", r"out/fifo\.h5",
     {"setup": "mkfifo out/fifo.h5"}),
    ("paths-out-directory", "paths", "base", "rfm --in members.h5 --out out/adir.h5", "1", r"out/adir\.h5",
     {"setup": "mkdir out/adir.h5"}),
    ("paths-summary-char-device-null", "paths", "base", rfm("members.h5") + " --summary out/null", "1",
     r"out/null", {"setup": "mknod out/null 1 3"}),
    ("paths-out-is-input", "paths", "base", "rfm --in members.h5 --out members.h5", "1", r"members\.h5"),
    ("paths-out-is-input-spelled-otherwise", "paths", "base", "rfm --in members.h5 --out ./members.h5", "1",
     r"members\.h5"),
    ("paths-out-is-input-symlink", "paths", "base", "rfm --in members.h5 --out out/link.h5", "1",
     r"link\.h5|members\.h5", {"setup": "symlink out/link.h5 ../members.h5"}),
    ("paths-out-is-input-hardlink", "paths", "base", "rfm --in members.h5 --out out/hard.h5", "1",
     r"hard\.h5|members\.h5", {"setup": "hardlink out/hard.h5 members.h5"}),
    ("paths-out-is-model", "paths", "base", "train --in members.h5 --out @OUT@ --model @OUT@ " + K3, "1",
     r"results\.h5"),
    ("paths-summary-is-out", "paths", "base", rfm("members.h5") + " --summary @OUT@", "1",
     r"results\.h5"),
    ("paths-checkpoint-is-model", "paths", "base",
     train("members.h5", "--checkpoint @MODEL@ " + K3), "1", r"model\.h5"),
    ("paths-score-model-is-out", "paths", "base", "score --in members.h5 --model good_model.h5 --out good_model.h5",
     "1", r"good_model\.h5"),
    ("paths-score-previous-is-out", "paths", "base",
     "score --in members.h5 --model good_model.h5 --out good_results.h5 --previous good_results.h5", "1",
     r"good_results\.h5"),
    ("paths-aggregate-out-is-input", "paths", "base",
     "aggregate --in transactions.h5 --out transactions.h5 --reference-date 2024-12-31", "1", r"transactions\.h5"),
    ("paths-import-out-is-input", "paths", "text_files",
     "import --format csv --in good.csv --out good.csv " + CSV_MAPS, "1", r"good\.csv"),
    ("paths-summary-dir-missing-commits-nothing", "paths", "base",
     train("members.h5", "--summary nodir/s.json " + K3), "3", r"nodir/s\.json"),
    ("paths-disk-full", "paths", "base",
     "train --in big_members.h5 --out out/results.h5 --model out/model.h5 " + K3, "3", r"out/(results|model)\.h5",
     {"setup": "tmpfs 400k out"}),
    # ------------------------------------------------------------ not good HDF5
    ("hdf5-not-hdf5", "hdf5-file", "legacy", rfm("not_hdf5.h5"), "2", r"'not_hdf5\.h5'.*not an HDF5 file"),
    ("hdf5-truncated-members", "hdf5-file", "legacy", train("truncated_members.h5"),
     "2|3", r"'truncated_members\.h5'"),
    ("hdf5-no-group", "hdf5-file", "legacy", rfm("m_no_group.h5"), "2", r"'m_no_group\.h5'.*/members"),
    ("hdf5-no-monetary", "hdf5-file", "legacy", train("m_no_monetary.h5"), "2",
     r"'m_no_monetary\.h5'.*/members/monetary"),
    ("hdf5-monetary-string", "hdf5-file", "legacy", rfm("m_monetary_string.h5"), "2",
     r"'m_monetary_string\.h5'.*/members/monetary"),
    ("hdf5-member-id-float", "hdf5-file", "legacy", rfm("m_member_id_float.h5"), "2",
     r"'m_member_id_float\.h5'.*/members/member_id"),
    ("hdf5-unequal-lengths", "hdf5-file", "legacy", rfm("m_unequal_lengths.h5"), "2",
     r"'m_unequal_lengths\.h5'"),
    ("hdf5-monetary-2d", "hdf5-file", "legacy", rfm("m_monetary_2d.h5"), "2",
     r"'m_monetary_2d\.h5'.*/members/monetary"),
    ("hdf5-empty-table", "hdf5-file", "legacy", rfm("m_empty.h5"), "2", r"'m_empty\.h5'"),
    ("hdf5-no-reference-date", "hdf5-file", "legacy", rfm("m_no_reference_date.h5"), "2",
     r"'m_no_reference_date\.h5'.*reference"),
    # ------------------------------------------------------------ HDF5 types
    ("types-frequency-int64-over-int32", "hdf5-types", "hdf5_types", rfm("m_frequency_int64_big.h5"),
     "2", r"'m_frequency_int64_big\.h5'.*/members/frequency.*row 33.*3000000000"),
    ("types-frequency-int64-over-int32-train", "hdf5-types", "hdf5_types",
     train("m_frequency_int64_big.h5"), "2",
     r"'m_frequency_int64_big\.h5'.*/members/frequency.*row 33"),
    ("types-member-id-uint64-over-int64", "hdf5-types", "hdf5_types", rfm("m_member_id_uint64_big.h5"),
     "2", r"'m_member_id_uint64_big\.h5'.*/members/member_id.*row 160.*9223372036854775813"),
    ("types-frequency-enum", "hdf5-types", "hdf5_types", rfm("m_frequency_enum.h5"), "2",
     r"'m_frequency_enum\.h5'.*/members/frequency"),
    ("types-frequency-bool", "hdf5-types", "hdf5_types", rfm("m_frequency_bool.h5"), "2",
     r"'m_frequency_bool\.h5'.*/members/frequency"),
    ("types-monetary-unwritten", "hdf5-types", "hdf5_types", rfm("m_monetary_unwritten.h5"), "2",
     r"'m_monetary_unwritten\.h5'.*/members/monetary"),
    ("types-frequency-int64-fits", "hdf5-types", "hdf5_types", rfm("m_frequency_int64_small.h5"),
     "0", r""),
    ("types-member-id-uint64-fits", "hdf5-types", "hdf5_types", rfm("m_member_id_uint64_small.h5"),
     "0", r""),
    # (no case for an out-of-range /transactions/quantity: aggregate does not read that column)
    ("types-transactions-member-id-uint64-big", "hdf5-types", "hdf5_types",
     aggregate("t_member_id_uint64_big.h5"), "2",
     r"'t_member_id_uint64_big\.h5'.*/transactions/member_id.*row 120"),
    ("types-transactions-amount-unwritten", "hdf5-types", "hdf5_types",
     aggregate("t_amount_unwritten.h5"), "2",
     r"'t_amount_unwritten\.h5'.*/transactions/amount"),
    # ------------------------------------------------------------ values
    ("values-nan-row-17", "values", "legacy", train("m_nan_monetary.h5"), "2",
     r"'m_nan_monetary\.h5'.*'/members/monetary', row 17 \(member_id $id_nan_monetary\)"),
    ("values-nan-row-150-last-rank", "values", "legacy", rfm("m_nan_monetary_late.h5"), "2",
     r"'/members/monetary', row 150 \(member_id $id_nan_monetary_late\)"),
    ("values-two-invalid-lowest-row", "values", "legacy", rfm("m_two_invalid.h5"), "2",
     r"'/members/monetary', row 90 \(member_id $id_two_invalid\)"),
    ("values-after-reference", "values", "legacy", rfm("m_after_reference.h5"), "2",
     r"'/members/last_purchase', row 190 \(member_id $id_after_reference\)"),
    ("values-first-after-last", "values", "legacy", rfm("m_first_after_last.h5"), "2",
     r"'/members/first_purchase', row 120 \(member_id $id_first_after_last\)"),
    ("values-duplicate-ids", "values", "legacy", "score --in m_duplicate_ids.h5 --model good_model.h5 --out @OUT@", "2",
     r"'m_duplicate_ids\.h5'.*/members/member_id.*$id_duplicate_ids"),
    ("values-negative-frequency", "values", "legacy", rfm("m_negative_frequency.h5"), "2",
     r"'/members/frequency', row 160 \(member_id $id_negative_frequency\)"),
    ("values-first-purchase-year-negative", "values", "values", rfm("m_first_purchase_year_negative.h5"),
     "2", r"'m_first_purchase_year_negative\.h5'.*/members/first_purchase.*row 70"),
    ("values-last-purchase-year-0", "values", "values", rfm("m_last_purchase_year_0.h5"), "2",
     r"'m_last_purchase_year_0\.h5'.*/members/last_purchase.*row 140"),
    ("values-reference-date-year-10000", "values", "values", rfm("m_reference_date_year_10000.h5"),
     "2", r"'m_reference_date_year_10000\.h5'.*reference_date"),
    ("values-reference-date-int32-max", "values", "values", rfm("m_reference_date_int32_max.h5"),
     "2", r"'m_reference_date_int32_max\.h5'.*reference_date"),
    ("values-reference-date-two-values", "values", "values", rfm("m_reference_date_two_values.h5"),
     "2", r"'m_reference_date_two_values\.h5'.*reference_date"),
    ("values-reference-date-string", "values", "values", rfm("m_reference_date_string.h5"),
     "2", r"'m_reference_date_string\.h5'.*reference_date"),
    ("values-monetary-2e154", "values", "values",
     train("m_monetary_huge.h5", "--summary @SUMMARY@ " + K3), "0|2",
     r"'m_monetary_huge\.h5'.*/members/monetary", {"check": "exact_moments"}),
    ("values-monetary-1e300", "values", "values",
     rfm("m_monetary_1e300.h5") + " --summary @SUMMARY@", "0|2",
     r"'m_monetary_1e300\.h5'.*/members/monetary", {"check": "exact_moments"}),
    ("values-fewer-distinct-than-k", "values", "values", train("m_two_distinct.h5", "--k 3"),
     "2", r"'m_two_distinct\.h5'.*(distinct|k)"),
    ("values-kmeans-parallel-large-k", "values", "base",
     train("members.h5", "--init k-means-parallel --k 150 --summary @SUMMARY@"), "0",
     r"", {"check": "k_clusters_150"}),
    # ------------------------------------------------------------ transaction logs
    ("transactions-not-hdf5", "transactions", "legacy",
     aggregate("not_hdf5.h5"), "2", r"'not_hdf5\.h5'"),
    ("transactions-truncated", "transactions", "legacy",
     aggregate("truncated_transactions.h5"), "2|3",
     r"'truncated_transactions\.h5'"),
    ("transactions-no-amount", "transactions", "legacy",
     aggregate("t_no_amount.h5"), "2", r"/transactions/amount"),
    ("transactions-amount-string", "transactions", "legacy",
     aggregate("t_amount_string.h5"), "2", r"/transactions/amount"),
    ("transactions-nan-row-140", "transactions", "legacy",
     aggregate("t_nan_amount_late.h5"), "2",
     r"'t_nan_amount_late\.h5'.*/transactions/amount.*row 140"),
    ("transactions-date-year-10183", "transactions", "values",
     aggregate("t_date_year_10183.h5"), "2",
     r"'t_date_year_10183\.h5'.*/transactions/date.*row 130"),
    # ------------------------------------------------------------ text import
    ("import-missing-file", "import", "-", "import --format csv --in missing.csv --out @MEMBERS@", "3", r"'missing\.csv'"),
    ("import-empty-file", "import", "text_files", "import --format csv --in empty.csv --out @MEMBERS@", "2",
     r"'empty\.csv'.*empty"),
    ("import-repeated-header-name", "import", "text_files",
     import_csv("repeated_header.csv", CSV_MAPS.replace(" --map frequency=orders", "")), "2", r"'repeated_header\.csv'.*line 1.*spend"),
    ("import-open-quote", "import", "text_files",
     import_csv("open_quote.csv"), "2", r"'open_quote\.csv', line 3"),
    ("import-bad-date", "import", "text_files",
     import_csv("bad_date.csv"), "2",
     r"'bad_date\.csv', line 4, column 'last': '2023-02-29' is not a date"),
    ("import-date-year-0", "import", "text_files",
     import_csv("date_year_0.csv"), "2",
     r"'date_year_0\.csv', line 5, column 'first'"),
    ("import-bad-number", "import", "text_files",
     import_csv("bad_number.csv"), "2",
     r"'bad_number\.csv', line 4, column 'spend'"),
    ("import-int-overflow", "import", "text_files",
     import_csv("int_overflow.csv"), "2",
     r"'int_overflow\.csv', line 4, column 'orders'.*out of range"),
    ("import-field-count", "import", "text_files",
     import_csv("field_count.csv"), "2",
     r"'field_count\.csv', line 3: 4 fields, expected 5"),
    ("import-binary-garbage", "import", "text_files",
     import_csv("binary.csv", "--map member_id=cust_no"), "2", r"'binary\.csv'"),
    ("import-missing-column", "import", "text_files",
     import_csv("good.csv", "--map member_id=MEMBER_NO"), "2",
     r"'good\.csv'.*column 'MEMBER_NO'"),
    ("import-cdnow-bad-date", "import", "text_files", "import --format cdnow --in cdnow_bad_date.txt --out @MEMBERS@",
     "2", r"'cdnow_bad_date\.txt', line 2.*'19971301' is not a date"),
    # ------------------------------------------------------------ model files
    ("model-not-hdf5", "model", "legacy", score_with("not_hdf5.h5"), "2",
     r"'not_hdf5\.h5'.*not an HDF5 file"),
    ("model-truncated", "model", "legacy", score_with("truncated_good_model.h5"), "2|3",
     r"'truncated_good_model\.h5'"),
    ("model-members-file-as-model", "model", "base", score_with("members.h5"), "2",
     r"'members\.h5'"),
    ("model-no-centroids", "model", "model_files", score_with("model_no_centroids.h5"),
     "2", r"'model_no_centroids\.h5'.*centroids"),
    ("model-nan-centroids", "model", "model_files", score_with("model_nan_centroids.h5"),
     "2", r"'model_nan_centroids\.h5'.*NaN"),
    ("model-short-centroids", "model", "model_files",
     score_with("model_short_centroids.h5"), "2", r"'model_short_centroids\.h5'.*centroids"),
    ("model-label-out-of-range", "model", "model_files",
     score_with("model_label_out_of_range.h5"), "2", r"'model_label_out_of_range\.h5'"),
    ("model-k-zero", "model", "model_files", score_with("model_k_zero.h5"), "2",
     r"'model_k_zero\.h5'.*k = 0"),
    ("model-wrong-schema", "model", "model_files", score_with("model_wrong_schema.h5"),
     "2", r"'model_wrong_schema\.h5'.*schema"),
    ("model-init-from-not-hdf5", "model", "legacy",
     train("members.h5", "--init-from not_hdf5.h5 " + K3), "2", r"'not_hdf5\.h5'"),
    # ------------------------------------------------------------ checkpoints
    ("checkpoint-not-hdf5", "checkpoint", "checkpoint_files", CK_TRAIN + " --checkpoint ck_not_hdf5.h5 --resume", "2",
     r"'ck_not_hdf5\.h5'"),
    ("checkpoint-truncated", "checkpoint", "checkpoint_files", CK_TRAIN + " --checkpoint ck_truncated.h5 --resume",
     "2|3", r"'ck_truncated\.h5'"),
    ("checkpoint-no-group", "checkpoint", "checkpoint_files", CK_TRAIN + " --checkpoint ck_no_group.h5 --resume", "2",
     r"'ck_no_group\.h5'.*checkpoint"),
    ("checkpoint-foreign-settings", "checkpoint", "base",
     train("ck_members.h5", "--k 6 --n-init 3 --tol 0 --seed 10 --checkpoint ck.h5 --resume"), "1", r"checkpoint 'ck\.h5'.*other data or settings"),
    ("checkpoint-short-centres", "checkpoint", "checkpoint_files",
     CK_TRAIN + " --checkpoint ck_short_centres.h5 --resume", "1|2", r"'ck_short_centres\.h5'.*centres"),
    ("checkpoint-short-labels", "checkpoint", "checkpoint_files",
     CK_TRAIN + " --checkpoint ck_short_labels.h5 --resume", "1|2", r"'ck_short_labels\.h5'.*labels"),
    ("checkpoint-label-out-of-range", "checkpoint", "checkpoint_files",
     CK_TRAIN + " --checkpoint ck_label_out_of_range.h5 --resume", "1|2", r"'ck_label_out_of_range\.h5'"),
    ("checkpoint-restart-negative", "checkpoint", "checkpoint_files",
     CK_TRAIN + " --checkpoint ck_restart_negative.h5 --resume", "1|2", r"'ck_restart_negative\.h5'"),
    # ------------------------------------------------------------ results files (report)
    ("results-not-hdf5", "results", "legacy", "report --results not_hdf5.h5", "2", r"'not_hdf5\.h5'.*not an HDF5 file"),
    ("results-missing", "results", "-", "report --results no_such_file.h5", "3", r"'no_such_file\.h5'"),
    ("results-truncated", "results", "legacy", "report --results truncated_good_results.h5", "2|3",
     r"'truncated_good_results\.h5'"),
    ("results-no-group", "results", "legacy", "report --results r_no_group.h5", "2", r"'r_no_group\.h5'"),
    ("results-no-member-id", "results", "legacy", "report --results r_no_member_id.h5", "2", r"'r_no_member_id\.h5'"),
    ("results-members-file", "results", "base", "report --results members.h5", "2", r"'members\.h5'"),
]
