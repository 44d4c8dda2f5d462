"""NN Debugger for PyTorch: watch a training run and stream its gradient health to the editor's panel or a
`.nnd.jsonl` file that `nn-debugger diagnose` reads."""
from .watcher import Watcher, watch

__all__ = ["Watcher", "watch"]
__version__ = "0.1.0"
