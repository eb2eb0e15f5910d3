#!/usr/bin/env python3
"""Times tensor_transform's Client on the 5000 x 5000 float64 workload.

    python3 client/python/bench/bench.py --package-dir build/python \\
        --target 127.0.0.1:50051 --repeats 5 [--pure] [--rpcs apply,inplace]

Apply (relu(x) into a new array, as a user calls it), ApplyInPlace
(relu(x, out=x)) and Gradient (relu_grad(x), no upstream: the C++
client's bench), each result compared bit for bit with NumPy. Prints one JSON list: per RPC the
implementation, the method the server used, p50 / min seconds and whether
every result matched, and the process's peak RSS. The package is imported
from --package-dir, so that the process needs no environment variable;
--pure picks the pure-Python implementation. With --rss-only, only repeated Apply calls run (no
references held), so that the peak RSS is the client's own: x, the result
and what the call holds besides.
"""

import argparse
import importlib
import json
import os
import statistics
import sys
import time

import numpy as np

tt = None  # tensor_transform, imported by main() as asked


def peak_rss_bytes():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def timed(call, repeats):
    """Seconds of each of `repeats` calls after an untimed one (the C++
    client's bench warms up each row alike)."""
    call()
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = call()
        seconds.append(time.perf_counter() - start)
        del result
    return seconds


def row(rpc, seconds, result):
    """result: (the last result, its CallInfo) and whether it matched."""
    (_, info), verified = result
    return {"client": "python_native" if tt.NATIVE else "python_pure",
            "rpc": rpc, "method": info.method,
            "seconds_p50": statistics.median(seconds),
            "seconds_min": min(seconds), "verified": bool(verified)}


def checked(result, want):
    """(result, whether its array matches `want` bit for bit)."""
    return result, np.array_equal(result[0].view(np.uint64),
                                  want.view(np.uint64))


def calls(client, x):
    """{rpc: (call(**kwargs), its expected result)}; in place works on a
    copy of x (relu(relu(x)) == relu(x): every call moves the same bytes)."""
    y = x.copy()
    relu = np.where(x > 0, x, 0.0)
    return {
        "apply": (lambda **kw: client.relu(x, **kw), relu),
        "inplace": (lambda **kw: client.relu(y, out=y, **kw), relu),
        "gradient": (lambda **kw: client.relu_grad(x, **kw),
                     (x > 0).astype(np.float64)),
    }


def run_all(client, x, repeats, rpcs):
    table = calls(client, x)
    rows = []
    for rpc in rpcs:
        call, want = table[rpc]
        seconds = timed(call, repeats)
        rows.append(row(rpc, seconds, checked(call(return_info=True), want)))
    return rows


def run_rss(client, x, repeats, _):
    seconds = timed(lambda: client.relu(x), repeats)
    peak = peak_rss_bytes()
    y, info = client.relu(x, return_info=True)
    verified = all(np.array_equal(y[i:i + 100], np.where(x[i:i + 100] > 0,
                                                         x[i:i + 100], 0.0))
                   for i in range(0, len(x), 100))
    return [dict(row("apply_rss", seconds, ((y, info), verified)),
                 peak_rss_bytes=peak, array_bytes=x.nbytes)]


def arguments(description):
    """The flags of this script and colocated.py."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--target", required=True)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--package-dir", help="where tensor_transform is")
    parser.add_argument("--pure", action="store_true")
    return parser


def import_package(args):
    """tensor_transform from --package-dir; pure Python with --pure."""
    if args.package_dir:
        sys.path.insert(0, args.package_dir)
    if args.pure:
        os.environ["TENSOR_TRANSFORM_PURE_PYTHON"] = "1"
    return importlib.import_module("tensor_transform")


def main():
    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument("--rpcs", default="apply,inplace,gradient")
    parser.add_argument("--rss-only", action="store_true")
    args = parser.parse_args()
    global tt
    tt = import_package(args)
    x = np.random.default_rng(42).uniform(-0.5, 0.5, (5000, 5000))
    with tt.Client(args.target, timeout=600) as client:
        rows = (run_rss if args.rss_only else run_all)(
            client, x, args.repeats, args.rpcs.split(","))
    for r in rows:
        r.setdefault("peak_rss_bytes", peak_rss_bytes())
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
