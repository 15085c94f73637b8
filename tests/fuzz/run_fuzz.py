#!/usr/bin/env python3
"""Builds the libFuzzer harnesses with clang and runs them (ctest: fuzz).

  run_fuzz.py [--seconds-scale X]

1. Configures a second build folder (FUZZ_BUILD_DIR) with CC=clang (CI builds
   with gcc) and builds only fuzz_csv, fuzz_import, fuzz_model, fuzz_checkpoint (ASan +
   UBSan + libFuzzer coverage). Exit 77 (skipped) when clang cannot link
   -fsanitize=fuzzer.
2. Replays every file of tests/fuzz/corpus/HARNESS/ (seeds from real cvseg
   files, and every crash found earlier, kept as a regression case): each
   must run clean.
3. Fuzzes each harness for a fixed time (SECONDS below: 60 s in all) in fork
   mode on a scratch copy of the corpus, continuing after crashes, then
   replays each crash to classify it by its top stack frame: a crash inside
   the HDF5 library on a damaged file (HDF5 1.10's own decoder faults, which
   cvseg cannot prevent) is reported as information; any other crash (in
   cvseg's code) fails the test, printing the input (base64) and the stack.
   Such an input belongs in tests/fuzz/corpus/HARNESS/ once fixed.
"""
import base64
import glob
import os
import re
import shutil
import subprocess
import sys
import time

SECONDS = {"fuzz_csv": 10, "fuzz_import": 15, "fuzz_model": 20, "fuzz_checkpoint": 15}
HERE = os.path.dirname(os.path.abspath(__file__))
# Frames of the sanitizers, libFuzzer and the C library's abort path: the
# crash is attributed to the first frame after them.
SANITIZER_FRAME = re.compile(r"__interceptor_|__asan|__sanitizer|__ubsan|libclang_rt|compiler-rt|fuzzer::|"
                             r" in (malloc|calloc|realloc|free|memcpy|memmove|memset|strlen|raise|abort|"
                             r"__pthread_kill_implementation|pthread_kill)\b|libc\.so\.6\+|"
                             # glibc's string functions (e.g. __memcpy_avx512_unaligned_erms in
                             # sysdeps/): the caller decides whose fault it is
                             r" in __(mem|str)[a-z0-9_]*\b|sysdeps/")


def run_env():
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", "1")
    env["OMPI_MCA_memory"] = "^patcher"
    # HDF5 asks for absurd sizes on damaged headers and checks for NULL; leak
    # checking per input does not work with Open MPI's threads (the asan label
    # covers leaks).
    env["ASAN_OPTIONS"] = "allocator_may_return_null=1:detect_leaks=0:symbolize=1"
    env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
    return env


