#include "core/progress.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <thread>
#include <vector>

namespace soar {
namespace {

struct FakeClock {
  double now = 1000.0;
};

Progress::Options options(std::ostringstream& out, FakeClock& clock, bool terminal) {
  Progress::Options o;
  o.out = &out;
  o.terminal = terminal ? 1 : 0;
  o.now = [&clock] { return clock.now; };
  o.item_name = "problems";
  return o;
}

int count(const std::string& text, char c) { return int(std::count(text.begin(), text.end(), c)); }

TEST(Progress, LineShowsCountsRatesElapsedAndEta) {
  std::ostringstream out;
  FakeClock clock;
  Progress progress("mining", 200, "tokens", options(out, clock, false));
  clock.now += 20;
  progress.advance(50, 10000);
  EXPECT_EQ(progress.line(),
            "mining: 50/200 (25.0%) | 2.5 problems/s, 500 tokens/s | elapsed 0:20 | ETA 1:00");
  clock.now += 3600;
  EXPECT_NE(progress.line().find("elapsed 1:00:20"), std::string::npos) << progress.line();
}

TEST(Progress, PlainOutputPrintsEveryTenSecondsAndAtTheEnd) {
  std::ostringstream out;
  FakeClock clock;
  {
    Progress progress("eval", 100, "", options(out, clock, false));
    for (int i = 0; i < 30; ++i) {
      clock.now += 1.0;  // 30 s in total: lines at 10, 20 and 30 s
      progress.advance();
    }
    EXPECT_EQ(count(out.str(), '\n'), 3) << out.str();
    EXPECT_EQ(count(out.str(), '\r'), 0);
    progress.finish();
    progress.finish();  // only once
    progress.advance();  // after finish: counted, not printed
    EXPECT_EQ(progress.done(), 31);
  }  // the destructor does not print again
  std::string text = out.str();
  EXPECT_EQ(count(text, '\n'), 4) << text;
  EXPECT_NE(text.find("eval: 10/100 (10.0%)"), std::string::npos) << text;
  EXPECT_NE(text.find("eval: 30/100 (30.0%) | 1.0 problems/s | elapsed 0:30 | ETA 1:10\n"), std::string::npos) << text;
}

TEST(Progress, TerminalRedrawsInPlaceAtMostFiveTimesASecond) {
  std::ostringstream out;
  FakeClock clock;
  Progress progress("sampling", 0, "tokens", options(out, clock, true));  // unknown total
  for (int i = 0; i < 1000; ++i) {
    clock.now += 0.001;  // 1 s in total
    progress.advance(1, 3);
  }
  int redraws = count(out.str(), '\r');
  EXPECT_GE(redraws, 4);
  EXPECT_LE(redraws, 5);
  EXPECT_EQ(count(out.str(), '\n'), 0);
  progress.finish();
  EXPECT_EQ(count(out.str(), '\n'), 1);
  std::string last = out.str().substr(out.str().rfind('\r') + 1);
  EXPECT_EQ(last.rfind("sampling: 1000 | 1000 problems/s, 3000 tokens/s | elapsed 0:01", 0), 0u) << last;
  EXPECT_EQ(last.find("ETA"), std::string::npos);
  EXPECT_EQ(last.find('%'), std::string::npos);
}

TEST(Progress, AdvanceIsThreadSafe) {
  std::ostringstream out;
  Progress::Options o;
  o.out = &out;
  o.terminal = 1;
  Progress progress("threads", 8000, "units", o);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) progress.advance(1, 2);
    });
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(progress.done(), 8000);
  progress.finish();
  EXPECT_NE(out.str().find("threads: 8000/8000 (100.0%)"), std::string::npos);
}

}  // namespace
}  // namespace soar
