#!/usr/bin/env bash
# The whole test suite, from a fresh clone on Debian 12: installs what is
# missing, builds with warnings as errors, runs every test; then the unit
# suite (the library's private parts, every parser's tests, the real
# manifests and the fuzz corpus replay) again under ASan, UBSan and
# LeakSanitizer (scripts/test-sanitized.sh, its own build dir). That second
# run costs a 2-core machine about 9 minutes from nothing (measured, see
# docs/hostile-input.md), so CI stays well under 30 minutes; the end-to-end
# tests are not run under the sanitizers (they would double the suite's
# time). GST_OFFLINE_SANITIZE=0 leaves the sanitized run out.
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
logs=("$build/meson-logs/testlog.json")

if [ "${GST_OFFLINE_SANITIZE:-1}" != 0 ]; then
  sanitized=${SANITIZE_BUILD:-build-sanitize}
  rm -f "$sanitized/meson-logs/testlog.json"
  bash scripts/test-sanitized.sh || status=$?
  # A build that failed leaves no log: count it as one failure.
  logs+=("$sanitized/meson-logs/testlog.json")
fi

# One closing line in the plain form CI reads, over both runs.
python3 - "${logs[@]}" <<'PY'
import json, sys
passed = failed = skipped = 0
failures = []
for path in sys.argv[1:]:
    try:
        log = open(path)
    except FileNotFoundError:
        failed += 1
        failures.append((path, "NO LOG (the build failed)", ""))
        continue
    with log:
        for line in log:
            test = json.loads(line)
            result = test["result"]
            if result == "OK":
                passed += 1
            elif result == "SKIP":
                skipped += 1
            else:
                failed += 1
                failures.append((test["name"], result,
                                 (test.get("stdout") or "") + (test.get("stderr") or "")))
# CI keeps only the end of what this prints: name what failed, with the end
# of its output, last.
for name, result, output in failures:
    print(f"--- {result}: {name}; the end of its output:")
    print("\n".join(output.rstrip().splitlines()[-40:]))
for name, result, _ in failures:
    print(f"FAILED ({result}): {name}")
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit $status
