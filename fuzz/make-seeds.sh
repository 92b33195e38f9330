#!/usr/bin/env bash
# Writes the seed corpora in fuzz/corpus/ (committed; run again only to
# rebuild them): small valid files of every format, most written by dropnet
# itself from a tiny CSV problem (6 features, 3 classes, the network of
# fuzz_checkpoint.c), and a few hand-made edge cases. It writes only the named
# seed files below (overwriting them): the rest of the corpus (the merged
# inputs of fuzz/merge.sh, fuzz/corpus/train_options) is left as it is.
# usage: fuzz/make-seeds.sh DROPNET
set -euo pipefail
DN=$(realpath "$1")
cd "$(dirname "$0")"
C=corpus
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
SEP=$'\n=====\n'

# ---- a tiny CSV problem and runs of it ----
awk 'BEGIN { srand(5); print "label,a,b,c,d,e,f"
  for (i = 0; i < 30; i++) { c = i % 3; printf "%d", c
    for (j = 0; j < 6; j++) printf ",%.2f", j + rand() + (j == c ? 2 : 0); print "" } }' > "$T/train.csv"
ARGS=(--train "$T/train.csv" --test "$T/train.csv" --hidden 5,4 --dropout 0.5,0.25
      --input-dropout 0.1 --batch-size 4 --lr 0.1 --quiet --no-figures --threads 1)
"$DN" train "${ARGS[@]}" --epochs 2 --scale 10 --out "$T/run" > /dev/null
"$DN" train "${ARGS[@]}" --epochs 3 --standardize --checkpoint-every 5 --out "$T/std" > /dev/null

mkdir -p "$C"/{idx,csv,safetensors,checkpoint,config,metrics,rundir}

# ---- idx: a mode byte (see fuzz_idx.c), then the file ----
be32() { printf "\\x$(printf %02x $(($1 >> 24 & 255)))\\x$(printf %02x $(($1 >> 16 & 255)))\\x$(printf %02x $(($1 >> 8 & 255)))\\x$(printf %02x $(($1 & 255)))"; }
labels() { printf '\x00\x00\x08\x01'; be32 "$1"; head -c "$1" /dev/zero | tr '\0' '\3'; }
images() { printf '\x00\x00\x08\x03'; be32 "$1"; be32 "$2"; be32 "$3"; head -c $(($1 * $2 * $3)) /dev/zero | tr '\0' '\200'; }
{ printf '\x00'; labels 3; } > "$C/idx/labels"
{ printf '\x01'; images 2 2 3; } > "$C/idx/images"
{ printf '\x02'; labels 5; } > "$C/idx/labels-gz"
{ printf '\x03'; images 1 4 4; } > "$C/idx/images-gz"
{ printf '\x00'; labels 4 | gzip -n -9; } > "$C/idx/labels-gzip-stream"
{ printf '\x01'; images 1 3 3 | gzip -n -1; } > "$C/idx/images-gzip-stream"
{ printf '\x01'; images 2 2 3 | head -c 20; } > "$C/idx/images-truncated"
{ printf '\x04'; images 2 28 28; printf '%s' "$SEP"; labels 2; } > "$C/idx/dataset"
{ printf '\x06'; images 1 28 28; printf '%s' "$SEP"; labels 1; } > "$C/idx/dataset-gz"

# ---- csv ----
head -8 "$T/train.csv" > "$C/csv/header"
sed -n '2,6p' "$T/train.csv" | sed 's/$/\r/' > "$C/csv/crlf"
printf '1,0.5,-2e3\n\n0, 1 ,\t3\n2,1e-30,7\n' > "$C/csv/spaces-blank"
printf '0,1\n1,2\n' > "$C/csv/one-feature"
printf 'y,x\n255,1\n0,2\n' > "$C/csv/classes-256"

# ---- safetensors: dropnet's model files, PyTorch's, a bare one ----
cp "$T/run/model.safetensors" "$C/safetensors/model-scale"
cp "$T/std/model.safetensors" "$C/safetensors/model-standardized"
cp ../tests/golden/torch_model.safetensors "$C/safetensors/pytorch"
h='{"0.weight":{"dtype":"F32","shape":[1,1],"data_offsets":[0,4]},"0.bias":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}'
{ printf "\\x$(printf %02x ${#h})\\x00\\x00\\x00\\x00\\x00\\x00\\x00%s" "$h"; printf '\x00\x00\x80\x3f\x00\x00\x00\x00'; } > "$C/safetensors/bare"

# ---- checkpoint: the last one of each run (both at the end of an epoch) ----
cp "$T/run/checkpoint.safetensors" "$C/checkpoint/epoch-end"
cp "$T/std/checkpoint.safetensors" "$C/checkpoint/standardized"

# ---- config, metrics, rundir ----
cp "$T/run/config.json" "$C/config/csv"
printf '{"preset":"d2l","inputs":784,"outputs":10,"hidden":[256,256],"dropout":[0.5,0.5],"input_dropout":0,"init":"pytorch","lr":0.1,"batch_size":256,"epochs":10,"weight_decay":0.001,"seed":9007199254740991,"threads":2,"data":"/data/fm"}' > "$C/config/fmnist"
printf '{"inputs":4,"outputs":2,"hidden":[],"dropout":[],"input_dropout":0.5,"init":"normal:0.0123456789","lr":1e-30,"batch_size":1,"epochs":1,"weight_decay":0,"seed":0}' > "$C/config/minimal"
cp "$T/run/metrics.csv" "$C/metrics/metrics"
cp "$T/run/steps.csv" "$C/metrics/steps"
printf 'epoch,train_loss,train_acc,test_loss,test_acc,gap,seconds\n1,0.5,0.75,nan,nan,nan,0.1\n3,0.25,1,0,0,1,2\n' > "$C/metrics/metrics-nan"
{ cat "$T/run/config.json"; printf '%s' "$SEP"; cat "$T/run/metrics.csv"; printf '%s' "$SEP"; cat "$T/run/steps.csv"; } > "$C/rundir/csv-run"
{ cat "$C/config/fmnist"; printf '%s' "$SEP"; cat "$C/metrics/metrics-nan"; } > "$C/rundir/no-steps"
du -sh "$C"/*
