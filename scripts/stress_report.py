#!/usr/bin/env python3
"""Judges one scripts/stress.sh run: prints the figures and every criterion
as a table (also OUT_DIR/stress.md and stress.json) and exits 1 when one
fails.

Inputs in OUT_DIR: run.json (settings and RSS readings of stress.sh),
undisturbed_before.json, disturbed.json, undisturbed_after.json (the load
tool's JSON) and their .window files (start and end times), peers.json and
peers_ready.json (tests/stress/slow_peers.py), samples.txt (time, threads,
VmRSS kB, VmHWM kB of the server every 0.2 s), metrics_after.txt (the
server's /metrics once the peers' calls had ended).
"""

import json
import os
import sys

MIB = 1 << 20
LOADS = ("undisturbed_before", "disturbed", "undisturbed_after")


def read_json(out, name):
    with open(os.path.join(out, name)) as f:
        return json.load(f)


def read_window(out, name):
    with open(os.path.join(out, name + ".window")) as f:
        start, end = f.read().split()
    return float(start), float(end)


def load_figures(report):
    """calls/s of calls that succeeded, latency, failures of one load run."""
    level = report["levels"][0]
    good = level["calls"] - level["errors"]
    return {"calls": level["calls"], "errors": level["errors"],
            "ok_per_s": good / level["elapsed_s"],
            "p50_ms": level["latency_ms"]["p50"],
            "p99_ms": level["latency_ms"]["p99"],
            "status_codes": level["status_codes"]}


def samples(out):
    rows = []
    with open(os.path.join(out, "samples.txt")) as f:
        for line in f:
            t, threads, rss, hwm = line.split()
            rows.append((float(t), int(threads), int(rss) * 1024,
                         int(hwm) * 1024))
    return rows


def metric(text, name):
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == name:
            return float(parts[1])
    return None


def shown(value):
    return "missing" if value is None else f"{value:g}"


def row(criterion, measured, limit, holds, timing=False):
    """timing: a criterion on the load's speed, which gates the run only
    when asked (see main)."""
    return {"criterion": criterion, "measured": measured, "limit": limit,
            "holds": bool(holds), "timing": timing}


def verdict(r, judge_timing):
    if r["holds"]:
        return "yes"
    return "**NO**" if judge_timing or not r["timing"] else "no (reported)"


def load_rows(loads):
    before, during, after = (loads[n] for n in LOADS)
    calm_rate = (before["ok_per_s"] + after["ok_per_s"]) / 2
    calm_p99 = (before["p99_ms"] + after["p99_ms"]) / 2
    share = during["ok_per_s"] / calm_rate if calm_rate else 0
    return [
        row("load throughput under the peers vs undisturbed (mean of before "
            "and after)",
            f"{during['ok_per_s']:.0f} vs {calm_rate:.0f} calls/s = "
            f"{share:.0%}", ">= 80%", share >= 0.8, timing=True),
        row("load p99 under the peers vs undisturbed",
            f"{during['p99_ms']:.2f} vs {calm_p99:.2f} ms = "
            f"{during['p99_ms'] / calm_p99:.2f}x", "<= 2x",
            during["p99_ms"] <= 2 * calm_p99, timing=True),
        row("load calls failed under the peers",
            f"{during['errors']} of {during['calls']} "
            f"{json.dumps(during['status_codes'])}", "0",
            during["errors"] == 0),
    ]


def clear_end(outcome, refusal_ok):
    if outcome.startswith("DEADLINE_EXCEEDED"):
        return "receive_timeout" in outcome
    return refusal_ok and outcome.startswith("RESOURCE_EXHAUSTED")


def cutoff_row(name, group, run, refusal_ok):
    """Every call of `group` ended by the server within the timeout plus the
    margin, with a clear status."""
    limit = run["receive_timeout_s"] + run["margin_s"]
    worst = group.get("lifetime_s", {}).get("max")
    unclear = {k: v for k, v in group["outcomes"].items()
               if not clear_end(k, refusal_ok)}
    measured = (f"{group['ended']} of {group['calls']} ended"
                + (f", the last after {worst:.1f} s" if worst else "")
                + (f"; not clearly: {json.dumps(unclear)}" if unclear else ""))
    wanted = "DEADLINE_EXCEEDED naming receive_timeout" + (
        " (or RESOURCE_EXHAUSTED at once)" if refusal_ok else "")
    holds = (group["ended"] == group["calls"] and not unclear
             and worst is not None and worst <= limit)
    return row(f"{name} cut off", measured, f"all, <= {limit:g} s, {wanted}",
               holds)


def held_row(peers, ready, window_end):
    """The disturbance was real: every idle stream opened, and was still open
    when the disturbed load ended."""
    def held(group):
        ended_early = sum(1 for t in group["end_times"] if t < window_end)
        return group["calls"] - ended_early

    idle, slow = peers["idle"], peers["slow"]
    return row("peers held while the disturbed load ran",
               f"idle streams: {held(idle)} of {ready['idle']}; slow senders:"
               f" {held(slow)} of {ready['slow']}",
               "every idle stream",
               held(idle) == idle["calls"] == ready["idle"])


