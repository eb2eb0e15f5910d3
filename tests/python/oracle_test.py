"""NumPy as an external oracle for a live tensor_transform_server.

Starts the server binary named by $TT_SERVER on a free loopback port, calls
every RPC through Python stubs generated at build time (PYTHONPATH), and
compares each result bit for bit with NumPy's evaluation of the contract:
    relu(x) = x where x > 0 or x is NaN (same bits), else +0
    gradient(x) = 1 where x > 0 else +0; gradient(x, g) = g where x > 0 else +0
"""

import os
import re
import subprocess
import unittest

import grpc
import numpy as np

import tensor_transform_pb2 as pb
import tensor_transform_pb2_grpc as pb_grpc

SEED = 20261127
METHODS = [pb.MAXIMUM, pb.MULTIPLY, pb.ABS, pb.MASKED, pb.METHOD_UNSPECIFIED]
# Wire dtype -> NumPy storage dtype; bfloat16 travels as its uint16 bits.
DTYPES = {
    pb.FLOAT32: np.float32, pb.FLOAT64: np.float64, pb.FLOAT16: np.float16,
    pb.BFLOAT16: np.uint16, pb.INT8: np.int8, pb.INT16: np.int16,
    pb.INT32: np.int32, pb.INT64: np.int64,
}
BITS = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}


def values(dtype):
    """NumPy view of the element values, for comparisons (bfloat16 widened)."""
    return lambda a: ((np.asarray(a, np.uint32) << np.uint32(16))
                      .view(np.float32) if dtype == pb.BFLOAT16 else a)


def expected_relu(dtype, x):
    v = values(dtype)(x)
    keep = (v > 0) | (np.isnan(v) if v.dtype.kind == "f" else False)
    return np.where(keep, x, np.zeros_like(x))


def expected_gradient(dtype, x, g=None):
    one = np.array(0x3F80, np.uint16) if dtype == pb.BFLOAT16 else x.dtype.type(1)
    upstream = np.full_like(x, one) if g is None else g
    return np.where(values(dtype)(x) > 0, upstream, np.zeros_like(x))


def random_array(dtype, shape, rng):
    """Random bit patterns: every NaN, inf, subnormal and -0 can appear."""
    storage = np.dtype(DTYPES[dtype])
    raw = rng.integers(0, 256, size=int(np.prod(shape)) * storage.itemsize,
                       dtype=np.uint8)
    return raw.view(storage).reshape(shape)


def special_array(dtype):
    """NaNs (quiet, signalling) and +-inf, +-0, +-max, +-smallest subnormal,
    +-1 of both signs; for integers the extremes around zero."""
    storage = np.dtype(DTYPES[dtype])
    if storage.kind == "i":
        info = np.iinfo(storage)
        return np.array([info.min, info.min + 1, -1, 0, 1, info.max], storage)
    if dtype == pb.BFLOAT16:
        inf, mantissa_bits, max_bits, one = 0x7F80, 7, 0x7F7F, 0x3F80
    else:
        bits_of = lambda v: int(np.array(v, storage).view(BITS[storage.itemsize]))
        inf, mantissa_bits = bits_of(np.inf), np.finfo(storage).nmant
        max_bits, one = bits_of(np.finfo(storage).max), bits_of(1)
    positive = [inf | (1 << (mantissa_bits - 1)), inf | 1, inf, 0, max_bits,
                1, one]
    sign = 1 << (storage.itemsize * 8 - 1)
    patterns = positive + [p | sign for p in positive]
    return np.array(patterns, BITS[storage.itemsize]).view(storage)


def tensor(dtype, x):
    return pb.Tensor(dtype=dtype, shape=list(x.shape), data=x.tobytes())


def decode(dtype, t, shape):
    return np.frombuffer(t, DTYPES[dtype]).reshape(shape)


class OracleTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = subprocess.Popen(
            [os.environ["TT_SERVER"], "--listen=127.0.0.1:0",
             "--max_message_bytes=1048576"],
            stderr=subprocess.PIPE, text=True)
        for line in cls.server.stderr:
            match = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
            if match:
                break
        else:
            raise RuntimeError("server exited before listening")
        cls.channel = grpc.insecure_channel(f"127.0.0.1:{match.group(1)}")
        cls.stub = pb_grpc.TensorTransformStub(cls.channel)
        cls.rng = np.random.default_rng(SEED)
        print(f"seed {SEED}")

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        cls.server.terminate()
        status = cls.server.wait(timeout=30)
        if status != 0:
            raise AssertionError(f"server exited with {status} on SIGTERM")

    def assertBitsEqual(self, got, want, what):
        bits = BITS[want.dtype.itemsize]
        self.assertTrue(np.array_equal(got.view(bits), want.view(bits)),
                        f"{what}: got {got!r}, want {want!r}")

    def arrays(self, dtype):
        yield special_array(dtype)
        yield random_array(dtype, (3, 129), self.rng)
        yield random_array(dtype, (), self.rng)
        yield random_array(dtype, (0, 4), self.rng)

    def stream(self, rpc, header, x, g=None, chunk_elems=37):
        def requests():
            yield pb.StreamRequest(header=header)
            flat, up = x.reshape(-1), None if g is None else g.reshape(-1)
            for i in range(0, flat.size, chunk_elems):
                yield pb.StreamRequest(
                    data=flat[i:i + chunk_elems].tobytes(),
                    upstream=b"" if up is None else up[i:i + chunk_elems].tobytes())
        return b"".join(r.data for r in rpc(requests()))

    def test_apply_matches_numpy(self):
        for dtype in DTYPES:
            for x in self.arrays(dtype):
                want = expected_relu(dtype, x)
                for method in METHODS:
                    what = f"{pb.DType.Name(dtype)} {pb.Method.Name(method)}"
                    request = pb.ApplyRequest(tensor=tensor(dtype, x),
                                              method=method)
                    for rpc in (self.stub.Apply, self.stub.ApplyInPlace):
                        reply = rpc(request)
                        self.assertBitsEqual(
                            decode(dtype, reply.tensor.data, x.shape), want, what)
                        self.assertNotEqual(reply.method, pb.METHOD_UNSPECIFIED)

    def test_gradient_matches_numpy(self):
        for dtype in DTYPES:
            for x in self.arrays(dtype):
                g = random_array(dtype, x.shape, self.rng)
                for upstream in (None, g):
                    request = pb.GradientRequest(x=tensor(dtype, x))
                    if upstream is not None:
                        request.upstream.CopyFrom(tensor(dtype, upstream))
                    reply = self.stub.Gradient(request)
                    self.assertBitsEqual(
                        decode(dtype, reply.tensor.data, x.shape),
                        expected_gradient(dtype, x, upstream),
                        f"{pb.DType.Name(dtype)} upstream={upstream is not None}")

    def test_streams_match_numpy(self):
        for dtype in DTYPES:
            x = random_array(dtype, (7, 1001), self.rng)
            g = random_array(dtype, x.shape, self.rng)
            header = pb.StreamHeader(dtype=dtype, shape=list(x.shape),
                                     method=pb.ABS)
            for rpc in (self.stub.ApplyStream, self.stub.ApplyInPlaceStream):
                got = decode(dtype, self.stream(rpc, header, x), x.shape)
                self.assertBitsEqual(got, expected_relu(dtype, x), "stream")
            header = pb.StreamHeader(dtype=dtype, shape=list(x.shape),
                                     has_upstream=True)
            got = decode(dtype, self.stream(self.stub.GradientStream, header, x, g),
                         x.shape)
            self.assertBitsEqual(got, expected_gradient(dtype, x, g), "gradient")

    def test_stream_larger_than_unary_cap(self):
        x = random_array(pb.FLOAT64, (1024, 384), self.rng)  # 3 MiB > 1 MiB cap
        with self.assertRaises(grpc.RpcError) as caught:
            self.stub.Apply(pb.ApplyRequest(tensor=tensor(pb.FLOAT64, x)))
        self.assertEqual(caught.exception.code(),
                         grpc.StatusCode.RESOURCE_EXHAUSTED)
        header = pb.StreamHeader(dtype=pb.FLOAT64, shape=list(x.shape))
        got = decode(pb.FLOAT64,
                     self.stream(self.stub.ApplyStream, header, x, None, 65536),
                     x.shape)
        self.assertBitsEqual(got, expected_relu(pb.FLOAT64, x), "large stream")

    def test_bad_length_is_invalid_argument(self):
        request = pb.ApplyRequest(tensor=pb.Tensor(
            dtype=pb.FLOAT64, shape=[10, 20], data=b"\0" * 1000))
        with self.assertRaises(grpc.RpcError) as caught:
            self.stub.Apply(request)
        self.assertEqual(caught.exception.code(),
                         grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("tensor.data", caught.exception.details())

    def test_describe_lists_the_contract(self):
        reply = self.stub.Describe(pb.DescribeRequest())
        self.assertIn("relu", reply.transforms)
        self.assertEqual(sorted(reply.dtypes), sorted(DTYPES))
        self.assertEqual(reply.max_message_bytes, 1048576)


if __name__ == "__main__":
    unittest.main()
