"""NumPy client for the tensor-transform gRPC service (ReLU and its gradient).

    import numpy as np
    import tensor_transform as tt

    with tt.Client("127.0.0.1:50051", timeout=60) as client:
        x = np.random.default_rng(0).uniform(-0.5, 0.5, (5000, 5000))
        y = client.relu(x)                    # a new array shaped like x
        client.relu(x, out=x)                 # in place: the server's ApplyInPlace
        dx = client.relu_grad(x, upstream=y)  # y where x > 0, else +0
        y, info = client.relu(x, return_info=True)  # info.server_compute_ns

    # On the server's host (a unix: target or loopback, the server run with
    # --allow_shared_memory): an array in shared memory; calls on it move
    # no payload at all.
    c = tt.Client("unix:/tmp/tt.sock")
    a = c.shared_empty((5000, 5000))
    a[:] = x
    c.relu(a, out=a)

Arrays of float16/32/64 and int8/16/32/64 (bfloat16 as its uint16 bits with
bfloat16=True) go in; results come out with the same shape and dtype, in a
new array or in `out`. Inputs are sent from their own memory: C-contiguous
little-endian arrays, read-only ones included, without a copy; other layouts
and byte orders are copied once first. New results of 8 MiB and more reuse
the memory of the client's freed results (already faulted in; see
_pool.py), smaller ones are np.empty arrays. Arrays above 8 MiB, or above the server's unary
cap, stream in chunks, so that a call holds about one chunk beyond its
arrays. Every failure raises TensorTransformError with the gRPC status code.

Two implementations sit behind this API: the native extension
(tensor_transform._native, over the project's C++ client; the array's memory
is sent as it is and the GIL released for the call) and pure Python over
grpcio (needs grpcio and protobuf). NATIVE is True when the native one is in
use; TENSOR_TRANSFORM_PURE_PYTHON=1 in the environment picks pure Python.
A Client is safe to share between threads.

Importing the package sets glibc's malloc thresholds so that gRPC's receive
buffers are reused instead of faulted in afresh for every call (see
_malloc.py): freed memory up to 32 MiB stays in the process.
"""

import collections
import os
import threading

import numpy as np

from . import _arrays, _malloc, _pool
from ._errors import StatusCode, TensorTransformError, error, invalid


def _implementation():
    if os.environ.get("TENSOR_TRANSFORM_PURE_PYTHON") != "1":
        try:
            from ._native import Transport
            return Transport, True
        except ImportError:  # not built for this Python
            pass
    from ._grpcio import Transport
    return Transport, False


_Transport, NATIVE = _implementation()
_malloc.keep_receive_buffers_warm()  # before gRPC starts its threads

__all__ = ["Client", "TensorTransformError", "StatusCode", "CallInfo",
           "Description", "METHODS", "NATIVE"]

METHODS = ("maximum", "multiply", "abs", "masked")
# Room for a request's fields besides the tensor bytes (as the C++ client).
_ENVELOPE_BYTES = 4096
STREAM_ABOVE_BYTES = 8 << 20

CallInfo = collections.namedtuple("CallInfo", [
    "method",             # the method the server used, e.g. "maximum"
    "server_compute_ns",  # the server's kernel time (summed over chunks)
    "streamed",           # whether the call went through the streaming RPC
])

Description = collections.namedtuple("Description", [
    "transforms", "dtypes", "rpc_methods", "default_method",
    "max_message_bytes", "max_rank", "max_stream_elements",
    "recommended_chunk_bytes"])
Description.__doc__ = """What the server supports (its Describe RPC), with
dtypes and methods by name: dtypes ["float32", ...], rpc_methods
{"Apply": ["maximum", ...], ...}, max_message_bytes (the unary cap)..."""


