#!/usr/bin/env python3
"""Layer check: no file under src/ (or apps/soar/) includes a header of a higher layer.

The layers are the add_subdirectory(...) lines of src/CMakeLists.txt, lower layers first; apps/soar/
is the top layer, above all of them. A file in layer L may include headers of L and of the layers
listed before L, never of one listed after it. A quoted include "x/y.h" names the layer whose folder
is the longest prefix of x/y.h (with one-level folders: its first path component); <...> includes and
quoted includes that name no layer folder (a header beside the includer, "options.h") are not edges.

    python3 scripts/check_layers.py [ROOT]     # ROOT: the repository (default: this script's ../)
    python3 scripts/check_layers.py --self-test

Exit status: 0 clean, 1 violations (one `path:line: ...` line each), 2 the layer list does not match
src/ (a listed folder is missing, a src/ folder is not listed, a file lies in no layer).
Standard library only: CTest runs it with the system python3 (tests/CMakeLists.txt).
"""
import os
import re
import subprocess
import sys
import tempfile

SOURCE_SUFFIXES = (".h", ".cpp", ".cu", ".cuh")
APP_DIRS = ["apps/soar"]  # the top layer, above every src/ layer
INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')
ADD_SUBDIRECTORY = re.compile(r"\badd_subdirectory\s*\(\s*([^)]*)\)", re.IGNORECASE)


class LayerListError(Exception):
    pass


def strip_cmake_comments(text):
    text = re.sub(r"#\[(=*)\[.*?\]\1\]", "", text, flags=re.DOTALL)  # bracket comments
    return "\n".join(re.sub(r"#.*", "", line) for line in text.splitlines())


def read_layers(root):
    """The layer folders (relative to src/, '/'-separated) in the order src/CMakeLists.txt lists them."""
    cmake = os.path.join(root, "src", "CMakeLists.txt")
    try:
        with open(cmake, encoding="utf-8") as f:
            text = strip_cmake_comments(f.read())
    except OSError as e:
        raise LayerListError(f"cannot read {cmake}: {e.strerror}")
    layers = []
    for match in ADD_SUBDIRECTORY.finditer(text):
        args = match.group(1).split()
        if not args:
            raise LayerListError("src/CMakeLists.txt: add_subdirectory() without a folder")
        folder = args[0].strip('"').strip("/")
        if "$" in folder or folder.startswith("..") or os.path.isabs(folder):
            raise LayerListError(f"src/CMakeLists.txt: add_subdirectory({args[0]}): not a plain folder under src/")
        if folder in layers:
            raise LayerListError(f"src/CMakeLists.txt: {folder} is listed twice")
        layers.append(folder)
    if not layers:
        raise LayerListError("src/CMakeLists.txt lists no layer (no add_subdirectory line)")
    problems = []
    for folder in layers:
        if not os.path.isdir(os.path.join(root, "src", folder)):
            problems.append(f"src/CMakeLists.txt lists {folder}, but src/{folder}/ does not exist")
    for entry in sorted(os.listdir(os.path.join(root, "src"))):
        if entry.startswith(".") or not os.path.isdir(os.path.join(root, "src", entry)):
            continue
        if not any(folder == entry or folder.startswith(entry + "/") for folder in layers):
            problems.append(f"src/{entry}/ is not in src/CMakeLists.txt's layer list")
    if problems:
        raise LayerListError("\n".join(problems))
    return layers


def layer_of(path, layers):
    """The layer (a folder of `layers`) that holds the '/'-separated path under src/, or None."""
    best = None
    for folder in layers:
        if path.startswith(folder + "/") and (best is None or len(folder) > len(best)):
            best = folder
    return best


def source_files(root, top):
    for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith(SOURCE_SUFFIXES):
                yield os.path.relpath(os.path.join(dirpath, name), root).replace(os.sep, "/")


