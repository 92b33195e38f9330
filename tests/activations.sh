#!/usr/bin/env bash
# dropnet train --track-activations: activations.csv's columns and rows, the
# model and metrics bits unchanged by tracking, the same file with 1 and 2
# threads, and a run stopped (SIGINT, then SIGKILL) between two rows and
# resumed whose activations.csv is the uninterrupted run's byte for byte.
# Small settings: hidden 64,32, batch 64, 2 epochs on Fashion-MNIST.
# usage: activations.sh DROPNET
set -u
DN=$1
source "$(dirname "$0")/lib.sh"

ARGS=(--hidden 64,32 --batch-size 64 --epochs 2 --lr 0.1 --quiet --no-figures)
"$DN" train "${ARGS[@]}" --out "$T/plain" > /dev/null || fail "run without tracking"
"$DN" train "${ARGS[@]}" --track-activations --threads 1 --out "$T/t1" > /dev/null || fail "tracking, 1 thread"
"$DN" train "${ARGS[@]}" --track-activations --threads 2 --out "$T/t2" > /dev/null || fail "tracking, 2 threads"

[ ! -e "$T/plain/activations.csv" ] && ok "no activations.csv without the option" || fail "activations.csv without --track-activations"
cmp -s "$T/plain/model.safetensors" "$T/t1/model.safetensors" && ok "tracking leaves the model's bits" || fail "tracking changed model.safetensors"
cmp -s <(cut -d, -f1-6 "$T/plain/metrics.csv") <(cut -d, -f1-6 "$T/t1/metrics.csv") && ok "tracking leaves the metrics" || fail "tracking changed metrics.csv"
cmp -s "$T/t1/activations.csv" "$T/t2/activations.csv" && ok "activations.csv: same bits with 1 and 2 threads" || fail "activations.csv differs between 1 and 2 threads"

python3 - "$T/t1/activations.csv" "$T/t1/steps.csv" <<'PY' && ok "activations.csv: columns, rows at the steps.csv points, eval rows per epoch, values" || fail "activations.csv content: $(head -5 "$T/t1/activations.csv")"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert open(sys.argv[1]).readline().strip() == "epoch,step,mode,layer,where,mean,var_pooled,var_units"
steps = [(int(r["epoch"]), int(r["step"])) for r in csv.DictReader(open(sys.argv[2]))]
train = [r for r in rows if r["mode"] == "train"]
ev = [r for r in rows if r["mode"] == "eval"]
# four rows (2 layers x before/after) at every steps.csv point
assert [(int(r["epoch"]), int(r["step"])) for r in train[::4]] == steps, "train rows"
assert [(r["layer"], r["where"]) for r in train[:4]] == [("1", "before"), ("1", "after"), ("2", "before"), ("2", "after")]
assert [(int(r["epoch"]), int(r["step"])) for r in ev[::4]] == [(1, 938), (2, 938)], "eval rows"
for r in rows:
    m, vp, vu = float(r["mean"]), float(r["var_pooled"]), float(r["var_units"])
    assert m >= 0 and vp >= vu >= 0, r  # ReLU outputs; pooled adds the spread of unit means
for i in range(0, len(train), 4):
    b, a = train[i], train[i + 1]
    # dropout 0.2 keeps the mean (in expectation) and raises the variance
    assert abs(float(a["mean"]) - float(b["mean"])) < 0.05 * float(b["mean"]) + 1e-3, (a, b)
    assert float(a["var_pooled"]) > float(b["var_pooled"])
for i in range(0, len(ev), 2):
    assert ev[i]["mean"] == ev[i + 1]["mean"] and ev[i]["var_pooled"] == ev[i + 1]["var_pooled"]  # noise off
PY

# Stopped between two rows (a checkpoint every 7 steps, rows every 188),
# and resumed: the same activations.csv as the uninterrupted run.
interrupt() { # SIGNAL DIR
  local sig=$1 dir=$2 i=0
  "$DN" train "${ARGS[@]}" --track-activations --checkpoint-every 7 --out "$dir" > "$dir.out" 2> "$dir.err" &
  local pid=$!
  while [ ! -f "$dir/checkpoint.safetensors" ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done
  sleep 0.3
  kill "-$sig" $pid
  wait $pid
}
for sig in INT KILL; do
  interrupt $sig "$T/$sig"
  if [ -s "$T/$sig/model.safetensors" ]; then
    fail "$sig: the run ended before the signal; nothing was resumed"
    continue
  fi
  "$DN" train --resume "$T/$sig" --quiet > /dev/null 2> "$T/$sig.err2" || fail "$sig: resume: $(cat "$T/$sig.err2")"
  cmp -s "$T/t1/activations.csv" "$T/$sig/activations.csv" && ok "$sig and resume: activations.csv identical" || fail "$sig and resume: activations.csv differs: $(diff "$T/t1/activations.csv" "$T/$sig/activations.csv" | head -4)"
  cmp -s "$T/t1/model.safetensors" "$T/$sig/model.safetensors" && ok "$sig and resume: model identical" || fail "$sig and resume: model differs"
done

expect 2 "--resume: --track-activations cannot be given with it" -- train --resume "$T/t1" --track-activations
expect 2 "--track-activations: the network has no hidden layer" -- train --hidden none --dropout none --track-activations --epochs 1 --out "$T/none"
finish
