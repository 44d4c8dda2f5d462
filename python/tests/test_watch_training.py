"""The watcher never changes training: the same losses, bit for bit, with and without it (a model with
dropout and batch norm, so random state and running statistics would show any interference), and the
stream's shapes and destinations."""
import math
import socket
import threading
import weakref

import pytest
import torch
import torch.nn as nn

import nn_debugger
from watch_helpers import read_stream
from watch_models import Healthy, train


class Noisy(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(2, 32)
        self.bn = nn.BatchNorm1d(32)
        self.relu = nn.ReLU()
        self.drop = nn.Dropout(0.3)
        self.fc2 = nn.Linear(32, 32)
        self.tanh = nn.Tanh()
        self.out = nn.Linear(32, 2)

    def forward(self, x):
        return self.out(self.tanh(self.fc2(self.drop(self.relu(self.bn(self.fc1(x)))))))


@pytest.mark.parametrize("opt", ["sgd", "adam"])
def test_same_losses_with_and_without_the_watcher(tmp_path, opt):
    runs = []
    for watched in (False, True):
        torch.manual_seed(5)
        model = Noisy()
        o = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9) if opt == "sgd" else torch.optim.Adam(model.parameters(), lr=0.01)
        runs.append((train(model, o, log=str(tmp_path / "r.nnd.jsonl"), epochs=3, watch=watched, every=2), [p.detach().clone() for p in model.parameters()]))
    (plain, w_plain), (watched, w_watched) = runs
    assert plain == watched
    assert all(torch.equal(a, b) for a, b in zip(w_plain, w_watched))
    assert len(read_stream(tmp_path / "r.nnd.jsonl")) > 0


def test_stream_shapes_and_non_finite_encoding(tmp_path):
    torch.manual_seed(0)
    model = Healthy()
    log = tmp_path / "nan.nnd.jsonl"
    train(model, torch.optim.Adam(model.parameters(), lr=0.01), log=str(log), corrupt_at=5, epochs=2)
    raw = log.read_text()
    assert '{"$nf":"NaN"}' in raw or '{"$nf":"Infinity"}' in raw
    assert "NaN," not in raw and "Infinity," not in raw  # never bare JSON-invalid numbers
    messages = read_stream(log)
    assert [m["type"] for m in messages][0] == "start" and messages[-1]["type"] == "end"
    assert messages[-1]["summary"]["status"] == "non-finite"
    assert messages[-1]["summary"]["nonFinite"] == {"step": 5, "layer": {"index": 2, "name": "fc2"}, "stage": "forward"}
    assert [m["report"] for m in messages if m["type"] == "non-finite"] == [messages[-1]["summary"]["nonFinite"]]
    epochs = [m["metrics"] for m in messages if m["type"] == "epoch"]
    assert [e["epoch"] for e in epochs] == [1, 2] and math.isnan(epochs[-1]["loss"])


def test_streams_to_a_socket_named_by_the_environment(monkeypatch):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    received = []

    def accept():
        conn, _ = server.accept()
        with conn:
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                received.append(chunk)

    t = threading.Thread(target=accept)
    t.start()
    monkeypatch.setenv("NN_DEBUGGER_STREAM", "127.0.0.1:%d" % server.getsockname()[1])
    torch.manual_seed(0)
    model = Healthy()
    train(model, torch.optim.Adam(model.parameters(), lr=0.01), epochs=1)
    t.join(timeout=30)
    server.close()
    lines = b"".join(received).decode().splitlines()
    assert lines[0].startswith('{"type":"start"') and lines[-1].startswith('{"type":"end"')


def test_bad_arguments_are_named():
    model = Healthy()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="every"):
        nn_debugger.watch(model, opt, every=0, log="x.nnd.jsonl")
    with pytest.raises(ValueError, match="ranks"):
        nn_debugger.watch(model, opt, ranks="1", log="x.nnd.jsonl")


