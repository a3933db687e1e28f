#!/bin/bash
# Every test, from a fresh Debian 12 machine, as root: what `make check` and
# .ci/run run. Installs packages, starts the services the tests need (the
# LXD daemon), fetches the real Slurm sources, runs every cmocka test
# executable, stops what it started. Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
export HOME=${HOME:-/root}

scripts/setup.sh --test || { echo "check: setup failed"; exit 2; }

started_lxd=0
images_pid=
stop_services() {
	if [ -n "$images_pid" ] && kill -0 "$images_pid" 2>/dev/null; then
		kill -TERM -- "-$images_pid" 2>/dev/null
		wait "$images_pid" 2>/dev/null
	fi
	if [ "$started_lxd" = 1 ]; then
		scripts/lxd-setup.sh stop || true
	fi
}
trap stop_services EXIT
trap 'exit 130' INT TERM
if ! scripts/lxd-setup.sh status >/dev/null 2>&1; then
	scripts/lxd-setup.sh start || { echo "check: LXD could not be started"; exit 2; }
	started_lxd=1
fi

# the real Slurm sources as a local git repository (idempotent; from the Debian mirror's source packages)
scripts/slurm-sources.sh >/dev/null || { echo "check: Slurm sources unavailable"; exit 2; }

# The LXD images the tests use (build, runtime), made while the
# fuzz smoke runs: debootstrap waits on the mirror and dpkg, the fuzzers
# use one core, so this overlaps ~3 minutes a fresh machine would otherwise
# spend in the first tests. Existing images are reused; a failure here is
# shown, and the tests that need an image then make it themselves (and say
# so). Waited for before the tests: two runs never make the same image.
# (The GPU build image is made by its test: derived from the build image.)
make --no-print-directory BUILD=build all >/dev/null || { echo "check: the build failed"; exit 2; }
images_log=$(mktemp)
# its own process group (setsid), so that an interrupted check ends all of it
setsid sh -c 'build/slurm-factory image build &&
	build/slurm-factory image build --kind runtime' \
	>"$images_log" 2>&1 </dev/null &
images_pid=$!
images_start=$(date +%s)

# a short fuzz smoke of every harness in fuzz/ (ASan+UBSan); a crash fails
# the run. FUZZ_SECONDS per harness: 6 harnesses x 25 s stay under 3 minutes.
fuzz_rc=0
make --no-print-directory fuzz-smoke FUZZ_SECONDS="${FUZZ_SECONDS:-25}" || {
	fuzz_rc=1
	echo "check: the fuzz smoke FAILED (see the fuzz lines above)"
}

if wait "$images_pid"; then
	echo "check: images ready ($(($(date +%s) - images_start)) s, in parallel with the fuzz smoke): $(grep '^sf-' "$images_log" | tr '\n' ' ')"
else
	echo "check: making the images FAILED (the tests will try again):"
	tail -n 30 "$images_log"
fi
rm -f "$images_log"

make --no-print-directory check-unit
unit_rc=$?
[ "$fuzz_rc" = 0 ] && [ "$unit_rc" = 0 ]
