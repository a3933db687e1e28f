#!/bin/sh
# SPDX's own validator (tools-python's pyspdxtools), for test_sbom: Debian
# packages it as python3-spdx-tools in unstable only, and its python3-beartype
# is not in Debian 12. Both are downloaded through private sources lists for
# those suites (the mirror this machine's apt uses) and unpacked under
# tests/vendor/spdx-tools, never installed; their other dependencies are
# Debian 12's (setup.sh --test installs them).
#
#   scripts/spdx-tools.sh          prints the directory to put on PYTHONPATH
#
# Idempotent: an unpacked copy is kept.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
dest=$here/tests/vendor/spdx-tools
site=$dest/usr/lib/python3/dist-packages

say() { echo "spdx-tools: $*" >&2; }
die() { say "error: $*"; exit 1; }

if [ -d "$site/spdx_tools" ] && [ -d "$site/beartype" ]; then
	echo "$site"
	exit 0
fi

# shellcheck source=scripts/apt-mirror.sh
. "$here/scripts/apt-mirror.sh"
mirror=$(find_mirror | head -n 1)
[ -n "$mirror" ] || die "no Debian mirror found in /etc/apt/sources.list(.d)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

# fetch SUITE PACKAGE: PACKAGE's .deb from SUITE into $work/debs
fetch() {
	d=$work/$1
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial" "$work/debs"
	echo "deb [signed-by=$keyring] $mirror $1 main" >"$d/sources.list"
	set -- "$1" "$2" -o Dir::Etc::sourcelist="$d/sources.list" -o Dir::Etc::sourceparts=- \
		-o Dir::State::Lists="$d/lists" -o Dir::Cache="$d/cache" -o APT::Sandbox::User=root
	suite=$1 pkg=$2
	shift 2
	apt-get "$@" -q update >&2 || die "apt-get update ($suite) failed"
	(cd "$work/debs" && apt-get "$@" -q download "$pkg" >&2) || die "$pkg is not in $suite"
}

fetch sid python3-spdx-tools
fetch trixie python3-beartype
rm -rf "$dest.tmp"
mkdir -p "$dest.tmp"
for deb in "$work"/debs/*.deb; do
	say "unpacking $(basename "$deb")"
	dpkg-deb -x "$deb" "$dest.tmp"
done
rm -rf "$dest"
mv "$dest.tmp" "$dest"
echo "$site"
