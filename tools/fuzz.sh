#!/usr/bin/env bash
# Runs the libFuzzer targets of tests/fuzz (docs/FUZZING.md), built with
#   CXX=clang++ meson setup build-fuzz -Dfuzz=enabled -Db_sanitize=address,undefined -Db_lundef=false
#   ninja -C build-fuzz fuzz
#
#   tools/fuzz.sh TARGET SECONDS [BUILD_DIR]     fuzz TARGET for SECONDS
#   tools/fuzz.sh all SECONDS [BUILD_DIR]        fuzz every target, SECONDS each
#   tools/fuzz.sh replay TARGET|all [BUILD_DIR]  run the seeds and regression inputs once
#
# Fuzzing starts from a copy of tests/fuzz/corpus/TARGET plus
# tests/fuzz/regressions/TARGET in a temporary directory: the repository is
# never written. On a crash it prints the crashing input's path, keeps the
# temporary directory and exits 1; add the input to
# tests/fuzz/regressions/TARGET/ once it is fixed. BUILD_DIR defaults to build-fuzz.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
fuzz_dir=$root/tests/fuzz

usage() {
  sed -n '5,7p' "$0" | sed 's/^# *//' >&2
  exit 2
}

all_targets() {
  local d
  for d in "$fuzz_dir"/corpus/*/; do basename "$d"; done
}

executable() {  # target -> path of its binary, or exit
  local exe=$build/tests/fuzz/$1_fuzz
  if [ ! -x "$exe" ]; then
    echo "fuzz.sh: no $exe (unknown target, or not built: ninja -C $build fuzz)" >&2
    exit 2
  fi
  echo "$exe"
}

# UBSan findings are crashes too, not warnings to scroll past.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

replay() {  # target
  local exe inputs=()
  exe=$(executable "$1") || return 1
  local d
  for d in "$fuzz_dir/corpus/$1" "$fuzz_dir/regressions/$1"; do
    [ -d "$d" ] || continue
    while IFS= read -r -d '' f; do inputs+=("$f"); done < <(find "$d" -type f ! -name README -print0 | sort -z)
  done
  if [ ${#inputs[@]} -eq 0 ]; then
    echo "fuzz.sh: $1: no seeds or regression inputs" >&2
    return 1
  fi
  # Files (not directories) as arguments: libFuzzer runs each once.
  if ! "$exe" "${inputs[@]}" >"$work_log" 2>&1; then
    tail -n 40 "$work_log" >&2
    echo "fuzz.sh: $1: an input in tests/fuzz/{corpus,regressions}/$1 fails (see above)" >&2
    return 1
  fi
  echo "fuzz.sh: $1: ${#inputs[@]} inputs replayed"
}

fuzz() {  # target seconds
  local target=$1 seconds=$2 exe work
  exe=$(executable "$target") || return 1
  work=$(mktemp -d "${TMPDIR:-/tmp}/ringpost-fuzz-$target.XXXXXX")
  mkdir "$work/corpus" "$work/crashes"
  cp -r "$fuzz_dir/corpus/$target/." "$work/corpus/"
  rm -f "$work/corpus/README"
  if [ -d "$fuzz_dir/regressions/$target" ]; then
    cp -r "$fuzz_dir/regressions/$target/." "$work/corpus/"
  fi
  echo "fuzz.sh: $target for ${seconds}s"
  if "$exe" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$work/crashes/" "$work/corpus" >"$work/log" 2>&1; then
    grep -E '^(Done|stat::number_of_executed_units)' "$work/log" | tail -n 1 || true
    rm -rf "$work"
    return 0
  fi
  tail -n 60 "$work/log" >&2
  echo "fuzz.sh: $target FAILED; crashing input(s):" >&2
  find "$work/crashes" -type f | sed 's/^/  /' >&2
  echo "fuzz.sh: log: $work/log; once fixed, copy the input to tests/fuzz/regressions/$target/" >&2
  return 1
}

[ $# -ge 2 ] || usage
mode=$1
if [ "$mode" = replay ]; then
  build=$(cd "${3:-$root/build-fuzz}" && pwd)
  work_log=$(mktemp "${TMPDIR:-/tmp}/ringpost-fuzz-replay.XXXXXX")
  trap 'rm -f "$work_log"' EXIT
  targets=$2
  [ "$targets" = all ] && targets=$(all_targets)
  failed=0
  for t in $targets; do replay "$t" || failed=1; done
  exit $failed
fi

seconds=$2
[[ "$seconds" =~ ^[0-9]+$ ]] || usage
build=$(cd "${3:-$root/build-fuzz}" && pwd)
targets=$mode
[ "$targets" = all ] && targets=$(all_targets)
failed=0
for t in $targets; do fuzz "$t" "$seconds" || failed=1; done
exit $failed
