#!/usr/bin/env bash
# CI: fuzzes the committed corpus for FUZZ_SECONDS (default 60). Skips, without failing, when
# this toolchain cannot build a libFuzzer target at all; fails on a crash, a hang (5 s per
# input), a memory blow-up, or a harness that no longer builds. Leaves nothing in the tree.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
seconds="${FUZZ_SECONDS:-60}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Infrastructure check: can this toolchain link a trivial libFuzzer target?
printf '@_cdecl("LLVMFuzzerTestOneInput")\npublic func f(_ d: UnsafePointer<UInt8>, _ n: Int) -> CInt { 0 }\n' \
    > "$work/probe.swift"
if ! swiftc -sanitize=fuzzer -parse-as-library "$work/probe.swift" -o "$work/probe" >"$work/probe.log" 2>&1; then
    echo "fuzz: SKIPPED: this Swift toolchain cannot build with -sanitize=fuzzer (libFuzzer missing):"
    sed 's/^/fuzz:   /' "$work/probe.log" | head -5
    exit 0
fi

echo "fuzz: building the fuzz target"
start=$(date +%s)
if ! binary="$(FUZZ_SCRATCH="${FUZZ_SCRATCH:-$here/.build}" "$here/build.sh")"; then
    echo "fuzz: FAILED: the fuzz harness (Fuzz/Sources) does not build"
    exit 1
fi
echo "fuzz: built in $(( $(date +%s) - start )) s; fuzzing for $seconds s"
mkdir -p "$work/corpus" "$work/artifacts"
# Swift's own crash handler would exit before libFuzzer saves the input (replayed below).
SWIFT_BACKTRACE=enable=no "$binary" "$work/corpus" "$here/corpus" -dict="$here/nnet.dict" -max_len=4096 -timeout=5 \
    -rss_limit_mb=2048 -max_total_time="$seconds" -artifact_prefix="$work/artifacts/" \
    -print_final_stats=1 >"$work/fuzz.log" 2>&1
status=$?
grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec)' "$work/fuzz.log" | sed 's/^/fuzz: /'
if [ $status -ne 0 ]; then
    echo "fuzz: FAILED (exit $status): the fuzzer found an input that crashes, hangs or exhausts memory"
    grep -vE '^#[0-9]+|^(INFO|stat)::?' "$work/fuzz.log" | tail -40
    for input in "$work"/artifacts/*; do
        [ -f "$input" ] || continue
        echo "fuzz: input $(basename "$input") replayed:"
        "$binary" "$input" 2>&1 | grep -E 'Swift runtime failure|^ *[0-9]+ .* in NNetFuzz at /|precondition|Fatal error' | head -20
        echo "fuzz: the input in base64 (decode it into a file, then: Fuzz/run.sh 0 FILE):"
        base64 "$input"
    done
    exit 1
fi
echo "fuzz: ok"
