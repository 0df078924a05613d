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

# One closing line in the plain form CI reads.
python3 - "$build/meson-logs/testlog.json" <<'PY'
import json, sys
passed = failed = skipped = 0
with open(sys.argv[1]) as log:
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
