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
# Entries compared before and after the update for the update ratio of large tensors (RATIO_SAMPLE).
RATIO_SAMPLE = 8192
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


_EDGES = {}

# torch.linalg.vector_norm (1.9+) skips torch.norm's Python dispatch, which costs as much as the norm of
# a mid-sized layer
_norm = torch.linalg.vector_norm if hasattr(torch, "linalg") and hasattr(torch.linalg, "vector_norm") else torch.norm


def gradient_histogram(grad, sample=None, finite=False):
    """Counts of |grad| over HISTOGRAM_EDGES, each sampled entry standing for n / samples entries;
    non-finite entries are skipped, as in the engine (`finite`: the caller knows there are none)."""
    g = grad.detach()
    n = g.numel()
    # torch.take reads the flat index without the reshape and Python indexing of `flat[sample]`
    picked = torch.take(g, sample) if sample is not None else g.reshape(-1)
    values = picked.double().abs()
    if not finite:
        values = values[torch.isfinite(values)]
    edges = _EDGES.get(values.device)
    if edges is None:
        edges = _EDGES[values.device] = torch.tensor(HISTOGRAM_EDGES, dtype=torch.float64, device=values.device)
    # right=True: the bin is the number of edges at or below the value
    bins = torch.bucketize(values, edges, right=True)
    counts = torch.bincount(bins, minlength=HISTOGRAM_BINS).tolist()
    weight = n / max(1, picked.numel())
    return [c * weight for c in counts]


# one call for the norms of every layer's tensors: a probe pays torch's per-call cost once, not per tensor
_foreach_norm = getattr(torch, "_foreach_norm", None)


def norms(tensors):
    """sqrt(Σa²) over every entry of each tensor (non-finite entries make it non-finite, as the engine's
    bias norm), as Python floats."""
    tensors = [t.detach() for t in tensors]
    if not tensors:
        return []
    values = _foreach_norm(tensors) if _foreach_norm is not None else [_norm(t) for t in tensors]
    if len({v.device for v in values}) == 1:
        return torch.stack(values).tolist()
    return [float(v) for v in values]


def finite_norm(tensor, norm=None):
    """L2 norm over the finite entries and the number of non-finite ones (`norm`: the plain norm, when
    already measured); the entry-by-entry pass runs only when the plain norm is not finite."""
    t = tensor.detach()
    norm = float(_norm(t)) if norm is None else norm
    if math.isfinite(norm):
        return norm, 0
    finite = torch.isfinite(t)
    return float(_norm(t[finite].double())), int(t.numel() - int(finite.sum()))


def count_non_finite(tensor):
    return int(tensor.numel() - int(torch.isfinite(tensor.detach()).sum()))


def weights_before(weight, sample):
    """The weights (or the sampled ones) to compare with after the update."""
    w = weight.detach()
    return torch.take(w, sample) if sample is not None else w.clone()


def update_ratios(pairs):
    """For (after, before, sample, before_norm) of several layers: ‖after - before‖ / ‖before‖ over the
    copied entries (None when they were all zeros) and whether the difference is finite. `before_norm`
    None: measured here over the copy."""
    diffs = [(torch.take(a.detach(), s) if s is not None else a.detach()) - b for a, b, s, _ in pairs]
    unknown = [b for _, b, _, n in pairs if n is None]
    measured = norms(diffs + unknown)
    d_norms, b_norms = measured[:len(diffs)], iter(measured[len(diffs):])
    out = []
    for (_, _, _, n), d in zip(pairs, d_norms):
        w = next(b_norms) if n is None else n
        out.append(((d / w if w > 0 else None), math.isfinite(d)))
    return out


def _sum_of_squares(t):
    """Σx² in the tensor's precision. A dot product of the tensor with itself reads it once and allocates
    nothing (t * t would allocate a tensor the size of the output at every probe, and on CPU fresh pages
    of that size cost more than the sum)."""
    if t.is_contiguous() and t.dtype in (torch.float32, torch.float64):
        flat = t.reshape(-1)
        return float(torch.dot(flat, flat))
    return float((t * t).sum())


def moment_sums(out):
    """[count, Σx, Σx², non-finite] over the finite entries of an output, in the output's precision
    (torch sums in cascades and BLAS dots in blocks, so they stay accurate on large tensors; float64 or
    var_mean cost several times more)."""
    t = out.detach()
    n = t.numel()
    total = float(t.sum())
    squares = _sum_of_squares(t)
    if math.isfinite(total) and math.isfinite(squares):
        return [float(n), total, squares, 0.0]
    t = t.reshape(-1)
    finite = torch.isfinite(t)
    kept = t[finite].double()
    return [float(kept.numel()), float(kept.sum()), float(kept.pow(2).sum()), float(n - kept.numel())]


def moments(count, total, squares):
    """Mean and population std from sums (outputStats)."""
    n = max(1.0, count)
    mean = total / n
    return mean, math.sqrt(max(0.0, squares / n - mean * mean))


def _row_dims(x):
    """The dimensions that hold rows: 0 for samples x features, every one but the channels (1) beyond."""
    return (0,) if x.dim() <= 2 else tuple(d for d in range(x.dim()) if d != 1)


def alive_units(kind, pre_activation):
    """Per unit (feature, or channel of a larger tensor), whether any row keeps it on the live part of
    the activation (deadRatio's test): x > 0 (the row maximum is), or 0 < x < 6 for ReLU6."""
    x = pre_activation.detach()
    if x.dim() <= 1:
        x = x.reshape(1, -1)
    if kind != "relu6":
        return torch.amax(x, dim=_row_dims(x)) > 0
    live = (x > 0) & (x < 6)
    if x.dim() > 2:
        live = live.flatten(2).any(2)
    return live.any(0)


def saturated_count(kind, out):
    """Entries in the flat ends: sigmoid within 0.01 of 0 or 1, tanh |x| > 0.99 (saturationRatio)."""
    o = out.detach()
    if kind == "sigmoid":
        return int(((o < 0.01) | (o > 0.99)).sum())
    return int((o.abs() > 0.99).sum())


def unit_sums(x):
    """Per unit Σx and Σx² over the rows (float32 sums, as float64) and the row count (batch-norm batch
    statistics)."""
    x = x.detach()
    if x.dim() <= 1:
        x = x.reshape(1, -1)
    dims = _row_dims(x)
    return x.sum(dim=dims).double(), (x * x).sum(dim=dims).double(), x.numel() // x.shape[1]


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
