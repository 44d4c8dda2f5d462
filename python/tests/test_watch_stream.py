"""The watcher's writer thread: every message sent is written, in order, by close() or at exit."""
import json
import pathlib
import subprocess
import sys
import textwrap
import time
import warnings

from nn_debugger import stream
from nn_debugger.stream import Writer


class SlowSink:
    where = "slow"

    def __init__(self):
        self.lines = []
        self.closed = False

    def write(self, line):
        time.sleep(0.001)
        self.lines.append(line)

    def close(self):
        self.closed = True


def test_close_writes_every_message_in_order():
    sink = SlowSink()
    writer = Writer(sink)
    for i in range(100):
        writer.send({"type": "probe", "i": i, "loss": float("nan") if i == 7 else 0.5})
    writer.close()
    assert sink.closed
    assert [json.loads(line)["i"] for line in sink.lines] == list(range(100))
    assert json.loads(sink.lines[7])["loss"] == {"$nf": "NaN"}


def test_a_failed_write_is_reported_once_and_training_goes_on():
    class Broken(SlowSink):
        def write(self, line):
            raise OSError("disk full")

    writer = Writer(Broken())
    writer.send({"type": "start"})
    writer.send({"type": "end"})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        writer.close()
    assert len([w for w in caught if "disk full" in str(w.message)]) == 1


def test_messages_still_queued_at_exit_are_written(tmp_path):
    log = tmp_path / "exit.nnd.jsonl"
    package_root = str(pathlib.Path(stream.__file__).resolve().parents[1])
    script = textwrap.dedent("""
        import sys, time
        sys.path.insert(0, %r)
        from nn_debugger.stream import FileSink, Writer
        write = FileSink.write
        def slow(self, line):
            time.sleep(0.002)
            write(self, line)
        FileSink.write = slow
        writer = Writer(FileSink(%r))
        for i in range(100):
            writer.send({"i": i})
        # no close(): the interpreter exits with most messages still queued
    """) % (package_root, str(log))
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    assert [json.loads(line)["i"] for line in log.read_text().splitlines()] == list(range(100))
