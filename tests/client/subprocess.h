// Runs a shell command for the tests that drive real programs (the client
// binary, headless Chromium, tidy) and captures its standard output.
//
//   CommandResult r = RunCommand("tidy -q -e report.html 2>&1");
//   EXPECT_EQ(r.exit_code, 0) << r.output;
#ifndef TENSOR_TRANSFORM_TESTS_CLIENT_SUBPROCESS_H_
#define TENSOR_TRANSFORM_TESTS_CLIENT_SUBPROCESS_H_

#include <string>

namespace tensor_transform::client::testing {

struct CommandResult {
  int exit_code = -1;  // the shell's: 127 when the program is not installed
  std::string output;  // standard output
};

CommandResult RunCommand(const std::string& command);

// A new empty directory under $TMPDIR (or /tmp); the test removes nothing,
// so a failure leaves its files to look at.
std::string MakeTempDir();

}  // namespace tensor_transform::client::testing

#endif  // TENSOR_TRANSFORM_TESTS_CLIENT_SUBPROCESS_H_
