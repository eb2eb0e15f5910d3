// The HTML report is valid (tidy), self-contained (no URL at all), and its
// script really draws the charts: headless Chromium renders the page and
// its DOM is checked for what the script produced. Chromium and tidy are
// installed by scripts/common.sh; without them these tests fail.
#include "client/load/html_report.h"

#include <fstream>
#include <regex>

#include "absl/strings/str_cat.h"
#include "client/load/recorder.h"
#include "gtest/gtest.h"
#include "tests/client/subprocess.h"

namespace tensor_transform::client {
namespace {

using testing::MakeTempDir;
using testing::RunCommand;

constexpr char kHostileMessage[] = "bad </script><b id=\"injected\">x</b>";

// A level at `concurrency` with 200 synthetic calls: latencies spread over
// 1..20 ms, every tenth rejected with a message that tries to end the
// page's script.
LevelResult SyntheticLevel(int concurrency) {
  LevelRecorder recorder({"apply:maximum", "gradient:abs"});
  CallResult ok;
  ok.data = std::string(64, 'x');
  ok.server_compute_ns = 200'000;
  ok.serialize_ns = 50'000;
  ok.deserialize_ns = 40'000;
  for (int i = 0; i < 200; ++i) {
    CallRecord call;
    call.entry = i % 10 == 0;
    call.status = i % 10 == 0 ? absl::InvalidArgumentError(kHostileMessage)
                              : absl::OkStatus();
    call.scheduled_ns = call.start_ns = i * 5'000'000;
    call.end_ns = call.start_ns + 1'000'000 * (1 + (i * 7 + concurrency) % 20);
    call.bytes_out = 64;
    call.bytes_in = 64;
    call.result = &ok;
    recorder.Record(call);
  }
  return recorder.Finish(concurrency, 0);
}

LoadReport SweepReport() {
  LoadReport report;
  report.settings = {{"target", "127.0.0.1:50051"},
                     {"concurrency", "sweep 1:4:x2"}};
  for (int c : {1, 2, 4}) report.levels.push_back(SyntheticLevel(c));
  return report;
}

std::string WriteReport(const LoadReport& report) {
  const std::string path = MakeTempDir() + "/report.html";
  EXPECT_TRUE(WriteHtmlReport(path, report).ok());
  return path;
}

int Count(const std::string& text, const std::string& pattern) {
  const std::regex re(pattern);
  return static_cast<int>(
      std::distance(std::sregex_iterator(text.begin(), text.end(), re),
                    std::sregex_iterator()));
}

TEST(HtmlReportTest, IsSelfContained) {
  const std::string html = RenderHtmlReport(SweepReport());
  for (const char* outside : {"http:", "https:", "//cdn", "src=", "<link",
                              "@import", "url(", "<iframe", "fetch("}) {
    EXPECT_EQ(html.find(outside), std::string::npos) << outside;
  }
  EXPECT_EQ(html.find("{{TT_REPORT_JSON}}"), std::string::npos);
  // The hostile message is inside the JSON with '<' escaped.
  EXPECT_EQ(html.find("</script><b"), std::string::npos);
  EXPECT_NE(html.find("\\u003c/script>\\u003cb"), std::string::npos);
}

TEST(HtmlReportTest, IsValidHtmlForTidy) {
  const std::string path = WriteReport(SweepReport());
  const auto tidy = RunCommand("tidy -q -e " + path + " 2>&1");
  EXPECT_EQ(tidy.exit_code, 0) << "tidy (Debian package tidy) says:\n"
                               << tidy.output;
}

TEST(HtmlReportTest, RendersItsChartsInHeadlessChromium) {
  const std::string path = WriteReport(SweepReport());
  const std::string profile = MakeTempDir();
  const auto chromium = RunCommand(absl::StrCat(
      "timeout 120 chromium --headless --no-sandbox --disable-gpu "
      "--disable-quic --no-first-run --disable-background-networking "
      "--disable-component-update --disable-sync --user-data-dir=",
      profile, " --dump-dom file://", path, " 2>/dev/null"));
  ASSERT_EQ(chromium.exit_code, 0)
      << "chromium (Debian package chromium) failed";
  const std::string& dom = chromium.output;
  EXPECT_NE(dom.find("data-report-status=\"rendered\""), std::string::npos)
      << dom.substr(0, 2000);
  // Drawn by the script: 4 percentile lines over 3 levels, 3 x 5 stacked
  // split segments, histogram bars, the timeline's two lines.
  EXPECT_EQ(Count(dom, "id=\"percentiles\" data-rendered=\"4\""), 1);
  EXPECT_EQ(Count(dom, "<path class=\"series c[0-3]\""), 4 + 2);
  EXPECT_EQ(Count(dom, "id=\"split\" data-rendered=\"15\""), 1);
  EXPECT_GE(Count(dom, "<rect class=\"bar\""), 5);
  EXPECT_EQ(Count(dom, "<option value=\"[0-2]\""), 3);
  // The hostile message is text in a table cell, not markup.
  EXPECT_EQ(dom.find("<b id=\"injected\""), std::string::npos);
  EXPECT_NE(dom.find("bad &lt;/script&gt;&lt;b id=\"injected\"&gt;x&lt;/b&gt;"),
            std::string::npos);
}

}  // namespace
}  // namespace tensor_transform::client
