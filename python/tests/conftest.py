"""Shared fixtures for NN Debugger's Python tests (export to PyTorch, the nn_debugger watch module)."""
import json
import os
import shutil
import subprocess
import sys

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PYTHON_DIR = os.path.join(REPO, "python")
if PYTHON_DIR not in sys.path:
    sys.path.insert(0, PYTHON_DIR)

# One BLAS thread and one torch thread: the machine's cores are shared and results must not depend on them.
TEST_ENV = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")


def node():
    found = shutil.which("node")
    if found is None:
        pytest.fail("node is not on PATH: the export tests run the engine with it")
    return found


def run_checked(cmd, cwd=None, env=None, timeout=600):
    result = subprocess.run(cmd, cwd=cwd, env=env or TEST_ENV, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise AssertionError("{} exited with {}\nstdout:\n{}\nstderr:\n{}".format(" ".join(cmd), result.returncode, result.stdout, result.stderr))
    return result.stdout


@pytest.fixture
def engine_export(tmp_path):
    """export(model: dict | path, epochs, dtype, extra flags) -> (script path, the engine's run as a dict).

    Writes the model (a dict) into tmp_path, exports it to PyTorch there and trains it with the engine."""

    def export(model, epochs=3, dtype="float64", flags=()):
        if isinstance(model, dict):
            path = tmp_path / "{}.nn.json".format(model["name"])
            path.write_text(json.dumps(model))
        else:
            path = model
        out = run_checked([node(), "--import", "tsx", os.path.join(REPO, "test", "harness", "python-engine-run.ts"), str(path), str(tmp_path / "export"), "--epochs", str(epochs), "--dtype", dtype, *flags], cwd=REPO)
        engine = json.loads(out.strip().splitlines()[-1])
        return engine["script"], engine

    return export


def run_script(script, *args, env=None):
    """Runs an exported script with --json; returns (epoch objects, final object)."""
    out = run_checked([sys.executable, script, "--json", *args], env=env)
    lines = [json.loads(line) for line in out.strip().splitlines()]
    return lines[:-1], lines[-1]
