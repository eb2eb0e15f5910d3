// Pooled output buffers count in the memory budget while idle, and the
// budget takes them back before it refuses a call.
#include "server/admission/buffer_pool.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>

#include "server/admission/memory_budget.h"

namespace tensor_transform::server {
namespace {

constexpr size_t kMiB = size_t{1} << 20;

class BufferPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    budget_.SetReclaimer([pool = pool_] { pool->Trim(); });
  }

  MemoryBudget budget_{10 * kMiB};
  std::shared_ptr<BufferPool> pool_ = BufferPool::Create(8 * kMiB, &budget_);
};

TEST_F(BufferPoolTest, IdleBuffersAreReservedInTheBudget) {
  { grpc::Slice out = pool_->Take(4 * kMiB); }
  EXPECT_EQ(pool_->idle_bytes(), 4 * kMiB);
  EXPECT_EQ(budget_.in_use(), static_cast<int64_t>(4 * kMiB));
  // Taken again, its reservation passes to the call that took it.
  grpc::Slice again = pool_->Take(4 * kMiB);
  EXPECT_EQ(pool_->idle_bytes(), 0u);
  EXPECT_EQ(budget_.in_use(), 0);
}

TEST_F(BufferPoolTest, TheBudgetReclaimsIdleBuffersBeforeRefusing) {
  { grpc::Slice out = pool_->Take(4 * kMiB); }
  ASSERT_EQ(budget_.in_use(), static_cast<int64_t>(4 * kMiB));
  EXPECT_TRUE(budget_.TryReserve(8 * kMiB));
  EXPECT_EQ(pool_->idle_bytes(), 0u);
  EXPECT_EQ(budget_.in_use(), static_cast<int64_t>(8 * kMiB));
  EXPECT_FALSE(budget_.TryReserve(4 * kMiB));
}

TEST_F(BufferPoolTest, AReturnedBufferThatDoesNotFitIsFreed) {
  ASSERT_TRUE(budget_.TryReserve(8 * kMiB));
  { grpc::Slice out = pool_->Take(4 * kMiB); }
  EXPECT_EQ(pool_->idle_bytes(), 0u);
  EXPECT_EQ(budget_.in_use(), static_cast<int64_t>(8 * kMiB));
}

TEST_F(BufferPoolTest, KeepsNoMoreThanItsIdleCap) {
  {
    grpc::Slice a = pool_->Take(5 * kMiB);
    grpc::Slice b = pool_->Take(5 * kMiB);
  }
  EXPECT_EQ(pool_->idle_bytes(), 5 * kMiB);
}

TEST_F(BufferPoolTest, ASliceMayOutliveThePoolsOwner) {
  grpc::Slice out = pool_->Take(kMiB);
  pool_->DetachBudget();
  pool_.reset();
  budget_.SetReclaimer(nullptr);
  out = grpc::Slice();  // returned to a pool nobody else holds
  EXPECT_EQ(budget_.in_use(), 0);
}

}  // namespace
}  // namespace tensor_transform::server
