"""The clients goals of scripts/bench.sh, for bench_report.py:

  clients  the same 200 MB float64 Apply, ApplyInPlace and Gradient through
           the C++ client (`tensor_transform_client bench`), the Python
           package (native extension and pure grpcio, client/python/bench)
           and Node (client/node/bench.js) against one server, in rounds
           that each run every client once (clients.json, rows tagged with
           their round), then the native Python client's peak RSS over
           repeated Applies (rpc "apply_rss").

Each client is judged by the median over the rounds of its p50 over the C++
client's p50 of the same round: the clients of one round ran a minute or two
apart, so the ratio depends less on the shared machine's load than a ratio
of medians would. The C++ client's p50 is its faster mode with the method
the native Python client was given by the server (the server's default).
Goals are (name, measured, limit, holds) tuples; markdown() gives the
report's section.
"""

import statistics

MIB = 1 << 20
LIMITS = {"python_native": 1.2, "node": 3.0, "python_pure": 4.0}
NAMES = {"cpp": "C++", "python_native": "Python native",
         "python_pure": "Python pure", "node": "Node"}
RPCS = ("apply", "inplace", "gradient")


def rounds(rows):
    """{(client, rpc): {round: p50 seconds}}."""
    method = {r["rpc"]: r["method"] for r in rows
              if r["client"] == "python_native"}
    out = {}
    for r in rows:
        if r["rpc"] not in RPCS:
            continue
        if r["client"] == "cpp":
            if r["method"] != method.get(r["rpc"], r["method"]):
                continue
            seconds = r["latency_ms"]["p50"] / 1e3
        else:
            seconds = r["seconds_p50"]
        by_round = out.setdefault((r["client"], r["rpc"]), {})
        by_round[r["round"]] = min(seconds, by_round.get(r["round"], seconds))
    return out


def medians(rows):
    """{(client, rpc): (median p50 seconds, median ratio to the C++ client
    in the same round, or None without a C++ row)}."""
    per_round = rounds(rows)
    out = {}
    for (client, rpc), by_round in per_round.items():
        cpp = per_round.get(("cpp", rpc), {})
        ratios = [s / cpp[n] for n, s in by_round.items() if n in cpp]
        out[client, rpc] = (statistics.median(by_round.values()),
                            statistics.median(ratios) if ratios else None)
    return out


def goals(rows):
    by_client = medians(rows)
    out = []
    for (client, rpc), (seconds, ratio) in sorted(by_client.items()):
        if client in LIMITS and ratio is not None:
            cpp = by_client["cpp", rpc][0]
            out.append((f"{NAMES[client]} {rpc}, 200 MB: p50 / the C++ "
                        "client's in the same round (median over rounds)",
                        f"{ratio:.2f}x ({seconds * 1e3:.0f} ms vs "
                        f"{cpp * 1e3:.0f} ms)", f"<= {LIMITS[client]}x",
                        ratio <= LIMITS[client]))
    for r in rows:
        if r["rpc"] == "apply_rss":
            limit = 2 * r["array_bytes"] + 64 * MIB
            out.append(("Python native peak RSS, repeated 200 MB Apply",
                        f"{r['peak_rss_bytes'] / MIB:.0f} MiB",
                        f"<= {limit / MIB:.0f} MiB (input + output + 64 MiB)",
                        r["peak_rss_bytes"] <= limit))
    verified = all(r["verified"] for r in rows)
    out.append(("every client's every result verified", str(verified),
                "True", verified))
    return out


def table_rows(rows):
    """Per RPC, each client's median p50 and median ratio."""
    by_client = medians(rows)
    out = []
    for rpc in RPCS:
        line = {"rpc": rpc}
        for client in NAMES:
            seconds, ratio = by_client.get((client, rpc), (None, None))
            line[client] = ("-" if ratio is None else
                            f"{seconds * 1e3:.0f} ms ({ratio:.2f}x)")
        out.append(line)
    return out


def markdown(rows, table):
    """The report's section when the stage ran; `table(rows, columns)`
    renders a table."""
    if not rows:
        return []
    columns = [("rpc", lambda r: r["rpc"])] + [
        (name, lambda r, client=client: r[client])
        for client, name in NAMES.items()]
    return ["\n## Clients, 200 MB float64 against one server\n\n"
            "p50 and, in brackets, its ratio to the C++ client's p50 in the "
            "same round; medians over the rounds.\n\n" +
            table(table_rows(rows), columns)]
