#!/bin/bash
# smoke: one relocated Slurm tree, one prefix. Run by `slurm-factory smoke`
# inside a fresh runtime container (lxd backend) or under a private mount
# and pid namespace (host backend). Loads the module with Lmod in a clean
# environment, then runs a real one-node cluster on 127.0.0.1 only from the
# tree: munged with its own key and socket, slurmctld and slurmd in the
# foreground (each in its own session and process group), a job with srun
# and one with sbatch, then stops everything and checks nothing is left.
#
# Input (environment):
#   SF_PREFIX      the tree's root at this prefix
#   SF_MODULEPATH  directory holding slurm/<version>.lua
#   SF_MODULE      module to load (slurm/<version>)
#   SF_VERSION     the version every --version must report
#   SF_WORK        empty scratch directory for this prefix (config, state, logs)
#   SF_HIDE        optional: a directory to hide under an empty tmpfs (the
#                  build prefix, host backend only)
#   SF_STEPS       optional: "module" runs the module step only
#   SF_SYSTEM_LIBS libraries (fnmatch patterns) the system provides: verify's
#                  allowlist
#   SF_HOST_LIBS   libraries the manifest declares host-provided (the node's
#                  PMIx, GPU driver libraries), space-separated
#   SF_GPU_JOB     optional: 1 on a node with an NVIDIA GPU and its driver:
#                  AutoDetect=nvml and a job with --gres=gpu:1 (nvidia-smi -L)
# Output: each step between "@@sf-step NAME" and "@@sf-end NAME RC MS";
# stdout and stderr of the step in between. Exit status: 0 when every step
# passed.
# the step functions are called through step(): not unreachable
# shellcheck disable=SC2317
set -u
P=$SF_PREFIX
W=$SF_WORK
V=$SF_VERSION
LMOD_INIT=${SF_LMOD_INIT:-/usr/share/lmod/lmod/init/bash}
# every Slurm command below gets it: without it clients ask DNS
export SLURM_CONF="$W/slurm.conf"
failed=0
pids=""

now_ms() { echo $(($(date +%s%N) / 1000000)); }

step() {
	local name=$1 t0 rc
	shift
	echo "@@sf-step $name"
	t0=$(now_ms)
	"$@" 2>&1
	rc=$?
	echo "@@sf-end $name $rc $(($(now_ms) - t0))"
	[ "$rc" = 0 ] || failed=1
	return "$rc"
}

# Starts a daemon in its own session (own process group), remembers its PID.
start_bg() {
	local name=$1
	shift
	setsid "$@" >"$W/log/$name.out" 2>&1 </dev/null &
	echo $! >"$W/run/sf-$name.pid"
	pids="$pids $!"
	echo "$name started, pid $!"
}

pid_of() { cat "$W/run/sf-$1.pid" 2>/dev/null; }

stop_all() {
	local p i
	for p in $pids; do
		kill -TERM "$p" 2>/dev/null
	done
	for i in $(seq 1 100); do
		alive=""
		for p in $pids; do
			[ -d "/proc/$p" ] && ! grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null &&
				alive="$alive $p"
		done
		[ -z "$alive" ] && break
		sleep 0.1
	done
	for p in $alive; do
		echo "pid $p ignored SIGTERM for 10 s: SIGKILL"
		kill -KILL "$p" 2>/dev/null
	done
	for p in $pids; do
		wait "$p" 2>/dev/null
	done
	pids=""
}
trap stop_all EXIT

