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


def detached(t):
    """The tensor without its autograd history; a tensor that has none (a gradient) as it is, which spares
    an operation that costs as much as the small reads of a probe."""
    return t.detach() if t.requires_grad else t


def flat(t):
    """The flat view of a contiguous tensor (a view costs less than a reshape; a 1-d tensor needs none)."""
    return t if t.dim() == 1 else t.view(-1)


def pick(tensor, sample):
    """The entries of a detached tensor at flat indices `sample` (an index tensor). index_select on the
    flat view of a contiguous tensor costs less than torch.take, which checks and maps each index."""
    if tensor.is_contiguous():
        return flat(tensor).index_select(0, sample)
    return torch.take(tensor, sample)


def gradient_histogram(grad, sample=None, finite=False):
    """Counts of |grad| over HISTOGRAM_EDGES, each sampled entry standing for n / samples entries;
    non-finite entries are skipped, as in the engine (`finite`: the caller knows there are none)."""
    g = detached(grad)
    n = g.numel()
    picked = pick(g, sample) if sample is not None else g.reshape(-1)
    values = picked.abs()
    if values.dtype not in (torch.float32, torch.float64):
        # half precisions convert exactly
        values = values.float()
    if not finite:
        values = values[torch.isfinite(values)]
    # right=True: the bin is the number of edges at or below the value
    bins = torch.bucketize(values, _edges(values.dtype, values.device), right=True)
    counts = torch.bincount(bins, minlength=HISTOGRAM_BINS).tolist()
    k = max(1, picked.numel())
    # whole counts stay ints (the counts of a tensor read whole, or a sample that divides it): the same
    # numbers in the stream, which JSON writes in a fraction of a float's time
    weight = n // k if n % k == 0 else n / k
    return [c * weight for c in counts]


def _off_cpu(t):
    return t.device.type != "cpu"


def read_scalars(tensors, stacked=_off_cpu):
    """0-d tensors as Python numbers. On a GPU each read is a sync: the tensors of one device and dtype
    are read in one go (stacking a mix of dtypes costs several reads); on the CPU a read costs less than
    the stack (`stacked`: which tensors are read stacked)."""
    values = [None] * len(tensors)
    groups = {}
    for i, t in enumerate(tensors):
        if stacked(t):
            groups.setdefault((t.device, t.dtype), []).append(i)
        else:
            values[i] = t.item()
    for places in groups.values():
        for i, v in zip(places, torch.stack([tensors[i] for i in places]).tolist()):
            values[i] = v
    return values


# one call for the norms of the tensors a dot product cannot take
_foreach_norm = getattr(torch, "_foreach_norm", None)


def _dot_squares(t):
    """Whether Σa² of the tensor is taken as a BLAS dot product of its flat view with itself: it reads
    the tensor once, in blocks, and costs a fraction of torch's norm, which reduces entry by entry (and
    in place costs less than torch's norm even on a small tensor)."""
    return t.is_contiguous() and t.dtype in (torch.float32, torch.float64)


def norms(tensors):
    """sqrt(Σa²) over every entry of each tensor (non-finite entries make it non-finite, as the engine's
    bias norm), as Python floats."""
    tensors = [detached(t) for t in tensors]
    if not tensors:
        return []
    dots = [_dot_squares(t) for t in tensors]
    # half precisions are summed in float32: in their own a norm above 256 overflows
    others = [t if t.dtype in (torch.float32, torch.float64) else t.float() for t, dot in zip(tensors, dots) if not dot]
    other_norms = iter(_foreach_norm(others) if _foreach_norm is not None and others else [_norm(t) for t in others])
    measured = []
    for t, dot in zip(tensors, dots):
        v = flat(t) if dot else None
        measured.append(torch.dot(v, v) if dot else next(other_norms))
    return [math.sqrt(v) if dot else v for v, dot in zip(read_scalars(measured), dots)]


def finite_norm(tensor, norm=None):
    """L2 norm over the finite entries and the number of non-finite ones (`norm`: the plain norm, when
    already measured); the entry-by-entry pass runs only when the plain norm is not finite."""
    t = detached(tensor)
    norm = float(_norm(t)) if norm is None else norm
    if math.isfinite(norm):
        return norm, 0
    finite = torch.isfinite(t)
    return float(_norm(t[finite].double())), int(t.numel() - int(finite.sum()))


def count_non_finite(tensor):
    return int(tensor.numel() - int(torch.isfinite(tensor.detach()).sum()))


def weights_before(weight, sample):
    """The weights (or the sampled ones) to compare with after the update."""
    w = detached(weight)
    return pick(w, sample) if sample is not None else w.clone()


def update_ratios(pairs):
    """For (after, before, sample, before_norm) of several layers: ‖after - before‖ / ‖before‖ over the
    copied entries (None when they were all zeros) and whether the difference is finite."""
    diffs = [(pick(detached(a), s) if s is not None else detached(a)) - b for a, b, s, _ in pairs]
    out = []
    for (_, _, _, w), d in zip(pairs, norms(diffs)):
        out.append(((d / w if w > 0 else None), math.isfinite(d)))
    return out


# entries per chunk of a sum of squares: its temporary (256 KB in float32) is reused from one chunk to the next
_SQUARES_CHUNK = 1 << 16


def _sum_of_squares(t):
    """Σx² in the tensor's precision: torch's own sum of x·x, whose pairwise order keeps it accurate on large
    tensors whichever BLAS is installed (a BLAS dot product's error depends on its kernel: one read 1.2e-6
    relative on a million entries), a chunk at a time, so the temporary stays small instead of the size of
    the output (fresh pages of that size cost more than the sum)."""
    v = flat(t) if t.is_contiguous() else t.reshape(-1)
    if v.numel() <= _SQUARES_CHUNK:
        return float((v * v).sum())
    return sum(float((c * c).sum()) for c in torch.split(v, _SQUARES_CHUNK))


def moment_sums(out):
    """[count, Σx, Σx², non-finite] over the finite entries of an output, in the output's precision
    (torch sums in cascades, so they stay accurate on large tensors; float64 or var_mean cost several
    times more)."""
    t = detached(out)
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


def affine_stats(gamma, beta):
    """[mean γ, min |γ|, mean β] of a norm layer (None without an affine transform), one sync."""
    if gamma is None:
        return None
    g = gamma.detach().double()
    b = beta.detach().double() if beta is not None else torch.zeros(1, dtype=torch.float64, device=g.device)
    return torch.stack([g.mean(), g.abs().min(), b.mean()]).tolist()


def batch_norm_probe(sums, squares, rows, running_mean, running_var, eps, affine):
    """BatchNormProbe from per-feature batch sums, the running statistics and `affine` (affine_stats,
    None without γ and β) (batchNormStats); one sync."""
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
