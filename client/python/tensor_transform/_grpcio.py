"""The pure-Python transport, over grpcio: where the native one is not built.

It has the native transport's interface (client/python/native_module.cc).
Messages are bytes framed by _wire, so that a payload is copied only where
grpcio must: into the bytes of each message sent, and out of each one
received, straight into the result. Arrays stream in chunks whose buffers
are reused warm; a whole 200 MB message would fault in fresh pages instead.
Arrays in the transport's shared-memory regions travel as references
(_shm.py).
"""

import grpc
import numpy as np

from . import _shm, _wire
from . import tensor_transform_pb2 as pb

_SERVICE = "/tensor_transform.v1.TensorTransform/"
_RPCS = {"apply": "Apply", "inplace": "ApplyInPlace", "gradient": "Gradient"}


def _method_name(number):
    return None if number == 0 else pb.Method.Name(number).lower()


def _wire_method(name):
    return pb.METHOD_UNSPECIFIED if name is None else pb.Method.Value(
        name.upper())


def _flat_bytes(array):
    return memoryview(array.reshape(-1).view(np.uint8))


_DATA_LOSS = grpc.StatusCode.DATA_LOSS.value[0]
_NO_RESULT = np.empty(0, np.uint8)  # out of a call whose result is in a region


class _Call:
    """One call's arrays as bytes, and what the answers add up to."""

    def __init__(self, x, upstream, out):
        self.x = _flat_bytes(x)
        self.itemsize = x.itemsize
        self.upstream = None if upstream is None else _flat_bytes(upstream)
        self.out = _flat_bytes(out)
        self.received = 0
        self.method = 0
        self.compute_ns = 0

    def receive(self, data, fields):
        """Copies one response's data into out and sums its fields."""
        n = len(data)
        if n > len(self.out) - self.received:
            raise _wire.DataLoss(f"the server returned {self.received + n}+ "
                            f"bytes, but the request sent {len(self.out)}")
        self.out[self.received:self.received + n] = data
        self.received += n
        self.method = fields.get(2, self.method)
        self.compute_ns += fields.get(3, 0)

    def outcome(self):
        if self.received != len(self.out):
            return (_DATA_LOSS, f"the server returned {self.received} bytes,"
                    f" but the request sent {len(self.out)}", None, 0)
        return 0, "", _method_name(self.method), self.compute_ns


