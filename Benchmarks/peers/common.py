"""Shared by the peer scripts (torch_peer.py, keras_peer.py, jax_peer.py): arguments, thread limits,
the same data nnet trains on, timing and the JSON line format.

Each peer script calls `setup()` first: it parses `--workload W --threads N --epochs E` and sets every
thread-count environment variable before any framework is imported. Frameworks are imported only
inside the workload functions, so `import` cost lands in the whole-process time of W1 and nowhere else.

Output: one JSON line per measured quantity,
    {"workload": "w2", "framework": "torch", "threads": 1, "seconds_per_epoch": 3.1,
     "metric": "test_accuracy", "value": 0.85}
"""
import argparse
import gzip
import json
import math
import os
import statistics
import struct
import sys

import numpy as np

FASHION = os.environ.get("FASHION_MNIST", "/usr/share/datasets/fashion-mnist")
WORKLOADS = ("w1", "w2", "w3", "w4", "w5", "w6", "w7")
DEFAULT_EPOCHS = {"w1": 1000, "w2": 5, "w3": 5, "w4": 3, "w5": 3, "w6": 3, "w7": 5}


def setup(framework, description):
    """Parses the arguments and limits threads; returns the namespace (with .framework set)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--workload", required=True, choices=WORKLOADS)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--epochs", type=int, help="epochs (W1: gradient-descent steps); default per workload")
    args = parser.parse_args()
    args.epochs = args.epochs or DEFAULT_EPOCHS[args.workload]
    args.framework = framework
    limit_threads(args.threads)
    return args


def limit_threads(threads):
    """Thread pools that read the environment at load time (OpenMP, MKL, OpenBLAS, Eigen in TF and XLA).
    The frameworks' own APIs are set as well, in each script; run_peers.sh also pins the process to
    `threads` cores with taskset, so no framework can use more than that whatever it does."""
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # may select a slower OpenBLAS kernel here
        os.environ.pop(name, None)
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                 "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"):
        os.environ[name] = str(threads)
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
    os.environ["KERAS_BACKEND"] = "tensorflow"
    os.environ["JAX_PLATFORMS"] = "cpu"
    if threads == 1:
        # The long-standing XLA CPU incantation for one thread (jax-ml/jax#743).
        os.environ["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"


def emit(args, metric, value, seconds_per_epoch=None):
    print(json.dumps({"workload": args.workload, "framework": args.framework, "threads": args.threads,
                      "seconds_per_epoch": seconds_per_epoch, "metric": metric, "value": value}), flush=True)


def median(values):
    return statistics.median(values)


# MARK: - Data


def _read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


def fashion_images():
    """fashion_mnist() with images as [count, 28, 28, 1] (height, width, channels), as nnet's
    idx(..., flatten: false) gives them to a convolutional network."""
    x_train, y_train, x_test, y_test = fashion_mnist()
    return x_train.reshape(-1, 28, 28, 1), y_train, x_test.reshape(-1, 28, 28, 1), y_test


def fashion_mnist():
    """(x_train [60000, 784], y_train [60000], x_test, y_test): pixels / 255 as float32, labels int64,
    as nnet's idx(..., scale: 1/255) gives them."""
    def images(name):
        raw = _read_idx(os.path.join(FASHION, name))
        return (raw.reshape(raw.shape[0], -1).astype(np.float32) * np.float32(1 / 255))

    def labels(name):
        return _read_idx(os.path.join(FASHION, name)).astype(np.int64)

    return (images("train-images-idx3-ubyte.gz"), labels("train-labels-idx1-ubyte.gz"),
            images("t10k-images-idx3-ubyte.gz"), labels("t10k-labels-idx1-ubyte.gz"))


