"""The watcher: forward hooks and an optimiser-step hook that probe a PyTorch run at a cadence and stream
what they see in the engine's message shapes (src/engine/types.ts).

It only reads: outputs and inputs of modules in the forward hooks (of probed steps), gradients before the
optimiser step, weights around it. It never touches a tensor's values, the random state or the autograd
graph, so a watched run trains exactly as an unwatched one. The one exception is the step whose loss is not
finite: its forward is run again to name the first module that produced the NaN/Inf (rerun.py), under
no_grad with the random state forked and the buffers it writes put back, so training still goes on as
without the watcher.
"""
import functools
import math
import os
import sys
import time
import warnings

import torch

from . import stats
from .layers import DEAD_KINDS, PASS_THROUGH_KINDS, SATURATING_KINDS, WEIGHTED_KINDS, optimizer_spec, probed_modules, sizes, unwrap
from .stream import encode_line, open_sink
from .distributed import ActivationReducer, dist_info
from . import rerun

PROTOCOL_VERSION = 1


class _Entry:
    """One call of a module in the forward pass: a layer of the stream. A module called twice in one
    forward (a shared `self.act`) is two entries, as the engine would have two layers."""

    def __init__(self, position, name, module, kind, call):
        self.position = position
        self.name = name
        self.module = module
        self.kind = kind
        # weights and their gradients belong to a module's first call only
        self.owns_params = call == 0 and kind in WEIGHTED_KINDS and getattr(module, "weight", None) is not None
        self.out_shape = None
        # index tensors of the engine's golden-ratio samples (False: the tensor is read whole)
        self.histogram_sample = None
        self.ratio_sample = None
        # at a probed step: the weight norm, the weights before the update (or their sample) and the
        # norm of that copy, the gradient statistics
        self.weight_norm = None
        self.before = None
        self.before_norm = None
        self.grad = None
        self._flat_weight = None

    def weight_view(self):
        """The weight as the probe reads it: a flat view without autograd history, made once and kept while
        it views the weight (the optimiser updates it in place); the detached weight when it has no flat
        view (not contiguous)."""
        w = self.module.weight
        v = self._flat_weight
        if v is not None and v.data_ptr() == w.data_ptr() and v.numel() == w.numel() and v.dtype == w.dtype:
            return v
        if not w.is_contiguous():
            return w.detach()
        self._flat_weight = w.detach().view(-1)
        return self._flat_weight

    def ref(self):
        return {"index": self.position, "name": self.name}


