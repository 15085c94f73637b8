#!/usr/bin/env bash
# Packs what the 16-core device machine needs to run bench/run.py --scale
# (Ubuntu 24.04, Open MPI 4.1.6, no parallel HDF5, nothing installable) into
# .device/ (git-ignored): the cvseg binary and the benchmark programs built
# here, and the Debian libraries that machine lacks.
#   bench/device-pack.sh            # after scripts/build.sh
# then, with the device tool: carry [".device"], command "bench/device-run.sh".
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf .device && mkdir -p .device/bench .device/lib
cp build/cvseg .device/
cp build/bench/cvseg_bench_kmeans build/bench/cvseg_bench_floors .device/bench/
for lib in libhdf5_openmpi.so.103 libsz.so.2 libaec.so.0 libjansson.so.4 libgsl.so.27 \
    libgslcblas.so.0; do
    cp -L "/usr/lib/x86_64-linux-gnu/$lib" .device/lib/
done
du -sh .device
