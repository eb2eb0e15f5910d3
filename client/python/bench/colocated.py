#!/usr/bin/env python3
"""Times shared-memory calls beside NumPy's in-place ReLU, in one process.

    python3 client/python/bench/colocated.py --package-dir build/python \\
        --target unix:/tmp/tt.sock --repeats 5 [--pure]

The 5000 x 5000 float64 workload of bench.py in an array made by
client.shared_empty (a region the server maps once), then, in turns within
each repeat so that all three see the same moments of a shared machine:
client.relu(a, out=a) and client.relu_grad(a, out=a) (ApplyInPlace and
Gradient naming the region: no payload moves), and NumPy's
np.maximum(a, 0, out=a) on the same array in this process. In place,
relu(relu(x)) == relu(x) and the gradient of a gradient is itself, so every
repeat moves the same bytes. Each call's result is then checked bit for bit
on fresh data. Prints one JSON list: rows with caller ("python" or
"numpy"), transport ("shm" or "in_process"), rpc ("inplace", "gradient"),
the method the server used, p50 / min seconds and whether the result
matched. Needs a server started with --allow_shared_memory on this host.
"""

import functools
import json
import statistics
import time

import numpy as np

from bench import arguments, checked, import_package


def row(caller, transport, rpc, method, seconds, verified):
    return {"caller": caller, "transport": transport, "rpc": rpc,
            "method": method, "seconds_p50": statistics.median(seconds),
            "seconds_min": min(seconds), "verified": bool(verified)}


def elapsed(call):
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def verify(a, x, call, want):
    """call()'s (array, CallInfo) on a fresh copy of x in a, checked."""
    a[...] = x
    return checked(call(), want)


def run(client, shape, repeats):
    x = np.random.default_rng(42).uniform(-0.5, 0.5, shape)
    a = client.shared_empty(shape, np.float64)
    a[...] = x
    client.relu(a, out=a)  # warm up: connection, lease, region, Describe
    relu = functools.partial(client.relu, a, out=a, return_info=True)
    grad = functools.partial(client.relu_grad, a, out=a, return_info=True)
    numpy = functools.partial(np.maximum, a, 0.0, out=a)
    times = {"relu": [], "grad": [], "numpy": []}
    for _ in range(repeats):
        for name, call in (("relu", relu), ("numpy", numpy), ("grad", grad)):
            times[name].append(elapsed(call))
    (_, relu_info), relu_ok = verify(a, x, relu, np.where(x > 0, x, 0.0))
    (_, grad_info), grad_ok = verify(a, x, grad, (x > 0).astype(np.float64))
    a[...] = x
    numpy_ok = np.array_equal(numpy().view(np.uint64),
                              np.where(x > 0, x, 0.0).view(np.uint64))
    return [row("python", "shm", "inplace", relu_info.method, times["relu"],
                relu_ok),
            row("python", "shm", "gradient", grad_info.method, times["grad"],
                grad_ok),
            row("numpy", "in_process", "inplace", "maximum", times["numpy"],
                numpy_ok)]


def main():
    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument("--shape", default="5000x5000")
    args = parser.parse_args()
    tt = import_package(args)
    shape = tuple(int(n) for n in args.shape.split("x"))
    with tt.Client(args.target, timeout=600) as client:
        rows = run(client, shape, args.repeats)
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
