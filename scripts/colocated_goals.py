#!/usr/bin/env python3
"""The goals of scripts/bench.sh's colocated stage, for bench_report.py:

  colocated  one server with --allow_shared_memory on a Unix socket and a
             loopback TCP port; in rounds, each: the core kernel alone
             (core_benchmark, in place, on the server's thread count), the
             200 MB float64 ApplyInPlace and Gradient from the C++ client
             (`bench --shared_memory`, and inline) and from Python
             (client/python/bench/colocated.py: client.shared_empty and
             NumPy's np.maximum(x, 0, out=x) on the same array;
             client/python/bench/bench.py inline), and 1 KiB calls via shm
             and inline. colocated.json: a list of {round, caller,
             transport ("uds", "tcp" or "-"), data}, data as each tool
             printed it: bench rows of mode shm went through shared memory,
             of mode unary inline; Python rows say "shm" or "in_process"
             (NumPy), or nothing (inline).

A caller's time is the median over the rounds of its p50; its ratio to the
kernel (or, for 1 KiB, to the inline call) is the median over the rounds of
the ratio measured within each round, as client_goals.py does, so that the
shared machine's load moves both sides of a ratio alike. ReLU rows are
compared at the method the server picks by default (the one the Python
client's calls report). Goals are (name, measured, limit, holds) tuples;
markdown() gives the report's sections. Run as a script on colocated.json,
it prints them.
"""

import json
import statistics
import sys

import kernel_report

LARGE = 200_000_000  # bytes of the 5000 x 5000 float64 workload
SMALL = 1024
LIMITS = {"cpp": 2.0, "python": 2.5}  # x the kernel, shm over UDS
# "No slower" within the noise allowance bench_report.py gives ApplyInPlace
# against Apply.
SMALL_LIMIT = 1.05
RPCS = ("inplace", "gradient")
CALLERS = {"kernel": "kernel alone (core_benchmark)", "cpp": "C++ client",
           "python": "Python client", "numpy": "NumPy np.maximum(x, 0, out=x)"}
TRANSPORTS = {"-": "-", "shm_uds": "shared memory, UDS",
              "shm_tcp": "shared memory, TCP loopback",
              "in_process": "in process", "inline_uds": "inline, UDS",
              "inline_tcp": "inline, TCP loopback"}
LARGE_ORDER = [("kernel", "-"), ("cpp", "shm_uds"), ("cpp", "shm_tcp"),
               ("python", "shm_uds"), ("numpy", "in_process"),
               ("cpp", "inline_uds"), ("cpp", "inline_tcp"),
               ("python", "inline_uds"), ("python", "inline_tcp")]


def kernel_rows(report):
    """core_benchmark's in-place float64 cases on the pool's threads."""
    context, samples, _ = kernel_report.parse_benchmark(report)
    pool = int(context.get("pool_threads", "1"))
    rows = []
    for name, us in samples.items():
        case = kernel_report.parse_case(name)
        if (case["kind"] not in ("relu", "gradient") or case["threads"] != pool
                or case["dtype"] != "float64" or case["placement"] != "in"
                or case["variant"] == "upstream"):
            continue
        rows.append({"rpc": "inplace" if case["kind"] == "relu" else
                     "gradient",
                     "method": case["variant"] if case["kind"] == "relu"
                     else "multiply", "bytes": LARGE,
                     "seconds": statistics.median(us) / 1e6,
                     "verified": True, "threads": pool})
    return rows


def via(how, transport):
    """"shm" / "inline" over "uds" / "tcp" as a TRANSPORTS key."""
    return "in_process" if how == "in_process" else f"{how}_{transport}"


def cpp_rows(rows, transport):
    """The C++ client's unary and shm bench rows."""
    modes = {"shm": "shm", "unary": "inline"}
    out = []
    for r in rows:
        if r["mode"] not in modes:
            continue
        elements = 1
        for n in r["shape"]:
            elements *= n
        out.append({"transport": via(modes[r["mode"]], transport),
                    "rpc": r["rpc"], "method": r["method"],
                    "bytes": elements * 8, "seconds": r["latency_ms"]["p50"]
                    / 1e3, "verified": r["verified"]})
    return out


