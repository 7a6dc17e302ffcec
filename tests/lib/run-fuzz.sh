#!/usr/bin/env bash
# Runs each libFuzzer target for a bounded time; a crash fails the check.
set -uo pipefail
seconds=$1; shift
result=${RESULTS:-/dev/null}
passed=0 failed=0
for f in "$@"; do
  corpus=$(mktemp -d)
  if "$f" -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=0 \
       -artifact_prefix="$(dirname "$f")/" "$corpus" >"$f.log" 2>&1; then
    echo "fuzz $(basename "$f"): $(grep -o 'Done [0-9]* runs' "$f.log" | tail -n1) in ${seconds}s, no crash"
    passed=$((passed + 1))
  else
    echo "fuzz $(basename "$f"): FAILED"; tail -n 40 "$f.log"
    failed=$((failed + 1))
  fi
  rm -rf "$corpus"
done
echo "fuzz: $passed passed, $failed failed"
echo "$passed $failed" >"$result"
