#!/usr/bin/env bash
# Writes the files of the bad-input corpus (tests/bad-input/files/, committed;
# run again only to rebuild them): small valid files (a CSV problem, a model,
# a run directory written by dropnet itself) and, from them or by hand, one
# malformed file or directory per case of cases.tsv.
# usage: tests/bad-input/make-files.sh DROPNET
set -euo pipefail
DN=$(realpath "$1")
cd "$(dirname "$0")"
rm -rf files
mkdir files
cd files

# ---- valid pieces ----
awk 'BEGIN { srand(7); print "label,a,b,c,d,e,f"
  for (i = 0; i < 30; i++) { c = i % 3; printf "%d", c
    for (j = 0; j < 6; j++) printf ",%.2f", j + rand() + (j == c ? 2 : 0); print "" } }' > ok.csv
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
"$DN" train --train ok.csv --test ok.csv --hidden 5 --dropout 0.5 --batch-size 5 --epochs 2 \
  --lr 0.1 --quiet --no-figures --threads 1 --out "$T/run" > /dev/null
cp "$T/run/model.safetensors" ok-model.safetensors
mkdir run-ok
cp "$T/run/config.json" "$T/run/metrics.csv" "$T/run/steps.csv" run-ok/
# Run directories hold the absolute path of their data: made relative here
# (dropnet plot does not open it); those to resume are made by run.sh.
sed -i "s#\"[^\"]*/ok.csv\"#\"ok.csv\"#g" run-ok/config.json

be32() { printf "\\x$(printf %02x $(($1 >> 24 & 255)))\\x$(printf %02x $(($1 >> 16 & 255)))\\x$(printf %02x $(($1 >> 8 & 255)))\\x$(printf %02x $(($1 & 255)))"; }
images() { printf '\x00\x00\x08\x03'; be32 "$1"; be32 "$2"; be32 "$3"; head -c $(($1 * $2 * $3)) /dev/zero | tr '\0' '\100'; }
labels() { printf '\x00\x00\x08\x01'; be32 "$1"; printf "$2"; }
images 3 1 6 > images-1x6.idx

# ---- IDX ----
{ printf '\x00\x00\x09\x03'; be32 3; be32 1; be32 6; head -c 18 /dev/zero; } > idx-wrong-magic.idx
images 3 1 6 | gzip -n > "$T/g"
head -c 30 "$T/g" > idx-truncated.idx.gz
{ printf '\x00\x00\x08\x03'; be32 2147483648; be32 1; be32 6; head -c 6 /dev/zero; } > idx-claims-2g-images.idx
{ head -c 12 "$T/g"; printf '\xde\xad\xbe\xef'; tail -c +17 "$T/g"; } > idx-corrupt.idx.gz
{ images 3 1 6; printf 'xyz'; } > idx-trailing-bytes.idx
labels 3 '\0\1\2' > idx-labels-not-images.idx
{ printf '\x00\x00\x08\x03'; be32 1; be32 65536; be32 65536; } > idx-dims-overflow.idx
: > idx-empty.idx

# Fashion-MNIST directories of two images each, one defect per directory.
fmdir() { # DIR IMAGES_CMD LABELS_CMD
  mkdir "$1"
  eval "$2" > "$1/train-images-idx3-ubyte"
  eval "$3" > "$1/train-labels-idx1-ubyte"
  images 2 28 28 | gzip -n > "$1/t10k-images-idx3-ubyte.gz"
  labels 2 '\1\2' | gzip -n > "$1/t10k-labels-idx1-ubyte.gz"
}
fmdir data-27x28 'images 2 27 28' "labels 2 '\\0\\1'"
fmdir data-count-mismatch 'images 2 28 28' "labels 3 '\\0\\1\\2'"
fmdir data-label-11 'images 2 28 28' "labels 2 '\\0\\13'"
fmdir data-trailing-bytes 'images 2 28 28; printf x' "labels 2 '\\0\\1'"
fmdir data-no-images 'images 0 28 28' "labels 0 ''"
fmdir data-corrupt-gzip 'images 2 28 28' "labels 2 '\\0\\1'"
rm data-corrupt-gzip/t10k-labels-idx1-ubyte.gz
cp idx-corrupt.idx.gz data-corrupt-gzip/t10k-labels-idx1-ubyte.gz
fmdir data-truncated-gzip 'images 2 28 28' "labels 2 '\\0\\1'"
images 2 28 28 | gzip -n | head -c 40 > data-truncated-gzip/t10k-images-idx3-ubyte.gz
mkdir data-missing-file
images 2 28 28 > data-missing-file/train-images-idx3-ubyte

