#!/usr/bin/env bash
# The whole test suite, from a fresh clone on Debian 12: installs what is
# missing, builds with warnings as errors, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

build=build-tests
if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" -Dwerror=true -Dtests=enabled -Dintrospection=enabled
fi
meson compile -C "$build"

status=0
meson test -C "$build" --print-errorlogs --num-processes 2 || status=$?

# The parsers once more under ASan and UBSan (docs/hostile-input.md): the
# replay of the fuzzing corpus, past crashes and real manifests, and the
# parser unit tests. Only their targets are built.
sanitize=build-sanitize
sanitized_tests=(test-fuzz-replay test-dash-mpd test-hls-playlist test-mss-manifest test-pssh test-json-limits
  test-webvtt-timing test-real-manifests)
if [ ! -f "$sanitize/build.ninja" ]; then
  meson setup "$sanitize" -Db_sanitize=address,undefined -Dwerror=true -Dtests=enabled -Dintrospection=disabled
fi
sanitized_targets=()
for test in "${sanitized_tests[@]}"; do
  [ "$test" = test-fuzz-replay ] && sanitized_targets+=("tests/fuzz/$test") || sanitized_targets+=("tests/$test")
done
meson compile -C "$sanitize" "${sanitized_targets[@]}"
# GLib and GStreamer keep their type system to the end: no leak report.
ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  meson test -C "$sanitize" --print-errorlogs --num-processes 2 "${sanitized_tests[@]}" || status=$?

# One closing line in the plain form CI reads.
python3 - "$build/meson-logs/testlog.json" "$sanitize/meson-logs/testlog.json" <<'PY'
import json, sys
passed = failed = skipped = 0
for path in sys.argv[1:]:
    with open(path) as log:
        for line in log:
            result = json.loads(line)["result"]
            if result == "OK":
                passed += 1
            elif result == "SKIP":
                skipped += 1
            else:
                failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit $status
