"""nginx (deploy/nginx/nginx.conf) as an L7 gRPC balancer over three replicas.

Starts three tensor_transform_server processes on free loopback ports and a
real nginx in front of them (as the current user, config and prefix in a
temporary directory, listening on loopback only), drives load through it
with `tensor_transform_client load`, and kills one replica mid-run. Checks:
every replica served a share of the calls (from nginx's access log, which
names the upstream of each call), the run finished, every completed call's
result was verified against the reference, and how many calls failed and
with which status says why. Prints that account.

Environment: TT_ROOT (the repository), TT_SERVER, TT_CLIENT (binaries).
"""

import collections
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
from pathlib import Path

from live_server import LiveServer

ROOT = Path(os.environ["TT_ROOT"])
REPLICAS = 3
CALLS = 600
# One access-log line per call: "... grpc_status=0 upstream=127.0.0.1:PORT ..."
ACCESS = re.compile(r"grpc_status=(\S*) upstream=(\S+)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Nginx:
    """deploy/nginx/nginx.conf with loopback upstreams and listen address."""

    def __init__(self, upstream_ports):
        self.prefix = Path(tempfile.mkdtemp(prefix="tt-nginx-"))
        self.port = free_port()
        conf = (ROOT / "deploy/nginx/nginx.conf").read_text()
        conf, n = re.subn(r"listen 8080 ", f"listen 127.0.0.1:{self.port} ",
                          conf)
        assert n == 1, "nginx.conf: expected one 'listen 8080' to rewrite"
        (self.prefix / "nginx.conf").write_text(conf)
        (self.prefix / "upstreams.conf").write_text("".join(
            f"server 127.0.0.1:{p} max_fails=1 fail_timeout=30s;\n"
            for p in upstream_ports))
        self.access_log = self.prefix / "access.log"
        self.error_log = self.prefix / "error.log"
        # As root, nginx would hand its workers to `nobody`: keep them ours.
        directives = "daemon off;" + (" user root;" if os.geteuid() == 0
                                      else "")
        with self.access_log.open("w") as out, self.error_log.open("w") as err:
            self.process = subprocess.Popen(
                ["nginx", "-p", f"{self.prefix}/", "-c",
                 str(self.prefix / "nginx.conf"), "-g", directives],
                stdout=out, stderr=err)
        self.target = f"127.0.0.1:{self.port}"
        self._wait_listening()

    def _wait_listening(self):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.error_log.read_text()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), 1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("nginx did not listen within 10 s")

    def calls(self):
        """(grpc_status, upstream) of every call logged so far."""
        return ACCESS.findall(self.access_log.read_text())

    def stop(self):
        self.process.send_signal(signal.SIGQUIT)  # graceful
        status = self.process.wait(timeout=10)
        shutil.rmtree(self.prefix, ignore_errors=True)
        return status


class NginxBalancerTest(unittest.TestCase):
    def test_spreads_calls_and_survives_losing_a_replica(self):
        replicas = [LiveServer(os.environ["TT_SERVER"])
                    for _ in range(REPLICAS)]
        nginx = Nginx([r.port for r in replicas])
        try:
            report, killed = self.run_load_killing_one(nginx, replicas)
            served = self.account(nginx, replicas, report, killed)
        finally:
            nginx_status = nginx.stop()
            statuses = [r.stop() for r in replicas if r.process.poll() is None]
        self.assertEqual(nginx_status, 0)
        self.assertEqual(statuses, [0] * (REPLICAS - 1))
        for replica in replicas:
            self.assertGreater(served[replica.target], 0,
                               f"replica {replica.target} served no call")

    def run_load_killing_one(self, nginx, replicas):
        """Starts the load, kills a replica once a third of the calls are
        through, and returns the client's JSON report."""
        load = subprocess.Popen(
            [os.environ["TT_CLIENT"], "load", f"--target={nginx.target}",
             f"--requests={CALLS}", "--concurrency=4", "--shape=128x512",
             "--dtype=float32", "--rpc=apply,gradient", "--mode=unary",
             "--verify=true", "--max_error_rate=0.2", "--format=json"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        killed = replicas[1]
        deadline = time.monotonic() + 60
        while len(nginx.calls()) < CALLS // 3 and load.poll() is None:
            self.assertLess(time.monotonic(), deadline, "load made no progress")
            time.sleep(0.01)
        killed.kill()
        killed_at = len(nginx.calls())
        self.assertIsNone(load.poll(), "the run ended before the kill")
        out, err = load.communicate(timeout=60)
        self.assertEqual(load.returncode, 0, f"load failed: {err}")
        print(f"killed {killed.target} (SIGKILL) after {killed_at} calls")
        return json.loads(out)["levels"][0], killed

    def account(self, nginx, replicas, report, killed):
        """Prints and checks who served what; returns calls served (gRPC
        status 0) per replica."""
        calls = nginx.calls()
        served = collections.Counter(up for status, up in calls if status == "0")
        for replica in replicas:
            note = " (killed mid-run)" if replica is killed else ""
            print(f"{replica.target}: {served[replica.target]} calls{note}")
        failed = [(s, up) for s, up in calls if s != "0"]
        print(f"nginx: {len(calls)} calls, {len(failed)} failed "
              f"(grpc_status, upstream): "
              f"{collections.Counter(failed).most_common()}")
        print(f"client: {report['calls']} calls, {report['errors']} failed, "
              f"{report['wrong_results']} wrong results; status codes "
              f"{report['status_codes']}; errors {report['error_messages']}")
        # The run finished, and every call that completed was verified.
        self.assertEqual(report["calls"], CALLS)
        self.assertEqual(report["wrong_results"], 0)
        self.assertEqual(sum(report["status_codes"].values()), CALLS)
        self.assertEqual(report["status_codes"].get("OK", 0),
                         CALLS - report["errors"])
        return served


if __name__ == "__main__":
    unittest.main()
