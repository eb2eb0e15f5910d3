#include "tests/client/subprocess.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <array>

namespace tensor_transform::client::testing {

CommandResult RunCommand(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
    result.output.append(buffer.data(), n);
  }
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string MakeTempDir() {
  const char* tmp = getenv("TMPDIR");
  std::string path = std::string(tmp != nullptr ? tmp : "/tmp") +
                     "/tensor_transform_client_test.XXXXXX";
  return mkdtemp(path.data()) != nullptr ? path : "";
}

}  // namespace tensor_transform::client::testing
