#!/usr/bin/env python3
"""same_experiment.py [--resumed] A B: experiment directories A and B hold the
same files with the same contents, timings aside. Exit status 0 when they
do; else one line per difference and status 1.

Timings are what a rerun of the same training cannot repeat: "created" in
config.json (also inside checkpoints), the seconds column of metrics.csv,
metrics.jsonl and train.log's table (also inside checkpoints), and the
counts of report.md's "Trainings" line (how many ran in this call, how long,
on what). Everything else, tensors and every other number included, must be
the same bytes.

--resumed: B's trainings may have been stopped and resumed, A's not: then
their logs (train.log) and steps.csv differ by nature (a resume mid-epoch
starts a new row) and are not compared; the model, the checkpoint and the
metrics are (a resume gives the bits of a run never stopped)."""
import json
import os
import struct
import sys


def files(root):
    out = set()
    for d, _, names in os.walk(root):
        for n in names:
            out.add(os.path.relpath(os.path.join(d, n), root))
    return out


def config_text(text):
    c = json.loads(text)
    c.pop("created", None)
    for e in c.get("extended", []):
        e.pop("at", None)
    return c


def metrics_rows(rows):
    for r in rows:
        r.pop("seconds", None)
    return rows


def csv_without(data, column):
    lines = data.decode().splitlines()
    head = lines[0].split(",")
    if column not in head:
        return lines
    k = head.index(column)
    return [",".join(f for i, f in enumerate(l.split(",")) if i != k) for l in lines]


def train_log(data):
    # The table: a header naming time_s, rows of as many fields.
    out, k, width = [], None, None
    for line in data.decode().splitlines():
        f = line.split()
        if "time_s" in f:
            k, width = f.index("time_s"), len(f)
        if k is not None and len(f) == width:
            f = f[:k] + f[k + 1:]
        out.append(" ".join(f))
    return out


def safetensors(data):
    n = struct.unpack("<Q", data[:8])[0]
    head = json.loads(data[8:8 + n])
    meta = head.pop("__metadata__", {})
    if "config" in meta:
        meta["config"] = config_text(meta["config"])
    if "metrics" in meta:
        meta["metrics"] = metrics_rows(json.loads(meta["metrics"]))
    # Tensors: name -> (dtype, shape, bytes).
    body = data[8 + n:]
    tensors = {k: (v["dtype"], v["shape"], body[v["data_offsets"][0]:v["data_offsets"][1]])
               for k, v in head.items()}
    return meta, tensors


def report(data):
    out = []
    for line in data.decode().splitlines():
        if line.startswith("- **Trainings**:"):
            line = line.split(" (")[0]
        out.append(line)
    return out


def normal(path, data):
    name = os.path.basename(path)
    if name == "config.json":
        return config_text(data)
    if name == "metrics.csv":
        return csv_without(data, "seconds")
    if name == "metrics.jsonl":
        return [metrics_rows([json.loads(l)])[0] for l in data.decode().splitlines()]
    if name == "train.log":
        return train_log(data)
    if name.endswith(".safetensors"):
        return safetensors(data)
    if name == "report.md":
        return report(data)
    return data


def main():
    args = sys.argv[1:]
    resumed = args[:1] == ["--resumed"]
    a, b = args[-2], args[-1]
    fa, fb = files(a), files(b)
    bad = 0
    for f in sorted(fa ^ fb):
        print(f"only in {a if f in fa else b}: {f}")
        bad += 1
    for f in sorted(fa & fb):
        if resumed and os.path.basename(f) in ("train.log", "steps.csv"):
            continue
        da = open(os.path.join(a, f), "rb").read()
        db = open(os.path.join(b, f), "rb").read()
        if da != db and normal(f, da) != normal(f, db):
            print(f"differs: {f}")
            bad += 1
    print(f"{len(fa & fb)} files compared, {bad} difference(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
