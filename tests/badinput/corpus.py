"""Generators of the bad-input corpus (tests/badinput/cases.py names them).

Every generator is a function GEN(base, out) that writes one or more input
files into the folder `out`, built from the good files in `base` (made by
cvseg itself in run_badinput.py: members.h5 with 200 rows, transactions.h5
with 150, good_results.h5, good_model.h5, ck_members.h5 and ck.h5, a real
checkpoint of it). It returns a dict of facts that case regexes may use as
{NAME} (e.g. the member id of a bad row).

"Rows" are 0-based dataset indices (the index h5dump prints). With block
shares at np 3 (rows 0-66, 67-133, 134-199 of the member table) row 17 lies
in rank 0's share, rows 90 and 120 in rank 1's and rows 150-190 in rank 2's.
"""
import os
import shutil
import sys

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e", "oracle"))
import bad_files  # noqa: E402  (the generators of tests/e2e/test_bad_input.sh)


def _load(path, group):
    return bad_files.load(path, group)


def _members(base, out, name, replace=None, attrs=None, skip=(), attrs_skip=(), raw=None):
    """Writes out/NAME: the good member table with columns replaced/skipped,
    group attributes replaced (attrs) and raw(group) called last (for
    datasets h5py must create by hand)."""
    cols, good_attrs = _load(os.path.join(base, "members.h5"), "members")
    merged = dict(good_attrs)
    merged.update(attrs or {})
    path = os.path.join(out, name)
    bad_files.write(path, "members", cols, merged, skip=skip, replace=replace,
                    attrs_skip=attrs_skip)
    if raw:
        with h5py.File(path, "a") as f:
            raw(f["members"])
    return cols, good_attrs


