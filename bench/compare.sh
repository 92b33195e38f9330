#!/usr/bin/env bash
# make bench-compare: dropnet and the PyTorch reference, back to back, twice,
# alternating, on the same machine and threads; prints each s/epoch (best
# epoch of 3) and the ratio. Skipped, with a message, without python3-torch.
# PyTorch loads the same OpenBLAS, which may not know this CPU (dropnet then
# picks its kernels through OPENBLAS_CORETYPE, cli/runtime_env.h): it is timed
# as installed and again with the OpenBLAS kernels dropnet would run with, and
# both ratios are printed. dropnet runs its default backend (DN_GEMM to
# change it).
# usage: compare.sh DROPNET_BENCH [THREADS]
set -u
BENCH=$1
THREADS=${2:-$(nproc)}
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
if ! "$PY" -c 'import torch' 2>/dev/null; then
  echo "bench-compare: skipped: PyTorch is not installed for $PY (apt-get install python3-torch to measure)"
  exit 0
fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//') (family $(grep -m1 'cpu family' /proc/cpuinfo | cut -d: -f2 | tr -d ' ')), $THREADS threads, $(date -u +%Y-%m-%d)"
d=(); t=(); k=()
for round in 1 2; do
  out=$("$BENCH" --epochs 3 --no-sgemm --threads "$THREADS") || { echo "dropnet-bench failed"; exit 1; }
  d+=("$(printf '%s\n' "$out" | sed -n 's/^RESULT dropnet_s_per_epoch=//p')")
  # OpenBLAS's kernels in dropnet, from the line "  openblas OpenBLAS ... (SkylakeX kernels)"
  core=$(printf '%s\n' "$out" | sed -n 's/^  openblas .*(\([A-Za-z0-9]*\) kernels).*/\1/p' | head -1)
  out=$("$PY" "$HERE/torch_reference.py" --epochs 3 --threads "$THREADS") || { echo "torch_reference.py failed"; exit 1; }
  t+=("$(printf '%s\n' "$out" | sed -n 's/^RESULT torch_s_per_epoch=//p')")
  line="round $round: dropnet ${d[-1]} s/epoch, PyTorch ${t[-1]} s/epoch"
  if [ -n "$core" ]; then
    out=$(OPENBLAS_CORETYPE=$core "$PY" "$HERE/torch_reference.py" --epochs 3 --threads "$THREADS") ||
      { echo "torch_reference.py failed"; exit 1; }
    k+=("$(printf '%s\n' "$out" | sed -n 's/^RESULT torch_s_per_epoch=//p')")
    line+=", PyTorch with OPENBLAS_CORETYPE=$core ${k[-1]} s/epoch"
  fi
  echo "$line"
done
awk -v d1="${d[0]}" -v d2="${d[1]}" -v t1="${t[0]}" -v t2="${t[1]}" -v k1="${k[0]:-}" -v k2="${k[1]:-}" -v core="$core" 'BEGIN {
  d = d1 < d2 ? d1 : d2; t = t1 < t2 ? t1 : t2
  printf "best: dropnet %.3f s/epoch, PyTorch %.3f s/epoch: dropnet is %.1fx faster\n", d, t, t / d
  if (core != "") {
    k = k1 < k2 ? k1 : k2
    printf "      PyTorch with the %s kernels %.3f s/epoch: dropnet is %.1fx faster\n", core, k, k / d
  }
}'
