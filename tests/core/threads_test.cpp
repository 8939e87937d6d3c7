#include "core/threads.h"

#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include <cstdlib>

#include "core/error.h"

TEST(Threads, ExplicitCountWins) {
  EXPECT_EQ(soar::configure_threads(1), 1);
  EXPECT_EQ(at::get_num_threads(), 1);
  EXPECT_EQ(soar::configure_threads(2), 2);
}

TEST(Threads, EnvironmentVariableIsReadAndValidated) {
  setenv("SOAR_THREADS", "1", 1);
  EXPECT_EQ(soar::configure_threads(), 1);
  setenv("SOAR_THREADS", "two", 1);
  EXPECT_THROW(soar::configure_threads(), soar::Error);
  setenv("SOAR_THREADS", "-3", 1);
  EXPECT_THROW(soar::configure_threads(), soar::Error);
  unsetenv("SOAR_THREADS");
}
