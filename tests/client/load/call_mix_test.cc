#include "client/load/call_mix.h"

#include "gtest/gtest.h"

namespace tensor_transform::client {
namespace {

TEST(CallMixTest, ParsesEntriesWeightsAndDefaultMethod) {
  auto mix =
      ParseCallMix("apply:maximum=3,gradient=1,inplace", core::Method::kAbs);
  ASSERT_TRUE(mix.ok()) << mix.status();
  ASSERT_EQ(mix->size(), 3u);
  EXPECT_EQ((*mix)[0].rpc, Rpc::kApply);
  EXPECT_EQ((*mix)[0].method, core::Method::kMaximum);
  EXPECT_EQ((*mix)[0].weight, 3);
  EXPECT_EQ((*mix)[1].rpc, Rpc::kGradient);
  EXPECT_EQ((*mix)[1].method, core::Method::kAbs);
  EXPECT_EQ((*mix)[2].rpc, Rpc::kApplyInPlace);
  EXPECT_EQ((*mix)[2].weight, 1);
  EXPECT_EQ(MixEntryLabel((*mix)[0]), "apply:maximum");
  EXPECT_EQ(MixEntryLabel(ParseCallMix("apply", std::nullopt)->front()),
            "apply");
}

TEST(CallMixTest, KeepsCombinationsTheServerRejects) {
  auto mix = ParseCallMix("gradient:abs", std::nullopt);
  ASSERT_TRUE(mix.ok());
  EXPECT_EQ(mix->front().method, core::Method::kAbs);
}

TEST(CallMixTest, RejectsMalformedEntries) {
  for (const char* text : {"", ",", "relu", "apply:max", "apply=0", "apply=-1",
                           "apply=x", "apply=", "apply:maximum=2000000"}) {
    EXPECT_EQ(ParseCallMix(text, std::nullopt).status().code(),
              absl::StatusCode::kInvalidArgument)
        << text;
  }
}

TEST(CallMixTest, OrderHoldsWeightsExactlyAndInterleaves) {
  const auto mix = *ParseCallMix("apply=3,gradient=1", std::nullopt);
  const CallOrder order(mix);
  ASSERT_EQ(order.period(), 4u);
  std::vector<size_t> first_period;
  for (int i = 0; i < 4; ++i) first_period.push_back(order.At(i));
  EXPECT_EQ(first_period, (std::vector<size_t>{0, 0, 1, 0}));
  EXPECT_EQ(order.At(4), order.At(0));

  const auto wide = *ParseCallMix("apply=5,inplace=3,gradient=2", std::nullopt);
  const CallOrder wide_order(wide);
  std::vector<int> counts(3, 0);
  int longest_run = 0, run = 0;
  for (int i = 0; i < 10; ++i) {
    ++counts[wide_order.At(i)];
    run = i > 0 && wide_order.At(i) == wide_order.At(i - 1) ? run + 1 : 1;
    longest_run = std::max(longest_run, run);
  }
  EXPECT_EQ(counts, (std::vector<int>{5, 3, 2}));
  EXPECT_LE(longest_run, 2);  // spread out, not 5 x apply in a row
}

}  // namespace
}  // namespace tensor_transform::client
