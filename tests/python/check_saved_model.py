"""Loads the checkpoints our C++ code saved (tests/model/checkpoint_test.cpp) with transformers,
unchanged, and checks that they produce the reference logits and hold the reference weights."""
import os
import sys

import torch
import transformers
from safetensors.torch import load_file

reference_root, saved_root = sys.argv[1], sys.argv[2]
torch.set_num_threads(1)
checked = 0
for family in ("llama3", "qwen2", "qwen3"):
    for variant, tolerance in (("", 1e-5), ("_sharded", 1e-5), ("_bf16", None)):
        saved = os.path.join(saved_root, family + variant)
        model = transformers.AutoModelForCausalLM.from_pretrained(saved, attn_implementation="eager")
        original = transformers.AutoModelForCausalLM.from_pretrained(
            os.path.join(reference_root, family, "model"), attn_implementation="eager")
        if tolerance is None:
            assert model.dtype == torch.bfloat16, f"{saved}: loaded as {model.dtype}, expected bfloat16"
            original = original.to(torch.bfloat16)
        for (name, p), (name_o, p_o) in zip(model.state_dict().items(), original.state_dict().items()):
            assert name == name_o, (name, name_o)
            assert torch.equal(p, p_o), f"{saved}: parameter {name} differs from the original"
        if tolerance is not None:
            ref = load_file(os.path.join(reference_root, family, "reference.safetensors"))
            with torch.no_grad():
                logits = model(input_ids=ref["input_ids"], attention_mask=ref["attention_mask"],
                               position_ids=ref["position_ids"]).logits
            mask = ref["attention_mask"].bool()
            diff = (logits - ref["logits"]).abs()[mask].max().item()
            assert diff <= tolerance, f"{saved}: logits differ by {diff}"
        checked += 1
print(f"transformers loaded {checked} checkpoints saved by soar: all match")
