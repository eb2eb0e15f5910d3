#include "client/data/npy_io.h"

#include <cstdio>
#include <fstream>

#include "client/data/generator.h"
#include "gtest/gtest.h"

namespace tensor_transform::client {
namespace {

std::string TempPath(const std::string& name) {
  return ::testing::TempDir() + "/" + name;
}

TEST(NpyIoTest, RoundTripsEverySupportedDtype) {
  for (core::DType dtype : core::kAllDTypes) {
    if (dtype == core::DType::kBFloat16) continue;  // no .npy form
    NpyArray array{dtype, {3, 5}, UniformTensor(dtype, 15, 1)};
    const std::string path = TempPath("round_trip.npy");
    ASSERT_TRUE(WriteNpy(path, array).ok()) << core::DTypeName(dtype);
    absl::StatusOr<NpyArray> read = ReadNpy(path);
    ASSERT_TRUE(read.ok()) << read.status();
    EXPECT_EQ(read->dtype, dtype);
    EXPECT_EQ(read->shape, array.shape);
    EXPECT_EQ(read->data, array.data);
  }
}

TEST(NpyIoTest, RejectsBFloat16) {
  NpyArray array{core::DType::kBFloat16, {1}, std::string(2, '\0')};
  EXPECT_EQ(WriteNpy(TempPath("bf16.npy"), array).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(NpyIoTest, MissingFileIsNotFound) {
  EXPECT_EQ(ReadNpy(TempPath("missing.npy")).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(NpyIoTest, GarbageIsInvalidArgument) {
  const std::string path = TempPath("garbage.npy");
  std::ofstream(path) << "not a numpy file at all";
  EXPECT_EQ(ReadNpy(path).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(NpyIoTest, UnsupportedDtypeNamesTheTypestring) {
  NpyArray array{core::DType::kInt16, {2}, std::string(4, '\0')};
  const std::string path = TempPath("u2.npy");
  ASSERT_TRUE(WriteNpy(path, array).ok());
  // Turn "<i2" into "<u2" in place: same size, a dtype we do not take.
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  std::string header(128, '\0');
  file.read(header.data(), 128);
  const size_t at = header.find("<i2");
  ASSERT_NE(at, std::string::npos);
  file.seekp(static_cast<std::streamoff>(at + 1));
  file.put('u');
  file.close();
  absl::StatusOr<NpyArray> read = ReadNpy(path);
  EXPECT_EQ(read.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(read.status().message().find("<u2"), std::string::npos);
}

}  // namespace
}  // namespace tensor_transform::client
