#!/usr/bin/env python3
"""Peers that hold a gRPC server's calls open without finishing a request,
over raw HTTP/2 (raw_grpc.py), for scripts/stress.sh:

  slow senders  one unary Apply per connection: request headers, a gRPC
                message prefix announcing --announce_bytes, then one byte
                every --byte_interval seconds, never the whole message;
  idle streams  ApplyStream calls spread over --idle_connections: request
                headers and one valid StreamRequest header message, then
                silence.

Every connection answers the server's PINGs. Once every call is open it
writes --ready_file ({"ready": time, "slow": n, "idle": n}); it then waits
until the server has ended every call, or --hold seconds, and writes --out:
per group the calls opened, how they ended (grouped), when each ended,
lifetimes.
Times are time.time() seconds, so a script can place them beside its own.

  slow_peers.py --target=127.0.0.1:50051 --slow_senders=64 \\
      --idle_streams=10000 --idle_connections=100 --hold=40 \\
      --ready_file=ready.json --out=peers.json

Needs PYTHONPATH to hold tensor_transform_pb2 (build/generated/python).
Exit status 1 when the calls cannot be opened (connection refused, more
streams than the server's SETTINGS allow), else 0: judging is the caller's.
"""

import argparse
import asyncio
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import raw_grpc  # noqa: E402
import tensor_transform_pb2 as pb  # noqa: E402

SERVICE = "/tensor_transform.v1.TensorTransform/"


def stream_header(elements):
    """A valid first message of ApplyStream: ReLU of `elements` float64."""
    request = pb.StreamRequest()
    header = request.header
    header.transform.relu.SetInParent()
    header.dtype = pb.FLOAT64
    header.shape.append(elements)
    return raw_grpc.framed(request.SerializeToString())


async def connect(host, port, count):
    return await asyncio.gather(
        *(raw_grpc.RawGrpcConnection.open(host, port) for _ in range(count)))


async def open_idle_streams(conns, count, message, deadline_ms):
    """`count` ApplyStream calls round-robin over `conns`, each sent its
    header message."""
    room = sum(c.max_streams for c in conns)
    if count > room:
        raise SystemExit(
            f"slow_peers: {count} idle streams do not fit in {len(conns)} "
            f"connections of {conns[0].max_streams} streams (server SETTINGS)"
            "; pass more --idle_connections")
    calls = []
    for i in range(count):
        conn = conns[i % len(conns)]
        call = conn.start_call(SERVICE + "ApplyStream", deadline_ms)
        await conn.send(call, message)
        calls.append(call)
        if i % 200 == 199:
            await asyncio.sleep(0)  # let the connections read (PINGs)
    return calls


async def trickle(conn, call, announce, interval, stop_at):
    """Announces an `announce`-byte message, then sends one byte every
    `interval` seconds until the call ends or `stop_at`."""
    await conn.send(call, raw_grpc.message_prefix(announce))
    while call.ended is None and time.time() < stop_at:
        await asyncio.sleep(interval)
        await conn.send(call, b"\0")


def summarize(calls, connections):
    ended = [c for c in calls if c.ended is not None]
    lifetimes = sorted(c.ended - c.opened for c in ended)
    outcomes = {}
    for c in calls:
        outcomes[c.outcome()] = outcomes.get(c.outcome(), 0) + 1
    summary = {"calls": len(calls), "connections": connections,
               "ended": len(ended), "outcomes": outcomes,
               "bytes_sent": sum(c.bytes_sent for c in calls),
               "end_times": sorted(round(c.ended, 3) for c in ended)}
    if calls:
        summary["opened_first"] = min(c.opened for c in calls)
        summary["opened_last"] = max(c.opened for c in calls)
    if ended:
        summary["first_end"] = min(c.ended for c in ended)
        summary["last_end"] = max(c.ended for c in ended)
        summary["lifetime_s"] = {"min": lifetimes[0],
                                 "median": statistics.median(lifetimes),
                                 "max": lifetimes[-1]}
    return summary


async def run(args):
    host, port = args.target.rsplit(":", 1)
    idle_conns = await connect(host, int(port), args.idle_connections
                               if args.idle_streams else 0)
    idle = await open_idle_streams(idle_conns, args.idle_streams,
                                   stream_header(args.idle_elements),
                                   args.deadline_ms)
    slow_conns = await connect(host, int(port), args.slow_senders)
    slow = [c.start_call(SERVICE + "Apply", args.deadline_ms)
            for c in slow_conns]
    ready = time.time()
    stop_at = ready + args.hold
    tasks = [asyncio.create_task(trickle(conn, call, args.announce_bytes,
                                         args.byte_interval, stop_at))
             for conn, call in zip(slow_conns, slow)]
    with open(args.ready_file, "w") as f:
        json.dump({"ready": ready, "slow": len(slow), "idle": len(idle)}, f)
    every = idle + slow
    while time.time() < stop_at and any(c.ended is None for c in every):
        await asyncio.sleep(0.25)
    result = {"ready": ready, "hold_s": args.hold,
              "pings_answered": sum(c.pings_answered
                                    for c in idle_conns + slow_conns),
              "slow": summarize(slow, len(slow_conns)),
              "idle": summarize(idle, len(idle_conns))}
    for t in tasks:
        t.cancel()
    for c in idle_conns + slow_conns:
        c.close()
    return result


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--target", required=True, help="host:port")
    p.add_argument("--slow_senders", type=int, default=64)
    p.add_argument("--announce_bytes", type=int, default=100_000_000)
    p.add_argument("--byte_interval", type=float, default=2.0)
    p.add_argument("--idle_streams", type=int, default=10_000)
    p.add_argument("--idle_connections", type=int, default=100)
    p.add_argument("--idle_elements", type=int, default=128,
                   help="float64 elements each idle stream's header declares")
    p.add_argument("--deadline_ms", type=int,
                   help="send this grpc-timeout with every call (the server "
                        "then ends them at their deadline; the tool's own "
                        "test); default: none, as an attacker would")
    p.add_argument("--hold", type=float, required=True,
                   help="seconds after the last call opened to wait for the "
                        "server to end every call")
    p.add_argument("--ready_file", required=True)
    p.add_argument("--out", required=True)
    args = p.parse_args()
    if args.idle_streams and args.idle_connections < 1:
        p.error("--idle_streams needs --idle_connections >= 1")
    try:
        result = asyncio.run(run(args))
    except (OSError, RuntimeError) as e:
        print(f"slow_peers: cannot open the calls: {e}", file=sys.stderr)
        return 1
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
