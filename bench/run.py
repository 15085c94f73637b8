#!/usr/bin/python3
"""cvseg benchmark harness: measurements, not tests.

  bench/run.py [--quick] [--out DIR] [--scaling] [--no-peers]

Runs, side by side in one run on the same data:
  * the K-Means kernel (bench/cvseg_bench_kmeans: in-memory arrays, exact
    fixed-point sums, one packed Allreduce per iteration) for d = 3 and 5,
    k = 8, 1 and 2 threads, np 1 and 2, with the streaming floor (one read of
    the same arrays) measured in the same process;
  * scikit-learn's Lloyd on the same array, same start, same iteration count
    and thread count (OpenBLAS when bench/fetch-openblas.sh has unpacked it;
    the BLAS used is recorded);
  * `cvseg aggregate` on a generated transaction log vs a pandas groupby + qcut
    script on the same file;
  * `cvseg train` end to end (HDF5 members -> model and results) and
    `cvseg score`, with per-phase times (max over ranks) and peak memory per
    rank from the summary, vs the same job as a Python pipeline;
  * with --scaling: strong (fixed N) and weak (N per rank) scaling of the
    K-Means kernel over 1..nproc ranks.
Writes results.jsonl (one JSON line per measurement with the machine, the
command, sizes, ranks, threads, times), table.md and PNG plots into --out.
--quick runs small sizes in well under a minute.
"""
import argparse
import datetime
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BUILD = os.environ.get("CVSEG_BUILD", os.path.join(ROOT, "build"))
CVSEG = os.path.join(BUILD, "cvseg")
KERNEL = os.path.join(BUILD, "bench", "cvseg_bench_kmeans")
FLOORS = os.path.join(BUILD, "bench", "cvseg_bench_floors")
PYTHON = "/usr/bin/python3"
OPENBLAS = os.path.join(HERE, ".openblas", "usr", "lib", "x86_64-linux-gnu", "openblas-pthread")

MPI_ENV = {
    "OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
    "OMPI_MCA_rmaps_base_oversubscribe": "1", "OMPI_MCA_pml": "ob1",
    "OMPI_MCA_btl": "self,vader", "HDF5_USE_FILE_LOCKING": "FALSE",
}


