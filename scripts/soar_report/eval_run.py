"""An eval run (soar eval): pass@k with its confidence intervals from summary.json, and how the
successes spread over problems from per_problem.jsonl."""
import os

import matplotlib.pyplot as plt

from . import rollouts
from .runs import read_json, read_jsonl
from .stats import bootstrap_interval, num, pass_at_k


def k_of(name):
    return int(name.split("@")[1])


def pass_rows(summary, problems):
    """(k, mean, low, high, where the interval comes from) per pass@k of summary.json; an entry without
    an interval gets a percentile bootstrap over per_problem.jsonl's problems (1000 resamples, seed 0)."""
    rows = []
    for name, entry in sorted(summary.get("pass_at_k", {}).items(), key=lambda item: k_of(item[0])):
        k = k_of(name)
        low, high, source = entry.get("ci_low"), entry.get("ci_high"), "summary.json"
        if low is None or high is None:
            low, high = bootstrap_interval([pass_at_k(p["samples"], p["successes"], k) for p in problems
                                            if p.get("samples", 0) >= k])
            source = "bootstrap here"
        rows.append((k, entry.get("mean"), low, high, source))
    return rows


def eval_figure(rows, problems):
    """pass@k with its intervals beside the histogram of per-problem success."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10.4, 3.6))
    pass_axes(left, rows)
    success_histogram(right, problems)
    return fig


def pass_axes(ax, rows):
    ks = [r[0] for r in rows]
    means = [r[1] for r in rows]
    errors = [[m - lo for m, lo in zip(means, [r[2] for r in rows])], [hi - m for m, hi in zip(means, [r[3] for r in rows])]]
    ax.errorbar(ks, means, yerr=errors, marker="o", capsize=4)
    ax.set_xscale("log", base=2)
    ax.set_xticks(ks, [str(k) for k in ks])
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("k")
    ax.set_ylabel("pass@k")
    ax.set_title("pass@k with 95 % bootstrap CI over problems", fontsize=10)
    ax.grid(alpha=0.25)


def success_histogram(ax, problems):
    rates = [p["successes"] / p["samples"] for p in problems if p.get("samples")]
    ax.hist(rates, bins=[i / 10 for i in range(11)], edgecolor="white")
    ax.set_xlabel("share of a problem's samples that were correct")
    ax.set_ylabel("problems")
    ax.set_title(f"success per problem ({len(rates)} problems)", fontsize=10)
    ax.grid(alpha=0.25, axis="y")


def summary_rows(summary, problems):
    never = sum(1 for p in problems if p.get("successes") == 0)
    always = sum(1 for p in problems if p.get("samples") and p.get("successes") == p.get("samples"))
    return [["problems", summary.get("problems", len(problems))],
            ["samples per problem", summary.get("samples_per_problem", "–")],
            ["never solved", f"{never} of {len(problems)}"],
            ["always solved", f"{always} of {len(problems)}"],
            ["generated tokens", summary.get("generated_tokens", "–")],
            ["seconds", num(summary.get("seconds"), 1)]]


def report(doc, run, level):
    summary = read_json(os.path.join(run, "summary.json"))
    problems = read_jsonl(os.path.join(run, "per_problem.jsonl"))
    rows = pass_rows(summary, problems)
    sources = sorted({r[4] for r in rows})
    doc.para("pass@k: the unbiased estimator averaged over problems; the interval is a 95 % bootstrap "
             "confidence interval over problems (" + " and ".join(sources) + ").")
    doc.table(["pass@k", "mean", "95 % CI low", "95 % CI high"],
              [[f"pass@{k}", num(m), num(lo), num(hi)] for k, m, lo, hi, _ in rows])
    doc.table(["quantity", "value"], summary_rows(summary, problems))
    if rows and problems:
        doc.figure(eval_figure(rows, problems), "pass_at_k.png", "pass@k and success per problem")
    rollouts.report(doc, run, level + 1)
