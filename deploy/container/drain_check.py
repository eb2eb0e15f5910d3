"""A stream that is in flight when the server gets SIGTERM must complete.

    drain_check.py TARGET

Opens ApplyStream to TARGET, sends the header and half the chunks, prints
"in-flight" and waits for a line on stdin (the caller sends SIGTERM to the
server meanwhile), then sends the rest and checks the whole result against
NumPy. Exit status 0 when the call completed with the right result.
Needs the generated stubs on PYTHONPATH.
"""

import sys
import threading

import grpc
import numpy as np

import tensor_transform_pb2 as pb
import tensor_transform_pb2_grpc as pb_grpc

CHUNKS = 8
CHUNK_ELEMENTS = 1 << 16


def main(target):
    x = np.random.default_rng(7).uniform(-1, 1, CHUNKS * CHUNK_ELEMENTS)
    resume = threading.Event()

    def requests():
        yield pb.StreamRequest(header=pb.StreamHeader(dtype=pb.FLOAT64,
                                                      shape=[x.size]))
        for i in range(CHUNKS):
            if i == CHUNKS // 2:
                print("in-flight", flush=True)
                resume.wait()
            yield pb.StreamRequest(
                data=x[i * CHUNK_ELEMENTS:(i + 1) * CHUNK_ELEMENTS].tobytes())

    stub = pb_grpc.TensorTransformStub(grpc.insecure_channel(target))
    responses = stub.ApplyStream(requests(), timeout=60)
    threading.Thread(target=lambda: (sys.stdin.readline(), resume.set()),
                     daemon=True).start()
    got = np.frombuffer(b"".join(r.data for r in responses), np.float64)
    if not np.array_equal(got, np.where(x > 0, x, 0.0)):
        print("drained stream returned a wrong result", file=sys.stderr)
        return 1
    print(f"in-flight stream of {x.nbytes} bytes completed and verified")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
