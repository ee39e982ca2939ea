#!/usr/bin/env bash
# Builds the libFuzzer target (Fuzz/Package.swift) and prints the binary's path.
#
# Debug configuration with -O rather than release: release adds the root package's -Ounchecked,
# which removes the overflow and precondition traps the fuzzer is looking for. Only
# -sanitize=fuzzer by default: the checked code is safe Swift, whose traps need no sanitizer, and
# AddressSanitizer halves the speed; SANITIZERS=fuzzer,address adds it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
flags=(--package-path "$here" -c debug --scratch-path "${FUZZ_SCRATCH:-$here/.build}"
       -Xswiftc -O -Xswiftc "-sanitize=${SANITIZERS:-fuzzer}" -Xswiftc -parse-as-library)
swift build "${flags[@]}" >&2
echo "$(swift build "${flags[@]}" --show-bin-path)/NNetFuzz"
