#!/usr/bin/env python3
"""Doc link check: every Markdown link and image in README.md, CONTRIBUTING.md and docs/**/*.md resolves
inside the repository.

    python3 scripts/check_doc_links.py [ROOT]     # ROOT: the repository (default: this script's ../)
    python3 scripts/check_doc_links.py --self-test

Checked: inline links and images `[text](target)` / `![alt](target)`, reference definitions
`[name]: target`, autolinks `<https://...>` and bare http(s) URLs in the text. Code blocks and inline
code spans are skipped. A target is
- a relative path: it must exist, and must not leave the repository (`../` past its root);
- `path.md#section` or `#section`: the path must exist and the section must be the GitHub-style slug
  of a heading in that Markdown file (anchors into other kinds of file are not checked);
- an http(s) URL: only to a host in ALLOWED_HOSTS (or a subdomain of one);
- never an absolute filesystem path, `file:` or another scheme (mailto: aside).

Exit status: 0 clean (a summary line), 1 bad links (one `file:line: reason` line each), 2 usage errors.
Standard library only: CTest runs it with the system python3 (tests/CMakeLists.txt).
"""
import os
import re
import sys
import tempfile
import urllib.parse

# Hosts that README and docs may link to (and their subdomains). Add one only for a page a reader
# needs and the repository cannot hold: the paper, an upstream issue.
ALLOWED_HOSTS = ("arxiv.org", "github.com")

TOP_FILES = ("README.md", "CONTRIBUTING.md")
DOC_DIR = "docs"

FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
ATX_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
SETEXT_UNDERLINE = re.compile(r"^\s{0,3}(=+|-+)\s*$")
HTML_ANCHOR = re.compile(r"""<a\s+[^>]*?(?:name|id)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
# [text](target "title") and ![alt](target); the target may hold one level of balanced parentheses.
INLINE_LINK = re.compile(
    r"(!?)\[((?:[^\[\]]|\[[^\[\]]*\])*)\]\(\s*(<[^>\n]*>|(?:[^()\s]|\([^()\s]*\))*)(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)")
REFERENCE_DEF = re.compile(r"^\s{0,3}\[([^\]]+)\]:\s*(<[^>]*>|\S+)")
AUTOLINK = re.compile(r"<((?:https?|ftp|file)://[^>\s]+)>", re.IGNORECASE)
BARE_URL = re.compile(r"(?<![(<\w/])((?:https?)://[^\s<>()\[\]`]+)", re.IGNORECASE)
SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")


def doc_files(root):
    """The Markdown files checked, as repository-relative '/'-separated paths, sorted."""
    files = [name for name in TOP_FILES if os.path.isfile(os.path.join(root, name))]
    for folder, dirs, names in os.walk(os.path.join(root, DOC_DIR)):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if name.endswith(".md"):
                files.append(os.path.relpath(os.path.join(folder, name), root).replace(os.sep, "/"))
    return files


def blank_code_spans(line):
    """The line with the contents of inline code spans (`...`, ``...``) replaced by spaces."""
    out, i = [], 0
    while i < len(line):
        if line[i] == "`":
            run = len(line[i:]) - len(line[i:].lstrip("`"))
            end = line.find("`" * run, i + run)
            while end != -1 and end + run < len(line) and line[end + run] == "`":
                end = line.find("`" * run, end + run + 1)
            if end == -1:
                out.append(line[i:i + run])
                i += run
                continue
            out.append(" " * (end + run - i))
            i = end + run
        else:
            out.append(line[i])
            i += 1
    return "".join(out)


def prose_lines(text):
    """(line number, line) for each line outside fenced code blocks, with code spans blanked."""
    fence = None
    for number, line in enumerate(text.splitlines(), 1):
        match = FENCE.match(line)
        if fence is None and match:
            fence = match.group(1)[0] * len(match.group(1))
            continue
        if fence is not None:
            if line.strip().startswith(fence) and set(line.strip()) <= {fence[0]}:
                fence = None
            continue
        yield number, blank_code_spans(line)


def slug(heading):
    """GitHub's anchor for a heading's text: markup removed, lower case, punctuation dropped, spaces to '-'."""
    text = re.sub(r"!?\[((?:[^\[\]]|\[[^\[\]]*\])*)\]\([^)]*\)", r"\1", heading)  # links keep their text
    text = re.sub(r"<[^>]+>", "", text)  # inline HTML
    text = text.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(text):
    """Every anchor a Markdown text defines: heading slugs (-1, -2, ... for repeats) and HTML ids."""
    found, seen = set(), {}
    previous = None
    fence = None
    for line in text.splitlines():
        match = FENCE.match(line)
        if fence is None and match:
            fence = match.group(1)[0] * len(match.group(1))
            previous = None
            continue
        if fence is not None:
            if line.strip().startswith(fence) and set(line.strip()) <= {fence[0]}:
                fence = None
            continue
        heading = None
        atx = ATX_HEADING.match(line)
        if atx:
            heading = atx.group(2)
        elif (previous is not None and previous.strip() and SETEXT_UNDERLINE.match(line)
              and not previous.lstrip().startswith(("|", "-", "*", ">", "#"))):
            heading = previous
        if heading is not None:
            base = slug(heading)
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
            previous = None
        else:
            previous = line
        for anchor in HTML_ANCHOR.findall(line):
            found.add(anchor)
    return found


def links(text):
    """(line number, target) for every link, image, reference definition and URL in the prose."""
    for number, line in prose_lines(text):
        definition = REFERENCE_DEF.match(line)
        if definition:
            yield number, definition.group(2)
            continue
        for match in INLINE_LINK.finditer(line):
            yield number, match.group(3)
        rest = INLINE_LINK.sub(lambda m: " " * len(m.group(0)), line)
        for match in AUTOLINK.finditer(rest):
            yield number, match.group(1)
        rest = AUTOLINK.sub(lambda m: " " * len(m.group(0)), rest)
        for match in BARE_URL.finditer(rest):
            yield number, match.group(1).rstrip(".,;:!?'\"")


def host_allowed(host):
    host = (host or "").lower()
    return any(host == allowed or host.endswith("." + allowed) for allowed in ALLOWED_HOSTS)


class Checker:
    def __init__(self, root):
        self.root = os.path.realpath(root)
        self.anchor_cache = {}

    def anchors_of(self, path):
        if path not in self.anchor_cache:
            with open(path, encoding="utf-8") as f:
                self.anchor_cache[path] = anchors(f.read())
        return self.anchor_cache[path]

    def problem(self, source, target):
        """Why `target`, linked from the repository file `source`, is bad; None when it resolves."""
        target = target.strip()
        if target.startswith("<") and target.endswith(">"):
            target = target[1:-1].strip()
        if not target:
            return "empty link target"
        scheme = SCHEME.match(target)
        if scheme and len(scheme.group(1)) > 1:  # (a one-letter "scheme" is a Windows drive)
            name = scheme.group(1).lower()
            if name in ("http", "https"):
                host = urllib.parse.urlsplit(target).hostname
                if host_allowed(host):
                    return None
                return f"{target}: external host {host} is not in ALLOWED_HOSTS (scripts/check_doc_links.py)"
            if name == "mailto":
                return None
            return f"{target}: a {name}: link points outside the repository"
        if target.startswith("//"):
            return f"{target}: a protocol-relative URL points outside the repository"
        path_part, _, fragment = target.partition("#")
        path_part = urllib.parse.unquote(path_part.split("?", 1)[0])
        fragment = urllib.parse.unquote(fragment)
        if path_part.startswith("/") or re.match(r"^[A-Za-z]:[\\/]", path_part):
            return f"{target}: an absolute path points outside the repository (use a relative link)"
        source_path = os.path.join(self.root, source)
        if path_part:
            resolved = os.path.realpath(os.path.join(os.path.dirname(source_path), path_part))
            if os.path.commonpath([self.root, resolved]) != self.root:
                return f"{target}: points outside the repository"
            if not os.path.exists(resolved):
                return f"{target}: {os.path.relpath(resolved, self.root)} does not exist"
        else:
            resolved = source_path
        if fragment and resolved.endswith(".md") and os.path.isfile(resolved):
            if fragment not in self.anchors_of(resolved):
                where = "this file" if not path_part else os.path.relpath(resolved, self.root).replace(os.sep, "/")
                return f"{target}: no heading in {where} has the anchor #{fragment}"
        return None

    def run(self, out=sys.stdout):
        """Prints each bad link as `file:line: reason`; returns (files, links, bad links)."""
        files = doc_files(self.root)
        total, bad = 0, 0
        for name in files:
            with open(os.path.join(self.root, name), encoding="utf-8") as f:
                text = f.read()
            for number, target in links(text):
                total += 1
                reason = self.problem(name, target)
                if reason:
                    bad += 1
                    print(f"{name}:{number}: {reason}", file=out)
        return len(files), total, bad


def self_test():
    """A tiny repository with one good link and three bad ones: exactly the three must be reported."""
    import io
    with tempfile.TemporaryDirectory() as tmp:
        root = os.path.join(tmp, "repo")
        os.makedirs(os.path.join(root, "docs"))
        with open(os.path.join(tmp, "outside.md"), "w", encoding="utf-8") as f:
            f.write("# Outside\n")
        with open(os.path.join(root, "docs", "guide.md"), "w", encoding="utf-8") as f:
            f.write("# Guide\n\n## Getting `started` (fast)\n\nBack to the [README](../README.md#the-repo).\n")
        with open(os.path.join(root, "README.md"), "w", encoding="utf-8") as f:
            f.write("# The repo\n\n"
                    "A [good link](docs/guide.md#getting-started-fast) and `[in code](nowhere.md)`.\n"
                    "A [missing file](docs/missing.md).\n"
                    "A [bad anchor](docs/guide.md#no-such-section).\n"
                    "A [link outside](../outside.md).\n"
                    "```\n[in a code block](nowhere.md)\n```\n")
        out = io.StringIO()
        files, total, bad = Checker(root).run(out)
        reported = out.getvalue().splitlines()
        expected = [("README.md:4:", "does not exist"), ("README.md:5:", "anchor #no-such-section"),
                    ("README.md:6:", "outside the repository")]
        ok = (bad == 3 and len(reported) == 3 and files == 2 and total == 5
              and all(line.startswith(where) and what in line for line, (where, what) in zip(reported, expected)))
        print("\n".join(reported))
        if not ok:
            print(f"self-test FAILED: expected exactly the 3 bad links of lines 4-6 (of 5 links in 2 files), "
                  f"got {bad} of {total} in {files} files", file=sys.stderr)
            return 1
        print("self-test passed: the missing file, the bad anchor and the link outside were reported, "
              "nothing else")
        return 0


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    if len(argv) > 2 or (len(argv) == 2 and argv[1].startswith("-")):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    root = argv[1] if len(argv) == 2 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    if not os.path.isdir(root):
        print(f"check_doc_links: {root} is not a directory", file=sys.stderr)
        return 2
    files, total, bad = Checker(root).run()
    if bad:
        print(f"check_doc_links: {bad} bad link(s) of {total} in {files} Markdown files")
        return 1
    print(f"check_doc_links: {total} links in {files} Markdown files, all resolve inside the repository")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
