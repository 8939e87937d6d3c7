#include "distributed/fault.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "core/error.h"

namespace soar::dist {

void kill_point(int rank, const std::string& point) {
  const char* target = std::getenv("SOAR_TEST_KILL_AT");
  if (target == nullptr) return;
  const std::string here = std::to_string(rank) + ":" + point;
  const std::string wanted = target;
  // "RANK:POINT" kills; "RANK:POINT:STOP" freezes the process instead (a hung rank); "RANK:POINT:THROW"
  // throws soar::Error there (a failure the command must report and survive).
  if (wanted == here + ":THROW") fail("SOAR_TEST_KILL_AT: injected failure at ", point);
  const bool stop = wanted == here + ":STOP";
  if (wanted != here && !stop) return;
  std::cerr << "soar: SOAR_TEST_KILL_AT: rank " << rank << (stop ? " stops" : " kills itself") << " at " << point << std::endl;
  ::kill(::getpid(), stop ? SIGSTOP : SIGKILL);
}

}  // namespace soar::dist
