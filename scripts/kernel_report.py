#!/usr/bin/env python3
"""Kernel performance report: core_benchmark beside NumPy, as ratios.

Runs, in one invocation, `rounds` rounds of: the core benchmark (every ReLU
method and the gradient on 25 M float64 and float32 elements, the same arrays
in 1 MiB pieces at aligned and misaligned addresses through ReluRuns, and the
memory floors of the same access patterns, randomly interleaved), then NumPy's
expressions on the same sizes. Medians over every sample of a case. Then,
unless --no-sweeps, the sweeps behind the thread and streaming-store
thresholds. Writes kernels.json and kernels.md to --out and prints the
Markdown.

Goals checked (issue "Performance", goal 1), each at the pool's thread count:
  floor:  every kernel case within --floor-limit (1.15) x the floor of its
          access pattern (copy for out-of-place, read-modify-write in place,
          the two-input patterns for the upstream gradient), as the median
          ratio of kernel calls timed back to back with a floor pass;
  numpy:  every kernel case at least --numpy-factor (2) x faster than the
          fastest NumPy expression for its dtype (best runs of each);
  runs:   every case in pieces (relu_runs/, gradient_runs/) with the default
          stores within --runs-floor-limit (1.3) x its floor, paired as above.
Exit status 0 even when a goal is missed (the report says so); 1 on errors.

Usage: kernel_report.py --benchmark build/bench/core_benchmark --out DIR
           [--rounds 3] [--repetitions 3] [--min-time 0.1] [--no-sweeps]
           [--floor-limit 1.15] [--numpy-factor 2] [--runs-floor-limit 1.3]
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

ELEMENTS = 25_000_000
SHAPE = (5000, 5000)
UNIT_US = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}


def run_benchmark(binary, pattern, repetitions, min_time):
    """(context, {case: [us...]}, {case: [paired floor ratio...]})."""
    out = subprocess.run(
        [binary, f"--benchmark_filter={pattern}", "--benchmark_format=json",
         f"--benchmark_repetitions={repetitions}",
         f"--benchmark_min_time={min_time}",
         "--benchmark_enable_random_interleaving=true"],
        check=True, capture_output=True, text=True).stdout
    return parse_benchmark(json.loads(out))


def parse_benchmark(report):
    """The same triple from core_benchmark's JSON output."""
    samples, ratios = {}, {}
    for b in report["benchmarks"]:
        if b.get("run_type") != "iteration" or b.get("error_occurred"):
            continue
        name = b["run_name"].rsplit("/", 1)[0]  # drop /real_time, /manual_time
        samples.setdefault(name, []).append(
            b["real_time"] * UNIT_US[b["time_unit"]])
        if "floor_ratio" in b:
            ratios.setdefault(name, []).append(b["floor_ratio"])
    return report["context"], samples, ratios


def numpy_expressions(dtype):
    """name -> (setup(pristine) -> state, run(state)); only run() is timed."""
    one = dtype(1)
    zero = dtype(0)

    def fresh(pristine):
        return pristine.copy()

    def pair(pristine):
        return pristine, np.empty_like(pristine)

    return {
        "np.maximum(x, 0)": (fresh, lambda x: np.maximum(x, zero)),
        "np.maximum(x, 0, out=y)": (pair,
                                    lambda s: np.maximum(s[0], zero, s[1])),
        "x * (x > 0)": (fresh, lambda x: x * (x > zero)),
        "(abs(x) + x) / 2": (fresh, lambda x: (abs(x) + x) / dtype(2)),
        "1. * (x > 0)  [gradient]": (fresh, lambda x: one * (x > zero)),
        "np.maximum(x, 0, x)  [in place]": (fresh,
                                            lambda x: np.maximum(x, zero, x)),
        "x[x < 0] = 0  [fresh data]": (fresh, masked_assign),
    }


def masked_assign(x):
    x[x < 0] = 0