def command_output(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except Exception:
        return ""


def machine():
    cpu = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        memory_gib = int(f.readline().split()[1]) / 2**20
    return {
        "cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(memory_gib, 1),
        "os": platform.platform(),
        "compiler": command_output("cc --version | head -1"),
        "mpi": command_output("mpirun --version | head -1"),
        "hdf5": command_output("h5dump --version"),
    }


def run(cmd, env=None, capture=True, accept=(0,)):
    full_env = dict(os.environ)
    full_env.update(MPI_ENV)
    if env:
        full_env.update(env)
    start = time.perf_counter()
    proc = subprocess.run(cmd, shell=True, env=full_env, capture_output=capture, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode not in accept:
        sys.stderr.write(f"command failed ({proc.returncode}): {cmd}\n{proc.stderr}\n")
        raise SystemExit(1)
    return proc.stdout, seconds


def mpirun(np_, threads, args):
    bind = "--bind-to none" if threads > 1 or np_ > 1 else ""
    return (f"mpirun -np {np_} {bind} -x OMP_NUM_THREADS={threads} -x OMP_WAIT_POLICY=PASSIVE "
            f"{args}")


class Recorder:
    def __init__(self, out_dir, info):
        self.rows = []
        self.info = info
        self.path = os.path.join(out_dir, "results.jsonl")
        open(self.path, "w").close()

    def add(self, row):
        row = dict(row)
        row["machine"] = self.info
        row["when"] = datetime.datetime.utcnow().isoformat() + "Z"
        self.rows.append(row)
        with open(self.path, "a") as f:
            f.write(json.dumps(row) + "\n")
        short = {k: v for k, v in row.items() if k not in ("machine", "command")}
        print(json.dumps(short), flush=True)


def peer_env():
    env = {}
    if os.path.isdir(OPENBLAS):
        env["LD_LIBRARY_PATH"] = OPENBLAS + ":" + os.environ.get("LD_LIBRARY_PATH", "")
    return env


def peer_run(cmd, threads):
    """Runs a Python peer with OpenBLAS (when unpacked) and the given threads."""
    env = dict(os.environ)
    env.update(peer_env())
    env.update({"OMP_NUM_THREADS": str(threads), "OPENBLAS_NUM_THREADS": str(threads)})
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    proc = subprocess.run(cmd, shell=True, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(f"peer failed: {cmd}\n{proc.stderr[-2000:]}\n")
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def kernel_benchmarks(rec, work, n, iterations, repeats, peers):
    for d in (3, 5):
        data = os.path.join(work, f"kmeans_{n}_{d}.f64")
        centres = os.path.join(work, f"centres_{n}_{d}.f64")
        results = {}
        for np_, threads in ((1, 1), (1, 2), (2, 1)):
            extra = f" {centres} {data}" if (np_, threads) == (1, 1) and peers else ""
            cmd = mpirun(np_, threads,
                         f"{KERNEL} {n} {d} 8 {iterations} {repeats}{extra}")
            out, _ = run(cmd)
            row = json.loads(out.strip().splitlines()[-1])
            row["command"] = cmd
            row["members_iterations_per_second"] = n / (row["ms_per_iteration"] / 1e3)
            rec.add(row)
            results[(np_, threads)] = row
        if peers:
            for threads in (1, 2):
                peer = peer_run(f"{PYTHON} {HERE}/peers.py sklearn-lloyd {data} {centres} "
                                f"{n} {d} 8 {iterations} {threads}", threads)
                if peer:
                    best_cvseg = min(r["ms_per_iteration"] for (p, t), r in results.items()
                                     if p * t == threads)
                    peer.update({"workload": "kmeans_peer", "n": n, "d": d, "k": 8,
                                 "cvseg_ms_per_iteration": best_cvseg,
                                 "speedup_vs_peer": peer["ms_per_iteration"] / best_cvseg})
                    rec.add(peer)
            for path in (data, centres):
                if os.path.exists(path):
                    os.remove(path)


def summary_of(path):
    with open(path) as f:
        return json.load(f)


def aggregate_benchmarks(rec, work, transactions, peers, configurations=((1, 1), (2, 1), (1, 2))):
    """cvseg aggregate vs pandas groupby + qcut on one generated log."""
    tx = os.path.join(work, "tx.h5")
    agg = os.path.join(work, "agg.h5")
    run(mpirun(2, 1, f"{CVSEG} gen --out {tx} --members {transactions // 10} "
                     f"--transactions-per-member 10 --seed 5 -q"))
    for np_, threads in configurations:
        summary = os.path.join(work, "agg.json")
        cmd = mpirun(np_, threads, f"{CVSEG} aggregate --in {tx} --out {agg} "
                                   f"--reference-date 2024-12-31 --summary {summary} -q")
        _, seconds = run(cmd)
        s = summary_of(summary)
        rec.add({"workload": "aggregate", "rows": transactions, "members": s["members"],
                 "ranks": np_, "threads": threads, "seconds_whole_command": seconds,
                 "phases": s["phases"], "peak_rss_mb_per_rank": s.get("peak_rss_mb_per_rank"),
                 "command": cmd})
    if peers:
        peer = peer_run(f"{PYTHON} {HERE}/peers.py pandas-rfm {tx} 20088", 1)  # 2024-12-31
        if peer:
            peer.update({"workload": "aggregate_peer", "rows": transactions})
            rec.add(peer)


def pipeline_benchmarks(rec, work, members, transactions, peers):
    aggregate_benchmarks(rec, work, transactions, peers)
    tx = os.path.join(work, "tx.h5")
    agg = os.path.join(work, "agg.h5")
    # train and score end to end on a member table
    m = os.path.join(work, "members.h5")
    run(mpirun(2, 1, f"{CVSEG} gen --out {m} --members {members} --clusters 8 --seed 3 -q"))
    for np_, threads in ((1, 1), (2, 1), (1, 2)):
        summary = os.path.join(work, "train.json")
        cmd = mpirun(np_, threads,
                     f"{CVSEG} train --in {m} --out {work}/r.h5 --model {work}/model.h5 --k 8 "
                     f"--n-init 1 --max-iter 20 --tol 0 --init k-means++ --summary {summary} -q")
        _, seconds = run(cmd, accept=(0, 5))  # exactly 20 iterations: exit 5 is expected
        s = summary_of(summary)
        rec.add({"workload": "train", "members": members, "d": 3, "k": 8, "ranks": np_,
                 "threads": threads, "seconds_whole_command": seconds, "phases": s["phases"],
                 "kmeans_iterations": s["kmeans"]["iterations"],
                 "seconds_per_iteration": s["kmeans"]["seconds_per_iteration"],
                 "peak_rss_mb_per_rank": s.get("peak_rss_mb_per_rank"), "command": cmd})
        summary = os.path.join(work, "score.json")
        cmd = mpirun(np_, threads, f"{CVSEG} score --in {m} --model {work}/model.h5 "
                                   f"--out {work}/s.h5 --summary {summary} -q")
        _, seconds = run(cmd)
        s = summary_of(summary)
        rec.add({"workload": "score", "members": members, "ranks": np_, "threads": threads,
                 "seconds_whole_command": seconds, "phases": s["phases"],
                 "peak_rss_mb_per_rank": s.get("peak_rss_mb_per_rank"), "command": cmd})
    io_floors(rec, work, m, os.path.join(work, "r.h5"))
    # end to end from transactions: aggregate + train in one go
    cmd = (mpirun(2, 1, f"{CVSEG} aggregate --in {tx} --out {agg} --reference-date 2024-12-31 -q")
           + " && " + mpirun(2, 1, f"{CVSEG} train --in {agg} --out {work}/r2.h5 --model "
                                   f"{work}/m2.h5 --k 8 --n-init 1 --max-iter 20 --tol 0 -q"))
    _, seconds = run(cmd, accept=(0, 5))  # 5: stopped at --max-iter 20, as asked
    rec.add({"workload": "end_to_end_transactions", "rows": transactions, "ranks": 2,
             "threads": 1, "seconds_whole_command": seconds, "command": cmd})
    if peers:
        peer = peer_run(f"{PYTHON} {HERE}/peers.py python-pipeline {m} {work}/py.h5 8 20", 2)
        if peer:
            peer.update({"workload": "train_peer", "members": members})
            rec.add(peer)


def io_floors(rec, work, input_path, results_path):
    """The file-system floors in the same run: reading the member table's bytes
    (page cache warm: it was just read by train and score) and writing as many
    bytes as the results file to the same directory, in 64 MiB writes without
    fsync (what dd does)."""
    block = 64 << 20
    started = time.time()
    read_bytes = 0
    with open(input_path, "rb", buffering=0) as f:
        while True:
            chunk = f.read(block)
            if not chunk:
                break
            read_bytes += len(chunk)
    read_seconds = time.time() - started
    write_bytes = os.path.getsize(results_path)
    buffer = bytes(block)
    target = os.path.join(work, "floor.bin")
    started = time.time()
    with open(target, "wb", buffering=0) as f:
        left = write_bytes
        while left > 0:
            left -= f.write(buffer[:min(left, block)])
    write_seconds = time.time() - started
    os.remove(target)
    rec.add({"workload": "io_floor", "read_bytes": read_bytes, "read_seconds": read_seconds,
             "write_bytes": write_bytes, "write_seconds": write_seconds,
             "directory": work})


def floor(np_, args):
    """One cvseg_bench_floors measurement at np_ ranks (its JSON line)."""
    out, _ = run(mpirun(np_, 1, f"{FLOORS} {args}"))
    return json.loads(out.strip().splitlines()[-1])


# Open MPI's mpirun, when a rank exits non-zero, signals the ranks it still
# counts as alive and then sleeps odls_base_sigkill_timeout seconds (default 1)
# before SIGKILL, even when they are already exiting by themselves. A train that
# stops at --max-iter as asked ends with exit 5 by contract, so the same
# command is also timed with that sleep set to 0.
NO_KILL_WAIT = "--mca odls_base_sigkill_timeout 0"


def memory_ratio(peak_mib, partition_bytes):
    """Peak RSS per rank over the bytes of its own partition's inputs and
    outputs (the issue-15 goal: <= 1.2)."""
    return (peak_mib or 0.0) * 2**20 / partition_bytes if partition_bytes else None


def timed(cmd, repeats, accept=(0,)):
    """Best and median wall seconds of `repeats` runs of cmd, and the last run's."""
    runs = [run(cmd, accept=accept)[1] for _ in range(repeats)]
    seconds = sorted(runs)
    return {"best": seconds[0], "median": seconds[len(seconds) // 2], "runs": runs,
            "last": runs[-1]}


def results_write_seconds(cmd):
    """The results file's write time that `cvseg train -v` logs ("write
    0.203 s (results file)"; not in the summary, which is written into that
    file), from one more run of cmd; None when the line is missing."""
    env = dict(os.environ)
    env.update(MPI_ENV)
    proc = subprocess.run(cmd, shell=True, env=env, capture_output=True, text=True)
    found = re.search(r"write\s+([0-9.]+) s \(results file\)", proc.stderr)
    return float(found.group(1)) if found else None


def scale_train(rec, work, members, np_, iterations, repeats):
    """train --k 8 --n-init 1 on gen'd members with its floors (see scale_benchmarks)."""
    m = os.path.join(work, "members.h5")
    results = os.path.join(work, "results.h5")
    run(mpirun(np_, 1, f"{CVSEG} gen --out {m} --members {members} --clusters 8 --seed 3 -q"))
    launch = timed(mpirun(np_, 1, "true"), repeats)
    launch_exit5 = timed(mpirun(np_, 1, "sh -c 'exit 5'"), repeats, accept=(5,))
    summary = os.path.join(work, "train.json")
    args = (f"{CVSEG} train --in {m} --out {results} --model {work}/model.h5 --k 8 "
            f"--n-init 1 --max-iter {iterations} --tol 0 --summary {summary} -q")
    cmd = mpirun(np_, 1, args)
    whole = timed(cmd, repeats, accept=(0, 5))  # exactly `iterations` iterations: exit 5
    whole_no_wait = timed(mpirun(np_, 1, f"{NO_KILL_WAIT} {args}"), repeats, accept=(0, 5))
    s = summary_of(summary)  # of the last run
    phases = s["phases"]
    read_floor = floor(np_, f"read {m}")
    fresh_floor = floor(np_, f"read-fresh {m}")
    write_floor = floor(np_, f"write {work}/floor.bin {os.path.getsize(results)}")
    around = sum(phases.get(p, 0.0) for p in ("moments", "quantiles", "scores", "standardise"))
    write_bound = whole_no_wait["last"] - launch["best"] - sum(phases.values())
    verbose_args = args.removesuffix(" -q") + " -v"
    write_seconds = results_write_seconds(mpirun(np_, 1, f"{NO_KILL_WAIT} {verbose_args}"))
    rec.add({"workload": "scale_train", "members": members, "ranks": np_, "threads": 1,
             "seconds_whole_command": whole["best"], "whole_command": whole,
             "whole_command_no_kill_wait": whole_no_wait,
             "seconds_empty_mpirun": launch["best"],
             "seconds_empty_mpirun_exit5": launch_exit5["best"],
             "phases": phases,
             "kmeans": {k: s["kmeans"].get(k) for k in ("iterations", "seeding_seconds",
                                                        "seconds_per_iteration")},
             "passes_around_kmeans_seconds": around, "write_seconds_upper_bound": write_bound,
             "floor_read": read_floor, "floor_read_fresh": fresh_floor,
             "floor_write": write_floor,
             "read_ratio_to_floor": phases["read"] / read_floor["seconds"],
             "read_ratio_to_fresh_floor": phases["read"] / fresh_floor["seconds"],
             "write_seconds": write_seconds,
             "write_ratio_to_floor": (write_seconds or write_bound) / write_floor["seconds"],
             "write_bound_ratio_to_floor": write_bound / write_floor["seconds"],
             "peak_rss_mb_per_rank": s.get("peak_rss_mb_per_rank"),
             "memory_ratio": memory_ratio(s.get("peak_rss_mb_per_rank"), (
                 os.path.getsize(m) + os.path.getsize(results)
                 + os.path.getsize(f"{work}/model.h5")) / np_),
             "input_bytes": os.path.getsize(m), "results_bytes": os.path.getsize(results),
             "command": cmd, "command_no_kill_wait": mpirun(np_, 1, f"{NO_KILL_WAIT} {args}")})
    return m, launch


def scale_aggregate(rec, work, members, np_, repeats, launch):
    """aggregate of MEMBERS transactions with the Alltoall floor of its volume."""
    tx = os.path.join(work, "tx.h5")
    run(mpirun(np_, 1, f"{CVSEG} gen --out {tx} --members {members // 10} "
                       f"--transactions-per-member 10 --seed 5 -q"))
    summary = os.path.join(work, "agg.json")
    cmd = mpirun(np_, 1, f"{CVSEG} aggregate --in {tx} --out {work}/agg.h5 "
                         f"--reference-date 2024-12-31 --summary {summary} -q")
    whole = timed(cmd, repeats)
    s = summary_of(summary)
    # the exchange moves about one record per row; its volume is taken as the
    # input file's bytes (every column of every row crosses, (P-1)/P of it)
    volume = os.path.getsize(tx)
    alltoall = floor(np_, f"alltoall {volume}")
    rec.add({"workload": "scale_aggregate", "rows": members, "members": s["members"],
             "ranks": np_, "threads": 1, "seconds_whole_command": whole["best"],
             "whole_command": whole, "seconds_empty_mpirun": launch["best"],
             "phases": s["phases"], "floor_alltoall": alltoall,
             "exchange_ratio_to_floor": s["phases"]["exchange"] / alltoall["seconds"],
             "peak_rss_mb_per_rank": s.get("peak_rss_mb_per_rank"),
             "memory_ratio": memory_ratio(s.get("peak_rss_mb_per_rank"),
                                          (volume + os.path.getsize(f"{work}/agg.h5")) / np_),
             "input_bytes": volume, "command": cmd})
    return tx


def scale_peers(rec, work, members_file, tx, members, np_, iterations):
    """The Python a user would write instead, on the same files: h5py + pandas
    groupby for aggregate; h5py + pandas quantiles + scikit-learn KMeans (Lloyd,
    `iterations` iterations, results written) for train; np_ threads each, on
    OpenBLAS when bench/fetch-openblas.sh has unpacked it. Timed as whole
    commands (interpreter start and imports included), like cvseg's."""
    ref = 20088  # aggregate's --reference-date 2024-12-31 in days since 1970-01-01
    for workload, cmd, size in (
            ("aggregate_peer", f"{PYTHON} {HERE}/peers.py pandas-rfm {tx} {ref}",
             {"rows": members}),
            ("train_peer", f"{PYTHON} {HERE}/peers.py python-pipeline {members_file} "
                           f"{work}/py.h5 8 {iterations}", {"members": members})):
        started = time.perf_counter()
        peer = peer_run(cmd, np_)
        if peer:
            peer.update({"workload": workload, "seconds_whole_command":
                         time.perf_counter() - started, "threads": np_, "command": cmd})
            peer.update(size)
            rec.add(peer)


def scale_benchmarks(rec, work, members, np_, iterations, repeats=3, peers=True):
    """The issue-15 case in one run: `gen` MEMBERS members and MEMBERS
    transactions into WORK (use /dev/shm), `train --k 8 --n-init 1` and
    `aggregate` at np_ ranks x 1 thread (best and median of `repeats` whole
    commands), and beside them the floors on the same file system and ranks: a
    parallel read of the member table's bytes (into a reused buffer, and into
    fresh arrays whose pages the read must also populate), a parallel write (+ fsync) of
    as many bytes as the results file, and an MPI_Alltoall of the exchange's
    volume. Each phase is reported as a ratio to its floor. Train's results
    write is not in the summary (the summary is written into the results), so
    it is taken from one more run with -v (results_write_seconds), and also
    reported as the whole command (without mpirun's kill wait, see
    NO_KILL_WAIT) less the phases, less an empty mpirun: an upper bound.
    With peers, the Python peers run on the same files."""
    m, launch = scale_train(rec, work, members, np_, iterations, repeats)
    tx = scale_aggregate(rec, work, members, np_, repeats, launch)
    if peers:
        scale_peers(rec, work, m, tx, members, np_, iterations)
    for path in (m, tx, os.path.join(work, "results.h5"), os.path.join(work, "py.h5")):
        if os.path.exists(path):
            os.remove(path)


def scaling_benchmarks(rec, n_strong, n_weak, iterations):
    cores = os.cpu_count() or 1
    counts = [p for p in (1, 2, 4, 8, 16, 32, 64) if p <= cores]
    for p in counts:
        cmd = mpirun(p, 1, f"{KERNEL} {n_strong} 5 8 {iterations} 3")
        out, _ = run(cmd)
        row = json.loads(out.strip().splitlines()[-1])
        row.update({"workload": "strong_scaling", "command": cmd})
        rec.add(row)
        cmd = mpirun(p, 1, f"{KERNEL} {n_weak * p} 5 8 {iterations} 3")
        out, _ = run(cmd)
        row = json.loads(out.strip().splitlines()[-1])
        row.update({"workload": "weak_scaling", "command": cmd})
        rec.add(row)


def render(rec, out_dir):
    rows = rec.rows
    lines = ["| workload | size | ranks x threads | result | ratio |", "|---|---|---|---|---|"]
    for r in rows:
        w = r.get("workload")
        if w == "kmeans_kernel":
            lines.append(f"| K-Means kernel d={r['d']} k={r['k']} | {r['n']:,} | {r['ranks']} x "
                         f"{r['threads']} | {r['ms_per_iteration']:.1f} ms/iteration "
                         f"(stream floor {r['stream_ms']:.1f} ms) | "
                         f"{r['ratio_to_stream']:.2f} x floor |")
        elif w == "kmeans_peer":
            lines.append(f"| scikit-learn Lloyd d={r['d']} ({r['blas']}) | {r['n']:,} | 1 x "
                         f"{r['threads']} | {r['ms_per_iteration']:.1f} ms/iteration | cvseg "
                         f"{r['speedup_vs_peer']:.2f} x faster |")
        elif w in ("aggregate", "train", "score"):
            size = r.get("rows") or r.get("members")
            lines.append(f"| cvseg {w} | {size:,} | {r['ranks']} x {r['threads']} | "
                         f"{r['seconds_whole_command']:.2f} s whole command; phases "
                         + ", ".join(f"{k} {v:.3f}" for k, v in r["phases"].items())
                         + f"; peak {r.get('peak_rss_mb_per_rank') or 0:.0f} MiB/rank | |")
        elif w == "end_to_end_transactions":
            lines.append(f"| cvseg aggregate + train | {r['rows']:,} transactions | 2 x 1 | "
                         f"{r['seconds_whole_command']:.2f} s | |")
        elif w == "aggregate_peer":
            whole = r.get("seconds_whole_command")
            lines.append(f"| pandas groupby + qcut | {r['rows']:,} | 1 | {r['seconds']:.2f} s"
                         + (f" ({whole:.2f} s whole command)" if whole else "") + " | |")
        elif w == "train_peer":
            whole = r.get("seconds_whole_command")
            lines.append(f"| Python pipeline ({r['blas']}, {r['iterations']} iterations) | "
                         f"{r['members']:,} | 1 x {r.get('threads', 2)} | {r['seconds']:.2f} s"
                         + (f" ({whole:.2f} s whole command)" if whole else "") + " | |")
        elif w == "io_floor":
            lines.append(f"| file-system floor: read the member table | "
                         f"{r['read_bytes'] / 1e6:,.0f} MB | 1 | {r['read_seconds']:.2f} s "
                         f"(page cache warm) | |")
            lines.append(f"| file-system floor: write as many bytes as the results file | "
                         f"{r['write_bytes'] / 1e6:,.0f} MB | 1 | {r['write_seconds']:.2f} s | |")
        elif w == "scale_train":
            p = r["phases"]
            whole, no_wait = r["whole_command"], r["whole_command_no_kill_wait"]
            lines.append(f"| cvseg train (k 8, {r['kmeans']['iterations']} iterations) | "
                         f"{r['members']:,} | {r['ranks']} x 1 | {whole['best']:.2f} s whole "
                         f"command, median {whole['median']:.2f} (exit 5, as asked); "
                         f"{no_wait['best']:.2f} s, median {no_wait['median']:.2f}, with "
                         f"`{NO_KILL_WAIT}`; empty mpirun {r['seconds_empty_mpirun']:.2f} s "
                         f"(exit 5: {r['seconds_empty_mpirun_exit5']:.2f} s); read "
                         f"{p['read']:.2f} s, passes around K-Means "
                         f"{r['passes_around_kmeans_seconds']:.2f} s, K-Means {p['kmeans']:.2f} s, "
                         f"write {r.get('write_seconds') or 0:.2f} s (whole command less the "
                         f"rest: <= {r['write_seconds_upper_bound']:.2f} s); peak "
                         f"{r.get('peak_rss_mb_per_rank') or 0:.0f} MiB/rank "
                         f"({r.get('memory_ratio') or 0:.2f} x its input + output bytes) | read "
                         f"{r['read_ratio_to_floor']:.2f} x floor ({r['floor_read']['seconds']:.2f} s), "
                         f"{r.get('read_ratio_to_fresh_floor') or 0:.2f} x the floor into fresh "
                         f"memory ({(r.get('floor_read_fresh') or {}).get('seconds', 0):.2f} s),"
                         f" write {r['write_ratio_to_floor']:.2f} x floor "
                         f"({r['floor_write']['seconds']:.2f} s) |")
        elif w == "scale_aggregate":
            p = r["phases"]
            whole = r["whole_command"]
            lines.append(f"| cvseg aggregate | {r['rows']:,} rows | {r['ranks']} x 1 | "
                         f"{whole['best']:.2f} s whole command, median {whole['median']:.2f}; "
                         + ", ".join(f"{k} {v:.2f}" for k, v in p.items())
                         + f"; peak {r.get('peak_rss_mb_per_rank') or 0:.0f} MiB/rank "
                         f"({r.get('memory_ratio') or 0:.2f} x its input + output bytes)"
                         + f" | exchange {r['exchange_ratio_to_floor']:.2f} x Alltoall floor "
                         f"({r['floor_alltoall']['seconds']:.2f} s for "
                         f"{r['input_bytes'] / 1e9:.2f} GB) |")
        elif w in ("strong_scaling", "weak_scaling"):
            lines.append(f"| {w.replace('_', ' ')} | {r['n']:,} | {r['ranks']} x 1 | "
                         f"{r['ms_per_iteration']:.1f} ms/iteration | |")
    info = rec.info
    header = (f"Machine: {info['cpu']}, {info['cores']} cores, {info['memory_gib']} GiB; "
              f"{info['compiler']}; {info['mpi']}; {info['hdf5']}. Page cache warm (files "
              f"written just before being read).\n\n")
    with open(os.path.join(out_dir, "table.md"), "w") as f:
        f.write(header + "\n".join(lines) + "\n")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    kernel = [r for r in rows if r.get("workload") == "kmeans_kernel"]
    if kernel:
        fig, ax = plt.subplots(figsize=(7, 4))
        labels = [f"d={r['d']}\n{r['ranks']}x{r['threads']}" for r in kernel]
        ax.bar(labels, [r["ms_per_iteration"] for r in kernel], label="cvseg Lloyd iteration")
        ax.plot(labels, [r["stream_ms"] for r in kernel], "k_", markersize=30,
                label="streaming floor")
        peers = [r for r in rows if r.get("workload") == "kmeans_peer"]
        for p in peers:
            ax.axhline(p["ms_per_iteration"], linestyle=":", linewidth=1)
            ax.text(0, p["ms_per_iteration"], f"sklearn d={p['d']} {p['threads']}t",
                    fontsize=7, va="bottom")
        ax.set_ylabel("ms per iteration")
        ax.set_title(f"K-Means, n = {kernel[0]['n']:,}, k = 8")
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(os.path.join(out_dir, "kmeans.png"), dpi=110)
    phased = [r for r in rows if r.get("workload") in ("train", "score", "aggregate")]
    if phased:
        fig, ax = plt.subplots(figsize=(8, 4))
        names = sorted({k for r in phased for k in r["phases"]})
        bottoms = [0.0] * len(phased)
        labels = [f"{r['workload']}\n{r['ranks']}x{r['threads']}" for r in phased]
        for name in names:
            values = [r["phases"].get(name, 0.0) for r in phased]
            ax.bar(labels, values, bottom=bottoms, label=name)
            bottoms = [b + v for b, v in zip(bottoms, values)]
        ax.set_ylabel("seconds (max over ranks)")
        ax.set_title("time per phase")
        ax.legend(fontsize=7, ncol=3)
        fig.tight_layout()
        fig.savefig(os.path.join(out_dir, "phases.png"), dpi=110)
    for kind in ("strong_scaling", "weak_scaling"):
        pts = [r for r in rows if r.get("workload") == kind]
        if len(pts) > 1:
            fig, ax = plt.subplots(figsize=(5, 4))
            base = pts[0]["ms_per_iteration"]
            ranks = [r["ranks"] for r in pts]
            if kind == "strong_scaling":
                eff = [base / (r["ms_per_iteration"] * r["ranks"]) for r in pts]
            else:
                eff = [base / r["ms_per_iteration"] for r in pts]
            ax.plot(ranks, eff, "o-")
            ax.set_xscale("log", base=2)
            ax.set_ylim(0, 1.1)
            ax.set_xlabel("ranks")
            ax.set_ylabel("parallel efficiency")
            ax.set_title(kind.replace("_", " ") + " (K-Means iteration)")
            fig.tight_layout()
            fig.savefig(os.path.join(out_dir, f"{kind}.png"), dpi=110)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    parser.add_argument("--out", default=os.path.join(HERE, "results", "latest"))
    parser.add_argument("--scaling", action="store_true", help="strong and weak scaling")
    parser.add_argument("--scaling-only", action="store_true")
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--aggregate-rows", type=int, default=0,
                        help="only: aggregate N transactions (np 2) vs pandas")
    parser.add_argument("--scale", type=int, default=0, metavar="MEMBERS",
                        help="only: the 100 M case (train, aggregate and their floors) at "
                             "--ranks ranks in --work (e.g. /dev/shm)")
    parser.add_argument("--ranks", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeats", type=int, default=3,
                        help="with --scale: runs of each whole command (best and median)")
    parser.add_argument("--work", default=None, help="scratch folder (default: a temporary one)")
    args = parser.parse_args()
    for tool in (CVSEG, KERNEL, FLOORS):
        if not os.path.exists(tool):
            sys.exit(f"{tool} missing: build first (scripts/build.sh)")
    os.makedirs(args.out, exist_ok=True)
    rec = Recorder(args.out, machine())
    work = tempfile.mkdtemp(prefix="cvseg-bench-", dir=args.work)
    try:
        if args.quick:
            n, iterations, repeats, members, transactions = 1_000_000, 10, 3, 1_000_000, 2_000_000
        else:
            n, iterations, repeats, members, transactions = 10_000_000, 20, 5, 10_000_000, 10_000_000
        if args.scale:
            scale_benchmarks(rec, work, args.scale, args.ranks, iterations,
                             args.repeats, not args.no_peers)
        elif args.aggregate_rows:
            aggregate_benchmarks(rec, work, args.aggregate_rows, not args.no_peers, ((2, 1),))
        elif not args.scaling_only:
            kernel_benchmarks(rec, work, n, iterations, repeats, not args.no_peers)
            pipeline_benchmarks(rec, work, members, transactions, not args.no_peers)
        if args.scaling or args.scaling_only:
            scaling_benchmarks(rec, 100_000_000 if not args.quick else 4_000_000,
                               10_000_000 if not args.quick else 1_000_000, iterations)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    render(rec, args.out)
    print(f"wrote {args.out}/results.jsonl, table.md and plots")


if __name__ == "__main__":
    main()
