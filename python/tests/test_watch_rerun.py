"""The step's non-finite check runs a forward again to name the first module that produced a NaN/Inf: it names
the module of the forward that really ran (same dropout mask, same keyword arguments) at the step where the
value showed up, and training goes on exactly as without the watcher (random state, batch-norm running
statistics, weights)."""
import math

import pytest
import torch
import torch.nn as nn

import nn_debugger
from watch_helpers import read_stream
from test_watch_training import Noisy


def same(a, b):
    """Equal tensors, NaN equal to NaN."""
    return a.shape == b.shape and bool(((a == b) | (torch.isnan(a) & torch.isnan(b))).all())


def same_losses(a, b):
    return len(a) == len(b) and all(x == y or (math.isnan(x) and math.isnan(y)) for x, y in zip(a, b))


def non_finite_reports(log):
    return [m["report"] for m in read_stream(log) if m["type"] == "non-finite"]


def run_noisy(log, watched, corrupt, corrupt_at, steps):
    """Noisy (batch norm, dropout) with the layer `corrupt` corrupted before step `corrupt_at` so that its
    output overflows; returns the losses, the state (weights and running statistics) and the random state
    after the run."""
    torch.manual_seed(3)
    model = Noisy()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    x, y = torch.randn(32, 2), torch.randint(0, 2, (32,))
    w = nn_debugger.watch(model, opt, every=10, log=str(log)) if watched else None
    losses = []
    for step in range(1, steps + 1):
        if step == corrupt_at:
            with torch.no_grad():
                getattr(model, corrupt).weight[0, :] = 3e38
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        if w:
            w.record_loss(loss)
        opt.step()
        losses.append(loss.item())
    if w:
        w.close()
    return losses, {k: v.clone() for k, v in model.state_dict().items()}, torch.get_rng_state()


# an unprobed step and a probed one; the output layer (run again to the end) and the first (run again up
# to it, before dropout draws its mask)
@pytest.mark.parametrize("corrupt, index, corrupt_at", [("out", 6, 4), ("out", 6, 10), ("fc1", 0, 4)])
def test_running_the_forward_again_leaves_training_as_it_was(tmp_path, corrupt, index, corrupt_at):
    log = tmp_path / "noisy.nnd.jsonl"
    plain_losses, plain_state, plain_rng = run_noisy(log, False, corrupt, corrupt_at, steps=12)
    losses, state, rng = run_noisy(log, True, corrupt, corrupt_at, steps=12)
    assert not math.isfinite(losses[corrupt_at - 1])
    assert same_losses(plain_losses, losses)
    assert plain_state.keys() == state.keys() and all(same(plain_state[k], state[k]) for k in state)
    assert torch.equal(plain_rng, rng)
    assert non_finite_reports(log) == [{"step": corrupt_at, "layer": {"index": index, "name": corrupt}, "stage": "forward"}]


class DropoutOverflow(nn.Module):
    """fc2 overflows exactly when dropout keeps unit 0 (always 5 before it) for the one sample: whether a
    step's NaN comes from fc2 depends on that step's dropout mask."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(2, 8)
        self.drop = nn.Dropout(0.5)
        self.fc2 = nn.Linear(8, 2)
        with torch.no_grad():
            self.fc1.weight[0].zero_()
            self.fc1.bias[0] = 5.0
            self.fc2.weight[:, 0] = 3e38

    def forward(self, x):
        return self.fc2(self.drop(self.fc1(x)))


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_the_forward_is_run_again_with_its_own_dropout_mask(tmp_path, seed):
    log = tmp_path / "drop.nnd.jsonl"
    runs = []
    for watched in (False, True):
        torch.manual_seed(seed)
        model = DropoutOverflow()
        # plain SGD: while unit 0 is dropped its weights get no gradient and stay as they are
        opt = torch.optim.SGD(model.parameters(), lr=0.01)
        overflowed = []
        model.fc2.register_forward_hook(lambda m, i, out: overflowed.append(not bool(torch.isfinite(out).all())) if torch.is_grad_enabled() else None)
        w = nn_debugger.watch(model, opt, every=5, log=str(log)) if watched else None
        losses = []
        for _ in range(12):
            x, y = torch.randn(1, 2), torch.randint(0, 2, (1,))
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            if w:
                w.record_loss(loss)
            opt.step()
            losses.append(loss.item())
        if w:
            w.close()
        runs.append((losses, overflowed, torch.get_rng_state()))
    (plain_losses, plain_overflowed, plain_rng), (losses, overflowed, rng) = runs
    assert same_losses(plain_losses, losses) and torch.equal(plain_rng, rng)
    assert overflowed == plain_overflowed and True in overflowed
    step = overflowed.index(True) + 1
    assert non_finite_reports(log) == [{"step": step, "layer": {"index": 2, "name": "fc2"}, "stage": "forward"}]


class Scaled(nn.Module):
    """fc1's output is scaled by a keyword argument before fc2: a forward run again without it stays
    finite."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(2, 16)
        self.fc2 = nn.Linear(16, 2)

    def forward(self, x, scale=None):
        h = self.fc1(x)
        return self.fc2(h * scale if scale is not None else h)


class KeywordInput(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(2, 16)
        self.fc2 = nn.Linear(16, 2)

    def forward(self, x):
        return self.fc2(self.fc1(x))


@pytest.mark.parametrize("build, call, first", [
    (Scaled, lambda model, x, scale: model(x, scale=scale), {"index": 1, "name": "fc2"}),
    (KeywordInput, lambda model, x, scale: model(x=x * scale), {"index": 0, "name": "fc1"}),
])
def test_keyword_arguments_of_the_forward_are_kept(tmp_path, build, call, first):
    # torch 2.0+ hooks see them and the forward is run again with them; before, outputs are kept instead
    torch.manual_seed(0)
    model = build()
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    log = tmp_path / "kw.nnd.jsonl"
    x, y = torch.randn(32, 2), torch.randint(0, 2, (32,))
    with nn_debugger.watch(model, opt, every=10, log=str(log)) as w:
        for step in range(1, 6):
            scale = torch.tensor(math.inf if step == 3 else 1.0)
            opt.zero_grad()
            loss = nn.functional.cross_entropy(call(model, x, scale), y)
            loss.backward()
            w.record_loss(loss)
            opt.step()
    assert non_finite_reports(log) == [{"step": 3, "layer": first, "stage": "forward"}]
