// The one assertion of the fuzz targets: a broken invariant is a crash, so
// that libFuzzer stops, reports and saves the input.
//
//   TT_FUZZ_CHECK(spec->bytes == data.size(), "bytes disagree with data");
#ifndef TENSOR_TRANSFORM_TESTS_FUZZ_FUZZ_CHECK_H_
#define TENSOR_TRANSFORM_TESTS_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define TT_FUZZ_CHECK(condition, what)                                     \
  do {                                                                     \
    if (!(condition)) {                                                    \
      std::fprintf(stderr, "%s:%d: invariant broken: %s (%s)\n", __FILE__, \
                   __LINE__, what, #condition);                            \
      std::abort();                                                        \
    }                                                                      \
  } while (false)

#endif  // TENSOR_TRANSFORM_TESTS_FUZZ_FUZZ_CHECK_H_
