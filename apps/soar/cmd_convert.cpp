// soar convert --gguf FILE --out DIR: a GGUF model as a Hugging Face model directory (docs/gguf.md).
#include "commands.h"
#include "core/output_path.h"
#include "model/checkpoint.h"
#include "options.h"
#include "run/gguf_convert.h"

namespace soar::app {

Action add_convert_command(CLI::App& app) {
  struct Options {
    std::string gguf;
    std::string out;
    std::string dtype = "float32";
  };
  auto o = std::make_shared<Options>();
  CLI::App* command =
      app.add_subcommand("convert", "Convert a GGUF model (llama, gpt2 tokenizer) to a model directory");
  command->add_option("--gguf", o->gguf, "The .gguf file")->required()->check(CLI::ExistingFile);
  command->add_option("--out", o->out, "Output model directory")->required();
  command->add_option("--dtype", o->dtype, "Weights as saved: float32, bfloat16 or float16")
      ->capture_default_str()
      ->check(CLI::IsMember({"float32", "bfloat16", "float16"}));
  return [o, command] {
    if (!command->parsed()) return;
    check_output_path(o->out, OutputKind::Directory, {{"--gguf", o->gguf}});
    const at::ScalarType dtype = o->dtype == "bfloat16"  ? at::kBFloat16
                                 : o->dtype == "float16" ? at::kHalf
                                                         : at::kFloat;
    convert_gguf(o->gguf, o->out, dtype);
    std::cerr << "soar: wrote " << o->out << "\n";
  };
}

}  // namespace soar::app
