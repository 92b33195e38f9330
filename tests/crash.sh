#!/usr/bin/env bash
# Nothing is lost when `dropnet train` is killed: SIGKILL at 20 random
# moments (loading data, training, writing a checkpoint: --checkpoint-every
# 1, 2, 7 or 50), each followed by a resume (or a fresh start when the run
# had not yet written its config.json). Every fifth kill is aimed at a
# checkpoint write: the process is stopped (SIGSTOP) at random until a
# checkpoint's temporary file exists, then killed. Every run carried to its
# end must leave a model.safetensors
# equal byte for byte to an uninterrupted run's, the same metrics (seconds
# aside), the same steps.csv rows, and no temporary file.
# usage: crash.sh DROPNET [SEED]   (SEED: of the random moments; printed)
set -u
DN=$1
SEED=${2:-$$}
RANDOM=$SEED
source "$(dirname "$0")/lib.sh"
echo "crash.sh: seed $SEED (crash.sh DROPNET $SEED repeats these moments)"

ARGS=(--hidden 32,32 --batch-size 128 --epochs 2 --lr 0.1 --quiet --no-figures)
"$DN" train "${ARGS[@]}" --out "$T/whole" > /dev/null || fail "uninterrupted run"

same_run() { # DIR
  cmp -s "$T/whole/model.safetensors" "$1/model.safetensors" ||
    fail "$1: model.safetensors differs from the uninterrupted run's"
  cmp -s <(cut -d, -f1-6 "$T/whole/metrics.csv") <(cut -d, -f1-6 "$1/metrics.csv") ||
    fail "$1: metrics.csv differs: $(paste -d'|' "$T/whole/metrics.csv" "$1/metrics.csv")"
  # steps.csv: the same rows with the same numbers (a checkpoint between two
  # rows carries the sums since the last one).
  cmp -s "$T/whole/steps.csv" "$1/steps.csv" ||
    fail "$1: steps.csv differs: $(diff "$T/whole/steps.csv" "$1/steps.csv" | head -4)"
  no_temporaries "$1"
}

# Starts the run in DIR: a resume once it has a config.json, else afresh.
start() { # DIR EVERY
  if [ -f "$1/config.json" ]; then
    "$DN" train --resume "$1" --quiet --checkpoint-every "$2" > /dev/null 2>> "$1.err" &
  else
    "$DN" train "${ARGS[@]}" --checkpoint-every "$2" --out "$1" > /dev/null 2>> "$1.err" &
  fi
  pid=$!
}

kills=0 in_write=0 episodes=0 attempts=0
everies=(1 2 7 50)
while [ $kills -lt 20 ]; do
  episodes=$((episodes+1))
  dir="$T/run$episodes"
  while :; do
    attempts=$((attempts+1))
    [ $attempts -le 200 ] || { fail "no end after 200 attempts"; break 2; }
    every=${everies[RANDOM % 4]}
    ms=$((50 + RANDOM % 1000))
    aim=$(( (kills + 1) % 5 == 0 ))
    [ $aim = 1 ] && every=1
    start "$dir" "$every"
    sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
    if [ $aim = 1 ]; then
      # Stop it, look for a checkpoint being written, go on if there is none.
      for probe in $(seq 500); do
        kill -STOP $pid 2>/dev/null || break
        ls -A "$dir" 2>/dev/null | grep -qE '^checkpoint\.safetensors\.tmp[0-9]+$' && break
        kill -CONT $pid
        sleep 0.002
      done
    fi
    if kill -KILL $pid 2>/dev/null; then
      wait $pid 2>/dev/null
      kills=$((kills+1))
      tmp=$(ls -A "$dir" 2>/dev/null | grep -E '^checkpoint\.safetensors\.tmp[0-9]+$')
      [ -n "$tmp" ] && in_write=$((in_write+1))
      echo "kill $kills: run $episodes after ${ms} ms$([ $aim = 1 ] && echo ' and stops'), checkpoint every $every${tmp:+, inside a checkpoint write}"
      [ $kills -lt 20 ] || break
    else
      wait $pid
      rc=$?
      [ $rc -eq 0 ] || { fail "run $episodes ended with $rc: $(cat "$dir.err")"; break 2; }
      echo "run $episodes finished"
      same_run "$dir"
      continue 2
    fi
  done
done
# The last run killed: carried to its end without more kills.
if [ $kills -eq 20 ]; then
  start "$dir" 50
  wait $pid || fail "the last resume of run $episodes: $(cat "$dir.err")"
  echo "run $episodes finished"
  same_run "$dir"
fi
echo "$kills kills in $episodes runs, $in_write inside a checkpoint write"
[ $in_write -gt 0 ] || fail "no kill landed inside a checkpoint write"
finish
