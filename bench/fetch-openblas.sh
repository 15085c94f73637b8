#!/usr/bin/env bash
# Unpacks Debian's OpenBLAS (pthread build) into bench/.openblas/ without
# installing it system-wide, so the scikit-learn peers run on OpenBLAS rather
# than the slow reference BLAS that Debian's numpy uses by default.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p .openblas && cd .openblas
if [ ! -d usr/lib/x86_64-linux-gnu/openblas-pthread ]; then
    apt-get download libopenblas0-pthread
    dpkg -x libopenblas0-pthread_*.deb .
fi
ls -d "$PWD/usr/lib/x86_64-linux-gnu/openblas-pthread"
