"""Where the watcher's messages go: a JSON Lines file or a 127.0.0.1 socket the editor listens on.

Numbers are written as src/protocol.ts encodeNumbers writes them: NaN and ±Infinity become
{"$nf": "NaN" | "Infinity" | "-Infinity"}, which plain JSON cannot carry.
"""
import json
import math
import os
import re
import socket
import time

ENV = "NN_DEBUGGER_STREAM"
_SOCKET = re.compile(r"^(127\.0\.0\.1|localhost):(\d{1,5})$")


def encode_numbers(value):
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return {"$nf": "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")}
    if isinstance(value, (list, tuple)):
        return [encode_numbers(v) for v in value]
    if isinstance(value, dict):
        return {k: encode_numbers(v) for k, v in value.items()}
    return value


# one encoder for every line; messages are trees of fresh dicts and lists, never circular
_ENCODER = json.JSONEncoder(allow_nan=False, separators=(",", ":"), check_circular=False)


def encode_line(message):
    try:
        # the common case, all numbers finite, stays in json's C encoder
        text = _ENCODER.encode(message)
    except ValueError:
        text = _ENCODER.encode(encode_numbers(message))
    return text + "\n"


class FileSink:
    """A JSON Lines file, flushed at most every FLUSH_SECONDS (a reader tailing it sees whole lines soon
    enough; a flush per probe costs more than the probe) and on close."""

    FLUSH_SECONDS = 1.0

    def __init__(self, path):
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)
        self.where = path
        self._file = open(path, "w", encoding="utf-8")
        self._flushed = 0.0

    def write(self, line):
        self._file.write(line)
        now = time.monotonic()
        if now - self._flushed >= self.FLUSH_SECONDS:
            self._file.flush()
            self._flushed = now

    def close(self):
        self._file.close()


class SocketSink:
    """A line stream to the editor. A closed editor must not stop training: after the first failed
    write the sink drops everything."""

    def __init__(self, host, port):
        self.where = "%s:%d" % (host, port)
        self._sock = socket.create_connection((host, port), timeout=10)
        self._broken = False

    def write(self, line):
        if self._broken:
            return
        try:
            self._sock.sendall(line.encode("utf-8"))
        except OSError:
            self._broken = True

    def close(self):
        try:
            self._sock.close()
        except OSError:
            pass


def open_sink(log):
    """`log` (a file path), else NN_DEBUGGER_STREAM (a path or 127.0.0.1:port); None when neither is set."""
    target = log if log is not None else os.environ.get(ENV)
    if not target:
        return None
    m = _SOCKET.match(str(target))
    if m:
        port = int(m.group(2))
        if not 0 < port < 65536:
            raise ValueError("%s: port %d is out of range" % (ENV, port))
        return SocketSink("127.0.0.1", port)
    return FileSink(os.fspath(target))
