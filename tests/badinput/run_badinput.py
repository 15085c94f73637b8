#!/usr/bin/env python3
"""Runs the bad-input corpus of tests/badinput/cases.py against the cvseg binary.

  run_badinput.py [--np 1,3] [--only REGEX] [--list]

Environment (set by ctest): CVSEG (the binary), WORK_DIR (private scratch
folder), SOURCE_DIR. For each case and each rank count (np 1 without earlier
outputs, np 3 with earlier outputs at every output path) it checks, under a
watchdog (timeout -s KILL): the exit code of EVERY rank (each rank writes its
own), exactly one "cvseg: error:" line on stderr matching the case's regex and
no other line mentioning an error, and that every file of the case's folder
is unchanged afterwards (no output, no *.tmp.*, earlier outputs and inputs
byte-identical; sha256 of every file, type of special files, target of links).

Cases tagged expected_after (a fix on another branch) are reported as XFAIL
when they fail and XPASS when they pass; neither fails the run. Exit status:
0 when every untagged case passes, 1 otherwise.
"""
import argparse
import contextlib
import glob
import hashlib
import json
import os
import re
import shlex
import shutil
import stat
import string
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from cases import CASES  # noqa: E402

WATCHDOG = 120
OUTPUTS = {"@OUT@": "out/results.h5", "@MODEL@": "out/model.h5", "@SUMMARY@": "out/summary.json",
           "@MEMBERS@": "out/members.h5"}
EARLIER = {"@OUT@": "good_results.h5", "@MODEL@": "good_model.h5", "@SUMMARY@": "good_summary.json",
           "@MEMBERS@": "members.h5"}
RANK_WRAPPER = """#!/bin/sh
"$@"
rc=$?
echo $rc > "$RANK_DIR/rc.${OMPI_COMM_WORLD_RANK:-0}"
exit $rc
"""


def mpirun(np_, args, cwd, rank_dir, log_prefix, env):
    """Runs cvseg ARGS on np_ ranks in cwd; each rank writes its exit code to
    rank_dir/rc.RANK. Returns (rank codes, stderr, wall)."""
    shutil.rmtree(rank_dir, ignore_errors=True)
    os.makedirs(rank_dir)
    env = dict(env, RANK_DIR=rank_dir)
    cmd = ["timeout", "-s", "KILL", str(WATCHDOG), "mpirun", "-np", str(np_), "--oversubscribe",
           "--bind-to", "none", "--mca", "orte_abort_on_non_zero_status", "0", "-x", "RANK_DIR",
           "-x", "OMP_NUM_THREADS", env["RANK_WRAPPER"], env["CVSEG"]] + args
    t0 = time.time()
    with open(log_prefix + ".out", "wb") as out, open(log_prefix + ".err", "wb") as err:
        p = subprocess.run(cmd, cwd=cwd, stdout=out, stderr=err, env=env)
    wall = time.time() - t0
    codes = []
    for r in range(np_):
        try:
            codes.append(open(os.path.join(rank_dir, f"rc.{r}")).read().strip())
        except OSError:
            codes.append("killed" if p.returncode in (124, 137, -9) else f"missing(mpirun {p.returncode})")
    return codes, open(log_prefix + ".err", errors="replace").read(), wall


def snapshot(folder):
    """name -> description of every entry below folder (not following links)."""
    result = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = os.path.join(root, name)
            rel = os.path.relpath(path, folder)
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                result[rel] = "link -> " + os.readlink(path)
            elif stat.S_ISREG(st.st_mode):
                result[rel] = "file " + hashlib.sha256(open(path, "rb").read()).hexdigest()[:16]
            elif stat.S_ISDIR(st.st_mode):
                result[rel] = "dir"
            else:
                result[rel] = f"special {stat.S_IFMT(st.st_mode):o}"
    return result


def setup_steps(case_dir, steps, mounts):
    """Runs the case's setup steps; returns a reason string when it must be skipped."""
    for step in filter(None, (s.strip() for s in steps.split(";"))):
        words = step.split()
        path = os.path.join(case_dir, words[1] if words[0] != "tmpfs" else words[2])
        if words[0] == "mkfifo":
            os.mkfifo(path)
        elif words[0] == "mkdir":
            os.makedirs(path, exist_ok=True)
        elif words[0] == "symlink":
            os.symlink(words[2], path)
        elif words[0] == "hardlink":
            os.link(os.path.join(case_dir, words[2]), path)
        elif words[0] == "mknod":
            try:
                os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(int(words[2]), int(words[3])))
            except OSError as e:
                return f"cannot make a device node here: {e}"
        elif words[0] == "tmpfs":
            os.makedirs(path, exist_ok=True)
            r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={words[1]}", "tmpfs", path],
                               capture_output=True, text=True)
            if r.returncode != 0:
                return "cannot mount a tmpfs here: " + r.stderr.strip()
            mounts.append(path)
        else:
            raise ValueError(f"unknown setup step {step!r}")
    return None


