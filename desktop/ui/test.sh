#!/usr/bin/env bash
# The desktop UI's unit tests (vitest) and type check. Ends with
# "desktop-ui: N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")"
[[ -d node_modules ]] || npm ci --no-audit --no-fund --loglevel=error
npm run --silent check
report="$(mktemp)"
trap 'rm -f "$report"' EXIT
set +e
npx vitest run --reporter=default --reporter=json --outputFile.json="$report"
status=$?
set -e
read -r passed failed <<<"$(python3 -c '
import json, sys
try:
    r = json.load(open(sys.argv[1]))
    print(r.get("numPassedTests", 0), r.get("numFailedTests", 0))
except Exception:
    print(0, 1)
' "$report")"
printf '\ndesktop-ui: %d passed, %d failed\n' "$passed" "$failed"
((passed > 0 && status == 0))
