#!/usr/bin/env bash
# Regenerates Sources/Executable/link-order.txt: the functions `aegis-rotate bot` runs while it
# starts, connects and acks envelopes (and `list`/`due` run), in the order callgrind first lists
# them. Release links place these functions first and together (docs/benchmarks.md#memory), so
# the code the bot runs fills a few megabytes of pages instead of touching most of a 36 MB text
# segment. A stale list costs memory, never correctness: a function not in it is linked as usual.
#
#   scripts/link-order.sh                    # about 15 minutes on 2 cores from a clean checkout
#   SCRATCH=.build-release scripts/link-order.sh   # another build folder (incremental if it exists)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "link-order.sh needs valgrind" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
build=(swift build -c release --scratch-path "${SCRATCH:-.build}" --static-swift-stdlib -Xswiftc -Xfrontend -Xswiftc -function-sections)
"${build[@]}" --product aegis-rotate
"${build[@]}" --product aegis-bench
bin="$("${build[@]}" --show-bin-path)"
# valgrind cannot read the binary's DWARF; the symbol table is all it needs. The bench runs the
# aegis-rotate beside it, so both go to the work folder.
strip -g -o "$work/aegis-rotate" "$bin/aegis-rotate"
cp "$bin/aegis-bench" "$work/aegis-bench"
callgrind=(valgrind --tool=callgrind --demangle=no --dump-instr=no)
# The bench drives the bot under valgrind through every phase (start, idle, paced rates, the
# burst), then stops it with SIGTERM and waits for callgrind to write its file. The bench's
# numbers measure valgrind here and are thrown away.
AEGIS_BENCH_LAUNCHER="${callgrind[*]} --callgrind-out-file=$work/bot.cg" \
  timeout 300 "$work/aegis-bench" aegis-rotate >"$work/bench.out" 2>&1 || true
for command in list due; do
  AEGIS_ENV=local AEGIS_LOCAL_DIR="$work/local" timeout 120 "${callgrind[@]}" --callgrind-out-file="$work/$command.cg" \
    "$work/aegis-rotate" "$command" --json >/dev/null 2>&1 || true
done
[[ -s "$work/bot.cg" ]] || { cat "$work/bench.out" >&2; echo "no callgrind profile of the bot" >&2; exit 1; }
nm --defined-only "$bin/aegis-rotate" | awk '$2 ~ /^[tTwW]$/ {print $3}' | sort -u >"$work/defined"
cat "$work/bot.cg" "$work/list.cg" "$work/due.cg" 2>/dev/null |
  sed -nE 's/^c?fn=\([0-9]+\) (.+)$/\1/p' | awk '!seen[$0]++' |
  awk 'NR == FNR {defined[$0] = 1; next} defined[$0]' "$work/defined" - >Sources/Executable/link-order.txt
echo "Sources/Executable/link-order.txt: $(wc -l <Sources/Executable/link-order.txt) functions; relink to use it:"
echo "  rm $bin/aegis-rotate && ${build[*]} --product aegis-rotate"
