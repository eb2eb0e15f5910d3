#!/usr/bin/env python3
"""Streams one huge float64 array through ApplyStream and verifies every chunk.

The same random chunk is sent again and again (so the client holds O(chunk)),
and every response chunk is compared bit for bit with NumPy's evaluation of
the contract. Prints JSON: bytes, chunks, seconds, verified.

    stream_rss.py --target 127.0.0.1:50051 --bytes 4294967296 --chunk 4194304
Needs the generated stubs on PYTHONPATH (build/generated/python).
"""

import argparse
import json
import sys
import time

import grpc
import numpy as np

import tensor_transform_pb2 as pb
import tensor_transform_pb2_grpc as pb_grpc


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", required=True)
    parser.add_argument("--bytes", type=int, default=4 << 30)
    parser.add_argument("--chunk", type=int, default=4 << 20)
    args = parser.parse_args()
    chunk_elems = args.chunk // 8
    total_elems = args.bytes // 8
    x = np.random.default_rng(1).uniform(-0.5, 0.5, chunk_elems)
    expected = np.where(x > 0, x, 0.0).tobytes()
    payload = x.tobytes()

    def requests():
        yield pb.StreamRequest(header=pb.StreamHeader(
            dtype=pb.FLOAT64, shape=[total_elems], method=pb.MAXIMUM))
        sent = 0
        while sent < total_elems:
            n = min(chunk_elems, total_elems - sent)
            yield pb.StreamRequest(data=payload[:n * 8])
            sent += n

    options = [("grpc.max_receive_message_length", 64 << 20),
               ("grpc.max_send_message_length", 64 << 20)]
    stub = pb_grpc.TensorTransformStub(
        grpc.insecure_channel(args.target, options=options))
    start = time.monotonic()
    chunks, received, verified = 0, 0, True
    for reply in stub.ApplyStream(requests()):
        n = len(reply.data)
        verified &= reply.data == expected[:n]
        received += n
        chunks += 1
    seconds = time.monotonic() - start
    verified &= received == total_elems * 8
    print(json.dumps({"bytes": received, "chunks": chunks,
                      "seconds": round(seconds, 3), "verified": verified}))
    return 0 if verified else 1


if __name__ == "__main__":
    sys.exit(main())
