#!/bin/sh
# resolve vs `git ls-remote --tags` on the same local repository carrying
# SchedMD's 492 real tag names (annotated, from ../shared/fixtures, built
# here at bench time). Prints both times per call and the ratio.
#   bench/bench-resolve.sh [BIN] [ROUNDS]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-$here/../build/slurm-factory}
rounds=${2:-20}
tags=${SF_SHARED:-$here/../../shared}/fixtures/slurm-tags.txt
[ -x "$bin" ] || { echo "bench-resolve: no binary at $bin (run make)" >&2; exit 1; }
[ -f "$tags" ] || { echo "bench-resolve: no tag list at $tags (set SF_SHARED)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
repo=$tmp/slurm.git
git init -q --bare "$repo"
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@localhost \
	GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@localhost
# one commit per tag (as upstream), each with an annotated tag, via fast-import
awk '{
	n++
	printf "commit refs/heads/main\nmark :%d\ncommitter bench <bench@localhost> %d +0000\ndata 4\nrel\n", n, 1000000000 + n
	if (n > 1) printf "from :%d\n", n - 1
	printf "\ntag %s\nfrom :%d\ntagger bench <bench@localhost> %d +0000\ndata 4\ntag\n\n", $2, n, 1000000000 + n
}' "$tags" | git --git-dir="$repo" fast-import --quiet
count=$(git --git-dir="$repo" tag | wc -l)

now() { date +%s%N; }
# warm the page cache once for both
"$bin" resolve latest --repo "$repo" --quiet >/dev/null
git ls-remote --tags "$repo" >/dev/null

t0=$(now)
i=0
while [ "$i" -lt "$rounds" ]; do
	"$bin" resolve latest --repo "$repo" --quiet >/dev/null
	i=$((i + 1))
done
t1=$(now)
i=0
while [ "$i" -lt "$rounds" ]; do
	git ls-remote --tags "$repo" >/dev/null
	i=$((i + 1))
done
t2=$(now)

ours=$(( (t1 - t0) / rounds / 1000 ))
git_us=$(( (t2 - t1) / rounds / 1000 ))
echo "resolve-bench: $count tags, $rounds rounds each, local bare repository"
echo "resolve-bench: slurm-factory resolve latest  ${ours} us per call"
echo "resolve-bench: git ls-remote --tags          ${git_us} us per call"
awk -v a="$ours" -v b="$git_us" 'BEGIN { printf "resolve-bench: ratio resolve / ls-remote = %.2f (target <= 1.00)\n", a / b }'
