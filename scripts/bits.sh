#!/usr/bin/env bash
# The output bits of a few trainings, as SHA-256 sums: model.safetensors and
# metrics.csv without its seconds column. A change that must not alter what
# dropnet computes (a refactoring, a new layout) gives the same sums before
# and after:
#
#   scripts/bits.sh OLD/dropnet > old.txt
#   scripts/bits.sh NEW/dropnet > new.txt
#   diff old.txt new.txt && echo same bits
#
# or both at once: scripts/bits.sh OLD/dropnet NEW/dropnet (exit 1 if they differ).
# Needs the Fashion-MNIST files (--data, $DROPNET_DATA or the Debian package);
# takes about a minute per binary on two cores.
set -euo pipefail

if [ $# -eq 2 ]; then
  a=$(mktemp) b=$(mktemp)
  trap 'rm -f "$a" "$b"' EXIT
  "$0" "$1" > "$a"
  "$0" "$2" > "$b"
  if diff "$a" "$b"; then echo "same bits: $1 and $2"; exit 0; fi
  echo "the bits differ: $1 and $2" >&2
  exit 1
fi
if [ $# -ne 1 ] || [ ! -x "$1" ]; then
  echo "usage: scripts/bits.sh DROPNET [DROPNET2]" >&2
  exit 2
fi
DN=$1
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
HERE=$(cd "$(dirname "$0")/.." && pwd)
CSV=$HERE/tests/bad-input/files/ok.csv

sums() { # NAME DIR
  printf '%s model  %s\n' "$1" "$(sha256sum < "$2/model.safetensors" | cut -d' ' -f1)"
  # Drop the last column (seconds): wall-clock time is not an output bit.
  printf '%s metrics %s\n' "$1" "$(sed 's/,[^,]*$//' "$2/metrics.csv" | sha256sum | cut -d' ' -f1)"
}

run() { # NAME ARGS...
  local name=$1; shift
  "$DN" train "$@" --no-figures --quiet --out "$W/$name" > /dev/null
  sums "$name" "$W/$name"
}

run d2l-2020-seed1 --preset d2l-2020 --epochs 1 --seed 1
run d2l-2020-seed2 --preset d2l-2020 --epochs 1 --seed 2
run d2l-seed3 --preset d2l --epochs 1 --seed 3 --weight-decay 0.001
run csv --train "$CSV" --test "$CSV" --hidden 8,8 --dropout 0.5,0.2 --batch-size 4 --epochs 3 --lr 0.1 --standardize
run input-dropout --hidden 64 --dropout 0.3 --input-dropout 0.2 --batch-size 100 --epochs 1 --lr 0.2 --seed 7
# The other noises, where the binary has them (--noise).
help=$("$DN" train --help 2>&1 || true)
if [[ $help == *--noise* ]]; then
  run noise-gaussian-dropconnect --preset d2l-2020 --epochs 1 --seed 4 --noise gaussian:0.2,dropconnect:0.5
  run noise-uniform-additive --hidden 64,48 --noise uniform:0.3,additive:0.1 --batch-size 100 --epochs 1 --lr 0.2 --seed 8
fi

# Interrupted (SIGKILL after a checkpoint) and resumed: the same bits as the
# run that was never stopped, which is recorded too.
args=(--hidden 64,64 --dropout 0.2,0.5 --batch-size 64 --epochs 2 --lr 0.1 --seed 5 --checkpoint-every 100)
run whole "${args[@]}"
"$DN" train "${args[@]}" --no-figures --quiet --out "$W/killed" > /dev/null 2>&1 &
pid=$! i=0
while [ ! -f "$W/killed/checkpoint.safetensors" ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done
kill -KILL $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
"$DN" train --resume "$W/killed" --quiet > /dev/null
sums killed-resumed "$W/killed"
