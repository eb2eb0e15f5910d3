// Shared-memory regions and the calls on them against the production server
// with --allow_shared_memory, compared bit for bit with the scalar
// reference: in place, into a second region, the gradient with its upstream
// in a region, mixed with inline bytes, eight threads on one client, and the
// regions' lifetime on the server.
#include "client/shared_memory.h"

#include <sys/stat.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/reference.h"
#include "gtest/gtest.h"
#include "tests/client/shared_memory_server.h"

namespace tensor_transform::client {
namespace {

using testing::RegisteredRegions;
using testing::StartSharedMemoryServer;

constexpr size_t kElements = 1001;
constexpr size_t kArea = 16 * 1024;  // bytes between operands in a region

std::vector<uint8_t> RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 random(seed);
  std::vector<uint8_t> bytes(n);
  for (uint8_t& b : bytes) b = static_cast<uint8_t>(random());
  return bytes;
}

CallSpec Spec(Rpc rpc, core::DType dtype, Mode mode = Mode::kSharedMemory) {
  return {rpc, std::nullopt, dtype, {static_cast<int64_t>(kElements)}, mode};
}

std::vector<uint8_t> Relu(core::DType dtype, const std::vector<uint8_t>& x) {
  std::vector<uint8_t> out(x.size());
  core::ReferenceRelu(dtype, x.data(), out.data(),
                      x.size() / core::ItemSize(dtype));
  return out;
}

std::vector<uint8_t> Gradient(core::DType dtype, const std::vector<uint8_t>& x,
                              const uint8_t* upstream) {
  std::vector<uint8_t> out(x.size());
  core::ReferenceGradient(dtype, x.data(), upstream, out.data(),
                          x.size() / core::ItemSize(dtype));
  return out;
}

std::vector<uint8_t> Copy(absl::Span<const uint8_t> bytes) {
  return {bytes.begin(), bytes.end()};
}

void Fill(absl::Span<uint8_t> area, const std::vector<uint8_t>& bytes) {
  std::copy(bytes.begin(), bytes.end(), area.begin());
}

class SharedMemoryTest : public ::testing::Test {
 protected:
  SharedMemoryTest()
      : server_(StartSharedMemoryServer()),
        client_(std::make_unique<TensorClient>(MakeChannel(server_.target))) {}

  std::unique_ptr<SharedMemoryRegion> NewRegion(size_t bytes) {
    auto region = SharedMemoryRegion::Create(*client_, bytes);
    EXPECT_TRUE(region.ok()) << region.status();
    return region.ok() ? *std::move(region) : nullptr;
  }

  // Operand `i` of a region holding one every kArea bytes.
  static absl::Span<uint8_t> Area(SharedMemoryRegion& region, int i,
                                  size_t bytes) {
    return region.bytes().subspan(i * kArea, bytes);
  }

  absl::Status Call(const CallSpec& spec, const CallBuffers& buffers) {
    CallResult result;
    absl::Status status = client_->CallInto(spec, buffers, &result);
    EXPECT_TRUE(result.data.empty());
    return status;
  }

