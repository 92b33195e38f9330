#!/usr/bin/env bash
# End to end on the real Fashion-MNIST: the d2l-2020 model, 10 epochs.
# With lr 0.5 the final test accuracy of one run swings by about +-0.02 from
# seed to seed (measured over seeds 1-6: 0.821 to 0.870, mean 0.850), and the
# bits of a run depend on the BLAS kernels of the machine, so one seed's
# result is not a stable target. The test trains seeds 1, 2, 3 and asserts
# that their mean final test accuracy is >= 0.84 and that none ends below
# 0.80. Without the dataset it fails (dropnet exits 2 naming how to get it).
# usage: e2e_d2l.sh DROPNET
set -u
DN=$1
source "$(dirname "$0")/lib.sh"
accs=()
for seed in 1 2 3; do
  "$DN" train --preset d2l-2020 --epochs 10 --seed $seed --quiet --out "$T/s$seed" \
    || { echo "FAIL: seed $seed: dropnet exited $?"; exit 1; }
  acc=$(tail -1 "$T/s$seed/metrics.csv" | cut -d, -f5)
  accs+=("$acc")
done
echo "final test accuracy, seeds 1 2 3: ${accs[*]}"
awk -v a="${accs[0]}" -v b="${accs[1]}" -v c="${accs[2]}" 'BEGIN {
  m = (a + b + c) / 3; printf "mean %.4f\n", m
  if (m < 0.84) { print "FAIL: mean below 0.84"; exit 1 }
  if (a < 0.80 || b < 0.80 || c < 0.80) { print "FAIL: a run ends below 0.80"; exit 1 }
}'
