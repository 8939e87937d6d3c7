"""PyTorch eager training steps for bench/gpu_train_bench.cpp: transformers' LlamaForCausalLM with the
Llama-3.2-3B config, random init, default (SDPA) attention, causal-LM loss over SEQUENCES x LENGTH random
tokens, gradient clipping at 1.0, fused AdamW. Two precisions, each what a PyTorch user would write:
  bf16          weights, gradients and AdamW state in bf16 (the cheapest; updates below bf16's
                spacing are lost)
  fp32_autocast float32 weights and AdamW state, forward/backward under torch.autocast(bf16)
                (mixed precision with float32 master weights, as soar's trainer keeps them)
Median of 5 steps after 2 warm-up steps. Prints one JSON line last.
Usage: gpu_train_reference.py SEQUENCES LENGTH"""
import contextlib
import json
import statistics
import sys
import time

import torch
import transformers

sequences, length = map(int, sys.argv[1:])
config = transformers.LlamaConfig(
    vocab_size=128256, hidden_size=3072, intermediate_size=8192, num_hidden_layers=28, num_attention_heads=24,
    num_key_value_heads=8, head_dim=128, max_position_embeddings=131072, rms_norm_eps=1e-5, tie_word_embeddings=True,
    rope_parameters={"rope_type": "llama3", "rope_theta": 500000.0, "factor": 32.0, "low_freq_factor": 1.0,
                     "high_freq_factor": 4.0, "original_max_position_embeddings": 8192})
torch.manual_seed(0)
tokens = torch.randint(0, config.vocab_size, (sequences, length), device="cuda")


def measure(dtype, autocast):
    with torch.device("cuda"):
        model = transformers.LlamaForCausalLM(config).to(dtype).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-6, fused=True)
    context = (lambda: torch.autocast("cuda", dtype=torch.bfloat16)) if autocast else contextlib.nullcontext

    def step():
        with context():
            loss = model(input_ids=tokens, labels=tokens).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    torch.cuda.reset_peak_memory_stats()
    for _ in range(2):
        step()
    times = []
    for _ in range(5):
        torch.cuda.synchronize()
        start = time.perf_counter()
        step()
        torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    result = {"step_s": statistics.median(times), "min_step_s": min(times),
              "peak_gib": torch.cuda.max_memory_allocated() / 2**30}
    del model, optimizer
    torch.cuda.empty_cache()
    return result


results = {"device": torch.cuda.get_device_name(), "transformers": transformers.__version__, "torch": torch.__version__}
for name, dtype, autocast in [("bf16", torch.bfloat16, False), ("fp32_autocast", torch.float32, True)]:
    try:
        results[name] = measure(dtype, autocast)
        print(f"PyTorch eager {name}: {results[name]['step_s']:.3f} s/step", file=sys.stderr, flush=True)
    except torch.OutOfMemoryError as e:
        results[name + "_error"] = str(e).splitlines()[0]
        torch.cuda.empty_cache()
print(json.dumps(results))
