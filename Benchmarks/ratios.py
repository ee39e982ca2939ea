"""Prints nnet's ratios to its fastest peer, and the bars they are held to, from run_peers.sh's JSON lines.

    Benchmarks/ratios.py [RESULTS.jsonl ...]     (no file: standard input)

run_peers.sh calls this at the end of every run. Each framework's figure on a workload is the median
over rounds of its per-run figure (a run's median s/epoch) at its best thread count; the ratio is
nnet's figure over the fastest peer's. With several rounds (`run_peers.sh --rounds N`), each round
also gets its own ratio, nnet's run against the fastest peer's run of the same round (run next to it
in time): on a machine whose speed drifts, how many rounds hold says more than one number.
A run's k-th line for a given metric belongs to round k, so files of single rounds can be concatenated.
"""
import json
import statistics
import sys
from collections import defaultdict

NAMES = {"w1": "W1 logistic regression", "w2": "W2 MLP 784-32-10 b32", "w3": "W3 MLP 784-512-256-10 b128",
         "w4": "W4 CNN b64", "w5": "W5 seed GAN b128", "w6": "W6 MLP VAE b128", "w7": "W7 LSTM(64) b32"}
# nnet / fastest peer on seconds per epoch (W1: whole process), from the issues' bars.
TIME_RATIO_BARS = {"w1": 0.05, "w2": 0.5, "w3": 0.8, "w4": 0.8, "w5": 0.75, "w6": 0.75, "w7": 0.5}
W1_PROCESS_SECONDS_BAR, W1_LOOP_US_BAR = 0.1, 10.0
W2_ACCURACY_BAR, W2_RSS_RATIO_BAR, W2_RSS_MB_BAR = 0.85, 0.25, 200.0


def read_runs(lines):
    """(workload, framework, threads) -> list of runs in order, each {metric: value, "seconds": s/epoch}."""
    runs = defaultdict(list)
    for line in lines:
        line = line.strip()
        if not line.startswith("{"):
            continue
        record = json.loads(line)
        key = (record["workload"], record["framework"], int(record["threads"]))
        metric = record["metric"]
        if not runs[key] or metric in runs[key][-1]:
            runs[key].append({})
        run = runs[key][-1]
        run[metric] = record["value"]
        if record.get("seconds_per_epoch") is not None:
            run.setdefault("seconds", record["seconds_per_epoch"])
    return runs


def figure(workload, run):
    """The run's timed figure: W1's whole-process seconds, else its median seconds per epoch."""
    return run.get("process_seconds") if workload == "w1" else run.get("seconds")


def best(workload, runs, framework):
    """(threads, median figure over rounds, per-round figures) at the framework's best thread count."""
    options = []
    for (w, f, threads), series in runs.items():
        values = [figure(workload, run) for run in series]
        if w == workload and f == framework and all(v is not None for v in values) and values:
            options.append((statistics.median(values), threads, values))
    if not options:
        return None
    median, threads, values = min(options)
    return threads, median, values


def verdict(value, bar):
    return "met" if value <= bar else "NOT met"