def check_exact_moments(case_dir, args):
    """After exit 0: the summary's monetary mean and sd equal the exact values."""
    import h5py
    from fractions import Fraction
    src = os.path.join(case_dir, args[args.index("--in") + 1])
    m = h5py.File(src, "r")["members/monetary"][:]
    summary = json.load(open(os.path.join(case_dir, OUTPUTS["@SUMMARY@"])))
    stats = summary["statistics"]["monetary"]
    exact = [Fraction(float(x)) for x in m]
    mean = sum(exact) / len(exact)
    var = sum((x - mean) ** 2 for x in exact) / len(exact)
    sd = float(var) ** 0.5 if float(var) != float("inf") else float("inf")
    problems = []
    if not abs(stats["mean"] - float(mean)) <= 1e-12 * abs(float(mean)):
        problems.append(f"mean {stats['mean']!r}, exact {float(mean)!r}")
    if not abs(stats["sd"] - sd) <= 1e-9 * sd:
        problems.append(f"sd {stats['sd']!r}, exact {sd!r}")
    return "; ".join(problems)


def check_k_clusters_150(case_dir, args):
    summary = json.load(open(os.path.join(case_dir, OUTPUTS["@SUMMARY@"])))
    k = summary["kmeans"]["k"]
    return "" if k == 150 else f"kmeans.k = {k}"


# Runs that name files outside their folder (absolute paths) run one at a time,
# so that one run's temporaries beside those files are not taken for another's.
import threading  # noqa: E402
OUTSIDE_LOCK = threading.Lock()

CHECKS = {"exact_moments": check_exact_moments, "k_clusters_150": check_k_clusters_150}


def prepare_case(case, np_, preserve, work, corpus):
    """Makes the case's folder: inputs copied, setup steps run, earlier outputs
    placed (preserve). Returns (folder, cvseg arguments, mounts, skip reason)."""
    cid, command, options = case[0], case[3], (case[6] if len(case) > 6 else {})
    case_dir = os.path.join(work, "cases", cid, f"np{np_}")
    if os.path.exists(case_dir):
        shutil.rmtree(case_dir)
    os.makedirs(os.path.join(case_dir, "out"))
    args = shlex.split(command)
    for i, word in enumerate(args):
        if word in OUTPUTS:
            args[i] = OUTPUTS[word]
        elif "/" not in word and os.path.isfile(os.path.join(corpus, word)):
            shutil.copy(os.path.join(corpus, word), os.path.join(case_dir, word))
    mounts = []
    skip = setup_steps(case_dir, options.get("setup", ""), mounts)
    if preserve and not skip:
        for placeholder, path in OUTPUTS.items():
            if placeholder in command and not os.path.lexists(os.path.join(case_dir, path)):
                shutil.copy(os.path.join(corpus, EARLIER[placeholder]), os.path.join(case_dir, path))
    return case_dir, args, mounts, skip


def judge(case, facts, rank_codes, err, stdout, before, after, leftovers):
    """The problems of one run (empty when it behaved) and its error line."""
    command, codes, regex = case[3], case[4], case[5]
    problems = []
    if any(c == "killed" for c in rank_codes):
        problems.append(f"watchdog: killed after {WATCHDOG} s (hang)")
    if any(c not in codes.split("|") for c in rank_codes) or len(set(rank_codes)) != 1:
        problems.append(f"rank exit codes {' '.join(rank_codes)}, expected {codes} on every rank")
    lines = [ln for ln in err.splitlines() if "cvseg: error:" in ln]
    code, first = rank_codes[0], (lines[0] if lines else "")
    if code != "0":
        pattern = string.Template(regex).safe_substitute(facts)
        if len(lines) != 1:
            problems.append(f"{len(lines)} 'cvseg: error:' lines")
        elif not re.search(pattern, first):
            problems.append(f"message does not match /{pattern}/")
        others = [ln for ln in err.splitlines() if re.search("error", ln, re.I) and ln not in lines]
        if others:
            problems.append("other error output: " + " | ".join(others[:2]))
        if command.startswith("report") and stdout.strip():
            problems.append("report printed to stdout: " + stdout[:100])
    outputs = {OUTPUTS[p] for p in OUTPUTS if p in command}
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k)
                     and not (code == "0" and (k in outputs or k == "out")))
    if changed:
        problems.append("files created or changed: " + ", ".join(
            f"{k} ({before.get(k, 'absent')} -> {after.get(k, 'absent')})" for k in changed[:4]))
    if leftovers:
        problems.append(f"temporaries left: {', '.join(leftovers)}")
    return problems, first