def python_rows(rows, transport):
    """colocated.py's rows (python via shm, numpy in process) and bench.py's
    (inline)."""
    return [{"caller": r.get("caller", "python"),
             "transport": via(r.get("transport", "inline"), transport),
             "rpc": r["rpc"], "method": r["method"], "bytes": LARGE,
             "seconds": r["seconds_p50"], "verified": r["verified"]}
            for r in rows]


def rows(entries):
    """Every measurement as {round, caller, transport, rpc, method, bytes,
    seconds, verified}."""
    out = []
    for e in entries:
        if e["caller"] == "kernel":
            got = kernel_rows(e["data"])
        elif e["caller"] == "cpp":
            got = cpp_rows(e["data"], e["transport"])
        else:
            got = python_rows(e["data"], e["transport"])
        out += [dict({"caller": e["caller"], "transport": "-"}, **r,
                     round=e["round"]) for r in got]
    return out


def default_method(measured):
    """The method the server used for the Python client's ReLU calls."""
    for r in measured:
        if r["caller"] == "python" and r["rpc"] == "inplace":
            return r["method"]
    return "maximum"


def per_round(measured, size):
    """{(caller, transport, rpc): {round: seconds}} at one size, ReLU rows
    at the default method."""
    method = default_method(measured)
    out = {}
    for r in measured:
        if r["bytes"] != size or (r["rpc"] == "inplace" and
                                  r["method"] != method and
                                  r["caller"] != "numpy"):
            continue
        key = (r["caller"], r["transport"], r["rpc"])
        by_round = out.setdefault(key, {})
        by_round[r["round"]] = min(r["seconds"],
                                   by_round.get(r["round"], r["seconds"]))
    return out


def compare(rounds, key, reference):
    """(median seconds of key, median same-round ratio to reference), or
    None when key was not measured."""
    if key not in rounds:
        return None
    mine, ref = rounds[key], rounds.get(reference, {})
    ratios = [s / ref[n] for n, s in mine.items() if n in ref]
    return (statistics.median(mine.values()),
            statistics.median(ratios) if ratios else None)


def large_table(measured):
    rounds = per_round(measured, LARGE)
    table = []
    for caller, transport in LARGE_ORDER:
        line = {"caller": CALLERS[caller], "transport": TRANSPORTS[transport]}
        for rpc in RPCS:
            line[rpc] = compare(rounds, (caller, transport, rpc),
                                ("kernel", "-", rpc))
        if any(line[rpc] for rpc in RPCS):
            table.append(line)
    return table


def small_table(measured):
    rounds = per_round(measured, SMALL)
    table = []
    for transport in ("uds", "tcp"):
        for rpc in RPCS:
            shm = compare(rounds, ("cpp", f"shm_{transport}", rpc),
                          ("cpp", f"inline_{transport}", rpc))
            inline = compare(rounds, ("cpp", f"inline_{transport}", rpc),
                             ("cpp", f"inline_{transport}", rpc))
            if shm and inline:
                table.append({"transport": transport.upper(), "rpc": rpc,
                              "shm": shm[0], "inline": inline[0],
                              "ratio": shm[1]})
    return table


