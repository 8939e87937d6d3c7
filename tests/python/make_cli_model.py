"""A small random Llama with a byte-level tokenizer.json (made with HF tokenizers), for the
command-line tests: OUT/model is a complete policy directory."""
import json
import os
import sys

import torch
import transformers
from tokenizers import Tokenizer, decoders, models, pre_tokenizers

out = os.path.join(sys.argv[1], "model")
torch.manual_seed(0)
byte_level = pre_tokenizers.ByteLevel.alphabet()
vocab = {symbol: i for i, symbol in enumerate(sorted(byte_level))}
tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=[]))
tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
tokenizer.decoder = decoders.ByteLevel()
tokenizer.add_special_tokens(["<|eos|>"])
eos = tokenizer.token_to_id("<|eos|>")
config = transformers.LlamaConfig(vocab_size=264, hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                                  num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
                                  eos_token_id=eos, tie_word_embeddings=True)
model = transformers.LlamaForCausalLM(config)
model.save_pretrained(out)
tokenizer.save(os.path.join(out, "tokenizer.json"))
print(f"wrote {out}: vocab {tokenizer.get_vocab_size()}, eos {eos}")
