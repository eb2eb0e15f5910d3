// How many threads this process runs, so that a load test can report the
// client's own (a thread per call would show here before anywhere else).
//
//   int threads = ThreadCount();  // e.g. 9
#ifndef TENSOR_TRANSFORM_CLIENT_LOAD_THREAD_COUNT_H_
#define TENSOR_TRANSFORM_CLIENT_LOAD_THREAD_COUNT_H_

namespace tensor_transform::client {

// The "Threads:" line of /proc/self/status; 0 where it cannot be read.
int ThreadCount();

}  // namespace tensor_transform::client

#endif  // TENSOR_TRANSFORM_CLIENT_LOAD_THREAD_COUNT_H_
