"""Client.shared_empty and calls on shared arrays against a live server with
--allow_shared_memory on a Unix socket, compared with NumPy.

Run by ctest for both implementations, as tensor_transform_test.py:
python_shm_native and python_shm_pure. The server's unary cap is 1 MiB: a
3 MiB shared array that a client sends unary gets through only because no
payload moves.
"""

import gc
import os
import subprocess
import sys
import tempfile
import time
import unittest

import grpc
import numpy as np

import tensor_transform as tt
from tensor_transform import tensor_transform_pb2 as pb
from live_server import LiveServer
from tensor_transform_test import (DTYPES, assert_same_bits, grad_reference,
                                   relu_reference, run_in_threads)

SEED = 20261130
CAP = 1 << 20
ALL_UNARY = {"unary_limit_bytes": 1 << 40, "stream_above_bytes": 1 << 40}


class SharedMemoryTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        cls.server = LiveServer(os.environ["TT_SERVER"],
                                "--allow_shared_memory",
                                f"--max_message_bytes={CAP}",
                                listen=f"unix:{cls.dir.name}/tt.sock")
        cls.client = tt.Client(cls.server.target, timeout=60)
        cls.channel = grpc.insecure_channel(cls.server.target)
        cls.rng = np.random.default_rng(SEED)
        print(f"seed {SEED}, native {tt.NATIVE}")

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        cls.channel.close()
        if cls.server.stop() != 0:
            raise AssertionError("server did not exit 0 on SIGTERM")
        cls.dir.cleanup()

    def random(self, dtype, shape):
        """Random bit patterns: NaN, inf, -0 and subnormals all occur."""
        dtype = np.dtype(dtype)
        raw = self.rng.integers(0, 256, int(np.prod(shape)) * dtype.itemsize,
                                dtype=np.uint8)
        return raw.view(dtype).reshape(shape)

    def shared(self, values, client=None):
        a = (client or self.client).shared_empty(values.shape, values.dtype)
        a[...] = values
        return a

    def regions(self):
        """The names of the regions the server holds."""
        status = self.channel.unary_unary(
            "/tensor_transform.v1.TensorTransform/SystemSharedMemoryStatus",
            request_serializer=pb.SystemSharedMemoryStatusRequest
            .SerializeToString,
            response_deserializer=pb.SystemSharedMemoryStatusResponse
            .FromString)
        return set(status(pb.SystemSharedMemoryStatusRequest()).regions)

    def assert_eventually_gone(self, names):
        """The server drops a lease's regions once it sees the call end."""
        for _ in range(100):
            if not names & self.regions():
                return
            time.sleep(0.05)
        self.fail(f"regions {names} still registered")

    def test_three_lines_from_numpy(self):
        x = self.rng.uniform(-1, 1, (500, 400))
        c = tt.Client(self.server.target)
        a = c.shared_empty((500, 400))
        a[:] = x
        self.assertIs(c.relu(a, out=a), a)
        assert_same_bits(self, a, relu_reference(x))
        self.assertEqual((a.dtype, a.flags.c_contiguous, a.flags.writeable),
                         (np.float64, True, True))
        c.close()

    def test_every_dtype_in_place_and_into_a_second_region(self):
        for dtype in DTYPES:
            with self.subTest(dtype=dtype):
                x, g = self.random(dtype, (33, 17)), self.random(dtype, (33, 17))
                a, b, h = self.shared(x), self.shared(x), self.shared(g)
                self.client.relu(a, out=b)
                assert_same_bits(self, b, relu_reference(x))
                assert_same_bits(self, a, x)
                self.client.relu_grad(a, upstream=h, out=b)
                assert_same_bits(self, b, grad_reference(x, g))
                self.client.relu_grad(a, upstream=h, out=h)
                assert_same_bits(self, h, grad_reference(x, g))
                self.client.relu(a, out=a)
                assert_same_bits(self, a, relu_reference(x))
                a[...] = x
                self.client.relu_grad(a, out=a)
                assert_same_bits(self, a, grad_reference(x))

    def test_bfloat16_bits_in_shared_memory(self):
        x = self.random(np.uint16, (300,))
        a = self.shared(x)
        self.client.relu(a, out=a, bfloat16=True)
        assert_same_bits(self, a, relu_reference(x, bfloat16=True))

    def test_moves_no_payload(self):
        # 3 MiB each: inline, a unary call would exceed the 1 MiB cap.
        x = self.rng.uniform(-1, 1, (1024, 384))
        g = self.rng.uniform(-1, 1, x.shape)
        with tt.Client(self.server.target, **ALL_UNARY) as c:
            a, b, h = self.shared(x, c), self.shared(x, c), self.shared(g, c)
            c.relu(a, out=b)
            assert_same_bits(self, b, relu_reference(x))
            c.relu_grad(a, upstream=h, out=b)
            assert_same_bits(self, b, grad_reference(x, g))
            y, info = c.relu(a, out=a, return_info=True)
            assert_same_bits(self, y, relu_reference(x))
            self.assertFalse(info.streamed)
            # Another client's shared array is plain memory to this one.
            self.assert_code(tt.StatusCode.RESOURCE_EXHAUSTED,
                             lambda: self.client_unary().relu(a, out=a))

    @unittest.skipUnless(tt.NATIVE, "the C++ client library's lease; grpcio "
                         "runs a stream on threads of its own")
    def test_a_region_adds_no_thread_to_the_caller(self):
        # A thread blocked on the lease's completion queue would take part in
        # gRPC's polling and read other calls' replies, waking their callers
        # (the C++ client's lease once did, through the callback API's
        # threads). A fresh process, so that no earlier test's threads count.
        script = """
import os, sys
import numpy as np
import tensor_transform as tt
def threads():
    return len(os.listdir("/proc/self/task"))
with tt.Client(sys.argv[1], timeout=60) as c:
    x = np.linspace(-1, 1, 128)
    c.relu(x)  # the channel and its own threads are up
    before = threads()
    a = c.shared_empty(x.shape)
    a[...] = x
    for _ in range(20):
        c.relu(a, out=a)
    print(before, threads(), np.array_equal(a, np.maximum(x, 0)))
"""
        out = subprocess.run([sys.executable, "-c", script,
                              self.server.target], capture_output=True,
                             text=True, check=True, timeout=60).stdout
        before, after, right = out.split()
        self.assertEqual(after, before, out)
        self.assertEqual(right, "True")

    def client_unary(self):
        if not hasattr(self, "_unary"):
            self._unary = tt.Client(self.server.target, **ALL_UNARY)
            self.addCleanup(self._unary.close)
        return self._unary

    def assert_code(self, code, call):
        with self.assertRaises(tt.TensorTransformError) as caught:
            call()
        self.assertEqual(caught.exception.code, code)

    def test_mixes_shared_arrays_with_plain_ones(self):
        x = self.random(np.float32, (3, 1000))
        a = self.shared(x)
        assert_same_bits(self, self.client.relu(a), relu_reference(x))
        out = self.client.shared_empty(x.shape, x.dtype)
        self.client.relu(x, out=out)
        assert_same_bits(self, out, relu_reference(x))
        plain = np.empty_like(x)
        self.client.relu_grad(a, out=plain)
        assert_same_bits(self, plain, grad_reference(x))
        assert_same_bits(self, a, x)
        # Above the cap: the plain side streams.
        big = self.rng.uniform(-1, 1, (512, 512))
        b = self.shared(big)
        assert_same_bits(self, self.client.relu(b), relu_reference(big))

    def test_views_of_a_shared_array(self):
        x = self.random(np.int16, (10, 100))
        a = self.shared(x)
        self.client.relu(a[2:5], out=a[2:5])
        self.client.relu_grad(a[6:8], out=a[8:])
        want = x.copy()
        want[2:5] = relu_reference(x[2:5])
        want[8:] = grad_reference(x[6:8])
        assert_same_bits(self, a, want)

    def test_eight_threads_share_one_client(self):
        def work(index, results):
            rng = np.random.default_rng(SEED + index)
            # One region each (a lease holds 16 by default), three operands
            # in it.
            x, g, out = self.client.shared_empty((3, 64, 96))
            for call in range(12):
                xs = rng.uniform(-1, 1, x.shape)
                gs = rng.uniform(-1, 1, x.shape)
                x[:], g[:] = xs, gs
                self.client.relu(x, out=out)
                ok = np.array_equal(out, relu_reference(xs))
                self.client.relu_grad(x, upstream=g, out=out)
                ok &= np.array_equal(out, grad_reference(xs, gs))
                self.client.relu(x, out=x)
                ok &= np.array_equal(x, relu_reference(xs))
                results[(index, call)] = ok

        run_in_threads(self, work, threads=8, calls=12)

    def test_regions_go_with_their_arrays_and_their_client(self):
        before = self.regions()
        c = tt.Client(self.server.target)
        a = c.shared_empty(1000)
        held = self.regions() - before
        self.assertEqual(len(held), 1)
        del a
        gc.collect()
        self.assertEqual(self.regions() & held, set())
        b = c.shared_empty(1000)
        view = b[3:]
        del b
        gc.collect()
        held = self.regions() - before
        self.assertEqual(len(held), 1)  # the view keeps it
        view[:] = 2.5
        c.close()
        self.assert_eventually_gone(held)
        self.assertTrue((view == 2.5).all())  # still this process's memory
        c = tt.Client(self.server.target)
        kept = c.shared_empty(10)
        held = self.regions() - before
        del c
        gc.collect()
        self.assert_eventually_gone(held)
        kept[:] = 1

    def test_refuses_dtypes_the_service_lacks(self):
        self.assert_code(tt.StatusCode.INVALID_ARGUMENT,
                         lambda: self.client.shared_empty(3, np.complex64))

    def test_server_without_shared_memory_refuses_with_its_code(self):
        with LiveServer(os.environ["TT_SERVER"]) as off, \
                tt.Client(off.target) as c:
            self.assert_code(tt.StatusCode.FAILED_PRECONDITION,
                             lambda: c.shared_empty((4, 4)))
            off.stop()


if __name__ == "__main__":
    unittest.main()
