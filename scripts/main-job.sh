#!/bin/bash
# The main job (`make run`): the whole pipeline on the default Slurm version,
# published to a local directory target.
#   1. LXD (started here if it is not running, and stopped again at the end);
#   2. the real Slurm sources: Debian's slurm-wlm orig tarballs as a local git
#      repository tagged with SchedMD's tag names (no internet here);
#   3. slurm-factory run: resolve, fetch, images (the build and runtime images,
#      made with debootstrap from the Debian mirror when missing), build (LXD),
#      package, verify at 3 random prefixes, smoke (a real cluster at each),
#      publish to $OUT/published.
# Reports: $OUT/run.json and $OUT/run.xml (default OUT=./out).
set -euo pipefail
BIN=$(realpath "${1:?usage: main-job.sh path/to/slurm-factory}")
SPEC=${SLURM_VERSION:-latest}
OUT=$(realpath -m "${OUT:-$PWD/out}")
mkdir -p "$OUT"
cd "$(dirname "$0")/.."

started_lxd=0
finish() {
	if [ "$started_lxd" = 1 ]; then
		scripts/lxd-setup.sh stop || true
	fi
}
trap finish EXIT
if ! scripts/lxd-setup.sh status >/dev/null 2>&1; then
	scripts/lxd-setup.sh start
	started_lxd=1
fi

repo=$(scripts/slurm-sources.sh | tail -n 1)

echo "== slurm-factory run $SPEC"
"$BIN" run "$SPEC" --repo "$repo" --to "$OUT/published" \
	--json "$OUT/run.json" --junit "$OUT/run.xml"
echo "main-job: published to $OUT/published (reports: $OUT/run.json, $OUT/run.xml)"
ls -l "$OUT/published"
