"""safetensors files with the standard library and torch alone: 8-byte
little-endian header length, a JSON header, raw little-endian data. Written
the way PyTorch's safetensors writer lays files out (tensors sorted by name,
"__metadata__" {"format": "pt"}, header padded with spaces to 8 bytes)."""
import json
import struct

import torch


def save(path, tensors, metadata=None):
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    blobs, offset = [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().to(torch.float32).contiguous()
        data = t.numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def load(path):
    """Returns (tensors, metadata)."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    base = 8 + n
    tensors = {}
    for name, info in header.items():
        if info["dtype"] != "F32":
            raise ValueError(f"{name}: dtype {info['dtype']}")
        b, e = info["data_offsets"]
        t = torch.frombuffer(bytearray(raw[base + b:base + e]), dtype=torch.float32)
        tensors[name] = t.reshape(info["shape"]).clone()
    return tensors, meta


def sequential_from_layers(layers):
    """nn.Sequential from dropnet's "layers" metadata, e.g.
    'Flatten,Linear(784,256),ReLU,Dropout(0.2),...,Linear(256,10)'."""
    import re
    mods = []
    for m in re.finditer(r"Flatten|ReLU|Linear\((\d+),(\d+)\)|Dropout\(([^)]*)\)", layers):
        tok = m.group(0)
        if tok == "Flatten":
            mods.append(torch.nn.Flatten())
        elif tok == "ReLU":
            mods.append(torch.nn.ReLU())
        elif tok.startswith("Linear"):
            mods.append(torch.nn.Linear(int(m.group(1)), int(m.group(2))))
        else:
            mods.append(torch.nn.Dropout(float(m.group(3))))
    return torch.nn.Sequential(*mods)
