"""An experiment (scripts/soar_experiment.sh; several directories = several seeds): pass@k on D_test
of every arm, the meta arms per outer step, what their students trained on, and wall times.

Each EXP_DIR is one seed, laid out as scripts/demo.sh and scripts/soar_experiment.sh write it:
  eval-<arm>/per_problem.jsonl   D_test successes per problem for each arm (pass@k computed here
                                 with the unbiased estimator for k = 1, 2, 4, ..., n)
  <arm>/metrics.jsonl            for meta arms: one record per outer step (soar meta)
  <arm>/datasets/step_<t>.jsonl  what each student trained on (levels and answer correctness are
                                 checked with exact arithmetic)
  budget.txt, levels.txt         the sample budget and the base model's success per level, if written
Numbers are means over the EXP_DIRs, with the standard deviation where there are several."""
import collections
import os
import statistics

import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator

from .runs import outer_step_records, read_jsonl
from .stats import fmt, mean_sd, pass_at_k
from .testbed import checkout_field_width, dataset_pairs, dataset_steps, trained_problems


def arms_of(seeds):
    return sorted({name[len("eval-"):] for exp in seeds for name in os.listdir(exp) if name.startswith("eval-")
                   and os.path.isfile(os.path.join(exp, name, "per_problem.jsonl"))},
                  key=lambda a: (a != "base", a != "hard-only", a))


def meta_arms_of(seeds):
    return sorted({name for exp in seeds for name in os.listdir(exp)
                   if os.path.isfile(os.path.join(exp, name, "metrics.jsonl"))
                   and outer_step_records(read_jsonl(os.path.join(exp, name, "metrics.jsonl")))})


def pass_curves(seeds, arms):
    """arm -> k -> [pass@k per seed], k = 1, 2, 4, ... up to the fewest samples of a problem."""
    curves = {}
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
    return curves


def pass_figure(curves, arms):
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
    ax.legend(fontsize=7)
    return fig


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


def direct_rl_note(doc, seeds, curves, ks):
    """Where direct RL on D_train found rewards and lifted D_test, the hard level was no plateau: the
    reader should not take SOAR's arms losing to hard-only RLVR there for the paper's setting."""
    rewarded = direct_rl_rewards(seeds)
    if not (rewarded and ks and curves.get("hard-only") and curves.get("base")):
        return
    k = ks[-1]
    direct, base = statistics.mean(curves["hard-only"][k]), statistics.mean(curves["base"][k])
    if direct > base and any(count > 0 for count, _, _ in rewarded):
        per_seed = "; ".join(f"{count} of {steps} steps" + (f", the first at step {first}" if first else "")
                             for count, steps, first in rewarded)
        doc.para(f"**Direct RL was not stuck at this hard level:** hard-only RLVR on D_train got a non-zero reward in "
                 f"{per_seed} (per seed) and lifted D_test pass@{k} from {base:.3f} (base model) to {direct:.3f}. "
                 f"Where direct RL finds rewards the hard set is not the plateau SOAR is for; docs/testbed.md "
                 f"(table 9) places the hard level so that direct RL gets none.")


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


def grounded_rewards(r):
    """R_k of each dataset of one outer-step record that has one: intrinsic teachers (learnability,
    uncertainty) run no inner loop, so their datasets have no grounded reward."""
    return [d["grounded_reward"] for d in r["datasets"] if d.get("grounded_reward") is not None]


def outer_step_values(r):
    """The per-outer-step numbers of one metrics record that the arms are compared on."""
    rewards = grounded_rewards(r)
    questions = [d for d in r["datasets"] if d.get("questions", 0) > 0]
    return {
        "mean grounded reward": statistics.mean(rewards) if rewards else None,
        "best grounded reward": max(rewards) if rewards else None,
        "baseline success on Q_t": r.get("baseline_success"),
        "Vendi score of the step's questions": r.get("vendi"),
        "distinct-bigram ratio": statistics.mean(d["distinct_bigrams"] for d in questions) if questions else None,
        "duplicate rate": statistics.mean(d["duplicate_rate"] for d in questions) if questions else None,
        "questions parsed per dataset": statistics.mean(d.get("questions", 0) for d in r["datasets"]) if r["datasets"] else None,
    }


def meta_series(seeds, meta_arms, width):
    """arm -> metric -> step -> [value per seed]; arm -> step -> [(level, correct)] over seeds;
    arm -> [samples per seed]; arm -> [datasets with R_k > 0, = 0, < 0] over seeds and steps."""
    series, levels, totals, signs = {}, {}, {}, {}
    for arm in meta_arms:
        for exp in seeds:
            path = os.path.join(exp, arm, "metrics.jsonl")
            if not os.path.exists(path):
                continue
            promoted = samples = 0
            for r in outer_step_records(read_jsonl(path)):
                promoted += int(r["promoted"])
                samples += sum(r.get("samples", {}).values())
                values = outer_step_values(r)
                for reward in grounded_rewards(r):
                    signs.setdefault(arm, [0, 0, 0])[0 if reward > 0 else 1 if reward == 0 else 2] += 1
                values["promotions (cumulative)"] = promoted
                for metric, value in values.items():
                    series.setdefault(arm, {}).setdefault(metric, {}).setdefault(r["step"], []).append(value)
            totals.setdefault(arm, []).append(samples)
            run = os.path.join(exp, arm)
            for t in dataset_steps(run) if width else []:
                levels.setdefault(arm, {}).setdefault(t, []).extend(trained_problems(run, width, read_jsonl, t))
    return series, levels, totals, signs


