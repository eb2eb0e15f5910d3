#!/usr/bin/env python3
"""Times tensor_transform's Client on the 5000 x 5000 float64 workload.

    PYTHONPATH=build/python python3 client/python/bench/bench.py \\
        --target 127.0.0.1:50051 --repeats 5

Apply (relu(x) into a new array, as a user calls it), ApplyInPlace
(relu(x, out=x)) and Gradient (relu_grad(x, upstream=g)), each result
compared bit for bit with NumPy. Prints one JSON list: per RPC the
implementation, p50 / min seconds and whether every result matched, and the
process's peak RSS. With --rss-only, only repeated Apply calls run (no
references held), so that the peak RSS is the client's own: x, the result
and what the call holds besides.
"""

import argparse
import json
import statistics
import time

import numpy as np

import tensor_transform as tt

MIB = 1 << 20


def peak_rss_bytes():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def timed(call, repeats):
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = call()
        seconds.append(time.perf_counter() - start)
        del result
    return seconds


def row(rpc, seconds, verified):
    return {"client": "python_native" if tt.NATIVE else "python_pure",
            "rpc": rpc, "seconds_p50": statistics.median(seconds),
            "seconds_min": min(seconds), "verified": bool(verified)}


def matches(got, want):
    return np.array_equal(got.view(np.uint64), want.view(np.uint64))


def run_all(client, x, repeats):
    g = np.random.default_rng(7).uniform(-1, 1, x.shape)
    relu = np.where(x > 0, x, 0.0)
    rows = []
    client.relu(x)  # warm up: connection, Describe
    seconds = timed(lambda: client.relu(x), repeats)
    rows.append(row("apply", seconds, matches(client.relu(x), relu)))
    y = x.copy()
    seconds = timed(lambda: client.relu(y, out=y), repeats)
    rows.append(row("inplace", seconds, matches(y, relu)))
    seconds = timed(lambda: client.relu_grad(x, upstream=g), repeats)
    rows.append(row("gradient", seconds, matches(client.relu_grad(x, g),
                                                 np.where(x > 0, g, 0.0))))
    return rows


def run_rss(client, x, repeats):
    seconds = timed(lambda: client.relu(x), repeats)
    peak = peak_rss_bytes()
    y = client.relu(x)
    verified = all(matches(y[i:i + 100], np.where(x[i:i + 100] > 0,
                                                  x[i:i + 100], 0.0))
                   for i in range(0, len(x), 100))
    return [dict(row("apply", seconds, verified), peak_rss_bytes=peak,
                 array_bytes=x.nbytes)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", required=True)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--rss-only", action="store_true")
    args = parser.parse_args()
    x = np.random.default_rng(42).uniform(-0.5, 0.5, (5000, 5000))
    with tt.Client(args.target, timeout=600) as client:
        rows = (run_rss if args.rss_only else run_all)(client, x,
                                                       args.repeats)
    for r in rows:
        r.setdefault("peak_rss_bytes", peak_rss_bytes())
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
