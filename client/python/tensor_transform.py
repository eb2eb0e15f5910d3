"""NumPy client for the tensor-transform gRPC service (ReLU and its gradient).

    import numpy as np
    import tensor_transform as tt

    with tt.Client("127.0.0.1:50051") as client:
        x = np.random.default_rng(0).uniform(-0.5, 0.5, (5000, 5000))
        y = client.relu(x)                   # same shape and dtype as x
        dx = client.gradient(x, upstream=y)  # y where x > 0, else +0

Arrays go in and come out as NumPy arrays of the same shape and dtype
(float16/32/64, int8/16/32/64; bfloat16 as its uint16 bits with
bfloat16=True). A request larger than the server's unary cap (Describe's
max_message_bytes, asked once per client) goes through the streaming RPCs in
chunks, transparently. Every failure raises TensorTransformError carrying the
gRPC status code.

Needs grpcio and NumPy (Debian: python3-grpcio, python3-numpy) and the stubs
the build generates (build/generated/python on PYTHONPATH).
"""

import grpc
import numpy as np

import tensor_transform_pb2 as pb
import tensor_transform_pb2_grpc as pb_grpc

__all__ = ["Client", "TensorTransformError", "METHODS"]

# NumPy dtype -> wire DType. Little-endian on the wire; other byte orders are
# converted.
_DTYPES = {
    np.dtype(np.float32): pb.FLOAT32, np.dtype(np.float64): pb.FLOAT64,
    np.dtype(np.float16): pb.FLOAT16, np.dtype(np.int8): pb.INT8,
    np.dtype(np.int16): pb.INT16, np.dtype(np.int32): pb.INT32,
    np.dtype(np.int64): pb.INT64,
}
METHODS = {"maximum": pb.MAXIMUM, "multiply": pb.MULTIPLY, "abs": pb.ABS,
           "masked": pb.MASKED, None: pb.METHOD_UNSPECIFIED}
# Room for a request's fields besides the tensor bytes (as the C++ client).
_ENVELOPE_BYTES = 4096


class TensorTransformError(Exception):
    """A failed call. `code` is a grpc.StatusCode, `details` the message.

    The server's codes pass through unchanged (INVALID_ARGUMENT for a bad
    request, RESOURCE_EXHAUSTED above a cap, UNAVAILABLE when unreachable,
    DEADLINE_EXCEEDED past the client's timeout); inputs this module refuses
    before sending raise INVALID_ARGUMENT, and a stream answering with another
    amount of data than sent raises DATA_LOSS.
    """

    def __init__(self, code, details):
        super().__init__(f"{code.name}: {details}")
        self.code = code
        self.details = details


def _invalid(details):
    return TensorTransformError(grpc.StatusCode.INVALID_ARGUMENT, details)


class _Call:
    """One request's tensors, in wire form, and how to read the answer."""

    def __init__(self, x, upstream, bfloat16):
        self.x, self.dtype = self._wire(x, "x", bfloat16)
        self.upstream = None
        if upstream is not None:
            self.upstream, _ = self._wire(upstream, "upstream", bfloat16)
            if (self.upstream.dtype, self.upstream.shape) != (self.x.dtype,
                                                              self.x.shape):
                raise _invalid(
                    f"upstream: {self.upstream.dtype}{list(self.upstream.shape)}"
                    f", but x is {self.x.dtype}{list(self.x.shape)}")

    @staticmethod
    def _wire(array, name, bfloat16):
        a = np.asarray(array)
        if bfloat16 and a.dtype != np.uint16:
            raise _invalid(f"{name}: bfloat16=True needs the uint16 bits, "
                           f"got {a.dtype}")
        wire = pb.BFLOAT16 if bfloat16 else _DTYPES.get(a.dtype.newbyteorder("="))
        if wire is None:
            raise _invalid(f"{name}: dtype {a.dtype} is not one of "
                           f"{sorted(str(d) for d in _DTYPES)}")
        return np.asarray(a, a.dtype.newbyteorder("<"), order="C"), wire

    @property
    def request_bytes(self):
        up = 0 if self.upstream is None else self.upstream.nbytes
        return self.x.nbytes + up + _ENVELOPE_BYTES

    def tensor(self, array):
        return pb.Tensor(dtype=self.dtype, shape=list(array.shape),
                         data=array.tobytes())

    def header(self, method):
        return pb.StreamHeader(
            transform=pb.Transform(relu=pb.Relu()), method=method,
            dtype=self.dtype, shape=list(self.x.shape),
            has_upstream=self.upstream is not None)

    def result(self, data):
        """The answer's bytes as an array shaped like x (read-only when it
        views the response without a copy)."""
        return np.frombuffer(data, self.x.dtype).reshape(self.x.shape)


