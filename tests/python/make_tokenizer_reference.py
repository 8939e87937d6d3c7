#!/usr/bin/env python3
"""Reference data for soar's tokenizer, from Hugging Face `tokenizers` and `transformers`.

Usage: make_tokenizer_reference.py OUT_DIR [--count N] [--seed S]

For each real tokenizer in ../shared/data/tokenizers (llama3, qwen3) writes OUT_DIR/<name>.jsonl:
one line per generated string with HF's ids (with and without add_special_tokens) and HF's decode
of them, plus lines that decode random id sequences (which often form invalid UTF-8). It also
writes two derived tokenizers that exercise components the real files do not use, each with its own
cases: llama3_template (TemplateProcessing post-processor, as real Llama 3 checkpoints have) and
qwen3_variant (ByteLevel with add_prefix_space + GPT-2 regex, added tokens with lstrip, rstrip,
single_word and normalized). regex_classes.json lists the code points HF's regex engine puts in
\\s, \\p{L} and \\p{N}. Finally chat.jsonl holds transformers' apply_chat_template output.
The strings are generated deterministically from the seed.
"""
import argparse
import json
import os
import random
import sys
import unicodedata

SHARED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "data", "tokenizers")

SCRIPTS = {  # code point ranges of letters, by script
    "latin": [(0x41, 0x5A), (0x61, 0x7A), (0xC0, 0xFF), (0x100, 0x17F)],
    "cyrillic": [(0x410, 0x44F), (0x451, 0x45F)],
    "greek": [(0x391, 0x3A9), (0x3B1, 0x3C9), (0x386, 0x38F)],
    "cjk": [(0x4E00, 0x9FFF), (0x3040, 0x309F), (0x30A0, 0x30FF)],
    "arabic": [(0x621, 0x64A), (0x660, 0x669)],
    "hindi": [(0x905, 0x939), (0x93E, 0x94D), (0x966, 0x96F)],
    "thai": [(0xE01, 0xE3A), (0xE40, 0xE4E)],
    "korean": [(0xAC00, 0xD7A3), (0x1100, 0x1112), (0x1161, 0x1175)],
}
WORDS = ["the", "naïve", "café", "résumé", "Zürich", "façade", "élève", "São", "Paulo", "Ærø", "Łódź", "straße",
         "привет", "мир", "Ελλάδα", "καλημέρα", "你好", "世界", "東京", "こんにちは", "مرحبا", "नमस्ते", "สวัสดี",
         "안녕하세요", "việc", "hợp", "nhiều", "điều", "jeho", "ektedir", "Việt", "ایران", "ngoài", "nhiên", "hello", "world", "HELLO", "Don't", "I'LL", "we've", "she'd", "it's", "THEY'RE", "I'm"]
EMOJI = ["😀", "👍", "👍🏽", "👩‍💻", "👨‍👩‍👧‍👦", "🏳️‍🌈", "❤️", "🇫🇷", "🤷🏿‍♀️", "🧑🏻‍🤝‍🧑🏼", "✨", "🔥", "🙏🏻", "1️⃣", "©", "™"]
WHITESPACE = [" ", "  ", "   ", "\t", "\t\t", "\n", "\n\n", "\r\n", " \n", "\n ", " \t ", "\u00a0", "\u3000",
              "\u2009", "\u200b", "\u0085", "\u2028", "\f", "\v", " \r\n\t  "]
CODE = ["def f(x):\n    return x**2  # square\n", "for (int i = 0; i < n; ++i) { sum += a[i]; }",
        "if x != None and y>=3:\n\tprint(f'{x!r}')", "#include <stdio.h>\nint main(){return 0;}",
        "const re = /\\s+(?!\\S)/g;", "SELECT * FROM t WHERE id = 42;", "<div class=\"a\">&amp;</div>",
        "    let v: Vec<u8> = vec![0xff; 16];", "x = {'a': [1, 2.5e-3, None], \"b\": True}", "$ ls -la | grep '^d'"]
