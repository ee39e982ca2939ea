#!/usr/bin/env bash
# Checks Benchmarks/ratios.py against the raw results committed in Benchmarks/results/: the
# report must reproduce the figures docs/performance.md quotes from them, and reject bad input.
# Run by CI (a few hundred milliseconds; needs python3).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-python3}
failures=0

# expect FILE TEXT: the report on FILE contains the line TEXT (fixed string, leading spaces trimmed).
expect() {
    local file=$1 text=$2
    if ! "$python" "$here/ratios.py" "$here/results/$file" | sed 's/^ *//' | grep -qxF -- "$text"; then
        echo "FAIL $file: no line '$text'"; failures=$((failures + 1))
    fi
}

all=2026-11-25-w1-w6-4-rounds.jsonl
expect "$all" "nnet (2 t) / fastest peer (jax, 2 t): 0.02   bar <= 0.05: met"
expect "$all" "nnet loop 9.3 us/step   bar <= 10 us: met"
expect "$all" "nnet peak RSS 79 MB, leanest peer jax 712 MB: 0.11   bar <= 0.25x and <= 200 MB: met"
expect "$all" "per round: 0.60 0.77 0.67 0.65   (4 of 4 at or under 0.8)"
expect "$all" "per round: 0.62 0.65 0.56 0.67   (4 of 4 at or under 0.75)"
expect "$all" "per round: 0.67 0.98 0.74 0.61   (3 of 4 at or under 0.75)"
expect "$all" "torch  2 thread(s):    3.448   (3.348 3.194 3.548 3.750) | core round trip ns 29/63 61/71 67/317 65/70"
expect 2026-11-25-w5-w6-6-rounds.jsonl "per round: 0.67 0.65 0.74 0.51 0.74 0.71   (6 of 6 at or under 0.75)"
expect 2026-11-25-w3-6-rounds.jsonl "nnet (2 t) / fastest peer (jax, 2 t): 0.67   bar <= 0.8: met"

# Files concatenate: a round's runs are matched by their order, so two files of W5/W6 rounds
# read as twice the rounds.
both=$("$python" "$here/ratios.py" "$here/results/2026-11-25-w5-w6-6-rounds.jsonl" "$here/results/$all" | grep -c "of 10 at or under" || true)
if [ "$both" != 2 ]; then echo "FAIL concatenated files: expected W5 and W6 over 10 rounds"; failures=$((failures + 1)); fi

# Bad input: a clear message and a non-zero exit, never a traceback.
for input in "not json" '{"workload": "w5"}'; do
    if output=$(echo "$input" | "$python" "$here/ratios.py" 2>&1); then
        echo "FAIL input '$input': accepted"; failures=$((failures + 1))
    elif ! grep -q '^ratios.py: ' <<<"$output" || grep -q Traceback <<<"$output"; then
        echo "FAIL input '$input': unclear error: $output"; failures=$((failures + 1))
    fi
done
if "$python" "$here/ratios.py" /nonexistent.jsonl 2>/dev/null; then echo "FAIL missing file accepted"; failures=$((failures + 1)); fi

if [ "$failures" -gt 0 ]; then echo "test_ratios: $failures failure(s)" >&2; exit 1; fi
echo "test_ratios: ok"
