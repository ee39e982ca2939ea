#!/usr/bin/env python3
"""NumPy (OpenBLAS) sgemm throughput, the peer for `nnet bench gemm`.

Prints one JSON line per shape and thread count:
    {"m": .., "n": .., "k": .., "transA": false, "transB": false, "threads": 1, "gflops": ..}
GFLOP/s = 2mnk / median time of 7 samples (each >= ~20 ms of back-to-back calls), after a warm-up,
the same protocol as GEMMBenchmark.run. Operands are float32 uniform in [-1, 1]; transposed operands
are stored transposed and passed as views (.T), so OpenBLAS sees the same layout nnet does.

Threads: set before NumPy loads (OPENBLAS_NUM_THREADS), so each thread count runs in its own
process. OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE may be set on the benchmark machine and pick a slower
kernel; run as
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3 Benchmarks/peers/gemm_numpy.py
Options: --threads 1,2   --shapes 256,512,1024,2048,seed   (seed = the seed models' shapes)
         --shape M,N,K[,TA,TB]  (one shape; TA/TB are 0 or 1)
"""
import argparse
import json
import os
import subprocess
import sys
import time

SQUARE = [256, 512, 1024, 2048]
# (m, n, k, transA, transB): the seed models' dense layers, forward (X·W), weight gradient
# (Xᵀ·dY) and input gradient (dY·Wᵀ).
SEED = [
    (32, 32, 784, False, False), (128, 512, 784, False, False), (128, 256, 512, False, False),
    (784, 32, 32, True, False), (784, 512, 128, True, False), (512, 256, 128, True, False),
    (32, 784, 32, False, True), (128, 784, 512, False, True), (128, 512, 256, False, True),
]


def measure(m, n, k, trans_a, trans_b):
    import numpy as np
    rng = np.random.default_rng(12345)
    a = rng.uniform(-1, 1, (k, m) if trans_a else (m, k)).astype(np.float32)
    b = rng.uniform(-1, 1, (n, k) if trans_b else (k, n)).astype(np.float32)
    a = a.T if trans_a else a
    b = b.T if trans_b else b
    c = np.empty((m, n), np.float32)

    def sample(count):
        start = time.perf_counter()
        for _ in range(count):
            np.matmul(a, b, out=c)
        return time.perf_counter() - start

    warm = sample(10) / 10
    count = max(10, int(0.02 / max(warm, 1e-9)))
    times = sorted(sample(count) / count for _ in range(7))
    return 2.0 * m * n * k / times[len(times) // 2] / 1e9


def shapes_from(spec):
    result = []
    for item in spec.split(","):
        if item == "seed":
            result += SEED
        elif item:
            size = int(item)
            result.append((size, size, size, False, False))
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--shapes", default="256,512,1024,2048,seed")
    parser.add_argument("--shape", help="M,N,K[,TA,TB]")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.shape:
        parts = [int(x) for x in args.shape.split(",")] + [0, 0]
        shapes = [(parts[0], parts[1], parts[2], bool(parts[3]), bool(parts[4]))]
    else:
        shapes = shapes_from(args.shapes)
    if args.worker:
        threads = int(os.environ["OPENBLAS_NUM_THREADS"])
        for m, n, k, ta, tb in shapes:
            print(json.dumps({"m": m, "n": n, "k": k, "transA": ta, "transB": tb, "threads": threads,
                              "gflops": round(measure(m, n, k, ta, tb), 1)}), flush=True)
        return
    for threads in [int(t) for t in args.threads.split(",")]:
        env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
        command = [sys.executable, __file__, "--worker"]
        command += ["--shape", args.shape] if args.shape else ["--shapes", args.shapes]
        subprocess.run(command, env=env, check=True)


if __name__ == "__main__":
    main()
