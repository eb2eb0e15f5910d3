#include "client/load/thread_count.h"

#include <fstream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"

namespace tensor_transform::client {

int ThreadCount() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    absl::string_view rest = line;
    if (!absl::ConsumePrefix(&rest, "Threads:")) continue;
    int threads = 0;
    return absl::SimpleAtoi(rest, &threads) ? threads : 0;
  }
  return 0;
}

}  // namespace tensor_transform::client
