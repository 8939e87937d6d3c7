"""Reference data for the model tests, made with transformers on random weights.

For each family (llama3 with llama3 RoPE scaling and tied embeddings, qwen2 with qkv bias, qwen3
with q/k norm and head_dim != hidden/heads) writes OUT/<family>/model (save_pretrained, float32)
and OUT/<family>/reference.safetensors with a left-padded batch, its logits (float32 and bf16
models), and the gradients of a next-token cross-entropy loss w.r.t. every parameter.
"""
import json
import os
import sys

import torch
import transformers
from safetensors.torch import save_file

torch.manual_seed(1234)
torch.set_num_threads(1)
OUT = sys.argv[1]

COMMON = dict(vocab_size=320, hidden_size=64, intermediate_size=112, num_hidden_layers=2,
              num_attention_heads=4, max_position_embeddings=512, rms_norm_eps=1e-5,
              initializer_range=0.15, attn_implementation="eager")
FAMILIES = {
    "llama3": (transformers.LlamaConfig, transformers.LlamaForCausalLM, dict(
        num_key_value_heads=2, tie_word_embeddings=True, bos_token_id=1, eos_token_id=[2, 3],
        rope_parameters={"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0,
                         "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                         "original_max_position_embeddings": 16})),
    "qwen2": (transformers.Qwen2Config, transformers.Qwen2ForCausalLM, dict(
        num_key_value_heads=1, tie_word_embeddings=False, eos_token_id=2,
        rope_parameters={"rope_type": "default", "rope_theta": 10000.0})),
    "qwen3": (transformers.Qwen3Config, transformers.Qwen3ForCausalLM, dict(
        hidden_size=48, head_dim=16, num_key_value_heads=2, tie_word_embeddings=False, eos_token_id=2,
        rope_parameters={"rope_type": "default", "rope_theta": 1000000.0})),
}


def perturb(model):
    # Random init leaves norms at 1 and biases at 0; make them random so that a model which
    # ignored them would fail the comparison.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.copy_(1.0 + 0.2 * torch.randn_like(p))
            elif name.endswith(".bias"):
                p.copy_(0.2 * torch.randn_like(p))


def batch(vocab):
    lengths = [12, 9, 4]
    total = max(lengths)
    ids = torch.randint(0, vocab, (len(lengths), total))
    mask = torch.zeros(len(lengths), total, dtype=torch.long)
    for row, n in enumerate(lengths):
        mask[row, total - n:] = 1
    ids = ids * mask  # pad id 0 on the left
    positions = (mask.cumsum(1) - 1).clamp(min=0)
    return ids, mask, positions


def loss_fn(logits, ids, mask):
    # Mean next-token cross-entropy over positions whose input and target are real tokens.
    targets = ids[:, 1:]
    keep = (mask[:, 1:] * mask[:, :-1]).bool()
    logp = torch.log_softmax(logits[:, :-1].float(), dim=-1)
    picked = logp.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    return -(picked[keep]).mean()


for family, (config_cls, model_cls, extra) in FAMILIES.items():
    kwargs = dict(COMMON)
    kwargs.update(extra)
    attn = kwargs.pop("attn_implementation")
    config = config_cls(**kwargs)
    model = model_cls(config).float()
    model.config._attn_implementation = attn
    perturb(model)
    model.eval()
    directory = os.path.join(OUT, family)
    model.save_pretrained(os.path.join(directory, "model"))

    ids, mask, positions = batch(config.vocab_size)
    logits = model(input_ids=ids, attention_mask=mask, position_ids=positions).logits
    loss = loss_fn(logits, ids, mask)
    loss.backward()
    tensors = {"input_ids": ids, "attention_mask": mask, "position_ids": positions,
               "logits": logits.detach().contiguous(), "loss": loss.detach().reshape(1)}
    for name, p in model.named_parameters():
        tensors["grad." + name] = p.grad.detach().contiguous()

    bf16 = model_cls(config).to(torch.bfloat16)
    bf16.load_state_dict(model.state_dict())
    bf16.config._attn_implementation = attn
    with torch.no_grad():
        tensors["logits_bf16"] = bf16(input_ids=ids, attention_mask=mask, position_ids=positions).logits.float().contiguous()
    save_file(tensors, os.path.join(directory, "reference.safetensors"))
    valid = mask.bool()
    bf16_gap = (tensors["logits_bf16"] - tensors["logits"]).abs()[valid].max().item()
    print(f"{family}: loss {loss.item():.4f}, |logits| max {logits.abs().max().item():.3f}, "
          f"transformers bf16-vs-fp32 max diff {bf16_gap:.4f}")

with open(os.path.join(OUT, "families.json"), "w") as f:
    json.dump(sorted(FAMILIES), f)
