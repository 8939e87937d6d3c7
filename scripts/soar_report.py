"""Writes a SOAR report (report.md + PNG plots) from one or more experiment directories.

Usage: soar_report.py --out REPORT_DIR [--title TEXT] EXP_DIR [EXP_DIR ...]

Each EXP_DIR is one seed of an experiment, laid out as scripts/demo.sh and scripts/soar_experiment.sh
write it:
  eval-<arm>/per_problem.jsonl   D_test successes per problem for each arm (pass@k is computed here
                                 with the unbiased estimator for k = 1, 2, 4, ..., n)
  <arm>/metrics.jsonl            for meta arms: one record per outer step (soar meta)
  <arm>/datasets/step_<t>.jsonl  what each student trained on (levels and answer correctness are
                                 checked here with exact arithmetic)
Numbers are means over the EXP_DIRs, with the standard deviation where there are several.
"""
import argparse
import json
import math
import os
import re
import statistics
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

FIELD = re.compile(r"^(\d+)_*$")


def checkout_field_width():
    """The testbed's operand field width in this checkout: kWidth in src/domains/testbed/domain.h."""
    header = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "domains", "testbed", "domain.h")
    match = re.search(r"constexpr int kWidth = (\d+);", open(header).read())
    if not match:
        sys.exit(f"soar_report: no kWidth in {header}; pass --field-width")
    return int(match.group(1))


def read_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def pass_at_k(n, c, k):
    """Unbiased pass@k (Chen et al.): 1 - C(n-c, k) / C(n, k)."""
    if n - c < k:
        return 1.0
    return 1.0 - math.prod((n - c - i) / (n - i) for i in range(k))


def statement_level(statement, width):
    """Level of a testbed statement 'a___+b___' (two fields `width` wide), or None."""
    parts = statement.strip().split("+")
    if len(parts) != 2 or any(len(p) != width for p in parts):
        return None
    digits = [FIELD.match(p) for p in parts]
    if not all(digits):
        return None
    return max(len(d.group(1)) for d in digits)


def little_endian_sum(statement):
    """The true answer of a well-formed statement, written as the testbed writes answers."""
    a, b = (field.rstrip("_") for field in statement.strip().split("+"))
    return str(int(a[::-1]) + int(b[::-1]))[::-1]


def trained_problems(run_dir, width):
    """(level or None, answer correct) of every problem a student trained on: datasets/step_*.jsonl
    (written by soar meta: the parsed, possibly corrupted datasets; None = not a well-formed
    statement)."""
    out = []
    folder = os.path.join(run_dir, "datasets")
    if not os.path.isdir(folder):
        return out
    names = sorted(os.listdir(folder))
    have_jsonl = any(name.endswith(".jsonl") for name in names)
    for name in names:
        if have_jsonl and name.endswith(".jsonl"):
            pairs = [(item["problem"], item["answer"]) for item in read_jsonl(os.path.join(folder, name))]
        elif not have_jsonl and name.endswith(".txt"):
            # Older runs: what the teacher wrote, read as "Q:<statement>" / "A:<answer>" pairs.
            lines = [line.rstrip("\n") for line in open(os.path.join(folder, name))]
            pairs = [(q[2:], a[2:]) for q, a in zip(lines, lines[1:]) if q.startswith("Q:") and a.startswith("A:")]
        else:
            continue
        for problem, answer in pairs:
            level = statement_level(problem, width)
            correct = level is not None and little_endian_sum(problem) == answer.strip()
            out.append((level, correct))
    return out


def direct_rl_rewards(seeds):
    """Per seed with a hard-only run: (steps with a non-zero mean reward, steps, the first such step or None)."""
    result = []
    for exp in seeds:
        path = os.path.join(exp, "hard-only", "metrics.jsonl")
        if not os.path.exists(path):
            continue
        steps = [r for r in read_jsonl(path) if r.get("event") == "step"]
        hits = [r["step"] for r in steps if r.get("reward", 0) > 0]
        result.append((len(hits), len(steps), hits[0] if hits else None))
    return result


