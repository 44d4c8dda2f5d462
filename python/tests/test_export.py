"""Export to PyTorch: the exported scripts run, and train as the engine does.

Each model is exported and trained by the engine in float64 (test/harness/python-engine-run.ts), then the
script runs in float64 from the same initial weights, data and batch order: the per-epoch losses and
accuracies must agree to near float64 precision, which checks the engine's forward, backward, optimisers,
schedules, clipping and regularisation against PyTorch's. One model is compared in float32 as well (the
script's default precision), to float32 precision."""
import json
import math
import os
import socket
import subprocess
import sys

import pytest

from conftest import REPO, TEST_ENV, run_script

FIELDS = ("loss", "accuracy", "valLoss", "valAccuracy")


def model(name, data, layers, loss, optimizer, **rest):
    spec = {"name": name, "seed": 11, "data": data, "layers": layers, "loss": loss, "optimizer": optimizer, "epochs": 3, "batchSize": 32}
    spec.update(rest)
    return spec


DENSE = "dense"
MODELS = [
    model(
        "sine-mse-sgd",
        {"source": "sine", "samples": 300, "noise": 0.05, "validationSplit": 0.2, "preprocess": "standardize"},
        [{"type": DENSE, "units": 16, "activation": "tanh", "init": "xavier"}, {"type": DENSE, "units": 1, "init": "lecun"}],
        "mse",
        {"type": "sgd", "lr": 0.05},
        schedule={"type": "step", "every": 1, "factor": 0.5},
    ),
    model(
        "spiral-nesterov-l2-clip",
        {"source": "spiral", "samples": 300, "classes": 3, "noise": 0.2, "validationSplit": 0.2, "preprocess": "standardize"},
        [{"type": DENSE, "units": 32, "activation": "relu", "init": "he"}, {"type": DENSE, "units": 3, "init": "xavier-uniform"}, {"type": "softmax"}],
        "softmax-cross-entropy",
        {"type": "sgd", "lr": 0.1, "momentum": 0.9, "nesterov": True},
        regularization={"l2": 0.001},
        clipping={"norm": 0.5},
    ),
    model(
        "blobs-adam-batchnorm-cosine",
        {"source": "blobs", "samples": 300, "classes": 4, "noise": 1.0, "validationSplit": 0.25, "preprocess": "zero-center"},
        [{"type": DENSE, "units": 24, "init": "he-uniform"}, {"type": "batchnorm", "momentum": 0.9}, {"type": "relu"}, {"type": DENSE, "units": 4, "init": "xavier"}],
        "softmax-cross-entropy",
        {"type": "adam", "lr": 0.01},
        schedule={"type": "cosine", "minLr": 0.001},
    ),
    model(
        "moons-rmsprop-layernorm-clipvalue",
        {"source": "moons", "samples": 300, "noise": 0.15, "validationSplit": 0.2, "preprocess": "min-max"},
        [{"type": DENSE, "units": 16, "init": "small-gaussian", "biasInit": {"type": "constant", "value": 0.1}}, {"type": "layernorm"}, {"type": "leaky-relu", "alpha": 0.1}, {"type": DENSE, "units": 1, "init": "xavier"}, {"type": "sigmoid"}],
        "binary-cross-entropy",
        {"type": "rmsprop", "lr": 0.01},
        clipping={"value": 0.05},
    ),
    model(
        "circles-adagrad-groupnorm-l1",
        {"source": "circles", "samples": 300, "noise": 0.1, "validationSplit": 0.2, "preprocess": "none"},
        [{"type": DENSE, "units": 10, "init": "he", "l1": 0.001}, {"type": "groupnorm", "groups": 2}, {"type": "relu6"}, {"type": DENSE, "units": 2, "init": "lecun"}],
        "softmax-cross-entropy",
        {"type": "adagrad", "lr": 0.1},
        schedule={"type": "exponential", "gamma": 0.8},
        batchSize=25,
    ),
]


