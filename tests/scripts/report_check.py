#!/usr/bin/env python3
"""Checks a `soar report` folder against the run it was made from (tests/cli/report_test.sh):

    report_check.py KIND RUN_DIR REPORT_DIR [--rollouts]

- report.md's numbers are the run's: train-rl, the final step's reward and the final evaluation's
  pass@1 (metrics.jsonl); eval, pass@k and its interval (summary.json); meta, the outer steps,
  promotions and the best teacher reward (metrics.jsonl); experiment, each arm's pass@1 (the mean
  success rate of eval-<arm>/per_problem.jsonl);
- every image report.md shows is a valid PNG (signature, IHDR first, IEND last, chunk CRCs);
- report.html holds no external reference (every src/href is a data: URI, no <script>/<link>/url())
  and embeds every one of those PNGs, byte for byte, as a base64 data URI;
- --rollouts: the Rollouts section counts the verdicts of the rollout files and shows examples.
"""
import base64
import gzip
import json
import os
import re
import struct
import sys
import zlib


def read_jsonl(path):
    return [json.loads(line) for line in open(path) if line.strip()]


def table_value(md, label):
    """The value cell of the row `| label | value |` (the first such row)."""
    for line in md.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and cells[0] == label:
            return cells[1:]
    raise AssertionError(f"no row '{label}' in report.md")


def check_png(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path}: not a PNG signature"
    offset, chunks = 8, []
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset:offset + 8])
        body = data[offset + 8:offset + 8 + length]
        crc, = struct.unpack(">I", data[offset + 8 + length:offset + 12 + length])
        assert zlib.crc32(kind + body) == crc, f"{path}: bad CRC in chunk {kind}"
        chunks.append(kind)
        offset += 12 + length
    assert chunks[0] == b"IHDR" and chunks[-1] == b"IEND" and b"IDAT" in chunks, f"{path}: chunks {chunks[:3]}..."
    width, height = struct.unpack(">II", data[16:24])
    assert width >= 200 and height >= 150, f"{path}: {width}x{height}"
    return data


def check_html(report, pngs):
    page = open(os.path.join(report, "report.html"), encoding="utf-8").read()
    assert page.startswith("<!DOCTYPE html>"), "report.html: no doctype"
    for attribute, value in re.findall(r"""\b(src|href)\s*=\s*["']?([^"' >]*)""", page, re.I):
        assert value.startswith("data:"), f"report.html: external {attribute}={value[:60]}"
    for pattern in (r"<script", r"<link", r"<iframe", r"url\(", r"@import"):
        assert not re.search(pattern, page, re.I), f"report.html: {pattern}"
    images = re.findall(r'<img [^>]*src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == len(pngs), f"report.html: {len(images)} images, report.md shows {len(pngs)}"
    embedded = {base64.b64decode(i) for i in images}
    for name, data in pngs.items():
        assert data in embedded, f"report.html does not embed {name}"


def check_train_rl(run, md):
    records = read_jsonl(os.path.join(run, "metrics.jsonl"))
    last = [r for r in records if r.get("event") == "step"][-1]
    assert table_value(md, f"final reward (step {last['step']})")[0] == f"{last['reward']:.4f}", "final reward"
    assert table_value(md, "steps recorded")[0] == str(last["step"]), "steps recorded"
    evals = [r for r in records if r.get("event") == "eval"]
    if evals:
        p1 = evals[-1]["pass_at_k"]["pass@1"]
        want = f"{p1['mean']:.4f} [{p1['ci_low']:.4f}, {p1['ci_high']:.4f}]"
        assert table_value(md, f"final eval pass@1 (step {evals[-1]['step']})")[0] == want, "final eval pass@1"


def check_eval(run, md):
    summary = json.load(open(os.path.join(run, "summary.json")))
    for name, entry in summary["pass_at_k"].items():
        want = [f"{entry[f]:.4f}" for f in ("mean", "ci_low", "ci_high")]
        assert table_value(md, name)[:3] == want, (name, table_value(md, name), want)
    problems = read_jsonl(os.path.join(run, "per_problem.jsonl"))
    never = sum(1 for p in problems if p["successes"] == 0)
    assert table_value(md, "never solved")[0] == f"{never} of {len(problems)}", "never solved"
    assert "bootstrap" in md, "the interval's kind is not named"


def check_meta(run, md):
    steps = [r for r in read_jsonl(os.path.join(run, "metrics.jsonl")) if "datasets" in r]
    assert table_value(md, "outer steps recorded")[0] == str(len(steps)), "outer steps"
    assert table_value(md, "promotions")[0].split(" ")[0] == str(sum(1 for r in steps if r["promoted"])), "promotions"
    rewards = [(r["step"], d["teacher_reward"]) for r in steps for d in r["datasets"]]
    step, best = max(rewards, key=lambda item: item[1])
    assert table_value(md, "best teacher reward")[0] == f"{best:.4f} (step {step})", "best teacher reward"


def check_experiment(run, md):
    arms = sorted(n[5:] for n in os.listdir(run) if n.startswith("eval-"))
    assert arms, "no arms"
    for arm in arms:
        problems = read_jsonl(os.path.join(run, f"eval-{arm}", "per_problem.jsonl"))
        want = sum(p["successes"] / p["samples"] for p in problems) / len(problems)
        assert table_value(md, arm)[0] == f"{want:.3f}", (arm, table_value(md, arm), want)


def check_rollouts(run, md):
    assert "## Rollouts" in md or "### Rollouts" in md, "no Rollouts section"
    folder = os.path.join(run, "rollouts")
    records = []
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        for line in (gzip.open(path, "rt") if name.endswith(".gz") else open(path)):
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                pass
    for verdict in {r["verdict"] for r in records if "verdict" in r}:
        count = sum(1 for r in records if r.get("verdict") == verdict)
        assert table_value(md, f"`{verdict}`")[0] == str(count), verdict
    assert "**highest reward**" in md and "**lowest reward**" in md, "no example completions"


def main():
    kind, run, report = sys.argv[1:4]
    md = open(os.path.join(report, "report.md"), encoding="utf-8").read()
    {"train-rl": check_train_rl, "eval": check_eval, "meta": check_meta, "experiment": check_experiment}[kind](run, md)
    names = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    assert names, "report.md shows no plot"
    pngs = {name: check_png(os.path.join(report, name)) for name in names}
    check_html(report, pngs)
    if "--rollouts" in sys.argv:
        check_rollouts(run, md)
    print(f"ok   {kind} {run}: {len(pngs)} plots")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print(f"FAIL {sys.argv[1]} {sys.argv[2]}: {e}")
        sys.exit(1)
