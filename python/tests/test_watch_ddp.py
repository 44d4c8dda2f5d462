"""The watcher under DistributedDataParallel, 2 processes on gloo (torch.multiprocessing.spawn): rank 0
streams gradient statistics after the all-reduce and activation statistics summed over the ranks, equal to
one process training on the whole batch; a layer that one rank skips does not deadlock the reduction."""
import os
import socket
import subprocess
import sys

import pytest

from watch_helpers import probes, read_stream

WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ddp_worker.py")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(tmp_path, ranks="0", skip=False):
    r = subprocess.run([sys.executable, WORKER, str(tmp_path), str(free_port()), ranks, "skip" if skip else "all"],
                       capture_output=True, text=True, timeout=240)
    assert r.returncode == 0, r.stderr[-3000:]


def by_step(path):
    return {p["step"]: {l["name"]: l for l in p["layers"]} for p in probes(read_stream(path))}


STATS = ["gradNorm", "biasGradNorm", "weightNorm", "updateRatio", "activationMean", "activationStd", "deadRatio", "saturationRatio"]


def test_rank_zero_streams_the_global_view(tmp_path):
    run(tmp_path)
    assert not (tmp_path / "ddp.rank1.nnd.jsonl").exists()
    ddp, single = by_step(tmp_path / "ddp.nnd.jsonl"), by_step(tmp_path / "single.nnd.jsonl")
    assert sorted(ddp) == sorted(single) == [1, 4, 8, 12]
    for step in ddp:
        assert sorted(ddp[step]) == sorted(single[step])
        for name, layer in ddp[step].items():
            for k in STATS:
                a, b = layer[k], single[step][name][k]
                assert (a is None) == (b is None), (step, name, k)
                if a is not None:
                    assert a == pytest.approx(b, rel=1e-4, abs=1e-7), (step, name, k)
            if layer["histogram"] is not None:
                assert layer["histogram"] == single[step][name]["histogram"] or sum(abs(x - y) for x, y in zip(layer["histogram"], single[step][name]["histogram"])) <= 2


def test_a_layer_skipped_on_one_rank_does_not_deadlock(tmp_path):
    run(tmp_path, skip=True)
    ddp = by_step(tmp_path / "ddp.nnd.jsonl")
    assert sorted(ddp) == [1, 4, 8, 12]
    # `extra` ran on rank 0 at odd steps only: absent at 4, 8, 12, present (rank 0's samples) at 1
    assert ddp[1]["extra"]["saturationRatio"] is not None
    for step in (4, 8, 12):
        assert ddp[step]["extra"]["activationMean"] is None


def test_every_rank_streams_its_own_view(tmp_path):
    run(tmp_path, ranks="all")
    r0, r1 = by_step(tmp_path / "ddp.rank0.nnd.jsonl"), by_step(tmp_path / "ddp.rank1.nnd.jsonl")
    assert sorted(r0) == sorted(r1) == [1, 4, 8, 12]
    # gradients are all-reduced: the same on both; activations are each rank's own half of the batch
    assert r0[4]["fc1"]["gradNorm"] == pytest.approx(r1[4]["fc1"]["gradNorm"], rel=1e-6)
    assert r0[4]["fc1"]["activationMean"] != r1[4]["fc1"]["activationMean"]
