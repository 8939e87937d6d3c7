#include "run/meta_checkpoint.h"

#include <torch/serialize.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/exception_text.h"
#include "model/checkpoint.h"

namespace soar {
namespace fs = std::filesystem;

void save_meta_checkpoint(const fs::path& dir, CausalLMImpl& teacher, PolicyTrainer& teacher_trainer,
                          CausalLMImpl& student, const MetaRunState& state) {
  replace_directory_atomically(dir, [&](const fs::path& staging) {
    save_model(teacher, staging / "teacher");
    save_model(student, staging / "student");
    write_file_atomically(staging / "teacher_optimizer.pt", [&](std::ostream& out) {
      torch::serialize::OutputArchive archive;
      teacher_trainer.save_state(archive);
      archive.save_to(out);
    });
    if (!state.promoted_questions.empty()) write_problems(staging / "promoted_questions.jsonl", state.promoted_questions);
    nlohmann::json json = {{"next_step", state.next_step}, {"teacher_updates", state.teacher_updates},
                           {"promotions", state.promotions},
                           {"promotion_window", std::vector<double>(state.promotion_window.begin(), state.promotion_window.end())}};
    write_text_atomically(staging / "state.json", json.dump() + "\n");  // last: marks the directory complete
  });
}

std::optional<MetaRunState> load_meta_checkpoint(const fs::path& dir, CausalLMImpl& teacher,
                                                 PolicyTrainer& teacher_trainer, CausalLMImpl& student) {
  std::optional<fs::path> found = complete_directory(dir, "state.json");
  if (!found) return std::nullopt;
  const fs::path source = *found;
  MetaRunState state;
  try {
    std::ifstream in(source / "state.json");
    nlohmann::json json = nlohmann::json::parse(in);
    state.next_step = json.at("next_step").get<int64_t>();
    state.teacher_updates = json.at("teacher_updates").get<int64_t>();
    state.promotions = json.at("promotions").get<int64_t>();
    for (double r : json.at("promotion_window")) state.promotion_window.push_back(r);
  } catch (const std::exception& e) {
    fail("SOAR checkpoint ", source / "state.json", " is corrupt: ", exception_text(e));
  }
  LoadOptions options{.dtype = teacher.dtype(), .device = teacher.device()};
  CausalLM saved_teacher = load_model(source / "teacher", options);
  teacher.copy_parameters_from(*saved_teacher);
  CausalLM saved_student = load_model(source / "student", options);
  student.copy_parameters_from(*saved_student);
  std::ifstream optimizer_file(source / "teacher_optimizer.pt", std::ios::binary);
  if (!optimizer_file) fail("SOAR checkpoint ", source, " has no teacher_optimizer.pt");
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(optimizer_file);
    teacher_trainer.load_state(archive);
  } catch (const std::exception& e) {
    fail("SOAR checkpoint ", source / "teacher_optimizer.pt", " cannot be read: ", exception_text(e));
  }
  if (fs::exists(source / "promoted_questions.jsonl")) {
    state.promoted_questions = read_problems(source / "promoted_questions.jsonl").problems;
  }
  return state;
}

}  // namespace soar
