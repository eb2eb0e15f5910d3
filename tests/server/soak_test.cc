// Soak: 32 clients (each its own connection) hammer the real binary for a
// bounded time with every RPC, unary and streaming, every dtype, sizes from
// bytes to hundreds of MB, and a share of malformed requests. Nothing may
// end with an unexpected status, every OK result must equal the reference,
// and the server's peak RSS must stay under its budget plus a fixed
// overhead. Afterwards it must still serve and drain cleanly.
//
//   server_soak --soak_seconds=600 --soak_clients=64   # longer, wider
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "tests/server/server_process.h"
#include "tests/server/soak_calls.h"

namespace tensor_transform::server::test_support {
namespace {

int g_seconds = 60;
int g_clients = 32;

constexpr int64_t kMiB = int64_t{1} << 20;
constexpr int64_t kBudget = 2048 * kMiB;  // the server's default
constexpr int64_t kOverhead = 128 * kMiB;

// Outcomes by RPC, and the unexpected ones in full.
class Tally {
 public:
  void Add(const SoakOutcome& outcome) {
    std::lock_guard<std::mutex> lock(mu_);
    ++counts_[outcome.rpc][static_cast<int>(outcome.verdict)];
    bytes_ += outcome.bytes;
    if (outcome.verdict == Verdict::kUnexpected && failures_.size() < 20) {
      failures_.push_back(absl::StrCat(outcome.rpc, ": ", outcome.detail));
    }
  }
  int64_t Count(Verdict verdict) {
    std::lock_guard<std::mutex> lock(mu_);
    int64_t total = 0;
    for (const auto& [rpc, counts] : counts_) {
      total += counts[static_cast<int>(verdict)];
    }
    return total;
  }
  std::string Report() {
    std::lock_guard<std::mutex> lock(mu_);
    std::string out = absl::StrFormat("%-40s %9s %9s %9s %9s\n", "call",
                                      "verified", "rejected", "shed", "wrong");
    for (const auto& [rpc, c] : counts_) {
      absl::StrAppendFormat(&out, "%-40s %9d %9d %9d %9d\n", rpc, c[0], c[1],
                            c[2], c[3]);
    }
    absl::StrAppend(&out, "tensor bytes sent: ", bytes_ / kMiB, " MiB\n");
    for (const std::string& failure : failures_) {
      absl::StrAppend(&out, "UNEXPECTED ", failure, "\n");
    }
    return out;
  }
  size_t Rpcs() {
    std::lock_guard<std::mutex> lock(mu_);
    return counts_.size();
  }

 private:
  std::mutex mu_;  // guards the members below
  std::map<std::string, std::array<int, 4>> counts_;
  int64_t bytes_ = 0;
  std::vector<std::string> failures_;
};

void RunClients(const std::string& target, absl::Time end, Tally* tally) {
  HugeGate gate(1);
  std::vector<std::thread> clients;
  for (int i = 0; i < g_clients; ++i) {
    clients.emplace_back([&, i] {
      grpc::ChannelArguments args;
      args.SetMaxReceiveMessageSize(-1);
      args.SetMaxSendMessageSize(-1);
      args.SetInt("tt.soak_client", i);  // a connection of its own
      SoakClient client(grpc::CreateCustomChannel(
                            target, grpc::InsecureChannelCredentials(), args),
                        1000 + i, SoakSizes(), &gate);
      while (absl::Now() < end) tally->Add(client.RunOne());
    });
  }
  for (std::thread& client : clients) client.join();
}

TEST(Soak, ServesEveryRpcUnderLoadAndBadInputWithinItsMemory) {
  auto server =
      ServerProcess::Start({"--max_message_bytes=268435456",
                            absl::StrCat("--memory_budget_bytes=", kBudget)});
  ASSERT_TRUE(server.ok()) << server.status();
  Tally tally;
  const absl::Time start = absl::Now();
  RunClients((*server)->target(), start + absl::Seconds(g_seconds), &tally);
  const absl::Duration took = absl::Now() - start;
  const int64_t peak = (*server)->PeakRssBytes();

  std::cout << tally.Report()
            << absl::StrFormat(
                   "%d clients, %.0f s; server peak RSS %d MiB (bound %d)\n",
                   g_clients, absl::ToDoubleSeconds(took), peak / kMiB,
                   (kBudget + kOverhead) / kMiB);
  EXPECT_EQ(tally.Count(Verdict::kUnexpected), 0);
  // Every RPC and every malformation came up, and load was mostly served.
  EXPECT_GE(tally.Rpcs(), 6u + 2u + 9u);
  EXPECT_GT(tally.Count(Verdict::kVerified), 4 * tally.Count(Verdict::kShed));
  EXPECT_LT(peak, kBudget + kOverhead);

  (*server)->Signal(SIGTERM);
  EXPECT_EQ((*server)->WaitExit(), 0) << (*server)->Log();
}

}  // namespace
}  // namespace tensor_transform::server::test_support

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto value = [&](const char* flag) {
      return arg.rfind(flag, 0) == 0 ? arg.substr(strlen(flag)) : "";
    };
    namespace ts = tensor_transform::server::test_support;
    if (!absl::SimpleAtoi(value("--soak_seconds="), &ts::g_seconds) &&
        !absl::SimpleAtoi(value("--soak_clients="), &ts::g_clients)) {
      std::cerr << "unknown flag " << arg
                << " (--soak_seconds=N, --soak_clients=N)\n";
      return 2;
    }
  }
  return RUN_ALL_TESTS();
}
