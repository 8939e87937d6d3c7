"""A tiny random Llama over a five-token vocabulary ('a'-'d' and <|eos|>), for the distributed
tests: a random model answers a one-letter question right about a quarter of the time, so RL
steps have non-zero rewards and gradients (with a byte-level vocabulary of 264 they would be 0)."""
import os
import sys

import torch
import transformers
from tokenizers import Tokenizer, decoders, models, pre_tokenizers

out = os.path.join(sys.argv[1], "model")
torch.manual_seed(0)
vocab = {symbol: i for i, symbol in enumerate("abcd")}
tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=[]))
tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
tokenizer.decoder = decoders.ByteLevel()
tokenizer.add_special_tokens(["<|eos|>"])
eos = tokenizer.token_to_id("<|eos|>")
config = transformers.LlamaConfig(vocab_size=5, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                  num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=32,
                                  eos_token_id=eos, tie_word_embeddings=True)
model = transformers.LlamaForCausalLM(config)
model.save_pretrained(out)
tokenizer.save(os.path.join(out, "tokenizer.json"))
print(f"wrote {out}: vocab {tokenizer.get_vocab_size()}, eos {eos}")
