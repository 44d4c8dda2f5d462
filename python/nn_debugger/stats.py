"""Per-layer statistics with the engine's definitions (src/engine/probes/layer-stats.ts, histogram.ts).

Pure readers: every function takes detached tensors and returns plain Python numbers; nothing here
touches a module, a parameter or the autograd graph.
"""
import math

import torch

# Bin edges 1e-10 ... 1e2 (HISTOGRAM_EDGES): bin 0 holds |g| < 1e-10, bin k holds [EDGES[k-1], EDGES[k]).
HISTOGRAM_EDGES = [float("1e%d" % (i - 10)) for i in range(13)]
HISTOGRAM_BINS = len(HISTOGRAM_EDGES) + 1
# Entries binned for a histogram (HISTOGRAM_SAMPLE).
HISTOGRAM_SAMPLE = 256
_GOLDEN = (math.sqrt(5) - 1) / 2


def sample_indices(n, max_entries):
    """The engine's golden-ratio (Weyl) sample of `max_entries` indices into `n` entries, ascending;
    None when the tensor is small enough to read whole."""
    if n <= max_entries:
        return None
    out = []
    x = 0.0
    for _ in range(max_entries):
        out.append(int(math.floor(x * n)))
        x += _GOLDEN
        if x >= 1:
            x -= 1
    out.sort()
    return out


def gradient_histogram(grad, sample=None):
    """Counts of |grad| over HISTOGRAM_EDGES, each sampled entry standing for n / samples entries;
    non-finite entries are skipped, as in the engine."""
    flat = grad.detach().reshape(-1)
    n = flat.numel()
    if sample is not None:
        flat = flat[sample]
    values = flat.double().abs()
    values = values[torch.isfinite(values)]
    edges = torch.tensor(HISTOGRAM_EDGES, dtype=torch.float64, device=values.device)
    # right=True: the bin is the number of edges at or below the value
    bins = torch.bucketize(values, edges, right=True)
    counts = torch.bincount(bins, minlength=HISTOGRAM_BINS).tolist()
    weight = n / max(1, flat.numel())
    return [c * weight for c in counts]


def finite_norm(tensor):
    """L2 norm over the finite entries and the number of non-finite ones."""
    t = tensor.detach().double()
    finite = torch.isfinite(t)
    bad = int(t.numel() - int(finite.sum()))
    if bad == 0:
        return float(t.norm()), 0
    return float(t[finite].norm()), bad


def count_non_finite(tensor):
    return int(tensor.numel() - int(torch.isfinite(tensor.detach()).sum()))


def plain_norm(tensor):
    """sqrt(Σa²) over every entry (non-finite entries make it non-finite, as the engine's bias norm)."""
    return float(tensor.detach().double().pow(2).sum().sqrt())


def update_ratio(after, before):
    """‖after - before‖ / ‖before‖ (None when `before` is all zeros) and whether the difference is finite."""
    b = before.double()
    d = float((after.detach().double() - b).pow(2).sum())
    w = float(b.pow(2).sum())
    return (math.sqrt(d / w) if w > 0 else None), math.isfinite(d)


def moment_sums(out):
    """[count, Σx, Σx², non-finite] over the finite entries of an output, as float64."""
    t = out.detach().double().reshape(-1)
    finite = torch.isfinite(t)
    bad = t.numel() - int(finite.sum())
    if bad:
        t = t[finite]
    return [float(t.numel()), float(t.sum()), float(t.pow(2).sum()), float(bad)]


def moments(count, total, squares):
    """Mean and population std from sums (outputStats)."""
    n = max(1.0, count)
    mean = total / n
    return mean, math.sqrt(max(0.0, squares / n - mean * mean))


def unit_view(x):
    """Rows x units: the last dimension of a 2-D tensor, the channel dimension (1) of a larger one."""
    x = x.detach()
    if x.dim() <= 1:
        return x.reshape(1, -1)
    if x.dim() == 2:
        return x
    return x.transpose(0, 1).reshape(x.shape[1], -1).t()


def alive_units(kind, pre_activation):
    """Per unit, whether any row keeps it on the live part of the activation (deadRatio's test):
    x > 0, or 0 < x < 6 for ReLU6."""
    x = unit_view(pre_activation)
    live = (x > 0) & (x < 6) if kind == "relu6" else x > 0
    return live.any(dim=0)


def dead_ratio(kind, pre_activation):
    alive = alive_units(kind, pre_activation)
    return float((~alive).sum()) / max(1, alive.numel())


def saturated_count(kind, out):
    """Entries in the flat ends: sigmoid within 0.01 of 0 or 1, tanh |x| > 0.99 (saturationRatio)."""
    o = out.detach()
    if kind == "sigmoid":
        return int(((o < 0.01) | (o > 0.99)).sum())
    return int((o.abs() > 0.99).sum())


def unit_sums(x):
    """Per unit Σx and Σx² over the rows, float64, and the row count (batch-norm batch statistics)."""
    u = unit_view(x).double()
    return u.sum(dim=0), u.pow(2).sum(dim=0), u.shape[0]


def batch_norm_probe(sums, squares, rows, running_mean, running_var, eps, gamma, beta):
    """BatchNormProbe from per-feature batch sums and the running statistics (batchNormStats)."""
    m = sums / rows
    v = (squares / rows - m * m).clamp(min=0)
    rm = running_mean.detach().double()
    rv = running_var.detach().double()
    probe = {
        "meanShift": float(((m - rm).abs() / (rv + eps).sqrt()).mean()),
        "varRatio": float(((v + eps) / (rv + eps)).mean()),
        "batchMean": float(m.mean()),
        "batchVar": float(v.mean()),
        "runningMean": float(rm.mean()),
        "runningVar": float(rv.mean()),
        "gammaMean": 0.0,
        "gammaMinAbs": 0.0,
        "betaMean": 0.0,
    }
    if gamma is not None:
        g = gamma.detach().double()
        probe["gammaMean"] = float(g.mean())
        probe["gammaMinAbs"] = float(g.abs().min())
    if beta is not None:
        probe["betaMean"] = float(beta.detach().double().mean())
    return probe
