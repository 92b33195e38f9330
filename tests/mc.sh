#!/usr/bin/env bash
# dropnet eval: calibration, Monte Carlo dropout and --json through the
# command line, on a small model trained for one epoch on Fashion-MNIST
# (hidden 32,32: about a second). The JSON is read back with Python's parser
# and checked against the text output and the rules (keys, ranges, K = 1).
# usage: mc.sh DROPNET
set -u
DN=$1
source "$(dirname "$0")/lib.sh"

"$DN" train --hidden 32,32 --batch-size 64 --epochs 1 --lr 0.1 --quiet --no-figures \
  --out "$T/run" > /dev/null || fail "training the model"
M=$T/run/model.safetensors

# The keys the interface promises, and values in their ranges.
"$DN" eval --model "$M" --mc-samples 4 --seed 3 --json > "$T/k4.json" 2> "$T/k4.err" || fail "eval --json: $(cat "$T/k4.err")"
"$DN" eval --model "$M" --mc-samples 4 --seed 3 > "$T/k4.txt" || fail "eval text"
python3 - "$T/k4.json" "$T/k4.txt" <<'PY' && ok "eval --json: keys, ranges, agrees with the text" || fail "eval --json: $(cat "$T/k4.json")"
import json, sys, re
j = json.load(open(sys.argv[1]))
text = open(sys.argv[2]).read()
for k in ("loss", "accuracy", "ece", "per_class", "confusion", "mc"):
    assert k in j, k
assert len(j["per_class"]) == 10 and len(j["confusion"]) == 10
assert all(len(r) == 10 for r in j["confusion"])
assert sum(map(sum, j["confusion"])) == 10000
for c, pc in enumerate(j["per_class"]):
    assert set(("class", "accuracy", "examples")) <= set(pc), pc
    row = j["confusion"][c]
    assert pc["examples"] == sum(row) and abs(pc["accuracy"] - row[c] / sum(row)) < 1e-12
assert abs(j["accuracy"] - sum(j["confusion"][c][c] for c in range(10)) / 10000) < 1e-12
mc = j["mc"]
assert mc["samples"] == 4 and mc["seed"] == 3
for part in ("single", "average"):
    assert set(mc[part]) >= {"loss", "accuracy", "ece"}, mc[part]
    assert 0 <= mc[part]["accuracy"] <= 1 and 0 <= mc[part]["ece"] <= 1 and mc[part]["loss"] > 0
assert 0 < mc["entropy_mean"] <= 2.303 and 0 <= mc["auroc_error"] <= 1
assert [p["samples"] for p in mc["curve"]] == [1, 2, 3, 4]
assert mc["curve"][0]["accuracy"] == mc["single"]["accuracy"]
assert mc["curve"][-1] == dict(mc["average"], samples=4)
# the text shows the same numbers to 4 decimals
m = re.search(r"test loss (\S+)  accuracy (\S+)", text)
assert abs(float(m.group(1)) - j["loss"]) < 6e-5 and abs(float(m.group(2)) - j["accuracy"]) < 6e-5
m = re.search(r"average of 4 +(\S+) +(\S+) +(\S+)", text)
assert abs(float(m.group(2)) - mc["average"]["accuracy"]) < 6e-5, m.group(0)
m = re.search(r"AUROC of the entropy for errors (\S+)", text)
assert abs(float(m.group(1)) - mc["auroc_error"]) < 6e-5
PY

# K = 1 is the first pass of any K, bit for bit; the same seed, the same
# numbers with other thread counts; another seed, other numbers.
"$DN" eval --model "$M" --mc-samples 1 --seed 3 --json --threads 1 > "$T/k1.json" || fail "K = 1"
"$DN" eval --model "$M" --mc-samples 4 --seed 3 --json --threads 2 > "$T/k4t2.json" || fail "threads 2"
"$DN" eval --model "$M" --mc-samples 4 --seed 5 --json > "$T/k4s5.json" || fail "seed 5"
python3 - "$T/k1.json" "$T/k4.json" "$T/k4t2.json" "$T/k4s5.json" <<'PY' && ok "K = 1 is one pass; threads do not matter; the seed does" || fail "MC bits"
import json, sys
k1, k4, t2, s5 = (json.load(open(p))["mc"] for p in sys.argv[1:])
assert k1["single"] == k1["average"] == k4["single"], (k1, k4["single"])
assert k4 == t2
assert s5["single"] != k4["single"]
PY