  testing::SharedMemoryServer server_;
  std::unique_ptr<TensorClient> client_;
};

TEST_F(SharedMemoryTest, ComputesInPlaceAndIntoASecondRegionForEveryDType) {
  std::unique_ptr<SharedMemoryRegion> region = NewRegion(3 * kArea);
  std::unique_ptr<SharedMemoryRegion> second = NewRegion(kArea);
  ASSERT_NE(region, nullptr);
  ASSERT_NE(second, nullptr);
  for (core::DType dtype : core::kAllDTypes) {
    SCOPED_TRACE(core::DTypeName(dtype));
    const size_t bytes = kElements * core::ItemSize(dtype);
    const std::vector<uint8_t> x = RandomBytes(bytes, 1);
    const std::vector<uint8_t> g = RandomBytes(bytes, 2);
    const absl::Span<uint8_t> xs = Area(*region, 0, bytes);
    const absl::Span<uint8_t> gs = Area(*region, 1, bytes);
    const absl::Span<uint8_t> out = Area(*second, 0, bytes);
    Fill(xs, x);
    Fill(gs, g);
    ASSERT_TRUE(Call(Spec(Rpc::kApply, dtype), {xs, {}, out}).ok());
    EXPECT_EQ(Copy(out), Relu(dtype, x));
    EXPECT_EQ(Copy(xs), x);
    ASSERT_TRUE(Call(Spec(Rpc::kGradient, dtype), {xs, gs, out}).ok());
    EXPECT_EQ(Copy(out), Gradient(dtype, x, g.data()));
    EXPECT_EQ(Copy(gs), g);
    ASSERT_TRUE(Call(Spec(Rpc::kGradient, dtype), {xs, gs, gs}).ok());
    EXPECT_EQ(Copy(gs), Gradient(dtype, x, g.data()));
    ASSERT_TRUE(Call(Spec(Rpc::kApplyInPlace, dtype), {xs, {}, xs}).ok());
    EXPECT_EQ(Copy(xs), Relu(dtype, x));
    Fill(xs, x);
    ASSERT_TRUE(Call(Spec(Rpc::kGradient, dtype), {xs, {}, xs}).ok());
    EXPECT_EQ(Copy(xs), Gradient(dtype, x, nullptr));
  }
}

TEST_F(SharedMemoryTest, MixesRegionsWithInlineBytes) {
  std::unique_ptr<SharedMemoryRegion> region = NewRegion(2 * kArea);
  ASSERT_NE(region, nullptr);
  const core::DType dtype = core::DType::kFloat64;
  const size_t bytes = kElements * 8;
  const std::vector<uint8_t> x = RandomBytes(bytes, 3);
  const absl::Span<uint8_t> xs = Area(*region, 0, bytes);
  const absl::Span<uint8_t> out = Area(*region, 1, bytes);
  Fill(xs, x);
  std::vector<uint8_t> plain(bytes);
  // In a region, the result inline; ApplyInPlace leaves x as it was.
  for (Rpc rpc : {Rpc::kApply, Rpc::kApplyInPlace}) {
    ASSERT_TRUE(
        Call(Spec(rpc, dtype, Mode::kUnary), {xs, {}, absl::MakeSpan(plain)})
            .ok());
    EXPECT_EQ(plain, Relu(dtype, x));
    EXPECT_EQ(Copy(xs), x);
  }
  // Inline bytes, the result into a region.
  ASSERT_TRUE(
      Call(Spec(Rpc::kGradient, dtype, Mode::kUnary), {x, {}, out}).ok());
  EXPECT_EQ(Copy(out), Gradient(dtype, x, nullptr));
  // Streamed: 8 KB above a 4 KB chunk, x's bytes in chunks, the result
  // back the same way.
  CallSpec stream = Spec(Rpc::kApply, dtype, Mode::kStream);
  stream.chunk_bytes = 4096;
  std::fill(plain.begin(), plain.end(), 0);
  ASSERT_TRUE(Call(stream, {xs, {}, absl::MakeSpan(plain)}).ok());
  EXPECT_EQ(plain, Relu(dtype, x));
}

TEST_F(SharedMemoryTest, ModeShmRejectsOperandsOutsideRegions) {
  std::unique_ptr<SharedMemoryRegion> region = NewRegion(kArea);
  ASSERT_NE(region, nullptr);
  const size_t bytes = kElements * 8;
  std::vector<uint8_t> plain(bytes);
  const absl::Span<uint8_t> xs = Area(*region, 0, bytes);
  const CallSpec spec = Spec(Rpc::kApply, core::DType::kFloat64);
  const absl::Status status = Call(spec, {xs, {}, absl::MakeSpan(plain)});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("out:"), std::string::npos) << status;
  // Another client's region is plain memory to this one.
  TensorClient other(MakeChannel(server_.target));
  CallResult result;
  EXPECT_EQ(other.CallInto(spec, {xs, {}, xs}, &result).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(SharedMemoryTest, EightThreadsShareOneClientAndOneRegion) {
  constexpr int kThreads = 8;
  constexpr int kCalls = 25;
  std::unique_ptr<SharedMemoryRegion> region = NewRegion(3 * kThreads * kArea);
  ASSERT_NE(region, nullptr);
  const core::DType dtype = core::DType::kFloat32;
  const size_t bytes = kElements * 4;
  std::vector<int> wrong(kThreads, 0), failed(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const absl::Span<uint8_t> xs = Area(*region, 3 * t, bytes);
      const absl::Span<uint8_t> gs = Area(*region, 3 * t + 1, bytes);
      const absl::Span<uint8_t> out = Area(*region, 3 * t + 2, bytes);
      for (int i = 0; i < kCalls; ++i) {
        const std::vector<uint8_t> x = RandomBytes(bytes, 100 * t + i);
        const std::vector<uint8_t> g = RandomBytes(bytes, 100 * t + i + 50);
        Fill(xs, x);
        Fill(gs, g);
        CallResult result;
        const Rpc rpc =
            std::array{Rpc::kApply, Rpc::kApplyInPlace, Rpc::kGradient}[i % 3];
        const CallBuffers buffers =
            rpc == Rpc::kApplyInPlace ? CallBuffers{xs, {}, xs}
            : rpc == Rpc::kGradient   ? CallBuffers{xs, gs, out}
                                      : CallBuffers{xs, {}, out};
        if (!client_->CallInto(Spec(rpc, dtype), buffers, &result).ok()) {
          ++failed[t];
          continue;
        }
        const std::vector<uint8_t> want = rpc == Rpc::kGradient
                                              ? Gradient(dtype, x, g.data())
                                              : Relu(dtype, x);
        if (Copy(buffers.out) != want) ++wrong[t];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(wrong, std::vector<int>(kThreads, 0));
  EXPECT_EQ(failed, std::vector<int>(kThreads, 0));
}

// Polls: the server drops a lease's regions once it sees the call end.
bool EventuallyGone(const std::string& target, const std::string& name) {
  for (int i = 0; i < 100; ++i) {
    if (RegisteredRegions(target).count(name) == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

TEST_F(SharedMemoryTest, RegionsGoWhenDestroyedOrWithTheirClient) {
  std::unique_ptr<SharedMemoryRegion> region = NewRegion(kArea);
  ASSERT_NE(region, nullptr);
  const std::string name = region->name();
  EXPECT_EQ(RegisteredRegions(server_.target).count(name), 1u);
  // Its object's name is gone already: the server holds it open.
  struct stat unused;
  EXPECT_NE(stat(absl::StrCat("/dev/shm/", region->key()).c_str(), &unused), 0);
  region.reset();
  EXPECT_EQ(RegisteredRegions(server_.target).count(name), 0u);

  region = NewRegion(kArea);
  ASSERT_NE(region, nullptr);
  region->bytes()[0] = 7;
  client_.reset();  // ends the lease; the memory stays this process's
  EXPECT_TRUE(EventuallyGone(server_.target, region->name()));
  EXPECT_EQ(region->bytes()[0], 7);
}

TEST(SharedMemoryOffTest, RegionRefusedWithTheServersStatus) {
  testing::SharedMemoryServer server = StartSharedMemoryServer(false);
  TensorClient client(MakeChannel(server.target));
  auto region = SharedMemoryRegion::Create(client, 4096);
  EXPECT_EQ(region.status().code(), absl::StatusCode::kFailedPrecondition)
      << region.status();
  EXPECT_EQ(SharedMemoryRegion::Create(client, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tensor_transform::client
