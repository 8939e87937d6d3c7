"""A small random Llama with a byte-level tokenizer.json (made with HF tokenizers), for the
command-line tests: OUT/model is a complete policy directory. Two broken copies for the reliability
tests: OUT/mismatched (a 41-token tokenizer on a 4,096-row embedding: another model's tokenizer) and
OUT/nan_model (OUT/model with one weight set to NaN, as a diverged run would leave it). OUT/chat_model:
OUT/model's weights with <|im_start|> and <|im_end|> added and the ChatML chat template, its tokenizer
saved by transformers (tokenizer_config.json, chat_template.jinja), for chat_template_cli_test."""
import os
import shutil
import sys

from safetensors.torch import load_file, save_file
from tokenizers import Tokenizer, pre_tokenizers
from transformers import PreTrainedTokenizerFast

from make_chat_template_reference import CHATML
from tiny_policy import write_tiny_policy

out = sys.argv[1]
alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
write_tiny_policy(os.path.join(out, "model"), alphabet, layers=1, max_positions=64, vocab_size=264)
write_tiny_policy(os.path.join(out, "mismatched"), alphabet[:40], layers=1, max_positions=64, vocab_size=4096)

nan_model = os.path.join(out, "nan_model")
shutil.rmtree(nan_model, ignore_errors=True)
shutil.copytree(os.path.join(out, "model"), nan_model)
weights = load_file(os.path.join(nan_model, "model.safetensors"))
name = sorted(weights)[0]
weights[name].view(-1)[3] = float("nan")
save_file(weights, os.path.join(nan_model, "model.safetensors"), metadata={"format": "pt"})
print(f"wrote {nan_model}: NaN in {name}")

chat_model = os.path.join(out, "chat_model")
shutil.rmtree(chat_model, ignore_errors=True)
shutil.copytree(os.path.join(out, "model"), chat_model)
tokenizer = Tokenizer.from_file(os.path.join(chat_model, "tokenizer.json"))
tokenizer.add_special_tokens(["<|im_start|>", "<|im_end|>"])
os.remove(os.path.join(chat_model, "tokenizer.json"))
PreTrainedTokenizerFast(tokenizer_object=tokenizer, eos_token="<|im_end|>", pad_token="<|eos|>",
                        chat_template=CHATML).save_pretrained(chat_model)
print(f"wrote {chat_model}: {sorted(os.listdir(chat_model))}")
