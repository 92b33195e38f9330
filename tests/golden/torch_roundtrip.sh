#!/usr/bin/env bash
# The PyTorch round trip (needs python3-torch, which CI does not have, so it
# is not part of ctest: run it by hand and keep its output):
#   tests/golden/torch_roundtrip.sh build/dropnet [FASHION_MNIST_DIR]
# trains a small model for one epoch (and one with input dropout, whose
# Linear layers sit at other indices), asks dropnet for the logits of the
# 10,000 test images, and checks that PyTorch, loading model.safetensors into an
# nn.Sequential with load_state_dict(strict=True), computes the same.
set -eu
DN=$(realpath "$1")
DATA=${2:-/usr/share/datasets/fashion-mnist}
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
IMAGES="$DATA/t10k-images-idx3-ubyte.gz"
[ -f "$IMAGES" ] || IMAGES="$DATA/t10k-images-idx3-ubyte"
for run in "d2l:--hidden 256,256" "input-dropout:--hidden 128 --dropout 0.5 --input-dropout 0.2"; do
  name=${run%%:*}; opts=${run#*:}
  # shellcheck disable=SC2086
  "$DN" train $opts --epochs 1 --quiet --data "$DATA" --out "$T/$name" > /dev/null
  "$DN" predict --model "$T/$name/model.safetensors" --images "$IMAGES" --logits > "$T/$name.logits"
  printf 'model %s: ' "$name"
  (cd "$HERE" && /usr/bin/python3 torch_roundtrip.py "$T/$name/model.safetensors" "$IMAGES" "$T/$name.logits")
done
