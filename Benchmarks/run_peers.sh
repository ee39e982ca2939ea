#!/usr/bin/env bash
# Runs nnet and its peers (PyTorch, Keras/TensorFlow, JAX) on the benchmark workloads and prints one
# JSON line per measurement:
#   {"workload": "w2", "framework": "torch", "threads": 1, "seconds_per_epoch": 3.1, "metric": "test_accuracy", "value": 0.85}
# and, at the end, nnet's ratios to the fastest peer against the bars (Benchmarks/ratios.py) on stderr.
# See Benchmarks/README.md for the workloads and the measured figures.
#
# Usage: Benchmarks/run_peers.sh [--workloads w1,w2,w3,w4,w5,w6,w7] [--threads 1,2]
#                                [--frameworks nnet,torch,keras,jax] [--epochs N] [--rounds N] [--no-install]
#   --epochs     overrides the peers' epochs (W1: steps); nnet runs what its .nnet file says
#                (W1 1000 steps, W2/W3/W7 5 epochs, W4/W5/W6 3)
#   --rounds     runs every framework N times per workload and thread count, interleaved (round 2
#                in the reverse order of round 1, and so on), so a drift in the machine's speed
#                falls on all of them; figures are medians over rounds (default 1)
#   --no-install skips creating/updating the venv
# Environment: NNET (the nnet binary; default .build/release/nnet, skipped when missing),
#              FASHION_MNIST (default /usr/share/datasets/fashion-mnist), PYTHON (default python3),
#              PEERS_VENV (the peers' venv; default Benchmarks/.venv).
# Each run is pinned to the first N cores with taskset, on top of each framework's own thread settings;
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are unset. Every run's peak RSS is reported (metric
# peak_rss_mb). Framework logs and results.jsonl (this run's JSON lines) go to ${TMPDIR:-/tmp}/nnet-peers/.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
venv=${PEERS_VENV:-$here/.venv}
nnet=${NNET:-$root/.build/release/nnet}
logs=${TMPDIR:-/tmp}/nnet-peers
workloads=w1,w2,w3,w4,w5,w6,w7
threads_list=1,2
frameworks=nnet,torch,keras,jax
epochs=
rounds=1
install=1

while [ $# -gt 0 ]; do
    case $1 in
        --workloads) workloads=$2; shift 2 ;;
        --threads) threads_list=$2; shift 2 ;;
        --frameworks) frameworks=$2; shift 2 ;;
        --epochs) epochs=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --no-install) install=0; shift ;;
        -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
        *) echo "run_peers.sh: unknown argument '$1' (see --help)" >&2; exit 64 ;;
    esac
done
case $rounds in
    ''|*[!0-9]*|0) echo "run_peers.sh: --rounds needs a positive integer, got '$rounds'" >&2; exit 64 ;;
esac
mkdir -p "$logs"
results=$logs/results.jsonl
: >"$results"

# MARK: - Installation
# Only PyPI is reachable, so torch comes from PyPI with its CUDA libraries (large, unused on CPU).
# Each package group installs on its own, so one failure leaves the others usable.
if [ "$install" = 1 ]; then
    [ -x "$venv/bin/python" ] || "${PYTHON:-python3}" -m venv "$venv"
    "$venv/bin/pip" install --quiet --upgrade pip >&2
    for group in "numpy" "torch" "tensorflow-cpu keras" "jax optax"; do
        # shellcheck disable=SC2086  # a group is several package names
        if ! "$venv/bin/pip" install --quiet $group >"$logs/pip-${group%% *}.log" 2>&1; then
            echo "run_peers.sh: pip install $group failed; see $logs/pip-${group%% *}.log" >&2
        fi
    done
fi
py=$venv/bin/python

# True when the framework can run here (its module imports, or nnet's binary and workload exist).
available() {
    local framework=$1 workload=$2
    case $framework in
        nnet) [ -x "$nnet" ] && [ -n "$(nnet_file "$workload")" ] ;;
        torch) "$py" -c "import torch" 2>/dev/null ;;
        keras) "$py" -c "import tensorflow, keras" 2>/dev/null ;;
        jax) "$py" -c "import jax, optax" 2>/dev/null ;;
        *) return 1 ;;
    esac
}

nnet_file() {
    case $1 in
        w1) echo "$here/workloads/w1_logistic.nnet" ;;
        w2) echo "$here/workloads/w2_mlp.nnet" ;;
        w3) echo "$here/workloads/w3_mlp_wide.nnet" ;;
        w4) echo "$here/workloads/w4_cnn.nnet" ;;
        w5) echo "$here/workloads/w5_gan.nnet" ;;
        w6) echo "$here/workloads/w6_vae.nnet" ;;
        w7) echo "$here/workloads/w7_lstm.nnet" ;;
        *) echo "" ;;
    esac
}

