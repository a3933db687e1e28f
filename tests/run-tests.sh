#!/bin/sh
# Runs each cmocka test executable given as an argument, prints its output
# (the cmocka summaries), and ends with one line for the whole run:
#   N passed, N failed
# and how long each executable took ("--- test_x: 12 s"), for CI's budget.
# A test executable that crashes or prints no summary counts as one failure.
set -u
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for t in "$@"; do
	echo "=== $(basename "$t")"
	start=$(date +%s)
	"$t" >"$log" 2>&1
	rc=$?
	cat "$log"
	echo "--- $(basename "$t"): $(($(date +%s) - start)) s"
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\..*/\1/p' "$log" | tail -n 1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed below:.*/\1/p' "$log" | tail -n 1)
	p=${p:-0}
	f=${f:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "!!! $(basename "$t") exited $rc without a cmocka failure summary"
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
