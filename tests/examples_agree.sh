#!/usr/bin/env bash
# The "from scratch" and "concise" examples print the same per-epoch numbers,
# bit for bit (%.17g), for the same seed; a different seed prints others.
# usage: examples_agree.sh SCRATCH CONCISE
set -u
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
args=(--train-n 3000 --test-n 1000 --epochs 2)
"$1" "${args[@]}" --seed 4 > "$T/scratch" || { echo "FAIL: scratch example exited $?"; exit 1; }
"$2" "${args[@]}" --seed 4 > "$T/concise" || { echo "FAIL: concise example exited $?"; exit 1; }
"$2" "${args[@]}" --seed 5 > "$T/other" || exit 1
cat "$T/scratch"
[ "$(wc -l < "$T/scratch")" -eq 2 ] || { echo "FAIL: expected 2 epochs"; exit 1; }
cmp "$T/scratch" "$T/concise" || { echo "FAIL: scratch and concise differ:"; diff "$T/scratch" "$T/concise"; exit 1; }
if cmp -s "$T/concise" "$T/other"; then echo "FAIL: seeds 4 and 5 print the same numbers"; exit 1; fi
echo "scratch and concise agree bit for bit"
