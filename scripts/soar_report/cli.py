"""The command line: which runs, what kind each is, where the report goes; writes report.md, its PNGs
and report.html. A failure the user can fix is one line, `soar report: error: ...`, and exit 1."""
import argparse
import os
import sys

from .runs import ReportError, detect_kind


def parse(argv):
    parser = argparse.ArgumentParser(prog="soar report", description=__doc__)
    parser.add_argument("--out", help="report folder (default: RUN_DIR/report for one run; required for several)")
    parser.add_argument("--title", help="the report's title")
    parser.add_argument("--field-width", type=int, default=None,
                        help="operand field width of testbed statements (default: the commonest in the runs' datasets, "
                             "else this checkout's kWidth)")
    parser.add_argument("runs", nargs="+", metavar="RUN_DIR", help="run directories (several experiments = several seeds)")
    return parser.parse_args(argv)


def check_plotting():
    """matplotlib, with a way out when this Python lacks it."""
    try:
        import matplotlib  # noqa: F401 (imported to see that it can be)
    except ImportError:
        raise ReportError(f"matplotlib is not installed for {sys.executable}: run scripts/setup.sh (it makes the "
                          f"project's virtualenv), or point $SOAR_PYTHON at a Python that has it") from None


def out_dir(args):
    if args.out:
        return args.out
    if len(args.runs) > 1:
        raise ReportError("several run directories: say where the report goes with --out")
    return os.path.join(args.runs[0], "report")


def default_title(runs, kinds):
    if all(kind == "experiment" for kind in kinds):
        return "SOAR report"
    if len(runs) == 1:
        return f"soar report: {kinds[0]} run {os.path.basename(os.path.normpath(runs[0]))}"
    return "soar report"


def section(doc, run, kind, level, width):
    """One run's part of the report, its headings below `level`."""
    from . import eval_run, experiment, meta_run, train_rl
    if kind == "experiment":
        experiment.report(doc, [run], width, level)
    elif kind == "meta":
        meta_run.report(doc, run, level, width)
    else:
        {"train-rl": train_rl, "eval": eval_run}[kind].report(doc, run, level)


def build(doc, runs, kinds, title, width):
    doc.heading(1, title)
    if all(kind == "experiment" for kind in kinds):
        from . import experiment
        experiment.report(doc, runs, width)  # several experiment directories are the seeds of one
    elif len(runs) == 1:
        doc.para(f"Run `{runs[0]}` (kind: **{kinds[0]}**).")
        section(doc, runs[0], kinds[0], 1, width)
    else:
        for i, (run, kind) in enumerate(zip(runs, kinds), 1):
            doc.heading(2, f"{i}. {kind}: `{run}`")
            doc.prefix = f"run{i}-"
            section(doc, run, kind, 2, width)


def write(doc, out, title):
    paths = [os.path.join(out, "report.md"), os.path.join(out, "report.html")]
    for path, text in zip(paths, (doc.markdown(), doc.html(title))):
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(path + ".tmp", path)
    return paths


def main(argv=None):
    args = parse(sys.argv[1:] if argv is None else argv)
    try:
        check_plotting()
        kinds = [detect_kind(run) for run in args.runs]
        out = out_dir(args)
        os.makedirs(out, exist_ok=True)
        from .document import Document
        doc = Document(out)
        title = args.title or default_title(args.runs, kinds)
        build(doc, args.runs, kinds, title, args.field_width)
        for path in write(doc, out, title):
            print(path)
    except ReportError as e:
        print(f"soar report: error: {e}", file=sys.stderr)
        return 1
    return 0
