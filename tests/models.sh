#!/usr/bin/env bash
# Model files, checkpoints and resume, eval, predict and CSV data through the
# command line. The central check: a training stopped with SIGINT (and one
# killed with SIGKILL) and resumed ends with a model.safetensors equal byte
# for byte to an uninterrupted run's, and the same metrics (seconds aside).
# Small settings keep it quick: hidden 64,64, batch 64, 3 epochs on the real
# Fashion-MNIST (about 1 s per run).
# usage: models.sh DROPNET
set -u
DN=$1
source "$(dirname "$0")/lib.sh"


same_run() { # DIR_A DIR_B WHAT
  if cmp -s "$1/model.safetensors" "$2/model.safetensors"; then
    echo "ok: $3: model.safetensors identical"
  else
    fail "$3: model.safetensors differs from the uninterrupted run's"
  fi
  if cmp -s <(cut -d, -f1-6 "$1/metrics.csv") <(cut -d, -f1-6 "$2/metrics.csv") &&
     cmp -s <(sed 's/,"seconds".*//' "$1/metrics.jsonl") <(sed 's/,"seconds".*//' "$2/metrics.jsonl"); then
    echo "ok: $3: metrics identical (seconds aside)"
  else
    fail "$3: metrics differ"; paste "$1/metrics.csv" "$2/metrics.csv"
  fi
  # steps.csv was rewound to the checkpoint: every (epoch, step) once, in
  # order (the strict reader behind dropnet plot checks it), and the same
  # rows as in the uninterrupted run, numbers included (a checkpoint between
  # two rows carries the sums since the last).
  if "$DN" plot "$2" -o "$2/replot.png" > /dev/null 2>&1 &&
     cmp -s "$1/steps.csv" "$2/steps.csv"; then
    echo "ok: $3: steps.csv rewound and continued"
  else
    fail "$3: steps.csv after resume: $(cut -d, -f1-2 "$2/steps.csv" | tr '\n' ' ')"
  fi
}

