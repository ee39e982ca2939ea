#!/usr/bin/env bash
# Fuzzes the lexer, parser and checker for SECONDS (default 600), seeded with Fuzz/corpus.
# New inputs go to Fuzz/.corpus (not committed); crashes, hangs (-timeout, seconds per input)
# and memory blow-ups (-rss_limit_mb) are written to Fuzz/artifacts/ and stop the run.
#
#   Fuzz/run.sh [seconds] [libFuzzer flags...]      e.g. Fuzz/run.sh 3600; 0 runs until stopped
#   Fuzz/run.sh 0 Fuzz/artifacts/crash-…            re-run one input, with a Swift backtrace
#
# Folding what a run found back into the committed corpus: see Fuzz/README.md.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
seconds="${1:-600}"
shift || true
binary="$("$here/build.sh")"
mkdir -p "$here/.corpus" "$here/artifacts"
if [ $# -gt 0 ] && [ -f "$1" ]; then exec "$binary" "$@"; fi
# Swift's own crash handler would print a backtrace and exit before libFuzzer saves the input;
# replaying the saved input (above) shows the Swift backtrace.
export SWIFT_BACKTRACE=enable=no
exec "$binary" "$here/.corpus" "$here/corpus" -dict="$here/nnet.dict" -max_len=4096 -timeout=5 \
    -rss_limit_mb=2048 -max_total_time="$seconds" -artifact_prefix="$here/artifacts/" \
    -print_final_stats=1 "$@"
