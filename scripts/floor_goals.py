"""The goals of scripts/bench.sh that hold the server to floors measured in
the same run, for bench_report.py:

  throughput  1 KiB Apply calls/s at concurrency 16 over 4 connections
              against a minimal callback-API echo server on the same gRPC
              (tests/perf/grpc_echo.cc), and the server of an older commit
              beside it: throughput.json, rounds of every target in turn;
  compute     server_compute_ms of 200 MB unary calls against the 200 MB
              memory floor of the call's access pattern (core_benchmark's
              floors on the kernels' thread pool), floors measured before,
              between and after the calls: compute_float64.json,
              compute_float32.json, compute_floors_{1,2,3}.json.

Goals are (name, measured, limit, holds) tuples; markdown() gives the
report's sections.
"""

import json
import os
import statistics

import kernel_report

THROUGHPUT_SHARE = 0.8  # of the echo server's calls/s
COMPUTE_LIMIT = 1.3  # x the memory floor
# The floor of each unary RPC's memory traffic (server/rpc/service.cc): Apply
# writes its result to a separate buffer, ApplyInPlace and Gradient (bench
# sends no upstream gradient) into the request's own.
PATTERNS = {"apply": "copy", "inplace": "in_place", "gradient": "in_place"}


def throughput_rows(data):
    """Per target, medians over its rounds, and calls/s as a share of the
    echo's."""
    rows = []
    for target in dict.fromkeys(r["target"] for r in data["runs"]):
        runs = [r for r in data["runs"] if r["target"] == target]
        rows.append({
            "target": target, "rounds": len(runs),
            "calls_per_s": statistics.median(r["calls_per_s"] for r in runs),
            "p50": statistics.median(r["latency_ms"]["p50"] for r in runs),
            "p99": statistics.median(r["latency_ms"]["p99"] for r in runs),
            "errors": sum(r["errors"] for r in runs)})
    echo = next(r for r in rows if r["target"] == "echo")
    for r in rows:
        r["share"] = r["calls_per_s"] / echo["calls_per_s"]
        if r["target"] == "old":
            r["target"] = f"server of {data['old_commit']}"
    return rows


THROUGHPUT_COLUMNS = [
    ("target", lambda r: r["target"]),
    ("rounds", lambda r: r["rounds"]),
    ("calls/s (median)", lambda r: f"{r['calls_per_s']:.0f}"),
    ("of echo", lambda r: f"{r['share']:.0%}"),
    ("p50 ms", lambda r: f"{r['p50']:.2f}"),
    ("p99 ms", lambda r: f"{r['p99']:.2f}"),
    ("failed calls", lambda r: r["errors"])]


def throughput_goals(data):
    by = {r["target"]: r for r in throughput_rows(data)}
    server, echo = by["server"], by["echo"]
    return [(
        "1 KiB Apply calls/s vs a minimal callback-API echo (grpc_echo), "
        "concurrency 16, 4 connections",
        f"{server['calls_per_s']:.0f} vs {echo['calls_per_s']:.0f} = "
        f"{server['share']:.0%}; p99 {server['p99']:.2f} vs "
        f"{echo['p99']:.2f} ms",
        f">= {THROUGHPUT_SHARE:.0%}",
        server["share"] >= THROUGHPUT_SHARE and server["errors"] == 0)]


def load_compute(out):
    """(bench rows of both dtypes, {pattern: floor ms}), or None."""
    rows, floor_reports = [], []
    for dtype in ("float64", "float32"):
        path = os.path.join(out, f"compute_{dtype}.json")
        if not os.path.exists(path):
            return None
        with open(path) as f:
            rows += json.load(f)
    for i in (1, 2, 3):
        with open(os.path.join(out, f"compute_floors_{i}.json")) as f:
            floor_reports.append(json.load(f))
    return rows, floors(floor_reports)


def floors(reports):
    """{pattern: ms}: the fastest store variant of each pattern (median of
    its samples over every report) on the pool's threads."""
    samples = {}
    for report in reports:
        context, got, _ = kernel_report.parse_benchmark(report)
        pool = int(context.get("pool_threads", "1"))
        for name, us in got.items():
            case = kernel_report.parse_case(name)
            if case["threads"] == pool:
                key = (case["pattern"], case["stores"])
                samples.setdefault(key, []).extend(us)
    best = {}
    for (pattern, _), us in samples.items():
        ms = statistics.median(us) / 1e3
        best[pattern] = min(best.get(pattern, ms), ms)
    return best


def compute_table(compute):
    rows, floor_ms = compute
    return [{**r, "floor_ms": floor_ms[PATTERNS[r["rpc"]]],
             "pattern": PATTERNS[r["rpc"]],
             "ratio": r["server_compute_ms"]["p50"] /
             floor_ms[PATTERNS[r["rpc"]]]} for r in rows]


COMPUTE_COLUMNS = [
    ("rpc", lambda r: r["rpc"]), ("dtype", lambda r: r["dtype"]),
    ("method", lambda r: r["method"]),
    ("server ms (p50)", lambda r: f"{r['server_compute_ms']['p50']:.1f}"),
    ("floor", lambda r: r["pattern"]),
    ("floor ms", lambda r: f"{r['floor_ms']:.1f}"),
    ("x floor", lambda r: f"{r['ratio']:.2f}"),
    ("round trip ms (p50)", lambda r: f"{r['latency_ms']['p50']:.0f}")]


def compute_goals(compute):
    """Each (rpc, dtype) judged by its fastest method, as the RPC goals."""
    best = {}
    for r in compute_table(compute):
        key = (r["rpc"], r["dtype"])
        if key not in best or r["ratio"] < best[key]["ratio"]:
            best[key] = r
    return [(f"{rpc} {dtype}: unary server_compute_ms, 200 MB, vs the "
             f"{r['pattern']} memory floor ({r['floor_ms']:.0f} ms)",
             f"{r['server_compute_ms']['p50']:.1f} ms = {r['ratio']:.2f}x "
             f"({r['method']})", f"<= {COMPUTE_LIMIT}x",
             r["ratio"] <= COMPUTE_LIMIT)
            for (rpc, dtype), r in sorted(best.items())]


def markdown(throughput, compute, table):
    """The report sections of the stages that ran; `table(rows, columns)`
    renders a table."""
    sections = []
    if throughput:
        sections.append((
            "1 KiB Apply throughput vs a minimal callback-API echo",
            "The project's load (concurrency 16, 4 connections, 5 s after 1 s "
            "of warm-up, unverified) against each target in turn; medians "
            "over the rounds. The server of the older commit is shown beside "
            "the current one, measured the same way in the same run.",
            throughput_rows(throughput), THROUGHPUT_COLUMNS))
    if compute:
        sections.append((
            "Server compute vs the memory floors, 200 MB unary",
            "Floors: core_benchmark's fastest store variant of each pattern "
            "over 200 MB on the kernels' thread pool, measured before, "
            "between and after the calls.",
            compute_table(compute), COMPUTE_COLUMNS))
    return [f"\n## {title}\n\n{note}\n\n{table(rows, columns)}"
            for title, note, rows, columns in sections]
