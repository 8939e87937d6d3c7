#!/usr/bin/env python3
"""math-verify's verdicts on real model outputs: the CHAMP dataset (PyPI champ-dataset 1.0.0), for
tests/verify/champ_agreement_test.cpp.

    make_champ_reference.py OUT_DIR [--limit N] [--workers K]

CHAMP ships 270 competition problems with gold answers, and for each 72 conversations (GPT-3.5,
GPT-4, GPT-4 Turbo, PaLM 2 Medium x 18 prompt settings). Every conversation ends with the model's
one-sentence summary of its answer (the dataset's own grading input). For each conversation this
writes one line of OUT_DIR/pairs.jsonl:
    id          problem id | conversation key ("P_Algebra_3|GPT-4|0-Shot")
    model       GPT-3.5, GPT-4, GPT-4 Turbo, PaLM 2 Medium
    gold        the problem's answer, as the dataset writes it
    completion  the final model message (the summary; the last one with text)
    mv          math-verify 0.9: verify(parse(gold), parse(completion)): true, false, "timeout", "error"
    mv_gold, mv_answer  what math-verify read on each side (the string of its extraction; "" for none)
    human       only where CHAMP has a first-wrong-step annotation of this conversation's solution:
                "no_mistake" (an annotator found the whole solution correct, so its answer is
                right) or "mistake" (a wrong step exists; the final answer may still be right)

Deterministic (dataset order, no clock). math-verify runs in worker processes with a timeout,
because it can hang on some inputs; a hung worker pool is replaced.
"""
import json
import multiprocessing as mp
import os
import sys

TIMEOUT_S = 20
CHUNK = 64
CHUNK_TIMEOUT_S = 120


def pairs():
    import champ_dataset

    ds = champ_dataset.load("v0")
    out = []
    for pid in sorted(ds.problems, key=lambda k: (k.rsplit("_", 1)[0], int(k.rsplit("_", 1)[1]))):
        p = ds.problems[pid]
        for key, conv in p.conversations.items():
            texts = [m.text for m in conv.messages if m.role.startswith("Model.") and m.text]
            if not texts:
                continue
            item = {"id": f"{pid}|{key}", "model": key.split("|")[0], "gold": p.answer, "completion": texts[-1]}
            fws = (p.fws_annotations or {}).get(key)
            if fws is not None:
                item["human"] = "no_mistake" if fws.start_idx is None else "mistake"
            out.append(item)
    return out


def judge(item):
    """math-verify's verdict, and what it read on each side (its string of the first extraction)."""
    from math_verify import parse, verify

    gold, pred = parse(item["gold"]), parse(item["completion"])
    read = lambda parsed: str(parsed[-1]) if parsed else ""  # noqa: E731 - the fallback string is last
    return [bool(verify(gold, pred)), read(gold), read(pred)]


def judge_chunk(chunk):
    out = []
    for item in chunk:
        try:
            out.append(judge(item))
        except Exception as e:  # noqa: BLE001 - recorded, not fatal
            out.append("error:" + repr(e)[:200])
    return out


def one_by_one(ctx, chunk):
    """A chunk that timed out, redone one item at a time: only the hanging item is "timeout"."""
    out = []
    pool = ctx.Pool(1)
    for item in chunk:
        try:
            out.extend(pool.apply_async(judge_chunk, ([item],)).get(TIMEOUT_S))
        except mp.TimeoutError:
            out.append("timeout")
            pool.terminate()
            pool = ctx.Pool(1)
    pool.terminate()
    return out


def run(items, workers):
    """Verdicts in item order, chunks judged by a pool of worker processes."""
    ctx = mp.get_context("fork")
    verdicts = []
    while len(verdicts) < len(items):
        rest = items[len(verdicts):]
        chunks = [rest[i:i + CHUNK] for i in range(0, len(rest), CHUNK)]
        pool = ctx.Pool(workers)
        results = pool.imap(judge_chunk, chunks)
        for chunk in chunks:
            try:
                # math-verify's own parse/verify timeouts (5 s, signals in the worker) end most slow
                # items; this outer limit catches a worker that hangs anyway.
                verdicts.extend(results.next(CHUNK_TIMEOUT_S))
            except mp.TimeoutError:
                pool.terminate()
                verdicts.extend(one_by_one(ctx, chunk))
                break
        pool.terminate()
    return verdicts


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: make_champ_reference.py OUT_DIR [--limit N] [--workers K]")
    out_dir = sys.argv[1]
    limit = int(sys.argv[sys.argv.index("--limit") + 1]) if "--limit" in sys.argv else None
    workers = int(sys.argv[sys.argv.index("--workers") + 1]) if "--workers" in sys.argv else 2
    os.makedirs(out_dir, exist_ok=True)
    items = pairs()
    if limit:
        items = items[:limit]
    verdicts = run(items, workers)
    assert len(verdicts) == len(items)
    counts = {}
    tmp = os.path.join(out_dir, "pairs.jsonl.tmp")
    with open(tmp, "w") as f:
        for item, v in zip(items, verdicts):
            if isinstance(v, str) and v.startswith("error:"):
                item["mv"], item["mv_error"] = "error", v[6:]
            elif v == "timeout":
                item["mv"] = v
            else:
                item["mv"], item["mv_gold"], item["mv_answer"] = v
            counts[str(item["mv"])] = counts.get(str(item["mv"]), 0) + 1
            f.write(json.dumps(item, ensure_ascii=False) + "\n")
    os.replace(tmp, os.path.join(out_dir, "pairs.jsonl"))
    print(f"{len(items)} pairs; math-verify verdicts: {counts}")


if __name__ == "__main__":
    main()