# Prints nnet's JSON lines from its --log events, with the peers' metric names: median epoch
# seconds; W1's loop µs/step and final train loss/accuracy; the classifiers' (W2-W4) last epoch's
# train loss and test accuracy; the GAN's (W5) last epoch's mean D and G losses (`loss_d`, `loss_g`
# in its epoch metrics: D's is the sum of its real and fake cross-entropies, as the peers report);
# the VAE's (W6) first epoch's loss per sample; W7's train MSE from its final evaluation.
summarise_nnet() {
    "$py" - "$1" "$2" "$3" <<'EOF'
import json, statistics, sys
log, workload, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
events = [json.loads(line) for line in open(log)]
epochs = [e for e in events if e["event"] == "epoch"]
evaluations = [e for e in events if e["event"] == "evaluate"]
seconds = statistics.median(e["seconds"] for e in epochs)
def emit(metric, value, per_epoch=seconds):
    print(json.dumps({"workload": workload, "framework": "nnet", "threads": threads,
                      "seconds_per_epoch": per_epoch, "metric": metric, "value": value}))
if workload == "w1":
    step = sum(e["seconds"] for e in epochs) / len(epochs)
    emit("loop_us_per_step", step * 1e6, step)
    emit("train_loss", evaluations[-1]["loss"], step)
    emit("train_accuracy", evaluations[-1]["metrics"]["accuracy"], step)
elif workload == "w5":
    emit("d_loss", epochs[-1]["metrics"]["loss_d"])
    emit("g_loss", epochs[-1]["metrics"]["loss_g"])
elif workload == "w6":
    emit("loss_per_sample_epoch1", epochs[0]["loss"])
elif workload == "w7":
    emit("train_mse", evaluations[-1]["loss"])
else:
    emit("train_loss", epochs[-1]["loss"])
    emit("test_accuracy", evaluations[-1]["metrics"]["accuracy"])
EOF
}

# MARK: - Runs

# One run of a framework on a workload: its JSON lines, appended to results.jsonl as well.
run_one() {
    local workload=$1 threads=$2 framework=$3
    local cpus=0-$((threads - 1))
    local err=$logs/$workload-$framework-$threads.err
    local out=$logs/$workload-$framework-$threads.out
    local measured=$logs/$workload-$framework-$threads.process.json
    local command
    if [ "$framework" = nnet ]; then
        command=("$nnet" run "$(nnet_file "$workload")" --threads "$threads" --log "$logs/$workload-nnet-$threads.jsonl")
    else
        command=("$py" "$here/peers/${framework}_peer.py" --workload "$workload" --threads "$threads" ${epochs:+--epochs "$epochs"})
    fi
    # Two vCPUs sometimes sit on core complexes that share no cache (a cache line's round
    # trip 330-450 ns instead of 55-90) and every 2-thread epoch is then ~2x slower: record
    # the mode before and after each multi-threaded run, so ratios compare like with like.
    local round_trip="" after
    if [ "$threads" -gt 1 ] && [ -x "$nnet" ]; then round_trip=$(taskset -c "$cpus" "$nnet" bench cores --json | sed 's/.*: *\([0-9.]*\).*/\1/'); fi
    echo "run_peers.sh: $framework $workload, $threads thread(s), load average $(cut -d' ' -f1-3 /proc/loadavg)${round_trip:+, core round trip $round_trip ns}" >&2
    if ! env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE FASHION_MNIST="${FASHION_MNIST:-/usr/share/datasets/fashion-mnist}" \
            "$py" "$here/peers/measure_process.py" "$measured" taskset -c "$cpus" "${command[@]}" >"$out" 2>"$err"; then
        echo "run_peers.sh: $framework on $workload with $threads thread(s) failed; see $err" >&2
        return 0
    fi
    {
        if [ -n "$round_trip" ]; then
            after=$(taskset -c "$cpus" "$nnet" bench cores --json | sed 's/.*: *\([0-9.]*\).*/\1/')
            printf '{"workload": "%s", "framework": "%s", "threads": %d, "seconds_per_epoch": null, "metric": "core_round_trip_ns", "value": [%s, %s]}\n' \
                "$workload" "$framework" "$threads" "$round_trip" "$after"
        fi
        if [ "$framework" = nnet ]; then
            summarise_nnet "$logs/$workload-nnet-$threads.jsonl" "$workload" "$threads"
        else
            cat "$out"
        fi
        # Whole process (W1: interpreter start, imports, data, 1000 steps) and peak memory, as
        # measure_process.py saw the child.
        "$py" - "$measured" "$workload" "$framework" "$threads" <<'EOF'
import json, sys
measured, workload, framework, threads = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3], int(sys.argv[4])
def emit(metric, value):
    print(json.dumps({"workload": workload, "framework": framework, "threads": threads,
                      "seconds_per_epoch": None, "metric": metric, "value": value}))
if workload == "w1":
    emit("process_seconds", round(measured["seconds"], 3))
emit("peak_rss_mb", round(measured["peak_rss_mb"], 1))
EOF
    } | tee -a "$results"
}

for workload in ${workloads//,/ }; do
    for threads in ${threads_list//,/ }; do
        for ((round = 1; round <= rounds; round++)); do
            order=${frameworks//,/ }
            # Even rounds run the frameworks in reverse: none always runs first after a change of workload.
            if [ $((round % 2)) = 0 ]; then order=$(echo "$order" | tr ' ' '\n' | tac | tr '\n' ' '); fi
            for framework in $order; do
                if ! available "$framework" "$workload"; then
                    if [ "$round" = 1 ]; then echo "run_peers.sh: skipping $framework on $workload (not installed or no program)" >&2; fi
                    continue
                fi
                run_one "$workload" "$threads" "$framework"
            done
        done
    done
done

echo "run_peers.sh: results in $results" >&2
"$py" "$here/ratios.py" "$results" >&2 || true
