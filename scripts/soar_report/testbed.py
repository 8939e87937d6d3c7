"""Testbed problems as the report reads them: the operand field width of this checkout, the level of a
statement 'a___+b___' and its true answer (little-endian addition, exact integers)."""
import os
import re

FIELD = re.compile(r"^(\d+)_*$")
HEADER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src", "domains", "testbed", "domain.h")


def checkout_field_width():
    """kWidth in src/domains/testbed/domain.h, or None where this script is not in a checkout."""
    try:
        match = re.search(r"constexpr int kWidth = (\d+);", open(HEADER).read())
    except OSError:
        return None
    return int(match.group(1)) if match else None


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


STEP_FILE = re.compile(r"^step_(\d+)\.(jsonl|txt)$")


def dataset_steps(run_dir):
    """The outer steps whose datasets a meta run wrote (datasets/step_<t>.jsonl or .txt), sorted."""
    folder = os.path.join(run_dir, "datasets")
    names = os.listdir(folder) if os.path.isdir(folder) else []
    return sorted({int(m.group(1)) for m in map(STEP_FILE.match, names) if m})


def dataset_pairs(run_dir, read_jsonl, step=None):
    """(problem, answer) of every item a student of a meta run trained on (only outer step `step`'s when
    given): datasets/step_*.jsonl (the parsed, possibly corrupted datasets), or for older runs the
    'Q:'/'A:' lines of datasets/*.txt."""
    folder = os.path.join(run_dir, "datasets")
    if not os.path.isdir(folder):
        return []
    names = sorted(os.listdir(folder))
    if step is not None:
        names = [n for n in names if (m := STEP_FILE.match(n)) and int(m.group(1)) == step]
    if any(name.endswith(".jsonl") for name in names):
        return [(item.get("problem", ""), item.get("answer", "")) for name in names if name.endswith(".jsonl")
                for item in read_jsonl(os.path.join(folder, name))]
    pairs = []
    for name in (n for n in names if n.endswith(".txt")):
        lines = [line.rstrip("\n") for line in open(os.path.join(folder, name))]
        pairs += [(q[2:], a[2:]) for q, a in zip(lines, lines[1:]) if q.startswith("Q:") and a.startswith("A:")]
    return pairs


def trained_problems(run_dir, width, read_jsonl, step=None):
    """(level or None, answer correct) of every problem a student trained on (in outer step `step`
    when given); None = not well-formed."""
    out = []
    for problem, answer in dataset_pairs(run_dir, read_jsonl, step):
        level = statement_level(problem, width)
        out.append((level, level is not None and little_endian_sum(problem) == str(answer).strip()))
    return out