def outer_steps_figure(series, meta_arms):
    metrics = ["mean grounded reward", "best grounded reward", "baseline success on Q_t", "promotions (cumulative)",
               "distinct-bigram ratio", "Vendi score of the step's questions"]
    fig, axes = plt.subplots(3, 2, figsize=(10, 10))
    for ax, metric in zip(axes.flat, metrics):
        for arm in meta_arms:
            known = {t: [v for v in vs if v is not None] for t, vs in series.get(arm, {}).get(metric, {}).items()}
            steps = sorted(t for t, vs in known.items() if vs)
            ax.plot(steps, [mean_sd(known[t])[0] for t in steps], marker="o", label=arm)
        ax.set_title(metric)
        ax.set_xlabel("outer step")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.flat[0].legend(fontsize=7)
    return fig


def arm_row(arm, s, totals, signs):
    def per_seed(metric, reduce=statistics.mean):
        if not s.get(metric):
            return []
        runs = zip(*[s[metric][t] for t in sorted(s[metric])])
        return [reduce(known) for known in ([x for x in v if x is not None] for v in runs) if known]

    def mean_or_zero(values):
        return statistics.mean([x for x in values if x is not None] or [0])

    last = max(s.get("promotions (cumulative)", {0: [0]}))
    sign_counts = " / ".join(map(str, signs[arm])) if arm in signs else "–"
    return [arm, fmt(per_seed("mean grounded reward")), fmt(per_seed("best grounded reward")), sign_counts,
            fmt(s.get("promotions (cumulative)", {}).get(last, []), 1), fmt(per_seed("distinct-bigram ratio", mean_or_zero)),
            fmt(per_seed("duplicate rate", mean_or_zero)), fmt(per_seed("questions parsed per dataset"), 1),
            fmt(totals.get(arm, []), 0)]


def same_as_base_teacher_notes(doc, seeds, series, meta_arms):
    """An arm whose datasets equal the untrained teacher's is not a bug to hunt for: its teacher's
    updates were too small to change a sampled token under the same seeds. Say so."""
    for arm in meta_arms:
        if arm != "base-teacher" and same_datasets(seeds, arm, "base-teacher"):
            best = max((mean_sd([x for x in v if x is not None])[0] for v in series[arm]["best grounded reward"].values()
                        if any(x is not None for x in v)), default=0.0)
            doc.para(f"**{arm} wrote exactly the datasets base-teacher wrote, in every outer step:** its "
                     f"teacher's updates (the largest grounded reward of an outer step: {best:.3f}, mean over seeds) changed no "
                     f"sampled token under the same seeds, so the two arms' students trained on the same data.")


def level_cells(items, width):
    """problems, share well-formed, and correct/written per level 1..width of [(level, correct)]."""
    cells = []
    for L in range(1, width + 1):
        at = [c for level, c in items if level == L]
        cells.append(f"{sum(at)}/{len(at)}" if at else "–")
    well = sum(1 for level, _ in items if level is not None)
    return [len(items), f"{well / len(items):.2f}"] + cells


def levels_section(doc, levels, meta_arms, width, heading_level):
    """levels: arm -> outer step -> [(level, correct)] over seeds."""
    every_step = {arm: [item for items in levels.get(arm, {}).values() for item in items] for arm in meta_arms}
    names = ["bad"] + [str(level) for level in range(1, width + 1)]
    groups = []
    for arm in meta_arms:
        items = every_step[arm]
        counts = [sum(1 for level, _ in items if level is None)] + \
                 [sum(1 for level, _ in items if level == L) for L in range(1, width + 1)]
        groups.append((arm, [c / max(1, sum(counts)) for c in counts]))
    fig, ax = plt.subplots(figsize=(8, 4))
    bar_width = 0.8 / max(1, len(meta_arms))
    for j, (arm, shares) in enumerate(groups):
        ax.bar([x + j * bar_width for x in range(len(names))], shares, width=bar_width, label=arm)
    ax.set_xticks([x + 0.4 for x in range(len(names))], names)
    ax.set_xlabel("level of a problem a student trained on ('bad': not a well-formed statement)")
    ax.set_ylabel("fraction")
    ax.legend(fontsize=7)
    doc.heading(heading_level + 1, "What the students trained on (all outer steps and seeds)")
    doc.figure(fig, "trained_levels.png", "levels")
    doc.para("Per arm: problems, share that are well-formed, and the share of correct answers per level "
             "(checked with the testbed's exact arithmetic):")
    levels_header = [f"L{L}" for L in range(1, width + 1)]
    doc.table(["arm", "problems", "well-formed"] + levels_header,
              [[arm] + level_cells(every_step[arm], width) for arm in meta_arms if every_step[arm]])
    doc.para("The same per outer step (all seeds): whether a teacher moved across levels as the loop went on.")
    doc.table(["arm", "outer step", "problems", "well-formed"] + levels_header,
              [[arm, t] + level_cells(items, width) for arm in meta_arms
               for t, items in sorted(levels.get(arm, {}).items()) if items])


