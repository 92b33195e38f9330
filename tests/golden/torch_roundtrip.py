#!/usr/bin/python3
"""A model written by dropnet, read by PyTorch: the same logits.

usage: /usr/bin/python3 torch_roundtrip.py MODEL.safetensors IMAGES.idx[.gz] LOGITS.txt

MODEL is a dropnet model file, IMAGES an IDX image file, LOGITS the output of
`dropnet predict --model MODEL --images IMAGES --logits` (index, then the
logits). The script rebuilds the network as an nn.Sequential from the file's
"layers" metadata, loads the tensors with load_state_dict(strict=True) (so
every name and shape must be PyTorch's), prepares the pixels as the metadata
says, and compares its eval-mode logits with dropnet's: at most 1e-5 of the
image's largest logit + 1e-6. Exit status 0 when they agree, 1 otherwise.
Needs torch (Debian's python3-torch); torch_roundtrip.sh runs the whole check.
"""
import gzip
import struct
import sys

import torch

import st_format


def read_idx_images(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    magic, n, rows, cols = struct.unpack(">IIII", raw[:16])
    if magic != 0x803:
        raise ValueError(f"{path}: not an IDX image file")
    x = torch.frombuffer(bytearray(raw[16:16 + n * rows * cols]), dtype=torch.uint8)
    return x.reshape(n, rows * cols).to(torch.float32)


def main():
    model_path, images_path, logits_path = sys.argv[1:4]
    tensors, meta = st_format.load(model_path)
    net = st_format.sequential_from_layers(meta["layers"])
    net.load_state_dict(tensors, strict=True)
    net.eval()
    x = read_idx_images(images_path)
    if "input_mean" in meta:
        mean = torch.tensor([float(v) for v in meta["input_mean"].split(",")])
        std = torch.tensor([float(v) for v in meta["input_std"].split(",")])
        x = (x - mean) / std
    else:
        x = x / float(meta.get("input_scale", "255"))
    rows = [line.split() for line in open(logits_path) if line[:1].isspace() or line[:1].isdigit()]
    idx = [int(r[0]) for r in rows]
    want = torch.tensor([[float(v) for v in r[1:]] for r in rows])
    with torch.no_grad():
        got = net(x[idx])
    err = (got - want).abs()
    # Relative to the largest logit of the image: a logit near zero is a sum
    # of 256 products that cancel, exact only to the size of its terms.
    bound = 1e-5 * want.abs().amax(dim=1, keepdim=True) + 1e-6
    ratio = float((err / bound).max())
    print(f"{len(idx)} images, {want.shape[1]} logits each: largest difference "
          f"{float(err.max()):.3g}, largest difference / allowed {ratio:.3g}")
    if bool((err > bound).any()):
        print("FAIL: PyTorch's logits differ from dropnet's")
        return 1
    print("ok: PyTorch loads the dropnet model (strict state_dict) and gives the same logits")
    return 0


if __name__ == "__main__":
    sys.exit(main())
