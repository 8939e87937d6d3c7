#include "core/crash_report.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>

#include <cstdlib>

namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kUnderAsan = true;
#else
constexpr bool kUnderAsan = false;
#endif

// A real fault the compiler cannot reason away: a store to a page mapped without access.
void write_to_a_protected_page() {
  void* page = ::mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(page, MAP_FAILED);
  *static_cast<volatile int*>(page) = 1;
}

// The process still dies of the signal (the exit status callers see is unchanged), after a line
// naming it and a backtrace of at least the faulting frame.
TEST(CrashReport, SegmentationFaultIsReportedWithABacktrace) {
  if (kUnderAsan) GTEST_SKIP() << "not installed under AddressSanitizer";
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        soar::report_fatal_signals();
        write_to_a_protected_page();
      },
      testing::KilledBySignal(SIGSEGV),
      "soar: fatal signal 11 \\(Segmentation fault\\); backtrace, innermost first.*\n.*\\[0x[0-9a-f]+\\]");
}

TEST(CrashReport, AbortIsReportedAndStillAborts) {
  if (kUnderAsan) GTEST_SKIP() << "not installed under AddressSanitizer";
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        soar::report_fatal_signals();
        std::abort();
      },
      testing::KilledBySignal(SIGABRT), "soar: fatal signal 6 \\(Aborted\\); backtrace");
}

}  // namespace
