#include "core/progress.h"

#include <unistd.h>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <iostream>
#include <sstream>

namespace soar {
namespace {

constexpr double kTerminalInterval = 0.2;  // seconds between in-place redraws
constexpr double kLogInterval = 10.0;      // seconds between plain lines

double steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}


std::string format_rate(double rate) {
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, rate < 100 ? "%.1f" : "%.0f", rate);
  return buffer;
}

}  // namespace

std::string format_duration(double seconds) {
  if (!(seconds >= 0) || seconds > 1e8) return "?";
  auto total = int64_t(seconds + 0.5);
  char buffer[48];
  if (total >= 3600)
    std::snprintf(buffer, sizeof buffer, "%" PRId64 ":%02d:%02d", total / 3600, int(total / 60 % 60), int(total % 60));
  else
    std::snprintf(buffer, sizeof buffer, "%d:%02d", int(total / 60), int(total % 60));
  return buffer;
}

Progress::Progress(std::string label, int64_t total, std::string unit)
    : Progress(std::move(label), total, std::move(unit), Options{}) {}

Progress::Progress(std::string label, int64_t total, std::string unit, Options options)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total), options_(std::move(options)) {
  if (!options_.out) options_.out = &std::cerr;
  if (!options_.now) options_.now = steady_seconds;
  terminal_ = options_.terminal < 0 ? ::isatty(STDERR_FILENO) == 1 : options_.terminal == 1;
  start_ = last_print_ = options_.now();
}

Progress::~Progress() {
  try {
    finish();
  } catch (...) {  // a destructor must not throw; losing the last progress line is harmless
  }
}

void Progress::advance(int64_t done, int64_t units) {
  std::lock_guard lock(mutex_);
  done_ += done;
  units_ += units;
  if (finished_) return;
  double now = options_.now();
  if (now - last_print_ >= (terminal_ ? kTerminalInterval : kLogInterval)) print_locked(now, false);
}

void Progress::finish() {
  std::lock_guard lock(mutex_);
  if (finished_) return;
  finished_ = true;
  print_locked(options_.now(), true);
}

int64_t Progress::done() const {
  std::lock_guard lock(mutex_);
  return done_;
}

std::string Progress::line() const {
  std::lock_guard lock(mutex_);
  return line_locked(options_.now());
}

std::string Progress::line_locked(double now) const {
  double elapsed = now - start_;
  std::ostringstream text;
  text << label_ << ": " << done_;
  if (total_ > 0) {
    char percent[32];
    std::snprintf(percent, sizeof percent, " (%.1f%%)", 100.0 * double(done_) / double(total_));
    text << "/" << total_ << percent;
  }
  if (elapsed > 0) {
    text << " | " << format_rate(double(done_) / elapsed) << " " << options_.item_name << "/s";
    if (!unit_.empty()) text << ", " << format_rate(double(units_) / elapsed) << " " << unit_ << "/s";
  }
  text << " | elapsed " << format_duration(elapsed);
  if (total_ > 0 && done_ < total_)
    text << " | ETA " << (done_ > 0 ? format_duration(elapsed / double(done_) * double(total_ - done_)) : "?");
  return text.str();
}

void Progress::print_locked(double now, bool final) {
  std::string text = line_locked(now);
  std::ostream& out = *options_.out;
  if (terminal_) {
    // Pad with spaces so a shorter line fully covers the previous one.
    std::size_t width = text.size();
    if (width < last_width_) text.append(last_width_ - width, ' ');
    last_width_ = width;
    out << '\r' << text;
    if (final) out << '\n';
  } else {
    out << text << '\n';
  }
  out.flush();
  last_print_ = now;
}

}  // namespace soar
