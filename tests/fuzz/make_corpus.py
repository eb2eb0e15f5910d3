#!/usr/bin/python3
"""Writes the seed corpus of the fuzz targets (tests/fuzz/corpus/).

The seeds are committed; rerun this only to change them:
    /usr/bin/python3 tests/fuzz/make_corpus.py BUILD_DIR/generated/python
Each seed is a small valid or nearly valid input, so that the fuzzer starts
from the states that matter: accepted requests of every dtype, and each
rule one step from being broken.
"""
import os
import struct
import sys

sys.path.insert(0, sys.argv[1])
import tensor_transform_pb2 as pb  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ITEMSIZE = {pb.FLOAT32: 4, pb.FLOAT64: 8, pb.FLOAT16: 2, pb.BFLOAT16: 2,
            pb.INT8: 1, pb.INT16: 2, pb.INT32: 4, pb.INT64: 8}


def write(target, name, data):
    directory = os.path.join(HERE, "corpus", target)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)


def tensor(dtype, shape, extra=0):
    n = 1
    for d in shape:
        n *= max(d, 0)
    data = bytes((i * 37 + 11) % 256 for i in range(n * ITEMSIZE[dtype] + extra))
    return pb.Tensor(dtype=dtype, shape=shape, data=data)


# Validation inputs: the request type (0 apply, 1 gradient, 2 stream chunk),
# where the message is cut into two slices, then the message.
APPLY = b"\0\x07"
GRADIENT = b"\1\x07"
CHUNK = b"\2\x07"


def validation_seeds():
    for dtype in ITEMSIZE:
        name = pb.DType.Name(dtype).lower()
        for method in range(5):
            request = pb.ApplyRequest(tensor=tensor(dtype, [3, 5]), method=method)
            write("validation", f"apply_{name}_{method}", APPLY + request.SerializeToString())
        x = tensor(dtype, [7])
        write("validation", f"gradient_{name}",
              GRADIENT + pb.GradientRequest(x=x).SerializeToString())
        write("validation", f"gradient_upstream_{name}",
              GRADIENT + pb.GradientRequest(x=x, upstream=x).SerializeToString())
    broken = {
        "length_mismatch": pb.ApplyRequest(tensor=tensor(pb.FLOAT32, [4], 1)),
        "negative_dim": pb.ApplyRequest(tensor=tensor(pb.FLOAT64, [2, -1])),
        "no_dtype": pb.ApplyRequest(tensor=pb.Tensor(shape=[1], data=b"1234")),
        "rank_33": pb.ApplyRequest(tensor=tensor(pb.INT8, [1] * 33)),
        "overflow": pb.ApplyRequest(tensor=pb.Tensor(dtype=pb.FLOAT64, shape=[1 << 40, 1 << 40])),
        "scalar": pb.ApplyRequest(tensor=tensor(pb.INT64, [])),
        "empty": pb.ApplyRequest(tensor=tensor(pb.FLOAT16, [0, 9])),
    }
    for name, request in broken.items():
        write("validation", name, APPLY + request.SerializeToString())
    gradient = pb.GradientRequest(x=tensor(pb.FLOAT32, [4]), upstream=tensor(pb.FLOAT32, [5]),
                                  method=pb.ABS)
    write("validation", "gradient_mismatch", GRADIENT + gradient.SerializeToString())
    data = tensor(pb.FLOAT64, [5]).data
    write("validation", "chunk", CHUNK + pb.StreamRequest(data=data).SerializeToString())
    write("validation", "chunk_upstream",
          CHUNK + pb.StreamRequest(data=data, upstream=data[::-1]).SerializeToString())


def header(dtype, method, upstream, dims):
    return bytes([1, dtype, method, upstream, len(dims)]) + bytes(d & 0xFF for d in dims)


def chunk(n, upstream=0):
    return bytes([2, n, upstream])


def stream_seeds():
    apply, gradient = b"\x04", b"\x05"  # element cap 1 << 40
    write("stream_assembler", "complete_apply",
          apply + header(2, 1, 0, [4, 6]) + chunk(96) + chunk(96) + b"\3")
    write("stream_assembler", "complete_gradient",
          gradient + header(1, 2, 1, [10]) + chunk(20, 1) + chunk(20, 1) + b"\3")
    write("stream_assembler", "short", apply + header(5, 0, 0, [50]) + chunk(20) + b"\3")
    write("stream_assembler", "past_total", apply + header(5, 0, 0, [10]) + chunk(20) + b"\3")
    write("stream_assembler", "partial_element", apply + header(8, 3, 0, [4]) + chunk(7) + b"\3")
    write("stream_assembler", "no_header", apply + chunk(8) + b"\3")
    write("stream_assembler", "huge", b"\x00" + header(2, 1, 0, [127, 127]) + b"\3")
    raw = pb.StreamRequest(header=pb.StreamHeader(dtype=pb.INT16, shape=[3]))
    data = raw.SerializeToString()
    write("stream_assembler", "raw_header",
          apply + bytes([0, len(data)]) + data + chunk(6) + b"\3")


validation_seeds()
stream_seeds()