CONTRACTIONS = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'LL", "'Re", "'VE", "'D", "’s", "'x", "''"]
PUNCT = [".", ",", "!", "?", "...", ";", ":", "-", "—", "(", ")", "\"", "'", "«", "»", "¿", "¡", "。", "、", "→"]


def rand_letter(rng, script):
    lo, hi = rng.choice(SCRIPTS[script])
    return chr(rng.randint(lo, hi))


def rand_word(rng):
    if rng.random() < 0.4:
        return rng.choice(WORDS)
    script = rng.choice(list(SCRIPTS))
    return "".join(rand_letter(rng, script) for _ in range(rng.randint(1, 8)))


def rand_number(rng):
    n = rng.choice([1, 2, 3, 4, 5, 7, 10, 16, 25])
    s = "".join(rng.choice("0123456789") for _ in range(n))
    if rng.random() < 0.3:
        s += rng.choice([".", ",", "e-"]) + str(rng.randint(0, 99999))
    return s


def rand_code_point(rng):
    while True:
        c = rng.choice([rng.randint(0, 0x7F), rng.randint(0x80, 0x7FF), rng.randint(0x800, 0xFFFF),
                        rng.randint(0x10000, 0x10FFFF)])
        if not 0xD800 <= c <= 0xDFFF:
            return chr(c)


def non_nfc(rng):
    base = rng.choice(WORDS + ["Ångström", "ñandú", "Việt Nam", "한국어", "ﬁ ligature", "Å", "ḱ", "ǆ"])
    form = rng.choice(["NFD", "NFKD", "marks"])
    if form == "marks":  # combining marks in non-canonical order on random bases
        marks = ["\u0301", "\u0300", "\u0323", "\u0308", "\u031b", "\u0327", "\u0302"]
        return "".join(rng.choice("aeiouAEIOUnc") + "".join(rng.choice(marks) for _ in range(rng.randint(1, 3)))
                       for _ in range(rng.randint(1, 5)))
    return unicodedata.normalize(form, base)


def fragment(rng, specials):
    kind = rng.randrange(13)
    if kind == 0:
        return rand_word(rng)
    if kind == 1:
        return rng.choice(EMOJI) * rng.randint(1, 3)
    if kind == 2:
        return rng.choice(WHITESPACE) * rng.randint(1, 4)
    if kind == 3:
        return rand_number(rng)
    if kind == 4:
        return rng.choice(CODE)
    if kind == 5:
        return rng.choice(WORDS[-10:] + ["you", "we", "x"]) + rng.choice(CONTRACTIONS)
    if kind == 6:
        return rng.choice(specials)
    if kind == 7:  # random bytes shown as Latin-1 characters
        return bytes(rng.randrange(256) for _ in range(rng.randint(1, 12))).decode("latin-1")
    if kind == 8:
        return "".join(rand_code_point(rng) for _ in range(rng.randint(1, 6)))
    if kind == 9:
        return non_nfc(rng)
    if kind == 10:
        return rng.choice(PUNCT) * rng.randint(1, 3)
    if kind == 11:  # a special token glued to or split across text
        s = rng.choice(specials)
        cut = rng.randint(0, len(s))
        return rng.choice([s[:cut] + " " + s[cut:], "x" + s + "y", s + s, "<|" + rand_word(rng) + "|>"])
    return " ".join(rand_word(rng) for _ in range(rng.randint(2, 8))) + rng.choice(PUNCT)


def make_strings(rng, count, specials):
    fixed = ["", " ", "a", "  leading", "trailing  ", "\n\n\n", "Hello, world!", "I'LL be there, it's fine",
             "1234567890123", "e\u0301", "\u00e9", "a\u0085\u0085b", "x\u180e\u180ey", "it'\u017ft", "\ufeffBOM",
             "\u0000nul", " việc nhiều điều", "ektedir", "😀" * 20, " " * 300 + "x", "a" * 2000, "!" * 500 + "?", "1" * 1000]
    strings = list(fixed)
    while len(strings) < count:
        strings.append("".join(fragment(rng, specials) for _ in range(rng.randint(1, 10))))
    return strings


