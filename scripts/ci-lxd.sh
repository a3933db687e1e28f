#!/bin/sh
# Sets up a local LXD for a CI job, as the job's user (root, or a user with
# passwordless sudo, as on GitHub's hosted runners):
#   - already answering: nothing to do;
#   - Ubuntu (snap, no Debian package): snap install lxd, lxd init --auto
#     (the socket is /var/snap/lxd/common/lxd/unix.socket, which the tool finds);
#   - Debian: scripts/lxd-setup.sh (a daemon kept off the internet, btrfs pool, no NIC).
# A non-root user is then added to the lxd group; the job's next step runs
# the tool with that group (see the action's run step).
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" -eq 0 ]; then
	as_root() { "$@"; }
else
	as_root() { sudo -n "$@"; }
fi
if as_root lxc query /1.0 >/dev/null 2>&1; then
	echo "ci-lxd: LXD is already running"
elif command -v snap >/dev/null 2>&1 && [ ! -x /usr/bin/lxd ] && [ ! -x /usr/sbin/lxd ]; then
	as_root snap install lxd 2>/dev/null || as_root snap refresh lxd || true
	as_root lxd waitready --timeout=120
	as_root lxd init --auto
else
	as_root "$src/scripts/lxd-setup.sh" start
fi
if [ "$(id -u)" -ne 0 ] && ! id -nG "$(id -un)" | tr ' ' '\n' | grep -qx lxd; then
	as_root usermod -a -G lxd "$(id -un)"
	echo "ci-lxd: added $(id -un) to the lxd group"
fi
