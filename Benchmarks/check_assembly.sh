#!/usr/bin/env bash
# Checks the machine code of the hot kernels in a release build of nnet: no call inside them
# except the few they are meant to make, and (on AVX-512 builds) 16-lane zmm arithmetic: the
# FMAs the register tiles are written for, the optimizer updates' vector loops, the Box-Muller's
# packed doubles. Swift's inliner decides by budget: one extra inlined case in the GEMM tile's
# epilogue once left `loadUnaligned` out of line in its k loop, called per 16 floats (W5 epochs
# 1.3 → 4.7-7.9 s). Timing tests would be flaky; the disassembly is exact.
#
#   Benchmarks/check_assembly.sh [path/to/nnet]      (default .build/release/nnet)
set -euo pipefail
binary="${1:-.build/release/nnet}"
command -v objdump >/dev/null || { echo "check_assembly: objdump not found (binutils)" >&2; exit 2; }
[ -x "$binary" ] || { echo "check_assembly: no binary at $binary (swift build -c release)" >&2; exit 2; }

# zmm FMAs are expected when the build targets this CPU (the default) and it has AVX-512.
avx512=0
if [ -z "${NNET_TARGET_CPU:-}" ] && grep -qw avx512f /proc/cpuinfo 2>/dev/null; then avx512=1; fi

failures=0
# check SYMBOL_PATTERN INSTRUCTION_REGEX MINIMUM ALLOWED_CALLS_REGEX [FORBIDDEN_INSTRUCTION_REGEX]
check() {
    local pattern="$1" instruction="$2" minimum="$3" allowed="$4" forbidden="${5:-}"
    local symbol
    symbol=$(nm "$binary" | awk -v p="$pattern" '!found && $3 ~ p { print $3; found = 1 }')
    if [ -z "$symbol" ]; then
        echo "FAIL $pattern: symbol not found"; failures=$((failures + 1)); return
    fi
    local code
    code=$(objdump -d --no-show-raw-insn --disassemble="$symbol" "$binary")
    local calls
    calls=$(grep -E '\scall\s' <<<"$code" | grep -vE "$allowed" || true)
    local count
    count=$(grep -cE "$instruction" <<<"$code" || true)
    local name="${pattern}" unwanted=0
    if [ -n "$forbidden" ]; then unwanted=$(grep -cE "$forbidden" <<<"$code" || true); fi
    if [ -n "$calls" ]; then
        echo "FAIL $name: unexpected calls:"; sed 's/^/    /' <<<"$calls" | cut -c1-160
        failures=$((failures + 1))
    elif [ "$avx512" = 1 ] && [ "$count" -lt "$minimum" ]; then
        echo "FAIL $name: $count instructions matching $instruction, expected at least $minimum"
        failures=$((failures + 1))
    elif [ "$avx512" = 1 ] && [ "$unwanted" -gt 0 ]; then
        echo "FAIL $name: $unwanted instructions matching $forbidden"
        failures=$((failures + 1))
    else
        echo "ok   $name ($count matching $instruction)"
    fi
}

# The GEMM register tiles: 16 (8x32) and 8 (8x16) FMAs per k step; the epilogue may call the
# out-of-line sigmoid/tanh.
fma='vfn?madd[0-9]+ps\s.*%zmm'
arithmetic='v(add|sub|mul|div|fn?madd[0-9]+)ps\s.*%zmm'
check 'NNetKernels0B0O11microKernel5depth' "$fma" 16 'activateOutOfLine'
check 'NNetKernels0B0O15microKernelHalf5depth' "$fma" 8 'activateOutOfLine'
# Optimizer updates: powf for Adam's bias corrections, its own tail call, the final lane sum.
check 'NNetKernels0B0O10adamUpdate7weights.*SitFZ$' "$arithmetic" 12 'powf|adamUpdate.*updateL_|SIMDPsSF6ScalarRpzrlE3sum'
check 'NNetKernels0B0O14momentumUpdate7weights' "$arithmetic" 3 'SIMDPsSF6ScalarRpzrlE3sum'
check 'NNetKernels0B0O9sgdUpdate7weights' "$arithmetic" 2 'SIMDPsSF6ScalarRpzrlE3sum'
# The vector Box-Muller (SIMD4<Double>): packed arithmetic only. Lane-wise selects once made
# LLVM compute the sine and cosine polynomials one lane at a time (scalar "sd" instructions).
check 'NNetRuntime9BoxMullerO7normals4from' 'v(add|sub|mul|div)pd\s.*%ymm' 60 'NO CALL ALLOWED' \
    'v(add|sub|mul|div|fn?madd[0-9]+)sd\s'

if [ "$failures" -gt 0 ]; then
    echo "check_assembly: $failures kernel(s) compiled with unexpected code" >&2
    exit 1
fi
