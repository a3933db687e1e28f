#!/bin/sh
# Real Slurm source without GitHub (only the Debian mirror): Debian's source package slurm-wlm carries
# SchedMD's release tarballs unchanged (trixie: 24.11.5, bookworm: 22.05.8).
# This fetches both orig tarballs with `apt-get source --download-only`
# through a private sources list (the mirror is the one this machine's apt
# already uses), checks each tarball's sha256 against the signed Sources
# index, and builds one bare git repository with one commit per tarball,
# tagged (annotated) with the real tag names slurm-24-11-5-1 and
# slurm-22-05-8-1. `resolve` and `fetch` and the end-to-end tests use it.
#
#   scripts/slurm-sources.sh [OUTPUT.git]
#
# Default output: ${SLURM_FACTORY_CACHE_DIR:-$HOME/.slurm-factory}/upstream/slurm.git
# Idempotent: tags already present are kept; a second run changes nothing.
# Prints the repository path on the last line of stdout.
set -eu

cache=${SLURM_FACTORY_CACHE_DIR:-$HOME/.slurm-factory}
out=${1:-$cache/upstream/slurm.git}
work=$cache/upstream/debian
# suite  tag
releases="bookworm:slurm-22-05-8-1 trixie:slurm-24-11-5-1"

say() { echo "slurm-sources: $*" >&2; }
die() { say "error: $*"; exit 1; }

have_tag() {
	[ -d "$out" ] && git --git-dir="$out" rev-parse -q --verify "refs/tags/$1" >/dev/null
}

all_present() {
	for r in $releases; do
		have_tag "${r#*:}" || return 1
	done
}

# find_mirror: the Debian mirror this machine's apt already uses
# shellcheck source=scripts/apt-mirror.sh
. "$(dirname "$0")/apt-mirror.sh"

# sha256 and name of the orig tarball of slurm-wlm in the Sources index of `suite`
orig_of() {
	# lists may be stored compressed (lz4, gz): apt-helper reads them all
	for idx in "$work/lists/"*"_dists_$1_main_source_Sources"*; do
		[ -f "$idx" ] || continue
		/usr/lib/apt/apt-helper cat-file "$idx" | awk '
			/^Package: / { pkg = $2 }
			/^Checksums-Sha256:/ { in_sums = (pkg == "slurm-wlm"); next }
			/^[^ ]/ { in_sums = 0 }
			in_sums && $3 ~ /\.orig\.tar\./ { print $1, $3; exit }
		'
	done | head -n 1
}

if all_present; then
	say "already built"
	echo "$out"
	exit 0
fi

command -v apt-get >/dev/null || die "apt-get is needed"
command -v git >/dev/null || die "git is needed"
mirror=$(find_mirror | head -n 1)
[ -n "$mirror" ] || die "no Debian mirror found in /etc/apt/sources.list(.d)"
say "mirror from the local apt configuration: $mirror"

mkdir -p "$work/lists/partial" "$work/src"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
: >"$work/sources.list"
for r in $releases; do
	echo "deb-src [signed-by=$keyring] $mirror ${r%%:*} main" >>"$work/sources.list"
done
set -- -o Dir::Etc::sourcelist="$work/sources.list" -o Dir::Etc::sourceparts=- \
	-o Dir::State::Lists="$work/lists" -o APT::Sandbox::User=root
apt-get "$@" -q update >&2 || die "apt-get update failed"

git init -q --bare "$out" 2>/dev/null || true
for r in $releases; do
	suite=${r%%:*}
	tag=${r#*:}
	have_tag "$tag" && { say "$tag: already in $out"; continue; }
	line=$(orig_of "$suite")
	[ -n "$line" ] || die "$suite: slurm-wlm is not in the Sources index"
	sum=${line%% *}
	name=${line#* }
	tarball="$work/src/$name"
	if ! echo "$sum  $tarball" | sha256sum -c --status 2>/dev/null; then
		# the .dsc or the Debian diff may 404 and make apt exit non-zero:
		# the checksum below decides, not apt's exit code
		(cd "$work/src" && apt-get "$@" -q source --download-only "slurm-wlm/$suite" >&2) ||
			say "$suite: apt-get source exited non-zero; checking the tarball itself"
	fi
	echo "$sum  $tarball" | sha256sum -c --status 2>/dev/null ||
		die "$suite: $name is missing or its sha256 is not $sum"
	say "$suite: $name sha256 $sum verified against the Sources index"

	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	tar -xf "$tarball" -C "$tmp"
	top="$tmp/slurm-$tag"
	[ -d "$top" ] || die "$name does not unpack to slurm-$tag/"
	when=$(find "$top" -type f -printf '%T@\n' | sort -n | tail -n 1)
	when=${when%.*}
	version=$(echo "${tag#slurm-}" | awk -F- '{ print $1 "." $2 "." $3 }')
	export GIT_AUTHOR_NAME=SchedMD GIT_AUTHOR_EMAIL=slurm-factory@localhost \
		GIT_COMMITTER_NAME=slurm-factory GIT_COMMITTER_EMAIL=slurm-factory@localhost \
		GIT_AUTHOR_DATE="@$when +0000" GIT_COMMITTER_DATE="@$when +0000"
	GIT_INDEX_FILE="$tmp/index" git --git-dir="$out" --work-tree="$top" add -A -f .
	tree=$(GIT_INDEX_FILE="$tmp/index" git --git-dir="$out" write-tree)
	commit=$(echo "Slurm $version from $name (sha256 $sum)" |
		git --git-dir="$out" commit-tree "$tree")
	git --git-dir="$out" tag -a -m "Slurm $version" "$tag" "$commit"
	say "$tag: commit $commit"
	rm -rf "$tmp"
	trap - EXIT
	unset GIT_AUTHOR_DATE GIT_COMMITTER_DATE
done
newest=${releases##*:}
git --git-dir="$out" update-ref refs/heads/main "refs/tags/$newest^{commit}"
git --git-dir="$out" symbolic-ref HEAD refs/heads/main
all_present || die "tags missing in $out"
echo "$out"
