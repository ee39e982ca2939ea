#!/usr/bin/env bash
# Rebuilds the committed corpus (Fuzz/corpus): the seeds (every example, benchmark workload,
# golden diagnostics case and `nnet` block of the docs) plus the inputs of Fuzz/corpus and of
# the last runs (Fuzz/.corpus) that add coverage, minimised with -set_cover_merge=1 to the
# fewest inputs that keep it. Run after a long fuzz run, or when examples or cases are added.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/.."
binary="$("$here/build.sh")"
merged="$(mktemp -d)"
trap 'rm -rf "$merged"' EXIT
for file in "$root"/Examples/*.nnet; do cp "$file" "$merged/example_$(basename "$file")"; done
for file in "$root"/Benchmarks/workloads/*.nnet; do cp "$file" "$merged/workload_$(basename "$file")"; done
find "$root/Tests/NNetDriverTests/Cases" -name '*.nnet' | while read -r file; do
    cp "$file" "$merged/case_$(basename "$file")"
done
for doc in "$root"/docs/*.md "$root/README.md"; do
    awk -v prefix="$merged/doc_$(basename "$doc" .md)_" \
        '/^```nnet$/ { n++; out = prefix n ".nnet"; inside = 1; next } /^```/ { inside = 0; next } inside { print > out }' "$doc"
done
seeds=$(ls "$merged" | wc -l)
mkdir -p "$here/corpus" "$here/.corpus"
SWIFT_BACKTRACE=enable=no "$binary" -set_cover_merge=1 -max_len=4096 -timeout=5 -rss_limit_mb=2048 \
    "$merged" "$here/corpus" "$here/.corpus" 2>&1 | grep -E '^MERGE-OUTER: [0-9]+ new files' >&2
rm -rf "$here/corpus"
cp -r "$merged" "$here/corpus"
echo "corpus: $seeds seeds, $(ls "$here/corpus" | wc -l) files, $(du -sh --apparent-size "$here/corpus" | cut -f1)" >&2
