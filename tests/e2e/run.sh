#!/usr/bin/env bash
# End-to-end through nginx → parley web → PostgreSQL, against the stack that
# tests/lib/check.sh started. Runs every tests/e2e/NN_*.sh in order (they
# share lib.sh's state); writes "passed failed" to $1.
set -uo pipefail
RESULT=${1:-/dev/null}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib.sh"
trap finish EXIT
for part in "$HERE"/[0-9][0-9]_*.sh; do
  # E2E_ONLY=30 runs one part (during development; parts may need earlier ones' state)
  [ -n "${E2E_ONLY:-}" ] && [[ "$(basename "$part")" != "${E2E_ONLY}"_* ]] && continue
  source "$part"
done
