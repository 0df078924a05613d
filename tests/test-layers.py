#!/usr/bin/env python3
# The layers of lib/ (docs/architecture.md, "Layers"): each folder includes
# only its own headers and those of the folders below it, the public headers
# include only public headers, and the command line includes only the public
# API and its own files. Fails, naming the file, line and rule, when an
# #include breaks them; and checks first that it would (a tree with a bad
# include made here must fail).
#
# Usage: test-layers.py SOURCE_ROOT
# SPDX-License-Identifier: LGPL-2.1-or-later

import os
import re
import sys
import tempfile

# What each folder of lib/ may include besides itself. Read bottom up: a
# folder appears only after every folder it depends on.
LAYERS = {
    "util": set(),
    "db": {"util"},
    "manifest": {"util"},
    "cache": {"db", "util"},
    "index": {"db", "util"},
    "http": {"cache", "util"},
    "drm": {"http", "manifest", "db", "util"},
    "tracks": {"index", "manifest", "util"},
    "licensing": {"drm", "tracks", "index", "http", "cache", "manifest", "db", "util"},
    "downloader": {"licensing", "drm", "tracks", "index", "http", "cache", "manifest", "db", "util"},
    "helper": {"tracks", "index", "http", "manifest", "util"},
    "manager": {"downloader", "licensing", "drm", "tracks", "index", "http", "cache", "manifest", "db", "util"},
    # lib/offline-*.cpp: the error domain and the enums' helpers.
    "": {"manifest", "util"},
}

# What the rules above say in words, for the failures.
WHY = {
    ("index", "tracks"): "index must not include the track lists (lib/tracks sits on the index's track model)",
    ("http", "index"): "http must not include index",
    ("drm", "index"): "drm must not include (or write) the index database",
    ("downloader", "helper"): "downloader and helper must not include each other",
    ("helper", "downloader"): "downloader and helper must not include each other",
}

INCLUDE = re.compile(r'^\s*#\s*include\s+([<"])([^>"]+)[>"]')
SOURCE_SUFFIXES = (".c", ".cpp", ".h")


def includes(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        for number, line in enumerate(f, 1):
            match = INCLUDE.match(line)
            if match:
                yield number, match.group(1), match.group(2)


def sources(root):
    for directory, _, names in os.walk(root):
        for name in sorted(names):
            if name.endswith(SOURCE_SUFFIXES):
                yield os.path.join(directory, name)


def check(root):
    """Every broken rule under `root` (a source tree), as lines of text."""
    problems = []
    lib = os.path.join(root, "lib")
    known = set(name for name in os.listdir(lib) if os.path.isdir(os.path.join(lib, name)))
    for path in sources(lib):
        relative = os.path.relpath(path, lib)
        parts = relative.split(os.sep)
        folder = parts[0] if len(parts) > 1 else ""
        if folder == "gst":
            # The public headers: <gst/offline/...>, GLib, GStreamer, nothing of lib/.
            for number, kind, name in includes(path):
                if kind == '"':
                    problems.append("%s:%d: a public header includes \"%s\" (only <...> headers)"
                                    % (relative, number, name))
            continue
        if folder not in LAYERS:
            problems.append("%s: lib/%s/ is in no layer: add it to tests/test-layers.py and "
                            "docs/architecture.md" % (relative, folder))
            continue
        allowed = LAYERS[folder] | {folder}
        for number, kind, name in includes(path):
            if kind != '"' or name == "config.h":
                continue
            target = name.split("/")[0] if "/" in name else ""
            if target not in known and target != "":
                continue  # a generated or external header
            if target not in allowed:
                rule = WHY.get((folder, target),
                               "lib/%s may include only %s" % (folder or ".", ", ".join(sorted(allowed)) or "itself"))
                problems.append("%s:%d: includes \"%s\": %s" % (relative, number, name, rule))
    # The command line is an application of the public API.
    tools = os.path.join(root, "tools")
    for path in sources(tools):
        for number, kind, name in includes(path):
            if kind == '"' and not os.path.exists(os.path.join(os.path.dirname(path), name)):
                problems.append("%s:%d: includes \"%s\": tools/ uses the public API (<gst/offline/...>) only"
                                % (os.path.relpath(path, root), number, name))
    # The plugin: the public API, the private playback header and two
    # header-only helpers (the build enforces it too, gst/meson.build).
    plugin = os.path.join(root, "gst")
    for path in sources(plugin):
        if "public-include" in path:
            continue
        for number, kind, name in includes(path):
            if kind != '"':
                continue
            local = os.path.exists(os.path.join(os.path.dirname(path), name)) \
                or os.path.exists(os.path.join(plugin, name))
            if not local and name not in ("util/handles.h", "util/big-endian.h"):
                problems.append("%s:%d: includes \"%s\": gst/ uses the public API only"
                                % (os.path.relpath(path, root), number, name))
    return problems


def check_fails_on_a_bad_include():
    """The checker itself: a tree whose index includes a track list fails."""
    with tempfile.TemporaryDirectory() as root:
        for folder, text in (("index", '#include "tracks/track-selection.h"\n'),
                             ("tracks", '#include "index/track-model.h"\n'),
                             ("http", '#include "cache/resource-writer.h"\n')):
            os.makedirs(os.path.join(root, "lib", folder))
            with open(os.path.join(root, "lib", folder, "x.cpp"), "w") as f:
                f.write(text)
        os.makedirs(os.path.join(root, "lib", "cache"))
        os.makedirs(os.path.join(root, "tools"))
        os.makedirs(os.path.join(root, "gst"))
        problems = check(root)
        assert len(problems) == 1 and problems[0].startswith("index/x.cpp:1:") \
            and "track lists" in problems[0], problems


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    check_fails_on_a_bad_include()
    problems = check(root)
    for problem in problems:
        print(problem)
    if problems:
        print("%d include(s) break the layers of docs/architecture.md" % len(problems))
        return 1
    print("every include keeps the layers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
