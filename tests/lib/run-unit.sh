#!/usr/bin/env bash
# Runs every cmocka test binary in BUILD/tests; writes "passed failed" to RESULT.
set -uo pipefail
build=$1 result=${2:-/dev/null}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export MUSTACHE_SPEC_DIR=${MUSTACHE_SPEC_DIR:-$ROOT/../shared/spec/mustache}
export PARLEY_TEMPLATES=${PARLEY_TEMPLATES:-$ROOT/templates}
passed=0 failed=0
for t in "$ROOT/$build"/tests/test_*; do
  [ -x "$t" ] || continue
  out=$("$t" 2>&1); rc=$?
  printf '%s\n' "$out"
  p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | awk '{s+=$1} END {print s+0}')
  f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | awk '{s+=$1} END {print s+0}')
  [ "$rc" != 0 ] && [ "$f" = 0 ] && f=1
  passed=$((passed + p)); failed=$((failed + f))
done
echo "unit ($build): $passed passed, $failed failed"
echo "$passed $failed" >"$result"
