#!/usr/bin/python3
"""sweep_vs_train.py: one `cvseg sweep --k K1-K2` against one `cvseg train`
per k on the same member table (the Slurm sweep array done serially), same
flags, same ranks and threads. A measurement, not a test.

  bench/sweep_vs_train.py [--members 10000000] [--k 2-12] [--np 2]
                          [--threads 1] [--out bench/results/sweep]

Writes OUT/results.json (machine, commands, wall and CPU seconds summed
over the ranks, the sweep's phases and per-k seconds) and OUT/table.md.
Page cache warm: the member table is written just before (or reused from
OUT/members.h5 when present; it is deleted afterwards unless --keep).
"""
import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CVSEG = os.path.join(os.environ.get("CVSEG_BUILD", os.path.join(ROOT, "build")), "cvseg")
MPI_ENV = {
    "OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
    "OMPI_MCA_rmaps_base_oversubscribe": "1", "OMPI_MCA_pml": "ob1",
    "OMPI_MCA_btl": "self,vader", "HDF5_USE_FILE_LOCKING": "FALSE",
    "OMPI_MCA_hwloc_base_binding_policy": "none",
}


def launch(np_, threads, args):
    env = dict(os.environ, **MPI_ENV, OMP_NUM_THREADS=str(threads))
    cmd = ["mpirun", "-np", str(np_), "--bind-to", "none", "-x", "OMP_NUM_THREADS", CVSEG] + args
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    seconds = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode not in (0, 5):
        sys.exit("failed (%d): %s\n%s" % (done.returncode, " ".join(cmd), done.stderr[-2000:]))
    return {"seconds": seconds, "cpu_seconds": cpu}, " ".join(cmd[cmd.index(CVSEG):])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--members", type=int, default=10_000_000)
    ap.add_argument("--k", default="2-12")
    ap.add_argument("--np", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default=os.path.join(HERE, "results", "sweep"))
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    members = os.path.join(a.out, "members.h5")
    if not os.path.exists(members):
        launch(a.np, a.threads, ["gen", "-q", "--out", members, "--members", str(a.members),
                                 "--clusters", "5", "--seed", "1"])
    flags = ["--in", members, "--transform", "log1p", "--seed", "1", "-q"]
    first, last = (int(v) for v in a.k.split("-"))
    summary = os.path.join(a.out, "sweep_summary.json")
    sweep, sweep_cmd = launch(a.np, a.threads, ["sweep", "--k", a.k, "--out",
                                                  os.path.join(a.out, "sweep.h5"),
                                                  "--summary", summary] + flags)
    trains = []
    for k in range(first, last + 1):
        t, cmd = launch(a.np, a.threads, ["train", "--k", str(k), "--out",
                                          os.path.join(a.out, "results_k.h5"), "--model",
                                          os.path.join(a.out, "model_k.h5")] + flags)
        trains.append(dict(t, k=k))
        print("train k=%d %.2f s wall, %.2f s cpu" % (k, t["seconds"], t["cpu_seconds"]), flush=True)
    for name in ["results_k.h5", "model_k.h5", "sweep.h5"] + ([] if a.keep else ["members.h5"]):
        try:
            os.remove(os.path.join(a.out, name))
        except OSError:
            pass
    with open(summary) as fh:
        sw = json.load(fh)
    train_total = sum(t["seconds"] for t in trains)
    train_cpu = sum(t["cpu_seconds"] for t in trains)
    sweep_s, sweep_cpu = sweep["seconds"], sweep["cpu_seconds"]
    result = {
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                    "load_average_after": os.getloadavg()},
        "members": a.members, "k": a.k, "ranks": a.np, "threads": a.threads,
        "sweep_command": sweep_cmd, "sweep_seconds": sweep_s, "sweep_cpu_seconds": sweep_cpu,
        "sweep_phases": sw["phases"],
        "sweep_per_k": [{"k": r["k"], "seconds": r["seconds"], "iterations": r["iterations"]}
                        for r in sw["sweep"]],
        "recommended_k": sw["recommended_k"],
        "train_runs": trains, "train_total_seconds": train_total,
        "train_total_cpu_seconds": train_cpu,
        "ratio": train_total / sweep_s, "cpu_ratio": train_cpu / sweep_cpu,
    }
    with open(os.path.join(a.out, "results.json"), "w") as fh:
        json.dump(result, fh, indent=2)
    with open(os.path.join(a.out, "table.md"), "w") as fh:
        fh.write("| workload | members | ranks x threads | wall s | CPU s (all ranks) |\n"
                 "|---|---|---|---|---|\n")
        fh.write("| `cvseg sweep --k %s` (one job, one read) | %d | %d x %d | %.1f | %.1f |\n"
                 % (a.k, a.members, a.np, a.threads, sweep_s, sweep_cpu))
        fh.write("| %d x `cvseg train --k K` (one per k) | %d | %d x %d | %.1f | %.1f |\n"
                 % (len(trains), a.members, a.np, a.threads, train_total, train_cpu))
        fh.write("\ntrains / sweep: %.2f x wall, %.2f x CPU; load average after: %s; sweep phases: %s; "
                 "per k: %s\n"
                 % (result["ratio"], result["cpu_ratio"],
                    " ".join("%.1f" % v for v in os.getloadavg()),
                    ", ".join("%s %.2f" % kv for kv in sw["phases"].items()),
                    ", ".join("k%d %.2f s" % (r["k"], r["seconds"]) for r in sw["sweep"])))
    print(open(os.path.join(a.out, "table.md")).read())


if __name__ == "__main__":
    main()
