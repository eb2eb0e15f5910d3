#include "proto/tensor_slices.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace tensor_transform::tensor_slices {
namespace {

constexpr int kApplyTensor[] = {v1::ApplyRequest::kTensorFieldNumber};

// `bytes` as a received message: slices cut at random places.
grpc::ByteBuffer Received(const std::string& bytes, std::mt19937& random) {
  std::vector<grpc::Slice> slices;
  for (size_t at = 0; at < bytes.size();) {
    const size_t n = std::min<size_t>(1 + random() % 64, bytes.size() - at);
    slices.emplace_back(bytes.substr(at, n));
    at += n;
  }
  return grpc::ByteBuffer(slices.data(), slices.size());
}

std::string Gather(const Data& data) {
  std::string bytes;
  for (absl::Span<uint8_t> span : data.spans) {
    bytes.append(reinterpret_cast<const char*>(span.data()), span.size());
  }
  return bytes;
}

v1::ApplyRequest Request(std::string data) {
  v1::ApplyRequest request;
  request.mutable_tensor()->set_dtype(v1::FLOAT32);
  request.mutable_tensor()->add_shape(3);
  request.mutable_tensor()->set_data(std::move(data));
  request.mutable_transform()->mutable_relu();
  request.set_method(v1::ABS);
  return request;
}

TEST(TensorSlices, SplitsAnyCutIntoSmallFieldsAndData) {
  std::mt19937 random(3);
  std::string data(300, '\0');
  for (char& c : data) c = static_cast<char>(random());
  const v1::ApplyRequest request = Request(data);
  for (int trial = 0; trial < 50; ++trial) {
    grpc::ByteBuffer buffer = Received(request.SerializeAsString(), random);
    absl::StatusOr<SplitMessage> split = Split(buffer, kApplyTensor);
    ASSERT_TRUE(split.ok()) << split.status();
    ASSERT_EQ(split->data.size(), 1u);
    EXPECT_EQ(split->data[0].size, data.size());
    EXPECT_EQ(Gather(split->data[0]), data);
    v1::ApplyRequest small;
    ASSERT_TRUE(small.ParseFromString(split->skeleton));
    v1::ApplyRequest expected = request;
    expected.mutable_tensor()->clear_data();
    EXPECT_EQ(small.SerializeAsString(), expected.SerializeAsString());
  }
}

TEST(TensorSlices, DataStaysInTheReceivedSlices) {
  const v1::ApplyRequest request = Request(std::string(4096, 'x'));
  const std::string bytes = request.SerializeAsString();
  const grpc::Slice whole(bytes);
  grpc::ByteBuffer buffer(&whole, 1);
  absl::StatusOr<SplitMessage> split = Split(buffer, kApplyTensor);
  ASSERT_TRUE(split.ok()) << split.status();
  ASSERT_EQ(split->data[0].spans.size(), 1u);
  const uint8_t* data = split->data[0].spans[0].data();
  EXPECT_GE(data, whole.begin());
  EXPECT_LE(data + 4096, whole.end());
}

TEST(TensorSlices, MergesRepeatedTensorFieldsAsProtobufDoes) {
  v1::ApplyRequest first;  // dtype and a first data
  first.mutable_tensor()->set_dtype(v1::INT8);
  first.mutable_tensor()->set_data("old");
  v1::ApplyRequest second;  // shape and the data that wins
  second.mutable_tensor()->add_shape(3);
  second.mutable_tensor()->set_data("new");
  const std::string bytes =
      first.SerializeAsString() + second.SerializeAsString();
  v1::ApplyRequest expected;
  ASSERT_TRUE(expected.ParseFromString(bytes));
  std::mt19937 random(4);
  grpc::ByteBuffer buffer = Received(bytes, random);
  absl::StatusOr<SplitMessage> split = Split(buffer, kApplyTensor);
  ASSERT_TRUE(split.ok()) << split.status();
  EXPECT_EQ(Gather(split->data[0]), expected.tensor().data());
  v1::ApplyRequest small;
  ASSERT_TRUE(small.ParseFromString(split->skeleton));
  EXPECT_EQ(small.tensor().dtype(), v1::INT8);
  EXPECT_EQ(small.tensor().shape_size(), 1);
}

TEST(TensorSlices, RefusesTruncatedMessages) {
  const std::string bytes = Request(std::string(100, 'y')).SerializeAsString();
  std::mt19937 random(5);
  for (size_t cut : {size_t{1}, size_t{2}, size_t{5}, bytes.size() - 1}) {
    grpc::ByteBuffer buffer = Received(bytes.substr(0, cut), random);
    absl::StatusOr<SplitMessage> split = Split(buffer, kApplyTensor);
    EXPECT_EQ(split.status().code(), absl::StatusCode::kInvalidArgument) << cut;
    EXPECT_NE(split.status().message().find("not valid protobuf"),
              std::string::npos);
  }
}

TEST(TensorSlices, EncodesWhatProtobufParses) {
  v1::Tensor tensor;
  tensor.set_dtype(v1::FLOAT64);
  tensor.add_shape(2);
  const std::string data(16, 'z');
  std::vector<grpc::Slice> slices;
  AppendTensor(v1::TransformResponse::kTensorFieldNumber, tensor,
               {grpc::Slice(data.substr(0, 5)), grpc::Slice(data.substr(5))},
               &slices);
  v1::TransformResponse rest;
  rest.set_method(v1::MASKED);
  rest.set_server_compute_ns(7);
  AppendMessage(rest, &slices);
  grpc::ByteBuffer buffer(slices.data(), slices.size());
  std::vector<grpc::Slice> dumped;
  ASSERT_TRUE(buffer.Dump(&dumped).ok());
  std::string bytes;
  for (const grpc::Slice& s : dumped) {
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  v1::TransformResponse parsed;
  ASSERT_TRUE(parsed.ParseFromString(bytes));
  EXPECT_EQ(parsed.tensor().data(), data);
  EXPECT_EQ(parsed.tensor().dtype(), v1::FLOAT64);
  EXPECT_EQ(parsed.tensor().shape_size(), 1);
  EXPECT_EQ(parsed.method(), v1::MASKED);
  EXPECT_EQ(parsed.server_compute_ns(), 7);
}

}  // namespace
}  // namespace tensor_transform::tensor_slices