# Small CNNs on `shapes` (16×16); both end each epoch with a batch of one image (75 = 2·37 + 1, 225 = 7·32 + 1).
SHAPES = {"source": "shapes", "samples": 100, "classes": 4, "noise": 0.2, "validationSplit": 0.25}
CNN_MODELS = [
    model(
        "shapes-conv-batchnorm-maxpool",
        SHAPES | {"preprocess": "none"},
        [
            # No bias before batch norm: its true gradient is 0, and Adam would turn rounding noise into steps.
            {"type": "conv2d", "filters": 4, "kernel": 3, "padding": "same", "useBias": False, "name": "conv1"},
            {"type": "batchnorm", "momentum": 0.9},
            {"type": "relu"},
            {"type": "maxpool", "size": 2},
            {"type": "conv2d", "filters": 6, "kernel": [3, 2], "stride": [1, 2], "padding": 1, "activation": "relu"},
            {"type": "maxpool", "size": [2, 3], "stride": [2, 1]},
            {"type": "dense", "units": 4, "name": "logits"},
        ],
        "softmax-cross-entropy",
        {"type": "adam", "lr": 0.01},
        batchSize=37,
    ),
    model(
        "shapes-instancenorm-avgpool-groupnorm-gap",
        SHAPES | {"samples": 300, "preprocess": "standardize"},
        [
            {"type": "conv2d", "filters": 4, "kernel": 3, "stride": 2, "init": "xavier-uniform"},
            {"type": "instancenorm"},
            {"type": "tanh"},
            {"type": "avgpool", "size": 2, "stride": 1},
            {"type": "conv2d", "filters": 6, "kernel": 2, "init": "lecun", "l2": 0.001},
            {"type": "groupnorm", "groups": 3},
            {"type": "leaky-relu", "alpha": 0.1},
            {"type": "layernorm"},
            {"type": "globalavgpool"},
            {"type": "dense", "units": 4},
            {"type": "softmax"},
        ],
        "softmax-cross-entropy",
        {"type": "rmsprop", "lr": 0.01},
    ),
]


def assert_close(engine_epochs, torch_epochs, rel):
    assert len(engine_epochs) == len(torch_epochs)
    for ours, theirs in zip(engine_epochs, torch_epochs):
        assert theirs["epoch"] == ours["epoch"]
        for key in FIELDS:
            a, b = ours[key], theirs[key]
            if a is None or b is None:
                assert a is None and b is None, (key, ours, theirs)
            else:
                assert math.isclose(a, b, rel_tol=rel, abs_tol=rel), "epoch {} {}: engine {} vs PyTorch {}".format(ours["epoch"], key, a, b)


@pytest.mark.parametrize("spec", MODELS, ids=[m["name"] for m in MODELS])
def test_epochs_agree_with_the_engine_in_float64(engine_export, spec):
    script, engine = engine_export(spec, epochs=3)
    epochs, final = run_script(script, "--epochs", "3", "--dtype", "float64")
    assert engine["status"] == "completed" and final["status"] == "completed"
    # Training has to move the loss, or agreement would prove little.
    assert epochs[-1]["loss"] < 0.95 * epochs[0]["loss"]
    assert_close(engine["epochs"], epochs, rel=1e-9)
    assert_close([engine["final"] | {"epoch": 3}], [final["final"] | {"epoch": 3}], rel=1e-9)


@pytest.mark.parametrize("spec", CNN_MODELS, ids=[m["name"] for m in CNN_MODELS])
def test_cnn_epochs_agree_with_the_engine_in_float64(engine_export, spec):
    script, engine = engine_export(spec, epochs=3)
    epochs, final = run_script(script, "--epochs", "3", "--dtype", "float64", "--save", "")
    assert engine["status"] == "completed" and final["status"] == "completed"
    assert epochs[-1]["loss"] < 0.95 * epochs[0]["loss"]
    assert_close(engine["epochs"], epochs, rel=1e-9)


@pytest.mark.parametrize("spec", CNN_MODELS, ids=[m["name"] for m in CNN_MODELS])
def test_cnn_first_epoch_agrees_in_float32(engine_export, spec):
    script, engine = engine_export(spec, epochs=1, dtype="float32")
    epochs, _ = run_script(script, "--epochs", "1", "--save", "")
    assert_close(engine["epochs"], epochs, rel=3e-6)


def test_image_csv_with_two_channels_keeps_the_channel_major_order(engine_export, tmp_path):
    """inputShape [2, 5, 4] (not square, two channels): a wrong reshape of the rows or a wrong flatten order
    before the dense layer would give other losses. The class is in the second channel only."""
    rows = []
    for i in range(80):
        label = i % 2
        values = [((i * 7 + j * 3) % 11) / 10 for j in range(40)]
        for j in range(20, 40, 3 if label else 5):
            values[j] += 1.0
        rows.append(",".join("{:.2f}".format(v) for v in values) + ",{}".format(label))
    (tmp_path / "img.csv").write_text(",".join("p{}".format(j) for j in range(40)) + ",label\n" + "\n".join(rows) + "\n")
    spec = model(
        "csv-image",
        {"source": "img.csv", "target": "label", "task": "classification", "inputShape": [2, 5, 4], "validationSplit": 0.25, "preprocess": "standardize"},
        [
            {"type": "conv2d", "filters": 3, "kernel": [3, 2], "padding": 1, "init": "he-uniform", "biasInit": {"type": "constant", "value": 0.1}},
            {"type": "softmax"},  # over all C·H·W values of each image, as the engine's softmax
            {"type": "batchnorm", "momentum": 0.8},
            {"type": "dense", "units": 2},
        ],
        "softmax-cross-entropy",
        {"type": "adagrad", "lr": 0.1},
        batchSize=16,
    )
    script, engine = engine_export(spec, epochs=3)
    epochs, _ = run_script(script, "--epochs", "3", "--dtype", "float64", "--save", "")
    assert epochs[-1]["loss"] < 0.95 * epochs[0]["loss"]
    assert_close(engine["epochs"], epochs, rel=1e-9)


