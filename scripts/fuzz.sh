#!/usr/bin/env bash
# Runs every libFuzzer target in Fuzz/ for a bounded time over its committed seed corpus and
# reports executions and crashes per target. Not part of the test command (docs/fuzzing.md).
#
#   scripts/fuzz.sh            # every target, 60 s each
#   scripts/fuzz.sh 10         # every target, 10 s each
#   scripts/fuzz.sh 300 FuzzRESP FuzzDuration
#
# A crash leaves its input in .build-fuzz/crashes/<target>/ and makes the script exit 1; turn it
# into a regular test (docs/fuzzing.md) before fixing it.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
[[ "$seconds" =~ ^[0-9]+$ ]] && ((seconds >= 1 && seconds <= 86400)) ||
  { echo "usage: scripts/fuzz.sh [seconds per target, 1-86400] [target…]" >&2; exit 64; }
targets=("$@")
if ((${#targets[@]} == 0)); then
  mapfile -t targets < <(ls Fuzz/Sources | grep '^Fuzz' | grep -v '^FuzzSupport$')
fi

scratch=.build-fuzz
flags=(-c debug -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -enable-testing)
echo "building the fuzz targets (first build: several minutes)"
swift build --package-path Fuzz --scratch-path "$scratch" "${flags[@]}" >"$scratch.log" 2>&1 ||
  { tail -40 "$scratch.log"; echo "fuzz build failed; full log in $scratch.log" >&2; exit 1; }
bin="$(swift build --package-path Fuzz --scratch-path "$scratch" "${flags[@]}" --show-bin-path)"

failed=0
printf '%-24s %12s %10s %8s %s\n' target executions exec/s corpus result
for target in "${targets[@]}"; do
  seeds="Fuzz/Corpus/$target"
  work="$scratch/corpus/$target"
  crashes="$scratch/crashes/$target"
  mkdir -p "$work" "$crashes" "$seeds"
  log="$scratch/$target.log"
  # libFuzzer stops itself after -max_total_time; the outer timeout is the deadline if it does not.
  set +e
  # Swift's own backtracer and ASan's report race for the crashing thread; ASan's is the one to read.
  SWIFT_BACKTRACE=enable=no timeout --kill-after=10 "$((seconds + 60))" "$bin/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -print_final_stats=1 -artifact_prefix="$crashes/" "$work" "$seeds" >"$log" 2>&1
  status=$?
  set -e
  runs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)"
  rate="$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)"
  corpus="$(ls "$work" | wc -l)"
  if ((status == 0)); then result="0 crashes"; else result="FAILED (exit $status): see $log and $crashes/"; failed=1; fi
  printf '%-24s %12s %10s %8s %s\n' "$target" "$runs" "$rate" "$corpus" "$result"
done
exit "$failed"
