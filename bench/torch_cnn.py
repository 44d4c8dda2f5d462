# PyTorch peer for the CNN (bench/cnn.ts): builds the model from the `.nn.json` layer list the TypeScript
# side hands over (conv2d, maxpool, avgpool, relu, flatten, dense), with the same initialisers (He normal
# before a ReLU, Glorot normal otherwise, zero biases), Adam settings, batch size and preprocessed data (read
# from the files bench/cnn.ts wrote), on 1 CPU thread. Mode "accuracy": trains `epochs` epochs and prints
# the validation accuracy (one JSON line); mode "serve": prints a ready line, then trains one epoch per
# "round" line read from stdin and answers with its samples/s over wall time and over this process's CPU
# time, so bench/cnn.ts can interleave its rounds with ours.
import json, sys, time
import numpy as np
import torch

cfg = json.loads(sys.argv[1])
torch.set_num_threads(1)
torch.manual_seed(cfg["seed"])
C, H, W = cfg["shape"]


def read(name, n):
    x = torch.from_numpy(np.fromfile(cfg[name + "X"], dtype=np.float32).reshape(n, C, H, W))
    y = torch.from_numpy(np.fromfile(cfg[name + "Y"], dtype=np.int32).astype(np.int64))
    return x, y


def pair(v):
    return tuple(v) if isinstance(v, list) else (v, v)


def init(weight, kind, fan_in, fan_out):
    if kind == "he":
        torch.nn.init.normal_(weight, 0.0, (2.0 / fan_in) ** 0.5)
    else:
        torch.nn.init.normal_(weight, 0.0, (2.0 / (fan_in + fan_out)) ** 0.5)


def build(layers):
    mods, shape = [], (C, H, W)
    for l in layers:
        t = l["type"]
        if t == "conv2d":
            k = pair(l["kernel"])
            s = pair(l.get("stride", 1))
            p = l.get("padding", "valid")
            pad = (0, 0) if p == "valid" else ((k[0] - 1) // 2, (k[1] - 1) // 2) if p == "same" else (p, p)
            m = torch.nn.Conv2d(shape[0], l["filters"], k, stride=s, padding=pad)
            init(m.weight, l["init"], shape[0] * k[0] * k[1], l["filters"] * k[0] * k[1])
            torch.nn.init.zeros_(m.bias)
            mods.append(m)
            shape = (l["filters"], (shape[1] + 2 * pad[0] - k[0]) // s[0] + 1, (shape[2] + 2 * pad[1] - k[1]) // s[1] + 1)
        elif t in ("maxpool", "avgpool"):
            k = pair(l.get("size", 2))
            s = pair(l.get("stride", l.get("size", 2)))
            mods.append((torch.nn.MaxPool2d if t == "maxpool" else torch.nn.AvgPool2d)(k, s))
            shape = (shape[0], (shape[1] - k[0]) // s[0] + 1, (shape[2] - k[1]) // s[1] + 1)
        elif t == "relu":
            mods.append(torch.nn.ReLU())
        elif t in ("flatten", "dense"):
            if len(shape) == 3:
                mods.append(torch.nn.Flatten())
                shape = (shape[0] * shape[1] * shape[2],)
            if t == "dense":
                m = torch.nn.Linear(shape[0], l["units"])
                init(m.weight, l["init"], shape[0], l["units"])
                torch.nn.init.zeros_(m.bias)
                mods.append(m)
                shape = (l["units"],)
        else:
            raise SystemExit(f"torch_cnn.py: layer type {t} is not translated")
        if l.get("activation") == "relu":
            mods.append(torch.nn.ReLU())
    return torch.nn.Sequential(*mods)


train_x, train_y = read("train", cfg["trainN"])
model = build(cfg["layers"]).train()
opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"], betas=(0.9, 0.999), eps=1e-8)
loss_fn = torch.nn.CrossEntropyLoss()
b, n = cfg["batch"], cfg["trainN"]


def epoch():
    order = torch.randperm(n)
    for start in range(0, n, b):
        idx = order[start:start + b]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(train_x[idx]), train_y[idx])
        loss.backward()
        opt.step()


if cfg["mode"] == "serve":
    print(json.dumps({"ready": True, "torch": torch.__version__}), flush=True)
    for line in sys.stdin:
        if line.strip() != "round":
            break
        t0, c0 = time.perf_counter(), time.process_time()
        epoch()
        print(json.dumps({"rate": n / (time.perf_counter() - t0), "cpuRate": n / (time.process_time() - c0)}), flush=True)
else:
    for _ in range(cfg["epochs"]):
        epoch()
    val_x, val_y = read("val", cfg["valN"])
    model.eval()
    with torch.no_grad():
        acc = (model(val_x).argmax(1) == val_y).float().mean().item()
    print(json.dumps({"valAccuracy": acc, "torch": torch.__version__}))
