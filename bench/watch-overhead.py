"""Overhead of nn_debugger.watch at its default cadence (every 10 steps) on an MLP and a small CNN: the
throughput with the watcher over the throughput without it, measured in the same run in alternating blocks
of steps. Prints one JSON object; the ratio is what counts (target: at least 0.95).

    OPENBLAS_NUM_THREADS=2 /usr/bin/python3 bench/watch-overhead.py [--rounds N] [--steps N]
"""
import argparse
import json
import os
import statistics
import sys
import tempfile
import time

import torch
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import nn_debugger  # noqa: E402


def mlp():
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10)), (784,)


def cnn():
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 7 * 7, 64), nn.ReLU(), nn.Linear(64, 10),
    ), (1, 28, 28)


class WatcherClock:
    """CPU time spent inside the watcher's own hooks: its share of a step is the overhead, measured
    directly (the throughput ratio also shows it, but on a shared machine with more noise)."""

    def __init__(self, watcher):
        self.seconds = 0.0
        for name in ("_on_root_forward", "_on_forward", "_before_step", "_after_step", "record_loss"):
            setattr(watcher, name, self._timed(getattr(watcher, name)))

    def _timed(self, fn):
        def timed(*args, **kwargs):
            t = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds += time.process_time() - t
        return timed


class Run:
    """A model, its optimiser and a fixed batch, trained in blocks of steps (watched or not)."""

    def __init__(self, build, watched, batch, log):
        torch.manual_seed(0)
        self.model, shape = build()
        self.opt = torch.optim.Adam(self.model.parameters(), lr=1e-3)
        self.x = torch.randn(batch, *shape)
        self.y = torch.randint(0, 10, (batch,))
        self.watcher = None
        self.clock = None
        if watched:
            # the clock wraps the bound methods before the hooks are registered with them
            self.watcher = nn_debugger.Watcher.__new__(nn_debugger.Watcher)
            self.clock = WatcherClock(self.watcher)
            self.watcher.__init__(self.model, self.opt, log=log)

    def block(self, steps):
        """CPU seconds of `steps` training steps: CPU time, not wall time, so other processes on a shared
        machine slow neither side down."""
        t = time.process_time()
        for _ in range(steps):
            self.opt.zero_grad()
            loss = nn.functional.cross_entropy(self.model(self.x), self.y)
            loss.backward()
            if self.watcher:
                self.watcher.record_loss(loss)
            self.opt.step()
        return time.process_time() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--steps", type=int, default=50, help="steps per block: a multiple of the cadence (10)")
    ap.add_argument("--batch", type=int, default=64)
    args = ap.parse_args()
    torch.set_num_threads(1)
    log = os.path.join(tempfile.mkdtemp(), "bench.nnd.jsonl")
    result = {"torch": torch.__version__, "batch": args.batch, "stepsPerBlock": args.steps, "rounds": args.rounds, "every": 10}
    for name, build in (("mlp-784-256-256-10", mlp), ("cnn-2conv", cnn)):
        plain, watched = Run(build, False, args.batch, log), Run(build, True, args.batch, log)
        plain.block(10)
        watched.block(10)
        watched.clock.seconds = 0.0
        # blocks alternate, so a change of load hits both sides alike; each round's pair gives a ratio
        pairs = [(plain.block(args.steps), watched.block(args.steps)) for _ in range(args.rounds)]
        watched.watcher.close()
        ratios = [p / w for p, w in pairs]
        watched_total = sum(w for _, w in pairs)
        result[name] = {
            "watcherShareOfWatchedTime": round(watched.clock.seconds / watched_total, 4),
            "plainStepsPerCpuSecond": round(args.steps / statistics.median(p for p, _ in pairs), 1),
            "watchedStepsPerCpuSecond": round(args.steps / statistics.median(w for _, w in pairs), 1),
            "throughputRatio": round(statistics.median(ratios), 4),
        }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