# Starts a training in the background; waits until its first checkpoint
# exists, then sends SIGNAL; prints the exit status.
interrupt() { # SIGNAL DIR ARGS...
  local sig=$1 dir=$2; shift 2
  "$DN" train "$@" --out "$dir" > "$dir.out" 2> "$dir.err" &
  local pid=$! i=0
  while [ ! -f "$dir/checkpoint.safetensors" ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done
  sleep 0.05
  kill "-$sig" $pid
  wait $pid
  echo $?
}

ARGS=(--hidden 64,64 --batch-size 64 --epochs 3 --lr 0.1 --quiet)
"$DN" train "${ARGS[@]}" --out "$T/whole" > /dev/null || fail "uninterrupted run"
[ -s "$T/whole/model.safetensors" ] || fail "no model.safetensors"
[ -s "$T/whole/checkpoint.safetensors" ] || fail "no checkpoint.safetensors"

# SIGINT: the step finishes, a checkpoint is written, exit 130, a hint.
rc=$(interrupt INT "$T/int" "${ARGS[@]}")
if [ "$rc" != 130 ]; then
  fail "SIGINT: exit $rc, expected 130 (the run may have ended before the signal: $(cat "$T/int.err"))"
else
  grep -q "continue with: dropnet train --resume $T/int" "$T/int.err" || fail "SIGINT: no resume hint: $(cat "$T/int.err")"
  [ -f "$T/int/model.safetensors" ] && fail "SIGINT: a model.safetensors before the end"
  echo "ok: SIGINT -> 130: $(cat "$T/int.err")"
  expect 0 'resuming at epoch' -- train --resume "$T/int"
  same_run "$T/whole" "$T/int" "SIGINT and --resume"
fi

# SIGKILL with a checkpoint every 100 steps: the last checkpoint is whole
# (written to a temporary file and renamed), and resuming from it gives the
# same bits; the metrics files are rebuilt from the checkpoint.
rc=$(interrupt KILL "$T/kill" "${ARGS[@]}" --checkpoint-every 100)
if [ "$rc" != 137 ]; then
  fail "SIGKILL: exit $rc, expected 137"
else
  expect 0 '' -- train --resume "$T/kill" --threads 1
  same_run "$T/whole" "$T/kill" "SIGKILL, --checkpoint-every 100 and --resume with 1 thread"
  # A temporary file the kill may have left is gone once the run has ended.
  no_temporaries "$T/kill"
fi

# A run with a --log-every of its own, killed after a checkpoint that falls
# between two rows and resumed without the option: the rows keep their
# rhythm and their numbers.
"$DN" train "${ARGS[@]}" --epochs 1 --log-every 70 --out "$T/whole70" > /dev/null ||
  fail "uninterrupted run with --log-every 70"
rc=$(interrupt KILL "$T/kill70" "${ARGS[@]}" --epochs 1 --log-every 70 --checkpoint-every 100)
if [ "$rc" != 137 ]; then
  fail "SIGKILL (--log-every 70): exit $rc, expected 137"
else
  expect 0 '' -- train --resume "$T/kill70"
  same_run "$T/whole70" "$T/kill70" "SIGKILL between two rows of --log-every 70, --resume without it"
fi

# Killed while metrics.csv's header was being written (the file empty, or
# its header cut short), before any checkpoint: the resume starts over and
# ends as the run never stopped.
for cut in 0 13; do
  mkdir -p "$T/cut$cut"
  cp "$T/whole/.dropnet" "$T/whole/config.json" "$T/cut$cut/"
  head -c "$cut" "$T/whole/metrics.csv" > "$T/cut$cut/metrics.csv"
  expect 0 '' -- train --resume "$T/cut$cut"
  same_run "$T/whole" "$T/cut$cut" "killed inside metrics.csv's header ($cut bytes), then --resume"
done

# SIGTERM is handled as SIGINT.
rc=$(interrupt TERM "$T/term" "${ARGS[@]}")
[ "$rc" = 130 ] && echo "ok: SIGTERM -> 130" || fail "SIGTERM: exit $rc, expected 130"

# Resume refuses what does not belong to the run.
expect 2 '--resume: --lr cannot be given with it' -- train --resume "$T/whole" --lr 0.3
expect 2 'nowhere/config.json: cannot open' -- train --resume "$T/nowhere"
cp -r "$T/term" "$T/nock" && rm "$T/nock/checkpoint.safetensors"
expect 2 'no checkpoint to resume from' -- train --resume "$T/nock"
"$DN" train --hidden 64,32 --batch-size 64 --epochs 1 --quiet --out "$T/other" > /dev/null
cp -r "$T/term" "$T/mixed" && cp "$T/other/checkpoint.safetensors" "$T/mixed/"
expect 2 'layer 4 is Linear(64,32)' -- train --resume "$T/mixed"
cp -r "$T/term" "$T/mixed2" && sed -i 's/"lr":[[:space:]]*0.1,/"lr": 0.2,/' "$T/mixed2/config.json"
expect 2 'from another configuration ("lr" differs' -- train --resume "$T/mixed2"
cp -r "$T/term" "$T/mixed3" && sed -i 's/"seed":[[:space:]]*1,/"seed": 2,/' "$T/mixed3/config.json"
expect 2 'from another configuration ("seed" differs' -- train --resume "$T/mixed3"
# config.json records the backend of the products and its kernels; resuming
# with another is refused (other bits), unless --gemm names the recorded one.
grep -q "\"backend\":[[:space:]]*\"$("$DN" train --help | sed -n 's/.*else \([a-z]*\) on this CPU.*/\1/p')\"" "$T/whole/config.json" ||
  fail "config.json does not record the default backend: $(grep -A3 '"gemm"' "$T/whole/config.json")"
grep -q '"isa":' "$T/whole/config.json" || fail "config.json does not record the instruction set"
cp -r "$T/term" "$T/gemm" && sed -i 's/"backend":[[:space:]]*"[a-z]*"/"backend": "mkl"/' "$T/gemm/config.json"
expect 2 'trained with mkl' -- train --resume "$T/gemm"
expect 2 '(--gemm mkl resumes it with its backend)' -- train --resume "$T/gemm" --gemm onednn
rec=$(sed -n 's/.*"backend":[[:space:]]*"\([a-z]*\)".*/\1/p' "$T/term/config.json")
cp -r "$T/term" "$T/isa" && sed -i 's/"isa":[[:space:]]*"[a-z0-9.]*"/"isa": "sse2"/' "$T/isa/config.json"
expect 2 "trained with $rec (sse2 kernels)" -- train --resume "$T/isa"
expect 0 'resuming at epoch' -- train --resume "$T/isa" --gemm "$rec"
same_run "$T/whole" "$T/isa" "--resume with --gemm naming the recorded backend"
# $DN_GEMM applies to every command that multiplies, compare --model-a/-b too.
for cmd in "eval --model $T/whole/model.safetensors" "compare --model-a $T/whole/model.safetensors --model-b $T/whole/model.safetensors"; do
  # shellcheck disable=SC2086
  DN_GEMM=bogus "$DN" $cmd > /dev/null 2> "$T/stderr"; rc=$?
  [ "$rc" = 2 ] && grep -q "DN_GEMM: unknown matrix-product backend 'bogus'" "$T/stderr" ||
    fail "DN_GEMM=bogus dropnet $cmd -> exit $rc: $(cat "$T/stderr")"
done
head -c 1000 "$T/whole/checkpoint.safetensors" > "$T/mixed/checkpoint.safetensors"
expect 2 'past the end' -- train --resume "$T/mixed"

# eval: loss and accuracy as in the run's last row; per class; confusion.
M="$T/whole/model.safetensors"
out=$("$DN" eval --model "$M")
last=$(tail -1 "$T/whole/metrics.csv" | cut -d, -f5)
acc=$(printf '%s\n' "$out" | sed -n 's/^test loss .* accuracy \([0-9.]*\) .*/\1/p')
awk -v a="$acc" -v b="$last" 'BEGIN { exit !(a - b < 5e-5 && b - a < 5e-5) }' \
  && echo "ok: eval accuracy $acc = the run's last test accuracy" || fail "eval accuracy '$acc' vs $last"
printf '%s\n' "$out" | grep -q '^ankle boot ' || fail "eval: no per-class row for ankle boot"
printf '%s\n' "$out" | grep -q 'confusion matrix' || fail "eval: no confusion matrix"
sum=$(printf '%s\n' "$out" | sed -n '/confusion matrix/,$p' | tail -10 | awk '{ for (i = NF - 9; i <= NF; i++) s += $i } END { print s }')
[ "$sum" = 10000 ] && echo "ok: the confusion matrix counts 10000 images" || fail "confusion matrix sums to $sum"

# predict: names, probabilities, --top, --index.
IMG=/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz
out=$("$DN" predict --model "$M" --images "$IMG" --index 0,1 --index 5 --top 3)
[ "$(printf '%s\n' "$out" | wc -l)" = 4 ] || fail "predict: expected a header and 3 rows: $out"
printf '%s\n' "$out" | sed -n 1p | grep -q '^index  1st         probability  2nd         probability  3rd         probability$' \
  || fail "predict --top 3: header: $out"
# Columns line up: every line as long as the header, each probability
# right under its header's "probability".
printf '%s\n' "$out" | awk 'NR == 1 { w = length($0) } length($0) != w { exit 1 }' \
  || fail "predict --top 3: rows not aligned with the header: $out"
printf '%s\n' "$out" | awk 'NR > 1 { for (c = 25; c <= 75; c += 25) if (substr($0, c, 6) !~ /^[01]\.[0-9][0-9][0-9][0-9]$/) exit 1 }' \
  || fail "predict --top 3: probabilities not under their header: $out"
printf '%s\n' "$out" | grep -q '^    0  ankle boot       0\.' && echo "ok: predict image 0: $(printf '%s\n' "$out" | sed -n 2p)" \
  || fail "predict: image 0 of the test set is an ankle boot: $out"
# --logits: one column per class, headed by its name, lined up.
out=$("$DN" predict --model "$M" --images "$IMG" --index 0,1 --logits)
printf '%s\n' "$out" | sed -n 1p | grep -q '^index          t-shirt          trouser .*       ankle boot$' \
  || fail "predict --logits: header names the classes: $out"
printf '%s\n' "$out" | awk 'NR == 1 { w = length($0) } length($0) != w || (NR > 1 && NF != 11) { exit 1 }' \
  || fail "predict --logits: rows of 10 logits aligned with the header: $out"
expect 2 '--top: 11 is more than the 10 classes of' -- predict --model "$M" --images "$IMG" --top 11
expect 2 '--top and --logits cannot be given together' -- predict --model "$M" --images "$IMG" --top 2 --logits
n=$("$DN" predict --model "$M" --images "$IMG" | wc -l)
[ "$n" = 10001 ] || fail "predict without --index: $n lines"
expect 2 'past the last image' -- predict --model "$M" --images "$IMG" --index 10000
expect 2 'required' -- predict --model "$M"
head -c 4 "$M" > "$T/empty.safetensors"
expect 2 'truncated' -- eval --model "$T/empty.safetensors"
expect 2 'cannot open' -- predict --model "$T/absent.safetensors" --images "$IMG"
printf '\x00\x00\x00\x00\x00\x00\x00\x10{}' > "$T/huge.safetensors"
expect 2 'above the limit' -- eval --model "$T/huge.safetensors"

# CSV data: a small problem written here (3 classes, 5 features).
awk 'BEGIN { srand(3); print "label,a,b,c,d,e"
  for (i = 0; i < 900; i++) { c = i % 3; printf "%d", c
    for (j = 0; j < 5; j++) printf ",%.3f", 10 * j + rand() + (j == c ? 2 : 0); print "" } }' > "$T/train.csv"
