"""Encodes and decodes lines with Hugging Face `tokenizers` (the independent reference).

usage: hf_tokenize.py TOKENIZER_JSON TEXTS_JSON OUT_JSON
TEXTS_JSON is a list of strings; OUT_JSON gets [{"ids": [...], "ids_special": [...], "decoded": str}].
"""
import json
import sys

from tokenizers import Tokenizer


def main() -> None:
    tokenizer = Tokenizer.from_file(sys.argv[1])
    with open(sys.argv[2], encoding="utf-8") as f:
        texts = json.load(f)
    out = []
    for text in texts:
        plain = tokenizer.encode(text, add_special_tokens=False).ids
        special = tokenizer.encode(text, add_special_tokens=True).ids
        out.append({"ids": plain, "ids_special": special, "decoded": tokenizer.decode(special, skip_special_tokens=True)})
    with open(sys.argv[3], "w", encoding="utf-8") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
