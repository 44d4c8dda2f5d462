"""Small PyTorch models and a training loop for the watcher tests: a healthy MLP, a deep sigmoid stack
whose gradients vanish, and a run whose weights are corrupted with Inf mid-way."""
import torch
import torch.nn as nn

import nn_debugger


class DeepSigmoid(nn.Module):
    def __init__(self, depth=8, width=32):
        super().__init__()
        for i in range(depth):
            setattr(self, "fc%d" % (i + 1), nn.Linear(2 if i == 0 else width, width))
        self.out = nn.Linear(width, 2)
        self.act = nn.Sigmoid()
        self.depth = depth

    def forward(self, x):
        for i in range(self.depth):
            x = self.act(getattr(self, "fc%d" % (i + 1))(x))
        return self.out(x)


class Healthy(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(2, 32)
        self.relu1 = nn.ReLU()
        self.fc2 = nn.Linear(32, 32)
        self.relu2 = nn.ReLU()
        self.out = nn.Linear(32, 2)

    def forward(self, x):
        return self.out(self.relu2(self.fc2(self.relu1(self.fc1(x)))))


def two_moons(n, seed):
    g = torch.Generator().manual_seed(seed)
    t = torch.rand(n, generator=g) * 3.1416
    label = torch.randint(0, 2, (n,), generator=g)
    x = torch.stack([torch.cos(t) + label * 1.0, torch.sin(t) * (1 - 2 * label) + label * 0.5], 1)
    x = x + 0.1 * torch.randn(n, 2, generator=g)
    return (x - x.mean(0)) / x.std(0), label


def train(model, optimizer, log=None, epochs=8, seed=0, batch=32, corrupt_at=None, corrupt="overflow", watch=True, every=10):
    """Trains on two moons; returns the per-step losses. Before step `corrupt_at`, fc2's weights are
    corrupted: "overflow" makes one row so large (finite) that its output overflows to Inf, "inf" writes
    Inf into a weight as a bad update would."""
    x, y = two_moons(512, seed)
    val_x, val_y = two_moons(128, seed + 1000)
    w = nn_debugger.watch(model, optimizer, every=every, log=log) if watch else None
    losses = []
    step = 0
    g = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=g)
        total = 0.0
        for i in range(0, len(x), batch):
            step += 1
            if corrupt_at == step:
                with torch.no_grad():
                    if corrupt == "inf":
                        model.fc2.weight[0, 0] = float("inf")
                    else:
                        model.fc2.weight[0, :] = 3e38
            idx = order[i:i + batch]
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(x[idx]), y[idx])
            loss.backward()
            if w:
                w.record_loss(loss)
            optimizer.step()
            losses.append(loss.item())
            total += loss.item() * len(idx)
        with torch.no_grad():
            model.eval()
            logits = model(val_x)
            model.train()
        if w:
            w.epoch(loss=total / len(x), val_loss=nn.functional.cross_entropy(logits, val_y), accuracy=None, val_accuracy=(logits.argmax(1) == val_y).float().mean())
    if w:
        w.close()
    return losses