class SeededGenerator:
    """nnet's generator (Sources/NNetRuntime/Random.swift): xoshiro256** seeded by SplitMix64, so the
    peers train on exactly the points `blobs(n: 1000, centers: 2, seed: 1)` gives nnet."""
    MASK = (1 << 64) - 1

    def __init__(self, seed):
        mixer = seed
        words = []
        for _ in range(4):
            mixer = (mixer + 0x9E3779B97F4A7C15) & self.MASK
            z = mixer
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & self.MASK
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & self.MASK
            words.append(z ^ (z >> 31))
        self.s = words

    def next(self):
        s, m = self.s, self.MASK
        rotl = lambda x, k: ((x << k) | (x >> (64 - k))) & m
        result = (rotl((s[1] * 5) & m, 7) * 9) & m
        t = (s[1] << 17) & m
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def uniform(self, low, high):
        unit = np.float32(self.next() >> 40) * np.float32(2.0 ** -24)
        return np.float32(low) + (np.float32(high) - np.float32(low)) * unit

    def normal(self):
        u1 = max((self.next() >> 11) * 2.0 ** -53, sys.float_info.min)
        u2 = (self.next() >> 11) * 2.0 ** -53
        return np.float32(math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * u2))

    def index_below(self, bound):
        """Swift's RandomNumberGenerator.next(upperBound:) (Lemire's multiply-shift, with rejection)."""
        product = self.next() * bound
        if product & self.MASK < bound:
            threshold = ((1 << 64) - bound) % bound
            while product & self.MASK < threshold:
                product = self.next() * bound
        return product >> 64


def blobs(n, centers, seed, features=2, spread=1.0):
    """nnet's Synthetic.blobs, step for step: (x float32 [n, features], y float32 [n, 1] of 0/1...)."""
    random = SeededGenerator(seed)
    centres = []
    for _ in range(centers):
        best, best_distance = None, np.float32(-1)
        for _ in range(32):
            candidate = [random.uniform(-10, 10) for _ in range(features)]
            distance = np.float32(0)
            if centres:
                distance = min(_squared_distance(c, candidate) for c in centres)
            if distance > best_distance:
                best, best_distance = candidate, distance
        centres.append(best)
    labels = [i % centers for i in range(n)]
    for i in range(n - 1, 0, -1):
        j = random.index_below(i + 1)
        labels[i], labels[j] = labels[j], labels[i]
    x = np.array([[centres[label][k] + np.float32(spread) * random.normal() for k in range(features)]
                  for label in labels], dtype=np.float32)
    return x, np.array(labels, dtype=np.float32).reshape(n, 1)


def sine(n, length, noise, seed):
    """nnet's Synthetic.sine, step for step: (x float32 [n, length, 1], y float32 [n, 1]). Each wave
    draws amplitude U(0.5, 1.5), period U(6, max(8, length / 2)) and phase U(0, 1) as float32, then
    its `length` noisy samples (value(t) + noise·N(0, 1)); the target is the clean value(length).
    value(t) = amplitude·float32(sin(2π(t / period + phase))) in double, as Swift computes it."""
    random = SeededGenerator(seed)
    noise = np.float32(noise)
    x = np.empty((n, length, 1), np.float32)
    y = np.empty((n, 1), np.float32)
    for i in range(n):
        amplitude = random.uniform(0.5, 1.5)
        period = float(random.uniform(6, np.float32(max(8, length // 2))))
        phase = float(np.float32(random.next() >> 40) * np.float32(2.0 ** -24))

        def value(t):
            return amplitude * np.float32(math.sin(2 * math.pi * (t / period + phase)))

        for t in range(length):
            x[i, t, 0] = value(t) + noise * random.normal()
        y[i, 0] = value(length)
    return x, y


def _squared_distance(a, b):
    total = np.float32(0)
    for p, q in zip(a, b):
        total = total + (p - q) * (p - q)
    return total


def batches(count, batch, rng):
    """Shuffled index batches of one epoch; the last one is partial, as in nnet (no drop_last)."""
    order = rng.permutation(count)
    return [order[i:i + batch] for i in range(0, count, batch)]
