"""A tiny random Llama over a five-token vocabulary ('a'-'d' and <|eos|>), for the distributed
tests: a random model answers a one-letter question right about a quarter of the time, so RL
steps have non-zero rewards and gradients (with a byte-level vocabulary of 264 they would be 0)."""
import os
import sys

from tiny_policy import write_tiny_policy

write_tiny_policy(os.path.join(sys.argv[1], "model"), "abcd", layers=2, max_positions=32)