free_port() {
	local i p
	for i in $(seq 1 50); do
		p=$((20000 + RANDOM % 40000))
		if [ -z "$(ss -Hltn "sport = :$p" 2>/dev/null)" ]; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

s_prepare() {
	mkdir -p "$W/state" "$W/spool" "$W/log" "$W/run" "$W/munge" || return 1
	chmod 700 "$W/munge"
	if [ -n "${SF_HIDE:-}" ] && [ -d "$SF_HIDE" ]; then
		mount -t tmpfs -o ro,size=4k sf-hidden "$SF_HIDE" || return 1
		echo "hid $SF_HIDE under an empty tmpfs"
	fi
	[ ! -e "${SF_HIDE:-/opt/slurm/software}/bin/srun" ] || {
		echo "the build prefix is visible: a relocated tree could use it"
		return 1
	}
	# slurmctld binds to the address of this host's name (NoCtldInAddrAny):
	# a fresh container's name resolves nowhere, so give it 127.0.0.1
	if ! getent hosts "$(hostname)" >/dev/null 2>&1; then
		{ cat /etc/hosts 2>/dev/null || echo "127.0.0.1 localhost"
		  echo "127.0.0.1 $(hostname)"; } >"$W/hosts"
		if [ -e /etc/hosts ]; then
			mount --bind "$W/hosts" /etc/hosts || return 1
		else
			cp "$W/hosts" /etc/hosts || return 1  # a container without one
		fi
		echo "$(hostname) resolves to 127.0.0.1 (private /etc/hosts)"
	fi
	# getaddrinfo(AI_ADDRCONFIG), as Slurm calls it, returns no IPv4 address
	# at all when no interface but lo has one: a NIC-less container gets a
	# TEST-NET-1 address on lo (never routed, gone with the container)
	if [ -z "${SF_HIDE:-}" ] && ! ip -4 -o addr show | grep -qv ' 127\.'; then
		ip link set lo up && ip addr add 192.0.2.1/32 dev lo || return 1
		echo "lo up, 192.0.2.1/32 added (no other IPv4 address)"
	fi
	local cport dport
	if ! cport=$(free_port) || ! dport=$(free_port); then
		echo "no free port"
		return 1
	fi
	cat >"$SLURM_CONF" <<EOF
ClusterName=sfsmoke
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$cport
SlurmdPort=$dport
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$W/munge/munge.socket
PluginDir=$P/lib/slurm
StateSaveLocation=$W/state
SlurmdSpoolDir=$W/spool
SlurmctldPidFile=$W/run/slurmctld.pid
SlurmdPidFile=$W/run/slurmd.pid
SlurmctldLogFile=$W/log/slurmctld.log
SlurmdLogFile=$W/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
MailProg=/bin/true
CommunicationParameters=NoInAddrAny,NoCtldInAddrAny
ReturnToService=2
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN$(node_gres)
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
	gpu_conf || return 1
	# slurmd starts a cgroup plugin even with proctrack/linuxproc; where no
	# cgroup file system is mounted (a minimal container), autodetect fails.
	# Turn it off where the tree knows CgroupPlugin=disabled (its own
	# cgroup.conf(5) says so; 24.11 does); older Slurm (22.05) has no
	# "disabled", but its cgroup/v1 plugin touches no file system until a
	# cgroup plugin (proctrack/task/jobacct_gather cgroup) asks, and none
	# does here.
	if [ -z "$(ls -A /sys/fs/cgroup 2>/dev/null)" ]; then
		local cg=disabled man="$P/share/man/man5/cgroup.conf.5"
		if [ -f "$P/lib/slurm/cgroup_v1.so" ] &&
			{ [ ! -f "$man" ] || ! grep -q 'cgroup/v2|autodetect|disabled' "$man"; }; then
			cg=cgroup/v1
		fi
		echo "CgroupPlugin=$cg" >"$W/cgroup.conf"
		echo "no cgroup file system: CgroupPlugin=$cg"
	fi
	echo "slurm.conf: ports $cport/$dport, PluginDir=$P/lib/slurm"
	# the system the package runs on (the cross-distribution smoke's runtime)
	local os=unknown
	# shellcheck disable=SC1091  # the container's own file
	[ -r /etc/os-release ] && os=$(. /etc/os-release && echo "${PRETTY_NAME:-$ID}")
	echo "system: $os, glibc $(getconf GNU_LIBC_VERSION 2>/dev/null | cut -d' ' -f2)"
}

# --- GPU plugins --------------------------------------------------------------
# A tree with gpu_nvml.so or gpu_rsmi.so runs with GresTypes=gpu and a
# gres.conf that autodetects with them: on a node without the driver (CI)
# slurmd must still start and run jobs (Slurm falls back when it cannot
# dlopen() the driver's library). With SF_GPU_JOB=1 (a node with an NVIDIA
# GPU and driver) the node gets one GPU and a job asks for it.
has_gpu_plugins() { [ -f "$P/lib/slurm/gpu_nvml.so" ] || [ -f "$P/lib/slurm/gpu_rsmi.so" ]; }
node_gres() { if [ "${SF_GPU_JOB:-}" = 1 ]; then echo " Gres=gpu:1"; fi; }
gpu_conf() {
	has_gpu_plugins || return 0
	echo "GresTypes=gpu" >>"$SLURM_CONF"
	if [ -f "$P/lib/slurm/gpu_nvml.so" ]; then
		echo "AutoDetect=nvml" >"$W/gres.conf"
	else
		echo "AutoDetect=rsmi" >"$W/gres.conf"
	fi
	echo "GPU plugins: GresTypes=gpu, gres.conf $(cat "$W/gres.conf")"
}

s_gpu() {
	local p out rc=0
	for p in gpu_nvml gpu_rsmi; do
		if [ -f "$P/lib/slurm/$p.so" ]; then echo "$p.so present"; fi
	done
	grep -i 'nvml\|rsmi\|gpu' "$W/log/slurmd.log" | tail -n 5
	if [ "${SF_GPU_JOB:-}" = 1 ]; then
		out=$(timeout 60 "$P/bin/srun" -N1 --gres=gpu:1 nvidia-smi -L) || rc=1
		echo "$out"
		echo "$out" | grep -q '^GPU 0' || rc=1
	else
		echo "slurmd runs with GresTypes=gpu and $(cat "$W/gres.conf") (no GPU job: SF_GPU_JOB unset)"
	fi
	return "$rc"
}

# --- libraries ----------------------------------------------------------------
# The real loader of this machine, on every ELF of the tree: each library it
# loads is in the tree, on the system allowlist or declared host-provided.
# The runtime image has OpenMPI (hwloc, PMIx, ...): without this step a
# library the package lacks could be found there.
lib_allowed() {
	local p
	set -f
	for p in ${SF_SYSTEM_LIBS:-libc.so.* libm.so.* ld-linux*.so.*} ${SF_HOST_LIBS:-}; do
		# shellcheck disable=SC2254
		case "$1" in $p) set +f; return 0 ;; esac
	done
	set +f
	return 1
}

