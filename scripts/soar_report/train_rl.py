"""A train-rl run (soar train-rl): its step records and evaluations from metrics.jsonl."""
import os
import statistics

from . import rollouts
from .figures import Panel, Series, panel_grid
from .runs import metrics, step_records
from .stats import num

# Panels of the training curves: (title, [(field, label)]), drawn when a record has the first field.
CURVES = [
    ("no-signal share (all k samples scored the same)", [("no_signal_groups", "no-signal")]),
    ("loss", [("loss", "loss")]),
    ("KL to the initial model", [("kl", "kl")]),
    ("gradient norm (before clipping)", [("grad_norm", "grad norm")]),
    ("completion length (tokens)", [("length_mean", "mean"), ("length_max", "max")]),
    ("truncated share (hit --max-new-tokens)", [("truncated", "truncated")]),
    ("entropy (nats per token)", [("entropy", "entropy")]),
    ("learning rate", [("lr", "lr")]),
]


def eval_records(records):
    return [r for r in records if r.get("event") == "eval" and isinstance(r.get("pass_at_k"), dict)]


def ks_of(evals):
    names = {name for r in evals for name in r["pass_at_k"]}
    return sorted(names, key=lambda name: int(name.split("@")[1]) if name.split("@")[-1].isdigit() else 0)


def interval(entry):
    """'mean [low, high]' of a pass@k entry {mean, ci_low, ci_high}."""
    if not isinstance(entry, dict) or entry.get("mean") is None:
        return "–"
    if entry.get("ci_low") is None or entry.get("ci_high") is None:
        return num(entry["mean"])
    return f"{num(entry['mean'])} [{num(entry['ci_low'])}, {num(entry['ci_high'])}]"


def summary_rows(run, steps, evals):
    last = steps[-1]
    tail = steps[-min(10, len(steps)):]
    rows = [["steps recorded", len(steps)],
            [f"final reward (step {last['step']})", num(last.get("reward"))],
            [f"final reward spread (sd, step {last['step']})", num(last.get("reward_std"))],
            [f"mean reward over the last {len(tail)} steps", num(statistics.fmean(r.get("reward", 0.0) for r in tail))],
            ["steps with a non-zero mean reward", f"{sum(1 for r in steps if r.get('reward', 0) != 0)} of {len(steps)}"]]
    if evals:
        final = evals[-1]
        rows += [[f"final eval {name} (step {final['step']})", interval(final["pass_at_k"][name])] for name in ks_of([final])]
    seconds = sum(r.get("sample_seconds", 0.0) + r.get("train_seconds", 0.0) for r in steps)
    rows += [["sampling + training time (s)", f"{seconds:.1f}"],
             ["finished", "yes" if os.path.isfile(os.path.join(run, "finished.json")) else "no (running, stopped or killed)"]]
    return rows


def reward_panel(steps):
    xs = [r["step"] for r in steps]
    ys = [r.get("reward") for r in steps]
    spread = [r.get("reward_std") for r in steps]
    band = ([y - s if None not in (y, s) else None for y, s in zip(ys, spread)],
            [y + s if None not in (y, s) else None for y, s in zip(ys, spread)])
    phases = sorted({r["phase"] for r in steps if "phase" in r})
    if len(phases) > 1:  # a fresh student's curriculum: one line per phase
        series = [Series(phase, xs, [y if r.get("phase") == phase else None for y, r in zip(ys, steps)], band)
                  for phase in phases]
    else:
        series = [Series("reward", xs, ys, band)]
    return Panel("reward (mean ± sd over samples)", series)


def eval_panel(evals):
    xs = [r["step"] for r in evals]
    series = []
    for name in ks_of(evals):
        entries = [r["pass_at_k"].get(name) or {} for r in evals]
        series.append(Series(name, xs, [e.get("mean") for e in entries],
                             ([e.get("ci_low") for e in entries], [e.get("ci_high") for e in entries])))
    return Panel("eval pass@k (95 % bootstrap CI)", series, ylim=(-0.02, 1.02))


def training_panels(steps, evals):
    panels = [reward_panel(steps)]
    xs = [r["step"] for r in steps]
    for title, fields in CURVES:
        if fields[0][0] == "lr" and len({r.get("lr") for r in steps}) == 1:
            continue  # a constant learning rate is in the config, not worth a panel
        if fields[0][0] in steps[-1]:
            panels.append(Panel(title, [Series(label, xs, [r.get(field) for r in steps]) for field, label in fields]))
    if evals:
        panels.append(eval_panel(evals))
    return panels


def eval_table(doc, evals):
    names = ks_of(evals)
    doc.table(["step"] + names, [[r["step"]] + [interval(r["pass_at_k"].get(name)) for name in names] for r in evals])


def report(doc, run, level):
    records = metrics(run)
    steps, evals = step_records(records), eval_records(records)
    doc.table(["quantity", "value"], summary_rows(run, steps, evals))
    doc.figure(panel_grid(training_panels(steps, evals), "step"), "training.png", "training curves")
    if evals:
        doc.heading(level + 1, "Evaluations (pass@k, 95 % bootstrap CI over problems, as soar computed them)")
        eval_table(doc, evals)
    rollouts.report(doc, run, level + 1)