class Watcher:
    def __init__(self, model, optimizer, every=10, log=None, ranks="0", task="classification"):
        if not isinstance(every, int) or isinstance(every, bool) or every <= 0:
            raise ValueError("nn_debugger.watch: every must be a positive number of optimiser steps, got %r" % (every,))
        if ranks not in ("0", "all"):
            raise ValueError('nn_debugger.watch: ranks must be "0" (rank 0 streams the global view) or "all", got %r' % (ranks,))
        if task not in ("classification", "regression"):
            raise ValueError('nn_debugger.watch: task must be "classification" or "regression", got %r' % (task,))
        self.model = unwrap(model)
        self.optimizer = optimizer
        self.every = every
        self.task = task
        self.rank, self.world = dist_info()
        # with ranks="0" every rank takes part in the reductions but only rank 0 writes
        self.reducer = ActivationReducer() if self.world > 1 and ranks == "0" else None
        writes = ranks == "all" or self.rank == 0
        if writes and ranks == "all" and self.world > 1 and log is not None:
            log = _rank_path(os.fspath(log), self.rank)
        self.sink = open_sink(log) if writes else None
        if writes and self.sink is None:
            warnings.warn("nn_debugger.watch: no destination (pass log= or set NN_DEBUGGER_STREAM); nothing is recorded")
        self._modules = {id(m): (name, m, kind) for name, m, kind in probed_modules(model)}
        self._entries = []
        self._by_call = {}
        # calls per module in the current forward, counted as they come at probed steps only
        self._calls = {}
        # activation statistics of the probed step's forward by layer position
        self._acts = {}
        # what the step's non-finite check searches, in call order since the last step: a rerun.Forward
        # for each training forward of the model's own call (kept to its end, and to the step when a loss
        # is recorded or its output was not finite), None where one starts that cannot be run again, and
        # (module, output) of the modules that can start a NaN when there is no forward to run again:
        # called outside the model's own call, or inside one that cannot be run again (kept to its end,
        # and to the step when its output was not finite)
        self._seen = []
        # where in _seen the model's own forward that is running started (None: none is running)
        self._forward_at = None
        # whether forwards can be run again (see rerun.py); on torch < 2.0, how many positional arguments
        # show that a call passed no keyword argument
        self._arity = None if rerun.HOOKS_SEE_KWARGS else rerun.positional_arity(self.model)
        self._rerun_ok = rerun.blocker(model) is None and (rerun.HOOKS_SEE_KWARGS or self._arity is not None)
        self._random = rerun.draws_random(self.model)
        # whether modules ran outside the model's own call (seen at a probed step, or at any step once
        # their hooks stay on)
        self._loose = False
        self._loss = None
        # whether the last step recorded a loss: the forwards of this one then keep their arguments to the
        # step without checking their output
        self._loss_expected = False
        self._steps = 0
        self._epochs = 0
        self._started = False
        # how many layers the last start message had
        self._announced = 0
        self._closed = False
        self._failed = False
        self._non_finite = None
        self._last_epoch = None
        self._t0 = time.time()
        self._t_epoch = self._t0
        self._batch_size = None
        self._probing = False
        self._probe_loss = None
        # whether the coming step is probed: its forward hooks then measure activations
        self._probe_next = self._wants(1)
        self._lr = 0.0
        # clip_grad_norm_: steps clipped since the last probe, (total norm, max norm, parameters) of the
        # last call, and the ClippingProbe measured at a probed step
        self._clip_count = 0
        self._clip_last = None
        self._clipping = None
        self._steps_since_probe = 0
        pre_hook = self.model.register_forward_pre_hook(self._on_root_forward, with_kwargs=True) if rerun.HOOKS_SEE_KWARGS else self.model.register_forward_pre_hook(self._on_root_forward)
        self._handles = [pre_hook]
        # the hooks _set_hooks adds and removes as the steps need them: on the model's output, on modules
        # that can start a NaN, on activations and dropout
        self._layer_modules = [module for _, module, kind in self._modules.values() if kind not in PASS_THROUGH_KINDS]
        self._pass_through = [module for _, module, kind in self._modules.values() if kind in PASS_THROUGH_KINDS]
        # (module, key in its _forward_hooks) of each of them, by method, from their first registration
        self._hook_keys = {}
        # which of them are on: (_on_forward, _on_pass_through_forward, _on_root_output)
        self._hooked = None
        self._set_hooks()
        self._hook_optimizer()

    # ---- public API --------------------------------------------------------------------------------
    def record_loss(self, loss):
        """Optional, once per step before optimizer.step(): the training loss the probe snapshots (and the
        loss rules) read, and that the per-step non-finite check reads (one sync). It is only read,
        at the step. Without it the model's output is checked at the end of each forward instead (one
        sync more per step); with it the forwards keep references to their arguments until the step, in
        case one has to be run again."""
        self._loss = loss

    def clip_grad_norm_(self, max_norm, parameters=None, norm_type=2.0, **kwargs):
        """torch.nn.utils.clip_grad_norm_ over the model's parameters (or `parameters`), called in its
        place before optimizer.step() so that the probes report the clipping as the engine does: the
        fraction of steps since the last probe it clipped, and the global L2 norm before and after it at
        the probed step. Returns what torch returns. Only the L2 norm (norm_type=2) is reported."""
        params = [p for p in (self.model.parameters() if parameters is None else parameters)]
        total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type, **kwargs)
        if float(norm_type) == 2.0 and torch.is_tensor(total):
            self._guard(self._note_clip, total, float(max_norm), params)
        return total

    def _note_clip(self, total, max_norm, params):
        t = total.detach()
        # counted on the device, read at the probe: no sync per step
        self._clip_count = self._clip_count + (t > max_norm)
        self._clip_last = (t, max_norm, params)

    def epoch(self, loss=None, val_loss=None, accuracy=None, val_accuracy=None):
        """Records one epoch's metrics (numbers or 0-d tensors; None when not measured)."""
        self._ensure_started()
        self._epochs += 1
        now = time.time()
        metrics = {
            "epoch": self._epochs,
            "step": self._steps,
            "loss": _number(loss, "loss", nan_if_none=True),
            "accuracy": _number(accuracy, "accuracy"),
            "valLoss": _number(val_loss, "val_loss"),
            "valAccuracy": _number(val_accuracy, "val_accuracy"),
            "lr": float(self.optimizer.param_groups[0].get("lr", 0.0)),
            "durationMs": (now - self._t_epoch) * 1000.0,
            "samplesPerSecond": 0.0,
        }
        self._t_epoch = now
        self._last_epoch = metrics
        self._send({"type": "epoch", "metrics": metrics})

    def close(self, status=None):
        if self._closed:
            return
        self._closed = True
        for h in self._handles:
            h.remove()
        for keys in self._hook_keys.values():
            for module, key in keys:
                module._forward_hooks.pop(key, None)
        self._unhook_optimizer()
        self._ensure_started()
        last = self._last_epoch or {}
        summary = {
            "status": status or ("non-finite" if self._non_finite else "completed"),
            "epochs": self._epochs,
            "steps": self._steps,
            "durationMs": (time.time() - self._t0) * 1000.0,
            "samplesPerSecond": 0.0,
            "final": {k: last.get(k) for k in ("loss", "accuracy", "valLoss", "valAccuracy")},
            "nonFinite": self._non_finite,
            "restoredEpoch": None,
        }
        self._send({"type": "end", "summary": summary})
        if self.sink is not None:
            self.sink.close()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.close("failed" if exc_type is not None and not issubclass(exc_type, KeyboardInterrupt) else ("stopped" if exc_type else None))
        return False

    # ---- optimiser step --------------------------------------------------------------------------
    def _hook_optimizer(self):
        opt = self.optimizer
        if hasattr(opt, "register_step_pre_hook") and hasattr(opt, "register_step_post_hook"):
            self._handles.append(opt.register_step_pre_hook(lambda *_: self._guard(self._before_step)))
            # only probed steps have work after the update
            self._handles.append(opt.register_step_post_hook(lambda *_: self._probing and self._guard(self._after_step)))
            self._wrapped = None
            return
        # torch < 2.0: wrap the instance's step; functools.wraps keeps an LR scheduler's step counter marker
        original = opt.step
        watcher = self

        @functools.wraps(original)
        def step(*args, **kwargs):
            if watcher._closed:
                return original(*args, **kwargs)
            watcher._guard(watcher._before_step)
            result = original(*args, **kwargs)
            if watcher._probing:
                watcher._guard(watcher._after_step)
            return result

        opt.step = step
        self._wrapped = (step, original)

    def _unhook_optimizer(self):
        if self._wrapped is not None and self.optimizer.__dict__.get("step") is self._wrapped[0]:
            del self.optimizer.step

    def _guard(self, fn, *args):
        """A failure inside the watcher stops the watcher, never the training."""
        if self._failed:
            return None
        try:
            return fn(*args)
        except Exception as err:  # noqa: BLE001 - reported, then the watcher steps aside
            self._fail(err)
            return None

    def _fail(self, err):
        self._failed = True
        warnings.warn("nn_debugger: watcher stopped after an internal error: %r" % (err,))

    def _set_hooks(self):
        """Modules are hooked for the forwards of probed steps, where they become layers and their
        activations are measured. At the other steps a hook would only note the call (the step's
        non-finite check runs the forward again instead), while any hook sends the module through
        PyTorch's slower call; modules that can start a NaN stay hooked when their outputs must be kept:
        called outside the model's own call, or when forwards cannot be run again. The model's output is
        hooked when the modules are (to tell calls outside it) and when no loss is recorded (the output
        is checked instead)."""
        layers = self._probe_next or self._loose or not self._rerun_ok
        wanted = (layers, self._probe_next, layers or not self._loss_expected)
        if wanted == self._hooked:
            return
        before, self._hooked = self._hooked or (False, False, False), wanted
        for method, modules, was, on in zip(("_on_forward", "_on_pass_through_forward", "_on_root_output"), (self._layer_modules, self._pass_through, [self.model]), before, wanted):
            if on != was:
                self._hook(method, modules, on)

    def _hook(self, method, modules, on):
        """Adds or takes out the forward hook `method` on `modules`. After the first registration the hook
        goes back under the key its handle had: making a handle each time costs several times that, and
        this runs twice per probe."""
        keys = self._hook_keys.get(method)
        if not on:
            for module, key in keys:
                module._forward_hooks.pop(key, None)
            return
        # looked up on the instance, so that a wrapper set there (the overhead bench's clock) is hooked
        fn = getattr(self, method)
        if keys is None:
            self._hook_keys[method] = [(m, m.register_forward_hook(fn).id) for m in modules]
        else:
            for module, key in keys:
                module._forward_hooks[key] = fn

    def _wants(self, step):
        return step == 1 or step % self.every == 0

    def _before_step(self):
        """Everything a step needs before the update, and the bookkeeping of any step: an unprobed one has
        nothing to do after it."""
        step = self._steps = self._steps + 1
        self._steps_since_probe += 1
        seen, self._seen = self._seen, []
        # a forward whose end is not hooked, or that never returned, is searched with the others
        self._forward_at = None
        if self._calls:
            # calls outside the model's own call count afresh at each step
            self._calls = {}
        if self._announced != len(self._entries) or not self._started:
            self._ensure_started()
        if self._non_finite is None:
            # the recorded loss decides whether to search (one read per step); without one, what the
            # forward ends kept is searched
            loss = self._loss
            if loss is None or not math.isfinite(float(loss)):
                self._check_non_finite(step, seen, loss)
        loss, self._loss = self._loss, None
        self._loss_expected = loss is not None
        # the hooks of the next step's forward
        self._probe_next = (step + 1) % self.every == 0
        self._set_hooks()
        self._probing = self._wants(step)
        if not self._probing:
            return
        self._probe_loss = loss
        self._lr = float(self.optimizer.param_groups[0].get("lr", 0.0))
        self._clipping = self._clipping_probe()
        owners = [e for e in self._entries if e.owns_params]
        grads = [e.module.weight.grad for e in owners]
        weights = [e.weight_view() for e in owners]
        bias_grads = [getattr(getattr(e.module, "bias", None), "grad", None) for e in owners]
        for e, w, g in zip(owners, weights, grads):
            if e.ratio_sample is None:
                idx = stats.sample_indices(w.numel(), stats.RATIO_SAMPLE)
                e.ratio_sample = torch.tensor(idx, dtype=torch.long, device=w.device) if idx is not None else False
            if g is not None and e.histogram_sample is None:
                idx = stats.sample_indices(g.numel(), stats.HISTOGRAM_SAMPLE)
                e.histogram_sample = torch.tensor(idx, dtype=torch.long, device=g.device) if idx is not None else False
            e.before = stats.weights_before(w, e.ratio_sample if e.ratio_sample is not False else None)
        sampled = [e.before for e in owners if e.ratio_sample is not False]
        # every plain norm of the probe in one call: weights, gradients, bias gradients, sampled weights
        measured = iter(stats.norms(weights + [g for g in grads if g is not None] + [b for b in bias_grads if b is not None] + sampled))
        weight_norms = [next(measured) for _ in weights]
        grad_norms = [next(measured) if g is not None else None for g in grads]
        bias_norms = [next(measured) if b is not None else None for b in bias_grads]
        for e, g, bias_grad, weight_norm, plain, bias_norm in zip(owners, grads, bias_grads, weight_norms, grad_norms, bias_norms):
            e.weight_norm = weight_norm
            # a whole copy's norm is the weight norm just measured
            e.before_norm = next(measured) if e.ratio_sample is not False else weight_norm
            e.grad = None
            if g is not None:
                grad_norm, bad = stats.finite_norm(g, plain)
                if bias_norm is not None and not math.isfinite(bias_norm):
                    bad += stats.count_non_finite(bias_grad)
                e.grad = {
                    "gradNorm": grad_norm,
                    "nonFinite": bad,
                    "biasGradNorm": bias_norm,
                    "histogram": stats.gradient_histogram(g, e.histogram_sample if e.histogram_sample is not False else None, finite=bad == 0),
                }

    def _after_step(self):
        """The probed step's statistics after the update, sent."""
        step = self._steps
        loss, self._probe_loss = self._probe_loss, None
        self._probing = False
        acts = self.reducer.reduce(self._entries, self._acts) if self.reducer else self._acts
        self._acts = {}
        updated = [e for e in self._entries if e.owns_params and e.before is not None]
        ratios = stats.update_ratios([(e.weight_view(), e.before, e.ratio_sample if e.ratio_sample is not False else None, e.before_norm) for e in updated])
        ratio_of = {e.position: r for e, r in zip(updated, ratios)}
        layers = [self._layer_probe(e, acts.get(e.position), ratio_of.get(e.position)) for e in self._entries]
        snapshot = {
            "step": step,
            "epoch": self._epochs + 1,
            "loss": float(loss) if loss is not None else float("nan"),
            "lr": self._lr,
            "layers": layers,
            "clipping": self._clipping,
        }
        self._clipping = None
        self._steps_since_probe = 0
        self._send({"type": "probe", "snapshot": snapshot})

    def _clipping_probe(self):
        """ClippingProbe (src/engine/train/clipping.ts): clipped when the norm before exceeds the maximum;
        the norm after is measured again, as the engine does, only then."""
        if self._clip_last is None:
            return None
        total, max_norm, params = self._clip_last
        before = float(total)
        clipped = math.isfinite(before) and before > max_norm
        after = math.sqrt(sum(n * n for n in stats.norms([p.grad for p in params if p.grad is not None]))) if clipped else before
        fraction = float(self._clip_count) / self._steps_since_probe
        self._clip_count = 0
        return {"mode": "norm", "clippedFraction": fraction, "normBefore": before, "normAfter": after}

    def _layer_probe(self, e, act, ratio):
        probe = {
            "index": e.position,
            "name": e.name,
            "position": e.position,
            "kind": e.kind,
            "gradNorm": None,
            "biasGradNorm": None,
            "weightNorm": None,
            "updateRatio": None,
            "histogram": None,
            "activationMean": None,
            "activationStd": None,
            "deadRatio": None,
            "saturationRatio": None,
            "batchNorm": None,
            "nonFinite": 0,
        }
        if ratio is not None:
            probe["weightNorm"] = e.weight_norm
            probe["updateRatio"], finite = ratio
            if not finite:
                probe["nonFinite"] += stats.count_non_finite(e.module.weight)
            if e.grad is not None:
                probe["gradNorm"] = e.grad["gradNorm"]
                probe["biasGradNorm"] = e.grad["biasGradNorm"]
                probe["histogram"] = e.grad["histogram"]
                probe["nonFinite"] += e.grad["nonFinite"]
            e.before = None
        if act is not None:
            count, total, squares, bad = act["moments"]
            mean, std = stats.moments(count, total, squares)
            probe["activationMean"] = mean
            probe["activationStd"] = std
            probe["nonFinite"] += int(bad)
            if e.kind in DEAD_KINDS and act.get("alive") is not None:
                alive = act["alive"]
                probe["deadRatio"] = (alive.numel() - int(torch.count_nonzero(alive))) / max(1, alive.numel())
            if e.kind in SATURATING_KINDS and act["numel"] > 0:
                probe["saturationRatio"] = act["saturated"] / act["numel"]
            if act.get("bn") is not None:
                bn = act["bn"]
                probe["batchNorm"] = stats.batch_norm_probe(bn["sums"], bn["squares"], bn["rows"], bn["runningMean"], bn["runningVar"], e.module.eps, bn["affine"])
        return probe

    # ---- forward hooks ---------------------------------------------------------------------------
    def _on_root_forward(self, module, args, kwargs=None):
        if not (module.training and torch.is_grad_enabled()):
            return
        if self._calls:
            self._calls = {}
        seen = self._seen
        if self._rerun_ok and self._non_finite is None and (kwargs is not None or len(args) == self._arity):
            seen.append(rerun.Forward(args, kwargs or {}, self._random))
        else:
            seen.append(self._not_rerunnable(kwargs))
        self._forward_at = len(seen)
        if self._batch_size is None and args and torch.is_tensor(args[0]) and args[0].dim() > 0:
            self._batch_size = int(args[0].shape[0])

    def _not_rerunnable(self, kwargs):
        """What _seen notes for a forward that is not run again (None): forwards cannot be, a non-finite
        value was reported, or (torch < 2.0) arguments were passed by keyword, which its hooks do not see:
        from then on the outputs are kept instead."""
        if self._rerun_ok and self._non_finite is None and kwargs is None:
            self._rerun_ok = False
        return None

    def _on_root_output(self, module, inputs, output):
        if self._failed or self._forward_at is None or not self._training_forward(module):
            return
        self._guard(self._end_forward, output)

    def _end_forward(self, output):
        """The end of the model's own training forward. Its arguments are kept to the step when a loss is
        recorded (the loss decides there whether to run it again); otherwise its output decides now,
        where a NaN or Inf inside nearly always ends up: the forward (or the outputs its modules left
        when it cannot be run again) is let go unless the output is not finite. Outputs are let go now,
        about when autograd lets them go: holding them until the step changes how the CPU allocator
        reuses memory (freed pages go back to the system and come back as page faults at the next step),
        which costs several times what the probes do."""
        at, self._forward_at = self._forward_at, None
        forward = self._seen[at - 1]
        if forward is not None and self._loss_expected:
            return
        if self._non_finite is None and not _all_finite(output):
            if forward is not None:
                forward.suspect = True
            else:
                # modules called after this forward count their calls afresh
                self._seen.append(None)
        else:
            del self._seen[at - 1:]

    @staticmethod
    def _training_forward(module):
        # evaluation and validation passes are not part of the step being probed
        return module.training and torch.is_grad_enabled()

    def _on_forward(self, module, inputs, output):
        # a module that can start a NaN: hooked at probed steps, and at every step when its output must be
        # kept for the step's non-finite check (outside the model's own call, or in one that cannot be run
        # again)
        if self._failed or not (module.training and torch.is_grad_enabled()):
            return
        out = output[0] if isinstance(output, (tuple, list)) else output
        if self._forward_at is None:
            self._seen.append((module, out))
            # hooked at every step from the next one on (_set_hooks)
            self._loose = True
        elif self._seen[self._forward_at - 1] is None:
            self._seen.append((module, out))
        if self._probe_next:
            # _guard written out: this runs for every module of a probed forward
            try:
                self._observe(module, inputs, out)
            except Exception as err:  # noqa: BLE001 - reported, then the watcher steps aside
                self._fail(err)

    def _on_pass_through_forward(self, module, inputs, output):
        # hooked for the forwards of probed steps only; a NaN never starts in an activation or dropout
        if self._failed or not (module.training and torch.is_grad_enabled()):
            return
        if self._probe_next:
            try:
                self._observe(module, inputs, output[0] if isinstance(output, (tuple, list)) else output)
            except Exception as err:  # noqa: BLE001 - reported, then the watcher steps aside
                self._fail(err)

    def _observe(self, module, inputs, out):
        call = self._calls.get(id(module), 0)
        self._calls[id(module)] = call + 1
        if not torch.is_tensor(out) or not out.is_floating_point():
            return
        e = self._by_call.get((id(module), call)) or self._entry(module, call, out)
        x = inputs[0] if inputs and torch.is_tensor(inputs[0]) else None
        self._acts[e.position] = _activation_sums(e, x, out)

    def _entry(self, module, call, out):
        """The layer of a module's call in a forward: added, after the known ones, at its first call."""
        e = self._by_call.get((id(module), call))
        if e is not None:
            return e
        name, _, kind = self._modules[id(module)]
        e = _Entry(len(self._entries), name if call == 0 else "%s#%d" % (name, call + 1), module, kind, call)
        e.out_shape = tuple(out.shape)
        self._entries.append(e)
        self._by_call[(id(module), call)] = e
        return e

    # ---- non-finite values --------------------------------------------------------------------------
    def _check_non_finite(self, step, seen, loss):
        """Where NaN/Inf first showed up at this step, whose recorded loss (None: none recorded) is not
        finite: the first layer, in forward order, whose output held one ("update" at the step before
        when that layer's own weights already did), else the loss. Forwards are searched by running them
        again (rerun.py), so the step is the one where the value showed up and the layer the first to
        produce it, as if every output had been kept. Gradients are counted at the probes."""
        if loss is None:
            seen = [item for item in seen if not isinstance(item, rerun.Forward) or item.suspect]
        report = None
        first = self._first_non_finite(seen)
        if first is not None:
            weight = getattr(first.module, "weight", None) if first.owns_params else None
            if weight is not None and not bool(torch.isfinite(weight).all()):
                report = {"step": step - 1, "layer": first.ref(), "stage": "update"}
            else:
                report = {"step": step, "layer": first.ref(), "stage": "forward"}
        elif loss is not None:
            report = {"step": step, "layer": None, "stage": "loss"}
        if report is not None:
            self._non_finite = report
            self._send({"type": "non-finite", "report": report})
        # a layer first named by the search
        self._ensure_started()

    def _first_non_finite(self, seen):
        """The layer of the first call, in the order of _seen, whose output is not finite, or None."""
        calls = {}
        for item in seen:
            if item is None or isinstance(item, rerun.Forward):
                calls = {}
                found = self._rerun(item) if item is not None else None
                if found is not None:
                    return found
                continue
            module, out = item
            call = calls.get(id(module), 0)
            calls[id(module)] = call + 1
            if torch.is_tensor(out) and out.is_floating_point() and not bool(torch.isfinite(out.detach()).all()):
                return self._entry(module, call, out)
        return None

    def _rerun(self, forward):
        try:
            found = rerun.first_non_finite(self.model, forward, self._layer_modules)
        except Exception as err:  # noqa: BLE001 - the report then names no layer; training goes on
            warnings.warn("nn_debugger: running the forward again to find the first non-finite module failed: %r" % (err,))
            return None
        return self._entry(*found) if found is not None else None

    # ---- stream ------------------------------------------------------------------------------------
    def _ensure_started(self):
        """The start message, sent before the first step's probe; sent again, in full, when a module ran
        for the first time since (a layer used only from some step on): the model it describes extends
        the one before, which is how the reader tells it from another run."""
        if self._started and self._announced == len(self._entries):
            return
        self._started = True
        self._announced = len(self._entries)
        self._send({"type": "start", "model": self._summary(), "run": self._run_info()})

    def _summary(self):
        layers = []
        for e in self._entries:
            inputs, outputs = sizes(e.module, e.kind, e.out_shape)
            params = sum(p.numel() for p in e.module.parameters(recurse=False)) if e.owns_params else 0
            layers.append({"index": e.position, "name": e.name, "position": e.position, "kind": e.kind, "inputSize": inputs, "outputSize": outputs, "paramCount": params})
        first = next((l for l in layers), None)
        last = layers[-1] if layers else None
        p = next(self.model.parameters(), None)
        return {
            "name": type(self.model).__name__,
            "inputs": first["inputSize"] if first else 0,
            "outputs": last["outputSize"] if last else 0,
            "task": self.task,
            "trainSamples": 0,
            "valSamples": 0,
            "paramCount": sum(q.numel() for q in self.model.parameters()),
            "layers": layers,
            "kernel": "pytorch %s %s" % (torch.__version__, p.device.type if p is not None else "cpu"),
            "dtype": "float64" if p is not None and p.dtype == torch.float64 else "float32",
        }

    def _run_info(self):
        script = os.path.abspath(sys.argv[0]) if sys.argv and sys.argv[0] and os.path.isfile(sys.argv[0]) else None
        return {
            "version": PROTOCOL_VERSION,
            "framework": "pytorch",
            "torch": torch.__version__,
            "script": script,
            "every": self.every,
            "rank": self.rank,
            "worldSize": self.world,
            "ranks": "all" if self.reducer is None and self.world > 1 else "0",
            "batchSize": self._batch_size,
            "optimizer": optimizer_spec(self.optimizer),
            "layers": [{"position": e.position, "name": e.name, "kind": e.kind, "module": type(e.module).__name__} for e in self._entries],
        }

    def _send(self, message):
        if self.sink is not None:
            self.sink.write(encode_line(message))


