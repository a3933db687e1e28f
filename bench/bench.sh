#!/bin/bash
# make bench: measure slurm-factory against the tools users would otherwise
# use, on the same input in the same run. Prints times (best of $RUNS, warm
# cache) and ratios; asserts nothing.
#   bench/bench.sh BIN
set -euo pipefail
BIN=${1:?usage: bench.sh path/to/slurm-factory}
RUNS=${RUNS:-5}
LIBDIR=${LIBDIR:-/usr/lib/x86_64-linux-gnu}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# best wall-clock seconds of $RUNS runs of "$@" (dirty pages flushed first,
# so one run's write-back does not land in the next one's time)
best() {
	local b="" t0 t1 d
	for _ in $(seq "$RUNS"); do
		sync
		t0=$(date +%s.%N)
		"$@" >/dev/null 2>&1 || true
		t1=$(date +%s.%N)
		d=$(echo "$t1 - $t0" | bc -l)
		if [ -z "$b" ] || [ "$(echo "$d < $b" | bc -l)" = 1 ]; then b=$d; fi
	done
	printf '%.4f' "$b"
}
ratio() { printf '%.2f' "$(echo "$1 / $2" | bc -l)"; }

# the extract check's own duration from a JSON report, best of $RUNS
best_extract() {
	local tarball=$1 dir=$2 b="" d
	for _ in $(seq "$RUNS"); do
		sync
		"$BIN" verify "$tarball" --prefixes 1 --no-leak-scan --work-dir "$dir" \
			--json "$work/r.json" --quiet >/dev/null 2>&1 || true
		d=$(/usr/bin/python3 -c 'import json,sys
r=json.load(open(sys.argv[1]))
print([c["duration_s"] for c in r["stages"][0]["checks"] if c["name"].endswith(": extract")][0])' "$work/r.json")
		if [ -z "$b" ] || [ "$(echo "$d < $b" | bc -l)" = 1 ]; then b=$d; fi
	done
	printf '%.4f' "$b"
}

echo "== ELF checks on $LIBDIR ($(find "$LIBDIR" -type f | wc -l) files)"
t_sf=$(best "$BIN" verify --tree "$LIBDIR" --no-leak-scan --quiet)
t_scanelf=$(best scanelf -R -r -n "$LIBDIR")
t_readelf=$(best sh -c "find '$LIBDIR' -type f -exec readelf -d {} + ")
echo "slurm-factory verify --tree (RPATH + loader simulation): ${t_sf}s"
echo "scanelf -R -r -n:                                       ${t_scanelf}s  ratio sf/scanelf = $(ratio "$t_sf" "$t_scanelf")"
echo "readelf -d over every file:                             ${t_readelf}s  ratio sf/readelf = $(ratio "$t_sf" "$t_readelf")"

echo
echo "== extraction"
src=${BENCH_TREE:-/usr/lib/gcc}
tar -C "$(dirname "$src")" -cf "$work/tree.tar" "$(basename "$src")"
gzip -6 -c "$work/tree.tar" > "$work/tree.tar.gz"
zstd -q -3 -c "$work/tree.tar" > "$work/tree.tar.zst"
echo "input: $src, $(du -sh "$work/tree.tar" | cut -f1) tar, $(du -sh "$work/tree.tar.gz" | cut -f1) gz"
# On this kind of VM, ext4 file creation dominates (a plain `tar -x` of the
# uncompressed tar takes as long); tmpfs shows the decompression-bound figure.
dirs=("$work")
[ -d /dev/shm ] && [ -w /dev/shm ] && dirs+=(/dev/shm)
for dir in "${dirs[@]}"; do
	fs=$(stat -f -c %T "$dir")
	t_plain=$(best sh -c "rm -rf '$dir/t' && mkdir '$dir/t' && tar -C '$dir/t' -xf '$work/tree.tar'")
	echo "work dir $dir ($fs): plain tar -x of the uncompressed tar ${t_plain}s"
	for fmt in gz zst; do
		case $fmt in
		gz) floor_cmd=(gzip -dc "$work/tree.tar.gz") ;;
		zst) floor_cmd=(zstd -dc "$work/tree.tar.zst") ;;
		esac
		t_x=$(best_extract "$work/tree.tar.$fmt" "$dir")
		t_floor=$(best sh -c "${floor_cmd[*]} > /dev/null")
		t_tar=$(best sh -c "rm -rf '$dir/t' && mkdir '$dir/t' && tar -C '$dir/t' -xf '$work/tree.tar.$fmt'")
		echo "  $fmt: slurm-factory secure extract ${t_x}s | ${floor_cmd[0]} -dc ${t_floor}s (ratio $(ratio "$t_x" "$t_floor")) | tar -x ${t_tar}s (ratio $(ratio "$t_x" "$t_tar"))"
		if [ "$fmt" = gz ]; then
			# the floors of the fastest gzip decoders on the same file
			for f in "igzip -dc" "libdeflate-gunzip -dc"; do
				read -r -a cmd <<<"$f"
				if ! command -v "${cmd[0]}" >/dev/null; then
					echo "    ${cmd[0]}: not installed (scripts/setup.sh --test installs isal and libdeflate-tools)"
					continue
				fi
				t_f=$(best sh -c "$f < '$work/tree.tar.gz' > /dev/null")
				echo "    $f ${t_f}s: ratio sf/${cmd[0]} = $(ratio "$t_x" "$t_f")"
			done
			t_z=$(SF_NO_ISAL=1 best_extract "$work/tree.tar.gz" "$dir")
			echo "    slurm-factory with zlib (SF_NO_ISAL=1) ${t_z}s: ratio ISA-L/zlib = $(ratio "$t_x" "$t_z")"
		fi
	done
	rm -rf "$dir/t"
done

echo
echo "== cost of extra prefixes (same tarball, ELF-heavy)"
t1=$(best "$BIN" verify "$work/tree.tar.gz" --prefixes 1 --work-dir "$work" --quiet)
t6=$(best "$BIN" verify "$work/tree.tar.gz" --prefixes 6 --work-dir "$work" --quiet)
per=$(echo "($t6 - $t1) / 5" | bc -l)
echo "1 prefix: ${t1}s, 6 prefixes: ${t6}s; each extra prefix adds $(printf '%.4f' "$per")s = $(printf '%.1f' "$(echo "100 * $per / $t1" | bc -l)")% of the first"

if [ -x bench/bench-resolve.sh ]; then
	echo
	echo "== resolve"
	bench/bench-resolve.sh "$BIN"
fi

echo
echo "== LXD: inputs and outputs through the API against disk devices"
bench/bench-lxd.sh "$BIN"