def goals(entries):
    measured = rows(entries)
    rounds = per_round(measured, LARGE)
    out = []
    for caller, limit in LIMITS.items():
        for rpc in RPCS:
            got = compare(rounds, (caller, "shm_uds", rpc),
                          ("kernel", "-", rpc))
            kernel = compare(rounds, ("kernel", "-", rpc), ("kernel", "-", rpc))
            if got is None or got[1] is None:
                continue
            out.append((f"{CALLERS[caller]} {rpc}, 200 MB via shared memory "
                        "(UDS): p50 / the kernel's in the same round",
                        f"{got[1]:.2f}x ({got[0] * 1e3:.1f} ms vs "
                        f"{kernel[0] * 1e3:.1f} ms)", f"<= {limit}x",
                        got[1] <= limit))
    python = compare(rounds, ("python", "shm_uds", "inplace"),
                     ("numpy", "in_process", "inplace"))
    if python and python[1] is not None:
        numpy = rounds["numpy", "in_process", "inplace"]
        out.append(("Python client ReLU in place via shared memory vs NumPy's "
                    "np.maximum(x, 0, out=x) in the same process and round",
                    f"{python[1]:.2f}x ({python[0] * 1e3:.1f} ms vs "
                    f"{statistics.median(numpy.values()) * 1e3:.1f} ms)",
                    "< 1x", python[1] < 1))
    for line in small_table(measured):
        if line["transport"] == "UDS":
            out.append((f"1 KiB {line['rpc']} via shared memory vs inline "
                        "(C++ client, UDS): p50 ratio in the same round",
                        f"{line['ratio']:.2f}x ({line['shm'] * 1e6:.0f} us "
                        f"vs {line['inline'] * 1e6:.0f} us)",
                        f"<= {SMALL_LIMIT}x", line["ratio"] <= SMALL_LIMIT))
    verified = all(r["verified"] for r in measured)
    out.append(("every co-located call's result verified", str(verified),
                "True", verified))
    return out


def cell(result, index):
    if result is None:
        return "-"
    seconds, ratio = result
    return (f"{seconds * 1e3:.1f}" if index == 0 else
            "-" if ratio is None else f"{ratio:.2f}x")


LARGE_COLUMNS = [
    ("caller", lambda r: r["caller"]),
    ("transport", lambda r: r["transport"]),
    ("ReLU in place ms", lambda r: cell(r["inplace"], 0)),
    ("x kernel", lambda r: cell(r["inplace"], 1)),
    ("gradient in place ms", lambda r: cell(r["gradient"], 0)),
    ("x kernel", lambda r: cell(r["gradient"], 1))]
SMALL_COLUMNS = [
    ("transport", lambda r: r["transport"]), ("rpc", lambda r: r["rpc"]),
    ("shm p50 us", lambda r: f"{r['shm'] * 1e6:.0f}"),
    ("inline p50 us", lambda r: f"{r['inline'] * 1e6:.0f}"),
    ("shm / inline", lambda r: f"{r['ratio']:.2f}x")]


def markdown(entries, table):
    """The report's sections when the stage ran; `table(rows, columns)`
    renders a table."""
    if not entries:
        return []
    measured = rows(entries)
    threads = {r["threads"] for r in measured if "threads" in r}
    n = len({r["round"] for r in measured})
    return [
        "\n## Co-located callers, 200 MB float64 in place\n\n"
        "One server with --allow_shared_memory on a Unix socket and a "
        "loopback TCP port. p50 per call, median over "
        f"{n} rounds; x kernel: the median of same-round ratios to the core "
        f"kernel alone on {', '.join(map(str, sorted(threads)))} threads "
        "(the server's pool). ReLU at the server's default method "
        f"({default_method(measured)}).\n\n" +
        table(large_table(measured), LARGE_COLUMNS),
        "\n## Co-located callers, 1 KiB calls: shared memory vs inline\n\n"
        "The C++ client; p50 per call, medians over the rounds.\n\n" +
        table(small_table(measured), SMALL_COLUMNS)]


def main(path):
    """Prints the stage's tables and goals, as the report renders them."""
    import bench_report  # imports this module: not at the top
    with open(path) as f:
        entries = json.load(f)
    print("\n".join(markdown(entries, bench_report.table)) + "\n")
    print(bench_report.goals_table([bench_report.goal(*g)
                                    for g in goals(entries)]))


if __name__ == "__main__":
    main(sys.argv[1])
