# PyTorch peer for bench/index.ts: the same model, data (read from the files the bench wrote) and Adam, on
# cfg["threads"] torch threads (OpenBLAS's own threads are set by the caller). Serves rounds so the bench can
# interleave them with the other engines: for each line read on stdin ("round <seconds>") it trains whole
# epochs for at least that long and prints one JSON line with their samples/s.
import json, sys, time
import numpy as np
import torch

cfg = json.loads(sys.argv[1])
torch.set_num_threads(cfg["threads"])
torch.manual_seed(1)
x = torch.from_numpy(np.fromfile(cfg["x"], dtype=np.float32).reshape(cfg["n"], cfg["inputs"]))
y = torch.from_numpy(np.fromfile(cfg["labels"], dtype=np.int32).astype(np.int64))
layers, width = [], cfg["inputs"]
for units in cfg["hidden"]:
    layers.append(torch.nn.Linear(width, units))
    if cfg["batchNorm"]:
        layers.append(torch.nn.BatchNorm1d(units, eps=1e-3, momentum=0.01))
    layers.append(torch.nn.ReLU())
    width = units
layers.append(torch.nn.Linear(width, cfg["classes"]))
model = torch.nn.Sequential(*layers).train()
opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
loss_fn = torch.nn.CrossEntropyLoss()
b, n = cfg["batch"], cfg["n"]
print(json.dumps({"ready": True, "torch": torch.__version__}), flush=True)
for line in sys.stdin:
    words = line.split()
    min_seconds = float(words[1]) if len(words) > 1 else 0.0
    t0 = time.perf_counter()
    epochs = 0
    while epochs == 0 or time.perf_counter() - t0 < min_seconds:
        order = torch.randperm(n)
        for start in range(0, n, b):
            idx = order[start:start + b]
            if len(idx) < 2 and cfg["batchNorm"]:
                continue
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
        epochs += 1
    print(json.dumps({"rate": n * epochs / (time.perf_counter() - t0)}), flush=True)
