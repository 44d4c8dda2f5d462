"""The watcher's statistics equal the engine's probe definitions (src/engine/probes/layer-stats.ts,
histogram.ts), recomputed here by hand, entry by entry, from tensors the test captures itself."""
import math

import pytest
import torch
import torch.nn as nn

import nn_debugger
from watch_helpers import probes, read_stream

EDGES = [10.0 ** (i - 10) for i in range(13)]


class Net(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.fc1 = nn.Linear(5, width)
        self.bn = nn.BatchNorm1d(width)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(width, width)
        self.tanh = nn.Tanh()
        self.fc3 = nn.Linear(width, 3)

    def forward(self, x):
        return self.fc3(self.tanh(self.fc2(self.relu(self.bn(self.fc1(x))))))


def hand_bin(a):
    return sum(1 for e in EDGES if e <= a)


def hand_sample(n, m):
    if n <= m:
        return None
    g = (math.sqrt(5) - 1) / 2
    x, out = 0.0, []
    for _ in range(m):
        out.append(math.floor(x * n))
        x += g
        if x >= 1:
            x -= 1
    return sorted(out)


def hand_histogram(grad):
    flat = grad.reshape(-1).tolist()
    idx = hand_sample(len(flat), 256)
    picked = [flat[i] for i in idx] if idx else flat
    bins = [0] * 14
    for v in picked:
        if math.isfinite(v):
            bins[hand_bin(abs(v))] += 1
    return [b * len(flat) / len(picked) for b in bins]


def hand_norm(t):
    return math.sqrt(sum(v * v for v in t.reshape(-1).tolist()))


def hand_moments(t):
    vals = t.reshape(-1).tolist()
    mean = sum(vals) / len(vals)
    return mean, math.sqrt(max(0.0, sum(v * v for v in vals) / len(vals) - mean * mean))


def hand_dead(x):
    rows, units = x.shape
    return sum(1 for j in range(units) if not any(x[r, j] > 0 for r in range(rows))) / units


def hand_saturation_tanh(o):
    vals = o.reshape(-1).tolist()
    return sum(1 for v in vals if abs(v) > 0.99) / len(vals)


def hand_batchnorm(x, rm, rv, eps, gamma, beta):
    rows, n = x.shape
    shift = ratio = bm = bv = 0.0
    for j in range(n):
        col = [float(x[r, j]) for r in range(rows)]
        m = sum(col) / rows
        v = max(0.0, sum(c * c for c in col) / rows - m * m)
        shift += abs(m - float(rm[j])) / math.sqrt(float(rv[j]) + eps)
        ratio += (v + eps) / (float(rv[j]) + eps)
        bm += m
        bv += v
    g = gamma.tolist()
    return {"meanShift": shift / n, "varRatio": ratio / n, "batchMean": bm / n, "batchVar": bv / n,
            "runningMean": float(rm.double().mean()), "runningVar": float(rv.double().mean()),
            "gammaMean": sum(g) / len(g), "gammaMinAbs": min(abs(v) for v in g), "betaMean": float(beta.double().mean())}


def close(a, b, rel=1e-6):
    assert a == pytest.approx(b, rel=rel, abs=1e-9)


@pytest.mark.parametrize("width,seed", [(8, 0), (24, 1)])  # 24x24 = 576 weights: a sampled histogram
def test_statistics_match_the_engine_definitions(tmp_path, width, seed):
    torch.manual_seed(seed)
    model = Net(width)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    x = torch.randn(32, 5) * 2
    y = torch.randint(0, 3, (32,))
    seen = {}
    hooks = [model.relu.register_forward_hook(lambda m, i, o: seen.__setitem__("relu_in", i[0].detach().clone())),
             model.tanh.register_forward_hook(lambda m, i, o: seen.__setitem__("tanh_out", o.detach().clone())),
             model.bn.register_forward_hook(lambda m, i, o: seen.update(bn_in=i[0].detach().clone(), rm=m.running_mean.clone(), rv=m.running_var.clone())),
             model.fc1.register_forward_hook(lambda m, i, o: seen.__setitem__("fc1_out", o.detach().clone()))]
    log = tmp_path / "run.nnd.jsonl"
    every = 3
    expected = {}
    with nn_debugger.watch(model, opt, every=every, log=str(log)) as w:
        for step in range(1, 8):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            w.record_loss(loss)
            before = {n: p.detach().clone() for n, p in model.named_parameters()}
            grads = {n: p.grad.detach().clone() for n, p in model.named_parameters()}
            snap_acts = dict(seen)
            opt.step()
            if step == 1 or step % every == 0:
                expected[step] = (float(loss), before, grads, {n: p.detach().clone() for n, p in model.named_parameters()}, snap_acts)
    for h in hooks:
        h.remove()
    got = {p["step"]: p for p in probes(read_stream(log))}
    assert sorted(got) == [1, 3, 6]
    for step, (loss, before, grads, after, acts) in expected.items():
        snap = got[step]
        close(snap["loss"], loss)
        layers = {l["name"]: l for l in snap["layers"]}
        assert [l["name"] for l in snap["layers"]] == ["fc1", "bn", "relu", "fc2", "tanh", "fc3"]
        for name in ["fc1", "bn", "fc2", "fc3"]:
            l = layers[name]
            close(l["gradNorm"], hand_norm(grads[name + ".weight"]))
            close(l["biasGradNorm"], hand_norm(grads[name + ".bias"]))
            close(l["weightNorm"], hand_norm(before[name + ".weight"]))
            close(l["updateRatio"], hand_norm(after[name + ".weight"] - before[name + ".weight"]) / hand_norm(before[name + ".weight"]), rel=1e-5)
            assert l["histogram"] == pytest.approx(hand_histogram(grads[name + ".weight"]))
            assert l["nonFinite"] == 0
        mean, std = hand_moments(acts["fc1_out"])
        close(layers["fc1"]["activationMean"], mean)
        close(layers["fc1"]["activationStd"], std)
        assert layers["relu"]["deadRatio"] == hand_dead(acts["relu_in"])
        close(layers["tanh"]["saturationRatio"], hand_saturation_tanh(acts["tanh_out"]))
        want = hand_batchnorm(acts["bn_in"], acts["rm"], acts["rv"], model.bn.eps, before["bn.weight"], before["bn.bias"])
        for k, v in want.items():
            close(layers["bn"]["batchNorm"][k], v, rel=1e-5)
        assert layers["relu"]["gradNorm"] is None and layers["relu"]["saturationRatio"] is None


def test_dead_units_are_counted_per_unit_over_the_whole_batch(tmp_path):
    torch.manual_seed(3)
    model = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 2))
    with torch.no_grad():
        model[0].bias[:3] = -100.0  # three units can never fire
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    log = tmp_path / "dead.nnd.jsonl"
    with nn_debugger.watch(model, opt, every=1, log=str(log)):
        opt.zero_grad()
        model(torch.randn(16, 4)).sum().backward()
        opt.step()
    relu = probes(read_stream(log))[0]["layers"][1]
    assert relu["kind"] == "relu" and relu["name"] == "1"
    assert relu["deadRatio"] == pytest.approx(0.5)