def wall_times(seeds):
    """Wall time of each arm's training (meta arms: every phase of every outer step; RL arms: sampling
    and training of every step), next to the sample budget the arms were given."""
    seconds = {}
    for exp in seeds:
        for name in sorted(os.listdir(exp)):
            path = os.path.join(exp, name, "metrics.jsonl")
            if not os.path.exists(path):
                continue
            total = 0.0
            for r in read_jsonl(path):
                if isinstance(r.get("datasets"), list):
                    total += sum(r.get("seconds", {}).values())
                elif r.get("event") == "step":
                    total += r.get("sample_seconds", 0.0) + r.get("train_seconds", 0.0)
            seconds.setdefault(name, []).append(total)
    return seconds


def setting_notes(doc, seeds, level):
    """The base model's success per level and the budget, where the experiment's scripts wrote them."""
    doc.heading(level + 1, "Setting")
    for exp in seeds:
        where = f" (`{exp}`)" if len(seeds) > 1 else ""
        levels, budget = os.path.join(exp, "levels.txt"), os.path.join(exp, "budget.txt")
        if os.path.isfile(levels):
            doc.para(f"Base model's success per level{where}:")
            doc.code(open(levels).read())
        if os.path.isfile(budget):
            doc.para(f"Budget{where}: {open(budget).read().strip()}.")
    if len(seeds) == 1:
        doc.para("One seed: a demonstration, not a measured result (docs/results.md has the findings over several "
                 "seeds, docs/testbed.md the testbed's measurements).")
    else:
        doc.para(f"{len(seeds)} seeds: " + ", ".join(f"`{s}`" for s in seeds) + ".")


def field_width(seeds, meta_arms):
    """The operand field width of the arms' testbed statements: the commonest field length of what
    their students trained on, else this checkout's."""
    lengths = collections.Counter(len(part) for exp in seeds for arm in meta_arms
                                  for problem, _ in dataset_pairs(os.path.join(exp, arm), read_jsonl)
                                  for part in str(problem).split("+") if "_" in part)
    return lengths.most_common(1)[0][0] if lengths else checkout_field_width()


def report(doc, seeds, width=None, level=1):
    """width: the testbed's operand field width (None: read from the datasets); headings below `level`."""
    arms, meta_arms = arms_of(seeds), meta_arms_of(seeds)
    width = width or field_width(seeds, meta_arms)
    curves = pass_curves(seeds, arms)
    ks = sorted({k for c in curves.values() for k in c})
    doc.para(f"{len(seeds)} seed(s): " + ", ".join(f"`{s}`" for s in seeds))
    doc.heading(level + 1, "Held-out hard set D_test: pass@k (mean ± sd over seeds)")
    doc.table(["arm"] + [f"pass@{k}" for k in ks], [[arm] + [fmt(curves.get(arm, {}).get(k, [])) for k in ks] for arm in arms])
    doc.figure(pass_figure(curves, arms), "pass_at_k.png", "pass@k", dpi=120)
    direct_rl_note(doc, seeds, curves, ks)
    if meta_arms:
        series, levels, totals, signs = meta_series(seeds, meta_arms, width)
        doc.heading(level + 1, "Meta-loop arms, per outer step")
        doc.figure(outer_steps_figure(series, meta_arms), "outer_steps.png", "outer steps")
        doc.table(["arm", "mean grounded reward (all steps)", "best grounded reward",
                   "datasets with R > 0 / = 0 / < 0 (all)", "promotions", "distinct bigrams", "duplicates",
                   "questions / dataset", "samples per run"],
                  [arm_row(arm, series.get(arm, {}), totals, signs) for arm in meta_arms])
        same_as_base_teacher_notes(doc, seeds, series, meta_arms)
        if width and any(levels.values()):
            levels_section(doc, levels, meta_arms, width, level)
    seconds = wall_times(seeds)
    if seconds:
        doc.heading(level + 1, "Wall time of each arm's training (seconds, mean ± sd over seeds)")
        doc.table(["arm", "seconds"], [[arm, fmt(values, 0)] for arm, values in sorted(seconds.items())])
    setting_notes(doc, seeds, level)
