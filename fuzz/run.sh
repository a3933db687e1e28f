#!/bin/bash
# Runs libFuzzer harnesses for a bounded time each and reports what they did.
#   fuzz/run.sh BUILD_DIR NAME...     (make fuzz / make fuzz-smoke call it)
# FUZZ_SECONDS per harness (default 600); FUZZ_PARALLEL harnesses at a time
# (default 1). Each harness starts from its committed seeds
# fuzz/corpus/NAME/ and grows a working corpus in BUILD_DIR/corpus/NAME
# (the committed seeds are never modified). A crash, leak, sanitizer report
# or timeout leaves its input in BUILD_DIR/artifacts/ and fails the run.
# Prints one line per harness:  fuzz NAME: OK|FAILED, N executions in S s
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
build=$1
shift
secs=${FUZZ_SECONDS:-600}
par=${FUZZ_PARALLEL:-1}
mkdir -p "$build/artifacts" "$build/logs" "$build/tmp" || exit 2

run_one() {
	local name=$1 bin=$build/fuzz_$1 work=$build/corpus/$1 log=$build/logs/$1.log
	local rc execs
	mkdir -p "$work"
	# the archive harness extracts under TMPDIR: keep it in the build dir
	TMPDIR=$PWD/$build/tmp ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		"$bin" -max_total_time="$secs" -timeout=25 -rss_limit_mb=2048 -max_len=65536 \
		-print_final_stats=1 -artifact_prefix="$build/artifacts/$name-" \
		"$work" "fuzz/corpus/$name" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	if [ "$rc" -eq 0 ]; then
		echo "fuzz $name: OK, ${execs:-?} executions in $secs s"
	else
		echo "fuzz $name: FAILED (exit $rc), ${execs:-?} executions; log $log:"
		grep -E "ERROR|SUMMARY|runtime error|Test unit written|abort|==[0-9]+==" "$log" | head -n 20
	fi
	return "$rc"
}

failed=0
pids=()
names=()
for name in "$@"; do
	if [ ! -x "$build/fuzz_$name" ] || [ ! -d "fuzz/corpus/$name" ]; then
		echo "fuzz $name: FAILED, no harness binary or seed corpus"
		failed=$((failed + 1))
		continue
	fi
	run_one "$name" &
	pids+=("$!")
	names+=("$name")
	if [ "${#pids[@]}" -ge "$par" ]; then
		wait "${pids[0]}" || failed=$((failed + 1))
		pids=("${pids[@]:1}")
	fi
done
for p in "${pids[@]}"; do
	wait "$p" || failed=$((failed + 1))
done
echo "fuzz: $# harnesses, $failed failed"
[ "$failed" -eq 0 ]
