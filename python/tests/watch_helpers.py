"""Shared by the watcher tests: reading a recorded stream back, the way the extension reads it."""
import json
import math


def decode(value):
    if isinstance(value, list):
        return [decode(v) for v in value]
    if isinstance(value, dict):
        if list(value.keys()) == ["$nf"]:
            return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}[value["$nf"]]
        return {k: decode(v) for k, v in value.items()}
    return value


def read_stream(path):
    with open(path, encoding="utf-8") as f:
        return [decode(json.loads(line)) for line in f if line.strip()]


def probes(messages):
    return [m["snapshot"] for m in messages if m["type"] == "probe"]