def build(source, build_dir):
    clang = shutil.which("clang") or shutil.which("clang-14")
    if not clang:
        print("skipped: clang not found")
        sys.exit(77)
    probe = os.path.join(build_dir, "probe")
    os.makedirs(build_dir, exist_ok=True)
    with open(probe + ".c", "w") as f:
        f.write("#include <stdint.h>\n#include <stddef.h>\n"
                "int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n")
    if subprocess.run([clang, "-fsanitize=fuzzer,address,undefined", probe + ".c", "-o", probe],
                      capture_output=True).returncode != 0:
        print("skipped: clang cannot link -fsanitize=fuzzer (libFuzzer missing)")
        sys.exit(77)
    if not os.path.exists(os.path.join(build_dir, "CMakeCache.txt")):
        r = subprocess.run(["cmake", "-S", source, "-B", build_dir, f"-DCMAKE_C_COMPILER={clang}",
                            "-DCMAKE_BUILD_TYPE=Release", "-DCVSEG_SANITIZE=OFF"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit("configure failed:\n" + r.stdout[-2000:] + r.stderr[-2000:])
    r = subprocess.run(["cmake", "--build", build_dir, "-j", "2", "--target"] + list(SECONDS),
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("build failed:\n" + r.stdout[-3000:] + r.stderr[-3000:])


def stack_of(binary, path, env, cwd):
    """Replays one input; returns (exit code, top frame outside the sanitizer, report)."""
    r = subprocess.run(["timeout", "-s", "KILL", "60", binary, "-timeout=20", path], capture_output=True,
                       text=True, env=env, cwd=cwd)
    report = r.stderr
    frames = [ln.strip() for ln in report.splitlines() if re.match(r"\s+#\d+ ", ln)]
    top = next((f for f in frames if not SANITIZER_FRAME.search(f)), "")
    return r.returncode, top, report


def classify(top):
    if re.search(r"libhdf5|\bin H5[A-Za-z_]", top):
        return "hdf5"
    return "cvseg"


def main():
    source = os.environ.get("SOURCE_DIR", os.path.join(HERE, "..", ".."))
    build_dir = os.environ.get("FUZZ_BUILD_DIR", os.path.join(source, "build", "fuzz-clang"))
    work = os.environ.get("FUZZ_WORK_DIR", os.path.join(build_dir, "fuzz-work"))
    scale = float(sys.argv[sys.argv.index("--seconds-scale") + 1]) if "--seconds-scale" in sys.argv else 1.0
    t0 = time.time()
    build(source, build_dir)
    print(f"info built the harnesses with clang in {time.time() - t0:.0f} s", flush=True)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    env = run_env()
    env["TMPDIR"] = work  # the harnesses' input files (a crash leaves one behind)
    failed = 0
    for harness, seconds in SECONDS.items():
        binary = os.path.join(build_dir, "tests", harness)
        corpus = os.path.join(HERE, "corpus", harness)
        scratch, artifacts = os.path.join(work, harness, "corpus"), os.path.join(work, harness, "crashes")
        os.makedirs(scratch)
        os.makedirs(artifacts)
        cases = sorted(glob.glob(os.path.join(corpus, "*")))
        bad = []
        for case in cases:
            code, top, report = stack_of(binary, case, env, work)
            if code != 0:
                bad.append(f"{os.path.basename(case)}: exit {code}, {top}")
        if bad:
            failed += 1
            print(f"FAIL {harness}: corpus replay: " + "; ".join(bad))
        else:
            print(f"ok   {harness}: {len(cases)} corpus files replayed clean")
        log = os.path.join(work, harness, "fuzz.log")
        with open(log, "w") as out:
            subprocess.run(["timeout", "-s", "KILL", str(int(seconds * scale) + 120), binary, "-fork=1",
                            "-ignore_crashes=1", "-ignore_ooms=1", "-ignore_timeouts=1", "-timeout=10",
                            "-rss_limit_mb=2048", f"-max_total_time={int(seconds * scale)}",
                            f"-artifact_prefix={artifacts}/", scratch, corpus],
                           stdout=out, stderr=subprocess.STDOUT, env=env, cwd=work)
        stats = re.findall(r"#(\d+): cov: (\d+)", open(log, errors="replace").read())
        runs, cov = (stats[-1] if stats else ("?", "?"))
        ours, library = [], []
        for crash in sorted(glob.glob(os.path.join(artifacts, "*"))):
            code, top, report = stack_of(binary, crash, env, work)
            if code == 0:
                continue  # did not reproduce alone (e.g. a slow unit)
            kind = classify(top)
            (library if kind == "hdf5" else ours).append((crash, top, report))
        for crash, top, report in library:
            print(f"info {harness}: HDF5 library fault on a damaged file ({os.path.basename(crash)}): {top}")
        for crash, top, report in ours:
            failed += 1
            data = open(crash, "rb").read()
            print(f"FAIL {harness}: crash in cvseg code: {top}\n  input ({len(data)} bytes, base64): "
                  f"{base64.b64encode(data[:4096]).decode()}\n  report:\n"
                  + "\n".join("    " + ln for ln in report.splitlines()
                              if "ERROR" in ln or re.match(r"\s+#\d+ ", ln) or "runtime error" in ln)[:6000])
        if not ours:
            print(f"ok   {harness}: fuzzed {int(seconds * scale)} s, {runs} runs, coverage {cov}, "
                  f"no crash in cvseg code ({len(library)} in the HDF5 library)")
    print(f"{'FAILED' if failed else 'passed'} ({time.time() - t0:.0f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
