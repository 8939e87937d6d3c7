"""A meta run (soar meta): per outer step the teacher's rewards, promotions, the students' accuracy
on Q_R, the diversity of the teacher's questions, and (testbed) the levels of what it wrote."""
import collections
import statistics

from . import rollouts
from .figures import Panel, Series, bar_chart, panel_grid
from .runs import metrics, outer_step_records, read_jsonl
from .stats import num
from .testbed import checkout_field_width, dataset_pairs, trained_problems


def dataset_values(record, field):
    return [d[field] for d in record["datasets"] if isinstance(d.get(field), (int, float))]


def mean_of(values):
    return statistics.fmean(values) if values else None


def max_of(values):
    return max(values) if values else None


def config_record(records):
    return next((r for r in records if r.get("event") == "config"), {})


def summary_rows(config, steps):
    rewards = [(r["step"], v) for r in steps for v in dataset_values(r, "teacher_reward")]
    promoted = [r["step"] for r in steps if r.get("promoted")]
    best = max(rewards, key=lambda item: item[1]) if rewards else None
    samples = sum(sum(v for v in r.get("samples", {}).values() if isinstance(v, (int, float))) for r in steps)
    return [["outer steps recorded", len(steps)],
            ["teacher reward", f"`{config.get('teacher_reward', '?')}`"],
            ["domain", config.get("domain", "?")],
            ["promotions", f"{len(promoted)}" + (f" (steps {', '.join(map(str, promoted))})" if promoted else "")],
            ["mean teacher reward (all datasets, all steps)", num(mean_of([v for _, v in rewards]))],
            ["best teacher reward", f"{num(best[1])} (step {best[0]})" if best else "–"],
            [f"student baseline success on Q_R (step {steps[-1]['step']})", num(steps[-1].get("baseline_success"))],
            ["teacher acceptance rate (mean over steps)",
             num(mean_of([acceptance(r) for r in steps if acceptance(r) is not None]))],
            ["student samples (inner loops + measurements)", int(samples)]]


def step_rows(steps):
    rows = []
    for r in steps:
        rewards = dataset_values(r, "teacher_reward")
        teacher = r.get("teacher") if isinstance(r.get("teacher"), dict) else {}
        rows.append([r["step"], num(mean_of(rewards)), num(max_of(rewards)), num(r.get("mean_reward")),
                     num(r.get("promotion_average")), "**yes**" if r.get("promoted") else "no",
                     num(r.get("baseline_success")), num(max_of(dataset_values(r, "student_success"))),
                     num(r.get("vendi")), teacher.get("accepted", "–")])
    return rows


def panels(steps):
    xs = [r["step"] for r in steps]
    per_step = lambda reduce, field: [reduce(dataset_values(r, field)) for r in steps]  # noqa: E731
    cumulative = [sum(1 for s in steps[:i + 1] if s.get("promoted")) for i in range(len(steps))]
    promoted = [r.get("mean_reward") if r.get("promoted") else None for r in steps]
    result = [
        Panel("teacher reward per dataset", [Series("mean", xs, per_step(mean_of, "teacher_reward")),
                                             Series("best", xs, per_step(max_of, "teacher_reward"))]),
        Panel(r"promotion: step reward $\hat{R}_t$, its average $\bar{R}_t$", [
            Series(r"$\hat{R}_t$", xs, [r.get("mean_reward") for r in steps]),
            Series(r"$\bar{R}_t$ (window)", xs, [r.get("promotion_average") for r in steps]),
            Series("promoted", xs, promoted, marker="^", style="")]),
        Panel("promotions (cumulative)", [Series("promotions", xs, cumulative)]),
        Panel("student accuracy on Q_R", [Series("baseline (current student)", xs, [r.get("baseline_success") for r in steps]),
                                          Series("trained students, mean", xs, per_step(mean_of, "student_success")),
                                          Series("trained students, best", xs, per_step(max_of, "student_success"))]),
        Panel("diversity of the teacher's questions", [Series("Vendi score / n", xs, vendi_share(steps)),
                                                      Series("distinct bigrams", xs, per_step(mean_of, "distinct_bigrams")),
                                                      Series("duplicate rate", xs, per_step(mean_of, "duplicate_rate"))]),
        Panel("teacher acceptance rate", [Series("accepted / sampled", xs, [acceptance(r) for r in steps])],
              ylim=(-0.02, 1.02), note=None if any(acceptance(r) is not None for r in steps) else "teacher not sampled"),
    ]
    return result


def acceptance(record):
    """The teacher's acceptance rate in an outer step; None where it sampled nothing (oracle datasets)."""
    teacher = record.get("teacher") if isinstance(record.get("teacher"), dict) else {}
    return teacher.get("acceptance_rate") if teacher.get("sampled") else None


def vendi_share(steps):
    """The step's Vendi score over its question count (1: all distinct, 1/n: all the same)."""
    out = []
    for r in steps:
        questions = sum(dataset_values(r, "questions"))
        out.append(r["vendi"] / questions if isinstance(r.get("vendi"), (int, float)) and questions else None)
    return out


def field_width(run):
    """The operand field width of the run's testbed statements: the commonest field length of what its
    students trained on ('12___+34___'), else this checkout's."""
    lengths = collections.Counter(len(part) for problem, _ in dataset_pairs(run, lambda p: read_jsonl(p, strict=False))
                                  for part in str(problem).split("+") if "_" in part)
    return lengths.most_common(1)[0][0] if lengths else checkout_field_width()


def levels_section(doc, run, level, width=None):
    width = width or field_width(run)
    items = trained_problems(run, width, lambda p: read_jsonl(p, strict=False)) if width else []
    if not items:
        return
    names = ["bad"] + [str(L) for L in range(1, width + 1)]
    counts = [sum(1 for L, _ in items if L is None)] + [sum(1 for L, _ in items if L == x) for x in range(1, width + 1)]
    correct = [0] + [sum(1 for L, c in items if L == x and c) for x in range(1, width + 1)]
    doc.heading(level + 1, "Levels of the problems the students trained on")
    doc.figure(bar_chart(names, [("all", [c / len(items) for c in counts]),
                                 ("correct answer", [c / len(items) for c in correct])],
                         "level ('bad': not a well-formed statement)", "share of problems"),
               "levels.png", "levels of the teacher's problems")
    doc.table(["level"] + names[1:] + ["bad"],
              [["correct / problems"] + [f"{correct[i]}/{counts[i]}" if counts[i] else "–" for i in range(1, width + 1)]
               + [str(counts[0])]])


def report(doc, run, level, width=None):
    records = metrics(run)
    config, steps = config_record(records), outer_step_records(records)
    doc.table(["quantity", "value"], summary_rows(config, steps))
    doc.figure(panel_grid(panels(steps), "outer step"), "outer_steps.png", "outer steps")
    doc.heading(level + 1, "Per outer step")
    doc.table(["step", "teacher reward (mean)", "(best)", "R̂_t", "R̄_t", "promoted", "baseline Q_R success",
               "best student Q_R success", "Vendi", "accepted"], step_rows(steps))
    if config.get("domain", "testbed") == "testbed":
        levels_section(doc, run, level, width)
    rollouts.report(doc, run, level + 1)