def server_rows(run, peers, rows_sampled, metrics):
    cores = run["cores"]
    thread_limit = 4 * cores + 16
    most = max(r[1] for r in rows_sampled)
    calls = peers["idle"]["calls"] + peers["slow"]["calls"]
    rss_limit = run["rss_before_kib"] * 1024 + calls * run[
        "rss_per_call_kib"] * 1024
    peak = max(r[3] for r in rows_sampled)
    per_call = (peak - run["rss_before_kib"] * 1024) / max(calls, 1)
    in_flight = metric(metrics, "tensor_transform_in_flight_requests")
    held_bytes = metric(metrics, "tensor_transform_in_flight_bytes")
    return [
        row("server threads, most seen (every 0.2 s)",
            f"{most} (first sample {rows_sampled[0][1]})",
            f"<= 4 x {cores} cores + 16 = {thread_limit}",
            most <= thread_limit),
        row("server peak RSS (VmHWM)",
            f"{peak / MIB:.0f} MiB (before the peers "
            f"{run['rss_before_kib'] / 1024:.0f} MiB; "
            f"{per_call / 1024:.1f} KiB per call held)",
            f"<= before + {run['rss_per_call_kib']} KiB x {calls} calls = "
            f"{rss_limit / MIB:.0f} MiB", peak <= rss_limit),
        row("held for ended calls (/metrics after)",
            f"in flight: {shown(in_flight)} calls, {shown(held_bytes)} bytes;"
            f" RSS {run['rss_after_kib'] / 1024:.0f} MiB",
            "0 calls, 0 bytes", in_flight == 0 and held_bytes == 0),
    ]


def figures_table(loads, peers, ready):
    lines = ["| load run | calls | failed | OK calls/s | p50 ms | p99 ms |",
             "| --- | --- | --- | --- | --- | --- |"]
    for name in LOADS:
        f = loads[name]
        lines.append(f"| {name} | {f['calls']} | {f['errors']} | "
                     f"{f['ok_per_s']:.0f} | {f['p50_ms']:.2f} | "
                     f"{f['p99_ms']:.2f} |")
    lines += ["", "| peers | calls | connections | ended | lifetime s "
              "(min / median / max) | how they ended |",
              "| --- | --- | --- | --- | --- | --- |"]
    for name in ("slow", "idle"):
        g = peers[name]
        life = g.get("lifetime_s")
        life = (f"{life['min']:.1f} / {life['median']:.1f} / "
                f"{life['max']:.1f}" if life else "-")
        how = "; ".join(f"{v} x {k}" for k, v in g["outcomes"].items())
        lines.append(f"| {name} | {g['calls']} | {g['connections']} | "
                     f"{g['ended']} | {life} | {how} |")
    spread = peers["idle"].get("opened_last", 0) - peers["idle"].get(
        "opened_first", 0)
    lines += ["", f"Idle streams opened in {spread:.1f} s; the peers answered "
              f"{peers['pings_answered']} PINGs."]
    return lines


def main(out, judge_timing=True):
    """Exits 1 when a criterion fails; the load's speed criteria count only
    with judge_timing (STRESS_JUDGE_TIMING=1 in stress.sh)."""
    try:
        run = read_json(out, "run.json")
        loads = {n: load_figures(read_json(out, n + ".json")) for n in LOADS}
        peers = read_json(out, "peers.json")
        ready = read_json(out, "peers_ready.json")
        with open(os.path.join(out, "metrics_after.txt")) as f:
            metrics = f.read()
    except (OSError, ValueError, KeyError, IndexError) as e:
        print(f"stress: FAIL: the run left incomplete results: {e}",
              file=sys.stderr)
        return 2
    rows = [row("server has --receive_timeout",
                "yes" if run["receive_timeout_flag"] else "no (unknown flag)",
                "yes", run["receive_timeout_flag"])]
    rows += load_rows(loads)
    rows.append(held_row(peers, ready, read_window(out, "disturbed")[1]))
    rows.append(cutoff_row("slow senders", peers["slow"], run, True))
    rows.append(cutoff_row("idle streams", peers["idle"], run, False))
    rows += server_rows(run, peers, samples(out), metrics)
    md = ["# Stress run", "",
          f"{run['cores']} cores; receive_timeout {run['receive_timeout_s']} s"
          f" (+{run['margin_s']} s margin).", ""]
    md += figures_table(loads, peers, ready)
    md += ["", "| criterion | measured | limit | holds |",
           "| --- | --- | --- | --- |"]
    md += [f"| {r['criterion']} | {r['measured']} | {r['limit']} | "
           f"{verdict(r, judge_timing)} |" for r in rows]
    failed = [r["criterion"] for r in rows
              if not r["holds"] and (judge_timing or not r["timing"])]
    md += ["", "PASS" if not failed else f"FAIL: {len(failed)} of "
           f"{len(rows)} criteria: " + "; ".join(failed)]
    text = "\n".join(md) + "\n"
    with open(os.path.join(out, "stress.md"), "w") as f:
        f.write(text)
    with open(os.path.join(out, "stress.json"), "w") as f:
        json.dump({"run": run, "loads": loads, "peers": peers,
                   "criteria": rows}, f, indent=1)
    print(text)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "build/stress",
                  os.environ.get("STRESS_JUDGE_TIMING", "0") == "1"))
