"""Overhead of nn_debugger.watch at its default cadence (every 10 steps) on an MLP and a small CNN, measured
so that a loaded, shared machine disturbs it as little as possible:

- watcherShare: the share of a watched block's time spent inside the watcher (its forward hooks, its
  optimiser-step hooks, record_loss), timed directly per block; the median over blocks. Both sides of the
  ratio are the same block's wall time, so a stall of the machine stretches both alike.
- probeUs, stepUs: the median wall time inside the watcher at a probed step and at any other step, in
  microseconds (where the share goes: the probes, or the per-step non-finite check).
- clockUs: the median wall time the clock reads around a call that does nothing, made once per block
  between two of the watcher's calls: what each of its timed calls (three at a step, about ten at a probed
  one) adds to stepUs and probeUs, and so to the share, for the clock alone.
- pairedOverhead: watched / unwatched CPU time of two identical runs trained in interleaved blocks (ABBA
  order, so a drift in load hits both sides alike), minus 1; the median of the per-round ratios. It also
  counts what the direct clock cannot see (PyTorch's slower module call when a module has hooks, memory
  the watcher holds). Both sides share one process: how often the CPU allocator hands memory back to the
  system and faults it in again (the faults per step reported) differs between two processes doing
  identical work by more than the target, but it is common to the two sides of one process.

Prints one JSON line; the target is watcherShare and pairedOverhead below 0.05 on both models.
`--null` runs two unwatched sides: its pairedOverhead shows the bench's own bias (about 0).

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/watch-overhead.py [--rounds N] [--steps N] [--null]
"""
import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time

import torch
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import nn_debugger  # noqa: E402

EVERY = 10


def mlp():
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10)), (784,)


def cnn():
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 7 * 7, 64), nn.ReLU(), nn.Linear(64, 10),
    ), (1, 28, 28)


class WatcherClock:
    """Wall time inside the watcher: every hook it registered on the model's modules, its optimiser
    callbacks (looked up on the instance when the optimiser steps, so wrapping them there times them) and
    the module hooks it registers anew for each probed step (looked up on the instance then).
    What the clock itself costs inside a timed call (a call of perf_counter, bound in the closure: no
    lookup) is counted as the watcher's: between training steps that is a few microseconds per call, a
    bias against the watcher."""

    STEP_CALLBACKS = ("_before_step", "_after_step", "record_loss", "_on_root_output", "_on_forward", "_on_pass_through_forward")

    def __init__(self, watcher, model):
        self.seconds = 0.0
        for module in model.modules():
            for hooks in (module._forward_pre_hooks, module._forward_hooks):
                for key, fn in list(hooks.items()):
                    hooks[key] = self._timed(fn)
        for name in self.STEP_CALLBACKS:
            setattr(watcher, name, self._timed(getattr(watcher, name)))
        self.nothing = self._timed(lambda: None)

    def calibrate(self):
        """The clock's reading around a call that does nothing, not counted as the watcher's."""
        before = self.seconds
        self.nothing()
        spent, self.seconds = self.seconds - before, before
        return spent

    def _timed(self, fn):
        clock = time.perf_counter

        def timed(*args, **kwargs):
            t = clock()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds += clock() - t
        return timed


