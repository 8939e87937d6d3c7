"""scripts/soar_report (the experiment kind) on two hand-made experiment seeds: its pass@k table equals the closed form
(math.comb) averaged over problems then over seeds, its meta-loop table the per-seed means of the
metrics with the grounded rewards' sign counts, and its level tables (all steps, and per outer step)
the exact sums; the three plots are written. An arm that wrote exactly the base teacher's datasets is
named as such, and only then; a hard-only run that found rewards and lifted D_test is called out
(with its rewarded steps per seed), and only then."""
import json
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile

SOURCE = os.environ.get("SOAR_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
REPORT = os.path.join(SOURCE, "scripts", "soar_report")  # the package; python runs its __main__.py
# The testbed's field width, read from the C++ header as the report reads it by default.
WIDTH = int(re.search(r"constexpr int kWidth = (\d+);", open(os.path.join(SOURCE, "src", "domains", "testbed", "domain.h")).read()).group(1))


def write_jsonl(path, records):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        for r in records:
            f.write(json.dumps(r) + "\n")


def pass_at_k(n, c, k):
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def dataset(reward, questions=4):
    return {"grounded_reward": reward, "questions": questions, "distinct_bigrams": 0.5, "duplicate_rate": 0.0}


def step(t, rewards, promoted, baseline=0.0):
    return {"step": t, "datasets": [dataset(r) for r in rewards], "promoted": promoted, "baseline_success": baseline,
            "samples": {"inner": 100, "measure": 20}, "seconds": {"inner": 3.0, "measure": 1.0}}


def main():
    # Successes per D_test problem (8 samples each), per seed and arm.
    successes = {"s1": {"base": [0, 2], "soar": [8, 1], "hard-only": [8, 8]}, "s2": {"base": [0, 0], "soar": [2, 3], "hard-only": [0, 1]}}
    direct_rewards = {"s1": [0.0, 0.5, 0.0], "s2": [0.0, 0.0, 0.0]}  # hard-only RLVR's mean reward per step
    rewards = {"s1": [[0.0, 0.1], [0.2, -0.1]], "s2": [[0.0, 0.0], [0.05, 0.0]]}
    with tempfile.TemporaryDirectory() as root:
        seeds = []
        for seed, arms in successes.items():
            exp = os.path.join(root, seed)
            seeds.append(exp)
            for arm, counts in arms.items():
                write_jsonl(os.path.join(exp, f"eval-{arm}", "per_problem.jsonl"),
                            [{"id": f"p{i}", "samples": 8, "successes": c} for i, c in enumerate(counts)])
            write_jsonl(os.path.join(exp, "hard-only", "metrics.jsonl"),
                        [{"event": "step", "step": t + 1, "reward": r} for t, r in enumerate(direct_rewards[seed])])
            write_jsonl(os.path.join(exp, "soar", "metrics.jsonl"),
                        [{"event": "config"}] + [step(t + 1, r, promoted=(t == 1)) for t, r in enumerate(rewards[seed])])
            # 21 + 43 = 64 ("46" little-endian) correct, a wrong answer, a malformed statement, and a
            # statement of another field width (malformed in this format), all at this checkout's width.
            field = lambda digits: digits + "_" * (WIDTH - len(digits))  # noqa: E731
            written = [{"problem": field("12") + "+" + field("34"), "answer": "46"},
                       {"problem": field("12") + "+" + field("34"), "answer": "47"},
                       {"problem": "12+34", "answer": "46"},
                       {"problem": "12" + "_" * (WIDTH + 1) + "+34" + "_" * (WIDTH + 1), "answer": "46"}]
            write_jsonl(os.path.join(exp, "soar", "datasets", "step_1.jsonl"), written)
            # The untrained teacher wrote the same in both seeds.
            write_jsonl(os.path.join(exp, "base-teacher", "metrics.jsonl"),
                        [{"event": "config"}] + [step(t + 1, [0.0, 0.0], promoted=False) for t in range(2)])
            write_jsonl(os.path.join(exp, "base-teacher", "datasets", "step_1.jsonl"), written)
            if seed == "s1":  # a second outer step in one seed only: 321 + 4 = 325, level 3, correct
                later = [{"problem": field("123") + "+" + field("4"), "answer": "523"}]
                for arm in ("soar", "base-teacher"):
                    write_jsonl(os.path.join(exp, arm, "datasets", "step_2.jsonl"), later)
        out = os.path.join(root, "report")
        subprocess.run([sys.executable, REPORT, "--out", out] + seeds, check=True, stdout=subprocess.DEVNULL)
        text = open(os.path.join(out, "report.md")).read()
        lines = text.splitlines()
        first = lines.index(next(line for line in lines if line.startswith("| arm |")))
        table = lines[first:lines.index("", first)]  # the pass@k table: up to the first blank line
        rows = {line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:-1]]
                for line in table if not line.startswith("| ---")}

        def expected(values):
            return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}"

        header = rows["arm"]
        for arm in ("base", "soar"):
            for k in (1, 2, 4, 8):
                per_seed = [statistics.mean(pass_at_k(8, c, k) for c in successes[s][arm]) for s in successes]
                got = rows[arm][header.index(f"pass@{k}")]
                assert got == expected(per_seed), (arm, k, got, expected(per_seed))
        meta = [line for line in lines[lines.index(table[-1]) + 1:] if line.startswith("| soar | ") and "±" in line and line.count("|") > 3]
        mean_reward = [statistics.mean(statistics.mean(r) for r in rewards[s]) for s in rewards]
        best_reward = [statistics.mean(max(r) for r in rewards[s]) for s in rewards]
        cells = [c.strip() for c in meta[-1].split("|")[2:-1]]
        assert cells[0] == expected(mean_reward), (cells[0], expected(mean_reward))
        assert cells[1] == expected(best_reward), (cells[1], expected(best_reward))
        every = [x for s in rewards for step_rewards in rewards[s] for x in step_rewards]
        signs = f"{sum(x > 0 for x in every)} / {sum(x == 0 for x in every)} / {sum(x < 0 for x in every)}"
        assert cells[2] == signs == "3 / 4 / 1", (cells[2], signs)  # R_k signs over every dataset of both seeds
        assert cells[3] == "1.0 ± 0.0", cells[3]            # one promotion per seed
        assert cells[7] == "240 ± 0", cells[7]              # 2 steps x 120 samples
        levels = [line for line in text.splitlines() if line.startswith("| soar | 9 |")]
        assert levels, text
        cells = [c.strip() for c in levels[0].split("|")[2:-1]]
        assert cells[1] == "0.56", cells                    # 5 of 9 well-formed
        assert cells[2] == "–" and cells[3] == "2/4" and cells[4] == "1/1", cells  # level 2: the correct item of each seed; level 3: seed 1's step 2
        assert len(cells) == 2 + WIDTH, cells               # a column per level of this checkout's width
        # Per outer step: step 1 of both seeds, step 2 of seed 1 only.
        step_rows = {line.split("|")[2].strip(): [c.strip() for c in line.split("|")[3:-1]]
                     for line in lines if line.startswith("| soar | ") and line.count("|") == 5 + WIDTH}
        assert sorted(step_rows) == ["1", "2"], step_rows
        assert step_rows["1"][:2] == ["8", "0.50"] and step_rows["1"][3:5] == ["2/4", "–"], step_rows["1"]
        assert step_rows["2"][:2] == ["1", "1.00"] and step_rows["2"][2:5] == ["–", "–", "1/1"], step_rows["2"]
        # Runs of another format are read with their own width.
        subprocess.run([sys.executable, REPORT, "--out", out + "-w", "--field-width", str(WIDTH + 3)] + seeds, check=True,
                       stdout=subprocess.DEVNULL)
        other = [line for line in open(os.path.join(out + "-w", "report.md")) if line.startswith("| soar | 9 |")]
        cells = [c.strip() for c in other[0].split("|")[2:-1]]
        assert cells[1] == "0.22" and cells[3] == "2/2", cells  # only the two wider statements parse (both right)
        wall = [line for line in lines if line.startswith("| soar | ") and line.count("|") == 3]
        assert wall == ["| soar | 8 ± 0 |"], wall                # 2 steps x 4 s
        for png in ("pass_at_k.png", "outer_steps.png", "trained_levels.png"):
            assert os.path.getsize(os.path.join(out, png)) > 1000, png
        same = [line for line in lines if "wrote exactly the datasets base-teacher wrote" in line]
        best = statistics.mean(max(max(r) for r in rewards[s]) for s in rewards)  # the largest step's best, mean over seeds
        assert len(same) == 1 and same[0].startswith("**soar ") and f"{best:.3f}" in same[0], same
        # Direct RL found a reward on seed 1 and lifted D_test: said, with the rewarded steps per seed.
        direct = [line for line in lines if line.startswith("**Direct RL was not stuck")]
        lifted = statistics.mean(statistics.mean(pass_at_k(8, c, 8) for c in successes[s]["hard-only"]) for s in successes)
        base8 = statistics.mean(statistics.mean(pass_at_k(8, c, 8) for c in successes[s]["base"]) for s in successes)
        assert len(direct) == 1 and "1 of 3 steps, the first at step 2; 0 of 3 steps (per seed)" in direct[0] \
            and f"pass@8 from {base8:.3f} (base model) to {lifted:.3f}" in direct[0], direct
        # No rewarded step anywhere: no such line.
        write_jsonl(os.path.join(seeds[0], "hard-only", "metrics.jsonl"), [{"event": "step", "step": 1, "reward": 0.0}])
        subprocess.run([sys.executable, REPORT, "--out", out + "-z"] + seeds, check=True, stdout=subprocess.DEVNULL)
        assert "Direct RL was not stuck" not in open(os.path.join(out + "-z", "report.md")).read()
        # One question differs in one seed: no such line.
        write_jsonl(os.path.join(seeds[1], "base-teacher", "datasets", "step_1.jsonl"),
                    [{"problem": "1+2", "answer": "3"}])
        subprocess.run([sys.executable, REPORT, "--out", out + "-d"] + seeds, check=True, stdout=subprocess.DEVNULL)
        assert "wrote exactly the datasets" not in open(os.path.join(out + "-d", "report.md")).read()
    print("soar_report_test: ok")


if __name__ == "__main__":
    main()
