// A test hook for failure handling: with SOAR_TEST_KILL_AT="RANK:POINT" in the environment, the
// process of that rank sends itself SIGKILL when it reaches the named point (e.g. "rl/step/2/sampled",
// "meta/step/1/inner"), so tests can kill a rank at an exact place instead of racing a timer;
// "RANK:POINT:STOP" sends SIGSTOP instead (a rank that hangs), "RANK:POINT:THROW" throws soar::Error.
// Without the variable this is one getenv per call.
#pragma once

#include <string>

namespace soar::dist {

void kill_point(int rank, const std::string& point);

}  // namespace soar::dist