class Run:
    """A model, its optimiser and a fixed batch, trained in blocks of steps (watched or not)."""

    def __init__(self, build, watched, batch, log):
        torch.manual_seed(0)
        self.model, shape = build()
        self.opt = torch.optim.Adam(self.model.parameters(), lr=1e-3)
        self.x = torch.randn(batch, *shape)
        self.y = torch.randint(0, 10, (batch,))
        self.watcher = nn_debugger.watch(self.model, self.opt, every=EVERY, log=log) if watched else None
        self.clock = WatcherClock(self.watcher, self.model) if watched else None
        self.probed_seconds, self.step_seconds, self.clock_seconds = [], [], []

    def block(self, steps):
        """(CPU seconds, wall seconds, wall seconds inside the watcher, minor page faults) of `steps`
        training steps; the watcher's seconds of each step go to probed_seconds or step_seconds."""
        inside = self.clock.seconds if self.clock else 0.0
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        cpu, wall = time.process_time(), time.perf_counter()
        for i in range(steps):
            before = self.clock.seconds if self.clock else 0.0
            self.opt.zero_grad()
            loss = nn.functional.cross_entropy(self.model(self.x), self.y)
            loss.backward()
            if self.watcher:
                if i == 0:
                    self.clock_seconds.append(self.clock.calibrate())
                self.watcher.record_loss(loss)
            self.opt.step()
            if self.watcher:
                # the step just taken, number _steps, was probed when the cadence wants that number
                (self.probed_seconds if self.watcher._wants(self.watcher._steps) else self.step_seconds).append(self.clock.seconds - before)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
        return cpu, wall, (self.clock.seconds - inside) if self.clock else 0.0, faults


def quartiles(values):
    q = statistics.quantiles(values, n=4) if len(values) > 1 else [values[0]] * 3
    return [round(q[0], 4), round(q[2], 4)]


def measure(build, args, log):
    plain, watched = Run(build, False, args.batch, log), Run(build, not args.null, args.batch, log)
    for run in (plain, watched):
        run.block(EVERY)
        run.probed_seconds, run.step_seconds, run.clock_seconds = [], [], []
    ratios, shares, plain_cpu, watched_cpu, plain_faults, watched_faults = [], [], [], [], [], []
    for i in range(args.rounds):
        # ABBA: who goes first alternates, so a steady change of load favours neither side
        first, second = (plain, watched) if i % 2 == 0 else (watched, plain)
        a, b = first.block(args.steps), second.block(args.steps)
        p, w = (a, b) if first is plain else (b, a)
        ratios.append(w[0] / p[0])
        shares.append(w[2] / w[1])
        plain_cpu.append(p[0])
        watched_cpu.append(w[0])
        plain_faults.append(p[3])
        watched_faults.append(w[3])
    if watched.watcher:
        watched.watcher.close()
    micro = (lambda seconds: round(1e6 * statistics.median(seconds), 1) if seconds else None)
    return {
        "watcherShare": round(statistics.median(shares), 4),
        "watcherShareQuartiles": quartiles(shares),
        "probeUs": micro(watched.probed_seconds),
        "stepUs": micro(watched.step_seconds),
        "clockUs": micro(watched.clock_seconds),
        "pairedOverhead": round(statistics.median(ratios) - 1, 4),
        "pairedOverheadQuartiles": [round(q - 1, 4) for q in quartiles(ratios)],
        "plainMsPerStep": round(1000 * statistics.median(plain_cpu) / args.steps, 3),
        "watchedMsPerStep": round(1000 * statistics.median(watched_cpu) / args.steps, 3),
        "plainFaultsPerStep": round(statistics.median(plain_faults) / args.steps, 1),
        "watchedFaultsPerStep": round(statistics.median(watched_faults) / args.steps, 1),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=16)
    ap.add_argument("--steps", type=int, default=50, help="steps per block: a multiple of the cadence (10)")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--null", action="store_true", help="both sides unwatched: the bench's own bias")
    args = ap.parse_args()
    if args.steps % EVERY or args.rounds < 1:
        ap.error("--steps must be a positive multiple of %d and --rounds positive" % EVERY)
    # one thread: CPU time then measures the step's work, not how many idle cores a shared machine had
    torch.set_num_threads(1)
    log = os.path.join(tempfile.mkdtemp(), "bench.nnd.jsonl")
    result = {"bench": "watch-overhead", "torch": torch.__version__, "batch": args.batch, "every": EVERY,
              "stepsPerBlock": args.steps, "rounds": args.rounds, "target": 0.05, "null": args.null}
    for name, build in (("mlp-784-256-256-10", mlp), ("cnn-2conv", cnn)):
        result[name] = measure(build, args, log)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