def time_numpy(repetitions):
    """{dtype name: {expression: [microseconds...]}}; every run gets its own
    copy of x (faulted in before the clock starts), as on fresh data."""
    results = {}
    for dtype in (np.float64, np.float32):
        pristine = np.random.default_rng(7).uniform(-0.5, 0.5, SHAPE)
        pristine = pristine.astype(dtype)
        per = results.setdefault(np.dtype(dtype).name, {})
        for name, (setup, run) in numpy_expressions(dtype).items():
            for _ in range(repetitions):
                state = setup(pristine)
                start = time.perf_counter()
                run(state)
                per.setdefault(name, []).append(
                    (time.perf_counter() - start) * 1e6)
    return results


def parse_case(name):
    """'relu/float64/abs/out/threads:2' -> dict of its fields; the cases in
    pieces add 'stores:normal' (absent: default stores) and 'offset:3'."""
    parts = name.split("/")
    threads = int(parts[-1].split(":")[1])
    if parts[0] == "floor":
        return {"kind": "floor", "dtype": parts[1], "pattern": parts[2],
                "stores": parts[3], "threads": threads}
    kind, dtype, variant, placement = parts[:4]
    case = {"kind": kind, "dtype": dtype, "variant": variant,
            "placement": placement, "threads": threads}
    if is_runs(case):
        fields = dict(p.split(":", 1) for p in parts[4:-1])
        case["stores"] = fields.get("stores", "default")
        case["offset"] = int(fields["offset"])
    return case


def is_runs(case):
    """Whether a case computes its array in pieces, through ReluRuns."""
    return case["kind"].endswith("_runs")


def floor_pattern(case):
    """The floor whose memory traffic matches a kernel case."""
    two = case["kind"].startswith("gradient") and case["variant"] == "upstream"
    in_place = case["placement"] != "out"
    if two:
        return "two_in_place" if in_place else "two_inputs"
    return "in_place" if in_place else "copy"


def machine():
    model = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"cpu": model, "cpus": os.cpu_count(),
            "kernel": platform.release(), "numpy": np.__version__,
            "python": platform.python_version(),
            "date": datetime.datetime.now().isoformat(timespec="seconds")}


# Two statistics of each case's samples. Noise on a shared machine only adds
# time, so the best run estimates each side's undisturbed time; the median
# shows what a typical run saw. The floor goal is judged on the paired ratios
# (each kernel call timed back to back with its floor, core/bench), which
# cancel load that comes and goes; the NumPy goal on the best runs.
STATS = {"best": min, "median": statistics.median}


def fastest_numpy(numpy_samples, stat):
    """{dtype: (us, expression)}: NumPy's fastest expression."""
    return {dtype: min((stat(v), e) for e, v in exprs.items())
            for dtype, exprs in numpy_samples.items()}


def kernel_row(name, v, ratios, numpy, pool):
    c = parse_case(name)
    row = {"case": name, **c, "samples": len(v),
           "goal_case": c["threads"] == pool,
           "floor": f"{floor_pattern(c)}/"
                    f"{'streaming' if c['placement'] == 'out' else 'normal'}",
           "floor_ratio": statistics.median(ratios[name])}
    for s, stat in STATS.items():
        row[s] = {"us": stat(v), "numpy_speedup": numpy[s][c["dtype"]][0] /
                  stat(v)}
    return row