def run_case(case, np_, preserve, work, corpus, facts, env):
    """Runs one case once. Returns (problems list, first error line, skip reason)."""
    options = case[6] if len(case) > 6 else {}
    case_dir, args, mounts, skip = prepare_case(case, np_, preserve, work, corpus)
    try:
        if skip:
            return [], "", skip
        before = snapshot(case_dir)
        log = os.path.join(work, "logs", f"{case[0]}.np{np_}")
        outside = any(word.startswith("/") for word in args)
        with OUTSIDE_LOCK if outside else contextlib.nullcontext():
            rank_codes, err, _ = mpirun(np_, args, case_dir, os.path.join(work, "ranks", f"{case[0]}.np{np_}"),
                                        log, env)
            after = snapshot(case_dir)
            leftovers = [t for word in args if word.startswith("/") for t in glob.glob(word + ".tmp.*")]
            for t in leftovers:
                os.remove(t)
        problems, first = judge(case, facts, rank_codes, err, open(log + ".out", errors="replace").read(),
                                before, after, leftovers)
        if rank_codes[0] == "0" and options.get("check") and not problems:
            try:
                result = CHECKS[options["check"]](case_dir, args)
            except Exception as e:  # a missing key is a failed check, not a crash
                result = f"{type(e).__name__}: {e}"
            if result:
                problems.append("check " + options["check"] + ": " + result)
        if problems:
            problems.append("stderr: " + " | ".join(err.strip().splitlines()[-3:])[:400])
        return problems, first, None
    finally:
        for m in mounts:
            subprocess.run(["umount", "-l", m], capture_output=True)


def build_base(base, env):
    """The good files every case starts from, made by cvseg itself."""
    def cv(np_, *args):
        r = subprocess.run(["timeout", "-s", "KILL", str(WATCHDOG), "mpirun", "-np", str(np_),
                            "--oversubscribe", "--bind-to", "none", env["CVSEG"], args[0], "-q"]
                           + list(args[1:]),
                           cwd=base, env=env, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"setup failed: cvseg {' '.join(args)}: exit {r.returncode}: {r.stderr[-500:]}")
    cv(1, "gen", "--out", "members.h5", "--members", "200", "--seed", "4")
    cv(1, "gen", "--out", "transactions.h5", "--members", "50", "--transactions-per-member", "3", "--seed", "4")
    cv(1, "train", "--in", "members.h5", "--out", "good_results.h5", "--model", "good_model.h5", "--k", "3",
       "--summary", "good_summary.json")
    cv(1, "train", "--in", "members.h5", "--out", "fm_results.h5", "--model", "model_fm.h5", "--k", "3",
       "--features", "frequency,monetary")
    cv(2, "gen", "--out", "big_members.h5", "--members", "20000", "--seed", "5")
    cv(2, "gen", "--out", "ck_members.h5", "--members", "20000", "--clusters", "6", "--seed", "8")
    make_checkpoint(base, env)


