#!/usr/bin/python3
"""clv_bench.py: `cvseg clv` against its peer (bench/clv_peer.py, the lifetimes
way: pandas summary + scipy fits) and against `cvseg aggregate` on the same
transaction log. Measurements, not tests.

  bench/clv_bench.py [--members N] [--out DIR] [--ranks 1,2] [--work DIR]

The log is drawn from the BG/NBD + Gamma-Gamma models
(tests/e2e/oracle_clv/gen_bgnbd.py, about 3.6 rows per member: 2,800,000
members give 10 M rows), calibration end 2020-12-29 in weeks. For each rank
count: `cvseg aggregate` (reference date = calibration end) and `cvseg clv`
(phases, fit wall and CPU seconds from its summary), one OpenMP thread per
rank; then the peer. Wall seconds and the CPU seconds of the whole command
(user + system, children included) are recorded, since a shared machine's
wall clock says little. Writes DIR/results.json and DIR/table.md.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CVSEG = os.path.join(os.environ.get("CVSEG_BUILD", os.path.join(ROOT, "build")), "cvseg")
GEN = os.path.join(ROOT, "tests", "e2e", "oracle_clv", "gen_bgnbd.py")
PEER = os.path.join(HERE, "clv_peer.py")
CAL_END = "2020-12-29"
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_rmaps_base_oversubscribe="1", OMPI_MCA_pml="ob1", OMPI_MCA_btl="self,vader",
           HDF5_USE_FILE_LOCKING="FALSE", OMP_NUM_THREADS="1")


def timed(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    out = subprocess.run(cmd, env=ENV, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{out.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, out.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--members", type=int, default=2800000)
    ap.add_argument("--out", default=os.path.join(HERE, "results", "clv"))
    ap.add_argument("--ranks", default="1,2")
    ap.add_argument("--work", default="/tmp/cvseg-clv-bench", help="HDF5 files (large) go here")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    os.makedirs(args.work, exist_ok=True)
    log = os.path.join(args.work, f"log_{args.members}.h5")
    if not os.path.exists(log):
        subprocess.run([sys.executable, GEN, log, str(args.members), "11"], check=True)
    import h5py
    with h5py.File(log, "r") as f:
        rows = f["transactions/member_id"].shape[0]
    results = {"members": args.members, "rows": rows, "load_average": os.getloadavg(), "runs": []}
    for np_ in [int(r) for r in args.ranks.split(",")]:
        mpi = ["mpirun", "-np", str(np_), "--bind-to", "none", "-x", "OMP_NUM_THREADS"]
        wall, cpu, _ = timed(mpi + [CVSEG, "aggregate", "-q", "--in", log, "--reference-date", CAL_END,
                                    "--out", os.path.join(args.work, "members.h5")])
        results["runs"].append({"what": "cvseg aggregate", "ranks": np_, "wall": wall, "cpu": cpu})
        summary = os.path.join(args.work, f"clv_np{np_}.json")
        wall, cpu, _ = timed(mpi + [CVSEG, "clv", "-q", "--in", log, "--calibration-end", CAL_END,
                                    "--out", os.path.join(args.work, "clv.h5"), "--summary", summary])
        doc = json.load(open(summary))
        results["runs"].append({"what": "cvseg clv", "ranks": np_, "wall": wall, "cpu": cpu,
                                "phases": doc["phases"],
                                "fit_bgnbd": {k: doc["clv"]["bgnbd"][k] for k in ("seconds", "cpu_seconds", "iterations")},
                                "fit_gamma_gamma": {k: doc["clv"]["gamma_gamma"][k] for k in ("seconds", "cpu_seconds", "iterations")},
                                "tuples": [doc["clv"]["bgnbd_tuples"], doc["clv"]["gamma_gamma_tuples"]],
                                "bgnbd": {k: doc["clv"]["bgnbd"][k] for k in ("r", "alpha", "a", "b", "log_likelihood")},
                                "gamma_gamma": {k: doc["clv"]["gamma_gamma"][k] for k in ("p", "q", "v")}})
    wall, cpu, out = timed(["/usr/bin/python3", PEER, log, CAL_END])
    peer = json.loads(out)
    results["runs"].append({"what": "peer (pandas + scipy)", "ranks": 1, "wall": wall, "cpu": cpu, **peer})
    json.dump(results, open(os.path.join(args.out, "results.json"), "w"), indent=1)
    lines = [f"CLV benchmark: {rows:,} transactions, {args.members:,} members, load average "
             f"{results['load_average'][0]:.1f} (shared 2-core machine)", "",
             "| run | ranks | wall s | CPU s | fit BG/NBD wall / CPU s | fit Gamma-Gamma wall / CPU s |",
             "|---|---|---|---|---|---|"]
    for run in results["runs"]:
        if run["what"] == "cvseg clv":
            fb, fg = run["fit_bgnbd"], run["fit_gamma_gamma"]
            fits = (f"{fb['seconds']:.2f} / {fb['cpu_seconds']:.2f}", f"{fg['seconds']:.2f} / {fg['cpu_seconds']:.2f}")
        elif "times" in run:
            fits = (f"{run['times']['fit_bgnbd']:.2f} / -", f"{run['times']['fit_gamma_gamma']:.2f} / -")
        else:
            fits = ("", "")
        lines.append(f"| {run['what']} | {run['ranks']} | {run['wall']:.2f} | {run['cpu']:.2f} | {fits[0]} | {fits[1]} |")
    open(os.path.join(args.out, "table.md"), "w").write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
