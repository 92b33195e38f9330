#!/usr/bin/env bash
# Runs the bad-input corpus (cases.tsv, files/): every case's exit status and
# words, one-line errors, no crash.
# usage: tests/bad-input/run.sh DROPNET
set -u
DN=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
F=$HERE/files
source "$HERE/../lib.sh"
# lib.sh's trap, with chmod first: whatever a case left read-only in $T goes too.
trap 'chmod -R u+w "$T"; rm -rf "$T"' EXIT
# The scratch directory's fixtures.
ln -s loop "$T/loop"
# Run directories to resume hold absolute paths to their data, so they are
# made here, by dropnet itself, from a run on files/ok.csv: a finished run,
# and from it one with its checkpoint cut short, one with another seed in
# config.json, one without a checkpoint and one whose checkpoint is a model.
if ! "$DN" train --train "$F/ok.csv" --test "$F/ok.csv" --hidden 5 --dropout 0.5 --batch-size 5 \
     --epochs 2 --lr 0.1 --quiet --no-figures --threads 1 --out "$T/resume-ok" > "$T/out" 2>&1; then
  echo "FAIL: the run to resume from: $(cat "$T/out")"; exit 1
fi
for d in truncated otherseed nock notck config-dir; do
  mkdir "$T/$d"
  cp "$T/resume-ok/config.json" "$T/resume-ok/metrics.csv" "$T/$d/"
done
head -c 300 "$T/resume-ok/checkpoint.safetensors" > "$T/truncated/checkpoint.safetensors"
cp "$T/resume-ok/checkpoint.safetensors" "$T/resume-ok/steps.csv" "$T/otherseed/"
sed -i 's/"seed":[[:space:]]*1,/"seed": 2,/' "$T/otherseed/config.json"
# a config.json whose micro-blocks are not a power of two
mkdir "$T/badblocks"
cp "$T/resume-ok/config.json" "$T/resume-ok/checkpoint.safetensors" "$T/badblocks/"
sed -i 's/"seed":[[:space:]]*1,/"seed": 1, "micro_blocks": 3,/' "$T/badblocks/config.json"
cp "$F/ok-model.safetensors" "$T/notck/checkpoint.safetensors"
rm "$T/config-dir/config.json"
mkdir "$T/config-dir/config.json" "$T/dir"
echo text > "$T/file"
mkdir "$T/mine"
echo '{"my":1}' > "$T/mine/config.json"
mkdir "$T/taken"
printf 'epoch,train_loss,train_acc,test_loss,test_acc,gap,seconds\n' > "$T/taken/metrics.csv"

n=0
while IFS=$'\t' read -r name want words args; do
  [ -z "$name" ] || [ "${name:0:1}" = '#' ] && continue
  # A case's arguments may run over several lines (a value with a newline).
  while [ "$(printf '%s' "$args" | tr -cd "'" | wc -c)" -eq 1 ] && IFS= read -r more; do
    args+=$'\n'"$more"
  done
  n=$((n+1))
  args=${args//@F/$F}
  args=${args//@T/$T}
  words=${words//@F/$F}
  words=${words//@T/$T}
  eval "set -- $args"
  "$DN" "$@" > "$T/out" 2> "$T/err"
  rc=$?
  problem=
  if [ $rc -ge 128 ]; then
    problem="crashed (exit $rc)"
  elif [ $rc != "$want" ]; then
    problem="exit $rc, expected $want"
  elif ! grep -qF -- "$words" "$T/err" "$T/out"; then
    problem="the output lacks '$words'"
  elif [ "$want" != 0 ] && { [ "$(wc -l < "$T/err")" -ne 1 ] || ! grep -q '^dropnet: ' "$T/err"; }; then
    problem="the error is not one line starting 'dropnet: '"
  fi
  if [ -n "$problem" ]; then
    fail "$name: $problem: $(head -c 600 "$T/err")"
  else
    echo "ok: $name ($rc): $(head -1 "$T/err" | head -c 200)"
  fi
done < "$HERE/cases.tsv"
echo "$n cases"
[ $n -ge 40 ] || fail "only $n cases"
finish
