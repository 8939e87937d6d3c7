"""A small random Llama with a byte-level tokenizer.json (made with HF tokenizers), for the
command-line tests: OUT/model is a complete policy directory."""
import os
import sys

from tokenizers import pre_tokenizers

from tiny_policy import write_tiny_policy

write_tiny_policy(os.path.join(sys.argv[1], "model"), sorted(pre_tokenizers.ByteLevel.alphabet()), layers=1,
                  max_positions=64, vocab_size=264)
