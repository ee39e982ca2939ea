#!/usr/bin/env python3
"""Compares nnet builds (or settings) on one workload, alternating them run after run so that
the machine's changing state (the 2-vCPU fast and slow modes, other load) falls on all of them.

    Benchmarks/compare_builds.py w6_vae 6 old=/tmp/nnet-old new=/tmp/nnet-new
    Benchmarks/compare_builds.py w5_gan 4 one=/tmp/nnet:NNET_THREADS=1 two=/tmp/nnet

Each variant is LABEL=BINARY[:VAR=VALUE,...]. Every round runs each variant once on
Benchmarks/workloads/WORKLOAD.nnet (--threads, default 2) and prints its epoch times with the
cache-line round trip (`nnet bench cores`) measured before and after; at the end, per variant,
the minimum and median over all epochs. Copy the binaries first, so that a rebuild cannot
replace one mid-run.
"""
import argparse, os, re, statistics, subprocess, sys

def round_trip(binary):
    out = subprocess.run([binary, "bench", "cores"], capture_output=True, text=True).stdout
    found = re.findall(r"([0-9.]+) ns", out)
    return float(found[-1]) if found else float("nan")

def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workload")
    parser.add_argument("rounds", type=int)
    parser.add_argument("variants", nargs="+", help="LABEL=BINARY[:VAR=VALUE,...]")
    parser.add_argument("--threads", default="2")
    args = parser.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    program = os.path.join(root, "Benchmarks", "workloads", args.workload + ".nnet")
    variants = []
    for text in args.variants:
        label, _, rest = text.partition("=")
        binary, _, settings = rest.partition(":")
        env = dict(os.environ)
        for setting in filter(None, settings.split(",")):
            key, _, value = setting.partition("=")
            env[key] = value
        variants.append((label, binary, env))
    epochs = {label: [] for label, _, _ in variants}
    for number in range(1, args.rounds + 1):
        for label, binary, env in variants:
            before = round_trip(binary)
            run = subprocess.run([binary, "run", program, "--threads", args.threads],
                                 capture_output=True, text=True, env=env)
            after = round_trip(binary)
            if run.returncode != 0:
                sys.exit(f"{label}: exit {run.returncode}\n{run.stderr}")
            times = [float(t) for t in re.findall(r"epoch \d+/\d+:.*\(([0-9.]+) s", run.stdout)]
            epochs[label] += times
            print(f"round {number} {label:>8}: round trip {before:.0f}/{after:.0f} ns, epochs {times}", flush=True)
    for label, times in epochs.items():
        if times:
            print(f"{args.workload} {label}: {len(times)} epochs, min {min(times):.3f} s, median {statistics.median(times):.3f} s")

if __name__ == "__main__":
    main()
