#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time: every input of its seed
# corpus first (crashes once found are kept there as regression inputs),
# then mutations for SECONDS. New interesting inputs go to a scratch corpus,
# not to the source tree. A crash, leak or timeout fails the test and leaves
# the input under the scratch directory, to be added to the seed corpus
# once fixed.
#
#   run_fuzzer.sh FUZZER SEED_CORPUS SECONDS
set -euo pipefail
fuzzer=$(realpath "$1")
seeds=$(realpath "$2")
seconds=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/sctpgw-fuzz.XXXXXX")
mkdir -p "$work/corpus"
status=0
(cd "$work" && "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
   -print_final_stats=1 -artifact_prefix="$work/" "$work/corpus" "$seeds") >"$work/log" 2>&1 || status=$?
grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ +DONE)' "$work/log" || true
echo "fuzz: $(basename "$fuzzer"): seeds $(find "$seeds" -type f | wc -l), corpus now $(find "$work/corpus" -type f | wc -l) inputs"
if [ "$status" -ne 0 ]; then
  tail -n 60 "$work/log"
  echo "fuzz: $(basename "$fuzzer") failed (exit $status); the input is in $work"
  exit "$status"
fi
rm -rf "$work"
