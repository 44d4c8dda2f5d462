"""Running a training forward again to find the module that first produced a NaN or Inf.

At every step the watcher keeps only what the model's own call was given (references to its arguments, the
random state it started from when the model has modules that draw random numbers, the autocast contexts it
ran in), never the outputs of its modules: holding those until the step changes how the CPU allocator
reuses memory. When the step's loss is not finite it runs that forward again, before the optimiser updates
the weights, so with the same weights, inputs, dropout masks and precision, and stops at the first module
whose output is not finite. Random numbers drawn outside such modules (functional dropout in a forward) are
drawn afresh: a NaN or Inf goes through a dropout mask whatever it is, so only an overflow that one mask
causes and another does not could go unnamed (the report then names the loss). Training does not see the
run: the random state is forked, buffers the forward updated (batch-norm running statistics) are put back
and nothing is recorded for autograd.
"""
import contextlib
import inspect

import torch
import torch.nn as nn

# torch 2.0+ passes a call's keyword arguments to a forward pre-hook registered with_kwargs
HOOKS_SEE_KWARGS = "with_kwargs" in inspect.signature(nn.Module.register_forward_pre_hook).parameters

# modules that draw random numbers in a training forward
_RANDOM_MODULES = (nn.modules.dropout._DropoutNd, nn.RReLU)

_AUTOCAST_DEVICES = ("cuda", "cpu")
if hasattr(torch, "get_autocast_dtype"):
    # torch 2.4+ (where the per-device functions are deprecated)
    def _autocast_enabled(device):
        return torch.is_autocast_enabled(device)

    def _autocast_dtype(device):
        return torch.get_autocast_dtype(device)

    def _any_autocast():
        return torch.is_autocast_enabled("cuda") or torch.is_autocast_enabled("cpu")
else:
    # torch < 2.4
    def _autocast_enabled(device):
        return torch.is_autocast_enabled() if device == "cuda" else torch.is_autocast_cpu_enabled()

    def _autocast_dtype(device):
        return torch.get_autocast_gpu_dtype() if device == "cuda" else torch.get_autocast_cpu_dtype()

    def _any_autocast():
        return torch.is_autocast_enabled() or torch.is_autocast_cpu_enabled()


class Forward:
    """One training forward of the model's own call, as it can be run again (`random`: the model draws
    random numbers, whose state is then kept). `suspect`: its output was found not finite at its end
    (checked only when no loss is recorded)."""

    __slots__ = ("args", "kwargs", "rng", "cuda_rng", "autocast", "suspect")

    def __init__(self, args, kwargs, random):
        self.args = args
        self.kwargs = kwargs
        # copying the random state costs more than the rest of a step's watching: only when it is used
        self.rng = torch.get_rng_state() if random else None
        self.cuda_rng = torch.cuda.get_rng_state_all() if random and torch.cuda.is_initialized() else None
        self.autocast = tuple((d, _autocast_dtype(d)) for d in _AUTOCAST_DEVICES if _autocast_enabled(d)) if _any_autocast() else ()
        self.suspect = False


def draws_random(model):
    """Whether the model has modules that draw random numbers in a training forward (dropout)."""
    return any(isinstance(m, _RANDOM_MODULES) for m in model.modules())


def blocker(model):
    """Why forwards of `model` (as passed to watch) cannot be run again, or None when they can: a module
    that talks to other ranks in its forward would wait for ranks that do not run it again, and
    DataParallel's replicas run the wrapped module on split inputs."""
    if isinstance(model, nn.DataParallel):
        return "DataParallel"
    if any(isinstance(m, nn.SyncBatchNorm) for m in model.modules()):
        return "SyncBatchNorm"
    return None


def positional_arity(module):
    """Without keyword arguments in pre-hooks (torch < 2.0): how many positional arguments a call of the
    module's forward passes when it passes no keyword argument, or None when that cannot be told (a
    parameter with a default, *args or **kwargs: a keyword argument could hide there)."""
    params = list(inspect.signature(module.forward).parameters.values())
    if any(p.default is not p.empty or p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params):
        return None
    return len(params)


class _Found(Exception):
    """Stops the forward run again at the first non-finite output: what comes after it is not needed."""


def first_non_finite(model, forward, modules):
    """Runs `forward` of `model` again under no_grad with a hook on each of `modules`; returns (module,
    call, output) of the first call whose floating-point output holds a NaN or Inf (call: how many times
    that module ran before in this forward), or None."""
    found = []
    calls = {}

    def hook(module, inputs, output):
        if found:
            return
        call = calls.get(id(module), 0)
        calls[id(module)] = call + 1
        out = output[0] if isinstance(output, (tuple, list)) else output
        if torch.is_tensor(out) and out.is_floating_point() and not bool(torch.isfinite(out).all()):
            found.append((module, call, out))
            raise _Found()

    handles = [m.register_forward_hook(hook) for m in modules]
    buffers = [(b, b.detach().clone(), b._version) for b in model.buffers()]
    devices = list(range(torch.cuda.device_count())) if forward.cuda_rng is not None else []
    try:
        with torch.random.fork_rng(devices=devices), torch.no_grad(), _autocast(forward.autocast):
            if forward.rng is not None:
                torch.set_rng_state(forward.rng)
            if forward.cuda_rng is not None:
                torch.cuda.set_rng_state_all(forward.cuda_rng)
            try:
                model(*forward.args, **forward.kwargs)
            except _Found:
                pass
    finally:
        for h in handles:
            h.remove()
        with torch.no_grad():
            for b, saved, version in buffers:
                # only a buffer the forward wrote to: the others keep their version counter
                if b._version != version:
                    b.copy_(saved)
    return found[0] if found else None


def _autocast(state):
    """The autocast contexts of `state` ((device, dtype) of those enabled), the others disabled."""
    stack = contextlib.ExitStack()
    wanted = dict(state)
    for device in _AUTOCAST_DEVICES:
        if device in wanted:
            stack.enter_context(torch.autocast(device_type=device, dtype=wanted[device]))
        elif _autocast_enabled(device):
            stack.enter_context(torch.autocast(device_type=device, enabled=False))
    return stack
