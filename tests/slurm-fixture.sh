#!/bin/sh
# Builds a relocatable Slurm install tree from the real upstream source
# (Debian's slurm-wlm orig tarball, fetched by scripts/slurm-sources.sh) and
# packs it as a `software/` tarball: the development fixture of the smoke
# tests until the `build` stage's output is available. Built once per
# machine and cached:
#
#   tests/slurm-fixture.sh [VERSION]      (default 24.11.5)
#
# Prints the tarball path on the last line of stdout. Cache:
# ${SF_FIXTURES:-$HOME/.slurm-factory/test-fixtures}/slurm-VERSION-software.tar.gz
#
# The tree is made relocatable after `make install` by rewriting every ELF
# file's RPATH with patchelf (executables: $ORIGIN/../lib/slurm:$ORIGIN/../lib,
# libraries in lib/: $ORIGIN:$ORIGIN/slurm, plugins: $ORIGIN:$ORIGIN/..): the
# build prefix that Slurm's m4 and libtool add to every executable is gone.
# Debug info is stripped (Slurm adds -ggdb3 whatever CFLAGS say): 24 MB
# instead of 77. libmunge stays a system library (the runtime image has munge).
set -eu

ver=${1:-24.11.5}
cache=${SF_FIXTURES:-$HOME/.slurm-factory/test-fixtures}
out=$cache/slurm-$ver-software.tar.gz
orig=${SF_SLURM_ORIG:-$HOME/.slurm-factory/upstream/debian/src/slurm-wlm_$ver.orig.tar.gz}
prefix=/opt/slurm/software

say() { echo "slurm-fixture: $*" >&2; }

if [ -s "$out" ]; then
	echo "$out"
	exit 0
fi
[ -f "$orig" ] || { say "missing $orig (run scripts/slurm-sources.sh)"; exit 2; }
for t in cc make patchelf file; do
	command -v $t >/dev/null || { say "missing tool: $t"; exit 2; }
done
[ -f /usr/include/munge.h ] || { say "missing libmunge-dev"; exit 2; }

mkdir -p "$cache"
work=$(mktemp -d "$cache/build-$ver.XXXXXX")
trap 'rm -rf "$work"' EXIT
say "building Slurm $ver in $work (a few minutes, once per machine)"
tar -xzf "$orig" -C "$work"
src=$(find "$work" -mindepth 1 -maxdepth 1 -type d | head -n 1)
cd "$src"
./configure --prefix=$prefix --sysconfdir=$prefix/etc --disable-dependency-tracking --disable-static \
	--without-hdf5 --without-rrdtool --without-ucx --without-pmix \
	CFLAGS="-O1 -g0" >"$work/configure.log" 2>&1 || { tail -30 "$work/configure.log" >&2; exit 1; }
make -j"$(nproc)" >"$work/make.log" 2>&1 || { tail -30 "$work/make.log" >&2; exit 1; }
make install DESTDIR="$work/dest" >"$work/install.log" 2>&1 || { tail -30 "$work/install.log" >&2; exit 1; }

root=$work/dest$prefix
find "$root" \( -name '*.la' -o -name '*.a' \) -delete
mkdir -p "$root/etc"
find "$root" -type f | while read -r f; do
	file -b "$f" | grep -q '^ELF.*dynamic' || continue
	# $ORIGIN is for the loader, not the shell
	# shellcheck disable=SC2016
	case "$f" in
	"$root"/bin/* | "$root"/sbin/*) rp='$ORIGIN/../lib/slurm:$ORIGIN/../lib' ;;
	"$root"/lib/slurm/*) rp='$ORIGIN:$ORIGIN/..' ;;
	"$root"/lib/*) rp='$ORIGIN:$ORIGIN/slurm' ;;
	*) continue ;;
	esac
	strip --strip-debug "$f"
	patchelf --force-rpath --set-rpath "$rp" "$f"
done
tar -C "$work/dest/opt/slurm" -czf "$out.tmp" software
mv "$out.tmp" "$out"
say "done: $out"
echo "$out"