def summarize(samples, ratios, numpy_samples, context, args):
    numpy = {s: fastest_numpy(numpy_samples, stat)
             for s, stat in STATS.items()}
    pool = int(context.get("pool_threads", "1"))
    all_rows = [kernel_row(n, v, ratios, numpy, pool)
                for n, v in sorted(samples.items()) if n in ratios]
    rows = [r for r in all_rows if not is_runs(r)]
    runs = [r for r in all_rows if is_runs(r)]
    runs_goal = [r for r in runs if r["stores"] == "default"]
    goal_cases = [r for r in rows if r["goal_case"]]
    f = max(goal_cases, key=lambda r: r["floor_ratio"])
    n = min(goal_cases, key=lambda r: r["best"]["numpy_speedup"])
    goals = {
        "kernel_within_floor": {
            "limit": args.floor_limit, "case": f["case"],
            "paired": f["floor_ratio"],
            "holds": f["floor_ratio"] <= args.floor_limit},
        "kernel_vs_numpy": {
            "limit": args.numpy_factor, "case": n["case"],
            "best": n["best"]["numpy_speedup"],
            "median_worst": min(r["median"]["numpy_speedup"]
                                for r in goal_cases),
            "holds": n["best"]["numpy_speedup"] >= args.numpy_factor},
    }
    if runs_goal:
        w = max(runs_goal, key=lambda r: r["floor_ratio"])
        goals["runs_within_floor"] = {
            "limit": args.runs_floor_limit, "case": w["case"],
            "paired": w["floor_ratio"],
            "holds": w["floor_ratio"] <= args.runs_floor_limit}
    floor_variants = [{"case": name, **parse_case(name),
                       **{s: stat(v) for s, stat in STATS.items()}}
                      for name, v in sorted(samples.items())
                      if name.startswith("floor/")]
    numpy_rows = [{"dtype": d, "expression": e, "samples": len(v),
                   **{s: stat(v) for s, stat in STATS.items()}}
                  for d, exprs in numpy_samples.items()
                  for e, v in exprs.items()]
    return {"kernels": rows, "runs": runs, "floor_variants": floor_variants,
            "numpy": numpy_rows, "goals": goals}


def goal_rows(goals):
    """The goals as rows of scripts/bench_report.py's table."""
    f, n = goals["kernel_within_floor"], goals["kernel_vs_numpy"]
    rows = []
    if "runs_within_floor" in goals:
        r = goals["runs_within_floor"]
        rows.append(
            {"goal": "arrays in 1 MiB pieces (ReluRuns, aligned and "
                     "misaligned) within their memory floor (pool threads; "
                     "paired with the floor on aligned buffers)",
             "measured": f"worst {r['paired']:.3f}x ({r['case']})",
             "limit": f"<= {r['limit']:.2f}x", "holds": r["holds"]})
    return [
        {"goal": "every kernel within its memory floor (25 M elements, pool "
                 "threads; paired with its floor)",
         "measured": f"worst {f['paired']:.3f}x ({f['case']})",
         "limit": f"<= {f['limit']:.2f}x", "holds": f["holds"]},
        {"goal": "every kernel faster than NumPy's fastest expression (best "
                 "runs)",
         "measured": f"worst {n['best']:.2f}x ({n['case']}); medians: worst "
                     f"{n['median_worst']:.2f}x",
         "limit": f">= {n['limit']:.1f}x", "holds": n["holds"]},
    ] + rows


def sweep_tables(samples):
    med = {n: statistics.median(v) for n, v in samples.items()}
    threads, stores = {}, {}
    for name, t in med.items():
        parts = name.split("/")
        size = int(parts[2].split(":")[1])
        if parts[0] == "sweep_threads":
            threads.setdefault(size, {})[parts[3]] = t
        elif parts[0] == "sweep_stores":
            stores.setdefault(size, {})[parts[3]] = t
    return {"threads": threads, "stores": stores}


def gbps(bytes_moved, us):
    return bytes_moved / (us * 1e-6) / 1e9


def bytes_moved(dtype, two_inputs):
    item = 8 if dtype == "float64" else 4
    return ELEMENTS * item * (3 if two_inputs else 2)


