"""Writes small GGUF files with the `gguf` package (gguf-py) and what gguf-py and transformers read
from them, for gguf_reference_test.

Usage: make_gguf_reference.py OUT_DIR

For each tensor type soar reads (F32, F16, BF16, Q8_0, Q4_0, Q4_1):
  tiny_<T>.gguf                  a tiny random Llama (2 layers, hidden 64, 4 heads, 2 KV heads, a
                                 260-token byte-level BPE vocabulary), every tensor stored as <T>
                                 (quantised by gguf.quants); Q and K permuted as llama.cpp's
                                 converter does. Odd types tie the output to the embedding.
  tiny_<T>.dequant.safetensors   every tensor as gguf.quants.dequantize computes it (float32, the
                                 GGUF name, PyTorch's dims order)
  tiny_<T>.hf.safetensors        transformers' GGUF loader's state dict (Hugging Face names), plus
                                 "input_ids" and its float32 "logits" for them
  tiny_<T>.tokens.json           transformers' GGUF tokenizer's ids for a few strings
patterns.gguf (+ .dequant.safetensors): every float16 and bfloat16 bit pattern, and Q8_0/Q4_0/Q4_1
blocks with every quant value under special scales (subnormal, largest, zero, negative zero,
infinity, NaN), so the bit-exact comparison covers the corners random weights never reach.
"""

import json
import os
import sys

import numpy as np
import torch
from gguf import GGMLQuantizationType as Q
from gguf import GGUFReader, GGUFWriter
from gguf.quants import dequantize, quantize
from safetensors.numpy import save_file as save_numpy
from safetensors.torch import save_file as save_torch

TYPES = [Q.F32, Q.F16, Q.BF16, Q.Q8_0, Q.Q4_0, Q.Q4_1]
HIDDEN, INTERMEDIATE, LAYERS, HEADS, KV_HEADS = 64, 128, 2, 4, 2
HEAD_DIM = HIDDEN // HEADS
STRINGS = ["the theme", "Hello, world!", "  the  end  ", "naïve café ☕", "x = 42; // the", "<|endoftext|>the"]