def make_checkpoint(base, env):
    """A real checkpoint: train --checkpoint-interval 0 writes one every iteration
    (renamed into place, so a copy is complete); keep one with labels."""
    import h5py
    from cases import CKSET
    for attempt in range(3):
        ck = os.path.join(base, "ck_live.h5")
        p = subprocess.Popen([env["CVSEG"], "train", "-q", "--in", "ck_members.h5", "--out", "ck_results.h5",
                              "--model", "ck_model.h5"] + CKSET.split()
                             + ["--checkpoint", "ck_live.h5", "--checkpoint-interval", "0"],
                             cwd=base, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        got = False
        deadline = time.time() + WATCHDOG
        while p.poll() is None and time.time() < deadline and not got:
            try:
                with open(ck, "rb") as f:  # the inode stays whole even if renamed over
                    data = f.read()
                tmp = os.path.join(base, "ck_try.h5")
                open(tmp, "wb").write(data)
                with h5py.File(tmp, "r") as h:
                    if int(h["checkpoint"].attrs["iteration"]) > 2:
                        os.replace(tmp, os.path.join(base, "ck.h5"))
                        got = True
            except (OSError, KeyError):
                time.sleep(0.005)
        p.wait(timeout=WATCHDOG)
        if got:
            return
    sys.exit("setup failed: could not capture a checkpoint with labels")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--np", default="1,3")
    ap.add_argument("--only", default="")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--jobs", type=int, default=2, help="runs at a time (default 2)")
    opts = ap.parse_args()
    if opts.list:
        for c in CASES:
            tag = (c[6] if len(c) > 6 else {}).get("expected_after", "")
            print(f"{c[0]:50s} {c[1]:13s} exit {c[4]:4s} {tag}")
        return 0
    try:
        import h5py  # noqa: F401  (the corpus generators need it)
        import numpy  # noqa: F401
    except ImportError:
        print(f"skipped: {sys.executable} lacks h5py/numpy")
        return 77
    ids = [c[0] for c in CASES]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        sys.exit(f"duplicate case ids: {dup}")
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", "1")
    work = env["WORK_DIR"]
    shutil.rmtree(work, ignore_errors=True)
    base, corpus = os.path.join(work, "base"), os.path.join(work, "corpus")
    for d in (base, corpus, os.path.join(work, "logs"), os.path.join(work, "ranks")):
        os.makedirs(d)
    env["RANK_WRAPPER"] = os.path.join(work, "rankrc.sh")
    with open(env["RANK_WRAPPER"], "w") as f:
        f.write(RANK_WRAPPER)
    os.chmod(env["RANK_WRAPPER"], 0o755)
    t0 = time.time()
    build_base(base, env)
    import corpus as gen
    facts = {}
    for name in base_files(base):
        shutil.copy(os.path.join(base, name), os.path.join(corpus, name))
    for name, fn in gen.GENERATORS.items():
        facts.update(fn(base, corpus) or {})
    print(f"info corpus: {len(os.listdir(corpus))} files, setup {time.time() - t0:.1f} s", flush=True)
    nps = [int(x) for x in opts.np.split(",")]
    counts = {"PASS": 0, "FAIL": 0, "XFAIL": 0, "XPASS": 0, "SKIP": 0}
    by_category = {}
    runs = []
    for case in CASES:
        if opts.only and not re.search(opts.only, case[0]):
            continue
        by_category[case[1]] = by_category.get(case[1], 0) + 1
        for np_ in (case[6] if len(case) > 6 else {}).get("np", nps):
            runs.append((case, np_))
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=max(1, opts.jobs)) as pool:
        futures = [pool.submit(run_case, case, np_, np_ != 1, work, corpus, facts, env) for case, np_ in runs]
        for (case, np_), future in zip(runs, futures):
            problems, first, skip = future.result()
            preserve = np_ != 1
            tag = (case[6] if len(case) > 6 else {}).get("expected_after")
            label = f"{case[0]} [np {np_}{', earlier outputs' if preserve else ''}]"
            if skip:
                verdict = "SKIP"
            elif problems:
                verdict = "XFAIL" if tag else "FAIL"
            else:
                verdict = "XPASS" if tag else "PASS"
            counts[verdict] += 1
            detail = skip or (first.replace("cvseg: error: ", "") if not problems else "; ".join(problems))
            suffix = f" (expected after {tag})" if tag else ""
            print(f"{verdict:5s} {label}{suffix}: exit {case[4]}: {detail}", flush=True)
    print(f"info {sum(by_category.values())} cases in {len(by_category)} categories: "
          + ", ".join(f"{k} {v}" for k, v in by_category.items()))
    print(f"{counts['PASS']} passed, {counts['FAIL']} failed, {counts['XFAIL']} xfail, "
          f"{counts['XPASS']} xpass, {counts['SKIP']} skipped ({time.time() - t0:.0f} s)")
    return 1 if counts["FAIL"] else 0


def base_files(base):
    return [n for n in os.listdir(base) if n.endswith((".h5", ".json")) and not n.startswith("ck_try")]


if __name__ == "__main__":
    sys.exit(main())
