"""Hugging Face generate on the GPU for bench/gpu_sampler_bench.cpp: Llama-3.2-3B config, random
init, bf16, random prompts; dynamic cache, then static cache (transformers compiles the decode step
with CUDA graphs; timed on the run after the compiling one). Prints one JSON line last.
Usage: gpu_generate_reference.py PROMPT NEW_TOKENS BATCH [BATCH ...]"""
import json
import sys
import time

import torch
import transformers

prompt_length, new_tokens, *batches = map(int, sys.argv[1:])
config = transformers.LlamaConfig(
    vocab_size=128256, hidden_size=3072, intermediate_size=8192, num_hidden_layers=28, num_attention_heads=24,
    num_key_value_heads=8, head_dim=128, max_position_embeddings=131072, rms_norm_eps=1e-5, tie_word_embeddings=True,
    rope_parameters={"rope_type": "llama3", "rope_theta": 500000.0, "factor": 32.0, "low_freq_factor": 1.0,
                     "high_freq_factor": 4.0, "original_max_position_embeddings": 8192})
with torch.device("cuda"):
    model = transformers.LlamaForCausalLM(config).to(torch.bfloat16).eval()
torch.manual_seed(0)


def run(batch, **kwargs):
    prompts = torch.randint(0, config.vocab_size, (batch, prompt_length), device="cuda")
    torch.cuda.synchronize()
    start = time.perf_counter()
    with torch.no_grad():
        model.generate(prompts, attention_mask=torch.ones_like(prompts), do_sample=True, temperature=1.0, top_k=0,
                       top_p=1.0, max_new_tokens=new_tokens, min_new_tokens=new_tokens, pad_token_id=0, **kwargs)
    torch.cuda.synchronize()
    return batch * new_tokens / (time.perf_counter() - start)


results = {"device": torch.cuda.get_device_name(), "transformers": transformers.__version__, "torch": torch.__version__}
for batch in batches:
    run(batch)  # warm-up
    results[f"dynamic_b{batch}"] = run(batch)
    print(f"HF generate dynamic b={batch}: {results[f'dynamic_b{batch}']:.0f} tok/s", file=sys.stderr, flush=True)
for batch in batches:
    start = time.perf_counter()
    run(batch, cache_implementation="static")  # compiling run
    results[f"static_compile_seconds_b{batch}"] = time.perf_counter() - start
    results[f"static_b{batch}"] = run(batch, cache_implementation="static")
    print(f"HF generate static+compiled b={batch}: {results[f'static_b{batch}']:.0f} tok/s", file=sys.stderr, flush=True)
print(json.dumps(results))
