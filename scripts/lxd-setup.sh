#!/bin/sh
# Sets up LXD for slurm-factory on Debian 12, as root: packages from the
# Debian mirror, the daemon itself kept off the internet. Idempotent: run it
# as often as you like.
#   scripts/lxd-setup.sh          install, start the daemon, preseed
#   scripts/lxd-setup.sh start    the same
#   scripts/lxd-setup.sh stop     stop the daemon this script started
#   scripts/lxd-setup.sh status   exit 0 when the daemon answers
#
# The daemon is started by hand (no systemd here) with http_proxy/https_proxy
# pointing at a dead loopback port: LXD fetches a file from a public image
# server at every start, before any preseed applies, and only the daemon's
# environment stops that. The preseed repeats the same proxy in
# core.proxy_http/https, creates a btrfs pool on a loop file (images become
# subvolumes, containers are snapshots: ~0.4 s launches instead of ~18 s on a
# dir pool), no networks, and a default profile with a root disk and no NIC.
#
# Environment: SF_LXD_POOL_SIZE (default 30GiB), SF_LXD_LOG (daemon log,
# default /var/log/slurm-factory-lxd.log), LXD_DIR (default /var/lib/lxd).
set -eu

lxd_dir=${LXD_DIR:-/var/lib/lxd}
pidfile=/run/slurm-factory-lxd.pid
log=${SF_LXD_LOG:-/var/log/slurm-factory-lxd.log}
pool_size=${SF_LXD_POOL_SIZE:-30GiB}
dead_proxy=http://127.0.0.1:9

say() { echo "lxd-setup: $*" >&2; }

need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		say "must run as root"
		exit 2
	fi
}

lxd_bin() {
	for b in /usr/bin/lxd /usr/sbin/lxd /usr/lib/lxd/lxd; do
		[ -x "$b" ] && { echo "$b"; return 0; }
	done
	return 1
}

install_packages() {
	missing=""
	for p in lxd lxd-client btrfs-progs debootstrap busybox-static openssl; do
		if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
			missing="$missing $p"
		fi
	done
	if [ -n "$missing" ]; then
		say "installing$missing"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -q >/dev/null
		# shellcheck disable=SC2086
		apt-get install -y -q --no-install-recommends $missing >/dev/null
	fi
}

answers() {
	[ -S "$lxd_dir/unix.socket" ] && lxc query /1.0 >/dev/null 2>&1
}

start_daemon() {
	if answers; then
		say "daemon already answering on $lxd_dir/unix.socket"
		return 0
	fi
	bin=$(lxd_bin) || { say "lxd binary not found"; exit 2; }
	getent group lxd >/dev/null || groupadd --system lxd
	mkdir -p "$(dirname "$log")"
	say "starting $bin (log $log)"
	env http_proxy=$dead_proxy https_proxy=$dead_proxy \
	    HTTP_PROXY=$dead_proxy HTTPS_PROXY=$dead_proxy no_proxy= NO_PROXY= \
	    LXD_DIR="$lxd_dir" \
	    setsid "$bin" --group lxd --logfile="$log" </dev/null >>"$log" 2>&1 &
	echo $! >"$pidfile"
	if ! "$bin" waitready --timeout=30; then
		say "daemon did not become ready; last log lines:"
		tail -n 20 "$log" >&2 || true
		exit 2
	fi
}

preseed() {
	if lxc storage show default >/dev/null 2>&1; then
		pool_ok=1
	else
		pool_ok=0
	fi
	if [ "$pool_ok" -eq 1 ]; then
		# Already initialised: only make sure the settings that keep the
		# daemon offline are still there and the profile has no NIC.
		lxc config set core.proxy_http "$dead_proxy"
		lxc config set core.proxy_https "$dead_proxy"
		for dev in $(lxc profile device list default 2>/dev/null); do
			if [ "$(lxc profile device get default "$dev" type 2>/dev/null)" = nic ]; then
				lxc profile device remove default "$dev"
			fi
		done
		return 0
	fi
	say "preseeding: btrfs pool 'default' ($pool_size loop file), no networks, NIC-less profile"
	lxd init --preseed <<EOF
config:
  core.proxy_http: $dead_proxy
  core.proxy_https: $dead_proxy
  images.auto_update_interval: "0"
networks: []
storage_pools:
- name: default
  driver: btrfs
  config:
    size: $pool_size
profiles:
- name: default
  description: slurm-factory default profile (no NIC)
  devices:
    root:
      path: /
      pool: default
      type: disk
EOF
}

stop_daemon() {
	if [ ! -f "$pidfile" ]; then
		say "no daemon started by this script ($pidfile missing)"
		return 0
	fi
	pid=$(cat "$pidfile")
	if ! kill -0 "$pid" 2>/dev/null; then
		rm -f "$pidfile"
		say "daemon $pid already gone"
		return 0
	fi
	bin=$(lxd_bin) || bin=lxd
	say "stopping daemon $pid"
	"$bin" shutdown --timeout=60 >/dev/null 2>&1 || kill "$pid" 2>/dev/null || true
	i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 60 ]; do
		sleep 0.5
		i=$((i + 1))
	done
	if kill -0 "$pid" 2>/dev/null; then
		say "daemon $pid still running after 30 s; sending SIGKILL"
		kill -9 "$pid" 2>/dev/null || true
	fi
	rm -f "$pidfile"
}

case "${1:-start}" in
start)
	need_root
	install_packages
	start_daemon
	preseed
	say "ok"
	;;
stop)
	need_root
	stop_daemon
	;;
status)
	answers
	;;
*)
	say "usage: $0 [start|stop|status]"
	exit 129
	;;
esac
