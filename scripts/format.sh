#!/usr/bin/env bash
# Formats every C source and header in place with the checked-in .clang-format.
set -euo pipefail
cd "$(dirname "$0")/.."
find src include tests bench -name '*.[ch]' -print0 | xargs -0 clang-format -i --style=file
