"""`nn-debugger diagnose` over runs recorded by the watcher: vanishing gradients in a deep sigmoid stack on
the right module, Inf with the first module that produced it, nothing on a healthy network (several
seeds)."""
import json
import os
import subprocess

import pytest
import torch

from watch_models import DeepSigmoid, Healthy, train

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def diagnose(log):
    r = subprocess.run(["node", "--import", "tsx", os.path.join(ROOT, "src", "cli", "main.ts"), "diagnose", str(log), "--json"],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode in (0, 1), r.stderr
    report = json.loads(r.stdout)
    return r.returncode, report["findings"]


def serious(findings):
    return [f for f in findings if f["severity"] != "info"]


@pytest.mark.parametrize("seed", [0, 1])
def test_deep_sigmoid_vanishing_gradients_blame_the_first_layer(tmp_path, seed):
    torch.manual_seed(seed)
    model = DeepSigmoid()
    log = tmp_path / "sigmoid.nnd.jsonl"
    train(model, torch.optim.SGD(model.parameters(), lr=0.1), log=str(log), seed=seed)
    _, findings = diagnose(log)
    vanishing = [f for f in findings if f["code"] == "vanishing-gradients"]
    assert len(vanishing) == 1
    assert vanishing[0]["layer"]["name"] == "fc1"
    code = "\n".join(x["pytorch"] for x in vanishing[0]["fixes"])
    assert "self.act = nn.ReLU()" in code and 'nn.init.kaiming_normal_(model.fc1.weight, nonlinearity="relu")' in code


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_healthy_network_is_quiet(tmp_path, seed):
    torch.manual_seed(seed)
    model = Healthy()
    log = tmp_path / "healthy.nnd.jsonl"
    train(model, torch.optim.Adam(model.parameters(), lr=0.01), log=str(log), seed=seed)
    code, findings = diagnose(log)
    assert code == 0
    assert serious(findings) == []


@pytest.mark.parametrize("corrupt_at", [23, 37])  # between probes: the per-step check finds the first module
def test_infinity_is_reported_with_the_first_module_that_produced_it(tmp_path, corrupt_at):
    torch.manual_seed(0)
    model = Healthy()
    log = tmp_path / "nan.nnd.jsonl"
    train(model, torch.optim.Adam(model.parameters(), lr=0.01), log=str(log), corrupt_at=corrupt_at)
    code, findings = diagnose(log)
    assert code == 1
    f = findings[0]
    assert f["code"] == "non-finite" and f["severity"] == "error"
    assert f["layer"]["name"] == "fc2"
    assert f["evidence"]["fromStep"] == corrupt_at
    assert f["evidence"]["details"]["stage"] == "forward"


def test_a_weight_made_infinite_between_steps_is_an_update_problem(tmp_path):
    torch.manual_seed(0)
    model = Healthy()
    log = tmp_path / "inf.nnd.jsonl"
    train(model, torch.optim.Adam(model.parameters(), lr=0.01), log=str(log), corrupt_at=37, corrupt="inf")
    _, findings = diagnose(log)
    assert findings[0]["code"] == "non-finite" and findings[0]["layer"]["name"] == "fc2"
    assert findings[0]["evidence"]["details"]["stage"] == "update"
    assert findings[0]["evidence"]["fromStep"] == 36