def test_first_epoch_agrees_in_float32(engine_export):
    script, engine = engine_export(os.path.join(REPO, "examples", "spiral.nn.json"), epochs=1, dtype="float32")
    epochs, _ = run_script(script, "--epochs", "1")
    assert_close(engine["epochs"], epochs, rel=3e-6)


def test_a_different_seed_changes_the_batch_order(engine_export):
    script, engine = engine_export(MODELS[1], epochs=1)
    epochs, _ = run_script(script, "--epochs", "1", "--dtype", "float64", "--seed", "12")
    assert not math.isclose(epochs[0]["loss"], engine["epochs"][0]["loss"], rel_tol=1e-6)


def test_early_stopping_restores_the_best_epoch(engine_export):
    # A learning rate far too high makes the validation loss worsen after a first good epoch.
    spec = model(
        "early-stop",
        {"source": "blobs", "samples": 200, "classes": 3, "noise": 1.5, "validationSplit": 0.3, "preprocess": "standardize"},
        [{"type": DENSE, "units": 32, "activation": "relu", "init": "he"}, {"type": DENSE, "units": 3, "init": "xavier"}],
        "softmax-cross-entropy",
        {"type": "sgd", "lr": 0.8, "momentum": 0.9},
        earlyStopping={"patience": 2, "minDelta": 0},
    )
    script, engine = engine_export(spec, epochs=12)
    epochs, final = run_script(script, "--epochs", "12", "--dtype", "float64")
    assert engine["status"] == "early-stopped", "the model no longer early-stops; the test needs another one"
    assert final["status"] == "early-stopped"
    assert_close(engine["epochs"], epochs, rel=1e-9)
    best = min(epochs, key=lambda e: e["valLoss"])
    assert final["restoredEpoch"] == best["epoch"]
    assert final["final"] == {key: best[key] for key in FIELDS}
    assert_close([engine["final"] | {"epoch": 0}], [final["final"] | {"epoch": 0}], rel=1e-9)


def test_dropout_and_a_csv_source_run(engine_export, tmp_path):
    script, engine = engine_export(os.path.join(REPO, "examples", "csv-example.nn.json"), epochs=2)
    epochs, final = run_script(script, "--epochs", "2")
    assert len(epochs) == 2 and final["status"] == "completed"
    assert all(math.isfinite(e["loss"]) for e in epochs)
    assert final["final"]["loss"] == epochs[-1]["loss"]


