#!/usr/bin/env bash
# --noise through the command line on the real Fashion-MNIST (hidden 64,64,
# batch 64, 2 epochs: about a second a run): --noise dropout:P gives the
# bits of --dropout P; a run with noise stopped by SIGINT and resumed ends
# with the bits of an uninterrupted one; 1 and 2 threads agree; the model
# file names the noise and eval reads it; resuming with another noise, and
# --noise for a file that names its own, are refused.
# usage: noise.sh DROPNET
set -u
DN=$1
source "$(dirname "$0")/lib.sh"

ARGS=(--hidden 64,64 --batch-size 64 --epochs 2 --lr 0.1 --quiet --no-figures)

"$DN" train "${ARGS[@]}" --dropout 0.2,0.5 --out "$T/drop" > /dev/null || fail "--dropout run"
"$DN" train "${ARGS[@]}" --noise dropout:0.2,dropout:0.5 --out "$T/nd" > /dev/null || fail "--noise dropout run"
same_bits "$T/drop" "$T/nd" "--noise dropout:0.2,dropout:0.5 and --dropout 0.2,0.5"

NOISE=gaussian:0.2,dropconnect:0.5
"$DN" train "${ARGS[@]}" --noise $NOISE --out "$T/whole" > /dev/null || fail "noise run"
python3 - "$T/whole" <<'PY' && ok "config.json and the model file name the noise" || fail "noise metadata"
import json, struct, sys
d = sys.argv[1]
c = json.load(open(d + "/config.json"))
assert c["noise"] == ["gaussian:0.2", "dropconnect:0.5"], c.get("noise")
assert c["dropout"] == [0, 0], c["dropout"]
with open(d + "/model.safetensors", "rb") as f:
    n = struct.unpack("<Q", f.read(8))[0]
    h = json.loads(f.read(n))
layers = h["__metadata__"]["layers"]
assert layers == ("Flatten,Linear(784,64),ReLU,GaussianDropout(0.2),Linear(64,64),ReLU,"
                  "DropConnect(0.5),Linear(64,10)"), layers
# the d2l indices: Linear layers at 1, 4, 7
assert sorted(k for k in h if k != "__metadata__") == [
    "1.bias", "1.weight", "4.bias", "4.weight", "7.bias", "7.weight"]
PY
expect 0 'GaussianDropout(0.2),Linear(64,64),ReLU,DropConnect(0.5)' -- eval --model "$T/whole/model.safetensors"
expect 0 'DropConnect sampling (20 samples, seed 1): test loss' -- eval --model "$T/whole/model.safetensors" --dropconnect-sampling 20
expect 2 "names its own noise (gaussian:0.2,dropconnect:0.5)" -- eval --model "$T/whole/model.safetensors" --noise gaussian:0.2,none
expect 0 'GaussianDropout(0.2)' -- eval --model "$T/whole/model.safetensors" --noise $NOISE

# The header says it.
"$DN" train --hidden 64,64 --batch-size 64 --epochs 1 --lr 0.1 --no-figures --noise uniform:0.2,additive:0.1 \
  --out "$T/hdr2" > "$T/hdr2.out" 2>&1
grep -q '| noise uniform:0.2,additive:0.1 |' "$T/hdr2.out" && ok "the run header names the noise" ||
  fail "run header: $(head -1 "$T/hdr2.out")"

# Threads: the same bits.
"$DN" train "${ARGS[@]}" --noise $NOISE --threads 1 --out "$T/t1" > /dev/null || fail "1 thread"
same_bits "$T/whole" "$T/t1" "$NOISE with 1 thread and with the default"

# SIGINT once the first checkpoint exists, then --resume: the same bits.
"$DN" train "${ARGS[@]}" --noise $NOISE --checkpoint-every 50 --out "$T/int" > /dev/null 2> "$T/int.err" &
pid=$! i=0
while [ ! -f "$T/int/checkpoint.safetensors" ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done
kill -INT $pid
wait $pid
rc=$?
if [ "$rc" = 130 ]; then
  expect 0 '' -- train --resume "$T/int"
  same_bits "$T/whole" "$T/int" "$NOISE stopped by SIGINT and resumed"
else
  fail "SIGINT: exit $rc, expected 130 ($(cat "$T/int.err"))"
fi
# Extending a finished run with noise: the bits of a run that had 3 epochs.
"$DN" train "${ARGS[@]}" --epochs 3 --noise $NOISE --out "$T/three" > /dev/null || fail "3 epochs"
expect 0 '' -- train --resume "$T/whole" --epochs 3
same_bits "$T/three" "$T/whole" "$NOISE extended from 2 to 3 epochs"

# Resuming with another noise: refused, the option or the checkpoint.
expect 2 '--resume: --noise cannot be given with it' -- train --resume "$T/int" --noise none,none
cp -r "$T/int" "$T/other"
sed -i 's/"dropconnect:0.5"/"dropconnect:0.25"/' "$T/other/config.json"
expect 2 'DropConnect(0.5)' -- train --resume "$T/other" --epochs 3
finish
