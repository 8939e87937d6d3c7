"""PyTorch eager reference for bench/rl_engine_bench.cpp: the same checkpoint and batch shapes,
sampled with transformers' generate (KV cache, multinomial sampling) and trained with a plain
policy-gradient step (forward, log-probs at completion positions, backward, AdamW).
Prints one JSON line."""
import json
import sys
import time

import torch
import transformers

model_dir, threads, batch, prompt_length, new_tokens = sys.argv[1], *map(int, sys.argv[2:])
torch.set_num_threads(threads)
torch.manual_seed(0)
model = transformers.AutoModelForCausalLM.from_pretrained(model_dir, attn_implementation="sdpa").float()
vocab = model.config.vocab_size
prompts = torch.randint(0, vocab, (batch, prompt_length))
mask = torch.ones_like(prompts)


def generate():
    with torch.no_grad():
        return model.generate(prompts, attention_mask=mask, do_sample=True, temperature=1.0, top_k=0, top_p=1.0,
                              max_new_tokens=new_tokens, min_new_tokens=new_tokens, pad_token_id=0)


generate()
best = float("inf")
for _ in range(3):
    start = time.perf_counter()
    sequences = generate()
    best = min(best, time.perf_counter() - start)
sample_tps = batch * new_tokens / best

optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
advantages = torch.randn(batch)


def train_step():
    optimizer.zero_grad()
    logits = model(sequences).logits[:, prompt_length - 1:-1].float()
    logp = torch.log_softmax(logits, -1).gather(-1, sequences[:, prompt_length:].unsqueeze(-1)).squeeze(-1)
    loss = -(advantages.unsqueeze(1) * logp).sum() / batch
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()


train_step()
best = float("inf")
for _ in range(3):
    start = time.perf_counter()
    train_step()
    best = min(best, time.perf_counter() - start)
train_tps = batch * (prompt_length + new_tokens) / best
print(json.dumps({"sample_tokens_per_s": sample_tps, "train_tokens_per_s": train_tps,
                  "transformers": transformers.__version__, "torch": torch.__version__}))
