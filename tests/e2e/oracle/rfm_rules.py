"""The RFM rules and check reporting shared by rfm_oracle.py and score_oracle.py.

Independent of cvseg (numpy/h5py only), written from the README's rules:
  score: F, M score = 1 + number of edges strictly below the value; R score =
    5 - number of R edges strictly below R (5 = most recent);
  quintile edge k (k = 1..4) = the value at ascending position ceil(k*N/5);
  segment: (R high, F high, M high) -> one of eight names;
  ABC: A = M >= cut A, B = M >= cut B and not A, else C;
  value matrix: quality (frequent, big), spender (not frequent, big),
    frequent (frequent, not big), uncertain.
Checks print "ok   NAME" or "FAIL NAME: DETAIL"; failures() counts the FAIL lines.
"""
import h5py
import numpy as np

SEGMENTS = {  # (R high, F high, M high) -> name
    (True, True, True): "important_value",
    (True, False, True): "important_develop",
    (False, True, True): "important_keep",
    (False, False, True): "important_retain",
    (True, True, False): "general_value",
    (True, False, False): "general_develop",
    (False, True, False): "general_keep",
    (False, False, False): "general_retain",
}

_counts = {"passed": 0, "failed": 0}


def report(name, ok, detail=""):
    """Prints one check line and counts it."""
    if ok:
        print(f"ok   {name}")
        _counts["passed"] += 1
    else:
        print(f"FAIL {name}: {detail}")
        _counts["failed"] += 1


def report_equal(name, ids, got, want, context=None):
    """One check: got == want for every member (arrays of N); on a failure the
    detail names the first member that differs (ids) and context(i), if given."""
    bad = np.flatnonzero(got != want)
    detail = ""
    if len(bad):
        i = bad[0]
        extra = f" ({context(i)})" if context else ""
        detail = f"{len(bad)} differ, e.g. member {ids[i]}{extra}: cvseg {got[i]}, oracle {want[i]}"
    report(name, len(bad) == 0, detail)


def failures():
    """The number of failed checks reported so far."""
    return _counts["failed"]


def enum_names(dataset):
    """The names of an HDF5 enum dataset's values (object array), or None if not an enum."""
    mapping = h5py.check_enum_dtype(dataset.dtype)
    if mapping is None:
        return None
    inverse = {v: k for k, v in mapping.items()}
    return np.array([inverse[int(c)] for c in dataset[:]], dtype=object)


def exact_edges(values):
    """The four quintile edges: the values at ascending positions ceil(k*N/5), k = 1..4."""
    s = np.sort(values)
    n = len(s)
    return np.array([s[-(-k * n // 5) - 1] for k in range(1, 5)])  # ceil(k*n/5), 1-based


def edges_below(x, edges):
    """For each value of x (N), how many of the edges lie strictly below it."""
    return (x[:, None] > edges[None, :]).sum(axis=1)


def segments(r_high, f_high, m_high):
    """The segment name of each member (object array) from three boolean arrays."""
    return np.array([SEGMENTS[k] for k in zip(r_high, f_high, m_high)], dtype=object)


def abc_classes(monetary, cut_a, cut_b):
    """"A" where monetary >= cut_a, else "B" where >= cut_b, else "C"."""
    return np.where(monetary >= cut_a, "A", np.where(monetary >= cut_b, "B", "C"))


def value_matrix(frequent, big):
    """The value-matrix cell of each member from two boolean arrays."""
    return np.select([frequent & big, ~frequent & big, frequent & ~big], ["quality", "spender", "frequent"],
                     "uncertain")
