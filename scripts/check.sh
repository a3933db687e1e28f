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

# the real Slurm sources as a local git repository (idempotent, offline)
scripts/slurm-sources.sh >/dev/null || { echo "check: Slurm sources unavailable"; exit 2; }

make --no-print-directory check-unit
