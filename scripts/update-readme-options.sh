#!/usr/bin/env bash
# Rewrites the option reference in README.md (the lines between
# "<!-- BEGIN GENERATED OPTIONS" and "<!-- END GENERATED OPTIONS -->") with
# the output of `cvseg --help-markdown`, which the engine writes from the same
# option tables as its parser, --help and `man cvseg`. Edit the tables in
# src/app (and the texts in src/app/help_markdown.c), never the block.
#   scripts/update-readme-options.sh [--check] [CVSEG [README]]
#   --check: change nothing; print the difference and exit 1 when the README
#            is not what the tables say (the test options_reference runs this).
# CVSEG defaults to build/cvseg, README to the README.md beside scripts/.
# Running as root needs the Open MPI settings of scripts/env.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
check=0
if [ "${1:-}" = "--check" ]; then
    check=1
    shift
fi
cvseg=${1:-$here/build/cvseg}
readme=${2:-$here/README.md}
begin='<!-- BEGIN GENERATED OPTIONS'
end='<!-- END GENERATED OPTIONS -->'

generated=$(mktemp)
updated=$(mktemp)
trap 'rm -f "$generated" "$updated"' EXIT
if ! "$cvseg" --help-markdown >"$generated"; then
    echo "update-readme-options: '$cvseg --help-markdown' failed" >&2
    exit 2
fi
if [ "$(grep -c -- "^$begin" "$readme")" != 1 ] || [ "$(grep -c -- "^$end\$" "$readme")" != 1 ]; then
    echo "update-readme-options: $readme needs exactly one '$begin ...' and one '$end' line" >&2
    exit 2
fi
# Keep the marker lines, replace what lies between them.
awk -v begin="$begin" -v end="$end" -v file="$generated" '
    index($0, begin) == 1 { print; while ((getline line < file) > 0) print line; skip = 1; next }
    $0 == end { skip = 0 }
    !skip { print }' "$readme" >"$updated"

if cmp -s "$readme" "$updated"; then
    exit 0
fi
if [ "$check" = 1 ]; then
    echo "update-readme-options: $readme differs from the option tables (run scripts/update-readme-options.sh):" >&2
    diff -u "$readme" "$updated" >&2 || true
    exit 1
fi
cat "$updated" >"$readme"
echo "update-readme-options: rewrote the option reference in $readme"
