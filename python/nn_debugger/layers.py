"""Which PyTorch modules the watcher probes, under the engine's layer kinds."""
import torch.nn as nn

# Checked in order: subclasses first where one kind derives from another.
_KINDS = [
    (nn.Linear, "dense"),
    (nn.Conv1d, "conv1d"),
    (nn.Conv2d, "conv2d"),
    (nn.Conv3d, "conv3d"),
    (nn.ReLU6, "relu6"),
    (nn.ReLU, "relu"),
    (nn.LeakyReLU, "leaky-relu"),
    (nn.Sigmoid, "sigmoid"),
    (nn.Tanh, "tanh"),
    (nn.Softmax, "softmax"),
    (nn.Identity, "linear"),
    (nn.Dropout, "dropout"),
    (nn.modules.batchnorm._BatchNorm, "batchnorm"),
    (nn.LayerNorm, "layernorm"),
    (nn.GroupNorm, "groupnorm"),
]

# Activations and dropout map finite inputs to finite outputs: a NaN never starts in them.
PASS_THROUGH_KINDS = frozenset(["relu", "leaky-relu", "relu6", "sigmoid", "tanh", "linear", "dropout"])
DEAD_KINDS = frozenset(["relu", "leaky-relu", "relu6"])
SATURATING_KINDS = frozenset(["sigmoid", "tanh"])
# Kinds whose weight is the layer's main tensor (the engine's dense weight or norm gamma).
WEIGHTED_KINDS = frozenset(["dense", "conv1d", "conv2d", "conv3d", "batchnorm", "layernorm", "groupnorm"])


def kind_of(module):
    """The engine kind of a module, or None for containers and modules the engine has no kind for."""
    for cls, kind in _KINDS:
        if isinstance(module, cls):
            return kind
    return None


def unwrap(model):
    """The user's module inside DataParallel / DistributedDataParallel, so names read `fc1`, not `module.fc1`."""
    while isinstance(model, (nn.DataParallel, nn.parallel.DistributedDataParallel)):
        model = model.module
    return model


def probed_modules(model):
    """(name, module, kind) of every module with a kind, in registration order."""
    out = []
    for name, module in unwrap(model).named_modules():
        kind = kind_of(module)
        if kind is not None and name:
            out.append((name, module, kind))
    return out


def sizes(module, kind, out_shape):
    """(inputSize, outputSize) as the engine counts them: features per sample. Every kind but dense and
    conv keeps its input's shape."""
    if kind == "dense":
        return module.in_features, module.out_features
    if kind.startswith("conv"):
        return module.in_channels, module.out_channels

    def features(shape):
        if shape is None or len(shape) == 0:
            return 0
        return int(shape[1]) if len(shape) > 1 else int(shape[0])

    return features(out_shape), features(out_shape)


OPTIMIZERS = {"SGD": "sgd", "Adam": "adam", "AdamW": "adam", "RMSprop": "rmsprop", "Adagrad": "adagrad"}


def optimizer_spec(optimizer):
    """The optimiser as the diagnosis's learning-rate advice reads it: its type and first group's lr."""
    group = optimizer.param_groups[0]
    name = type(optimizer).__name__
    spec = {"type": OPTIMIZERS.get(name, "sgd" if "momentum" in group else "adam"), "name": name, "lr": float(group.get("lr", 0.0))}
    if name == "SGD":
        spec["momentum"] = float(group.get("momentum", 0.0))
        spec["nesterov"] = bool(group.get("nesterov", False))
    return spec
