#include "core/event_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "core/error.h"

namespace soar {
namespace {

const std::array<uint32_t, 256>& crc_table() {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  return table;
}

uint32_t masked_crc(std::string_view data) {
  const uint32_t crc = crc32c(data);
  return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

// Protocol-buffer wire format: a key is (field << 3) | wire type; 0 varint, 1 fixed64, 2 bytes,
// 5 fixed32.
void put_varint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out += static_cast<char>((value & 0x7f) | 0x80);
    value >>= 7;
  }
  out += static_cast<char>(value);
}
void put_key(std::string& out, int field, int wire_type) { put_varint(out, static_cast<uint64_t>(field << 3 | wire_type)); }
void put_bytes(std::string& out, int field, std::string_view bytes) {
  put_key(out, field, 2);
  put_varint(out, bytes.size());
  out += bytes;
}
template <typename T>
void put_fixed(std::string& out, int field, T value) {
  put_key(out, field, sizeof(T) == 8 ? 1 : 5);
  char raw[sizeof(T)];
  std::memcpy(raw, &value, sizeof(T));  // little-endian on every platform soar builds for
  out.append(raw, sizeof(T));
}

// Event { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
std::string event(int64_t step, const std::string* file_version, const std::string* summary) {
  const double wall_time = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::string out;
  put_fixed(out, 1, wall_time);
  put_key(out, 2, 0);
  put_varint(out, static_cast<uint64_t>(step));
  if (file_version) put_bytes(out, 3, *file_version);
  if (summary) put_bytes(out, 5, *summary);
  return out;
}

std::string host_name() {
  char name[256] = {};
  return gethostname(name, sizeof name - 1) == 0 ? std::string(name) : std::string("localhost");
}

}  // namespace

uint32_t crc32c(std::string_view data) {
  uint32_t crc = 0xffffffffu;
  for (unsigned char byte : data) crc = crc_table()[(crc ^ byte) & 0xff] ^ (crc >> 8);
  return crc ^ 0xffffffffu;
}

EventFile::EventFile(const std::filesystem::path& dir) {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  path_ = dir / cat("events.out.tfevents.", seconds, ".", host_name(), ".", ::getpid());
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) fail("cannot create the TensorBoard event file ", path_, ": ", std::strerror(errno));
  const std::string version = "brain.Event:2";
  write_event(event(0, &version, nullptr));
}

EventFile::~EventFile() {
  if (fd_ >= 0) ::close(fd_);
}

void EventFile::add_scalar(const std::string& tag, int64_t step, double value) {
  // Summary { repeated Value value = 1; }  Value { string tag = 1; float simple_value = 2; }
  std::string value_message;
  put_bytes(value_message, 1, tag);
  put_fixed(value_message, 2, static_cast<float>(value));
  std::string summary;
  put_bytes(summary, 1, value_message);
  write_event(event(step, nullptr, &summary));
}

void EventFile::add_text(const std::string& tag, int64_t step, std::string_view text) {
  // Value { string tag = 1; TensorProto tensor = 8; SummaryMetadata metadata = 9; }
  // TensorProto { DataType dtype = 1 (DT_STRING = 7); TensorShapeProto tensor_shape = 2 (a scalar:
  // empty); repeated bytes string_val = 8; }  SummaryMetadata { PluginData plugin_data = 1; }
  // PluginData { string plugin_name = 1; }
  std::string tensor;
  put_key(tensor, 1, 0);
  put_varint(tensor, 7);
  put_bytes(tensor, 2, "");
  put_bytes(tensor, 8, text);
  std::string plugin, metadata;
  put_bytes(plugin, 1, "text");
  put_bytes(metadata, 1, plugin);
  std::string value_message;
  put_bytes(value_message, 1, tag);
  put_bytes(value_message, 8, tensor);
  put_bytes(value_message, 9, metadata);
  std::string summary;
  put_bytes(summary, 1, value_message);
  write_event(event(step, nullptr, &summary));
}

void EventFile::write_event(const std::string& data) {
  // TFRecord: uint64 length, uint32 masked_crc32c(length), data, uint32 masked_crc32c(data).
  std::string record;
  const uint64_t length = data.size();
  char raw[8];
  std::memcpy(raw, &length, 8);
  record.append(raw, 8);
  uint32_t crc = masked_crc(std::string_view(raw, 8));
  record.append(reinterpret_cast<const char*>(&crc), 4);
  record += data;
  crc = masked_crc(data);
  record.append(reinterpret_cast<const char*>(&crc), 4);
  // One write: a reader sees whole records or a torn last one, which TensorBoard skips and rereads.
  const char* at = record.data();
  size_t left = record.size();
  while (left > 0) {
    const ssize_t written = ::write(fd_, at, left);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) fail("cannot write the TensorBoard event file ", path_, ": ", std::strerror(errno));
    at += written;
    left -= static_cast<size_t>(written);
  }
}

}  // namespace soar