def _activation_sums(e, x, out):
    """Additive sums of one layer call's activation statistics (so ranks can add theirs up), measured in
    the call's hook: a later in-place operation (`out += identity`, an in-place ReLU) would change them."""
    o = stats.detached(out)
    module = e.module
    act = {"moments": stats.moment_sums(o), "numel": o.numel(), "saturated": 0, "alive": None, "bn": None}
    if e.kind in SATURATING_KINDS:
        act["saturated"] = stats.saturated_count(e.kind, o)
    if e.kind in DEAD_KINDS and x is not None:
        act["alive"] = stats.alive_units(e.kind, x)
    if e.kind == "batchnorm" and x is not None and module.running_mean is not None:
        sums, squares, rows = stats.unit_sums(x)
        act["bn"] = {"sums": sums, "squares": squares, "rows": rows, "runningMean": module.running_mean.detach().clone(), "runningVar": module.running_var.detach().clone(),
                     # gamma and beta as the step saw them, before the update (the engine probes before it)
                     "affine": stats.affine_stats(module.weight, module.bias)}
    return act


def _all_finite(output):
    """Whether every floating-point tensor of a model's output (a tensor, or a tuple, list or dict of them)
    is finite, one sync each; False when it holds none, so that nothing is let go on a guess."""
    values = output.values() if isinstance(output, dict) else output if isinstance(output, (tuple, list)) else (output,)
    tensors = [t for t in values if torch.is_tensor(t) and t.is_floating_point()]
    # a sum that overflows keeps the outputs: only a cost, never a wrong report
    return bool(tensors) and all(math.isfinite(float(t.detach().sum())) for t in tensors)


