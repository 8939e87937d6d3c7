"""soar report: a Markdown report with PNG plots, and the same content as one self-contained HTML page,
for any soar run directory (train-rl, eval, meta) or a whole experiment (scripts/soar_experiment.sh).

    python scripts/soar_report [--out REPORT_DIR] [--title TEXT] RUN_DIR [RUN_DIR ...]

`soar report` runs it (docs/usage.md). Modules: runs (what a run directory is), document (the report
as blocks, written as Markdown and HTML), figures (matplotlib helpers), stats (pass@k, intervals), one
module per run kind (train_rl, eval_run, meta_run, experiment), rollouts (example completions, when a
run wrote them) and testbed (levels and answers of testbed problems).
"""
