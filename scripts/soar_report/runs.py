"""What a run directory is: reading its files, and telling its kind from them.

Kinds, and the files that tell them (checked in this order):
  eval        summary.json and per_problem.jsonl (soar eval)
  meta        metrics.jsonl with outer-step records (a "datasets" list) and datasets/ (soar meta)
  train-rl    metrics.jsonl with "step" records, and checkpoint/, model/ or options.json (soar train-rl;
              options.json is there from the start, so a run in progress is reported too)
  experiment  eval-<arm>/per_problem.jsonl or meta runs as subfolders (scripts/soar_experiment.sh)
"""
import gzip
import json
import os

KINDS = ("eval", "meta", "train-rl", "experiment")
LOOKED_FOR = ("summary.json + per_problem.jsonl (eval); metrics.jsonl with outer-step records + datasets/ (meta); "
              "metrics.jsonl with step records + checkpoint/, model/ or options.json (train-rl); eval-<arm>/per_problem.jsonl or "
              "meta runs as subfolders (an experiment)")


class ReportError(Exception):
    """A failure the user can fix (a missing directory, a run of no known kind): one line, no traceback."""


def open_text(path):
    """A text file, gzip-compressed when its name ends in .gz."""
    return gzip.open(path, "rt", encoding="utf-8") if path.endswith(".gz") else open(path, encoding="utf-8")


def read_jsonl(path, strict=True):
    """The records of a JSONL file. strict: a bad line is a ReportError naming file:line; otherwise it is
    skipped (files another process may be writing, or whose format may change: rollouts)."""
    records = []
    with open_text(path) as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as e:
                if strict:
                    raise ReportError(f"{path}:{number}: not valid JSON ({e.msg})") from None
                continue
            if isinstance(record, dict):
                records.append(record)
            elif strict:
                raise ReportError(f"{path}:{number}: not a JSON object")
    return records


def read_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except json.JSONDecodeError as e:
        raise ReportError(f"{path}: not valid JSON ({e.msg})") from None


def metrics(run):
    """RUN/metrics.jsonl's records, [] when there is none."""
    path = os.path.join(run, "metrics.jsonl")
    return read_jsonl(path) if os.path.isfile(path) else []


def step_records(records):
    return [r for r in records if r.get("event") == "step"]


def outer_step_records(records):
    return [r for r in records if isinstance(r.get("datasets"), list)]


def is_eval(run):
    return all(os.path.isfile(os.path.join(run, name)) for name in ("summary.json", "per_problem.jsonl"))


def is_meta(run):
    return os.path.isdir(os.path.join(run, "datasets")) and bool(outer_step_records(metrics(run)))


def is_train_rl(run):
    written = any(os.path.isdir(os.path.join(run, name)) for name in ("checkpoint", "model")) \
        or os.path.isfile(os.path.join(run, "options.json"))
    return written and bool(step_records(metrics(run)))


def subfolders(run):
    return sorted(name for name in os.listdir(run) if os.path.isdir(os.path.join(run, name)))


def is_experiment(run):
    for name in subfolders(run):
        child = os.path.join(run, name)
        if name.startswith("eval-") and os.path.isfile(os.path.join(child, "per_problem.jsonl")):
            return True
        if is_meta(child):
            return True
    return False


def detect_kind(run):
    """The run's kind (KINDS), or a ReportError saying what was looked for and what is there."""
    if not os.path.exists(run):
        raise ReportError(f"no such run directory: {run}")
    if not os.path.isdir(run):
        raise ReportError(f"{run} is not a directory (give a run directory)")
    for kind, test in (("eval", is_eval), ("meta", is_meta), ("train-rl", is_train_rl), ("experiment", is_experiment)):
        if test(run):
            return kind
    entries = sorted(os.listdir(run))
    shown = ", ".join(entries[:12]) + (", ..." if len(entries) > 12 else "") if entries else "nothing"
    hint = next((f"; its subfolder {name}/ is an experiment" for name in subfolders(run)
                 if is_experiment(os.path.join(run, name))), "")
    raise ReportError(f"{run}: not a run of a kind soar report knows (it looked for {LOOKED_FOR}); "
                      f"it holds: {shown}{hint}")
