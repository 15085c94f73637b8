#!/usr/bin/env bash
# test_report_html.sh: `cvseg report --format html` and `--sweep`.
#   a. One self-contained file: no scripts, no external references (no
#      http(s) URLs, <link>, <img>, <script>); it parses (python html.parser)
#      with balanced <svg> elements: the radar chart, segment / ABC / cluster
#      share bars, the segment and cluster migration heat maps (after score
#      --previous) and the four sweep curves.
#   b. Headless Chromium (Debian chromium; skipped with exit 77 when it is
#      not installed) renders it: --dump-dom holds the same <svg> elements;
#      a phone-sized screenshot (412 px wide) is not blank and has many
#      distinct colours (python3 + PIL).
#   c. Markdown and text carry the sweep table and the recommended k; the
#      report of a sweep alone works; no input: exit 1; unwritable --out:
#      exit 3 and no file.
#
# Environment (set by ctest): CVSEG, SOURCE_DIR, WORK_DIR, PYTHON.
set -euo pipefail

# shellcheck source=lib.sh
source "${SOURCE_DIR:?}/tests/e2e/lib.sh"
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || skip "chromium not installed (scripts/install-deps.sh installs it as optional)"
need_python PIL
enter_work_dir
export OMP_WAIT_POLICY=PASSIVE
export OMP_NUM_THREADS=1

run 1 gen --out a.h5 --members 20000 --clusters 5 --seed 4 --reference-date 2024-06-30
ran "gen night 1"
run 1 gen --out b.h5 --members 20000 --clusters 5 --seed 4 --reference-date 2024-08-31
ran "gen night 2 (same members, two months later)"
run 2 train -q --in a.h5 --out ra.h5 --model model.h5 --k 5 --transform log1p
ran "train"
run 2 score -q --in b.h5 --model model.h5 --out rb.h5 --previous ra.h5
ran "score --previous"
run 2 sweep -q --in a.h5 --out sweep.h5 --k 2-7 --transform log1p --silhouette-sample 3000
ran "sweep"
run 1 report --results rb.h5 --sweep sweep.h5 --format html --out report.html
ran "report --format html"

# a. self-contained, parses, charts present
if grep -Eiq 'https?://|<script|<link|<img|url\(' report.html; then
    fail "self-contained" "$(grep -Eio 'https?://[^"]*|<script|<link|<img|url\(' report.html | head -n 3)"
else
    pass "self-contained: no scripts, links, images or URLs"
fi
cat >check_html.py <<'PY'
import sys
from html.parser import HTMLParser

class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.svg = 0
        self.depth = 0
        self.labels = []
        self.shapes = 0
    def handle_starttag(self, tag, attrs):
        if tag == "svg":
            self.svg += 1
            self.depth += 1
            self.labels.append(dict(attrs).get("aria-label", ""))
        elif self.depth and tag in ("polygon", "polyline", "rect", "circle"):
            self.shapes += 1
    def handle_endtag(self, tag):
        if tag == "svg":
            self.depth -= 1

p = P()
p.feed(open(sys.argv[1], encoding="utf-8").read())
want = ["radar", "RFM value segments", "ABC classes", "Cluster shares", "Segment migration",
        "Cluster migration", "Elbow", "Calinski", "Silhouette", "Davies"]
missing = [w for w in want if not any(w in label for label in p.labels)]
if p.depth != 0 or missing or p.shapes < 100:
    print("FAIL: svg %d, unclosed %d, shapes %d, missing %s" % (p.svg, p.depth, p.shapes, missing))
    sys.exit(1)
print("%d svg charts, %d shapes" % (p.svg, p.shapes))
PY
if "$PYTHON" check_html.py report.html >check.log 2>&1; then
    pass "charts present: $(tail -n 1 check.log)"
else
    fail "charts present" "$(tail -n 1 check.log)"
fi

# b. Chromium: DOM and a phone-sized screenshot
chrome() { timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --no-first-run --disable-dev-shm-usage "$@" 2>chrome.err; }
if chrome --dump-dom "file://$PWD/report.html" >dom.html; then
    n=$(grep -o '<svg' dom.html | wc -l)
    if [ "$n" -ge 10 ]; then
        pass "chromium DOM: $n <svg> elements"
    else
        fail "chromium DOM" "$n <svg> elements, expected >= 10"
    fi
else
    fail "chromium --dump-dom" "$(tail -n 2 chrome.err)"
fi
if chrome --screenshot="$PWD/phone.png" --window-size=412,2400 "file://$PWD/report.html" >/dev/null &&
    "$PYTHON" - phone.png >png.log 2>&1 <<'PY'
import sys
from PIL import Image, ImageStat
image = Image.open(sys.argv[1]).convert("RGB")
colours = len(image.getcolors(maxcolors=1 << 24))
spread = max(ImageStat.Stat(image).stddev)
print("%dx%d, %d distinct colours, stddev %.1f" % (image.width, image.height, colours, spread))
sys.exit(0 if colours >= 200 and spread > 10 else 1)
PY
then
    pass "phone screenshot not blank: $(tail -n 1 png.log)"
else
    fail "phone screenshot" "$(tail -n 1 png.log 2>/dev/null) $(tail -n 1 chrome.err)"
fi

# c. markdown / text with the sweep, sweep alone, errors
run 1 report --results rb.h5 --sweep sweep.h5 --format markdown
if [ "$rc" = 0 ] && grep -q '^| k | inertia' out.txt && grep -q 'recommended k: ' out.txt; then
    pass "markdown: sweep table and recommended k"
else
    fail "markdown sweep table" "exit $rc"
fi
run 1 report --sweep sweep.h5 --format html --out sweep.html
if [ "$rc" = 0 ] && [ "$(grep -o '<svg' sweep.html | wc -l)" = 4 ]; then
    pass "report of a sweep alone: 4 curves"
else
    fail "report of a sweep alone" "exit $rc"
fi
run 1 report --format html
if [ "$rc" = 1 ] && grep -q -- "--results" err.txt; then pass "no input: exit 1"; else fail "no input" "exit $rc"; fi
run 1 report --results rb.h5 --format html --out no/such/dir/r.html
if [ "$rc" = 3 ] && [ ! -e no/such/dir/r.html ]; then
    pass "unwritable --out: exit 3"
else
    fail "unwritable --out" "exit $rc"
fi
finish