def write_cases(path, tok, strings, rng, n_decode):
    n_vocab = tok.get_vocab_size(with_added_tokens=True)
    vocab = tok.get_vocab(with_added_tokens=True)
    valid_ids = sorted(vocab.values())
    with open(path, "w", encoding="utf-8") as out:
        for text in strings:
            ids = tok.encode(text, add_special_tokens=False).ids
            ids_special = tok.encode(text, add_special_tokens=True).ids
            out.write(json.dumps({"text": text, "ids": ids, "ids_special": ids_special,
                                  "decoded": tok.decode(ids, skip_special_tokens=False),
                                  "decoded_skip": tok.decode(ids_special, skip_special_tokens=True)}) + "\n")
        for _ in range(n_decode):  # random ids: often invalid UTF-8, sometimes specials
            ids = [rng.choice(valid_ids) if rng.random() < 0.5 else rng.randrange(256) + rng.choice([0, 100, 1000])
                   for _ in range(rng.randint(1, 12))]
            ids = [i for i in ids if i in vocab.values() or i < n_vocab]
            out.write(json.dumps({"decode_ids": ids, "decoded": tok.decode(ids, skip_special_tokens=False),
                                  "decoded_skip": tok.decode(ids, skip_special_tokens=True)}) + "\n")


def chat_cases(out_path):
    from transformers import AutoTokenizer
    convs = [
        [{"role": "user", "content": "Hi!"}],
        [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "What is 2+2?"}],
        [{"role": "system", "content": "  padded system \n"}, {"role": "user", "content": "\n\tq1  "},
         {"role": "assistant", "content": " a1 "}, {"role": "user", "content": "q2\u3000"}],
        [{"role": "user", "content": "Explain."},
         {"role": "assistant", "content": "<think>\nreasoning here\n</think>\n\nThe answer."},
         {"role": "user", "content": "And then?"}],
        [{"role": "user", "content": "Think first."},
         {"role": "assistant", "content": "<think>\n\nstep 1\nstep 2\n\n</think>\n\nDone."}],
        [{"role": "user", "content": "q"}, {"role": "assistant", "content": "no think tags"}],
        [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a</think>b</think>\nc"},
         {"role": "assistant", "content": "x<think>y<think>z</think>w"}],
        [{"role": "system", "content": "sys"}, {"role": "user", "content": "u1"}, {"role": "system", "content": "sys2"},
         {"role": "assistant", "content": "привет 👋"}, {"role": "user", "content": "<tool_response>r</tool_response>"},
         {"role": "assistant", "content": "<think>r2</think>final"}],
        [{"role": "assistant", "content": "starts with assistant"}, {"role": "user", "content": "ok"}],
        [{"role": "user", "content": "\u0085\u00a0 odd spaces \u2028"}, {"role": "assistant", "content": ""}],
    ]
    with open(out_path, "w", encoding="utf-8") as out:
        for name, fmt in (("llama3", "llama3"), ("qwen3", "qwen3")):
            tok = AutoTokenizer.from_pretrained(os.path.join(SHARED, name))
            for conv in convs:
                for gen in (False, True):
                    text = tok.apply_chat_template(conv, tokenize=False, add_generation_prompt=gen)
                    out.write(json.dumps({"format": fmt, "messages": conv, "add_generation_prompt": gen,
                                          "text": text}) + "\n")
    return len(convs) * 4


