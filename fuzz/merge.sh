#!/usr/bin/env bash
# Adds to the seed corpus fuzz/corpus/T the inputs of BUILD/fuzz-corpus/T
# that reach code the seeds do not (libFuzzer's -merge=1 keeps one input per
# new feature, the smallest it finds). Run after a long `make fuzz` and
# commit the result: `make test` replays it, and CI's short runs start from it.
# usage: fuzz/merge.sh BUILD [TARGET...]
set -eu
BUILD=$1
shift
cd "$(dirname "$0")/.."
TARGETS=("$@")
source fuzz/targets.sh
for t in "${TARGETS[@]}"; do
  before=$(ls "fuzz/corpus/$t" | wc -l)
  mapfile -t extra < <(target_flags "$t")
  "$BUILD/fuzz/fuzz_$t" -merge=1 "${extra[@]}" "fuzz/corpus/$t" "$BUILD/fuzz-corpus/$t" \
    > "$BUILD/fuzz-logs/$t.merge.log" 2>&1
  echo "$t: $before -> $(ls "fuzz/corpus/$t" | wc -l) files, $(du -sk "fuzz/corpus/$t" | cut -f1) KiB"
done
