#!/usr/bin/env bash
# Same seed => the same metrics and model, bit for bit, with 1, 2 and 4
# threads (one epoch of the d2l-2020 model on the real data; seconds
# excluded).
# usage: threads.sh DROPNET
set -u
DN=$1
source "$(dirname "$0")/lib.sh"

for t in 1 2 4; do
  if "$DN" train --epochs 1 --seed 11 --threads $t --quiet --no-figures --out "$T/t$t" > /dev/null; then
    cut -d, -f1-6 "$T/t$t/metrics.csv" > "$T/m$t"
    ok "--threads $t trained"
  else
    fail "--threads $t exited $?"
  fi
done
cat "$T/m1" 2>/dev/null
for t in 2 4; do
  if cmp -s "$T/m1" "$T/m$t" && cmp -s "$T/t1/model.safetensors" "$T/t$t/model.safetensors"; then
    ok "1 and $t threads: identical metrics and model"
  else
    fail "1 and $t threads differ: $(paste -d' ' "$T/m1" "$T/m$t" 2>&1 | tr '\n' ';')"
  fi
done
finish
