#!/usr/bin/env bash
# VAE and autoencoder quality bars (issue 5): trains Examples/vae.nnet (or autoencoder.nnet) for
# its 10 epochs and the same model in PyTorch (vae_torch.py), then compares the test-set figure
# per image: the negative ELBO (BCE summed over pixels + KL) for the VAE, the squared
# reconstruction error (summed over pixels; /784 for the per-pixel MSE) for the autoencoder.
# Passes when nnet's figure is within 5% of PyTorch's.
#
#   Benchmarks/quality/vae_quality.sh vae
#   Benchmarks/quality/vae_quality.sh autoencoder
#
# Runs from the repository root (the examples write to out/); needs `swift build -c release`
# (or NNET=/path/to/nnet) and the PyTorch venv (PYTHON=..., default /work/main/Benchmarks/.venv).
# THREADS (default 1) is given to both. Results: out/quality_<example>.txt, .jsonl and _torch.json.
set -euo pipefail
example=${1:?usage: vae_quality.sh vae|autoencoder}
root=$(cd "$(dirname "$0")/../.." && pwd)
nnet=${NNET:-"$root/.build/release/nnet"}
python=${PYTHON:-/work/main/Benchmarks/.venv/bin/python}
threads=${THREADS:-1}
cd "$root"
mkdir -p out

rm -f "out/quality_$example.jsonl"
nice -n 5 "$nnet" run "Examples/$example.nnet" --threads "$threads" --log "out/quality_$example.jsonl" \
  | tee "out/quality_$example.txt"
nice -n 5 "$python" Benchmarks/quality/vae_torch.py --model "$example" --threads "$threads" \
  | tee "out/quality_${example}_torch.json"

python3 - "out/quality_$example.jsonl" "out/quality_${example}_torch.json" "$example" <<'PY'
import json, statistics, sys
events = [json.loads(line) for line in open(sys.argv[1])]
torch = json.loads(open(sys.argv[2]).read().strip().splitlines()[-1])
example = sys.argv[3]
evaluation = next(e for e in events if e.get("event") == "evaluate")
epochs = [e for e in events if e.get("event") == "epoch"]
ours, theirs = evaluation["loss"], torch["test_loss"]
ratio = ours / theirs
what = "negative ELBO" if example == "vae" else "squared reconstruction error"
print(f"test {what} per image: nnet {ours:.4f}, PyTorch {theirs:.4f}, ratio {ratio:.4f} (bar: within 5%)")
if example == "vae":
    print(f"  parts: nnet reconstruction {evaluation['metrics']['reconstruction']:.4f} kl {evaluation['metrics']['kl']:.4f}; "
          f"PyTorch reconstruction {torch['test_reconstruction']:.4f} kl {torch['test_kl']:.4f}")
else:
    print(f"  per-pixel MSE: nnet {ours / 784:.6f}, PyTorch {theirs / 784:.6f}")
print(f"  seconds per epoch (median): nnet {statistics.median(e['seconds'] for e in epochs):.1f}, "
      f"PyTorch {torch['seconds_per_epoch']:.1f}")
ok = abs(ratio - 1) <= 0.05
print("PASS" if ok else "FAIL")
sys.exit(0 if ok else 1)
PY
