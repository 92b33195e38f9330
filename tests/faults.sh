#!/usr/bin/env bash
# Writes that fail, and two trainings on one run directory.
# Failures come from the fault switch of the library's writer
# (DROPNET_FAULT_WRITE=NAME: every write of files named NAME fails as on a
# full disk, see src/files/file.h): each must be a one-line error naming the
# file (exit 1), leave no temporary file and no half file under a final name,
# and leave the previous checkpoint intact, so that the run resumed without
# the fault ends with the uninterrupted run's model.safetensors, byte for
# byte. Figures that cannot be written are a warning, not a failure.
# usage: faults.sh DROPNET
set -u
DN=$1
source "$(dirname "$0")/lib.sh"

# run STATUS 'WORDS' FAULT -- ARGS...: dropnet with DROPNET_FAULT_WRITE=FAULT;
# exit status, WORDS in its output, errors on one line.
run() {
  local want=$1 words=$2 fault=$3; shift 4
  DROPNET_FAULT_WRITE=$fault "$DN" "$@" > "$T/out" 2> "$T/err"
  local rc=$?
  if [ $rc != "$want" ]; then
    fail "[$fault] dropnet $* -> exit $rc, expected $want: $(cat "$T/err")"; return 1
  fi
  if [ -n "$words" ] && ! grep -qF -- "$words" "$T/err" "$T/out"; then
    fail "[$fault] dropnet $* -> output lacks '$words': $(cat "$T/err")"; return 1
  fi
  if [ "$want" != 0 ] && [ "$(wc -l < "$T/err")" -ne 1 ]; then
    fail "[$fault] dropnet $* -> error is not one line: $(cat "$T/err")"; return 1
  fi
  ok "[$fault] dropnet $* -> $rc${words:+ ($(cat "$T/err" | head -1))}"
}

same_model() { # DIR WHAT
  cmp -s "$T/whole/model.safetensors" "$1/model.safetensors" &&
    ok "$2: model.safetensors equals the uninterrupted run's" ||
    fail "$2: model.safetensors differs from the uninterrupted run's"
}

# fails_writing FILE DIR: a fresh training into DIR whose writes of FILE fail: the
# one-line error, and neither FILE nor a temporary file left in DIR.
fails_writing() {
  run 1 "$1: write failed: No space left on device" "$1" -- train "${ARGS[@]}" --out "$2"
  [ -e "$2/$1" ] && fail "a $1 was left"
  no_temporaries "$2"
}

# resumed DIR 'WORDS' WHAT: DIR resumed without the fault (WORDS in its
# output) ends with the uninterrupted run's model.
resumed() {
  run 0 "$2" '' -- train --resume "$1"
  same_model "$1" "$3"
}

ARGS=(--hidden 32,32 --batch-size 128 --epochs 2 --lr 0.1 --quiet --no-figures)
"$DN" train "${ARGS[@]}" --out "$T/whole" > /dev/null || fail "uninterrupted run"

# A run directory that cannot be written from the start: nothing half-made.
fails_writing config.json "$T/c"
run 1 'metrics.csv: write failed: No space left on device' metrics.csv -- train "${ARGS[@]}" --out "$T/m"

# The first checkpoint cannot be written: no checkpoint, no metrics row; the
# run resumes from the start and ends as the uninterrupted one.
fails_writing checkpoint.safetensors "$T/first"
resumed "$T/first" 'resuming at epoch 1, step 0' "first checkpoint failed, resumed"

# metrics.jsonl fails at the end of epoch 1, after that epoch's checkpoint:
# the run stops with a checkpoint. Resumed with checkpoints every 100 steps
# that cannot be written: it stops at the first, and the checkpoint before
# is untouched (byte for byte) and loadable; resumed without the fault it
# ends as the uninterrupted run.
run 1 'metrics.jsonl: write failed: No space left on device' metrics.jsonl -- \
  train "${ARGS[@]}" --out "$T/mid"
cp "$T/mid/checkpoint.safetensors" "$T/mid.ck"
run 1 'checkpoint.safetensors: write failed: No space left on device' checkpoint.safetensors -- \
  train --resume "$T/mid" --checkpoint-every 100
cmp -s "$T/mid.ck" "$T/mid/checkpoint.safetensors" && ok "the previous checkpoint is intact" ||
  fail "the checkpoint changed under a failed write"
no_temporaries "$T/mid"
run 0 '' '' -- eval --model "$T/mid/checkpoint.safetensors" --data /usr/share/datasets/fashion-mnist
resumed "$T/mid" 'resuming at epoch 2, step 0' "checkpoint failed mid-run, resumed"

# The final model cannot be written: the last checkpoint holds everything.
fails_writing model.safetensors "$T/end"
resumed "$T/end" 'resuming at epoch 3, step 0' "model write failed, resumed"

# steps.csv rows (every 10 steps) that cannot be written.
run 1 'steps.csv: write failed: No space left on device' steps.csv -- \
  train "${ARGS[@]}" --out "$T/steps"

# Figures: a warning, training goes on, no half figure.
FIG=(--hidden 32,32 --batch-size 128 --epochs 1 --lr 0.1 --quiet)
run 0 'warning: no figures:' curves.png -- train "${FIG[@]}" --out "$T/fig"
grep -qF 'curves.png: write failed: No space left on device' "$T/err" || fail "figure warning: $(cat "$T/err")"
[ -e "$T/fig/curves.png" ] && fail "a curves.png was left"
[ -s "$T/fig/model.safetensors" ] || fail "no model after a figure failed"
no_temporaries "$T/fig"

# Two trainings on one run directory: the second is refused while the
# first runs (a lock held for the process's life, gone when it ends however
# it ends), whether it starts afresh or resumes.
"$DN" train --hidden 32,32 --batch-size 64 --epochs 50 --lr 0.1 --quiet --no-figures \
  --out "$T/busy" > /dev/null 2>&1 &
pid=$!
i=0
while [ ! -s "$T/busy/metrics.csv" ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done
cp "$T/busy/metrics.csv" "$T/busy.csv"
run 2 "$T/busy: in use by another dropnet train" '' -- train "${ARGS[@]}" --out "$T/busy"
run 2 "$T/busy: in use by another dropnet train" '' -- train --resume "$T/busy"
kill -KILL $pid
wait $pid 2>/dev/null
# The running training may have added rows since the copy: the file starts
# with the copy, and its epochs are 1, 2, 3... (no row of a refused run).
[ "$(head -1 "$T/busy/metrics.csv")" = epoch,train_loss,train_acc,test_loss,test_acc,gap,seconds ] &&
  cmp -s -n "$(wc -c < "$T/busy.csv")" "$T/busy.csv" "$T/busy/metrics.csv" &&
  awk -F, 'NR > 1 && $1 != NR - 1 { bad = 1 } END { exit bad }' "$T/busy/metrics.csv" &&
  ok "the refused runs left metrics.csv alone ($(($(wc -l < "$T/busy/metrics.csv") - 1)) rows)" ||
  fail "the refused runs touched metrics.csv: $(cat "$T/busy/metrics.csv")"
# killed: its lock went with it
"$DN" train --resume "$T/busy" > /dev/null 2> "$T/err" &
pid=$!
sleep 1
kill -INT $pid
wait $pid
rc=$?
[ $rc = 130 ] || [ $rc = 0 ] && ok "after a SIGKILL the lock is gone: the resume ran (exit $rc)" ||
  fail "resume after SIGKILL: exit $rc: $(cat "$T/err")"

finish