def test_no_same_init_starts_from_the_file_initialisers(engine_export):
    script, engine = engine_export(MODELS[1], epochs=1, flags=("--no-same-init",))
    assert not os.path.exists(script.replace(".py", ".init.f64"))
    epochs, final = run_script(script, "--epochs", "1", "--dtype", "float64")
    assert final["status"] == "completed" and math.isfinite(epochs[0]["loss"])
    # Other weights, so other losses (the data and batches are still the engine's).
    assert not math.isclose(epochs[0]["loss"], engine["epochs"][0]["loss"], rel_tol=1e-6)
    # Without --json: one line per epoch for people, then the outcome.
    text = subprocess.run([sys.executable, script, "--epochs", "1", "--save", ""], env=TEST_ENV, capture_output=True, text=True, check=True).stdout
    assert text.splitlines()[0].startswith("epoch 1/1  loss ") and "val_acc" in text
    assert text.splitlines()[-1] == "spiral-nesterov-l2-clip: completed after 1 epoch(s)"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_ranks(script, world, *args):
    """Starts `world` ranks the way torchrun does (env://, on gloo); returns each rank's stdout."""
    port = str(free_port())
    ranks = []
    for rank in range(world):
        env = dict(TEST_ENV, MASTER_ADDR="127.0.0.1", MASTER_PORT=port, WORLD_SIZE=str(world), RANK=str(rank), LOCAL_RANK=str(rank))
        ranks.append(subprocess.Popen([sys.executable, script, "--json", "--device", "cpu", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    try:
        outputs = [p.communicate(timeout=420) for p in ranks]
    except subprocess.TimeoutExpired:
        for p in ranks:
            p.kill()
        partial = [p.communicate() for p in ranks]
        pytest.fail("the ranks did not finish:\n" + "\n".join("rank {}:\n{}\n{}".format(r, out, err) for r, (out, err) in enumerate(partial)))
    for p, (out, err) in zip(ranks, outputs):
        assert p.returncode == 0, err
    return [out for out, _ in outputs]


def test_data_parallel_on_two_ranks_matches_one_process(engine_export):
    spec = MODELS[1] | {"batchSize": 31}  # an odd batch: the ranks' shares differ in size
    script, _ = engine_export(spec, epochs=3)
    single, single_final = run_script(script, "--epochs", "3", "--dtype", "float64", "--save", "")
    outputs = run_ranks(script, 2, "--epochs", "3", "--dtype", "float64")
    assert outputs[1].strip() == "", "only rank 0 logs"
    lines = [json.loads(line) for line in outputs[0].strip().splitlines()]
    assert_close(single, lines[:-1], rel=1e-9)
    assert lines[-1]["final"] == pytest.approx(single_final["final"], rel=1e-9)
    assert os.path.exists(script.replace(".py", ".pt")), "rank 0 saves the trained weights"


@pytest.mark.parametrize("spec", [MODELS[2], CNN_MODELS[0]], ids=["features", "images"])
def test_data_parallel_with_batch_norm_and_an_empty_share(engine_export, spec):
    """Each epoch ends with a batch of one (225 rows in batches of 32, 75 images in batches of 37): rank 1's
    share of it is empty. Batch norm then normalises each rank's half batch, so the run is only close to one
    process's, and must stay finite."""
    script, engine = engine_export(spec, epochs=3)
    outputs = run_ranks(script, 2, "--epochs", "3", "--dtype", "float64", "--save", "")
    lines = [json.loads(line) for line in outputs[0].strip().splitlines()]
    assert lines[-1]["status"] == "completed"
    for ours, theirs in zip(engine["epochs"], lines[:-1]):
        for key in FIELDS:
            assert math.isfinite(theirs[key])
        assert theirs["loss"] == pytest.approx(ours["loss"], rel=0.25)


def test_watch_calls_the_nn_debugger_module(engine_export, tmp_path):
    """--watch hands the model and optimiser to nn_debugger.watch and reports every epoch to it."""
    fake = tmp_path / "fake" / "nn_debugger"
    fake.mkdir(parents=True)
    record = tmp_path / "calls.jsonl"
    (fake / "__init__.py").write_text(
        "import json\n"
        "LOG = {!r}\n".format(str(record)) +
        "def _log(*item):\n"
        "    with open(LOG, 'a') as f:\n"
        "        f.write(json.dumps(item) + '\\n')\n"
        "class _Watcher:\n"
        "    def epoch(self, **metrics):\n"
        "        _log('epoch', metrics)\n"
        "    def close(self):\n"
        "        _log('close')\n"
        "def watch(model, optimizer, every):\n"
        "    _log('watch', type(model).__name__, type(optimizer).__name__, every)\n"
        "    return _Watcher()\n"
    )
    script, _ = engine_export(MODELS[0], epochs=2)
    env = dict(TEST_ENV, PYTHONPATH=str(tmp_path / "fake"))
    epochs, _ = run_script(script, "--epochs", "2", "--watch", env=env)
    calls = [json.loads(line) for line in record.read_text().splitlines()]
    assert calls[0] == ["watch", "Model", "SGD", 10]
    assert [c[0] for c in calls[1:]] == ["epoch", "epoch", "close"]
    assert calls[2][1] == {"loss": epochs[1]["loss"], "val_loss": epochs[1]["valLoss"], "accuracy": None, "val_accuracy": None}


def test_watch_without_the_module_says_what_is_missing(engine_export, tmp_path):
    script, _ = engine_export(MODELS[0], epochs=1)
    env = dict(TEST_ENV, PYTHONPATH=str(tmp_path))
    result = subprocess.run([sys.executable, script, "--epochs", "1", "--watch"], env=env, capture_output=True, text=True, cwd=str(tmp_path))
    assert result.returncode != 0
    assert "nn_debugger" in result.stderr and "PYTHONPATH" in result.stderr
