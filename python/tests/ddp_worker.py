"""Run by test_watch_ddp.py in a subprocess (so a deadlock shows as a timeout, not a hung test run):
trains a small MLP data-parallel on 2 gloo ranks with the watcher, and the same model on the full batch in
one process, writing both streams."""
import os
import sys

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import nn_debugger  # noqa: E402

STEPS = 12
EVERY = 4


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 16)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(16, 16)
        self.tanh = nn.Tanh()
        self.extra = nn.Sigmoid()
        self.out = nn.Linear(16, 2)

    def forward(self, x, skip_extra=True):
        h = self.tanh(self.fc2(self.relu(self.fc1(x))))
        return self.out(h if skip_extra else self.extra(h))


def batches():
    g = torch.Generator().manual_seed(7)
    return [(torch.randn(32, 3, generator=g) * 2, torch.randint(0, 2, (32,), generator=g)) for _ in range(STEPS)]


def train(model, opt, data, watcher, skip_extra):
    for step, (x, y) in enumerate(data, start=1):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x, skip_extra=skip_extra(step)), y)
        loss.backward()
        watcher.record_loss(loss)
        opt.step()
    watcher.close()


def rank_main(rank, world, port, out, ranks, skip):
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    torch.manual_seed(0)
    model = nn.parallel.DistributedDataParallel(Net())
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    w = nn_debugger.watch(model, opt, every=EVERY, log=os.path.join(out, "ddp.nnd.jsonl"), ranks=ranks)
    shard = [(x[rank::world], y[rank::world]) for x, y in batches()]
    # with skip: only rank 0 runs `extra`, and only on even steps: rank 1 never probes it
    train(model, opt, shard, w, (lambda s: rank != 0 or s % 2 == 0) if skip else (lambda s: True))
    # the DistributedDataParallel wrapper goes while its process group is alive (its teardown after
    # destroy_process_group can hang); a rank that tears gloo down while the other still finishes the last
    # collective aborts it
    del model, opt, w
    dist.barrier()
    dist.destroy_process_group()


def single(out):
    torch.manual_seed(0)
    model = Net()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    w = nn_debugger.watch(model, opt, every=EVERY, log=os.path.join(out, "single.nnd.jsonl"))
    train(model, opt, batches(), w, lambda s: True)


if __name__ == "__main__":
    out, port, ranks, skip = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4] == "skip"
    torch.set_num_threads(1)
    single(out)
    mp.spawn(rank_main, args=(2, port, out, ranks, skip), nprocs=2, join=True)
