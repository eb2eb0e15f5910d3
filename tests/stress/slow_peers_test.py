"""The raw HTTP/2 peers of scripts/stress.sh against a real server: their
calls are accepted as valid gRPC (a malformed stream header would end with
INVALID_ARGUMENT at once), held open, and the tool reads how the server ends
them. A grpc-timeout on every call (--deadline_ms) makes the server end them
on its own, so the test does not depend on --receive_timeout.

Needs TT_SERVER (the server binary) and PYTHONPATH with
tensor_transform_pb2; run by ctest (tests/stress/CMakeLists.txt).
"""

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python"))
from live_server import LiveServer  # noqa: E402
import raw_grpc  # noqa: E402
import tensor_transform_pb2 as pb  # noqa: E402

PEERS = os.path.join(HERE, "slow_peers.py")


def run_peers(target, *flags):
    """(exit status, stderr, result JSON or None) of one slow_peers run."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out.json")
        done = subprocess.run(
            [sys.executable, PEERS, f"--target={target}",
             f"--ready_file={os.path.join(tmp, 'ready.json')}",
             f"--out={out}", *flags],
            capture_output=True, text=True, timeout=90)
        result = None
        if os.path.exists(out):
            with open(out) as f:
                result = json.load(f)
        return done.returncode, done.stderr, result


class SlowPeersTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = LiveServer(os.environ["TT_SERVER"],
                                "--max_concurrent_streams=100")

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_every_call_held_until_the_server_ends_it(self):
        status, err, result = run_peers(
            self.server.target, "--slow_senders=3", "--idle_streams=150",
            "--idle_connections=2", "--deadline_ms=1500", "--hold=60")
        self.assertEqual(status, 0, err)
        for group, calls in (("slow", 3), ("idle", 150)):
            g = result[group]
            self.assertEqual(g["calls"], calls)
            self.assertEqual(g["ended"], calls)
            self.assertEqual(list(g["outcomes"]), ["DEADLINE_EXCEEDED: "
                                                   "Deadline Exceeded"])
            self.assertEqual(len(g["end_times"]), calls)
        # Announced 100 MB, then bytes; one header message per idle stream.
        self.assertGreaterEqual(result["slow"]["bytes_sent"], 3 * 5)
        self.assertLess(result["slow"]["bytes_sent"], 3 * 100_000_000)

    def test_refuses_more_streams_than_the_server_settings_allow(self):
        status, err, result = run_peers(
            self.server.target, "--slow_senders=0", "--idle_streams=101",
            "--idle_connections=1", "--hold=1")
        self.assertEqual(status, 1)
        self.assertIn("connections of 100 streams (server SETTINGS)", err)
        self.assertIsNone(result)


async def torn_messages(port, calls):
    """Peers that stop in the middle of a message: half the calls half-close
    there, the others' connections close. The server's reader then sees a
    request that never became whole, and must neither crash nor answer it
    as if it had. Returns the statuses of the half-closed calls."""
    header = pb.StreamRequest(header=pb.StreamHeader(
        dtype=pb.FLOAT64, shape=[1000])).SerializeToString()
    statuses = []
    for i in range(calls):
        conn = await raw_grpc.RawGrpcConnection.open("127.0.0.1", port)
        stream = i % 4 >= 2
        rpc = "ApplyStream" if stream else "Apply"
        call = conn.start_call(f"/tensor_transform.v1.TensorTransform/{rpc}")
        first = raw_grpc.framed(header) if stream else b""
        # 8000 bytes announced, 100 sent.
        await conn.send(call, first + raw_grpc.message_prefix(8000) +
                        b"\x01" * 100)
        if i % 2 == 0:
            conn.half_close(call)
            for _ in range(200):
                if call.ended is not None:
                    break
                await asyncio.sleep(0.01)
            statuses.append(call.grpc_status)
        conn.close()
    return statuses


class TornMessagesTest(unittest.TestCase):
    def test_server_survives_requests_that_end_mid_message(self):
        server = LiveServer(os.environ["TT_SERVER"])
        try:
            statuses = asyncio.run(torn_messages(server.port, 40))
            # Never OK: a torn request is no request.
            self.assertEqual(len(statuses), 20)
            self.assertNotIn(0, statuses)
            self.assertNotIn(None, statuses)
            # The server still serves whole requests.
            import grpc
            import tensor_transform_pb2_grpc as pb_grpc
            with grpc.insecure_channel(server.target) as channel:
                stub = pb_grpc.TensorTransformStub(channel)
                x = struct_doubles([-1.0, 2.0])
                reply = stub.Apply(pb.ApplyRequest(tensor=pb.Tensor(
                    dtype=pb.FLOAT64, shape=[2], data=x)), timeout=10)
                self.assertEqual(reply.tensor.data, struct_doubles([0.0, 2.0]))
        finally:
            server.stop()


def struct_doubles(values):
    import struct
    return struct.pack(f"<{len(values)}d", *values)


if __name__ == "__main__":
    unittest.main()