class Client:
    """A channel to one tensor-transform server, or to all the addresses a
    target resolves to, calls balanced round robin (e.g.
    "dns:///tensor-transform-headless:50051").

    timeout: seconds per call (None: none); each call may pass its own.
    unary_limit_bytes: largest request sent unary (default: the server's
    cap, asked once with Describe). chunk_bytes: streamed chunk size
    (default: the server's recommendation). stream_above_bytes: requests
    larger than this stream even below the cap. result_pool_bytes: memory
    of freed results (8 MiB and larger) kept for later results, warm;
    close() releases it.
    """

    def __init__(self, target="127.0.0.1:50051", *, timeout=None,
                 unary_limit_bytes=None, chunk_bytes=None,
                 stream_above_bytes=STREAM_ABOVE_BYTES,
                 result_pool_bytes=512 << 20):
        self._transport = _Transport(target)
        self.timeout = timeout
        self._unary_limit = unary_limit_bytes
        self._chunk_bytes = chunk_bytes
        self._stream_above = stream_above_bytes
        self._lock = threading.Lock()
        self._pool = _pool.ResultPool(result_pool_bytes)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        """Closes the channel (the native one once no call is using it),
        releases the pooled memory and ends the shared-memory lease: the
        server drops this client's regions (their arrays stay valid memory
        of this process)."""
        self._pool.clear()
        self._transport.close()

    def shared_empty(self, shape, dtype=np.float64):
        """A new uninitialised C-contiguous array of `shape` and `dtype` in
        shared memory registered with the server, which must run on this
        host with --allow_shared_memory (a unix: target or loopback).

        This client's calls send references to it instead of its bytes, and
        write results straight into it: relu(a, out=a), relu(a, out=b) with b
        shared too, relu_grad(x, upstream=g, out=o) move no payload. The
        region lives as long as the array and its views. Arrays from another
        client's shared_empty are plain memory to this one (sent as bytes).
        Raises TensorTransformError with the server's code when it refuses:
        FAILED_PRECONDITION when its shared memory is off, PERMISSION_DENIED
        for a remote client, RESOURCE_EXHAUSTED past its per-client limits
        (or when /dev/shm has no room).
        """
        dtype = np.dtype(dtype)
        if dtype not in _arrays.DTYPES and dtype != np.uint16:
            raise invalid(f"dtype: {dtype} is not one of "
                          f"{sorted(str(d) for d in _arrays.DTYPES)} or "
                          "uint16 (bfloat16 bits)")
        shape = (int(shape),) if np.ndim(shape) == 0 else tuple(
            int(n) for n in shape)
        nbytes = int(np.prod(shape)) * dtype.itemsize
        code, details, region = self._transport.shared_region(max(nbytes, 1))
        if code:
            raise error(code, details)
        return np.asarray(region)[:nbytes].view(dtype).reshape(shape)

    def describe(self, *, timeout=None):
        """The server's Description."""
        code, details, fields = self._transport.describe(
            self._timeout(timeout))
        if code:
            raise error(code, details)
        return Description(**fields)

    def relu(self, x, method=None, out=None, *, bfloat16=False, timeout=None,
             return_info=False):
        """relu(x): x where x > 0 or NaN (same bits), else +0.

        method: "maximum", "multiply", "abs", "masked" or None (the server's
        fastest); all give bit-identical results. out: a C-contiguous,
        writeable array of x's shape and dtype to hold the result; out=x
        computes in place through the server's in-place RPC (an out that
        partly overlaps x gets the result of a copy of x). Returns out (or a
        new array); with return_info=True, (result, CallInfo).
        """
        if method is not None and method not in METHODS:
            raise invalid(f"method: '{method}', but must be one of "
                          f"{list(METHODS)} or None")
        x, dtype = _arrays.wire_array(x, "x", bfloat16)
        rpc = "apply"
        if out is None:
            out = self._pool.empty(x.shape, x.dtype)
        elif _arrays.same_memory(x, _arrays.result_array(out, x)):
            rpc = "inplace"
        else:
            x = _arrays.apart_from(x, out)
        return self._call(rpc, method, dtype, x, None, out, timeout,
                          return_info)

    def relu_grad(self, x, upstream=None, out=None, *, bfloat16=False,
                  timeout=None, return_info=False):
        """ReLU's gradient at x: 1 where x > 0, else +0 (NaN -> +0); with
        `upstream` g (x's shape and dtype): g where x > 0, else +0. out as
        for relu, and may be x or upstream. Returns as relu."""
        x, dtype = _arrays.wire_array(x, "x", bfloat16)
        if upstream is not None:
            upstream, _ = _arrays.wire_array(upstream, "upstream", bfloat16)
            if (upstream.dtype, upstream.shape) != (x.dtype, x.shape):
                raise invalid(f"upstream: {upstream.dtype}"
                              f"{list(upstream.shape)}, but x is {x.dtype}"
                              f"{list(x.shape)}")
        if out is None:
            out = self._pool.empty(x.shape, x.dtype)
        else:
            x = _arrays.apart_from(x, _arrays.result_array(out, x))
            if upstream is not None:
                upstream = _arrays.apart_from(upstream, out)
        return self._call("gradient", None, dtype, x, upstream, out, timeout,
                          return_info)

    def _timeout(self, timeout):
        return self.timeout if timeout is None else timeout

    def _limits(self, timeout):
        """(unary limit, chunk bytes), asking the server once if needed."""
        with self._lock:
            if self._unary_limit is None or self._chunk_bytes is None:
                described = self.describe(timeout=timeout)
                if self._unary_limit is None:
                    self._unary_limit = described.max_message_bytes
                if self._chunk_bytes is None:
                    # A chunk is one message: it must fit under the cap too.
                    self._chunk_bytes = min(
                        described.recommended_chunk_bytes,
                        described.max_message_bytes - _ENVELOPE_BYTES)
            return self._unary_limit, self._chunk_bytes

    def _inline_bytes(self, x, upstream, out):
        """The most bytes a message of the call carries: the request's or
        the response's, but for the arrays in this client's regions."""
        def inline(array):
            if array is None or self._transport.in_region(array):
                return 0
            return array.nbytes
        return max(inline(x) + inline(upstream), inline(out))

    def _call(self, rpc, method, dtype, x, upstream, out, timeout,
              return_info):
        unary_limit, chunk_bytes = self._limits(timeout)
        nbytes = self._inline_bytes(x, upstream, out)
        stream = (nbytes + _ENVELOPE_BYTES > unary_limit or
                  nbytes > self._stream_above)
        if upstream is not None:
            chunk_bytes //= 2  # a chunk message carries both tensors' bytes
        code, details, used, compute_ns = self._transport.call(
            rpc, method, dtype, list(x.shape), x, upstream, out, stream,
            chunk_bytes, self._timeout(timeout))
        if code:
            raise error(code, details)
        return (out, CallInfo(used, compute_ns, stream)) if return_info \
            else out
