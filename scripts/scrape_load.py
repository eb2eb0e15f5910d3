#!/usr/bin/env python3
"""Scrape latency under concurrent scrapers: N threads, each GETting PATH
over a fresh connection M times, as a Prometheus or probe fleet would.

  scripts/scrape_load.py --port=9090 --scrapers=50 --requests=20 [--path=/metrics]
"""
import argparse
import socket
import statistics
import threading
import time


def get(port, path):
    start = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(f"GET {path} HTTP/1.0\r\n\r\n".encode())
        reply = b""
        while chunk := s.recv(65536):
            reply += chunk
    ok = reply.startswith(b"HTTP/1.") and reply[9:12] == b"200"
    return time.perf_counter() - start, ok


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--scrapers", type=int, default=50)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--path", default="/metrics")
    args = parser.parse_args()
    latencies, failures, lock = [], [0], threading.Lock()
    barrier = threading.Barrier(args.scrapers)

    def scraper():
        barrier.wait()
        for _ in range(args.requests):
            try:
                seconds, ok = get(args.port, args.path)
            except OSError:
                seconds, ok = 0, False
            with lock:
                if ok:
                    latencies.append(seconds)
                else:
                    failures[0] += 1

    threads = [threading.Thread(target=scraper) for _ in range(args.scrapers)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    q = statistics.quantiles(latencies, n=100)
    print(f"{args.scrapers} scrapers x {args.requests}: {len(latencies)} ok, "
          f"{failures[0]} failed in {wall:.2f} s ({len(latencies) / wall:.0f}/s); "
          f"latency ms p50 {q[49] * 1e3:.1f} p90 {q[89] * 1e3:.1f} "
          f"p99 {q[98] * 1e3:.1f} max {max(latencies) * 1e3:.1f}")


if __name__ == "__main__":
    main()