# Without --mc-samples: no "mc" key, the same deterministic numbers.
"$DN" eval --model "$M" --json > "$T/det.json" || fail "eval --json"
python3 - "$T/det.json" "$T/k4.json" <<'PY' && ok "deterministic part without --mc-samples" || fail "deterministic json"
import json, sys
d, k = (json.load(open(p)) for p in sys.argv[1:])
assert "mc" not in d
for key in ("loss", "accuracy", "ece", "per_class", "confusion"):
    assert d[key] == k[key], key
PY

# Figures: two of each kind, real PNG files.
"$DN" eval --model "$M" --mc-samples 3 --figures "$T/figs" > /dev/null || fail "--figures"
for f in mc-samples.png mc-samples.svg reliability.png reliability.svg; do
  [ -s "$T/figs/$f" ] && ok "figure $f" || fail "no figure $f"
done
head -c 8 "$T/figs/reliability.png" | od -An -c | grep -q 'P   N   G' || fail "reliability.png is not a PNG"
# --figure-scale: the same figures, S times the pixels (as train's).
png_size() { local b; b=($(od -An -tu1 -j16 -N8 "$1")); echo "$(( (b[0]<<24) + (b[1]<<16) + (b[2]<<8) + b[3] ))x$(( (b[4]<<24) + (b[5]<<16) + (b[6]<<8) + b[7] ))"; }
"$DN" eval --model "$M" --mc-samples 3 --figures "$T/figs2" --figure-scale 2 > /dev/null || fail "--figure-scale 2"
for f in mc-samples reliability; do
  a=$(png_size "$T/figs/$f.png") b=$(png_size "$T/figs2/$f.png")
  [ "${a%x*}" -gt 0 ] && [ "${b%x*}" = $(( 2 * ${a%x*} )) ] && [ "${b#*x}" = $(( 2 * ${a#*x} )) ] &&
    ok "$f.png at --figure-scale 2: $b (1: $a)" || fail "$f.png at --figure-scale 2: $b (1: $a)"
done
expect 2 "--figure-scale needs --figures" -- eval --model "$M" --mc-samples 2 --figure-scale 2
expect 2 "--figure-scale" -- eval --model "$M" --mc-samples 2 --figures "$T/figs3" --figure-scale 5
expect 2 "--figure-scale" -- eval --model "$M" --mc-samples 2 --figures "$T/figs3" --figure-scale 2 --figure-scale 3

# A model without noise metadata (a PyTorch state dict) is refused with
# one line; a model trained without dropout warns.
expect 2 "no noise metadata" -- eval --model "$(dirname "$0")/bad-input/files/st-no-metadata.safetensors" --mc-samples 2
"$DN" train --hidden 16 --dropout 0 --batch-size 64 --epochs 1 --quiet --no-figures --out "$T/nodrop" > /dev/null || fail "no-dropout training"
expect 0 "trained without noise" -- eval --model "$T/nodrop/model.safetensors" --mc-samples 2
expect 2 "--seed needs --mc-samples" -- eval --model "$M" --seed 2

# Another noise of --noise is kept on too: Gaussian noise at both layers.
"$DN" train --hidden 32,32 --noise gaussian:0.5,gaussian:0.5 --batch-size 64 --epochs 1 --lr 0.1 \
  --quiet --no-figures --out "$T/gauss" > /dev/null || fail "gaussian training"
"$DN" eval --model "$T/gauss/model.safetensors" --mc-samples 2 --json > "$T/g.json" || fail "eval of the gaussian model"
python3 - "$T/g.json" <<'PY' && ok "Gaussian noise on in the Monte Carlo passes" || fail "gaussian MC: $(cat "$T/g.json")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["mc"]["single"]["loss"] != j["loss"] and j["mc"]["single"] != j["mc"]["average"]
PY
finish