@pytest.mark.parametrize("shape,seed", [((64, 8, 28, 28), 0), ((256, 4096), 1)])
def test_activation_moments_stay_accurate_on_large_outputs(shape, seed):
    # float32 sums over hundreds of thousands of entries: a running float32 sum would be off by 1e-4
    from nn_debugger import stats
    g = torch.Generator().manual_seed(seed)
    out = torch.relu(torch.randn(*shape, generator=g) * 3 + 1)
    count, total, squares, bad = stats.moment_sums(out)
    mean, std = stats.moments(count, total, squares)
    exact = out.double()
    assert (count, bad) == (out.numel(), 0)
    close(mean, float(exact.mean()), rel=1e-6)
    close(std, float(exact.std(unbiased=False)), rel=1e-6)
    # a transposed (non-contiguous) output takes the other path to the same numbers
    t_mean, t_std = stats.moments(*stats.moment_sums(out.transpose(0, 1))[:3])
    close(t_mean, mean, rel=1e-6)
    close(t_std, std, rel=1e-6)


@pytest.mark.parametrize("max_norm,clips", [(1e-3, True), (1e6, False)])
def test_clipping_through_the_helper_is_reported_as_the_engine_does(tmp_path, max_norm, clips):
    torch.manual_seed(4)
    model = Net(8)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x, y = torch.randn(32, 5), torch.randint(0, 3, (32,))
    log = tmp_path / "clip.nnd.jsonl"
    norms = {}
    with nn_debugger.watch(model, opt, every=4, log=str(log)) as w:
        for step in range(1, 9):
            opt.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            before = math.sqrt(sum(hand_norm(p.grad) ** 2 for p in model.parameters()))
            total = w.clip_grad_norm_(max_norm)
            after = math.sqrt(sum(hand_norm(p.grad) ** 2 for p in model.parameters()))
            norms[step] = (before, after)
            close(float(total), before, rel=1e-5)
            opt.step()
    got = {p["step"]: p["clipping"] for p in probes(read_stream(log))}
    assert sorted(got) == [1, 4, 8]
    for step, c in got.items():
        assert c["mode"] == "norm"
        # steps since the last probe, the probed one included: 1, then 3 (2..4), then 4 (5..8)
        assert c["clippedFraction"] == (1.0 if clips else 0.0)
        close(c["normBefore"], norms[step][0], rel=1e-5)
        close(c["normAfter"], norms[step][1], rel=1e-5)
        if clips:
            close(c["normAfter"], max_norm, rel=1e-4)
        else:
            assert c["normAfter"] == c["normBefore"]