class Transport:
    def __init__(self, target):
        # Arrays of any size: the server enforces its own cap.
        options = [("grpc.max_send_message_length", -1),
                   ("grpc.max_receive_message_length", -1),
                   ("grpc.lb_policy_name", "round_robin")]
        self._channel = grpc.insecure_channel(target, options=options)
        self._unary = {rpc: self._channel.unary_unary(_SERVICE + name)
                       for rpc, name in _RPCS.items()}
        self._stream = {rpc: self._channel.stream_stream(
            _SERVICE + name + "Stream") for rpc, name in _RPCS.items()}
        self._describe = self._channel.unary_unary(
            _SERVICE + "Describe",
            request_serializer=pb.DescribeRequest.SerializeToString,
            response_deserializer=pb.DescribeResponse.FromString)
        self._shm = _shm.Registry(self._channel)

    def close(self):
        self._shm.close()
        self._channel.close()

    def __del__(self):
        # Arrays on its regions may outlive the transport: the lease ends
        # with it, and the server drops them.
        if hasattr(self, "_shm"):
            self._shm.close()

    def shared_region(self, nbytes):
        """(code, details, region), as the native one."""
        return self._shm.create(nbytes)

    def in_region(self, array):
        return self._shm.find(array) is not None

    def describe(self, timeout):
        try:
            d = self._describe(pb.DescribeRequest(), timeout=timeout)
        except grpc.RpcError as e:
            return e.code().value[0], e.details(), None
        return 0, "", {
            "transforms": list(d.transforms),
            "dtypes": [pb.DType.Name(t).lower() for t in d.dtypes],
            "rpc_methods": {r.rpc: [_method_name(m) for m in r.methods]
                            for r in d.rpc_methods},
            "default_method": _method_name(d.default_method),
            "max_message_bytes": d.max_message_bytes,
            "max_rank": d.max_rank,
            "max_stream_elements": d.max_stream_elements,
            "recommended_chunk_bytes": d.recommended_chunk_bytes,
        }

    def call(self, rpc, method, dtype, shape, x, upstream, out, stream,
             chunk_bytes, timeout):
        """(code, details, method, server_compute_ns), as the native one."""
        plan = self._shm.plan(rpc, x, upstream, out, stream)
        call = _Call(x, upstream,
                     out if plan is None or plan.result_inline else _NO_RESULT)
        wire = (pb.DType.Value(dtype.upper()), list(shape),
                _wire_method(method))
        try:
            if plan is None and stream:
                self._call_stream(rpc, call, wire, chunk_bytes, timeout)
            else:
                plan = plan or _shm.Plan(rpc, None, None, None, True)
                reply = self._unary[plan.rpc](
                    _unary_request(plan, call, wire), timeout=timeout)
                fields = _wire.fields(reply)
                tensor = _wire.fields(fields.get(1, b""))
                call.receive(tensor.get(1, b""), fields)
        except grpc.RpcError as e:
            return e.code().value[0], e.details(), None, 0
        except _wire.DataLoss as e:
            return _DATA_LOSS, str(e), None, 0
        return call.outcome()

    def _call_stream(self, rpc, call, wire, chunk_bytes, timeout):
        responses = self._stream[rpc](
            _chunks(call, wire, chunk_bytes), timeout=timeout)
        try:
            for reply in responses:
                fields = _wire.fields(reply)
                call.receive(fields.get(1, b""), fields)
        except _wire.DataLoss:
            responses.cancel()
            raise


def _tensor_field(field, data, ref, dtype, shape):
    """A Tensor field holding `data` (bytes), or `ref` to shared memory when
    it is not None, as a list of parts."""
    if ref is not None:
        tensor = pb.Tensor(dtype=dtype, shape=shape,
                           shared_memory=ref).SerializeToString()
        return [_wire.length_header(field, len(tensor)), tensor]
    rest = pb.Tensor(dtype=dtype, shape=shape).SerializeToString()
    data_header = _wire.length_header(1, len(data))
    return [_wire.length_header(field, len(data_header) + len(data) +
                                len(rest)), data_header, data, rest]


def _unary_request(plan, call, wire):
    dtype, shape, method = wire
    rest = {"transform": pb.Transform(relu=pb.Relu()), "method": method}
    if plan.output is not None:
        rest["output"] = plan.output
    parts = _tensor_field(1, call.x, plan.x, dtype, shape)
    if plan.rpc == "gradient":
        if call.upstream is not None:
            parts += _tensor_field(2, call.upstream, plan.upstream, dtype,
                                   shape)
        rest = pb.GradientRequest(**rest)
    else:
        rest = pb.ApplyRequest(**rest)
    return b"".join(parts + [rest.SerializeToString()])


def _chunks(call, wire, chunk_bytes):
    """The stream's messages: the header, then chunks of whole elements."""
    dtype, shape, method = wire
    yield pb.StreamRequest(header=pb.StreamHeader(
        transform=pb.Transform(relu=pb.Relu()), method=method, dtype=dtype,
        shape=shape, has_upstream=call.upstream is not None)
    ).SerializeToString()
    itemsize = call.itemsize
    step = max(1, chunk_bytes // itemsize) * itemsize
    for at in range(0, len(call.x), step):
        parts = [_wire.length_header(1, len(call.x[at:at + step])),
                 call.x[at:at + step]]
        if call.upstream is not None:
            parts += [_wire.length_header(2, len(parts[1])),
                      call.upstream[at:at + step]]
        yield b"".join(parts)
