"""The watcher never changes training: the same losses, bit for bit, with and without it (a model with
dropout and batch norm, so random state and running statistics would show any interference), and the
stream's shapes and destinations."""
import math
import socket
import threading

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
