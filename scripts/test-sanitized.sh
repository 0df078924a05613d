#!/usr/bin/env bash
# The unit suite (the library's private parts, every parser's tests and the
# fuzz corpus replay) built with ASan and UBSan (g++, -Db_sanitize) in a
# build directory of its own, build-sanitize; scripts/test.sh (what CI
# runs) runs it after the whole suite unless GST_OFFLINE_SANITIZE=0. A
# sanitizer report fails the test that made it. Leaks
# are checked; the ones GLib and GStreamer keep on purpose are suppressed
# in tests/sanitizer/lsan.supp, each with its reason.
#
# Only the unit suite: the end-to-end tests run GStreamer tools, ffmpeg and
# Python in child processes that would load the sanitized plugin and library
# without the sanitizer runtimes, and doubling the whole suite's time under
# ASan would take CI past half of its 30 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

build=${SANITIZE_BUILD:-build-sanitize}
if [ ! -f "$build/build.ninja" ]; then
  compiler=(gcc g++)
  if command -v ccache >/dev/null; then
    compiler=("ccache gcc" "ccache g++")
  fi
  CC=${CC:-${compiler[0]}} CXX=${CXX:-${compiler[1]}} meson setup "$build" -Db_sanitize=address,undefined \
    -Dwerror=true -Dtests=enabled -Dintrospection=disabled
else
  # The test list below is read from the build files: bring them up to date.
  meson setup --reconfigure "$build" >/dev/null
fi
# Only what the unit suite runs.
targets=$(meson introspect "$build" --tests | python3 -c '
import json, os, sys
root = os.path.realpath(sys.argv[1])
for test in json.load(sys.stdin):
    if any(suite.endswith(":unit") for suite in test["suite"]):
        print(os.path.relpath(os.path.realpath(test["cmd"][0]), root))
' "$build")
# shellcheck disable=SC2086
meson compile -C "$build" $targets

supp="$PWD/tests/sanitizer/lsan.supp"
export ASAN_OPTIONS=detect_leaks=1
export LSAN_OPTIONS="suppressions=$supp:print_suppressions=0"
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# The unit suite loads no plugin (tests/meson.build: unit_env), so no
# gst-plugin-scanner, which has no ASan runtime, is ever needed; should one
# be, the scan stays in this process.
export GST_REGISTRY_FORK=no
# ASan and UBSan make the parsers' big inputs (a million HLS segments, 50 000
# keys) several times slower; the 2-core CI machine is shared.
export CK_TIMEOUT_MULTIPLIER=3
meson test -C "$build" --no-rebuild --print-errorlogs --num-processes 2 --suite unit --timeout-multiplier 3