def _number(value, field, nan_if_none=False):
    if value is None:
        return float("nan") if nan_if_none else None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError("nn_debugger: %s must be a number, got %r" % (field, value)) from None


def _rank_path(path, rank):
    base, ext = (path[: -len(".nnd.jsonl")], ".nnd.jsonl") if path.endswith(".nnd.jsonl") else os.path.splitext(path)
    return "%s.rank%d%s" % (base, rank, ext)


def watch(model, optimizer, every=10, log=None, ranks="0", task="classification"):
    """Watches `model` trained by `optimizer`: every `every` optimiser steps (and the first) it streams
    per-layer gradient, update and activation statistics to `log` (a JSON Lines file) or, when `log` is
    None, to NN_DEBUGGER_STREAM (a file path or 127.0.0.1:port). Under DistributedDataParallel rank 0
    streams the global view (ranks="all": every rank its own, to `<log>.rank<r>.nnd.jsonl`).

    The first step whose loss (record_loss) or model output is not finite is reported with the first
    module, in forward order, whose output held a NaN/Inf at that step: that step's forward is run again
    before the update (same inputs, weights, dropout masks of dropout modules, autocast) and stops there.
    A forward that changes its own inputs in place, or draws random numbers outside dropout modules, may
    not show the value again; the report then names the loss."""
    return Watcher(model, optimizer, every=every, log=log, ranks=ranks, task=task)
