#!/usr/bin/env python3
"""Checks a run directory against its table in docs/runs.md.

    check_run_layout.py DOCS_RUNS_MD SECTION RUN_DIR [SECTION ...]

SECTION names a `## ` heading of the page (its first word in backticks, e.g. train-rl, or the text
"Shared by every run", "A model directory"); several sections are unioned. Every entry of RUN_DIR
(files and directories at the top, and inside a directory the tables list entries of, e.g.
`datasets/step_<t>.txt`) must match a listed path, and every path whose "written" cell starts with
"always" must exist. Prints one line per problem; exits 1 if there is any.
"""
import fnmatch
import os
import re
import sys


def tables(doc):
    """{section heading: [(path pattern, written cell)]} from the page's tables."""
    sections, current = {}, None
    for line in open(doc, encoding="utf-8"):
        heading = re.match(r"^## (.*)", line)
        if heading:
            current = heading.group(1).strip()
            sections[current] = []
        elif current and line.startswith("| `"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            for path in re.findall(r"`([^`]+)`", cells[0]):
                sections[current].append((path, cells[-1]))
    return sections


def section_rows(sections, name):
    for heading, rows in sections.items():
        if heading == name or heading.startswith(f"`{name}`"):
            return rows
    sys.exit(f"check_run_layout: no section '{name}' in the page")


def glob_of(pattern):
    """`step_<N>/` -> `step_*` (a trailing / marks a directory)."""
    return re.sub(r"<[^>]+>", "*", pattern.rstrip("/"))


def main():
    doc, run = sys.argv[1], sys.argv[3]
    sections = tables(doc)
    rows = [row for name in [sys.argv[2]] + sys.argv[4:] for row in section_rows(sections, name)]
    problems = []
    listed = [(glob_of(p), p.endswith("/"), when) for p, when in rows]
    # Directories whose entries the tables list one by one (a pattern with a / inside).
    inner_dirs = {g.split("/")[0] for g, _, _ in listed if "/" in g}
    entries = []
    for name in sorted(os.listdir(run)):
        if name in inner_dirs and os.path.isdir(os.path.join(run, name)) and not any(g == name for g, _, _ in listed):
            entries += [f"{name}/{inner}" for inner in sorted(os.listdir(os.path.join(run, name)))]
        else:
            entries.append(name)
    for entry in entries:
        is_dir = os.path.isdir(os.path.join(run, entry))
        if not any(fnmatch.fnmatchcase(entry, g) and d == is_dir for g, d, _ in listed):
            problems.append(f"{run}: {entry}{'/' if is_dir else ''} is not in docs/runs.md")
    for g, d, when in listed:
        if when.startswith("always") and not any(fnmatch.fnmatchcase(e, g) for e in entries):
            problems.append(f"{run}: docs/runs.md says {g}{'/' if d else ''} is always written; it is missing")
    for p in problems:
        print(p)
    print(f"{run}: {len(entries)} entries checked, {len(problems)} problem(s)")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