# ---- CSV ----
printf 'label,a,b\n0,1,2\n1,nan,3\n' > csv-nan.csv
printf 'label,a,b\n0,1,2\n1,1e39,3\n' > csv-overflow.csv
: > csv-empty.csv
printf 'label,a,b\n' > csv-header-only.csv
printf '0\n1\n' > csv-one-column.csv
printf '0,1,2\n1,2\n' > csv-ragged.csv
printf '0,1,2\n-1,2,3\n' > csv-label-negative.csv
printf '0,1,2\n256,2,3\n' > csv-label-256.csv
printf '0,1,2\n1.5,2,3\n' > csv-label-fraction.csv
printf '0,1,2\n1,2\x00,3\n' > csv-nul-byte.csv
printf '0,1,2\n1,,3\n' > csv-empty-value.csv
printf '0,1,2,3,4,5,6,7\n1,2,3,4,5,6,7,8\n' > csv-wrong-width.csv
# a typo in the first row of a file without a header: data, not a header
printf '0,1,O.4,3,4,5,6\n1,1,2,3,4,5,6\n' > csv-typo-first-row.csv
# a byte order mark before a header, and before a first data row
{ printf '\xef\xbb\xbf'; cat ok.csv; } > csv-bom-header.csv
{ printf '\xef\xbb\xbf'; tail -n +2 ok.csv; } > csv-bom-no-header.csv
# float-subnormal features (1e-45 is the smallest) are valid numbers
awk -F, 'NR == 1 { print; next } { $2 = (NR % 3 ? "1e-45" : "1e-38"); $3 = "1e-40"; print }' OFS=, ok.csv > csv-subnormal.csv
# a test set with a class the training set lacks (ok.csv has 0, 1, 2)
printf '0,1,2,3,4,5,6\n3,1,2,3,4,5,6\n' > csv-new-class.csv