awk 'BEGIN { srand(4); for (i = 0; i < 300; i++) { c = i % 3; printf "%d", c
    for (j = 0; j < 5; j++) printf ",%.3f", 10 * j + rand() + (j == c ? 2 : 0); print "" } }' > "$T/test.csv"
expect 0 '3 classes' -- train --train "$T/train.csv" --test "$T/test.csv" --standardize --hidden 16 \
  --dropout 0.1 --epochs 8 --batch-size 30 --lr 0.2 --out "$T/csv"
acc=$(tail -1 "$T/csv/metrics.csv" | cut -d, -f5)
awk -v a="$acc" 'BEGIN { exit !(a >= 0.9) }' && echo "ok: CSV test accuracy $acc" || fail "CSV test accuracy $acc < 0.9"
expect 0 "accuracy $(printf '%.4f' "$acc")" -- eval --model "$T/csv/model.safetensors" --test "$T/test.csv"
rc=$(interrupt INT "$T/csvint" --train "$T/train.csv" --test "$T/test.csv" --standardize --hidden 16 \
  --dropout 0.1 --epochs 400 --batch-size 30 --lr 0.2 --quiet)
[ "$rc" = 130 ] || fail "CSV SIGINT: exit $rc"
sed '3s/,[^,]*$//' "$T/train.csv" > "$T/train1.csv"
expect 2 "train1.csv:3: 5 columns, expected 6" -- train --train "$T/train1.csv" --test "$T/test.csv"
awk -F, -v OFS=, 'NR == 5 { $2 = "nan" } { print }' "$T/train.csv" > "$T/train2.csv"
expect 2 "train2.csv:5: column 2: 'nan' is not a finite number" -- train --train "$T/train2.csv" --test "$T/test.csv"
sed '7s/^[0-9]*,/x,/' "$T/test.csv" > "$T/test2.csv"
expect 2 "test2.csv:7: label 'x' is not an integer" -- train --train "$T/train.csv" --test "$T/test2.csv"
sed '7s/^[0-9]*,/3,/' "$T/test.csv" > "$T/test3.csv"
expect 2 "test3.csv:7: label 3 is out of range [0, 3)" -- train --train "$T/train.csv" --test "$T/test3.csv"
expect 2 '--scale applies to CSV data' -- train --scale 255
expect 2 'needs both --train and --test' -- train --train "$T/train.csv"
expect 2 'cannot be combined with --standardize' -- train --train "$T/train.csv" --test "$T/test.csv" --scale 2 --standardize
expect 2 'the model takes 5 inputs' -- eval --model "$T/csv/model.safetensors"
expect 2 'images are 28x28 (784 pixels) but the model takes 5 inputs' -- predict --model "$T/csv/model.safetensors" --images "$IMG"

finish
