"""Activation statistics summed over DistributedDataParallel ranks.

Every rank calls `reduce` at the same probed optimiser step (DDP keeps ranks in step). Each reduction has a
shape every rank agrees on before it is sent: first the layer names every rank has seen (gathered), then
each layer's unit count (MAX), then the sums (SUM). A rank on which a layer did not run at that step sends
zeros with a "present" flag of 0, so a skipped probe never leaves another rank waiting in a collective of
another shape.
"""
import torch
import torch.distributed as dist

from .layers import DEAD_KINDS

# present, count, sum, sum of squares, non-finite, saturated, numel, batch-norm rows
_SCALARS = 8


def dist_info():
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


class ActivationReducer:
    def __init__(self):
        # a gloo group of our own: CPU tensors work whatever backend training uses (nccl on GPUs)
        self.group = dist.new_group(backend="gloo")

    def reduce(self, entries, acts):
        """The activation sums of `acts` (by entry position) added up over the ranks, by layer name: a
        layer that ran on some ranks only counts those ranks' samples."""
        names = [e.name for e in entries]
        everyone = [None] * dist.get_world_size(self.group)
        dist.all_gather_object(everyone, names, group=self.group)
        order = []
        for rank_names in everyone:
            order.extend(n for n in rank_names if n not in order)
        local = {e.name: acts.get(e.position) for e in entries}
        units = torch.tensor([float(_units(local[n])) if local.get(n) is not None else 0.0 for n in order], dtype=torch.float64)
        dist.all_reduce(units, op=dist.ReduceOp.MAX, group=self.group)
        sizes = [int(u) for u in units.tolist()]
        payload = torch.zeros(sum(_SCALARS + 3 * u for u in sizes), dtype=torch.float64)
        offsets = {}
        at = 0
        for name, u in zip(order, sizes):
            offsets[name] = (at, u)
            a = local.get(name)
            if a is not None:
                count, total, squares, bad = a["moments"]
                bn = a["bn"]
                payload[at: at + _SCALARS] = torch.tensor([1.0, count, total, squares, bad, float(a["saturated"]), float(a["numel"]), float(bn["rows"]) if bn else 0.0], dtype=torch.float64)
                if a["alive"] is not None:
                    payload[at + _SCALARS: at + _SCALARS + a["alive"].numel()] = a["alive"].cpu()
                if bn is not None:
                    k = bn["sums"].numel()
                    payload[at + _SCALARS + u: at + _SCALARS + u + k] = bn["sums"].cpu()
                    payload[at + _SCALARS + 2 * u: at + _SCALARS + 2 * u + k] = bn["squares"].cpu()
            at += _SCALARS + 3 * u
        dist.all_reduce(payload, op=dist.ReduceOp.SUM, group=self.group)
        out = {}
        for e in entries:
            at, u = offsets[e.name]
            head = payload[at: at + _SCALARS].tolist()
            mine = local.get(e.name)
            if head[0] == 0:
                continue
            merged = {"moments": head[1:5], "saturated": head[5], "numel": head[6], "alive": None, "bn": None}
            if e.kind in DEAD_KINDS and u > 0:
                merged["alive"] = payload[at + _SCALARS: at + _SCALARS + u]
            # batch-norm running statistics are this rank's: only a rank that ran the layer compares them
            if mine is not None and mine["bn"] is not None:
                merged["bn"] = dict(mine["bn"], sums=payload[at + _SCALARS + u: at + _SCALARS + 2 * u], squares=payload[at + _SCALARS + 2 * u: at + _SCALARS + 3 * u], rows=head[7])
            out[e.position] = merged
        return out


def _units(act):
    if act["alive"] is not None:
        return act["alive"].numel()
    if act["bn"] is not None:
        return act["bn"]["sums"].numel()
    return 0