def header_markdown(result):
    m, ctx = result["machine"], result["context"]
    return [
        "# Kernel benchmark", "",
        f"{m['cpu']}, {m['cpus']} CPUs, kernels on **{ctx.get('isa')}** with "
        f"a pool of {ctx.get('pool_threads')} threads; NumPy {m['numpy']}; "
        f"{m['date']}; load average {result['load_before']} before, "
        f"{result['load_after']} after (the machine is shared: read ratios, "
        "not absolute times). METHOD_UNSPECIFIED resolves to "
        f"{ctx.get('fastest_method_float64')} (float64) and "
        f"{ctx.get('fastest_method_float32')} (float32) here "
        "(core/fastest_method.h).", "",
        f"{result['settings']['rounds']} rounds x "
        f"{result['settings']['repetitions']} repetitions of each case, "
        "randomly interleaved; 25 M elements (5000 x 5000); GB/s counts bytes "
        "read + written. *x floor (paired)*: each kernel call is timed back to "
        "back with one pass of its floor (the fastest variant in the floor "
        "table), and the median of those ratios is shown, so load that comes "
        "and goes cancels out. *best*: the fastest run (noise only adds time); "
        "*median*: the typical run.", "",
        "## Goals", "",
        "| goal | limit | measured | holds |",
        "| --- | --- | --- | --- |",
    ] + [f"| {g['goal']} | {g['limit']} | {g['measured']} | "
         f"{'yes' if g['holds'] else '**no**'} |" for g in result["goals"]]


def kernels_markdown(kernels):
    lines = ["", "## Kernels", "",
             "| case | threads | best ms | median ms | GB/s (best) | floor | "
             "x floor (paired) | x NumPy best | x NumPy median |",
             "|" + " --- |" * 9]
    for r in kernels:
        b, m = r["best"], r["median"]
        moved = bytes_moved(r["dtype"], r["variant"] == "upstream")
        lines.append(
            f"| {r['case'].rsplit('/', 1)[0]} | {r['threads']} | "
            f"{b['us'] / 1e3:.2f} | {m['us'] / 1e3:.2f} | "
            f"{gbps(moved, b['us']):.1f} | {r['floor']} | "
            f"{r['floor_ratio']:.3f} | {b['numpy_speedup']:.2f} | "
            f"{m['numpy_speedup']:.2f} |")
    return lines


def runs_markdown(runs):
    if not runs:
        return []
    lines = ["", "## Arrays in pieces (ReluRuns)", "",
             "The same 25 M elements in 1 MiB pieces, x's pieces `offset` "
             "bytes past a 64-byte boundary (3: not element-aligned, as a "
             "received slice may be), out of place into one aligned "
             "contiguous output or in place; *stores*: default (streaming "
             "out of place, by the batch's total) or normal. Paired with the "
             "floor of the access pattern on aligned buffers.", "",
             "| case | offset | stores | best ms | median ms | GB/s (best) | "
             "floor | x floor (paired) |",
             "|" + " --- |" * 8]
    for r in runs:
        b, m = r["best"], r["median"]
        moved = bytes_moved(r["dtype"], False)
        lines.append(
            f"| {r['kind']}/{r['dtype']}/{r['variant']}/{r['placement']} | "
            f"{r['offset']} | {r['stores']} | {b['us'] / 1e3:.2f} | "
            f"{m['us'] / 1e3:.2f} | {gbps(moved, b['us']):.1f} | "
            f"{r['floor']} | {r['floor_ratio']:.3f} |")
    return lines


def floors_numpy_markdown(summary):
    lines = ["", "## Memory floors", "",
             "| dtype | pattern | stores | threads | best ms | median ms | "
             "GB/s (best) |", "|" + " --- |" * 7]
    for f in summary["floor_variants"]:
        moved = bytes_moved(f["dtype"], f["pattern"].startswith("two"))
        lines.append(f"| {f['dtype']} | {f['pattern']} | {f['stores']} | "
                     f"{f['threads']} | {f['best'] / 1e3:.2f} | "
                     f"{f['median'] / 1e3:.2f} | "
                     f"{gbps(moved, f['best']):.1f} |")
    lines += ["", "## NumPy (same run)", "",
              "| dtype | expression | best ms | median ms |",
              "| --- | --- | --- | --- |"]
    for r in summary["numpy"]:
        lines.append(f"| {r['dtype']} | `{r['expression']}` | "
                     f"{r['best'] / 1e3:.2f} | {r['median'] / 1e3:.2f} |")
    return lines