class Client:
    """A channel to one tensor-transform server (or a balanced set of them:
    any gRPC target, e.g. "dns:///tensor-transform-headless:50051" with
    round_robin=True).

    timeout: seconds per call, None for none. unary_limit_bytes: largest
    request sent unary (default: the server's cap from Describe); larger ones
    stream. chunk_bytes: streamed chunk size (default: the server's
    recommendation). Thread-safe, like the gRPC channel under it.
    """

    def __init__(self, target="127.0.0.1:50051", *, timeout=None,
                 unary_limit_bytes=None, chunk_bytes=None, round_robin=False):
        # Arrays of any size: the server enforces its own cap.
        options = [("grpc.max_send_message_length", -1),
                   ("grpc.max_receive_message_length", -1)]
        if round_robin:
            options.append(("grpc.lb_policy_name", "round_robin"))
        self._channel = grpc.insecure_channel(target, options=options)
        self._stub = pb_grpc.TensorTransformStub(self._channel)
        self._timeout = timeout
        self._unary_limit = unary_limit_bytes
        self._chunk_bytes = chunk_bytes

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self._channel.close()

    def describe(self):
        """The server's DescribeResponse: dtypes, methods, limits."""
        return self._invoke(self._stub.Describe, pb.DescribeRequest())

    def relu(self, x, *, method=None, in_place=False, bfloat16=False):
        """relu(x): x where x > 0 or NaN (same bits), else +0.

        method: "maximum", "multiply", "abs", "masked" or None (the server's
        fastest); all give bit-identical results. in_place: the server
        computes in the request's own buffer (ApplyInPlace) - x itself is
        never modified either way.
        """
        if method not in METHODS:
            raise _invalid(f"method: '{method}', but must be one of "
                           f"{[m for m in METHODS if m]} or None")
        call = _Call(x, None, bfloat16)
        if self._streams(call):
            rpc = (self._stub.ApplyInPlaceStream if in_place
                   else self._stub.ApplyStream)
            return self._stream(rpc, call, METHODS[method])
        rpc = self._stub.ApplyInPlace if in_place else self._stub.Apply
        reply = self._invoke(rpc, pb.ApplyRequest(
            tensor=call.tensor(call.x), transform=pb.Transform(relu=pb.Relu()),
            method=METHODS[method]))
        return call.result(reply.tensor.data)

    def gradient(self, x, upstream=None, *, bfloat16=False):
        """ReLU's gradient at x: 1 where x > 0, else +0 (NaN -> +0); with
        `upstream` g (same shape and dtype): g where x > 0, else +0."""
        call = _Call(x, upstream, bfloat16)
        if self._streams(call):
            return self._stream(self._stub.GradientStream, call,
                                pb.METHOD_UNSPECIFIED)
        request = pb.GradientRequest(x=call.tensor(call.x),
                                     transform=pb.Transform(relu=pb.Relu()))
        if call.upstream is not None:
            request.upstream.CopyFrom(call.tensor(call.upstream))
        return call.result(self._invoke(self._stub.Gradient, request).tensor.data)

    def _invoke(self, rpc, request):
        try:
            return rpc(request, timeout=self._timeout)
        except grpc.RpcError as e:
            raise TensorTransformError(e.code(), e.details()) from e

    def _streams(self, call):
        if self._unary_limit is None or self._chunk_bytes is None:
            described = self.describe()
            if self._unary_limit is None:
                self._unary_limit = described.max_message_bytes
            if self._chunk_bytes is None:
                # A chunk is one message: it must fit under the cap too.
                self._chunk_bytes = min(
                    described.recommended_chunk_bytes,
                    described.max_message_bytes - _ENVELOPE_BYTES)
        return call.request_bytes > self._unary_limit

    def _stream(self, rpc, call, method):
        x = call.x.reshape(-1)
        up = None if call.upstream is None else call.upstream.reshape(-1)
        # A chunk message carries x's elements and as many of upstream's.
        step = max(1, self._chunk_bytes // (x.itemsize * (1 if up is None
                                                           else 2)))

        def requests():
            yield pb.StreamRequest(header=call.header(method))
            for i in range(0, x.size, step):
                yield pb.StreamRequest(
                    data=x[i:i + step].tobytes(),
                    upstream=b"" if up is None else up[i:i + step].tobytes())

        out = np.empty(x.nbytes, np.uint8)
        received = 0
        try:
            for response in rpc(requests(), timeout=self._timeout):
                n = len(response.data)
                if received + n > out.size:
                    raise TensorTransformError(
                        grpc.StatusCode.DATA_LOSS,
                        f"stream returned more than the {out.size} bytes sent")
                out[received:received + n] = np.frombuffer(response.data,
                                                           np.uint8)
                received += n
        except grpc.RpcError as e:
            raise TensorTransformError(e.code(), e.details()) from e
        if received != out.size:
            raise TensorTransformError(
                grpc.StatusCode.DATA_LOSS,
                f"stream returned {received} bytes, but {out.size} were sent")
        return call.result(out)
