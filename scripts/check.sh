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
stop_services() {
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

# a short fuzz smoke of every harness in fuzz/ (ASan+UBSan); a crash fails
# the run. FUZZ_SECONDS per harness: 6 harnesses x 25 s stay under 3 minutes.
fuzz_rc=0
make --no-print-directory fuzz-smoke FUZZ_SECONDS="${FUZZ_SECONDS:-25}" || {
	fuzz_rc=1
	echo "check: the fuzz smoke FAILED (see the fuzz lines above)"
}

make --no-print-directory check-unit
unit_rc=$?
[ "$fuzz_rc" = 0 ] && [ "$unit_rc" = 0 ]