def same_datasets(seeds, arm, other):
    """Whether `arm` wrote byte for byte the datasets `other` wrote, in every outer step of every seed
    where both ran (datasets/step_*.jsonl); False when there is nothing to compare."""
    compared = 0
    for exp in seeds:
        folders = [os.path.join(exp, name, "datasets") for name in (arm, other)]
        if not all(os.path.isdir(f) for f in folders):
            continue
        names = [sorted(n for n in os.listdir(f) if n.startswith("step_") and n.endswith(".jsonl")) for f in folders]
        if names[0] != names[1] or not names[0]:
            return False
        for name in names[0]:
            contents = [open(os.path.join(f, name), "rb").read() for f in folders]
            if contents[0] != contents[1]:
                return False
        compared += 1
    return compared > 0


def save_figure(fig, legend_axis, path, dpi):
    """Legend, layout, write the PNG, free the figure."""
    legend_axis.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)


def mean_sd(values):
    values = [v for v in values if v is not None]
    if not values:
        return None, None
    return statistics.mean(values), (statistics.stdev(values) if len(values) > 1 else None)


def fmt(values, digits=3):
    m, sd = mean_sd(values)
    if m is None:
        return "–"
    return f"{m:.{digits}f}" + (f" ± {sd:.{digits}f}" if sd is not None else "")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--title", default="SOAR report")
    parser.add_argument("--field-width", type=int, default=None,
                        help="operand field width of the runs' testbed format (default: this checkout's kWidth; 12 for "
                             "formats 1-4)")
    parser.add_argument("experiments", nargs="+")
    args = parser.parse_args()
    field_width = args.field_width or checkout_field_width()
    os.makedirs(args.out, exist_ok=True)
    seeds = args.experiments

    arms = sorted({name[len("eval-"):] for exp in seeds for name in os.listdir(exp) if name.startswith("eval-")},
                  key=lambda a: (a != "base", a != "hard-only", a))
    meta_arms = sorted({name for exp in seeds for name in os.listdir(exp)
                        if os.path.exists(os.path.join(exp, name, "metrics.jsonl"))
                        and any("datasets" in r for r in read_jsonl(os.path.join(exp, name, "metrics.jsonl")))})

    # pass@k on D_test.
    curves = {}  # arm -> k -> [value per seed]
    for arm in arms:
        for exp in seeds:
            path = os.path.join(exp, f"eval-{arm}", "per_problem.jsonl")
            if not os.path.exists(path):
                continue
            problems = read_jsonl(path)
            n = min(p["samples"] for p in problems)
            k = 1
            while k <= n:
                value = statistics.mean(pass_at_k(p["samples"], p["successes"], k) for p in problems)
                curves.setdefault(arm, {}).setdefault(k, []).append(value)
                k *= 2
    ks = sorted({k for c in curves.values() for k in c})
    out = [f"# {args.title}\n", f"{len(seeds)} seed(s): " + ", ".join(f"`{s}`" for s in seeds) + "\n",
           "## Held-out hard set D_test: pass@k (mean ± sd over seeds)\n",
           "| arm | " + " | ".join(f"pass@{k}" for k in ks) + " |", "| --- |" + " --- |" * len(ks)]
    for arm in arms:
        out.append(f"| {arm} | " + " | ".join(fmt(curves.get(arm, {}).get(k, [])) for k in ks) + " |")
    fig, ax = plt.subplots(figsize=(6, 4))
    for arm in arms:
        xs = sorted(curves.get(arm, {}))
        ys = [statistics.mean(curves[arm][k]) for k in xs]
        errs = [statistics.stdev(curves[arm][k]) if len(curves[arm][k]) > 1 else 0 for k in xs]
        ax.errorbar(xs, ys, yerr=errs, marker="o", capsize=3, label=arm)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("k")
    ax.set_ylabel("D_test pass@k")
    ax.set_title("Hard test set")
    save_figure(fig, ax, os.path.join(args.out, "pass_at_k.png"), dpi=120)
    out.append("\n![pass@k](pass_at_k.png)\n")
    # Where direct RL on D_train found rewards and lifted D_test, the hard level was no plateau: the
    # reader should not take SOAR's arms losing to hard-only RLVR there for the paper's setting.
    rewarded = direct_rl_rewards(seeds)
    if rewarded and ks and curves.get("hard-only") and curves.get("base"):
        k = ks[-1]
        direct, base = statistics.mean(curves["hard-only"][k]), statistics.mean(curves["base"][k])
        if direct > base and any(count > 0 for count, _, _ in rewarded):
            per_seed = "; ".join(f"{count} of {steps} steps" + (f", the first at step {first}" if first else "")
                                 for count, steps, first in rewarded)
            out.append(f"**Direct RL was not stuck at this hard level:** hard-only RLVR on D_train got a non-zero reward in "
                       f"{per_seed} (per seed) and lifted D_test pass@{k} from {base:.3f} (base model) to {direct:.3f}. "
                       f"Where direct RL finds rewards the hard set is not the plateau SOAR is for; docs/testbed.md "
                       f"(table 9) places the hard level so that direct RL gets none.\n")

    if meta_arms:
        # Per outer step: mean and best grounded reward, promotions, diversity, samples.
        series = {}  # arm -> metric -> step -> [per seed]
        levels = {}
        totals = {}
        for arm in meta_arms:
            for exp in seeds:
                path = os.path.join(exp, arm, "metrics.jsonl")
                if not os.path.exists(path):
                    continue
                promoted = 0
                samples = 0
                for r in read_jsonl(path):
                    if "datasets" not in r:
                        continue
                    # Intrinsic teachers (learnability, uncertainty) run no inner loop: no grounded reward.
                    rewards = [d["grounded_reward"] for d in r["datasets"] if d.get("grounded_reward") is not None]
                    promoted += int(r["promoted"])
                    samples += sum(r.get("samples", {}).values())
                    questions = [d for d in r["datasets"] if d["questions"] > 0]
                    values = {
                        "mean grounded reward": statistics.mean(rewards) if rewards else None,
                        "best grounded reward": max(rewards) if rewards else None,
                        "baseline success on Q_t": r.get("baseline_success"),
                        "Vendi score of the step's questions": r.get("vendi"),
                        "promotions (cumulative)": promoted,
                        "distinct-bigram ratio": statistics.mean(d["distinct_bigrams"] for d in questions) if questions else None,
                        "duplicate rate": statistics.mean(d["duplicate_rate"] for d in questions) if questions else None,
                        "questions parsed per dataset": statistics.mean(d["questions"] for d in r["datasets"]),
                    }
                    for metric, value in values.items():
                        series.setdefault(arm, {}).setdefault(metric, {}).setdefault(r["step"], []).append(value)
                totals.setdefault(arm, []).append(samples)
                levels.setdefault(arm, []).extend(trained_problems(os.path.join(exp, arm), field_width))
        metrics = ["mean grounded reward", "best grounded reward", "baseline success on Q_t", "promotions (cumulative)",
                   "distinct-bigram ratio", "Vendi score of the step's questions"]
        fig, axes = plt.subplots(3, 2, figsize=(10, 10))
        for ax, metric in zip(axes.flat, metrics):
            for arm in meta_arms:
                known = {t: [v for v in vs if v is not None] for t, vs in series.get(arm, {}).get(metric, {}).items()}
                steps = sorted(t for t, vs in known.items() if vs)
                ys = [mean_sd(known[t])[0] for t in steps]
                ax.plot(steps, ys, marker="o", label=arm)
            ax.set_title(metric)
            ax.set_xlabel("outer step")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        save_figure(fig, axes.flat[0], os.path.join(args.out, "outer_steps.png"), dpi=110)
        out += ["## Meta-loop arms, per outer step\n", "![outer steps](outer_steps.png)\n",
                "| arm | mean grounded reward (all steps) | best grounded reward | promotions | distinct bigrams | duplicates | questions / dataset | samples per run |",
                "| --- | --- | --- | --- | --- | --- | --- | --- |"]
        for arm in meta_arms:
            s = series.get(arm, {})
            def per_seed(metric, reduce=statistics.mean):
                if not s.get(metric):
                    return []
                runs = zip(*[s[metric][t] for t in sorted(s[metric])])
                return [reduce(known) for known in ([x for x in v if x is not None] for v in runs) if known]
            last = max(s.get("promotions (cumulative)", {0: [0]}))
            out.append(f"| {arm} | {fmt(per_seed('mean grounded reward'))} | {fmt(per_seed('best grounded reward'))} | "
                       f"{fmt(s.get('promotions (cumulative)', {}).get(last, []), 1)} | "
                       f"{fmt(per_seed('distinct-bigram ratio', lambda v: statistics.mean([x for x in v if x is not None] or [0])))} | "
                       f"{fmt(per_seed('duplicate rate', lambda v: statistics.mean([x for x in v if x is not None] or [0])))} | "
                       f"{fmt(per_seed('questions parsed per dataset'), 1)} | {fmt(totals.get(arm, []), 0)} |")
        # An arm whose datasets equal the untrained teacher's is not a bug to hunt for: its teacher's
        # updates were too small to change a sampled token under the same seeds. Say so.
        for arm in meta_arms:
            if arm != "base-teacher" and same_datasets(seeds, arm, "base-teacher"):
                best = max((mean_sd([x for x in v if x is not None])[0] for v in series[arm]["best grounded reward"].values()
                            if any(x is not None for x in v)), default=0.0)
                out.append(f"\n**{arm} wrote exactly the datasets base-teacher wrote, in every outer step:** its "
                           f"teacher's updates (the largest grounded reward of an outer step: {best:.3f}, mean over seeds) changed no "
                           f"sampled token under the same seeds, so the two arms' students trained on the same data.")
        if any(levels.values()):
            fig, ax = plt.subplots(figsize=(8, 4))
            width = 0.8 / max(1, len(meta_arms))
            names = ["bad"] + [str(level) for level in range(1, field_width + 1)]
            for j, arm in enumerate(meta_arms):
                items = levels.get(arm, [])
                counts = [sum(1 for level, _ in items if level is None)] + \
                         [sum(1 for level, _ in items if level == L) for L in range(1, field_width + 1)]
                total = max(1, sum(counts))
                ax.bar([x + j * width for x in range(len(names))], [c / total for c in counts], width=width, label=arm)
            ax.set_xticks([x + 0.4 for x in range(len(names))], names)
            ax.set_xlabel("level of a problem a student trained on ('bad': not a well-formed statement)")
            ax.set_ylabel("fraction")
            save_figure(fig, ax, os.path.join(args.out, "trained_levels.png"), dpi=110)
            out += ["\n## What the students trained on (all outer steps and seeds)\n",
                    "![levels](trained_levels.png)\n",
                    "Per arm: problems, share that are well-formed, and the share of correct answers per level "
                    "(checked with the testbed's exact arithmetic):\n",
                    "| arm | problems | well-formed | " + " | ".join(f"L{L}" for L in range(1, field_width + 1)) + " |",
                    "| --- | --- | --- |" + " --- |" * field_width]
            for arm in meta_arms:
                items = levels.get(arm, [])
                if not items:
                    continue
                cells = []
                for L in range(1, field_width + 1):
                    at = [c for level, c in items if level == L]
                    cells.append(f"{sum(at)}/{len(at)}" if at else "–")
                well = sum(1 for level, _ in items if level is not None)
                out.append(f"| {arm} | {len(items)} | {well / len(items):.2f} | " + " | ".join(cells) + " |")
    # Wall time of each arm's training (meta arms: every phase of every outer step; RL arms: sampling
    # and training of every step), next to the sample budget the arms were given.
    seconds = {}
    for exp in seeds:
        for name in sorted(os.listdir(exp)):
            path = os.path.join(exp, name, "metrics.jsonl")
            if not os.path.exists(path):
                continue
            total = 0.0
            for r in read_jsonl(path):
                if "datasets" in r:
                    total += sum(r.get("seconds", {}).values())
                elif r.get("event") == "step":
                    total += r.get("sample_seconds", 0.0) + r.get("train_seconds", 0.0)
            seconds.setdefault(name, []).append(total)
    if seconds:
        out += ["\n## Wall time of each arm's training (seconds, mean ± sd over seeds)\n",
                "| arm | seconds |", "| --- | --- |"]
        out += [f"| {arm} | {fmt(values, 0)} |" for arm, values in sorted(seconds.items())]
    with open(os.path.join(args.out, "report.md"), "w") as f:
        f.write("\n".join(out) + "\n")
    print(os.path.join(args.out, "report.md"))


if __name__ == "__main__":
    main()
