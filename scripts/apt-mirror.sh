# shellcheck shell=sh
# Sourced by the scripts that need Debian suites other than this machine's
# own (slurm-sources.sh, spdx-tools.sh).
#
# The Debian mirror this machine's apt already uses (never a name of ours):
# the first URI of a deb822 .sources stanza or a one-line "deb" entry whose
# suite is a plain Debian release (not -security, not -updates).
find_mirror() {
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk '
			/^[ \t]*$/ { if (uri != "" && plain) { print uri; exit } uri = ""; plain = 0; next }
			/^URIs:/ { uri = $2 }
			/^Suites:/ { for (i = 2; i <= NF; i++) if ($i !~ /-/) plain = 1 }
			END { if (uri != "" && plain) print uri }
		' "$f" | head -n 1
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		awk '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
			if ($(i + 1) !~ /-/) { print $i; exit } }' "$f"
	done
}
