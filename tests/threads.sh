#!/usr/bin/env bash
# Same seed => the same metrics, bit for bit, with 1, 2 and 4 threads
# (one epoch of the d2l-2020 model on the real data; seconds excluded).
# usage: threads.sh DROPNET
set -u
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
for t in 1 2 4; do
  "$1" train --epochs 1 --seed 11 --threads $t --quiet --out "$T/t$t" > /dev/null || { echo "FAIL: --threads $t exited $?"; exit 1; }
  cut -d, -f1-6 "$T/t$t/metrics.csv" > "$T/m$t"
done
cat "$T/m1"
cmp "$T/m1" "$T/m2" && cmp "$T/m1" "$T/m4" || { echo "FAIL: metrics differ across thread counts"; paste "$T/m1" "$T/m2" "$T/m4"; exit 1; }
echo "1, 2 and 4 threads: identical metrics"
