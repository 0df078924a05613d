#!/usr/bin/env bash
# Fuzzes every parser entry point of tests/fuzz/ with libFuzzer, ASan and
# UBSan, SECONDS each (default 60), one after the other at the lowest
# priority (FUZZ_NICE, default 19: on a shared machine 19 may starve it). Installs clang-14 and its libFuzzer/sanitizer runtimes from
# Debian 12 (clang-14, libclang-rt-14-dev) plus the build dependencies.
#   bash scripts/fuzz.sh [SECONDS] [TARGET...]
# New inputs go to build-fuzz/work/TARGET (the seeds in tests/fuzz/corpus
# stay as they are); a crash, a sanitizer report, a leak, an input slower
# than 10 s or over 2 GiB of memory leaves its input in
# build-fuzz/artifacts/. Add such an input to tests/fuzz/crashes/TARGET/
# with the fix: the replay test of the ordinary suite then runs it forever.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
niceness=${FUZZ_NICE:-19}
shift || true

bash scripts/install-deps.sh
fuzz_packages=(clang-14 libclang-rt-14-dev)
missing=()
for package in "${fuzz_packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update
  $sudo apt-get install -y --no-install-recommends "${missing[@]}"
fi

build=build-fuzz
if [ ! -f "$build/build.ninja" ]; then
  CC=clang-14 CXX=clang++-14 meson setup "$build" -Dfuzzing=enabled -Db_lundef=false \
    -Dtests=disabled -Dintrospection=disabled -Dwerror=true
fi
nice -n "$niceness" meson compile -C "$build"

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for corpus in tests/fuzz/corpus/*/; do
    targets+=("$(basename "$corpus")")
  done
fi

mkdir -p "$build/artifacts"
# Callers may override these (ASAN_OPTIONS=detect_leaks=0 saves the leak
# check at exit, which takes minutes on a loaded machine).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
for target in "${targets[@]}"; do
  work="$build/work/$target"
  mkdir -p "$work"
  dict=()
  [ -f "tests/fuzz/dict/$target.dict" ] && dict=(-dict="tests/fuzz/dict/$target.dict")
  echo "== $target: ${seconds}s"
  nice -n "$niceness" "$build/tests/fuzz/fuzz-$target" "$work" "tests/fuzz/corpus/$target" "${dict[@]}" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="$build/artifacts/$target-" 2>&1 | grep -E '^(==|#[0-9]+ +DONE|stat::number_of_executed_units|stat::slowest_unit_time_sec|stat::peak_rss|SUMMARY|ERROR|artifact_prefix|Test unit written)' \
    || true
  if ls "$build/artifacts/$target-"* >/dev/null 2>&1; then
    echo "!! $target: findings in $build/artifacts/"
    status=1
  fi
done
exit $status