def bytes_to_unicode():
    """GPT-2's byte -> printable character table."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return [chr(c) for _, c in sorted(zip(bs, cs))]


def vocabulary():
    tokens = ["<|endoftext|>"] + bytes_to_unicode() + ["Ġt", "he", "Ġthe"]
    merges = ["Ġ t", "h e", "Ġt he"]
    types = [3] + [1] * (len(tokens) - 1)  # 3: CONTROL
    return tokens, merges, types


def permute(weights, heads):
    """llama.cpp's convert_hf_to_gguf.py LlamaModel.permute."""
    return weights.reshape(heads, 2, weights.shape[0] // heads // 2, *weights.shape[1:]).swapaxes(1, 2).reshape(weights.shape)


def random_llama(rng, tied):
    """GGUF name -> float32 weights in PyTorch's layout (Q and K already permuted for the file)."""
    vocab = len(vocabulary()[0])
    w = lambda *shape: (rng.standard_normal(shape) * 0.2).astype(np.float32)
    tensors = {"token_embd.weight": w(vocab, HIDDEN), "output_norm.weight": 1 + w(HIDDEN)}
    if not tied:
        tensors["output.weight"] = w(vocab, HIDDEN)
    for i in range(LAYERS):
        p = f"blk.{i}."
        tensors[p + "attn_norm.weight"] = 1 + w(HIDDEN)
        tensors[p + "attn_q.weight"] = permute(w(HEADS * HEAD_DIM, HIDDEN), HEADS)
        tensors[p + "attn_k.weight"] = permute(w(KV_HEADS * HEAD_DIM, HIDDEN), KV_HEADS)
        tensors[p + "attn_v.weight"] = w(KV_HEADS * HEAD_DIM, HIDDEN)
        tensors[p + "attn_output.weight"] = w(HIDDEN, HEADS * HEAD_DIM)
        tensors[p + "ffn_norm.weight"] = 1 + w(HIDDEN)
        tensors[p + "ffn_gate.weight"] = w(INTERMEDIATE, HIDDEN)
        tensors[p + "ffn_up.weight"] = w(INTERMEDIATE, HIDDEN)
        tensors[p + "ffn_down.weight"] = w(HIDDEN, INTERMEDIATE)
    return tensors


def add_stored(writer, name, values, qtype):
    """Adds float32 `values` stored as `qtype` (quantised by gguf-py)."""
    if qtype == Q.F32:
        writer.add_tensor(name, values)
    else:
        writer.add_tensor(name, quantize(values, qtype), raw_dtype=qtype)


def write_tiny(path, qtype, tied, rng):
    tokens, merges, types = vocabulary()
    writer = GGUFWriter(path, "llama")
    writer.add_name(f"tiny {qtype.name}")
    writer.add_block_count(LAYERS)
    writer.add_context_length(256)
    writer.add_embedding_length(HIDDEN)
    writer.add_feed_forward_length(INTERMEDIATE)
    writer.add_head_count(HEADS)
    writer.add_head_count_kv(KV_HEADS)
    writer.add_rope_freq_base(50000.0)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_rope_dimension_count(HEAD_DIM)
    writer.add_vocab_size(len(tokens))
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("gpt-2")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(merges)
    writer.add_bos_token_id(0)
    writer.add_eos_token_id(0)
    writer.add_add_bos_token(False)
    for name, values in random_llama(rng, tied).items():
        add_stored(writer, name, values, qtype)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def dequantized(path):
    """Every tensor of a GGUF file as gguf-py dequantises it, in PyTorch's dims order."""
    out = {}
    for tensor in GGUFReader(path).tensors:
        values = dequantize(tensor.data, tensor.tensor_type)
        out[tensor.name] = np.ascontiguousarray(values.reshape(tuple(int(d) for d in reversed(tensor.shape))), dtype=np.float32)
    return out


def special_halves():
    """float16 bit patterns for scales: subnormals, largest, zero, -0, infinity, NaN, ordinary."""
    return np.array([0x0001, 0x03FF, 0x0400, 0x7BFF, 0x0000, 0x8000, 0x7C00, 0xFC00, 0x7E00, 0x3C00, 0xB555, 0x2E66],
                    dtype=np.uint16)


def pattern_blocks(qtype):
    """Raw blocks: each special scale with every quant value (and, for Q4_1, each special min)."""
    blocks = []
    halves = special_halves()
    if qtype == Q.Q8_0:
        for d in halves:
            for start in range(0, 256, 32):
                q = (np.arange(start, start + 32) - 128).astype(np.int8)
                blocks.append(np.concatenate([np.array([d], np.uint16).view(np.uint8), q.view(np.uint8)]))
    else:
        nibbles = np.arange(16, dtype=np.uint8)
        packed = (nibbles | (nibbles[::-1] << 4)).astype(np.uint8)  # low: 0..15, high: 15..0
        scales = [(d,) for d in halves] if qtype == Q.Q4_0 else [(d, m) for d in halves for m in halves]
        for scale in scales:
            head = np.array(scale, np.uint16).view(np.uint8)
            blocks.append(np.concatenate([head, packed]))
    return np.stack(blocks).astype(np.uint8)


def write_patterns(path):
    writer = GGUFWriter(path, "patterns")
    every = np.arange(65536, dtype=np.uint32).astype(np.uint16)
    writer.add_tensor("f16_all", every.view(np.float16))
    writer.add_tensor("bf16_all", every.view(np.uint8).reshape(65536, 2), raw_dtype=Q.BF16)
    for qtype in (Q.Q8_0, Q.Q4_0, Q.Q4_1):
        writer.add_tensor(f"{qtype.name.lower()}_blocks", pattern_blocks(qtype), raw_dtype=qtype)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def transformers_reference(out_dir, name, tokens_path):
    """transformers' own GGUF loader: state dict, logits on fixed ids, tokenizer ids."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(out_dir, gguf_file=name, dtype=torch.float32).eval()
    input_ids = torch.tensor([[0, 5, 17, 200, 257, 259, 3, 99, 140, 1]], dtype=torch.int64)
    with torch.no_grad():
        logits = model(input_ids).logits.float()
    # A tied lm_head is the embedding again: left out, as soar's model has no such parameter.
    state = {k: v.contiguous() for k, v in model.state_dict().items()
             if not (k == "lm_head.weight" and model.config.tie_word_embeddings)}
    state["input_ids"], state["logits"] = input_ids, logits.contiguous()
    tokenizer = AutoTokenizer.from_pretrained(out_dir, gguf_file=name)
    with open(tokens_path, "w") as f:
        json.dump([{"text": s, "ids": tokenizer(s, add_special_tokens=False).input_ids} for s in STRINGS], f)
    return state


def main():
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(2026)
    for index, qtype in enumerate(TYPES):
        stem = f"tiny_{qtype.name}"
        path = os.path.join(out_dir, stem + ".gguf")
        write_tiny(path, qtype, tied=index % 2 == 1, rng=rng)
        save_numpy(dequantized(path), os.path.join(out_dir, stem + ".dequant.safetensors"))
        state = transformers_reference(out_dir, stem + ".gguf", os.path.join(out_dir, stem + ".tokens.json"))
        save_torch(state, os.path.join(out_dir, stem + ".hf.safetensors"))
    patterns = os.path.join(out_dir, "patterns.gguf")
    write_patterns(patterns)
    save_numpy(dequantized(patterns), os.path.join(out_dir, "patterns.dequant.safetensors"))
    print(f"wrote {len(TYPES)} tiny models and the patterns file to {out_dir}")


if __name__ == "__main__":
    main()