class LateBranch(nn.Module):
    """`extra` runs only from step 4 on, between fc2 and out."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(2, 16)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(16, 16)
        self.extra = nn.Tanh()
        self.out = nn.Linear(16, 2)
        self.use_extra = False

    def forward(self, x):
        h = self.fc2(self.relu(self.fc1(x)))
        return self.out(self.extra(h) if self.use_extra else h)


@pytest.mark.parametrize("every", [1, 5])
def test_a_module_first_run_later_is_announced_before_its_first_probe(tmp_path, every):
    torch.manual_seed(0)
    model = LateBranch()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    log = tmp_path / "late.nnd.jsonl"
    x, y = torch.randn(16, 2), torch.randint(0, 2, (16,))
    with nn_debugger.watch(model, opt, every=every, log=str(log)) as w:
        for step in range(1, 11):
            model.use_extra = step >= 4
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            w.record_loss(loss)
            opt.step()
    messages = read_stream(log)
    starts = [i for i, m in enumerate(messages) if m["type"] == "start"]
    assert len(starts) == 2
    first, second = messages[starts[0]], messages[starts[1]]
    assert [l["name"] for l in first["model"]["layers"]] == ["fc1", "relu", "fc2", "out"]
    # the layer is added after the ones known, in both lists, with the same fields as the others
    assert [l["name"] for l in second["model"]["layers"]] == ["fc1", "relu", "fc2", "out", "extra"]
    assert second["model"]["layers"][4] == {"index": 4, "name": "extra", "position": 4, "kind": "tanh", "inputSize": 16, "outputSize": 16, "paramCount": 0}
    assert second["run"]["layers"][4] == {"position": 4, "name": "extra", "kind": "tanh", "module": "Tanh"}
    later = [m["snapshot"] for m in messages[starts[1]:] if m["type"] == "probe"]
    earlier = [m["snapshot"] for m in messages[:starts[1]] if m["type"] == "probe"]
    assert later and all(len(p["layers"]) == 5 for p in later) and all(len(p["layers"]) == 4 for p in earlier)
    assert later[0]["step"] == (4 if every == 1 else 5)
    assert later[0]["layers"][4]["saturationRatio"] is not None


def test_without_a_recorded_loss_the_first_non_finite_module_is_still_found(tmp_path):
    torch.manual_seed(0)
    model = Healthy()
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    log = tmp_path / "noloss.nnd.jsonl"
    x, y = torch.randn(32, 2), torch.randint(0, 2, (32,))
    with nn_debugger.watch(model, opt, every=10, log=str(log)):
        for step in range(1, 8):
            if step == 5:
                with torch.no_grad():
                    model.fc2.weight[0, :] = 3e38  # fc2's output overflows to Inf
            opt.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
    reports = [m["report"] for m in read_stream(log) if m["type"] == "non-finite"]
    assert reports == [{"step": 5, "layer": {"index": 2, "name": "fc2"}, "stage": "forward"}]


@pytest.mark.parametrize("every", [1, 10])
def test_layer_outputs_are_let_go_when_the_forward_ends_finite(tmp_path, every):
    # an output autograd does not keep (fc2's: the next ReLU saves its own) is freed by the backward pass
    # with the watcher as without it, at probed and unprobed steps alike
    torch.manual_seed(0)
    model = Healthy()
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    x, y = torch.randn(32, 2), torch.randint(0, 2, (32,))
    outputs = []
    model.fc2.register_forward_hook(lambda m, i, out: outputs.append(weakref.ref(out)))
    with nn_debugger.watch(model, opt, every=every, log=str(tmp_path / "free.nnd.jsonl")) as w:
        for _ in range(3):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            w.record_loss(loss)
            del loss
            assert outputs[-1]() is None
            opt.step()


def test_modules_called_one_by_one_still_report_the_first_non_finite_module(tmp_path):
    # no call of the model itself: the outputs are kept until the step and searched there
    torch.manual_seed(0)
    model = Healthy()
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    log = tmp_path / "loose.nnd.jsonl"
    x, y = torch.randn(32, 2), torch.randint(0, 2, (32,))
    with nn_debugger.watch(model, opt, every=10, log=str(log)) as w:
        for step in range(1, 6):
            if step == 3:
                with torch.no_grad():
                    model.fc2.weight[0, :] = 3e38
            opt.zero_grad()
            h = model.relu2(model.fc2(model.relu1(model.fc1(x))))
            loss = nn.functional.cross_entropy(model.out(h), y)
            loss.backward()
            w.record_loss(loss)
            opt.step()
    reports = [m["report"] for m in read_stream(log) if m["type"] == "non-finite"]
    assert reports == [{"step": 3, "layer": {"index": 2, "name": "fc2"}, "stage": "forward"}]


@pytest.mark.parametrize("steps", [3, 4])  # closed with the next forward's hooks off, and on
def test_close_takes_every_hook_out(tmp_path, steps):
    torch.manual_seed(0)
    model = Noisy()
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    x, y = torch.randn(32, 2), torch.randint(0, 2, (32,))
    with nn_debugger.watch(model, opt, every=4, log=str(tmp_path / "h.nnd.jsonl")) as w:
        for _ in range(steps):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            w.record_loss(loss)
            opt.step()
        assert any(len(m._forward_hooks) for m in model.modules()) == (steps == 3)
    assert all(len(m._forward_hooks) == 0 and len(m._forward_pre_hooks) == 0 for m in model.modules())
    assert "step" not in opt.__dict__
