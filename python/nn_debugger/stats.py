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


# HISTOGRAM_EDGES in the dtype the values are compared in, by (dtype, device)
_EDGES = {}

# torch.linalg.vector_norm (1.9+) skips torch.norm's Python dispatch, which costs as much as the norm of
# a mid-sized layer
_norm = torch.linalg.vector_norm if hasattr(torch, "linalg") and hasattr(torch.linalg, "vector_norm") else torch.norm


def _edges(dtype, device):
    """HISTOGRAM_EDGES as `dtype` (float32 or float64), each rounded up to the next value of that dtype:
    a value of that dtype is at or above an exact edge exactly when it is at or above the rounded-up one,
    so the bins are the engine's without converting every value to float64."""
    key = (dtype, device)
    edges = _EDGES.get(key)
    if edges is None:
        exact = torch.tensor(HISTOGRAM_EDGES, dtype=torch.float64)
        edges = exact.to(dtype)
        below = edges.double() < exact
        edges = torch.where(below, torch.nextafter(edges, torch.full_like(edges, math.inf)), edges)
        edges = _EDGES[key] = edges.to(device)
    return edges


# cumulative layer offsets into the joint bincount, by (entries per layer, device)
_OFFSETS = {}


def _layer_offsets(sizes, device):
    key = (sizes, device)
    offsets = _OFFSETS.get(key)
    if offsets is None:
        starts = torch.arange(len(sizes), dtype=torch.long) * HISTOGRAM_BINS
        offsets = _OFFSETS[key] = torch.repeat_interleave(starts, torch.tensor(sizes, dtype=torch.long)).to(device)
    return offsets


def gradient_histograms(grads, samples, finite=False):
    """For each gradient, counts of |grad| over HISTOGRAM_EDGES, each sampled entry (`samples`: index
    tensors, None to read a tensor whole) standing for n / samples entries; non-finite entries are
    skipped, as in the engine (`finite`: the caller knows there are none). The tensors of one device are
    binned together: one bucketize and one bincount for every layer, each layer's bins offset by
    HISTOGRAM_BINS times its place."""
    out = [None] * len(grads)
    by_device = {}
    for i, g in enumerate(grads):
        by_device.setdefault(g.device, []).append(i)
    for device, places in by_device.items():
        # torch.take reads the flat index without the reshape and Python indexing of `flat[sample]`
        picked = [torch.take(grads[i].detach(), samples[i]) if samples[i] is not None else grads[i].detach().reshape(-1) for i in places]
        values = (torch.cat(picked) if len(picked) > 1 else picked[0]).abs()
        if values.dtype not in (torch.float32, torch.float64):
            # half precisions convert exactly
            values = values.float()
        # right=True: the bin is the number of edges at or below the value
        bins = torch.bucketize(values, _edges(values.dtype, device), right=True)
        sizes = tuple(p.numel() for p in picked)
        if len(places) > 1:
            bins = bins + _layer_offsets(sizes, device)
        if not finite:
            bins = bins[torch.isfinite(values)]
        counts = torch.bincount(bins, minlength=HISTOGRAM_BINS * len(places)).tolist()
        for k, (i, m) in enumerate(zip(places, sizes)):
            weight = grads[i].numel() / max(1, m)
            out[i] = [c * weight for c in counts[k * HISTOGRAM_BINS:(k + 1) * HISTOGRAM_BINS]]
    return out


def read_scalars(tensors):
    """0-d tensors as Python numbers. On a GPU each read is a sync: the tensors of one device and dtype
    are read in one go (stacking a mix of dtypes costs several reads); on the CPU a read costs less than
    the stack."""
    values = [None] * len(tensors)
    groups = {}
    for i, t in enumerate(tensors):
        if t.device.type == "cpu":
            values[i] = t.item()
        else:
            groups.setdefault((t.device, t.dtype), []).append(i)
    for places in groups.values():
        for i, v in zip(places, torch.stack([tensors[i] for i in places]).tolist()):
            values[i] = v
    return values


# one call for the norms of every layer's tensors: a probe pays torch's per-call cost once, not per tensor
_foreach_norm = getattr(torch, "_foreach_norm", None)


def norms(tensors):
    """sqrt(Σa²) over every entry of each tensor (non-finite entries make it non-finite, as the engine's
    bias norm), as Python floats."""
    tensors = [t.detach() for t in tensors]
    if not tensors:
        return []
    return read_scalars(_foreach_norm(tensors) if _foreach_norm is not None else [_norm(t) for t in tensors])


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


