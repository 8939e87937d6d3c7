// TensorBoard event files (events.out.tfevents.*), written without TensorFlow or protobuf: each
// record is a TFRecord (length, masked CRC-32C of the length, an Event message, masked CRC-32C of
// the message) and each Event is encoded by hand, field by field, with the field numbers of
// tensorflow/core/util/event.proto and summary.proto. TensorBoard reads the file while it grows.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace soar {

class EventFile {
 public:
  // Creates DIR/events.out.tfevents.<seconds>.<host>.<pid> (a new file per run, as TensorBoard
  // expects: every file of a directory is one run's stream) and writes its version record.
  explicit EventFile(const std::filesystem::path& dir);
  ~EventFile();
  EventFile(const EventFile&) = delete;
  EventFile& operator=(const EventFile&) = delete;

  void add_scalar(const std::string& tag, int64_t step, double value);
  // Text for TensorBoard's text plugin (a string tensor with plugin_name "text"), e.g. the teacher's
  // datasets.
  void add_text(const std::string& tag, int64_t step, std::string_view text);
  const std::filesystem::path& path() const { return path_; }

 private:
  void write_event(const std::string& event);
  std::filesystem::path path_;
  int fd_ = -1;
};

// CRC-32C (Castagnoli), as TFRecord frames use; exposed for its test vector.
uint32_t crc32c(std::string_view data);

}  // namespace soar
