"""tensor_transform.Client against a live server, compared with NumPy.

Run by ctest (python_client) with TT_SERVER naming the server binary and
PYTHONPATH holding the generated stubs, this directory and tests/python.
The server's unary cap is 1 MiB, so a 3 MiB array must stream.
"""

import os
import unittest

import grpc
import numpy as np

import tensor_transform as tt
from live_server import LiveServer

SEED = 20261128
CAP = 1 << 20


def relu_reference(x):
    """The contract: x where x > 0 or NaN, else +0."""
    keep = x > 0
    if x.dtype.kind == "f":
        keep |= np.isnan(x)
    return np.where(keep, x, np.zeros_like(x))


def assert_same_bits(test, got, want):
    test.assertEqual((got.dtype, got.shape), (want.dtype, want.shape))
    bits = np.dtype(f"u{want.dtype.itemsize}")
    test.assertTrue(np.array_equal(got.view(bits), want.view(bits)),
                    f"got {got!r}, want {want!r}")


class ClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = LiveServer(os.environ["TT_SERVER"],
                                f"--max_message_bytes={CAP}")
        cls.client = tt.Client(cls.server.target, timeout=60)
        cls.rng = np.random.default_rng(SEED)
        print(f"seed {SEED}")

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

    def test_relu_matches_numpy_for_every_dtype_and_method(self):
        for dtype in (np.float16, np.float32, np.float64, np.int8, np.int16,
                      np.int32, np.int64):
            x = self.random(dtype, (33, 17))
            for method in tt.METHODS:
                for in_place in (False, True):
                    with self.subTest(dtype=dtype, method=method,
                                      in_place=in_place):
                        assert_same_bits(self, self.client.relu(
                            x, method=method, in_place=in_place),
                            relu_reference(x))

    def test_gradient_matches_numpy(self):
        x = self.random(np.float32, (4, 5, 6))
        g = self.random(np.float32, x.shape)
        assert_same_bits(self, self.client.gradient(x),
                         (x > 0).astype(np.float32))
        assert_same_bits(self, self.client.gradient(x, g),
                         np.where(x > 0, g, np.float32(0)))

    def test_keeps_scalars_and_empty_arrays(self):
        assert_same_bits(self, self.client.relu(np.float64(-2.5)),
                         np.array(0.0))
        assert_same_bits(self, self.client.relu(np.zeros((0, 3), np.int16)),
                         np.zeros((0, 3), np.int16))

    def test_converts_big_endian_input(self):
        x = np.array([-1.5, 2.25, -0.0], dtype=">f8")
        np.testing.assert_array_equal(self.client.relu(x), [0.0, 2.25, 0.0])

    def test_bfloat16_travels_as_uint16_bits(self):
        x = np.array([0x3F80, 0xBF80, 0x7FC1, 0x8000], np.uint16)  # 1 -1 NaN -0
        assert_same_bits(self, self.client.relu(x, bfloat16=True),
                         np.array([0x3F80, 0, 0x7FC1, 0], np.uint16))

    def test_streams_array_larger_than_unary_cap(self):
        x = self.rng.uniform(-0.5, 0.5, (1024, 384))  # 3 MiB > 1 MiB cap
        g = self.rng.uniform(-1, 1, x.shape)
        self.assertGreater(x.nbytes, self.client.describe().max_message_bytes)
        assert_same_bits(self, self.client.relu(x), relu_reference(x))
        assert_same_bits(self, self.client.relu(x, method="masked",
                                                in_place=True),
                         relu_reference(x))
        assert_same_bits(self, self.client.gradient(x, g),
                         np.where(x > 0, g, 0.0))

    def test_streams_in_small_chunks(self):
        client = tt.Client(self.server.target, unary_limit_bytes=0,
                           chunk_bytes=1000)
        x = self.random(np.int32, (7, 301))
        assert_same_bits(self, client.relu(x), relu_reference(x))
        client.close()

    def test_server_rejection_carries_its_status_code(self):
        # Sent unary whatever its size: the server's cap answers.
        client = tt.Client(self.server.target, unary_limit_bytes=1 << 40)
        with self.assertRaises(tt.TensorTransformError) as caught:
            client.relu(np.zeros(CAP, np.float32))
        self.assertEqual(caught.exception.code,
                         grpc.StatusCode.RESOURCE_EXHAUSTED)
        client.close()

    def test_unreachable_server_is_unavailable(self):
        with LiveServer(os.environ["TT_SERVER"]) as gone:
            target = gone.target
            self.assertEqual(gone.stop(), 0)
        with tt.Client(target, timeout=10) as client:
            with self.assertRaises(tt.TensorTransformError) as caught:
                client.describe()
        self.assertEqual(caught.exception.code, grpc.StatusCode.UNAVAILABLE)

    def test_refuses_bad_input_before_sending(self):
        for call in (lambda: self.client.relu(np.zeros(3, np.complex64)),
                     lambda: self.client.relu(np.zeros(3), method="fast"),
                     lambda: self.client.relu(np.zeros(3), bfloat16=True),
                     lambda: self.client.gradient(np.zeros(3), np.zeros(4))):
            with self.assertRaises(tt.TensorTransformError) as caught:
                call()
            self.assertEqual(caught.exception.code,
                             grpc.StatusCode.INVALID_ARGUMENT)


if __name__ == "__main__":
    unittest.main()