s_libraries() {
	local f n=0 bad=0 name arrow path magic rtld=
	for f in /lib64/ld-linux-x86-64.so.2 /lib/ld-linux-aarch64.so.1; do
		if [ -x "$f" ]; then rtld=$f; break; fi
	done
	[ -n "$rtld" ] || { echo "no ELF loader found to list libraries with"; return 1; }
	while IFS= read -r -d '' f; do
		magic=
		IFS= read -r -n 4 magic <"$f" 2>/dev/null
		[ "$magic" = $'\x7fELF' ] || continue
		n=$((n + 1))
		while read -r name arrow path _; do
			[ "$arrow" = "=>" ] || continue
			case "$path" in "$P"/*) continue ;; esac
			lib_allowed "$name" && continue
			echo "${f#"$P"/}: $name => $path (not in the tree, not the system's, not declared host-provided)"
			bad=$((bad + 1))
		done < <("$rtld" --list "$f" 2>/dev/null)
	done < <(find "$P" -type f -print0)
	echo "$n ELF files: $bad libraries from outside the tree that are not the system's or declared (the loader: $rtld --list)"
	[ "$bad" = 0 ]
}

# --- MPI through PMIx ---------------------------------------------------------
# srun --mpi=list names pmix; an OpenMPI hello-world (compiled once per smoke,
# beside the prefixes' work directories) runs on 2 ranks with --mpi=pmix.
s_mpi() {
	local hello src out rc
	hello=$(dirname "$W")/mpi-hello
	src=$(dirname "$W")/mpi-hello.c
	out=$(timeout 30 "$P/bin/srun" --mpi=list 2>&1) || { echo "$out"; return 1; }
	echo "$out" | tr '\n' ' '
	echo
	echo "$out" | grep -q pmix || { echo "srun --mpi=list does not name pmix"; return 1; }
	if ! command -v mpicc >/dev/null 2>&1; then
		echo "mpicc not found on this machine: the MPI step needs OpenMPI (Debian: openmpi-bin libopenmpi-dev; the runtime image has them)"
		return 1
	fi
	if [ ! -x "$hello" ]; then
		cat >"$src" <<'C'
#include <mpi.h>
#include <stdio.h>
int main(int argc, char **argv)
{
	int rank, size;
	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	printf("rank %d of %d\n", rank, size);
	MPI_Finalize();
	return 0;
}
C
		mpicc -o "$hello" "$src" || { echo "mpicc failed"; return 1; }
		echo "compiled $hello with $(command -v mpicc)"
	fi
	out=$(timeout 90 "$P/bin/srun" --mpi=pmix -N1 -n 2 -O "$hello" 2>&1)
	rc=$?
	echo "$out"
	if [ "$rc" != 0 ]; then
		echo "srun --mpi=pmix exited $rc"
		tail -n 20 "$W/log/slurmd.log"
		return 1
	fi
	if ! echo "$out" | grep -qx 'rank 0 of 2' || ! echo "$out" | grep -qx 'rank 1 of 2'; then
		echo "not both ranks of 2 answered"
		return 1
	fi
	echo "2 ranks answered through srun --mpi=pmix"
}

# The module in a clean environment: env -i plus what Lmod and the check need.
s_module() {
	# the inner script expands its variables itself
	# shellcheck disable=SC2016
	env -i HOME="$W" PATH=/usr/bin:/bin SLURM_CONF="$SLURM_CONF" \
		SLURM_INSTALL_PREFIX="$P" MODULEPATH="$SF_MODULEPATH" SF_MODULE="$SF_MODULE" \
		SF_P="$P" SF_V="$V" LMOD_INIT="$LMOD_INIT" /bin/bash -c '
		. "$LMOD_INIT" || exit 1
		module load "$SF_MODULE" || exit 1
		rc=0
		for c in srun squeue sinfo sbatch scontrol; do
			w=$(command -v "$c") || { echo "$c: not found in PATH=$PATH"; rc=1; continue; }
			case "$w" in
			"$SF_P"/*) ;;
			*) echo "$c: $w is not in the prefix $SF_P (PATH=$PATH)"; rc=1; continue ;;
			esac
			out=$("$c" --version 2>&1)
			if [ "$out" != "slurm $SF_V" ]; then
				echo "$c --version: \"$out\", expected \"slurm $SF_V\""
				rc=1
			else
				echo "$w: $out"
			fi
		done
		[ -z "${LD_LIBRARY_PATH:-}" ] || { echo "the module set LD_LIBRARY_PATH=$LD_LIBRARY_PATH"; rc=1; }
		exit $rc'
}

s_munge() {
	local k="$W/munge/munge.key" i
	mungekey --create --keyfile="$k" || return 1
	start_bg munged munged --foreground --force --key-file="$k" \
		--socket="$W/munge/munge.socket" --pid-file="$W/munge/munged.pid" \
		--log-file="$W/log/munged.log" --seed-file="$W/munge/munged.seed"
	for i in $(seq 1 50); do
		[ -S "$W/munge/munge.socket" ] && break
		sleep 0.1
	done
	munge -n -S "$W/munge/munge.socket" | unmunge -S "$W/munge/munge.socket" | head -n 3
	[ "${PIPESTATUS[0]}${PIPESTATUS[1]}" = 00 ] || { cat "$W/log/munged.out"; return 1; }
	# the daemons authenticate through the package's auth_munge.so and the
	# libmunge it loads (grafted from the build image, or the node's): say
	# which talks to this node's munged
	local lib=
	if [ -f "$P/lib/slurm/auth_munge.so" ]; then
		lib=$(ldd "$P/lib/slurm/auth_munge.so" 2>/dev/null | awk '$1 ~ /^libmunge/ { print $3 }')
	fi
	case "$lib" in
	"$P"/*) lib=$(realpath -s -- "$lib"); lib="the package's ${lib#"$P"/}" ;;
	"") lib="no libmunge found for auth_munge.so" ;;
	*) lib="the node's $lib" ;;
	esac
	echo "this node's munged ($(munged --version 2>&1 | head -n 1)) serves $lib"
}

s_daemons() {
	start_bg slurmctld "$P/sbin/slurmctld" -D
	start_bg slurmd "$P/sbin/slurmd" -D -N localhost -d "$P/sbin/slurmstepd"
	sleep 0.2
	for d in slurmctld slurmd; do
		[ -d "/proc/$(pid_of "$d")" ] || { echo "$d exited:"; tail -n 20 "$W/log/$d.out" "$W/log/$d.log"; return 1; }
	done
}

s_idle() {
	local i state=""
	for i in $(seq 1 150); do
		state=$("$P/bin/sinfo" -h -n localhost -o %T 2>/dev/null)
		[ "$state" = idle ] && { echo "node idle after $((i / 5)).$((i % 5 * 2)) s"; return 0; }
		sleep 0.2
	done
	echo "node not idle after 30 s (state '$state')"
	tail -n 20 "$W/log/slurmctld.log" "$W/log/slurmd.log"
	return 1
}

s_srun() {
	local out
	out=$(timeout 60 "$P/bin/srun" -N1 hostname) || { echo "$out"; return 1; }
	echo "$out"
	[ "$out" = "$(hostname)" ]
}

s_squeue() { timeout 30 "$P/bin/squeue"; }

s_sbatch() {
	timeout 90 "$P/bin/sbatch" --wait -o "$W/job.out" --wrap 'echo ok' || return 1
	echo "job output: $(cat "$W/job.out" 2>/dev/null)"
	[ "$(cat "$W/job.out" 2>/dev/null)" = ok ]
}

s_scontrol() {
	local out
	out=$(timeout 30 "$P/bin/scontrol" show node localhost) || { echo "$out"; return 1; }
	echo "$out"
	echo "$out" | grep -q 'State=IDLE' || return 1
	echo "node localhost: $(echo "$out" | grep -o 'State=[A-Z+_]*')"
}

# Every listening socket of the daemons is on 127.0.0.1.
s_sockets() {
	local d p lines rc=0
	for d in slurmctld slurmd; do
		p=$(pid_of "$d")
		lines=$(ss -Hltnp | grep "pid=$p,")
		[ -n "$lines" ] || { echo "$d (pid $p) listens nowhere"; rc=1; continue; }
		echo "$lines"
		if echo "$lines" | awk '{ print $4 }' | grep -qv '^127\.0\.0\.1:'; then
			echo "$d listens beyond 127.0.0.1"
			rc=1
		fi
	done
	return "$rc"
}

# Stops the daemons; nothing of the tree may be left running.
s_stop() {
	local p exe left=""
	stop_all
	for p in /proc/[0-9]*; do
		exe=$(readlink "$p/exe" 2>/dev/null) || continue
		case "$exe" in
		"$P"/*) left="$left ${p#/proc/}:$exe" ;;
		esac
		case "$exe" in
		*/munged) grep -q "$W" "$p/cmdline" 2>/dev/null && left="$left ${p#/proc/}:$exe" ;;
		esac
	done
	[ -z "$left" ] || { echo "still running:$left"; return 1; }
	echo "daemons stopped, nothing of the tree running"
}

step prepare s_prepare || exit 1
step module s_module
step libraries s_libraries
[ "${SF_STEPS:-}" = module ] && exit "$failed"
if step munge s_munge && step daemons s_daemons && step node-idle s_idle; then
	step srun s_srun
	step squeue s_squeue
	step sbatch s_sbatch
	step scontrol s_scontrol
	step sockets s_sockets
	if [ -f "$P/lib/slurm/mpi_pmix.so" ]; then
		step mpi s_mpi
	fi
	if has_gpu_plugins; then
		step gpu s_gpu
	fi
fi
step stop s_stop
exit "$failed"
