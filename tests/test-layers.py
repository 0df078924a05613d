#!/usr/bin/env python3
# The layers of lib/ (docs/architecture.md, "Layers"): each folder includes
# only its own headers and those of the folders below it, the public headers
# include only public headers, and the command line includes only the public
# API and its own files. Fails, naming the file, line and rule, when an
# #include breaks them; and checks first that it would (a tree with a bad
# include made here must fail).
#
# The library split (lib/meson.build): the sources of libgstoffline-core-1.0
# (`core_sources`) include no header of libgstoffline-1.0's sources, nor
# libsoup or libxml2, and the plugin given with --plugin loads neither; nor
# does the command line's program given with --cli (its commands that fetch
# are in a module it opens when they run: tools/commands-module.h).
#
# Usage: test-layers.py SOURCE_ROOT [--plugin PATH] [--cli PATH]
# SPDX-License-Identifier: LGPL-2.1-or-later

import os
import re
import subprocess
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
    # export: a download remuxed into one file (GStreamer, like playback).
    "export": {"drm", "tracks", "index", "cache", "db", "util"},
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


# What the core must not reach: the libraries it exists to leave out.
CORE_FORBIDDEN = ("libsoup/", "libxml/")


def core_sources(root):
    """The sources of libgstoffline-core-1.0, relative to lib/, as
    lib/meson.build lists them in `core_sources = files(...)`."""
    with open(os.path.join(root, "lib", "meson.build"), encoding="utf-8") as f:
        text = f.read()
    match = re.search(r"core_sources\s*=\s*files\(([^)]*)\)", text)
    if not match:
        return None
    return re.findall(r"'([^']+)'", match.group(1))


def check_core(root):
    """Every include by which a core source reaches a header of the rest of
    the library (a header whose .cpp is not in the core) or libsoup/libxml2,
    following the core's own headers."""
    lib = os.path.join(root, "lib")
    core = core_sources(root)
    if core is None:
        return ["lib/meson.build: no core_sources list (the sources of libgstoffline-core-1.0)"]
    core = set(core)
    problems = []
    seen = set()
    pending = sorted(core)
    while pending:
        relative = pending.pop()
        if relative in seen:
            continue
        seen.add(relative)
        for number, kind, name in includes(os.path.join(lib, relative)):
            if kind == "<":
                if name.startswith(CORE_FORBIDDEN):
                    problems.append("%s:%d: includes <%s>: libgstoffline-core-1.0 links neither libsoup "
                                    "nor libxml2 (lib/meson.build)" % (relative, number, name))
                continue
            if not os.path.exists(os.path.join(lib, name)):
                continue  # config.h, generated or local to gst/
            unit = os.path.splitext(name)[0] + ".cpp"
            if os.path.exists(os.path.join(lib, unit)) and unit not in core:
                problems.append("%s:%d: includes \"%s\": %s is in libgstoffline-1.0, not in the core "
                                "(core_sources in lib/meson.build)" % (relative, number, name, unit))
            else:
                pending.append(name)
    return problems


def check_loads_core_only(path, why):
    """The file at `path` loads libgstoffline-core-1.0, not libsoup, libxml2
    or libgstoffline-1.0 (`why` says who must not)."""
    output = subprocess.run(["ldd", path], check=True, capture_output=True, text=True).stdout
    loaded = [line.split()[0] for line in output.splitlines() if line.strip()]
    problems = ["%s loads %s: %s (lib/meson.build)" % (os.path.basename(path), name, why) for name in loaded
                if name.startswith(("libsoup", "libxml2", "libgstoffline-1.0"))]
    if not any(name.startswith("libgstoffline-core-1.0") for name in loaded):
        problems.append("%s does not load libgstoffline-core-1.0: is it the right file?" % path)
    return problems


def check_core_fails_on_a_bad_include():
    """The core checker itself: a core source reaching http through a header
    of its own fails, naming the include."""
    with tempfile.TemporaryDirectory() as root:
        for name, text in (("meson.build", "core_sources = files(\n  'index/x.cpp',\n)\n"),
                           ("index/x.cpp", '#include "index/x.h"\n'),
                           ("index/x.h", '#include "http/http-client.h"\n#include <glib.h>\n'),
                           ("http/http-client.h", ""), ("http/http-client.cpp", "")):
            os.makedirs(os.path.dirname(os.path.join(root, "lib", name)), exist_ok=True)
            with open(os.path.join(root, "lib", name), "w") as f:
                f.write(text)
        problems = check_core(root)
        assert len(problems) == 1 and problems[0].startswith("index/x.h:1:") \
            and "http/http-client.cpp is in libgstoffline-1.0" in problems[0], problems


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
    args = sys.argv[1:]
    files = {}
    for option in ("--plugin", "--cli"):
        if option in args:
            at = args.index(option)
            files[option] = args[at + 1]
            del args[at:at + 2]
    root = args[0] if args else os.path.join(os.path.dirname(__file__), "..")
    check_fails_on_a_bad_include()
    check_core_fails_on_a_bad_include()
    problems = check(root) + check_core(root)
    if "--plugin" in files:
        problems += check_loads_core_only(files["--plugin"], "a pipeline that plays a download must not")
    if "--cli" in files:
        problems += check_loads_core_only(files["--cli"], "gst-offline list, status and play must not")
    for problem in problems:
        print(problem)
    if problems:
        print("%d problem(s) with the layers of docs/architecture.md or the library split of lib/meson.build"
              % len(problems))
        return 1
    print("every include keeps the layers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