def legacy(base, out):
    """Every file of tests/e2e/oracle/bad_files.py (m_*, t_*, r_*) plus
    not-HDF5 and truncated files."""
    import contextlib
    import io
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        bad_files.members(os.path.join(base, "members.h5"), out)
    facts = {f"id_{k}": v for k, v in (line.split() for line in text.getvalue().splitlines())}
    bad_files.transactions(os.path.join(base, "transactions.h5"), out)
    bad_files.results(os.path.join(base, "good_results.h5"), out)
    with open(os.path.join(out, "not_hdf5.h5"), "w") as f:
        f.write("this is not an HDF5 file\n")
    for name in ("members", "transactions", "good_results", "good_model"):
        data = open(os.path.join(base, name + ".h5"), "rb").read()
        with open(os.path.join(out, f"truncated_{name}.h5"), "wb") as f:
            f.write(data[: len(data) // 2])
    return facts


def hdf5_types(base, out):
    """Types the reader must check rather than let HDF5 convert silently."""
    cols, _ = _load(os.path.join(base, "members.h5"), "members")
    ids = cols["member_id"]
    facts = {}
    freq = cols["frequency"].astype(np.int64)
    freq[33] = 3_000_000_000  # does not fit the int32 field
    _members(base, out, "m_frequency_int64_big.h5", replace={"frequency": freq})
    facts["id_frequency_big"] = int(ids[33])
    _members(base, out, "m_frequency_int64_small.h5",
             replace={"frequency": cols["frequency"].astype(np.int64)})
    uid = ids.astype(np.uint64)
    uid[160] = np.uint64(2**63 + 5)  # not an int64 member id
    _members(base, out, "m_member_id_uint64_big.h5", replace={"member_id": uid})
    _members(base, out, "m_member_id_uint64_small.h5", replace={"member_id": ids.astype(np.uint64)})

    def enum_frequency(g):
        del g["frequency"]
        dt = h5py.enum_dtype({"one": 1, "two": 2, "many": 3}, basetype="i4")
        g.create_dataset("frequency", data=np.clip(cols["frequency"], 1, 3).astype("i4"), dtype=dt)

    _members(base, out, "m_frequency_enum.h5", raw=enum_frequency)

    def bool_frequency(g):
        del g["frequency"]
        g.create_dataset("frequency", data=cols["frequency"] > 1)  # h5py: enum FALSE/TRUE

    _members(base, out, "m_frequency_bool.h5", raw=bool_frequency)

    def unwritten_monetary(g):
        del g["monetary"]
        g.create_dataset("monetary", shape=cols["monetary"].shape, dtype="f8")  # never written

    _members(base, out, "m_monetary_unwritten.h5", raw=unwritten_monetary)

    tcols, tattrs = _load(os.path.join(base, "transactions.h5"), "transactions")
    q = tcols["quantity"].astype(np.int64)
    q[100] = 2**40
    bad_files.write(os.path.join(out, "t_quantity_int64_big.h5"), "transactions", tcols, tattrs,
                    replace={"quantity": q})
    tid = tcols["member_id"].astype(np.uint64)
    tid[120] = np.uint64(2**63 + 1)
    bad_files.write(os.path.join(out, "t_member_id_uint64_big.h5"), "transactions", tcols, tattrs,
                    replace={"member_id": tid})
    path = os.path.join(out, "t_amount_unwritten.h5")
    bad_files.write(path, "transactions", tcols, tattrs, skip=("amount",))
    with h5py.File(path, "a") as f:
        f["transactions"].create_dataset("amount", shape=tcols["amount"].shape, dtype="f8")
    return facts


def values(base, out):
    """Values out of the engine's range: dates outside years 1..9999, the
    reference date attribute, huge money, too few distinct members."""
    cols, attrs = _load(os.path.join(base, "members.h5"), "members")
    ids = cols["member_id"]
    facts = {}
    first = cols["first_purchase"].copy()
    first[70] = -800_000  # about year -220
    _members(base, out, "m_first_purchase_year_negative.h5", replace={"first_purchase": first})
    facts["id_first_year"] = int(ids[70])
    last = cols["last_purchase"].copy()
    last[140] = -719_529  # 0000-12-31, the day before 0001-01-01
    first = cols["first_purchase"].copy()
    first[140] = last[140]
    _members(base, out, "m_last_purchase_year_0.h5",
             replace={"last_purchase": last, "first_purchase": first})
    facts["id_last_year"] = int(ids[140])
    _members(base, out, "m_reference_date_year_10000.h5",
             attrs={"reference_date": np.int32(2_932_897 + 10)})  # 10000-01-11
    _members(base, out, "m_reference_date_int32_max.h5",
             attrs={"reference_date": np.int32(2147483647)})
    _members(base, out, "m_reference_date_two_values.h5",
             attrs={"reference_date": np.array([attrs["reference_date"]] * 2, dtype=np.int32)})
    _members(base, out, "m_reference_date_string.h5",
             attrs={"reference_date": np.bytes_(b"2024-12-31")})
    m = cols["monetary"].copy()
    m[5] = 2e154  # squares overflow double; the moments must stay exact or refuse
    _members(base, out, "m_monetary_huge.h5", replace={"monetary": m})
    m = cols["monetary"].copy()
    m[5] = 1e300
    _members(base, out, "m_monetary_1e300.h5", replace={"monetary": m})
    # Two distinct feature rows only: k = 3 clusters cannot be found.
    n = len(ids)
    half = np.arange(n) % 2
    _members(base, out, "m_two_distinct.h5", replace={
        "last_purchase": np.where(half, cols["last_purchase"][0], cols["last_purchase"][1]).astype(np.int32),
        "first_purchase": np.where(half, cols["first_purchase"][0], cols["first_purchase"][1]).astype(np.int32),
        "frequency": np.where(half, 3, 7).astype(np.int32),
        "monetary": np.where(half, 10.0, 20.0)})
    tcols, tattrs = _load(os.path.join(base, "transactions.h5"), "transactions")
    d = tcols["date"].copy()
    d[130] = 3_000_000  # about year 10183
    bad_files.write(os.path.join(out, "t_date_year_10183.h5"), "transactions", tcols, tattrs,
                    replace={"date": d})
    return facts


def text_files(base, out):
    """CSV / CDNOW text inputs for `cvseg import`."""
    def put(name, text):
        with open(os.path.join(out, name), "w") as f:
            f.write(text)

    good = ("cust_no,last,first,orders,spend\n"
            "101,2024-03-31,2023-01-15,5,120.50\n102,2024-02-28,2022-01-01,1,30\n"
            "103,2024-02-29,2021-07-04,12,1234.5\n104,1999-12-31,1999-01-01,3,-4.25\n")
    put("good.csv", good)
    put("repeated_header.csv", good.replace("first,orders,spend", "first,spend,spend", 1))
    put("repeated_header_unused.csv", good.replace("cust_no,last", "cust_no,cust_no", 1))
    put("empty.csv", "")
    put("header_only.csv", "cust_no,last,first,orders,spend\n")
    put("open_quote.csv", good.replace("102,2024", '102,"2024', 1))
    put("bad_date.csv", good.replace("2024-02-29", "2023-02-29", 1))
    put("date_year_0.csv", good.replace("1999-01-01", "0000-12-31", 1))
    put("bad_number.csv", good.replace("1234.5", "1,234.5", 1).replace("1,234.5", '"1,234.5"'))
    put("int_overflow.csv", good.replace(",12,", ",99999999999,", 1))
    put("field_count.csv", good.replace("102,2024-02-28,2022-01-01,1,30", "102,2024-02-28,1,30"))
    put("binary.csv", "\x00\x01\x02\xff\xfe garbage\n\x00\x00\n")
    put("cdnow_bad_date.txt", "00001 19970101 1 29.33\n00002 19971301 2 11.77\n")
    return {}


def model_files(base, out):
    """Model files for `score --model` and `report --model`."""
    good = os.path.join(base, "good_model.h5")

    def variant(name, edit):
        path = os.path.join(out, name)
        shutil.copy(good, path)
        with h5py.File(path, "a") as f:
            edit(f["model"])

    def no_centroids(g):
        del g["centroids"]

    def nan_centroids(g):
        c = g["centroids"][:]
        c[1, 1] = np.nan
        del g["centroids"]
        g.create_dataset("centroids", data=c)

    def short_centroids(g):
        c = g["centroids"][:]
        del g["centroids"]
        g.create_dataset("centroids", data=c[:-1])

    def label_out_of_range(g):
        lab = g["cluster_label"][:]
        del g["cluster_label"]
        g.create_dataset("cluster_label", data=np.full(lab.shape, 200, dtype=np.uint8))

    def k_zero(g):
        g.attrs["k"] = np.int32(0)

    def wrong_schema(g):
        g.attrs["schema"] = np.bytes_(b"cvseg.results/1")

    for name, edit in [("no_centroids", no_centroids), ("nan_centroids", nan_centroids),
                       ("short_centroids", short_centroids),
                       ("label_out_of_range", label_out_of_range), ("k_zero", k_zero),
                       ("wrong_schema", wrong_schema)]:
        variant(f"model_{name}.h5", edit)
    return {}


def checkpoint_files(base, out):
    """Checkpoints for `train --checkpoint FILE --resume`, from a real one
    (ck.h5 of ck_members.h5, written by cvseg when signalled)."""
    good = os.path.join(base, "ck.h5")
    with open(os.path.join(out, "ck_not_hdf5.h5"), "w") as f:
        f.write("not a checkpoint\n")
    data = open(good, "rb").read()
    with open(os.path.join(out, "ck_truncated.h5"), "wb") as f:
        f.write(data[: len(data) // 2])
    with h5py.File(good, "r") as f, h5py.File(os.path.join(out, "ck_no_group.h5"), "w") as g:
        f.copy("checkpoint", g, name="other")

    def variant(name, edit):
        path = os.path.join(out, name)
        shutil.copy(good, path)
        with h5py.File(path, "a") as f:
            edit(f["checkpoint"])

    def short_centres(g):
        c = g["centres"][:]
        del g["centres"]
        g.create_dataset("centres", data=c[:-1])

    def short_labels(g):
        lab = g["label"][:]
        del g["label"]
        g.create_dataset("label", data=lab[:-7])

    def label_out_of_range(g):
        lab = g["label"][:]
        lab[5] = 99
        del g["label"]
        g.create_dataset("label", data=lab)

    def restart_negative(g):
        g.attrs["restart"] = np.int32(-5)

    variant("ck_short_centres.h5", short_centres)
    variant("ck_short_labels.h5", short_labels)
    variant("ck_label_out_of_range.h5", label_out_of_range)
    variant("ck_restart_negative.h5", restart_negative)
    return {}


GENERATORS = {f.__name__: f for f in (legacy, hdf5_types, values, text_files, model_files,
                                      checkpoint_files)}
