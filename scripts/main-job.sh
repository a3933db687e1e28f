#!/bin/bash
# The main job (`make run`), until the full pipeline lands:
#   1. the real Slurm sources (Debian's slurm-wlm orig tarballs) as a local
#      git repository tagged with SchedMD's tag names;
#   2. resolve the default version spec against it, and fetch that commit;
#   3. run the relocatability gate on Debian's own Slurm binaries, repacked
#      as a tarball: the gate must report them NOT relocatable (absolute
#      RUNPATH into /usr/lib/x86_64-linux-gnu/slurm-wlm), naming the reason.
# Reports go to $OUT (default ./out): JSON and JUnit per step.
set -euo pipefail
BIN=${1:?usage: main-job.sh path/to/slurm-factory}
SPEC=${SLURM_VERSION:-24.11}
OUT=${OUT:-$PWD/out}
mkdir -p "$OUT"
cd "$(dirname "$0")/.."

repo=$(scripts/slurm-sources.sh | tail -n 1)
echo "== resolve $SPEC from $repo"
"$BIN" resolve "$SPEC" --repo "$repo" --json "$OUT/resolve.json" --junit "$OUT/resolve.xml"
echo "== fetch $SPEC"
"$BIN" fetch "$SPEC" --repo "$repo" --json "$OUT/fetch.json" --junit "$OUT/fetch.xml"

echo "== verify Debian's own Slurm binaries (expected: not relocatable)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download -q slurm-client libslurm38 slurm-wlm-basic-plugins >/dev/null 2>&1)
mkdir "$work/tree"
for d in "$work"/*.deb; do dpkg-deb -x "$d" "$work/tree"; done
tar -C "$work/tree" -czf "$OUT/debian-slurm.tar.gz" .
rc=0
"$BIN" verify "$OUT/debian-slurm.tar.gz" --build-prefix /usr --json "$OUT/verify.json" \
	--junit "$OUT/verify.xml" || rc=$?
case $rc in
1) echo "main-job: as expected, the gate rejected Debian's Slurm tree (reports in $OUT)" ;;
0) echo "main-job: the gate passed a tree it must reject"; exit 1 ;;
*) echo "main-job: verify failed with exit $rc"; exit "$rc" ;;
esac
