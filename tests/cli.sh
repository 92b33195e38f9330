#!/usr/bin/env bash
# The command line: help, bad options and bad data answered with one line and
# exit status 2, the run directory and its files, data check.
# usage: cli.sh DROPNET
set -u
DN=$1
source "$(dirname "$0")/lib.sh"


expect 0 'commands:' -- --help
expect 0 'dropnet 0.' -- --version
"$DN" > /dev/null 2>"$T/stderr"; rc=$?
if [ $rc -ne 2 ] || ! grep -q '^usage: dropnet' "$T/stderr"; then fail "no command -> $rc"; fi
expect 2 "unknown command 'fly'" -- fly
expect 0 '--dropout LIST' -- train --help
expect 0 'Verifies' -- data check --help
# help COMMAND is COMMAND --help
for c in train data eval predict plot compare sweep stats; do
  "$DN" help $c > "$T/help1" 2>&1; rc1=$?
  "$DN" $c --help > "$T/help2" 2>&1; rc2=$?
  if [ $rc1 -ne 0 ] || [ $rc2 -ne 0 ] || ! cmp -s "$T/help1" "$T/help2" || ! grep -q "usage: dropnet $c" "$T/help1"; then
    fail "dropnet help $c differs from dropnet $c --help (exit $rc1, $rc2)"
  else
    ok "dropnet help $c"
  fi
done
expect 2 "help: unknown command 'fly'" -- help fly

# bad values: one line naming the option, exit 2, before any training
expect 2 '--dropout: 1.1 is outside [0, 1]' -- train --dropout 1.1,0.5
expect 2 '--dropout: 1.0000001 is outside [0, 1]' -- train --dropout 0.2,1.0000001
expect 2 '--dropout: -0.1 is outside' -- train --dropout=-0.1,0.5
expect 2 '--dropout has 1 value but there are 2 hidden layers' -- train --dropout 0.2
expect 2 '--dropout has 2 values but there is 1 hidden layer' -- train --hidden 512
expect 2 '--dropout: empty list' -- train --dropout ''
expect 2 '--hidden: empty list' -- train --hidden ''
expect 2 "--hidden: 0 is outside" -- train --hidden 0,256
expect 2 '--lr: 0 must be positive' -- train --lr 0
expect 2 '--lr: -1 is outside' -- train --lr -1
expect 2 "--lr: 'nan' is not a finite number" -- train --lr nan
expect 2 "--lr: 'abc' is not a finite number" -- train --lr abc
expect 2 '--batch-size: 0 is outside' -- train --batch-size 0
expect 2 "--batch-size: '12x' is not an integer" -- train --batch-size 12x
expect 2 '--epochs: 0 is outside' -- train --epochs 0
expect 2 '--weight-decay: -0.5 is outside' -- train --weight-decay -0.5
expect 2 "init 'uniform' is not" -- train --init uniform
expect 2 "init 'normal:-1' is not" -- train --init normal:-1
expect 2 "--seed: '-3' is not a non-negative integer" -- train --seed -3
expect 2 '--threads: 0 is outside' -- train --threads 0
expect 2 "unknown preset 'd2l-2030'" -- train --preset d2l-2030
expect 2 "unknown option '--dropuot'" -- train --dropuot 0.5
expect 2 "option '--lr' needs a value" -- train --lr
expect 2 "unexpected argument 'extra'" -- train extra
expect 2 'no such data directory' -- train --data "$T/nowhere" --epochs 1
expect 2 'dataset-fashion-mnist' -- train --data "$T/nowhere" --epochs 1
expect 2 'zalandoresearch/fashion-mnist' -- train --data "$T" --epochs 1
expect 2 'larger than the training set' -- train --batch-size 70000 --epochs 1 --out "$T/big"
expect 2 'the network has more than' -- train --hidden 100000,100000 --epochs 1 --out "$T/huge"
DROPNET_DATA="$T/empty" expect 2 'no such data directory' -- train --epochs 1
# A path from the environment says so; data check takes DIR, not --data.
DROPNET_DATA="$T/empty" expect 2 "$T/empty (from \$DROPNET_DATA): no such data directory" -- train --epochs 1
DROPNET_DATA="$T/empty" expect 2 'or unset DROPNET_DATA' -- data check
expect 2 '/nonexistent: no such data directory' -- data check /nonexistent
if "$DN" data check /nonexistent 2>&1 | grep -q -- '--data'; then
  fail "data check names --data, an option it does not take"
fi

# data check: the real files match; a changed label is caught
expect 0 'all four files match' -- data check
D=/usr/share/datasets/fashion-mnist
if [ -d "$D" ]; then
  mkdir -p "$T/fm"
  for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte; do
    ln -s "$D/$f.gz" "$T/fm/$f.gz"
  done
  zcat "$D/t10k-labels-idx1-ubyte.gz" > "$T/fm/t10k-labels-idx1-ubyte"
  printf '\x09' | dd of="$T/fm/t10k-labels-idx1-ubyte" bs=1 seek=100 conv=notrunc status=none
  printf '\x08' | dd of="$T/fm/t10k-labels-idx1-ubyte" bs=1 seek=101 conv=notrunc status=none
  expect 2 'differ from the official' -- data check "$T/fm"
  printf '\x0b' | dd of="$T/fm/t10k-labels-idx1-ubyte" bs=1 seek=100 conv=notrunc status=none
  expect 2 'label 11 of item 92 is above 9' -- train --data "$T/fm" --epochs 1 --out "$T/bad"
fi

# a one-epoch run leaves config.json, metrics.csv and metrics.jsonl
"$DN" train --epochs 1 --quiet --out "$T/run" > "$T/out.txt" 2>"$T/err.txt"
rc=$?
if [ $rc -ne 0 ]; then fail "one-epoch run exited $rc: $(cat "$T/err.txt")"; fi
for f in config.json metrics.csv metrics.jsonl; do
  [ -s "$T/run/$f" ] || fail "run directory lacks $f"
done
if [ "$(wc -l < "$T/run/metrics.csv")" -ne 2 ] || ! head -1 "$T/run/metrics.csv" | grep -q '^epoch,train_loss,train_acc,test_loss,test_acc,gap,seconds$'; then
  fail "metrics.csv: $(cat "$T/run/metrics.csv")"
fi
grep -q '"dropout":[[:space:]]*\[0.2, 0.5\]' "$T/run/config.json" || fail "config.json dropout"
grep -q '"blas":' "$T/run/config.json" || fail "config.json lacks library versions"
grep -q '^    1 ' "$T/out.txt" || fail "no table row: $(cat "$T/out.txt")"
# the same directory again is refused: nothing is overwritten
expect 2 'already holds a run' -- train --epochs 1 --out "$T/run"

# explicit options override the preset, in any order
"$DN" train --lr 0.25 --preset d2l --epochs 1 --quiet --out "$T/run2" >/dev/null 2>&1
grep -q '"lr":[[:space:]]*0.25' "$T/run2/config.json" && grep -q '"init":[[:space:]]*"pytorch"' "$T/run2/config.json" \
  && grep -q '"dropout":[[:space:]]*\[0.5, 0.5\]' "$T/run2/config.json" \
  || fail "preset d2l with --lr 0.25: $(cat "$T/run2/config.json")"

finish
