#!/usr/bin/env python3
"""Turns the measurements of scripts/bench.sh into report.md and report.json.

Every goal of the performance issue becomes a row: what was measured, the
limit, and whether it holds. Inputs (all in OUT_DIR): kernels.json and
kernels.md (scripts/bench_kernels.sh), tcp_echo.json, rpc.json,
chunk_sweep.json, small_0.json, small_128.json, memory.json,
growth.json, and those of floor_goals.py (throughput and compute stages),
concurrency_goals.py (concurrency stage), client_goals.py (clients stage)
and colocated_goals.py (colocated stage).
"""

import json
import os
import platform
import statistics
import sys

import client_goals
import colocated_goals
import concurrency_goals
import floor_goals

MIB = 1 << 20


def load(out, name):
    path = os.path.join(out, name)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def read(out, name):
    path = os.path.join(out, name)
    if not os.path.exists(path):
        return "unknown"
    with open(path) as f:
        return " ".join(f.read().split()[:3])


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.machine()


def goal(name, measured, limit, holds):
    return {"goal": name, "measured": measured, "limit": limit, "holds": holds}


def rpc_goals(echo, rows):
    """Goal 2: every RPC within 1.15x (unary) or 1.5x (streaming) of the TCP
    echo of the same bytes (tests/perf/tcp_echo.cc), each mode against the
    echo that moves bytes as it can: a stream overlaps both ways, like the
    pipelined echo; a unary reply cannot start before its whole request has
    arrived (gRPC's public API hands a unary handler the whole message), like
    the store-and-forward echo. Each (rpc, mode) is judged by its fastest
    method; the measured column also shows the ratio to the other echo."""
    floors = {mode: echo[style]["seconds_p50"] * 1000 for mode, style in
              (("unary", "store_and_forward"), ("stream", "pipelined"))}
    best = {}
    for r in rows:
        key = (r["rpc"], r["mode"])
        best[key] = min(best.get(key, float("inf")), r["latency_ms"]["p50"])
    limits = {"unary": 1.15, "stream": 1.5}
    other = {"unary": "stream", "stream": "unary"}
    styles = {"unary": "store-and-forward", "stream": "pipelined"}
    goals = [goal(f"{rpc} {mode}: p50 vs the {styles[mode]} TCP echo "
                  f"({floors[mode]:.0f} ms)",
                  f"{ms:.0f} ms = {ms / floors[mode]:.2f}x "
                  f"({ms / floors[other[mode]]:.2f}x the "
                  f"{styles[other[mode]]} echo)",
                  f"<= {limits[mode]}x", ms <= limits[mode] * floors[mode])
             for (rpc, mode), ms in sorted(best.items())]
    for mode in ("unary", "stream"):
        a, i = best.get(("apply", mode)), best.get(("inplace", mode))
        if a and i:
            goals.append(goal(f"ApplyInPlace not slower than Apply ({mode})",
                              f"{i:.0f} ms vs {a:.0f} ms", "<= Apply",
                              i <= a * 1.05))
    return goals


def small_goal(empty, apply):
    """Goal 3: 1 KiB Apply at concurrency 16 vs the cheapest call (an Apply
    of 0 elements stands in for Describe, which the load tool does not make)."""
    d = empty["levels"][0]["calls_per_s"]
    a = apply["levels"][0]["calls_per_s"]
    return goal("1 KiB Apply calls/s vs empty Apply, concurrency 16",
                f"{a:.0f} vs {d:.0f} = {a / d:.0%}", ">= 80%", a >= 0.8 * d)


def memory_goals(cases):
    limits = {"unary_apply": (2.5, 64), "unary_inplace": (1.5, 64)}
    goals = []
    for c in cases:
        rss = c["peak_rss_bytes"]
        if c["case"] == "stream_4gib":
            goals.append(goal("server peak RSS, 4 GiB streamed Apply",
                              f"{rss / MIB:.0f} MiB", "<= 128 MiB",
                              rss <= 128 * MIB and c["client"]["verified"]))
        else:
            factor, extra = limits[c["case"]]
            limit = factor * c["payload_bytes"] + extra * MIB
            goals.append(goal(f"server peak RSS, 200 MB {c['case']}",
                              f"{rss / MIB:.0f} MiB",
                              f"<= {limit / MIB:.0f} MiB", rss <= limit))
    return goals


def growth_goal(rows):
    """Goal 5: cost per byte from 1 MiB up within 1.5x. A size's cost is the
    median over the methods of their p50s (the methods differ by noise
    only); the spread over every single row is shown too."""
    by_size = {}
    for r in rows:
        size = r["shape"][0] * 8
        if size >= MIB:
            by_size.setdefault(size, []).append(r["latency_ms"]["p50"] / size)
    medians = [statistics.median(c) for c in by_size.values()]
    every = [c for costs in by_size.values() for c in costs]
    spread = max(medians) / min(medians)
    return goal("cost per byte from 1 MiB to 1 GiB (max/min of the sizes' "
                "medians over methods)",
                f"{spread:.2f}x (every row: {max(every) / min(every):.2f}x)",
                "<= 1.5x", spread <= 1.5)


def table(rows, columns):
    lines = ["| " + " | ".join(h for h, _ in columns) + " |",
             "|" + " --- |" * len(columns)]
    lines += ["| " + " | ".join(str(f(r)) for _, f in columns) + " |"
              for r in rows]
    return "\n".join(lines)


