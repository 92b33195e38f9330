#!/usr/bin/python3
"""Golden values for dropnet's parity test with PyTorch (tests/test_parity.c).

Run with the system Python and Debian's python3-torch, from this directory:

    /usr/bin/python3 make_golden.py

It builds a small MLP in PyTorch (6 inputs, input dropout 0.2, hidden 5 and 4
with dropout 0.5 and 0.25, 3 classes: the layer order of dropnet's MLP, so
the Linear layers are 2, 5 and 8 of an nn.Sequential), with weights drawn
here, three batches and the dropout masks dropnet draws for them. The masks
come from Philox4x32-10 written out below from its published definition,
with dropnet's documented counter layout (block, purpose, step) and key
(the seed), so the C test can check the masks too. It runs three SGD steps
(lr 0.1, weight decay 0.01 on weights, none on biases) and writes:

  parity.json              per step: inputs, labels, masks, logits, loss,
                           every gradient, the parameters after the update;
                           the initial parameters; eval-mode logits
  torch_model.safetensors  the initial parameters as PyTorch's safetensors
                           writer lays them out (no dropnet metadata), which
                           dropnet must read, inferring the layers.

Values are written with 9 significant digits (exact for float32).
"""
import json

import torch

import st_format

SEED = 0x123456789ABC  # uses both words of Philox's key
LR, WD = 0.1, 0.01
INPUTS, HIDDEN, OUTPUTS = 6, [5, 4], 3
INPUT_DROPOUT, DROPOUT = 0.2, [0.5, 0.25]
B, STEPS = 4, 3
PURPOSE_DROPOUT = 0x100

M32 = 0xFFFFFFFF


def philox4x32_10(ctr, key):
    c, k = list(ctr), list(key)
    for r in range(10):
        if r:
            k = [(k[0] + 0x9E3779B9) & M32, (k[1] + 0xBB67AE85) & M32]
        p0, p1 = 0xD2511F53 * c[0], 0xCD9E8D57 * c[2]
        c = [((p1 >> 32) ^ c[1] ^ k[0]) & M32, p1 & M32,
             ((p0 >> 32) ^ c[3] ^ k[1]) & M32, p0 & M32]
    return c


def random_u32(seed, purpose, step, i):
    block = i >> 2
    words = philox4x32_10([block & M32, block >> 32, purpose, step], [seed & M32, seed >> 32])
    return words[i & 3]


def mask(seed, site, step, p, n):
    """dropnet's rule: element i is kept when (u32 >> 8) > floor(p * 2^24)."""
    thr = int(p * 16777216.0)
    return [1 if (random_u32(seed, PURPOSE_DROPOUT + site, step, i) >> 8) > thr else 0
            for i in range(n)]


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


class MaskedMLP(torch.nn.Module):
    """The MLP with the given masks in place of nn.Dropout's own draws."""

    def __init__(self):
        super().__init__()
        widths = [INPUTS] + HIDDEN + [OUTPUTS]
        self.seq = torch.nn.Sequential(
            torch.nn.Flatten(), torch.nn.Dropout(INPUT_DROPOUT),
            torch.nn.Linear(widths[0], widths[1]), torch.nn.ReLU(), torch.nn.Dropout(DROPOUT[0]),
            torch.nn.Linear(widths[1], widths[2]), torch.nn.ReLU(), torch.nn.Dropout(DROPOUT[1]),
            torch.nn.Linear(widths[2], widths[3]))

    def forward(self, x, masks=None):
        for i, m in enumerate(self.seq):
            if isinstance(m, torch.nn.Dropout):
                if masks is not None:
                    x = x * masks[i] / (1.0 - m.p)
            else:
                x = m(x)
        return x


def main():
    torch.manual_seed(20261127)
    net = MaskedMLP()
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape) * 0.5)
    state = {k[len("seq."):]: v.clone() for k, v in net.state_dict().items()}
    st_format.save("torch_model.safetensors", state, {"format": "pt"})

    xs = [torch.rand(B, INPUTS) for _ in range(STEPS)]
    ys = [torch.randint(0, OUTPUTS, (B,)) for _ in range(STEPS)]
    with torch.no_grad():
        eval_logits = net(xs[0])

    weights = [p for n, p in net.named_parameters() if n.endswith("weight")]
    biases = [p for n, p in net.named_parameters() if n.endswith("bias")]
    opt = torch.optim.SGD([{"params": weights, "weight_decay": WD},
                           {"params": biases, "weight_decay": 0.0}], lr=LR)
    out = {"seed": SEED, "lr": LR, "weight_decay": WD, "inputs": INPUTS, "hidden": HIDDEN,
           "outputs": OUTPUTS, "input_dropout": INPUT_DROPOUT, "dropout": DROPOUT, "batch": B,
           "initial": {k: flat(v) for k, v in state.items()},
           "eval_logits": flat(eval_logits), "steps": []}
    sites = {1: (0, INPUT_DROPOUT, INPUTS), 4: (1, DROPOUT[0], HIDDEN[0]),
             7: (2, DROPOUT[1], HIDDEN[1])}
    for step in range(STEPS):
        masks = {i: torch.tensor(mask(SEED, site, step, p, B * w), dtype=torch.float32)
                 .reshape(B, w) for i, (site, p, w) in sites.items()}
        opt.zero_grad()
        logits = net(xs[step], masks)
        loss = torch.nn.functional.cross_entropy(logits, ys[step])
        loss.backward()
        grads = {n[len("seq."):]: flat(p.grad) for n, p in net.named_parameters()}
        opt.step()
        out["steps"].append({
            "x": flat(xs[step]), "y": [int(v) for v in ys[step]],
            "masks": {str(i): [int(v) for v in flat(m)] for i, m in masks.items()},
            "logits": flat(logits), "loss": float(loss), "grads": grads,
            "params_after": {n[len("seq."):]: flat(p) for n, p in net.named_parameters()}})

    text = json.dumps(out, indent=1)
    # 9 significant digits: every float32 reads back exactly.
    text = json.dumps(json.loads(text, parse_float=lambda s: float("%.9g" % float(s))), indent=1)
    with open("parity.json", "w") as f:
        f.write(text + "\n")


if __name__ == "__main__":
    main()
