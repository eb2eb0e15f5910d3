#include "client/data/shape.h"

#include "gtest/gtest.h"

namespace tensor_transform::client {
namespace {

TEST(ShapeTest, ParsesShapes) {
  EXPECT_EQ(*ParseShape("5000x5000"), (std::vector<int64_t>{5000, 5000}));
  EXPECT_EQ(*ParseShape("2,3,4"), (std::vector<int64_t>{2, 3, 4}));
  EXPECT_TRUE(ParseShape("")->empty());
  EXPECT_TRUE(ParseShape("scalar")->empty());
  EXPECT_EQ(ParseShape("5x-1").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseShape("5xa").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ShapeTest, CountsElementsWithoutOverflow) {
  EXPECT_EQ(*ElementCount({}), 1);
  EXPECT_EQ(*ElementCount({5000, 5000}), 25'000'000);
  EXPECT_EQ(*ElementCount({0, 7}), 0);
  EXPECT_EQ(ElementCount({int64_t{1} << 32, int64_t{1} << 32}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ShapeTest, FormatsAsParsed) {
  EXPECT_EQ(FormatShape({5000, 5000}), "5000x5000");
  EXPECT_EQ(FormatShape({}), "scalar");
  EXPECT_EQ(*ParseShape(FormatShape({2, 3, 4})),
            (std::vector<int64_t>{2, 3, 4}));
}

}  // namespace
}  // namespace tensor_transform::client
