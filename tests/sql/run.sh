#!/usr/bin/env bash
# pgTAP suite against the test cluster, as its superuser (tests switch roles).
set -uo pipefail
result=${1:-/dev/null}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VAR=${PARLEY_VAR:?}
as_app() { if [ "$(id -u)" = 0 ]; then runuser -u parley -- "$@"; else "$@"; fi; }
# Normalizer tests read the recorded platform responses through pg_read_file.
export PGOPTIONS="-c parley.fixtures=$(cd "$ROOT/../shared/fixtures/social" && pwd)"
out=$(as_app env PGOPTIONS="$PGOPTIONS" pg_prove -h "$VAR/run" -p "$PARLEY_PGPORT" -U postgres -d parley "$ROOT"/tests/sql/*.sql 2>&1); rc=$?
printf '%s\n' "$out"
total=$(printf '%s\n' "$out" | sed -n 's/.*Tests=\([0-9]*\).*/\1/p' | tail -n1)
bad=$(printf '%s\n' "$out" | grep -oE 'Failed [0-9]+/[0-9]+' | awk -F'[ /]' '{s+=$2} END {print s+0}')
total=${total:-0}
[ "$rc" != 0 ] && [ "$bad" = 0 ] && bad=1
passed=$((total > bad ? total - bad : 0))
echo "pgtap: $passed passed, $bad failed"
echo "$passed $bad" >"$result"