def markdown(result):
    lines = header_markdown(result)
    lines += kernels_markdown(result["summary"]["kernels"])
    lines += runs_markdown(result["summary"].get("runs"))
    lines += floors_numpy_markdown(result["summary"])
    lines += sweep_markdown(result.get("sweeps"))
    return "\n".join(lines) + "\n"


def sweep_markdown(sweeps):
    if not sweeps:
        return []
    lines = ["", "## Sweeps (relu maximum, float64, out of place; medians)", "",
             "Threads: one thread against the pool, normal stores.", "",
             "| bytes | 1 thread us | pool us | pool speedup |",
             "| --- | --- | --- | --- |"]
    for size, t in sorted(sweeps["threads"].items()):
        one = t.get("threads:1")
        pool = next((v for k, v in t.items() if k != "threads:1"), None)
        if one and pool:
            lines.append(f"| {size} | {one:.1f} | {pool:.1f} | "
                         f"{one / pool:.2f} |")
    lines += ["", "Stores: normal against streaming, default threads.", "",
              "| bytes | normal us | streaming us | streaming speedup |",
              "| --- | --- | --- | --- |"]
    for size, t in sorted(sweeps["stores"].items()):
        if "normal" in t and "streaming" in t:
            lines.append(f"| {size} | {t['normal']:.1f} | "
                         f"{t['streaming']:.1f} | "
                         f"{t['normal'] / t['streaming']:.2f} |")
    return lines


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--benchmark", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--repetitions", type=int, default=3)
    p.add_argument("--min-time", type=float, default=0.1)
    p.add_argument("--numpy-repetitions", type=int, default=3)
    p.add_argument("--no-sweeps", dest="sweeps", action="store_false",
                   help="skip the threshold sweeps")
    p.add_argument("--floor-limit", type=float, default=1.15)
    p.add_argument("--numpy-factor", type=float, default=2.0)
    p.add_argument("--runs-floor-limit", type=float, default=1.3)
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    load_before = os.getloadavg()[0]
    samples, ratios, numpy_samples, context = {}, {}, {}, {}
    for r in range(args.rounds):
        print(f"round {r + 1}/{args.rounds}: core benchmark", file=sys.stderr)
        context, got, paired = run_benchmark(
            args.benchmark, "^(relu|gradient|relu_runs|gradient_runs|floor)/",
            args.repetitions,
            args.min_time)
        for k, v in got.items():
            samples.setdefault(k, []).extend(v)
        for k, v in paired.items():
            ratios.setdefault(k, []).extend(v)
        print(f"round {r + 1}/{args.rounds}: numpy", file=sys.stderr)
        for dtype, exprs in time_numpy(args.numpy_repetitions).items():
            for k, v in exprs.items():
                numpy_samples.setdefault(dtype, {}).setdefault(k, []).extend(v)
    result = {"machine": machine(), "load_before": round(load_before, 2),
              "settings": vars(args),
              "context": {k: v for k, v in context.items()
                          if k in ("isa", "pool_threads", "parallel_min_bytes",
                                   "streaming_min_bytes", "num_cpus",
                                   "mhz_per_cpu", "fastest_method_float64",
                                   "fastest_method_float32")}}
    result["summary"] = summarize(samples, ratios, numpy_samples, context,
                                  args)
    result["goals"] = goal_rows(result["summary"]["goals"])
    if args.sweeps:
        print("sweeps", file=sys.stderr)
        _, got, _ = run_benchmark(args.benchmark, "^sweep_",
                                  args.repetitions, args.min_time)
        result["sweeps"] = sweep_tables(got)
    result["load_after"] = round(os.getloadavg()[0], 2)
    text = markdown(result)
    with open(os.path.join(args.out, "kernels.json"), "w") as f:
        json.dump(result, f, indent=1)
    with open(os.path.join(args.out, "kernels.md"), "w") as f:
        f.write(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