def check(root):
    """Returns (violations, number of files, number of layer edges); raises LayerListError."""
    layers = read_layers(root)
    rank = {folder: i for i, folder in enumerate(layers)}
    files = []
    for path in source_files(root, "src"):
        layer = layer_of(path[len("src/"):], layers)
        if layer is None:
            raise LayerListError(f"{path} lies in no layer of src/CMakeLists.txt")
        files.append((path, layer, rank[layer]))
    for app in APP_DIRS:
        if os.path.isdir(os.path.join(root, app)):
            files.extend((path, app, len(layers)) for path in source_files(root, app))
    violations, edges = [], 0
    for path, layer, level in files:
        with open(os.path.join(root, path), encoding="utf-8", errors="replace") as f:
            for number, line in enumerate(f, 1):
                match = INCLUDE.match(line)
                if not match:
                    continue
                included = layer_of(match.group(1), layers)
                if included is None:
                    continue  # <...>-like or a header beside the includer: not a layer edge
                edges += 1
                if rank[included] > level:
                    violations.append(f'{path}:{number}: layer {layer} includes "{match.group(1)}" '
                                      f"(layer {included} is above {layer})")
    return violations, len(files), edges


def main(root):
    try:
        violations, files, edges = check(root)
    except LayerListError as e:
        print(f"check_layers: {e}", file=sys.stderr)
        return 2
    layers = read_layers(root)
    order = " < ".join(layers + APP_DIRS)
    for v in violations:
        print(v)
    if violations:
        print(f"check_layers: {len(violations)} violation(s) in {files} files; a layer may include only itself "
              f"and the layers before it: {order}")
        return 1
    print(f"check_layers: ok, {files} files, {edges} includes of layer headers, none upward ({order})")
    return 0


def self_test():
    """Builds fake trees in a temporary folder and checks the verdicts and the exact output."""
    def write(root, path, text):
        os.makedirs(os.path.dirname(os.path.join(root, path)), exist_ok=True)
        with open(os.path.join(root, path), "w", encoding="utf-8") as f:
            f.write(text)

    def run(root):
        p = subprocess.run([sys.executable, os.path.abspath(__file__), root], capture_output=True, text=True)
        return p.returncode, p.stdout, p.stderr

    failures = []

    def expect(name, got, want):
        status = "ok" if got == want else "FAILED"
        print(f"self-test {name}: {status}")
        if got != want:
            failures.append(name)
            print(f"  expected: {want!r}\n  got:      {got!r}")

    with tempfile.TemporaryDirectory(prefix="check_layers.") as tmp:
        root = os.path.join(tmp, "repo")
        write(root, "src/CMakeLists.txt", "# Layers, lower first.\nadd_subdirectory(low)\nadd_subdirectory(high)\n")
        write(root, "src/low/a.h", "#pragma once\n#include <vector>\n#include \"low/b.h\"\n")
        write(root, "src/low/b.h", "#pragma once\n")
        write(root, "src/high/c.cpp", '#include "high/c.h"\n#include "low/a.h"\n#include "local.h"\n')
        write(root, "src/high/c.h", "#pragma once\n")
        write(root, "apps/soar/main.cpp", '#include "high/c.h"\n#include "options.h"\n')
        expect("clean tree exits 0", run(root)[0], 0)

        # One deliberate upward include, on line 3 of src/low/b.cpp.
        write(root, "src/low/b.cpp", '#include "low/b.h"\n\n#include "high/c.h"\n#include "low/a.h"\n')
        code, out, _ = run(root)
        expect("upward include exits 1", code, 1)
        expect("upward include is reported with its line", out.splitlines()[:-1],
               ['src/low/b.cpp:3: layer low includes "high/c.h" (layer high is above low)'])

        os.makedirs(os.path.join(root, "src", "extra"))
        code, _, err = run(root)
        expect("unlisted src/ folder exits 2", (code, "src/extra/ is not in" in err), (2, True))
        os.rmdir(os.path.join(root, "src", "extra"))

        write(root, "src/CMakeLists.txt", "add_subdirectory(low)\nadd_subdirectory(missing)\nadd_subdirectory(high)\n")
        code, _, err = run(root)
        expect("listed missing folder exits 2", (code, "lists missing, but src/missing/ does not exist" in err),
               (2, True))
    if failures:
        print(f"check_layers self-test: {len(failures)} check(s) failed")
        return 1
    print("check_layers self-test: the check reports a deliberate violation and a wrong layer list")
    return 0


if __name__ == "__main__":
    args = sys.argv[1:]
    if args == ["--self-test"]:
        sys.exit(self_test())
    if args in (["-h"], ["--help"]):
        print(__doc__)
        sys.exit(0)
    if len(args) > 1 or (args and args[0].startswith("-")):
        print("usage: check_layers.py [ROOT] | --self-test | --help", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(os.path.abspath(args[0]) if args else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
