// Reads files written by the Python `safetensors` library (tests/python/make_safetensors_reference.py)
// and checks every tensor's name, dtype, shape and bytes (sha256) against what that script recorded.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "model/safetensors.h"
#include "safetensors_sha256.h"

namespace {

namespace fs = std::filesystem;
namespace st = soar::safetensors;
using nlohmann::json;

const fs::path kDir = fs::path(SOAR_REFERENCE_DIR) / "safetensors_reference";

json expected() {
  std::ifstream in(kDir / "expected.json");
  if (!in) throw std::runtime_error("missing " + (kDir / "expected.json").string() + ": run the fixture");
  return json::parse(in);
}

std::string sha256_of(const st::TensorView& view) { return soar::test::sha256_hex({view.data, view.nbytes}); }

void expect_tensor(const st::TensorView& view, const json& want) {
  EXPECT_EQ(st::dtype_name(view.dtype), want["dtype"].get<std::string>()) << view.name;
  EXPECT_EQ(view.shape, want["shape"].get<std::vector<int64_t>>()) << view.name;
  EXPECT_EQ(sha256_of(view), want["sha256"].get<std::string>()) << view.name;
}

TEST(SafetensorsReference, Sha256MatchesStandardVectors) {
  auto hex = [](std::string_view s) { return soar::test::sha256_hex(std::as_bytes(std::span(s.data(), s.size()))); };
  EXPECT_EQ(hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(hex(std::string(55, 'a')), "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
  EXPECT_EQ(hex(std::string(64, 'a')), "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
  EXPECT_EQ(hex(std::string(1000, 'a')), "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3");
}

TEST(SafetensorsReference, ReadsFilesWrittenByPython) {
  json want_all = expected();
  ASSERT_EQ(want_all["files"].size(), 2u);
  for (const auto& [filename, want] : want_all["files"].items()) {
    SCOPED_TRACE(filename);
    st::File file = st::File::open(kDir / filename);
    auto metadata = want["metadata"].get<std::map<std::string, std::string>>();
    EXPECT_EQ(file.metadata(), metadata);
    std::vector<std::string> order;
    for (const auto& view : file.tensors()) order.push_back(view.name);
    EXPECT_EQ(order, want["order"].get<std::vector<std::string>>());
    ASSERT_EQ(file.tensors().size(), want["tensors"].size());
    for (const auto& [name, tensor] : want["tensors"].items()) {
      const st::TensorView* view = file.find(name);
      ASSERT_NE(view, nullptr) << name;
      expect_tensor(*view, tensor);
    }
  }
}

TEST(SafetensorsReference, ReadsCheckpointsWrittenLikeTransformers) {
  json want_all = expected();
  ASSERT_EQ(want_all["checkpoints"].size(), 2u);
  for (const auto& [dirname, want] : want_all["checkpoints"].items()) {
    SCOPED_TRACE(dirname);
    st::Checkpoint checkpoint = st::Checkpoint::open(kDir / dirname);
    std::vector<std::string> names;
    std::set<std::string> shards;
    for (const auto& [name, tensor] : want["tensors"].items()) {
      names.push_back(name);
      shards.insert(tensor["shard"].get<std::string>());
      expect_tensor(checkpoint.at(name), tensor);
      // The tensor comes from the shard the index names.
      const st::File* owner = nullptr;
      for (const auto& file : checkpoint.files())
        if (file.find(name) == &checkpoint.at(name)) owner = &file;
      ASSERT_NE(owner, nullptr) << name;
      EXPECT_EQ(owner->path().filename(), tensor["shard"].get<std::string>()) << name;
    }
    EXPECT_EQ(checkpoint.names(), names);  // json objects iterate sorted, like names()
    EXPECT_EQ(checkpoint.files().size(), shards.size());
  }
}

}  // namespace