def test_clipping_is_null_without_the_helper(tmp_path):
    torch.manual_seed(0)
    model = Net(8)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    log = tmp_path / "noclip.nnd.jsonl"
    with nn_debugger.watch(model, opt, every=1, log=str(log)):
        opt.zero_grad()
        nn.functional.cross_entropy(model(torch.randn(8, 5)), torch.randint(0, 3, (8,))).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1e-3)
        opt.step()
    assert probes(read_stream(log))[0]["clipping"] is None


def test_clipped_fraction_counts_the_steps_since_the_last_probe(tmp_path):
    torch.manual_seed(4)
    model = Net(8)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x, y = torch.randn(32, 5), torch.randint(0, 3, (32,))
    log = tmp_path / "clipmix.nnd.jsonl"
    with nn_debugger.watch(model, opt, every=4, log=str(log)) as w:
        for step in range(1, 9):
            opt.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            w.clip_grad_norm_(1e-3 if step % 2 == 0 else 1e6)  # even steps clip
            opt.step()
    got = {p["step"]: p["clipping"]["clippedFraction"] for p in probes(read_stream(log))}
    assert got == {1: 0.0, 4: pytest.approx(2 / 3), 8: 0.5}


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16])
def test_histogram_bins_values_next_to_each_edge_as_the_engine_does(dtype):
    # the edges are compared in the values' own dtype, rounded up: a value just below an exact edge (as
    # float32 1e-10 is) must stay in the bin below it
    from nn_debugger import stats
    exact = torch.tensor(EDGES, dtype=torch.float64)
    near = exact.to(dtype)
    inf = torch.full_like(near, math.inf)
    values = torch.cat([near, torch.nextafter(near.float(), inf.float()).to(dtype), torch.nextafter(near.float(), -inf.float()).to(dtype)]) if dtype == torch.float16 \
        else torch.cat([near, torch.nextafter(near, inf), torch.nextafter(near, -inf)])
    # and the largest finite value, in the last bin
    grad = torch.cat([values, -values, torch.zeros(1, dtype=dtype), torch.tensor([torch.finfo(dtype).max], dtype=dtype)])
    want = [0] * 14
    for v in grad.double().tolist():
        want[hand_bin(abs(v))] += 1
    assert stats.gradient_histogram(grad, finite=True) == want
    assert stats.gradient_histogram(torch.cat([grad, torch.tensor([math.nan, math.inf], dtype=dtype)])) == want


def test_scalars_read_stacked_by_device_and_dtype_equal_their_items():
    # on a GPU the scalars are read stacked (one sync per device and dtype): the same numbers, in order
    from nn_debugger import stats
    # (a float32 stack would round the int64 count)
    tensors = [torch.tensor(0.1, dtype=torch.float32), torch.tensor(2 ** 40 + 1, dtype=torch.int64),
               torch.tensor(math.inf), torch.tensor(7, dtype=torch.int64)]
    items = [t.item() for t in tensors]
    assert stats.read_scalars(tensors, stacked=lambda t: True) == items
    assert stats.read_scalars(tensors) == items


def test_norms_of_contiguous_transposed_and_half_tensors():
    # dot products for contiguous float tensors, torch's norm for the others: the same definition
    from nn_debugger import stats
    t = torch.randn(300, 70, generator=torch.Generator().manual_seed(5)) * 3
    got = stats.norms([t, t.t(), t.double(), t.half(), torch.zeros(4), torch.tensor([1.0, math.nan])])
    for value, tensor in zip(got[:4], [t, t, t.double(), t.half()]):
        close(value, hand_norm(tensor.double()), rel=1e-3 if tensor.dtype == torch.float16 else 1e-6)
    assert got[4] == 0.0 and math.isnan(got[5])
