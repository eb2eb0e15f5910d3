// Kernels never allocate: the global operator new of this test binary counts
// the allocations made while a kernel runs. This catches an xtensor
// expression that would evaluate into a temporary (a missing xt::noalias, a
// strided fallback, an eager filter).
#include <atomic>
#include <cstdlib>
#include <new>
#include <random>

#include "core/relu.h"
#include "core/runs.h"
#include "gtest/gtest.h"
#include "tests/core/test_data.h"

namespace {

std::atomic<bool> counting{false};
std::atomic<int> allocations{0};

}  // namespace

void* operator new(std::size_t size) {
  if (counting.load(std::memory_order_relaxed)) ++allocations;
  // malloc(0) may return null; operator new must not.
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace tensor_transform::core::testing {
namespace {

// Counts the allocations made by fn().
template <class Fn>
int AllocationsDuring(Fn&& fn) {
  allocations = 0;
  counting = true;
  fn();
  counting = false;
  return allocations;
}

TEST(NoAllocation, ReluAndGradientAllocateNothing) {
  constexpr size_t kElements = 1001;
  std::mt19937_64 rng(kSeed);
  for (DType dtype : kAllDTypes) {
    ElementBuffer x(dtype, kElements), g(dtype, kElements),
        out(dtype, kElements);
    FillInput(x.data(), kElements, dtype, rng);
    FillInput(g.data(), kElements, dtype, rng);
    const auto xs = x.Elements(0, kElements), gs = g.Elements(0, kElements),
               outs = out.Elements(0, kElements);
    for (Method method : kAllMethods) {
      EXPECT_EQ(AllocationsDuring([&] { (void)Relu(method, dtype, xs, outs); }),
                0)
          << MethodName(method) << " " << DTypeName(dtype);
      EXPECT_EQ(
          AllocationsDuring([&] { (void)ReluInPlace(method, dtype, outs); }), 0)
          << MethodName(method) << " " << DTypeName(dtype) << " in place";
    }
    EXPECT_EQ(
        AllocationsDuring([&] { (void)ReluGradient(dtype, xs, {}, outs); }), 0)
        << "gradient " << DTypeName(dtype);
    EXPECT_EQ(
        AllocationsDuring([&] { (void)ReluGradient(dtype, xs, gs, outs); }), 0)
        << "gradient with upstream " << DTypeName(dtype);
  }
}

// Split over 3 parts of the pool, streaming stores wherever they apply.
KernelOptions Split() {
  KernelOptions split;
  split.threads = 3;
  split.parallel_min_bytes = 0;
  split.streaming_min_bytes = 0;
  return split;
}

TEST(NoAllocation, SplitOverThePoolWithStreamingStoresAllocatesNothing) {
  constexpr size_t kElements = 100003;
  const KernelOptions split = Split();
  ElementBuffer x(DType::kFloat64, kElements), out(DType::kFloat64, kElements);
  const auto xs = x.Elements(0, kElements), outs = out.Elements(0, kElements);
  // The shared pool starts on first use; that one-time start may allocate.
  ASSERT_TRUE(Relu(Method::kAbs, DType::kFloat64, xs, outs, split).ok());
  EXPECT_EQ(AllocationsDuring([&] {
              (void)Relu(Method::kAbs, DType::kFloat64, xs, outs, split);
            }),
            0);
  EXPECT_EQ(AllocationsDuring([&] {
              (void)ReluGradient(DType::kFloat64, xs, xs, outs, split);
            }),
            0);
}

// Misaligned buffers (the stack copies of the half and int kernels, the
// float kernels' unaligned path) and batches of runs, inline and split over
// the pool, with and without streaming stores.
TEST(NoAllocation, MisalignedBuffersAndRunsAllocateNothing) {
  constexpr size_t kElements = 30001;
  std::mt19937_64 rng(kSeed);
  for (DType dtype : kAllDTypes) {
    // Room for kElements from byte 5 on, whatever the element size.
    ElementBuffer x(dtype, kElements + 5), g(dtype, kElements + 5),
        out(dtype, kElements + 5);
    FillInput(x.data(), kElements, dtype, rng);
    const auto xs = x.At(3, kElements), gs = g.At(5, kElements),
               outs = out.At(1, kElements);
    // Three runs: two pieces of x into one contiguous out, and one in place.
    const size_t half = kElements / 2 * ItemSize(dtype);
    const core::Run runs[] = {{xs.subspan(0, half), {}, outs.subspan(0, half)},
                              {xs.subspan(half), {}, outs.subspan(half)},
                              {gs, {}, gs}};
    for (const KernelOptions& options : {KernelOptions(), Split()}) {
      ASSERT_TRUE(ReluRuns(Method::kAbs, dtype, runs, options).ok());
      EXPECT_EQ(AllocationsDuring([&] {
                  (void)Relu(Method::kMasked, dtype, xs, outs, options);
                  (void)ReluInPlace(Method::kMultiply, dtype, gs, options);
                  (void)ReluGradient(dtype, xs, gs, outs, options);
                  (void)ReluRuns(Method::kMaximum, dtype, runs, options);
                  (void)ReluGradientRuns(dtype, runs, options);
                }),
                0)
          << DTypeName(dtype)
          << (options.threads == 3 ? ", split" : ", default options");
    }
  }
}

TEST(NoAllocation, CounterSeesAnAllocation) {
  // Guards the test above against a counter that never counts.
  // A direct call, not a new-expression, which the compiler may elide.
  EXPECT_EQ(AllocationsDuring([] { ::operator delete(::operator new(16)); }),
            1);
}

}  // namespace
}  // namespace tensor_transform::core::testing
