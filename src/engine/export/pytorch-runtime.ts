// The part of an exported script that does not depend on the model: the engine's random generator (so
// batches come in the engine's order), reading the files written beside the script, the training loop,
// evaluation, early stopping and the data-parallel plumbing. It reads the constants and functions that
// pytorch.ts emits above it (SEED, EPOCHS, BATCH_SIZE, Model, LOSS, make_optimizer, ...).

export const PYTHON_RUNTIME = String.raw`
# ---- The engine's batch order ----------------------------------------------------------------------

MASK32 = 0xFFFFFFFF


def _rotl(x, k):
    return ((x << k) | (x >> (32 - k))) & MASK32


class EngineRng:
    """NN Debugger's seeded generator (xoshiro128** seeded by SplitMix32, src/engine/rng.ts), so each
    epoch's batches hold the same samples in the same order as in the engine."""

    def __init__(self, seed):
        x = seed & MASK32
        self.s = []
        for _ in range(4):
            x = (x + 0x9E3779B9) & MASK32
            z = x
            z = ((z ^ (z >> 16)) * 0x85EBCA6B) & MASK32
            z = ((z ^ (z >> 13)) * 0xC2B2AE35) & MASK32
            self.s.append(z ^ (z >> 16))

    def fork(self, label):
        h = 0x811C9DC5
        for ch in label:
            h = ((h ^ ord(ch)) * 0x01000193) & MASK32
        return EngineRng(self.s[0] ^ h ^ ((self.s[1] * 31) & MASK32))

    def next_uint32(self):
        s0, s1, s2, s3 = self.s
        result = (_rotl((s1 * 5) & MASK32, 7) * 9) & MASK32
        t = (s1 << 9) & MASK32
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        self.s = [s0, s1, s2, _rotl(s3, 11)]
        return result

    def shuffle(self, items):
        """Fisher-Yates, drawing j = floor(u * (i + 1)) with u uniform in [0, 1) as the engine does."""
        for i in range(len(items) - 1, 0, -1):
            j = math.floor(self.next_uint32() / 4294967296 * (i + 1))
            items[i], items[j] = items[j], items[i]


# ---- Files written beside the script ----------------------------------------------------------------

def read_float64(path):
    """A file of little-endian float64 values, as the exporter writes them."""
    with open(path, "rb") as f:
        return torch.frombuffer(bytearray(f.read()), dtype=torch.float64)


def load_data(device, dtype):
    """{"train"|"val": (features, loss targets, class labels or None)} from DATA_FILE."""
    raw = read_float64(DATA_FILE)
    parts, offset = {}, 0
    for name, rows, cols in DATA_LAYOUT:
        parts[name] = raw[offset:offset + rows * cols].view(rows, cols)
        offset += rows * cols
    splits = {}
    for split in ("train", "val"):
        y = parts[split + "_y"]
        labels = y[:, 0].long().to(device) if TASK == "classification" else None
        features = parts[split + "_x"].reshape(-1, *INPUT_SHAPE)  # the rows are the engine's channel-major samples
        splits[split] = (features.to(device, dtype), loss_targets(y, dtype).to(device), labels)
    return splits


@torch.no_grad()
def load_engine_weights(net):
    """Copies the engine's initial weights (INIT_FILE) into the model."""
    raw, offset = read_float64(INIT_FILE), 0
    state = net.state_dict()
    for key, shape in INIT_LAYOUT:
        count = math.prod(shape)
        state[key].copy_(raw[offset:offset + count].view(shape))
        offset += count


# ---- Training ----------------------------------------------------------------------------------------

EVAL_CHUNK = 256


class Run:
    """Where this process stands: rank, world size and device (world 1 when not distributed)."""

    def __init__(self, device_name):
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        if self.world == 1:
            self.device = torch.device(device_name)
            return
        local_rank = int(os.environ.get("LOCAL_RANK", str(self.rank)))
        if device_name == "cuda":
            torch.cuda.set_device(local_rank)
            self.device = torch.device("cuda", local_rank)
        else:
            self.device = torch.device("cpu")
        dist.init_process_group("nccl" if device_name == "cuda" else "gloo", init_method="env://")

    def sum(self, values):
        """Element-wise sums over all ranks."""
        if self.world == 1:
            return values
        t = torch.tensor(values, dtype=torch.float64, device=self.device)
        dist.all_reduce(t)
        return t.tolist()

    def all_true(self, flag):
        return self.sum([0.0 if flag else 1.0])[0] == 0.0


def count_correct(output, labels):
    """Arg-max over the outputs, or one output above THRESHOLD (as the engine counts accuracy)."""
    if output.shape[1] == 1:
        predicted = (output[:, 0] > THRESHOLD).long()
    else:
        predicted = output.argmax(dim=1)
    return int((predicted == labels).sum())


def global_grad_norm(params):
    return math.sqrt(sum(float(p.grad.detach().double().pow(2).sum()) for p in params))


def train_epoch(model, optimizer, train, order, lr, run, regularized, params):
    """One epoch over the engine's batches. Returns (loss sum, correct count, finite): sums over all ranks."""
    features, targets, labels = train
    for group in optimizer.param_groups:
        group["lr"] = lr
    model.train()
    loss_sum, correct, finite = 0.0, 0, True
    for start in range(0, len(order), BATCH_SIZE):
        batch = order[start:start + BATCH_SIZE]
        mine = batch[run.rank::run.world]  # this rank's share of the engine's batch
        optimizer.zero_grad()
        output = model(features[mine])
        # The mean over the whole batch; DistributedDataParallel averages gradients over ranks, hence × world.
        loss = LOSS(output, targets[mine]) / (len(batch) * LOSS_TERMS_PER_SAMPLE)
        (loss * run.world).backward()
        add_regularization_gradients(regularized)
        norm = clip_gradients(params)
        finite = run.all_true(math.isfinite(loss.item()) and math.isfinite(norm))
        if not finite:  # like the engine: stop before an update that would spread NaN/Inf
            break
        optimizer.step()
        loss_sum += loss.item() * len(batch)
        if labels is not None:
            correct += count_correct(output.detach(), labels[mine])
    loss_sum, correct = run.sum([loss_sum, correct])
    return loss_sum, correct, finite


@torch.no_grad()
def evaluate(net, split, run):
    """Mean loss and accuracy of a split in evaluation mode (no dropout, batch-norm running statistics)."""
    features, targets, labels = split
    net.eval()
    rows = torch.arange(run.rank, len(features), run.world, device=features.device)
    loss_sum, correct = 0.0, 0
    for start in range(0, len(rows), EVAL_CHUNK):
        chunk = rows[start:start + EVAL_CHUNK]
        output = net(features[chunk])
        loss_sum += LOSS(output, targets[chunk]).item() / LOSS_TERMS_PER_SAMPLE
        if labels is not None:
            correct += count_correct(output, labels[chunk])
    loss_sum, correct = run.sum([loss_sum, correct])
    n = len(features)
    return loss_sum / n, (correct / n if TASK == "classification" else None)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--seed", type=int, default=SEED, help="batch order and dropout (the data and initial weights are the files beside this script)")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--json", action="store_true", help="print one JSON object per epoch, then a final one")
    parser.add_argument("--watch", action="store_true", help="stream gradient health to NN Debugger (needs its python/ directory on PYTHONPATH)")
    parser.add_argument("--same-init", action=argparse.BooleanOptionalAction, default=INIT_FILE is not None, help="start from the engine's initial weights")
    parser.add_argument("--save", default=SAVE_FILE, help="where rank 0 saves the trained state_dict ('' to skip)")
    return parser.parse_args()


def report(args, metrics):
    if args.json:
        print(json.dumps(metrics), flush=True)
        return
    line = "epoch {epoch}/{total}  loss {loss:.4f}".format(total=args.epochs, **metrics)
    for key, label in (("accuracy", "acc"), ("valLoss", "val_loss"), ("valAccuracy", "val_acc")):
        if metrics[key] is not None:
            line += "  {} {:.4f}".format(label, metrics[key])
    print(line, flush=True)


def main():
    args = parse_args()
    if args.same_init and INIT_FILE is None:
        sys.exit("--same-init: this script was exported without the engine's initial weights")
    run = Run(args.device)
    dtype = torch.float64 if args.dtype == "float64" else torch.float32
    torch.manual_seed(args.seed + run.rank)  # dropout masks; --no-same-init's weights come from rank 0 under DDP
    data = load_data(run.device, dtype)
    net = Model().to(run.device, dtype)
    if args.same_init:
        load_engine_weights(net)
    model = net
    if run.world > 1:
        model = nn.parallel.DistributedDataParallel(net, device_ids=[run.device] if run.device.type == "cuda" else None)
    optimizer = make_optimizer(net.parameters())
    params = list(net.parameters())
    regularized = [(p, *REGULARIZATION[name]) for name, p in net.named_parameters() if name in REGULARIZATION]
    watcher = None
    if args.watch:
        try:
            import nn_debugger
        except ImportError:
            sys.exit("--watch needs the nn_debugger module: put NN Debugger's python/ directory on PYTHONPATH")
        watcher = nn_debugger.watch(model, optimizer, every=10)

    shuffle_rng = EngineRng(args.seed).fork("shuffle")
    train, val = data["train"], data["val"]
    n = len(train[0])
    status, last, best, best_loss, best_state, wait = "completed", None, None, math.inf, None, 0
    for epoch in range(args.epochs):
        order = list(range(n))
        shuffle_rng.shuffle(order)
        lr = learning_rate(epoch, args.epochs)
        loss_sum, correct, finite = train_epoch(model, optimizer, train, torch.tensor(order, device=run.device), lr, run, regularized, params)
        if not finite:
            status = "non-finite"
            break
        val_loss, val_accuracy = evaluate(net, val, run) if len(val[0]) > 0 else (None, None)
        last = {
            "epoch": epoch + 1,
            "loss": loss_sum / n,
            "accuracy": correct / n if TASK == "classification" else None,
            "valLoss": val_loss,
            "valAccuracy": val_accuracy,
        }
        if run.rank == 0:
            report(args, last)
        if watcher is not None:
            watcher.epoch(loss=last["loss"], val_loss=val_loss, accuracy=last["accuracy"], val_accuracy=val_accuracy)
        if EARLY_STOPPING is not None:
            # Validation loss is monitored, or training loss when there is no validation split.
            monitored = val_loss if val_loss is not None else last["loss"]
            if monitored < best_loss - EARLY_STOPPING["min_delta"]:
                best_loss, best, best_state, wait = monitored, last, copy.deepcopy(net.state_dict()), 0
            else:
                wait += 1
                if wait >= EARLY_STOPPING["patience"]:
                    net.load_state_dict(best_state)  # the best epoch's weights, as the engine restores them
                    status = "early-stopped"
                    break

    if watcher is not None:
        watcher.close()
    final = best if status == "early-stopped" else last
    if run.rank == 0:
        summary = {
            "status": status,
            "epochs": last["epoch"] if last else 0,
            "restoredEpoch": best["epoch"] if status == "early-stopped" else None,
            "final": {key: final[key] if final else None for key in ("loss", "accuracy", "valLoss", "valAccuracy")},
        }
        if args.json:
            print(json.dumps(summary), flush=True)
        else:
            print("{}: {} after {} epoch(s)".format(NAME, status, summary["epochs"]), flush=True)
        if args.save:
            torch.save(net.state_dict(), args.save)
    if run.world > 1:
        # The DistributedDataParallel wrapper goes while its process group is alive: left to the end of
        # main(), after destroy_process_group, its reducer's teardown sometimes hung a rank.
        del model, watcher
        dist.barrier()  # no rank leaves while another may still need the rendezvous store rank 0 hosts
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
`;
