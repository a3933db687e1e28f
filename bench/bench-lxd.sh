#!/bin/bash
# Part of make bench: what moving inputs and outputs through LXD's API
# costs against host directories as disk devices (the old, privileged way),
# side by side on the same input: a build whose recipe copies the real Slurm
# source (46 MB) into its output, so that as much comes out as goes in.
#   bench/bench-lxd.sh BIN
# Needs LXD answering and the build image; says so and stops otherwise.
set -euo pipefail
BIN=${1:?usage: bench-lxd.sh path/to/slurm-factory}
RUNS=${RUNS:-3}
orig=${SF_SLURM_ORIG:-$HOME/.slurm-factory/upstream/debian/src/slurm-wlm_24.11.5.orig.tar.gz}
if ! lxc query /1.0 >/dev/null 2>&1; then
	echo "LXD does not answer: skipped (scripts/lxd-setup.sh starts it)"
	exit 0
fi
if [ ! -s "$orig" ]; then
	echo "no Slurm source at $orig: skipped (scripts/slurm-sources.sh fetches it)"
	exit 0
fi
image=$("$BIN" image build 2>/dev/null | tail -1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/recipes"
cat >"$work/recipes/recipe.sh" <<'RECIPE'
#!/bin/sh
set -eu
mkdir -p "$SF_OUT/software"
cp -a "$SF_SRC/." "$SF_OUT/software/"
RECIPE

# best wall time of $RUNS builds with "$@", and that run's report
run_mode() {
	local b="" t0 t1 d
	for _ in $(seq "$RUNS"); do
		t0=$(date +%s.%N)
		"$BIN" build --backend lxd --image "$image" --recipe "$work/recipes/recipe.sh" \
			--source "$orig" --cache-dir "$work/cache" --no-cache --no-verify \
			--source-date-epoch 1 --json "$work/r.json" --quiet "$@" >/dev/null 2>&1
		t1=$(date +%s.%N)
		d=$(echo "$t1 - $t0" | bc -l)
		if [ -z "$b" ] || [ "$(echo "$d < $b" | bc -l)" = 1 ]; then
			b=$d
			cp "$work/r.json" "$work/best.json"
		fi
	done
	printf '%.3f' "$b"
}
props() {
	/usr/bin/python3 -c 'import json,sys
r=json.load(open(sys.argv[1]))
b=[s for s in r["stages"] if s["name"]=="build"][0]
p=b.get("properties",{})
l=[c for c in b["checks"] if c["name"]=="launch"][0]
print("launch %.2f s; in %s s (%s bytes), out %s s (%s bytes)" % (l["duration_s"],
  p.get("transfer_in_seconds","-"), p.get("transfer_in_bytes","-"),
  p.get("transfer_out_seconds","-"), p.get("transfer_out_bytes","-")))' "$work/best.json"
}
t_api=$(run_mode)
p_api=$(props)
t_disk=$(run_mode --lxd-privileged --lxd-transfer disk)
p_disk=$(props)
echo "input: $(basename "$orig") unpacked ($(du -sh "$work/cache/sources" | cut -f1) source tree), best of $RUNS"
echo "unprivileged, files API (default):  ${t_api}s  [$p_api]"
echo "privileged, disk devices (old way): ${t_disk}s  [$p_disk]"
echo "API transfer costs $(printf '%.2f' "$(echo "$t_api - $t_disk" | bc -l)")s per build; ratio api/disk = $(printf '%.2f' "$(echo "$t_api / $t_disk" | bc -l)")"
