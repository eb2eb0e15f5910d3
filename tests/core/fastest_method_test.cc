// FastestMethod names a real method for every dtype, measures once, and
// gives every caller the same answer, concurrent first callers included.
#include "core/fastest_method.h"

#include <algorithm>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/core/test_data.h"

namespace tensor_transform::core::testing {
namespace {

TEST(FastestMethod, IsAKnownMethodAndStableForEveryDType) {
  for (DType dtype : kAllDTypes) {
    SCOPED_TRACE(CaseName(dtype));
    const Method first = FastestMethod(dtype);
    EXPECT_NE(std::find(kAllMethods.begin(), kAllMethods.end(), first),
              kAllMethods.end());
    EXPECT_EQ(FastestMethod(dtype), first);
  }
}

TEST(FastestMethod, ConcurrentCallersAgree) {
  // float32 is measured here first unless the test above ran before.
  std::vector<Method> seen(4);
  std::vector<std::thread> threads;
  for (Method& m : seen) {
    threads.emplace_back([&m] { m = FastestMethod(DType::kFloat32); });
  }
  for (std::thread& t : threads) t.join();
  for (Method m : seen) EXPECT_EQ(m, seen[0]);
}

}  // namespace
}  // namespace tensor_transform::core::testing
