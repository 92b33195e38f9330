#!/usr/bin/env bash
# Data-parallel training in one process (train --data-parallel): one
# micro-block gives plain training's bits; eight give bits of their own,
# the same whatever the thread count, with the metrics of plain training to
# rounding; a run stopped with SIGINT and resumed gives the bits of one never
# stopped. Small settings on the real Fashion-MNIST (about 1 s per run).
# tests/mpi_dp.sh checks the same runs across ranks under mpirun.
# usage: dp.sh DROPNET
set -u
DN=$1
source "$(dirname "$0")/lib.sh"

ARGS=(--hidden 64,64 --batch-size 64 --epochs 2 --lr 0.1 --input-dropout 0.1 --quiet --no-figures)
"$DN" train "${ARGS[@]}" --out "$T/plain" > /dev/null || fail "plain run"
"$DN" train "${ARGS[@]}" --data-parallel --micro-blocks 1 --out "$T/one" > /dev/null || fail "one block"
same_bits "$T/plain" "$T/one" "--micro-blocks 1 and plain training"

"$DN" train "${ARGS[@]}" --data-parallel --threads 2 --out "$T/dp" > /dev/null || fail "8 blocks"
"$DN" train "${ARGS[@]}" --data-parallel --threads 1 --out "$T/dp1" > /dev/null || fail "8 blocks, 1 thread"
same_bits "$T/dp" "$T/dp1" "--data-parallel with 2 threads and with 1"
grep -q '"micro_blocks":[[:space:]]*8' "$T/dp/config.json" || fail "config.json lacks micro_blocks 8"
grep -q 'micro_blocks' "$T/plain/config.json" && fail "a plain run's config.json names micro_blocks"
if cmp -s "$T/plain/model.safetensors" "$T/dp/model.safetensors"; then
  fail "8 micro-blocks gave plain training's bits: the blocks were not summed on their own"
else
  echo "ok: 8 micro-blocks: bits of their own"
fi
# The same sums in another order: after 2 epochs the test accuracy agrees
# to within 0.01 (rounding, not another model; seeds move it by ~0.02).
python3 - "$T/plain/metrics.csv" "$T/dp/metrics.csv" <<'EOF' || fail "8 micro-blocks: metrics far from plain training's"
import csv, sys
a = list(csv.DictReader(open(sys.argv[1])))[-1]
b = list(csv.DictReader(open(sys.argv[2])))[-1]
d = abs(float(a["test_acc"]) - float(b["test_acc"]))
print("test accuracy: plain %s, 8 micro-blocks %s" % (a["test_acc"], b["test_acc"]))
assert d <= 0.01, d
assert float(b["test_acc"]) > 0.7
EOF

# SIGINT mid-run, then --resume (with --data-parallel, which the run's
# config.json implies anyway): the bits of the uninterrupted run.
"$DN" train "${ARGS[@]}" --data-parallel --checkpoint-every 50 --out "$T/int" > "$T/int.out" 2> "$T/int.err" &
pid=$! i=0
while [ ! -f "$T/int/checkpoint.safetensors" ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done
kill -INT $pid
wait $pid
rc=$?
if [ "$rc" != 130 ]; then
  fail "SIGINT: exit $rc, expected 130 (the run may have ended before the signal)"
else
  expect 0 'resuming at epoch' -- train --resume "$T/int" --data-parallel
  same_bits "$T/dp" "$T/int" "--data-parallel stopped by SIGINT and resumed"
fi

# One line for the run, one for the cost of its steps.
out=$("$DN" train --hidden 16 --dropout 0.5 --batch-size 256 --epochs 1 --no-figures --data-parallel --out "$T/talk" 2>&1)
if printf '%s\n' "$out" | grep -q '| data-parallel: 8 micro-blocks, 1 rank$'; then
  echo "ok: the header names the micro-blocks and ranks"
else
  fail "header: $out"
fi
if printf '%s\n' "$out" | grep -Eq '^# data-parallel: 1 rank, 8 micro-blocks: [0-9.]+ ms per step, 0.0% of it in communication$'; then
  echo "ok: $(printf '%s\n' "$out" | grep '^# data-parallel')"
else
  fail "no step summary: $out"
fi

exit $((fails > 0))