_foreach_sub = getattr(torch, "_foreach_sub", None)


def update_ratios(pairs):
    """For (after, before, sample, before_norm) of several layers: ‖after - before‖ / ‖before‖ over the
    copied entries (None when they were all zeros) and whether the difference is finite."""
    afters = [torch.take(a.detach(), s) if s is not None else a.detach() for a, _, s, _ in pairs]
    befores = [b for _, b, _, _ in pairs]
    diffs = _foreach_sub(afters, befores) if _foreach_sub is not None and afters else [a - b for a, b in zip(afters, befores)]
    out = []
    for (_, _, _, w), d in zip(pairs, norms(diffs)):
        out.append(((d / w if w > 0 else None), math.isfinite(d)))
    return out


def _sum_of_squares(t):
    """Σx² in the tensor's precision, as a 0-d tensor. A dot product of the tensor with itself reads it
    once and allocates nothing (t * t would allocate a tensor the size of the output at every probe, and
    on CPU fresh pages of that size cost more than the sum)."""
    if t.is_contiguous() and t.dtype in (torch.float32, torch.float64):
        flat = t.reshape(-1)
        return torch.dot(flat, flat)
    return (t * t).sum()


def moment_tensors(out):
    """Σx and Σx² of an output as 0-d tensors, in the output's precision (torch sums in cascades and BLAS
    dots in blocks, so they stay accurate on large tensors; float64 or var_mean cost several times
    more). `finish_moments` turns them into moment_sums."""
    t = out.detach()
    return t.sum(), _sum_of_squares(t)


def finish_moments(out, total, squares):
    """moment_sums from the read values of moment_tensors; the entry-by-entry pass over the finite
    entries runs only when they are not finite."""
    t = out.detach()
    n = t.numel()
    if math.isfinite(total) and math.isfinite(squares):
        return [float(n), total, squares, 0.0]
    t = t.reshape(-1)
    finite = torch.isfinite(t)
    kept = t[finite].double()
    return [float(kept.numel()), float(kept.sum()), float(kept.pow(2).sum()), float(n - kept.numel())]


def moment_sums(out):
    """[count, Σx, Σx², non-finite] over the finite entries of an output."""
    total, squares = moment_tensors(out)
    return finish_moments(out, float(total), float(squares))


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
    """Entries in the flat ends, as a 0-d float64 tensor: sigmoid within 0.01 of 0 or 1, tanh |x| > 0.99
    (saturationRatio)."""
    o = out.detach()
    flat = ((o < 0.01) | (o > 0.99)) if kind == "sigmoid" else (o.abs() > 0.99)
    return flat.sum(dtype=torch.float64)


def unit_sums(x):
    """Per unit Σx and Σx² over the rows (float32 sums, as float64) and the row count (batch-norm batch
    statistics)."""
    x = x.detach()
    if x.dim() <= 1:
        x = x.reshape(1, -1)
    dims = _row_dims(x)
    return x.sum(dim=dims).double(), (x * x).sum(dim=dims).double(), x.numel() // x.shape[1]


def affine_tensors(gamma, beta):
    """[mean γ, min |γ|, mean β] of a norm layer as 0-d tensors (None without an affine transform)."""
    if gamma is None:
        return None
    g = gamma.detach().double()
    b = beta.detach().double() if beta is not None else torch.zeros(1, dtype=torch.float64, device=g.device)
    return [g.mean(), g.abs().min(), b.mean()]


def batch_norm_probe(sums, squares, rows, running_mean, running_var, eps, affine):
    """BatchNormProbe from per-feature batch sums, the running statistics and `affine` (affine_tensors'
    values, None without γ and β) (batchNormStats); one sync."""
    m = sums / rows
    v = (squares / rows - m * m).clamp(min=0)
    rm = running_mean.detach().double()
    rv = running_var.detach().double()
    values = torch.stack([((m - rm).abs() / (rv + eps).sqrt()).mean(), ((v + eps) / (rv + eps)).mean(),
                          m.mean(), v.mean(), rm.mean(), rv.mean()]).tolist()
    keys = ("meanShift", "varRatio", "batchMean", "batchVar", "runningMean", "runningVar")
    probe = dict(zip(keys, values))
    probe["gammaMean"], probe["gammaMinAbs"], probe["betaMean"] = affine if affine is not None else (0.0, 0.0, 0.0)
    return probe