def goals_table(goals):
    return table(goals, [("goal", lambda g: g["goal"]),
                         ("measured", lambda g: g["measured"]),
                         ("limit", lambda g: g["limit"]),
                         ("holds", lambda g: "yes" if g["holds"] else "**no**")])


def main(out):
    kernels = load(out, "kernels.json") or {}
    goals = list(kernels.get("goals", []))
    echo, rpc = load(out, "tcp_echo.json"), load(out, "rpc.json")
    if echo and rpc:
        goals += rpc_goals(echo, rpc)
    empty, small = load(out, "small_0.json"), load(out, "small_128.json")
    if empty and small:
        goals.append(small_goal(empty, small))
    memory = load(out, "memory.json")
    if memory:
        goals += memory_goals(memory)
    growth = load(out, "growth.json")
    if growth:
        goals.append(growth_goal(growth))
    throughput = load(out, "throughput.json")
    if throughput:
        goals += [goal(*g) for g in floor_goals.throughput_goals(throughput)]
    compute = floor_goals.load_compute(out)
    if compute:
        goals += [goal(*g) for g in floor_goals.compute_goals(compute)]
    concurrency = load(out, "concurrency.json")
    if concurrency:
        goals += [goal(*g) for g in concurrency_goals.goals(concurrency)]
    clients = load(out, "clients.json")
    if clients:
        goals += [goal(*g) for g in client_goals.goals(clients)]
    colocated = load(out, "colocated.json")
    if colocated:
        goals += [goal(*g) for g in colocated_goals.goals(colocated)]

    md = [f"# Performance report\n\nMachine: {cpu_model()}, "
          f"{os.cpu_count()} cores, {platform.platform()}. Load average "
          f"(1/5/15 min) at the start: {read(out, 'loadavg_start')}; at the "
          f"end: {read(out, 'loadavg_end')}.\n",
          "## Goals\n", goals_table(goals)]
    if os.path.exists(os.path.join(out, "kernels.md")):
        with open(os.path.join(out, "kernels.md")) as f:
            md += ["\n## Kernels\n", f.read()]
    if rpc:
        floors = ("TCP echo of the same 200 MB (tests/perf/tcp_echo.cc), p50: "
                  f"pipelined {echo['pipelined']['seconds_p50'] * 1000:.0f} "
                  "ms, store-and-forward "
                  f"{echo['store_and_forward']['seconds_p50'] * 1000:.0f} ms."
                  if echo else "No TCP echo in OUT_DIR: run the echo stage "
                  "for the floors and the RPC goals.")
        md += ["\n## RPC round trips, 200 MB float64\n", floors + "\n",
               table(rpc, [("rpc", lambda r: r["rpc"]),
                           ("method", lambda r: r["method"]),
                           ("mode", lambda r: r["mode"]),
                           ("p50 ms", lambda r: f"{r['latency_ms']['p50']:.0f}"),
                           ("p99 ms", lambda r: f"{r['latency_ms']['p99']:.0f}"),
                           ("server ms", lambda r: f"{r['server_compute_ms']['p50']:.1f}"),
                           ("GB/s", lambda r: f"{r['throughput_gbps']:.2f}"),
                           ("verified", lambda r: r["verified"])])]
    sweep = load(out, "chunk_sweep.json")
    if sweep:
        md += ["\n## Chunk-size sweep (ApplyStream, 200 MB)\n",
               table(sweep, [("chunk bytes", lambda r: r["chunk_bytes"]),
                             ("p50 ms", lambda r: f"{r['latency_ms']['p50']:.0f}"),
                             ("GB/s", lambda r: f"{r['throughput_gbps']:.2f}")])]
    if growth:
        md += ["\n## Growth with size (Apply; streaming above 256 MiB)\n",
               table(growth, [("bytes", lambda r: r["shape"][0] * 8),
                              ("mode", lambda r: r["mode"]),
                              ("p50 ms", lambda r: f"{r['latency_ms']['p50']:.3f}"),
                              ("GB/s", lambda r: f"{r['throughput_gbps']:.3f}"),
                              ("ns/byte", lambda r: f"{r['latency_ms']['p50'] * 1e6 / (r['shape'][0] * 8):.3f}")])]
    md += floor_goals.markdown(throughput, compute, table)
    md += concurrency_goals.markdown(concurrency, table)
    if memory:
        md += ["\n## Server memory\n",
               table(memory, [("case", lambda c: c["case"]),
                              ("payload MiB", lambda c: f"{c['payload_bytes'] / MIB:.0f}"),
                              ("peak RSS MiB", lambda c: f"{c['peak_rss_bytes'] / MIB:.0f}")])]
    md += client_goals.markdown(clients, table)
    md += colocated_goals.markdown(colocated, table)
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    with open(os.path.join(out, "report.json"), "w") as f:
        json.dump({"goals": goals, "kernels": kernels, "tcp_echo": echo,
                   "rpc": rpc, "chunk_sweep": sweep, "memory": memory,
                   "growth": growth, "throughput": throughput,
                   "concurrency": concurrency,
                   "compute": compute and floor_goals.compute_table(compute),
                   "clients": clients, "colocated": colocated},
                  f, indent=2)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "build/bench")
