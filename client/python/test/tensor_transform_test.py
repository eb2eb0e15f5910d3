"""tensor_transform.Client against a live server, compared with NumPy.

Run by ctest twice, with PYTHONPATH holding build/python and tests/python and
TT_SERVER naming the server binary: python_client_native (TT_EXPECT_NATIVE=1)
and python_client_pure (TENSOR_TRANSFORM_PURE_PYTHON=1, TT_EXPECT_NATIVE=0).
The server's unary cap is 1 MiB, so a 3 MiB array must stream.
"""

import os
import threading
import unittest

import numpy as np

import tensor_transform as tt
from live_server import LiveServer

SEED = 20261128
CAP = 1 << 20
DTYPES = (np.float16, np.float32, np.float64, np.int8, np.int16, np.int32,
          np.int64)
BF16_ONE = 0x3F80


def values(x, bfloat16=False):
    """x's values: bfloat16 bits widened to the float32 they are the top of."""
    return (x.astype(np.uint32) << 16).view(np.float32) if bfloat16 else x


def relu_reference(x, bfloat16=False):
    """The contract: x where x > 0 or NaN (same bits), else +0."""
    v = values(x, bfloat16)
    keep = (v > 0) | np.isnan(v) if v.dtype.kind == "f" else v > 0
    return np.where(keep, x, np.zeros_like(x))


def grad_reference(x, upstream=None, bfloat16=False):
    """upstream (default: ones) where x > 0, else +0 (NaN -> +0)."""
    one = np.array(BF16_ONE if bfloat16 else 1, x.dtype)
    g = np.broadcast_to(one, x.shape) if upstream is None else upstream
    return np.where(values(x, bfloat16) > 0, g, np.zeros_like(x))


def assert_same_bits(test, got, want):
    test.assertEqual((got.dtype, got.shape), (want.dtype, want.shape))
    bits = np.dtype(f"u{want.dtype.itemsize}")
    test.assertTrue(np.array_equal(got.view(bits), want.view(bits)),
                    f"got {got!r}, want {want!r}")


def run_in_threads(test, work, threads, calls):
    """Runs work(index, results) on `threads` threads at once, each
    recording results[(index, call)] = whether a call's result was right;
    fails `test` on an exception in any thread, and unless every one of the
    threads * calls results is there and right."""
    failures, results = [], {}

    def guarded(index):
        try:
            work(index, results)
        except Exception as e:  # reported below, with the thread
            failures.append((index, e))

    running = [threading.Thread(target=guarded, args=(i,))
               for i in range(threads)]
    for t in running:
        t.start()
    for t in running:
        t.join()
    test.assertEqual(failures, [])
    test.assertEqual(len(results), threads * calls)
    test.assertTrue(all(results.values()), results)


class ClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = LiveServer(os.environ["TT_SERVER"],
                                f"--max_message_bytes={CAP}")
        cls.client = tt.Client(cls.server.target, timeout=60)
        cls.rng = np.random.default_rng(SEED)
        print(f"seed {SEED}, native {tt.NATIVE}")

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        if cls.server.stop() != 0:
            raise AssertionError("server did not exit 0 on SIGTERM")

    def random(self, dtype, shape):
        """Random bit patterns: NaN, inf, -0 and subnormals all occur."""
        dtype = np.dtype(dtype)
        raw = self.rng.integers(0, 256, int(np.prod(shape)) * dtype.itemsize,
                                dtype=np.uint8)
        return raw.view(dtype).reshape(shape)

    def assert_code(self, code, call):
        with self.assertRaises(tt.TensorTransformError) as caught:
            call()
        self.assertEqual(caught.exception.code, code)
        return caught.exception

    def test_implementation_is_the_expected_one(self):
        self.assertEqual(tt.NATIVE, os.environ["TT_EXPECT_NATIVE"] == "1")

    def test_relu_every_dtype_method_and_output(self):
        for dtype in DTYPES:
            x = self.random(dtype, (33, 17))
            want = relu_reference(x)
            for method in (None, *tt.METHODS):
                with self.subTest(dtype=dtype, method=method):
                    assert_same_bits(self, self.client.relu(x, method), want)
                    out = np.empty_like(x)
                    self.assertIs(self.client.relu(x, method, out=out), out)
                    assert_same_bits(self, out, want)
                    y = x.copy()
                    self.assertIs(self.client.relu(y, method, out=y), y)
                    assert_same_bits(self, y, want)

    def test_relu_grad_every_dtype_and_output(self):
        for dtype in DTYPES:
            x, g = self.random(dtype, (5, 41)), self.random(dtype, (5, 41))
            with self.subTest(dtype=dtype):
                assert_same_bits(self, self.client.relu_grad(x),
                                 grad_reference(x))
                assert_same_bits(self, self.client.relu_grad(x, g),
                                 grad_reference(x, g))
                y, h = x.copy(), g.copy()
                self.client.relu_grad(y, h, out=y)
                assert_same_bits(self, y, grad_reference(x, g))
                y, h = x.copy(), g.copy()
                self.client.relu_grad(y, h, out=h)
                assert_same_bits(self, h, grad_reference(x, g))

    def test_bfloat16_travels_as_uint16_bits(self):
        x = np.array([0x3F80, 0xBF80, 0x7FC1, 0x8000], np.uint16)  # 1 -1 NaN -0
        assert_same_bits(self, self.client.relu(x, bfloat16=True),
                         np.array([0x3F80, 0, 0x7FC1, 0], np.uint16))
        x = self.random(np.uint16, (300,))
        g = self.random(np.uint16, (300,))
        assert_same_bits(self, self.client.relu(x, bfloat16=True),
                         relu_reference(x, bfloat16=True))
        assert_same_bits(self, self.client.relu_grad(x, g, bfloat16=True),
                         grad_reference(x, g, bfloat16=True))
        assert_same_bits(self, self.client.relu_grad(x, bfloat16=True),
                         grad_reference(x, bfloat16=True))

    def test_copies_odd_inputs_once_and_leaves_them_unchanged(self):
        base = self.random(np.float64, (40, 30))
        for name, x in (("strided", base[:, ::3]), ("fortran",
                        np.asfortranarray(base)),
                        ("big-endian", base.astype(">f8")),
                        ("read-only", np.frombuffer(base.tobytes(),
                                                    np.float64))):
            with self.subTest(name):
                before = x.copy()
                y = self.client.relu(x)
                assert_same_bits(self, y, relu_reference(before.astype("<f8")))
                assert_same_bits(self, x, before)
                self.assertTrue(y.flags.c_contiguous and y.flags.writeable)

    def test_out_partly_overlapping_x_gets_the_result_of_x(self):
        buffer = self.random(np.float32, (1000,))
        x = buffer[:600].copy()
        self.client.relu(buffer[:600], out=buffer[400:])
        assert_same_bits(self, buffer[400:], relu_reference(x))

    def test_keeps_scalars_and_empty_arrays(self):
        assert_same_bits(self, self.client.relu(np.float64(-2.5)),
                         np.array(0.0))
        assert_same_bits(self, self.client.relu(np.zeros((0, 3), np.int16)),
                         np.zeros((0, 3), np.int16))

    def test_streams_array_larger_than_unary_cap(self):
        x = self.rng.uniform(-0.5, 0.5, (1024, 384))  # 3 MiB > 1 MiB cap
        g = self.rng.uniform(-1, 1, x.shape)
        self.assertGreater(x.nbytes, self.client.describe().max_message_bytes)
        y, info = self.client.relu(x, "masked", return_info=True)
        assert_same_bits(self, y, relu_reference(x))
        self.assertEqual((info.method, info.streamed), ("masked", True))
        y = x.copy()
        self.client.relu(y, out=y)
        assert_same_bits(self, y, relu_reference(x))
        assert_same_bits(self, self.client.relu_grad(x, g),
                         np.where(x > 0, g, 0.0))
        y = x.copy()
        self.client.relu_grad(y, g, out=y)
        assert_same_bits(self, y, np.where(x > 0, g, 0.0))

    def test_streams_large_array_below_the_cap(self):
        with tt.Client(self.server.target, unary_limit_bytes=1 << 40) as c:
            x = self.rng.uniform(-1, 1, 3 << 20)  # 24 MiB > 8 MiB
            y, info = c.relu(x, return_info=True)
            self.assertTrue(info.streamed)
            assert_same_bits(self, y, relu_reference(x))

    def test_reuses_memory_of_freed_results_only(self):
        x1, x2 = (self.rng.uniform(-1, 1, 1 << 21) for _ in range(2))  # 16 MiB
        y = self.client.relu(x1)
        address = y.ctypes.data
        del y
        y = self.client.relu(x2)
        self.assertEqual(y.ctypes.data, address)  # the freed result's memory
        kept = y[5:]
        del y
        y = self.client.relu(x1)  # kept holds the memory: not reused
        self.assertNotEqual(y.ctypes.data, address)
        assert_same_bits(self, kept, relu_reference(x2)[5:])
        assert_same_bits(self, y, relu_reference(x1))

    def test_streams_in_small_chunks(self):
        with tt.Client(self.server.target, unary_limit_bytes=0,
                       chunk_bytes=1000) as client:
            x = self.random(np.int32, (7, 301))
            g = self.random(np.int32, (7, 301))
            assert_same_bits(self, client.relu(x), relu_reference(x))
            assert_same_bits(self, client.relu_grad(x, g),
                             grad_reference(x, g))

    def test_reports_the_server_compute_time_and_method(self):
        x = self.random(np.float32, (64, 64))
        y, info = self.client.relu(x, "abs", return_info=True)
        assert_same_bits(self, y, relu_reference(x))
        self.assertEqual((info.method, info.streamed), ("abs", False))
        self.assertGreaterEqual(info.server_compute_ns, 0)
        _, info = self.client.relu_grad(x, return_info=True)
        self.assertIn(info.method, tt.METHODS)

    def test_describes_the_server(self):
        d = self.client.describe()
        self.assertEqual(d.max_message_bytes, CAP)
        self.assertIn("float64", d.dtypes)
        self.assertIn("bfloat16", d.dtypes)
        self.assertIn("relu", d.transforms)
        self.assertEqual(set(d.rpc_methods["Apply"]), set(tt.METHODS))
        self.assertIn(d.default_method, tt.METHODS)

    def test_eight_threads_share_one_client(self):
        def work(index, results):
            rng = np.random.default_rng(SEED + index)
            for call in range(6):
                shape = (1024, 96 * (1 + call % 3))  # unary and streamed
                x = rng.uniform(-1, 1, shape)
                g = rng.uniform(-1, 1, shape)
                ok = (np.array_equal(self.client.relu(x),
                                     relu_reference(x)) and
                      np.array_equal(self.client.relu_grad(x, g),
                                     np.where(x > 0, g, 0.0)))
                results[(index, call)] = ok

        run_in_threads(self, work, threads=8, calls=6)

    def test_server_rejection_carries_its_status_code(self):
        # Sent unary whatever its size: the server's cap answers.
        with tt.Client(self.server.target, unary_limit_bytes=1 << 40,
                       stream_above_bytes=1 << 40) as client:
            self.assert_code(tt.StatusCode.RESOURCE_EXHAUSTED,
                             lambda: client.relu(np.zeros(CAP, np.float32)))

    def test_deadline_exceeded(self):
        x = np.zeros(3 * CAP // 8)
        with self.server.paused():  # nothing can answer in time
            self.assert_code(tt.StatusCode.DEADLINE_EXCEEDED,
                             lambda: self.client.relu(x, timeout=0.2))
            with tt.Client(self.server.target, timeout=0.2) as client:
                self.assert_code(tt.StatusCode.DEADLINE_EXCEEDED,
                                 client.describe)
        with tt.Client(self.server.target, timeout=0.2) as client:
            assert_same_bits(self, client.relu(x, timeout=60), x)

    def test_unreachable_server_is_unavailable(self):
        with LiveServer(os.environ["TT_SERVER"]) as gone:
            target = gone.target
            self.assertEqual(gone.stop(), 0)
        with tt.Client(target, timeout=10) as client:
            self.assert_code(tt.StatusCode.UNAVAILABLE, client.describe)
            self.assert_code(tt.StatusCode.UNAVAILABLE,
                             lambda: client.relu(np.zeros(3)))

    def test_refuses_bad_input_before_sending(self):
        x = np.zeros((3, 4))
        for name, call in (
                ("dtype", lambda: self.client.relu(np.zeros(3, np.complex64))),
                ("method", lambda: self.client.relu(x, method="fast")),
                ("bfloat16", lambda: self.client.relu(x, bfloat16=True)),
                ("upstream", lambda: self.client.relu_grad(x, np.zeros(4))),
                ("out shape", lambda: self.client.relu(x, out=np.zeros(12))),
                ("out dtype", lambda: self.client.relu(
                    x, out=np.zeros((3, 4), np.float32))),
                ("out layout", lambda: self.client.relu(
                    x, out=np.zeros((4, 3)).T)),
                ("out read-only", lambda: self.client.relu(
                    x, out=np.frombuffer(bytes(96)).reshape(3, 4))),
                ("out list", lambda: self.client.relu(x, out=[0] * 12))):
            with self.subTest(name):
                self.assert_code(tt.StatusCode.INVALID_ARGUMENT, call)


if __name__ == "__main__":
    unittest.main()
