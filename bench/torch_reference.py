#!/usr/bin/python3
"""The d2l-2020 dropout model in PyTorch, for timing against dropnet.

Same model (784-256-256-10, ReLU, dropout 0.2 then 0.5), initialisation
(weights N(0, 0.01^2), zero biases), optimiser (SGD, lr 0.5, mean
cross-entropy), batch size (256, reshuffled every epoch, last batch partial)
and evaluation (the whole test set in eval mode after every epoch) as
`dropnet train --preset d2l-2020`. The images are preloaded as float tensors
/ 255, so the timing is of the training itself, not of data loading.

usage: torch_reference.py [--epochs N] [--threads T] [--data DIR]
Prints the seconds of every epoch and a line RESULT torch_s_per_epoch=BEST.
"""
import argparse
import gzip
import os
import struct
import time

import numpy as np
import torch
from torch import nn


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    magic = struct.unpack(">I", data[:4])[0]
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    return arr.reshape(dims)


def find(d, name):
    for candidate in (os.path.join(d, name), os.path.join(d, name + ".gz")):
        if os.path.exists(candidate):
            return candidate
    raise SystemExit(f"torch_reference.py: {d}: no {name}(.gz)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--data", default=os.environ.get("DROPNET_DATA", "/usr/share/datasets/fashion-mnist"))
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    xtr = torch.from_numpy(read_idx(find(args.data, "train-images-idx3-ubyte")).copy()).float().div(255)
    ytr = torch.from_numpy(read_idx(find(args.data, "train-labels-idx1-ubyte")).copy()).long()
    xte = torch.from_numpy(read_idx(find(args.data, "t10k-images-idx3-ubyte")).copy()).float().div(255)
    yte = torch.from_numpy(read_idx(find(args.data, "t10k-labels-idx1-ubyte")).copy()).long()

    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Dropout(0.2),
                        nn.Linear(256, 256), nn.ReLU(), nn.Dropout(0.5), nn.Linear(256, 10))
    for m in net:
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=0.01)
            nn.init.zeros_(m.bias)
    loss_fn = nn.CrossEntropyLoss()
    opt = torch.optim.SGD(net.parameters(), lr=0.5)
    batch = 256
    times = []
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    for epoch in range(args.epochs):
        t0 = time.perf_counter()
        net.train()
        perm = torch.randperm(xtr.shape[0])
        total, correct = 0.0, 0
        for i in range(0, xtr.shape[0], batch):
            idx = perm[i:i + batch]
            x, y = xtr[idx], ytr[idx]
            out = net(x)
            loss = loss_fn(out, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss) * len(y)
            correct += int((out.argmax(1) == y).sum())
        net.eval()
        with torch.no_grad():
            out = net(xte)
            test_loss = float(loss_fn(out, yte))
            test_acc = float((out.argmax(1) == yte).float().mean())
        dt = time.perf_counter() - t0
        times.append(dt)
        print(f"  epoch {epoch + 1}: {dt:.3f} s  train_loss {total / xtr.shape[0]:.4f}  "
              f"test_loss {test_loss:.4f}  test_acc {test_acc:.4f}")
    print(f"RESULT torch_s_per_epoch={min(times):.4f}")


if __name__ == "__main__":
    main()
