"""Example completions and verdict / finish-reason counts, where a run saved its rollouts:
RUN/rollouts/step_<t>.jsonl[.gz] (train-rl, one file per step) or RUN/rollouts.jsonl[.gz] (eval).
Records may carry step, id, completion, reward, verdict, extracted answer, advantage, length,
finish_reason; every field is optional, bad lines are skipped, and a run without rollouts gets no
section."""
import collections
import os
import re

from .runs import read_jsonl
from .stats import num

EXAMPLE_CHARS = 600
ANSWER_FIELDS = ("extracted", "extracted_answer", "answer_extracted")


def step_number(name):
    match = re.match(r"step_(\d+)\.jsonl(\.gz)?$", name)
    return int(match.group(1)) if match else None


def rollout_files(run):
    """[(label, path)] in step order: the per-step files of RUN/rollouts/, else RUN/rollouts.jsonl[.gz]."""
    folder = os.path.join(run, "rollouts")
    if os.path.isdir(folder):
        steps = sorted((step_number(name), name) for name in os.listdir(folder) if step_number(name) is not None)
        if steps:
            return [(f"step {t}", os.path.join(folder, name)) for t, name in steps]
    for name in ("rollouts.jsonl", "rollouts.jsonl.gz"):
        if os.path.isfile(os.path.join(run, name)):
            return [("all", os.path.join(run, name))]
    return []


def counts(records, field):
    return collections.Counter(str(r.get(field, "–")) for r in records)


def count_table(doc, field, title, totals, last, last_label):
    """Rows: each value of `field`, its count and share over all files, and in the last file."""
    if not totals or set(totals) == {"–"}:
        return
    all_n, last_n = sum(totals.values()), sum(last.values())
    header = [title, "count" if last is totals else "all: count", "share"]
    if last is not totals:
        header += [f"{last_label}: count", "share"]
    rows = []
    for value, n in totals.most_common():
        row = [f"`{value}`", n, f"{n / all_n:.3f}"]
        if last is not totals:
            row += [last.get(value, 0), f"{last.get(value, 0) / max(1, last_n):.3f}"]
        rows.append(row)
    doc.table(header, rows)


def answer_of(record):
    return next((record[f] for f in ANSWER_FIELDS if f in record), None)


def pick_examples(records):
    """Up to three telling completions: the best and the worst rewarded, and one cut at the length limit."""
    scored = [r for r in records if isinstance(r.get("reward"), (int, float)) and isinstance(r.get("completion"), str)]
    picks = []
    if scored:
        picks.append(("highest reward", max(scored, key=lambda r: r["reward"])))
        picks.append(("lowest reward", min(scored, key=lambda r: r["reward"])))
    cut = [r for r in records if r.get("finish_reason") == "length" and isinstance(r.get("completion"), str)]
    if cut:
        picks.append(("stopped at the length limit", cut[0]))
    seen, unique = set(), []
    for label, record in picks:
        if id(record) not in seen:
            seen.add(id(record))
            unique.append((label, record))
    return unique


def describe(record):
    facts = [f"problem `{record['id']}`"] if record.get("id") is not None else []
    for name in ("reward", "advantage"):
        if isinstance(record.get(name), (int, float)):
            facts.append(f"{name} {num(float(record[name]))}")
    for name in ("verdict", "finish_reason", "length"):
        if record.get(name) is not None:
            facts.append(f"{name.replace('_', ' ')} `{record[name]}`")
    if answer_of(record) is not None:
        facts.append(f"extracted answer `{answer_of(record)}`")
    return ", ".join(facts)


def examples(doc, records, where):
    for label, record in pick_examples(records):
        text = record["completion"]
        shown = text
        if len(text) > EXAMPLE_CHARS:
            shown = text[:EXAMPLE_CHARS] + f"\n… ({len(text) - EXAMPLE_CHARS} more characters)"
        doc.para(f"**{label}** ({where}): {describe(record)}")
        doc.code(shown if shown.strip() else "(empty completion)")


def report(doc, run, level):
    files = rollout_files(run)
    if not files:
        return
    per_file = [(label, read_jsonl(path, strict=False)) for label, path in files]
    everything = [r for _, records in per_file for r in records]
    last_label, last = per_file[-1]
    doc.heading(level, "Rollouts")
    where = "rollouts/" if len(files) > 1 else os.path.relpath(files[0][1], run)
    doc.para(f"{len(everything)} saved completions in {len(files)} file(s) (`{where}`).")
    single = len(per_file) == 1
    for field, title in (("verdict", "verdict"), ("finish_reason", "finish reason")):
        totals = counts(everything, field)
        count_table(doc, field, title, totals, totals if single else counts(last, field), last_label)
    examples(doc, last, last_label if not single else "saved rollouts")
