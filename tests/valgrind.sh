#!/usr/bin/env bash
# Valgrind memcheck over short runs of the command: a training on a small
# CSV problem (two threads, a checkpoint every 5 steps) without figures and
# with no suppressions at all; the same with figures (PLplot, cairo; the two
# suppressions of tests/valgrind.supp, each explained there); a resume after
# a failed final write; eval and predict on the trained model. Every run must
# report no memory error and no definitely lost block.
# usage: valgrind.sh DROPNET
set -u
DN=$1
SUPP=$(dirname "$0")/valgrind.supp
source "$(dirname "$0")/lib.sh"
command -v valgrind > /dev/null || { echo "FAIL: valgrind is not installed"; exit 1; }
# dropnet restarts itself (execv of /proc/self/exe) to set OMP_WAIT_POLICY
# when it is unset; under valgrind that path names valgrind's own tool, so
# the policy is set here and the program runs once, under valgrind. (A
# restart for OPENBLAS_CORETYPE does not happen under valgrind, whose CPU
# OpenBLAS knows; if it ever did, the runs would fail, not pass unchecked.)
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}

vg() { # NAME [SUPPRESSIONS] -- ARGS...
  local name=$1; shift
  local supp=()
  [ "$1" != -- ] && { supp=(--suppressions="$1"); shift; }
  shift
  valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
    --show-leak-kinds=definite "${supp[@]}" --log-file="$T/$name.vg" "$DN" "$@" > "$T/$name.out" 2> "$T/$name.err"
  local rc=$?
  if [ $rc -ne 0 ] || [ -s "$T/$name.vg" ]; then
    fail "$name: exit $rc: $(cat "$T/$name.err")"; cat "$T/$name.vg"
  else
    echo "ok: $name: no memory error, nothing definitely lost"
  fi
}

awk 'BEGIN { srand(3); print "label,a,b,c,d,e"
  for (i = 0; i < 300; i++) { c = i % 3; printf "%d", c
    for (j = 0; j < 5; j++) printf ",%.3f", 10 * j + rand() + (j == c ? 2 : 0); print "" } }' > "$T/train.csv"
ARGS=(--train "$T/train.csv" --test "$T/train.csv" --hidden 16 --dropout 0.5 --batch-size 16
      --epochs 2 --threads 2 --checkpoint-every 5 --quiet)
vg train -- train "${ARGS[@]}" --no-figures --out "$T/a"
vg train-figures "$SUPP" -- train "${ARGS[@]}" --out "$T/b"
DROPNET_FAULT_WRITE=model.safetensors "$DN" train "${ARGS[@]}" --standardize --no-figures --out "$T/c" > /dev/null 2>&1
vg resume -- train --resume "$T/c" --threads 2 --quiet
vg eval -- eval --model "$T/a/model.safetensors" --test "$T/train.csv"
# Three 1x5 "images" for predict: an IDX header and 15 bytes.
printf '\x00\x00\x08\x03\x00\x00\x00\x03\x00\x00\x00\x01\x00\x00\x00\x05' > "$T/img.idx"
head -c 15 /dev/zero | tr '\0' '\7' >> "$T/img.idx"
vg predict -- predict --model "$T/c/model.safetensors" --images "$T/img.idx" --top 2

finish