def report(runs, out):
    workloads = sorted({w for (w, _, _) in runs})
    for workload in workloads:
        frameworks = sorted({f for (w, f, _) in runs if w == workload}, key=lambda f: (f != "nnet", f))
        unit = "whole-process s" if workload == "w1" else "s/epoch"
        print(f"\n{NAMES.get(workload, workload)}: {unit}, median over rounds (per round)", file=out)
        bests = {}
        for framework in frameworks:
            for (w, f, threads), series in sorted(runs.items()):
                if w != workload or f != framework:
                    continue
                values = [figure(workload, run) for run in series]
                shown = " ".join("-" if v is None else f"{v:.3f}" for v in values)
                trips = [run.get("core_round_trip_ns") for run in series if run.get("core_round_trip_ns")]
                modes = (" | core round trip ns " + " ".join("/".join(f"{x:.0f}" for x in t) for t in trips)) if trips else ""
                present = [v for v in values if v is not None]
                median = f"{statistics.median(present):.3f}" if present else "failed"
                print(f"  {framework:6} {threads} thread(s): {median:>8}   ({shown}){modes}", file=out)
            bests[framework] = best(workload, runs, framework)
        nnet = bests.get("nnet")
        peers = {f: b for f, b in bests.items() if f != "nnet" and b is not None}
        if nnet is None or not peers:
            print("  (no ratio: nnet or every peer is missing)", file=out)
            continue
        fastest = min(peers, key=lambda f: peers[f][1])
        ratio = nnet[1] / peers[fastest][1]
        bar = TIME_RATIO_BARS.get(workload)
        line = f"  nnet ({nnet[0]} t) / fastest peer ({fastest}, {peers[fastest][0]} t): {ratio:.2f}"
        if bar is not None:
            line += f"   bar <= {bar}: {verdict(ratio, bar)}"
        print(line, file=out)
        rounds = min(len(nnet[2]), len(peers[fastest][2]))
        if rounds > 1:
            per_round = []
            for r in range(rounds):
                peer_values = [peers[f][2][r] for f in peers if r < len(peers[f][2])]
                per_round.append(nnet[2][r] / min(peer_values))
            held = sum(1 for x in per_round if bar is None or x <= bar)
            print(f"  per round: {' '.join(f'{x:.2f}' for x in per_round)}"
                  + (f"   ({held} of {rounds} at or under {bar})" if bar is not None else ""), file=out)
        absolute(workload, runs, nnet[0], peers, out)


def absolute(workload, runs, nnet_threads, peers, out):
    """The bars on nnet's own figures (W1's seconds and µs per step, W2's accuracy and memory)."""
    series = runs.get((workload, "nnet", nnet_threads), [])
    def median_of(metric, where=series):
        values = [run[metric] for run in where if run.get(metric) is not None]
        return statistics.median(values) if values else None
    if workload == "w1":
        process, loop = median_of("process_seconds"), median_of("loop_us_per_step")
        if process is not None:
            print(f"  nnet whole process {process:.3f} s   bar <= {W1_PROCESS_SECONDS_BAR} s: "
                  f"{verdict(process, W1_PROCESS_SECONDS_BAR)}", file=out)
        if loop is not None:
            print(f"  nnet loop {loop:.1f} us/step   bar <= {W1_LOOP_US_BAR:.0f} us: {verdict(loop, W1_LOOP_US_BAR)}", file=out)
    if workload == "w2":
        accuracy = median_of("test_accuracy")
        if accuracy is not None:
            print(f"  nnet test accuracy {accuracy:.4f}   bar >= {W2_ACCURACY_BAR}: "
                  f"{'met' if accuracy >= W2_ACCURACY_BAR else 'NOT met'}", file=out)
        rss = median_of("peak_rss_mb")
        peer_rss = {}
        for (w, f, _), runs_of in runs.items():
            value = median_of("peak_rss_mb", runs_of) if w == workload and f != "nnet" else None
            if value is not None:
                peer_rss[f] = min(value, peer_rss.get(f, value))
        if rss is not None and peer_rss:
            leanest = min(peer_rss, key=peer_rss.get)
            ratio = rss / peer_rss[leanest]
            print(f"  nnet peak RSS {rss:.0f} MB, leanest peer {leanest} {peer_rss[leanest]:.0f} MB: {ratio:.2f}   "
                  f"bar <= {W2_RSS_RATIO_BAR}x and <= {W2_RSS_MB_BAR:.0f} MB: "
                  f"{'met' if ratio <= W2_RSS_RATIO_BAR and rss <= W2_RSS_MB_BAR else 'NOT met'}", file=out)


def main():
    paths = sys.argv[1:]
    if any(p in ("-h", "--help") for p in paths):
        print(__doc__.strip())
        return 0
    lines = []
    try:
        for path in paths or ["-"]:
            lines += sys.stdin.readlines() if path == "-" else open(path).readlines()
    except OSError as error:
        print(f"ratios.py: cannot read {error.filename}: {error.strerror}", file=sys.stderr)
        return 66
    try:
        runs = read_runs(lines)
    except (json.JSONDecodeError, KeyError, ValueError) as error:
        print(f"ratios.py: not run_peers.sh output: {error}", file=sys.stderr)
        return 65
    if not runs:
        print("ratios.py: no results", file=sys.stderr)
        return 65
    report(runs, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
