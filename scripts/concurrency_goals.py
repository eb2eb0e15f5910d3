"""The concurrency goal of scripts/bench.sh, for bench_report.py:

  concurrency  1 KiB Apply through `tensor_transform_client load
               --connections=4` at 16, 256 and 1,024 calls in flight,
               ROUNDS rounds with the levels interleaved (concurrency.json):
               calls/s, p50, p99 and each side's peak thread count, the
               client's from its own report, the server's sampled from
               /proc/<pid>/status, so that a client limit and a server limit
               can be told apart.

The goal: at 1,024 calls in flight the run keeps at least KEEP of its
calls/s at 16 (medians over the rounds). Goals are (name, measured, limit,
holds) tuples; markdown() gives the report's section.
"""

import statistics

KEEP = 0.9


def rows(data):
    """Per concurrency: medians over the rounds, peak thread counts."""
    out = []
    for c in sorted({r["concurrency"] for r in data["runs"]}):
        runs = [r for r in data["runs"] if r["concurrency"] == c]
        out.append({
            "concurrency": c, "rounds": len(runs),
            "calls_per_s": statistics.median(r["calls_per_s"] for r in runs),
            "p50": statistics.median(r["p50_ms"] for r in runs),
            "p99": statistics.median(r["p99_ms"] for r in runs),
            "errors": sum(r["errors"] for r in runs),
            "client_threads": max(r["client_threads"] for r in runs),
            "server_threads": max(r["server_threads"] for r in runs)})
    return out


def goals(data):
    by_c = {r["concurrency"]: r for r in rows(data)}
    low, high = by_c[min(by_c)], by_c[max(by_c)]
    share = high["calls_per_s"] / low["calls_per_s"]
    return [(f"1 KiB Apply calls/s at concurrency {high['concurrency']:,} vs "
             f"{low['concurrency']} (4 connections; threads: client "
             f"{high['client_threads']}, server {high['server_threads']})",
             f"{high['calls_per_s']:.0f} vs {low['calls_per_s']:.0f} = "
             f"{share:.0%}", f">= {KEEP:.0%}",
             share >= KEEP and high["errors"] == 0)]


COLUMNS = [
    ("concurrency", lambda r: f"{r['concurrency']:,}"),
    ("rounds", lambda r: r["rounds"]),
    ("calls/s (median)", lambda r: f"{r['calls_per_s']:.0f}"),
    ("p50 ms", lambda r: f"{r['p50']:.2f}"),
    ("p99 ms", lambda r: f"{r['p99']:.2f}"),
    ("client threads (peak)", lambda r: r["client_threads"]),
    ("server threads (peak)", lambda r: r["server_threads"]),
    ("failed calls", lambda r: r["errors"])]


def markdown(data, table):
    """The report's section when the stage ran; `table(rows, columns)`
    renders a table."""
    if not data:
        return []
    return ["\n## Load at high concurrency, 1 KiB Apply\n\n"
            "`tensor_transform_client load --connections=4`, 5 s after 1 s of "
            "warm-up per level, verified; medians over the rounds, thread "
            "counts at their peak.\n\n" + table(rows(data), COLUMNS)]