def derived_tokenizers(out_dir):
    from tokenizers import AddedToken, Tokenizer, pre_tokenizers, processors
    llama = Tokenizer.from_file(os.path.join(SHARED, "llama3", "tokenizer.json"))
    llama.post_processor = processors.Sequence([
        processors.ByteLevel(trim_offsets=False),
        processors.TemplateProcessing(single="<|begin_of_text|> $A", pair="<|begin_of_text|> $A <|begin_of_text|> $B",
                                      special_tokens=[("<|begin_of_text|>", 128000)])])
    llama.save(os.path.join(out_dir, "llama3_template.json"))

    qwen = Tokenizer.from_file(os.path.join(SHARED, "qwen3", "tokenizer.json"))
    qwen.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True, use_regex=True)
    qwen.add_tokens([AddedToken("<ls>", lstrip=True, normalized=False), AddedToken("<rs>", rstrip=True, normalized=False),
                     AddedToken("cat", single_word=True, normalized=False), AddedToken("Ångström", normalized=True)])
    qwen.add_special_tokens([AddedToken("[BOTH]", lstrip=True, rstrip=True, normalized=False)])
    qwen.save(os.path.join(out_dir, "qwen3_variant.json"))
    return {"llama3_template": llama, "qwen3_variant": qwen}


def variant_strings(rng, count):
    parts = ["<ls>", "<rs>", "cat", "Ångström", "A\u030angstro\u0308m", "[BOTH]", " ", "  ", "\t", "\n", "x", "cats",
             "_cat", "cat_", "ócat", "1cat", "кот cat", "hello", " world", "<|im_end|>", "<think>", "😀", "'s", "42"]
    return ["".join(rng.choice(parts) for _ in range(rng.randint(1, 8))) for _ in range(count)]


def regex_classes(out_path):
    """The code points HF's regex engine (Oniguruma) puts in \\s, \\p{L} and \\p{N}."""
    from tokenizers import Regex, pre_tokenizers
    cps = [c for c in range(1, 0x110000) if not 0xD800 <= c <= 0xDFFF]
    text = "".join(chr(c) for c in cps)
    classes = {}
    for name, pattern in (("s", r"\s"), ("L", r"\p{L}"), ("N", r"\p{N}")):
        kept = set()  # with behavior "removed", what remains is exactly what did not match
        for _, (begin, end) in pre_tokenizers.Split(Regex(pattern), "removed").pre_tokenize_str(text):
            kept.update(range(begin, end))
        classes[name] = [cps[i] for i in range(len(cps)) if i not in kept]
    with open(out_path, "w") as out:
        json.dump(classes, out)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out_dir")
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args()
    if not os.path.isdir(SHARED):
        print(f"no shared tokenizers at {SHARED}: writing nothing (the C++ tests skip)")
        return 0
    from tokenizers import Tokenizer
    os.makedirs(args.out_dir, exist_ok=True)
    for name in ("llama3", "qwen3"):
        rng = random.Random(f"{args.seed}-{name}")
        tok = Tokenizer.from_file(os.path.join(SHARED, name, "tokenizer.json"))
        specials = [t.content for t in tok.get_added_tokens_decoder().values()]
        strings = make_strings(rng, args.count, specials)
        write_cases(os.path.join(args.out_dir, f"{name}.jsonl"), tok, strings, rng, 1000)
        print(f"{name}: {len(strings)} strings, 1000 decode cases")
    rng = random.Random(f"{args.seed}-derived")
    for name, tok in derived_tokenizers(args.out_dir).items():
        strings = variant_strings(rng, 2000) + make_strings(rng, 1000, ["<|im_end|>", "<|begin_of_text|>"])
        write_cases(os.path.join(args.out_dir, f"{name}.jsonl"), tok, strings, rng, 200)
        print(f"{name}: {len(strings)} strings, 200 decode cases")
    regex_classes(os.path.join(args.out_dir, "regex_classes.json"))
    n_chat = chat_cases(os.path.join(args.out_dir, "chat.jsonl"))
    print(f"chat: {n_chat} conversations")
    return 0


if __name__ == "__main__":
    sys.exit(main())
