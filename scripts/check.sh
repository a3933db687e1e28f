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
bases_pid=
bases_log=
stop_services() {
	local p
	for p in $images_pid $bases_pid; do
		if kill -0 "$p" 2>/dev/null; then
			kill -TERM -- "-$p" 2>/dev/null
			wait "$p" 2>/dev/null
		fi
	done
	[ -z "$bases_log" ] || rm -f "$bases_log"
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

# The images of test_bases (issue 21: a bullseye build, smoked in bullseye,
# bookworm and trixie runtimes), made in the background while the earlier
# tests run (test_bases runs late, see the Makefile): ~9 minutes of
# debootstrap that would otherwise be the test's. The tool takes a lock per
# image, so a test that needs one of them before it is ready waits for it
# instead of making it twice. The bullseye runtime first: test_build's
# bookworm package is smoked there.
bases_log=$(mktemp)
# shellcheck disable=SC2016 # expanded by that sh
setsid sh -c 's=$(date +%s) &&
	build/slurm-factory image build --kind runtime --base bullseye &&
	build/slurm-factory image build --base bullseye &&
	build/slurm-factory image build --kind runtime --base trixie &&
	echo "took $(($(date +%s) - s)) s"' \
	>"$bases_log" 2>&1 </dev/null &
bases_pid=$!

make --no-print-directory check-unit
unit_rc=$?
if wait "$bases_pid"; then
	echo "check: bullseye/trixie images ready (in the background, while the tests ran; $(grep '^took ' "$bases_log")): $(grep '^sf-' "$bases_log" | tr '\n' ' ')"
else
	echo "check: making the bullseye/trixie images in the background FAILED (test_bases made them):"
	tail -n 30 "$bases_log"
fi
[ "$fuzz_rc" = 0 ] && [ "$unit_rc" = 0 ]