# ---- safetensors ----
st() { # NAME LENGTH HEADER DATA_BYTES (LENGTH -1: the header's own)
  local h=$3 n=$2 LC_ALL=C # lengths in bytes
  [ "$n" = -1 ] && n=${#h}
  { printf "\\x$(printf %02x $((n & 255)))\\x$(printf %02x $((n >> 8 & 255)))"
    printf "\\x$(printf %02x $((n >> 16 & 255)))\\x$(printf %02x $((n >> 24 & 255)))"
    printf '\x00\x00\x00\x00%s' "$h"; printf "$4"; } > "$1"
}
W='"0.weight":{"dtype":"F32","shape":[1,1],"data_offsets":[0,4]}'
B='"0.bias":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}'
ONE='\x00\x00\x80\x3f\x00\x00\x00\x00'
: > st-empty.safetensors
printf '\x08\x00\x00' > st-short.safetensors
printf '\x00\x00\x00\x00\x00\x00\x00\x10{}' > st-huge-header.safetensors
st st-header-past-end.safetensors 4096 '{}' ''
st st-not-json.safetensors -1 '{"0.weight":' "$ONE"
st st-f16.safetensors -1 "{\"0.weight\":{\"dtype\":\"F16\",\"shape\":[1,1],\"data_offsets\":[0,2]},$B}" '\x00\x3c\x00\x00\x00\x00'
st st-nan.safetensors -1 "{$W,$B}" '\x00\x00\xc0\x7f\x00\x00\x00\x00'
st st-shape-mismatch.safetensors -1 "{\"0.weight\":{\"dtype\":\"F32\",\"shape\":[2,1],\"data_offsets\":[0,4]},$B}" "$ONE"
st st-overlap.safetensors -1 "{$W,\"0.bias\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}" '\x00\x00\x80\x3f'
st st-gap.safetensors -1 "{$W,\"0.bias\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}" "$ONE"'\x00\x00\x00\x00'
st st-offsets-past-end.safetensors -1 "{$W,\"0.bias\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}" '\x00\x00\x80\x3f'
st st-bytes-after-data.safetensors -1 "{$W,$B}" "$ONE"'\x01\x02\x03\x04'
st st-metadata-number.safetensors -1 "{\"__metadata__\":{\"layers\":3},$W,$B}" "$ONE"
st st-duplicate-tensor.safetensors -1 "{$W,$W,$B}" "$ONE"
st st-layers-garbage.safetensors -1 "{\"__metadata__\":{\"layers\":\"Linear(1,1),Softmax\"},$W,$B}" "$ONE"
st st-negative-dimension.safetensors -1 "{\"0.weight\":{\"dtype\":\"F32\",\"shape\":[-1,1],\"data_offsets\":[0,4]},$B}" "$ONE"
st st-missing-bias.safetensors -1 "{$W}" '\x00\x00\x80\x3f'
st st-dup-key-in-entry.safetensors -1 "{\"0.weight\":{\"dtype\":\"F32\",\"shape\":[1,1],\"dtype\":\"F16\",\"data_offsets\":[0,4]},$B}" "$ONE"
st st-metadata-not-utf8.safetensors -1 "{\"__metadata__\":{\"classes\":\"$(printf '\xff')\"},$W,$B}" "$ONE"
st st-shape-2-62.safetensors -1 "{\"0.weight\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,1],\"data_offsets\":[0,4]},$B}" "$ONE"
st st-classes-count.safetensors -1 "{\"__metadata__\":{\"classes\":\"cat,dog\"},$W,$B}" "$ONE"
st st-no-metadata.safetensors -1 "{$W,$B}" "$ONE"
printf 'label,x\n0,1\n0,2\n' > csv-one-feature.csv
st st-extra-tensor.safetensors -1 "{$W,$B,\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}" "$ONE"'\x00\x00\x00\x00'

# ---- run directories (dropnet plot) ----
run() { mkdir "$1"; cp run-ok/config.json run-ok/metrics.csv run-ok/steps.csv "$1/"; }
run run-bad-header
sed -i '1s/train_loss/trainloss/' run-bad-header/metrics.csv
run run-truncated-row
printf '3,0.5,0.5,0.5,0.5,0,0.1' >> run-truncated-row/metrics.csv
run run-epoch-order
sed -n 2p run-ok/metrics.csv >> run-epoch-order/metrics.csv
run run-accuracy-above-1
sed -i '2s/^1,\([^,]*\),[^,]*,/1,\1,1.5,/' run-accuracy-above-1/metrics.csv
run run-steps-order
tail -1 run-ok/steps.csv >> run-steps-order/steps.csv
run run-config-not-json
printf '{"inputs": 6,' > run-config-not-json/config.json
run run-config-dropout-2
sed -i 's/"dropout":[[:space:]]*\[0.5\]/"dropout": [2]/' run-config-dropout-2/config.json
run run-no-config
rm run-no-config/config.json
run run-metrics-nul
printf '3,0.5,0.5,0.5\x00,0.5,0,0.1\n' >> run-metrics-nul/metrics.csv

# ---- run directories to resume ----
mkdir resume-config-garbage
printf 'not json\n' > resume-config-garbage/config.json
echo "written: $(ls | wc -l) entries, $(du -sh . | cut -f1)"
