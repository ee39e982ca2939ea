#!/usr/bin/env bash
# GAN quality bar (issue 5): trains a GAN example, draws 1000 images from its generator and
# classifies them with the trained Examples/cnn_classifier.nnet model. Passes when no class holds
# more than 30% of the samples and the mean top probability is at least 0.7.
#
#   Benchmarks/quality/gan_quality.sh gan        # Examples/gan.nnet (20 epochs)
#   Benchmarks/quality/gan_quality.sh dcgan      # Examples/dcgan.nnet (5 epochs)
#   Benchmarks/quality/gan_quality.sh gan_torch  # the same seed GAN trained by PyTorch (gan_torch.py),
#                                                # its samples judged by the same classifier
#   SEED=2 Benchmarks/quality/gan_quality.sh gan # another training seed (the train statement's
#                                                # seed and --seed); writes under out/gan_seed2/
#   Benchmarks/quality/gan_quality.sh path/to/variant.nnet  # any GAN program (a variant to compare)
#
# Runs from the repository root (the examples write to out/); needs `swift build -c release`
# (or NNET=/path/to/nnet). THREADS (default 1) is given to nnet.
# The classifier is trained once (Examples/cnn_classifier.nnet plus a `save`) and reused.
# The programs run are the examples' own text with a few statements appended, so the check
# cannot drift from them. Results: out/quality_<example>.txt and .jsonl.
set -euo pipefail
example=${1:?usage: gan_quality.sh gan|dcgan|gan_torch|FILE.nnet}
root=$(cd "$(dirname "$0")/../.." && pwd)
nnet=${NNET:-"$root/.build/release/nnet"}  # NNET=path: a copy, so rebuilding cannot swap it mid-run
threads=${THREADS:-1}
source="Examples/$example.nnet"
if [[ $example == *.nnet ]]; then
  source=$(cd "$(dirname "$example")" && pwd)/$(basename "$example")
  example=$(basename "$example" .nnet)
fi
cd "$root"
mkdir -p out
# With SEED, the example trains with that seed and writes its grids and weights under
# out/<example>_seed<SEED>/, so runs with several seeds can be compared side by side.
seed_flags=()
rewrite=(cat)
if [[ -n ${SEED:-} ]]; then
  seed_flags=(--seed "$SEED")
  rewrite=(sed -E -e "s/(^|[{ ])seed: [0-9]+/\1seed: $SEED/" -e "s#\"out/#\"out/${example}_seed$SEED/#g")
  example="${example}_seed$SEED"
  mkdir -p "out/$example"
fi

if [[ ! -f out/cnn_classifier.weights ]]; then
  { cat Examples/cnn_classifier.nnet; echo 'save classifier to "out/cnn_classifier.weights"'; } > out/quality_classifier.nnet
  nice -n 5 "$nnet" run out/quality_classifier.nnet --threads "$threads" | tee out/quality_classifier.txt
fi

program="out/quality_$example.nnet"
if [[ $example == gan_torch ]]; then
  nice -n 5 "${PYTHON:-/work/main/Benchmarks/.venv/bin/python}" Benchmarks/quality/gan_torch.py --out out/gan_torch \
    | tee out/quality_gan_torch_training.txt
  {
    echo "# Written by Benchmarks/quality/gan_quality.sh: PyTorch's samples, judged by Examples/cnn_classifier.nnet's model."
    awk '/^model classifier/,/^}/' Examples/cnn_classifier.nnet
    echo 'load classifier from "out/cnn_classifier.weights"'
    echo 'data generated = idx("out/gan_torch", scale: 1/255, flatten: false)'
    echo 'predict classifier on generated, count: 1000, summary: true'
  } > "$program"
else
  pairing=$(awk '/^gan /{print $2}' "$source")
  {
    "${rewrite[@]}" "$source"
    echo
    echo "# Appended by Benchmarks/quality/gan_quality.sh: the classifier of Examples/cnn_classifier.nnet."
    awk '/^model classifier/,/^}/' Examples/cnn_classifier.nnet
    echo 'load classifier from "out/cnn_classifier.weights"'
    echo "data generated = samples($pairing, n: 1000, seed: 2024)"
    echo 'predict classifier on generated, count: 1000, summary: true'
  } > "$program"
fi
rm -f "out/quality_$example.jsonl"
nice -n 5 "$nnet" run "$program" --threads "$threads" "${seed_flags[@]}" --log "out/quality_$example.jsonl" | tee "out/quality_$example.txt"

python3 - "out/quality_$example.jsonl" <<'PY'
import json, sys
events = [json.loads(line) for line in open(sys.argv[1])]
summary = next(e for e in events if e.get("event") == "predict_summary")
epochs = [e for e in events if e.get("event") == "epoch"]
largest, confidence = summary["largest_class_fraction"], summary["mean_top_probability"]
print(f"class counts {summary['class_counts']}")
print(f"largest class {largest:.1%} (bar: <= 30%), mean top probability {confidence:.3f} (bar: >= 0.7)")
if epochs:
    last = epochs[-1]
    print(f"last epoch {last['epoch']}: {json.dumps(last['metrics'])}, {last['seconds']:.1f} s")
ok = largest <= 0.30 and confidence >= 0.7
print("PASS" if ok else "FAIL")
sys.exit(0 if ok else 1)
PY
