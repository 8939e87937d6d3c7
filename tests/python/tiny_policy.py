"""A tiny random Llama policy directory (config.json, model.safetensors, tokenizer.json) over a
given symbol alphabet plus <|eos|>, with a byte-level tokenizer made by HF tokenizers."""
import os

import torch
import transformers
from tokenizers import Tokenizer, decoders, models, pre_tokenizers


def write_tiny_policy(out, symbols, layers, max_positions, vocab_size=None):
    """vocab_size: the embedding rows (default: the tokenizer's size; larger leaves unused rows)."""
    torch.manual_seed(0)
    tokenizer = Tokenizer(models.BPE(vocab={symbol: i for i, symbol in enumerate(symbols)}, merges=[]))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.add_special_tokens(["<|eos|>"])
    eos = tokenizer.token_to_id("<|eos|>")
    config = transformers.LlamaConfig(vocab_size=vocab_size or tokenizer.get_vocab_size(), hidden_size=32, intermediate_size=64,
                                      num_hidden_layers=layers, num_attention_heads=4, num_key_value_heads=2,
                                      max_position_embeddings=max_positions, eos_token_id=eos, tie_word_embeddings=True)
    transformers.LlamaForCausalLM(config).save_pretrained(out)
    tokenizer.save(os.path.join(out, "tokenizer.json"))
    print(f"wrote {out}: vocab {tokenizer.get_vocab_size()}, eos {eos}")
