#!/usr/bin/env bash
# The "from scratch" and "concise" examples print the same per-epoch numbers,
# bit for bit (%.17g), for the same seed; a different seed prints others.
# usage: examples_agree.sh SCRATCH CONCISE
set -u
source "$(dirname "$0")/lib.sh"

args=(--train-n 3000 --test-n 1000 --epochs 2)
"$1" "${args[@]}" --seed 4 > "$T/scratch" || fail "scratch example exited $?"
"$2" "${args[@]}" --seed 4 > "$T/concise" || fail "concise example exited $?"
"$2" "${args[@]}" --seed 5 > "$T/other" || fail "concise example (seed 5) exited $?"
cat "$T/scratch"
[ "$(wc -l < "$T/scratch")" -eq 2 ] && ok "2 epochs printed" ||
  fail "expected 2 epochs, got $(wc -l < "$T/scratch") lines"
cmp -s "$T/scratch" "$T/concise" && ok "scratch and concise agree bit for bit" ||
  fail "scratch and concise differ: $(diff "$T/scratch" "$T/concise" | tr '\n' ';')"
cmp -s "$T/concise" "$T/other" && fail "seeds 4 and 5 print the same numbers" ||
  ok "seeds 4 and 5 print different numbers"
finish
