#!/bin/sh
# shellcheck disable=SC2016  # $ORIGIN is for the loader, never the shell
# slurm-factory build recipe: configure, make and install Slurm, then make
# the installed tree relocatable. Run by `slurm-factory build` inside a fresh
# build container (or on the host with --backend host); plain POSIX sh.
#
# Input (environment, set by the build stage):
#   SF_SRC            Slurm source tree (read-only; copied into SF_BUILD)
#   SF_BUILD          scratch build directory (created, may be removed after)
#   SF_OUT            output directory: software/ (the relocatable tree),
#                     build.log, features.txt, grafted.txt
#   SF_PREFIX         install prefix the binaries are configured for
#   SF_VERSION        the Slurm version being built (named in every error)
#   SF_JOBS           parallel make jobs
#   SF_MINIMAL        1: no optional plugins (only munge and the toolchain)
#   SF_GPU            1: the GPU plugins: NVIDIA NVML (headers from Debian
#                     non-free) and AMD ROCm SMI; the driver libraries they
#                     dlopen() stay the node's (host-provided, never grafted)
#   SF_CONFIGURE_ARGS extra configure arguments, one per line
#   SF_SYSTEM_LIBS    fnmatch patterns of libraries the base system provides
#                     (verify's allowlist); every other library is grafted
#   CCACHE_DIR        ccache directory (kept across builds)
#   SF_CONFIGURE_CACHE configured trees of earlier builds (kept across builds;
#                     optional), keyed with SF_SOURCE_ID (the commit or the
#                     source tarball's sha256)
#   SOURCE_DATE_EPOCH time stamp for reproducible output
#
# The tree: every ELF gets a DT_RPATH of $ORIGIN-relative entries only
# (DT_RPATH, not DT_RUNPATH: it also covers the libraries an object's
# dependencies load, and LD_LIBRARY_PATH cannot override it), set after
# install with patchelf, which also removes the absolute build-prefix
# entries that slurm.m4 and libtool add. Runtime libraries that are not on
# the allowlist are copied into lib/ under their DT_NEEDED name with
# RPATH $ORIGIN (like auditwheel); glibc and NSS modules never are.
# Debug info is stripped (--strip-debug): 77 MB -> 24 MB, and it drops the
# build paths; symbols stay. No static libraries (--disable-static: 3 x 77 MB of
# libslurm*.a otherwise). .la files are deleted, .pc files point at
# ${pcfiledir}, etc/ (sysconfdir) is created.
set -eu

: "${SF_SRC:?}" "${SF_BUILD:?}" "${SF_OUT:?}" "${SF_PREFIX:?}"
: "${SF_JOBS:=2}" "${SF_MINIMAL:=0}" "${SF_GPU:=0}" "${SF_CONFIGURE_ARGS:=}"
: "${SF_SYSTEM_LIBS:=libc.so.* libm.so.* ld-linux*.so.*}"

log=$SF_OUT/build.log
mkdir -p "$SF_OUT"
exec >>"$log" 2>&1
step() { echo "==> $(date -u +%H:%M:%S) $*"; }
die() { echo "recipe: Slurm ${SF_VERSION:-(version unknown)}: $*"; exit 1; }

export LC_ALL=C TZ=UTC
umask 022
tree=$SF_OUT/software
destdir=$SF_OUT/destdir

if command -v ccache >/dev/null 2>&1 && [ -n "${CCACHE_DIR:-}" ]; then
	export CCACHE_BASEDIR="$SF_BUILD" CCACHE_NOHASHDIR=1 CCACHE_COMPILERCHECK=content
	export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-5G}"
	CC="ccache gcc"
	ccache -z >/dev/null 2>&1 || true
else
	CC=gcc
fi
export CC

# --- configure ---------------------------------------------------------------
# Which optional plugins a build gets, and why the others are left out:
# "name=yes|no: why" lines in features.txt (the report's build check and the
# manifest carry them). The switches below hold for every Slurm series from
# 22.05 to 26.05; what one series needs more is under "Slurm series
# differences".
user_has() { printf '%s\n' "$SF_CONFIGURE_ARGS" | grep -q -- "^$1"; }
reasons=$SF_OUT/reasons.txt
: >"$reasons"
reason() { echo "$1: $2" >>"$reasons"; }

# PMIx: Slurm's mpi/pmix dlopen()s libpmix.so.2 at run time. Debian keeps
# PMIx under its own prefix (pmix2/), where configure does not look by
# default (and 24.11 disables PMIx unless --with-pmix is given).
pmix_dir=
for d in /usr/lib/x86_64-linux-gnu/pmix2 /usr/lib/x86_64-linux-gnu/pmix /usr; do
	if [ -f "$d/include/pmix_server.h" ]; then pmix_dir=$d; break; fi
done
# NVML: Slurm dlopen()s libnvidia-ml at run time (every series 23.02-26.05;
# the node's driver provides it): the plugin needs only nvml.h (Debian
# non-free's libnvidia-ml-dev, in the --gpu build image), and configure a
# library to link its nvmlInit check against. That is a link stub, as CUDA
# ships one (lib64/stubs): built here, in a stubs directory of the build
# tree, never installed; the driver's real library is nowhere in the image.
nvml_stub=$SF_BUILD/.sf-nvml
nvml_setup() {
	[ -f /usr/include/nvml.h ] ||
		die "--gpu: no nvml.h in the build image (Debian non-free's libnvidia-ml-dev: the --gpu build image has it)"
	mkdir -p "$nvml_stub/include" "$nvml_stub/lib/stubs"
	ln -sf /usr/include/nvml.h "$nvml_stub/include/nvml.h"
	printf 'int nvmlInit(void) { return 0; }\nint nvmlInit_v2(void) { return 0; }\n' \
		>"$nvml_stub/stub.c"
	gcc -shared -fPIC -Wl,-soname,libnvidia-ml.so.1 -o "$nvml_stub/lib/stubs/libnvidia-ml.so" \
		"$nvml_stub/stub.c" || die "--gpu: cannot build the NVML link stub"
}

# ax_cv_check_cflags___ggdb3=no: Slurm's (default) debug build adds -ggdb3,
# which keeps every #define in the preprocessed text ccache hashes, so a
# config.h that differs in one line (a --gpu build against the default one)
# missed every object (measured: 67 hits of 517). -g stays; the binaries lose
# only the macro tables in their debug info.
set -- --prefix="$SF_PREFIX" --sysconfdir="$SF_PREFIX/etc" \
	--disable-dependency-tracking --disable-static --without-oneapi \
	ax_cv_check_cflags___ggdb3=no
reason oneapi "no: Intel oneAPI (Level Zero) is not in Debian 12"
if [ "$SF_GPU" = 1 ]; then
	set -- "$@" --with-rsmi=/usr --with-nvml="$nvml_stub"
else
	set -- "$@" --without-rsmi --without-nvml
	reason rsmi "no: GPU plugins only with --gpu"
	reason nvml "no: GPU plugins only with --gpu"
fi
if [ "$SF_MINIMAL" = 1 ]; then
	for w in json jwt http-parser yaml ofed hdf5 lz4 hwloc pmix freeipmi ucx \
		rdkafka s2n bpf hpe-slingshot lua readline libcurl rrdtool; do
		set -- "$@" --without-$w
	done
	# Not every version has a switch for everything (22.05: no --without-lua,
	# no --disable-sview, and --without-mysql_config still searches PATH),
	# so also: a pkg-config that finds no package (lua, GTK for sview, and
	# every other optional library found through it; an empty search path,
	# because 23.11 and later refuse to configure without pkg-config itself)
	# and no mysql_config (the cached answer of its AC_PATH_PROGS). Unknown
	# switches are only warnings for configure. No --disable-sview: 23.11
	# and later test it with "==", which dash refuses, and then stop with
	# "cannot build sview without gtk library"; without GTK (no pkg-config
	# package) no series builds sview.
	set -- "$@" --disable-pam --disable-x11 --without-mysql_config \
		PKG_CONFIG_LIBDIR=/nonexistent PKG_CONFIG_PATH= ac_cv_path_HAVEMYSQLCONFIG=no
	for f in pmix hwloc lz4 json yaml libcurl readline jwt lua mysql pam; do
		reason "$f" "no: --minimal"
	done
elif user_has --with-pmix || user_has --without-pmix; then
	: # the user's choice
elif [ -n "$pmix_dir" ]; then
	set -- "$@" --with-pmix="$pmix_dir"
else
	reason pmix "no: no PMIx installation (include/pmix_server.h) in the build image"
fi
if [ -n "$SF_CONFIGURE_ARGS" ]; then
	# one argument per line
	old_ifs=$IFS
	IFS='
'
	# shellcheck disable=SC2086
	set -- "$@" $SF_CONFIGURE_ARGS
	IFS=$old_ifs
fi
# build paths out of __FILE__ and debug info: the same bytes wherever it is built
cflags="-O2 -g -ffile-prefix-map=$SF_SRC=/usr/src/slurm -ffile-prefix-map=$SF_BUILD=/usr/src/slurm"

rm -rf "$SF_BUILD" "$destdir" "$tree"
mkdir -p "$SF_BUILD"
[ "$SF_GPU" = 1 ] && nvml_setup

# dash runs configure and the libtool script it writes: libtool runs for
# every compile, link and install (~1,000 times a build), ~1.5x faster
# under dash than under bash (measured: warm make 48 s -> 30 s). Make's own
# recipes keep bash: Slurm's rules use bashisms (22.05's openapi rule runs
# pushd), and configure would otherwise write SHELL = /bin/dash into every
# Makefile. So make gets SHELL=/bin/bash and LIBTOOL pointing dash at
# libtool (a command-line variable: it reaches every sub-make, and
# $(top_builddir) expands in each).
if [ -x /bin/dash ]; then
	CONFIG_SHELL=/bin/dash
else
	CONFIG_SHELL=/bin/sh
fi

# --- Slurm series differences -------------------------------------------------
# Where one Slurm series needs something the others do not, it is decided
# here (and, for --minimal, in the switch list above), from what the source
# holds rather than from its version number; each decision is written to
# features.txt as "series_<what>=<why>" (the manifest's build.features).
: >"$SF_OUT/series.txt"
series() { echo "series_$1" >>"$SF_OUT/series.txt"; }
# 23.02's auxdir/slurm.m4 appends with a bashism, LIB_SLURM+=" -export-dynamic"
# (23.11 fixed it): under dash that line is a failed command, slurmctld is
# linked without --export-dynamic, and its plugins do not load
# (sched/backfill: "undefined symbol: resv_list"). Such a configure, and
# the libtool it writes, run under bash.
if grep -q 'LIB_SLURM+=' "$SF_SRC/configure" 2>/dev/null && [ -x /bin/bash ]; then
	CONFIG_SHELL=/bin/bash
	series "configure_shell=bash: this configure appends LIB_SLURM with a bashism (23.02); under dash slurmctld would export no symbols to its plugins"
fi
# 26.05's auxdir/x_ac_lz4.m4 defines the automake conditional BUILD_LZ4
# only when lz4 is enabled: with --without-lz4 (--minimal) configure stops
# with 'conditional "BUILD_LZ4" was never defined'. Its "no lz4" values go
# on the command line (where the macro runs, it sets its own).
if grep -q 'BUILD_LZ4_TRUE' "$SF_SRC/configure" 2>/dev/null &&
	{ [ "$SF_MINIMAL" = 1 ] || user_has --without-lz4; }; then
	set -- "$@" 'BUILD_LZ4_TRUE=#' 'BUILD_LZ4_FALSE='
	series "lz4_conditional=given: this configure defines BUILD_LZ4 only when lz4 is enabled (26.05), and lz4 is not"
fi
# 26.05's slurmctld serves HTTP itself (src/slurmctld/http.c) through the
# data parser, which needs the JSON serializer (json-c) at start: without it
# slurmctld stops at once ("serializer_required: could not find plugin for
# application/json"; found by smoke). There --minimal keeps json.
if [ "$SF_MINIMAL" = 1 ] && ! user_has --without-json &&
	grep -q 'data_parser_g_new' "$SF_SRC/src/slurmctld/http.c" 2>/dev/null; then
	set -- "$@" --with-json
	series "minimal_json=kept: slurmctld's own HTTP listener needs the JSON serializer (26.05)"
fi
export CONFIG_SHELL
make_shell=/bin/bash
[ -x "$make_shell" ] || make_shell=/bin/sh

# The configure cache: the configured tree (source + config.status, Makefiles,
# config.h, libtool) of earlier builds, keyed by everything configure sees:
# the source id, the build directory, compiler, shell, flags, arguments and
# every installed package with its version (the image). A hit skips copying
# the source and configure (~10-30 s); make then finds every object in
# ccache. An autoconf --cache-file is not used: Slurm's checks set flags as
# side effects that a cached answer skips (measured: json-c lost its -I).
cfg_key=
cfg_state=off
if [ -n "${SF_CONFIGURE_CACHE:-}" ] && [ -n "${SF_SOURCE_ID:-}" ]; then
	cfg_key=$({
		echo "slurm-factory-configure/1"
		echo "$SF_SOURCE_ID"
		echo "$SF_BUILD"
		echo "$CC"
		echo "$CONFIG_SHELL"
		echo "$cflags"
		printf '%s\n' "$@"
		dpkg-query -W 2>/dev/null || true
		gcc -v 2>&1 || true
	} | sha256sum | cut -c1-32)
	cfg_state=miss
	[ -f "$SF_CONFIGURE_CACHE/$cfg_key/config.status" ] && cfg_state=hit
fi
cd "$SF_BUILD"
if [ "$cfg_state" = hit ]; then
	step "configured tree from the configure cache ($cfg_key)"
	cp -a "$SF_CONFIGURE_CACHE/$cfg_key/." "$SF_BUILD/"
	touch "$SF_CONFIGURE_CACHE/$cfg_key"   # newest: kept by the pruning below
else
	# in tree, on a copy: 22.05's doc/man rules (man2html.py) do not work out of tree
	step "copy the source"
	cp -a "$SF_SRC/." "$SF_BUILD/"
	step "configure $*"
	"$CONFIG_SHELL" ./configure CONFIG_SHELL="$CONFIG_SHELL" CFLAGS="$cflags" "$@" ||
		die "configure failed"
	if [ "$cfg_state" = miss ]; then
		# whole or not at all: a copy renamed into place; keep the 4 newest
		mkdir -p "$SF_CONFIGURE_CACHE"
		t=$(mktemp -d "$SF_CONFIGURE_CACHE/.tmp-XXXXXX")
		if cp -a "$SF_BUILD/." "$t/" && mv -T "$t" "$SF_CONFIGURE_CACHE/$cfg_key" 2>/dev/null; then
			step "configured tree saved to the configure cache ($cfg_key)"
		else
			rm -rf "$t"
		fi
		# copies left by killed builds
		find "$SF_CONFIGURE_CACHE" -mindepth 1 -maxdepth 1 -name '.tmp-*' -mmin +240 \
			-exec rm -rf {} + 2>/dev/null || true
		# shellcheck disable=SC2012  # names are hex keys
		ls -1t "$SF_CONFIGURE_CACHE" | tail -n +5 | while read -r old; do
			rm -rf "${SF_CONFIGURE_CACHE:?}/$old"
		done
	fi
fi
echo "$cfg_state $cfg_key" >"$SF_OUT/configure-cache.txt"

# what configure found: "name=yes" or "name=no: why"
features=$SF_OUT/features.txt
: >"$features"
for f in rsmi nvml oneapi hwloc lz4 json yaml lua pmix libcurl readline jwt mysql pam; do
	def=HAVE_$(echo "$f" | tr '[:lower:]' '[:upper:]')
	if grep -q "^#define $def " config.h 2>/dev/null; then
		echo "$f=yes" >>"$features"
	else
		why=$(grep "^$f: " "$reasons" | head -n 1 | cut -d' ' -f2-)
		echo "$f=${why:-no: configure did not find it (see config.log)}" >>"$features"
	fi
done
cat "$SF_OUT/series.txt" >>"$features"
if [ "$SF_GPU" = 1 ]; then
	grep -q '^rsmi=yes' "$features" || die "--gpu: ROCm SMI was not found by configure"
	grep -q '^nvml=yes' "$features" || die "--gpu: NVML was not found by configure"
fi
if [ -n "$pmix_dir" ] && [ "$SF_MINIMAL" != 1 ] && ! user_has --with-pmix && ! user_has --without-pmix; then
	grep -q '^pmix=yes' "$features" || die "PMIx at $pmix_dir was not taken by configure (see config.log)"
fi

# Libraries the node provides, never grafted, declared in the manifest
# ("name reason" lines in host-provided.txt): verify accepts exactly these
# beyond the system allowlist. All of them are dlopen()ed by name at run
# time, and all belong to something installed with the node: its PMIx (whose
# MCA components load from that installation's own compiled-in path: a
# grafted libpmix without them fails at MPI_Init) or its GPU driver stack.
host=$SF_OUT/host-provided.txt
{
	if grep -q '^pmix=yes' "$features"; then
		echo "libpmix.so.2 PMIx of the node: mpi/pmix dlopen()s it; PMIx loads its MCA components from its own installation, so a grafted copy would run without them"
	fi
	if grep -q '^nvml=yes' "$features"; then
		echo "libnvidia-ml.so.1 NVIDIA driver (NVML): must match the node's kernel module; dlopen()ed by gpu/nvml"
		echo "libnvidia-ml.so NVIDIA driver (NVML, the name 23.02-23.11 dlopen() first): must match the node's kernel module"
		echo "libcuda.so.1 NVIDIA driver (CUDA driver API, for jobs): must match the node's kernel module"
	fi
	if grep -q '^rsmi=yes' "$features"; then
		echo "librocm_smi64.so AMD ROCm SMI of the node's ROCm stack: dlopen()ed by gpu/rsmi; matches the node's amdgpu driver"
	fi
} >"$host"
host_names=$(cut -d' ' -f1 "$host")

# --- make, install -----------------------------------------------------------
step "make -j$SF_JOBS"
# shellcheck disable=SC2016  # $(top_builddir) is make's, expanded in each Makefile
set -- SHELL="$make_shell" LIBTOOL="$CONFIG_SHELL"' $(top_builddir)/libtool'
make -j"$SF_JOBS" "$@" >"$SF_OUT/make.log" 2>&1 || { tail -n 60 "$SF_OUT/make.log"; die "make failed"; }
step "make install DESTDIR=$destdir"
make install "$@" DESTDIR="$destdir" >"$SF_OUT/install.log" 2>&1 ||
	{ tail -n 60 "$SF_OUT/install.log"; die "make install failed"; }
[ -d "$destdir$SF_PREFIX" ] || die "make install left no $SF_PREFIX in $destdir"
mv "$destdir$SF_PREFIX" "$tree"
rm -rf "$destdir"
if command -v ccache >/dev/null 2>&1 && [ -n "${CCACHE_DIR:-}" ]; then
	ccache -s >"$SF_OUT/ccache.txt" 2>&1 || true
fi

# --- make it relocatable ------------------------------------------------------
step "relocate"
cd "$tree"
find . -name '*.la' -type f -exec rm -f {} +
mkdir -p etc
cat >etc/README <<'README'
Slurm's configuration directory (sysconfdir) of this relocatable tree.
Put slurm.conf here, or point SLURM_CONF at it; set PluginDir to lib/slurm
of the tree wherever it is unpacked (the compiled-in default is the build
prefix).
README
# pkg-config files: relative to where they are found
find . -name '*.pc' -type f | while read -r pc; do
	sed -i "s|$SF_PREFIX|\${pcfiledir}/../..|g" "$pc"
done

# PMIx 4.0's headers (Debian 11) expand PMIX_VALUE_LOAD and PMIX_INFO_LOAD,
# which mpi/pmix uses everywhere, into libpmix's internal
# pmix_value_load(); PMIx 4.1 and later (Debian 12's 4.2, 13's 5.0) no
# longer export it (PMIx_Value_load() instead). Slurm loads the plugin
# lazily, so on such a node slurmstepd dies at the first step ("symbol
# lookup error: mpi_pmix.so: undefined symbol: pmix_value_load", on a
# stderr no log keeps) and srun waits for tasks that never start. A plugin
# that needs the symbol gets lib/libsf_pmix_compat.so as a DT_NEEDED of its
# own: it defines pmix_value_load() by PMIx_Value_load() where the node's
# PMIx has that, else by the node's own pmix_value_load() (where PMIx 4.0
# exports it, the node's libpmix, loaded first and global, wins anyway).
# The node's PMIx stays the node's (host-provided). Decided from the built
# plugin's undefined symbols: features.txt pmix_value_load=shim.
pmix_plugins=
for f in lib/slurm/mpi_pmix*.so; do
	if [ ! -f "$f" ] || [ -L "$f" ]; then continue; fi
	nm -D --undefined-only "$f" 2>/dev/null | grep -q ' pmix_value_load$' || continue
	pmix_plugins="$pmix_plugins $f"
done
if [ -n "$pmix_plugins" ]; then
	step "PMIx 4.0 compatibility:$pmix_plugins need pmix_value_load"
	cat >"$SF_BUILD/sf_pmix_compat.c" <<'C'
/* slurm-factory: pmix_value_load() for a mpi/pmix plugin built against
 * PMIx 4.0 headers, on a node whose PMIx (>= 4.1) no longer exports it. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <unistd.h>
#include <pmix_common.h>

typedef pmix_status_t (*load_pub)(pmix_value_t *, const void *, pmix_data_type_t);
typedef void (*load_own)(pmix_value_t *, const void *, pmix_data_type_t);

void pmix_value_load(pmix_value_t *v, const void *data, pmix_data_type_t type)
{
	static const char msg[] = "libsf_pmix_compat: the node's libpmix has neither "
				  "PMIx_Value_load nor pmix_value_load\n";
	static load_pub pub;
	static load_own own;

	if (!pub && !own) {
		pub = (load_pub)dlsym(RTLD_DEFAULT, "PMIx_Value_load");
		if (!pub)
			own = (load_own)dlsym(RTLD_NEXT, "pmix_value_load");
	}
	if (pub) {
		(void)pub(v, data, type);
		return;
	}
	if (own) {
		own(v, data, type);
		return;
	}
	(void)!write(2, msg, sizeof(msg) - 1);
	abort();
}
C
	(cd "$SF_BUILD" && $CC -O2 -fPIC -shared ${pmix_dir:+-I"$pmix_dir/include"} \
		-Wl,-soname,libsf_pmix_compat.so -o "$tree/lib/libsf_pmix_compat.so" \
		sf_pmix_compat.c -ldl) || die "the PMIx 4.0 compatibility library did not build"
	for f in $pmix_plugins; do
		patchelf --add-needed libsf_pmix_compat.so "$f"
	done
	echo "pmix_value_load=shim" >>"$features"
fi

is_elf() { [ "$(head -c 4 "$1" | od -An -c | tr -d ' ')" = '177ELF' ]; }
is_dynamic() { readelf -d "$1" 2>/dev/null | grep -q '(NEEDED)\|(SONAME)'; }

# "$ORIGIN/<up>/lib:$ORIGIN/<up>/lib/slurm" for a file in directory $1 (relative)
rpath_for() {
	d=${1#./}
	case "$d" in
	lib) echo '$ORIGIN:$ORIGIN/slurm' ;;
	lib/slurm) echo '$ORIGIN/..:$ORIGIN' ;;
	*)
		up=$(echo "$d" | sed 's|[^/][^/]*|..|g')
		echo "\$ORIGIN/$up/lib:\$ORIGIN/$up/lib/slurm" ;;
	esac
}

elfs=$SF_OUT/elfs.txt
: >"$elfs"
find . -type f | LC_ALL=C sort | while read -r f; do
	if is_elf "$f"; then echo "$f" >>"$elfs"; fi
done
while read -r f; do
	strip --strip-debug "$f"
	if is_dynamic "$f"; then
		patchelf --force-rpath --set-rpath "$(rpath_for "$(dirname "$f")")" "$f"
	fi
done <"$elfs"

allowed() {
	set -f
	for p in $SF_SYSTEM_LIBS $host_names; do
		# shellcheck disable=SC2254
		case "$1" in $p) set +f; return 0 ;; esac
	done
	set +f
	return 1
}

# graft: every library ld.so resolves outside the tree and off the allowlist
grafted=$SF_OUT/grafted.txt
: >"$grafted"
missing=0
mkdir -p lib
pass=0
while :; do
	pass=$((pass + 1))
	[ $pass -le 5 ] || die "grafting did not settle after 5 passes"
	new=0
	while read -r f; do
		is_dynamic "$f" || continue
		ldd "$f" 2>/dev/null | while read -r name arrow path _; do
			[ "$arrow" = "=>" ] || continue
			allowed "$name" && continue
			if [ "$path" = "not" ]; then
				echo "unresolved: $f needs $name"
				continue
			fi
			case "$path" in "$tree"/*) continue ;; esac
			[ -e "lib/$name" ] && continue
			cp -L "$path" "lib/$name"
			chmod 0755 "lib/$name"
			strip --strip-debug "lib/$name" 2>/dev/null || true
			patchelf --force-rpath --set-rpath '$ORIGIN' "lib/$name"
			echo "$name $path" >>"$grafted"
			echo "grafted lib/$name from $path"
		done
	done <"$elfs"
	# newly grafted libraries are scanned in the next pass
	find ./lib -maxdepth 1 -type f | LC_ALL=C sort | while read -r f; do
		grep -qx "$f" "$elfs" || { is_elf "$f" && echo "$f"; } || true
	done >"$elfs.new"
	if [ -s "$elfs.new" ]; then
		cat "$elfs.new" >>"$elfs"
		new=1
	fi
	rm -f "$elfs.new"
	[ $new = 1 ] || break
done
LC_ALL=C sort -o "$grafted" "$grafted"
grep -q '^unresolved:' "$log" && missing=1
[ $missing = 0 ] || die "libraries ld.so cannot find (see unresolved: above)"

# Where each grafted library comes from (for the manifest and an SBOM):
# grafted-packages.txt, one tab-separated line per library: name, Debian
# binary package, version, source package, source version, architecture,
# and the licence short names of the package's DEP-5 copyright file
# (space-separated); "-" for what is not known (a library no package owns).
step "grafted libraries' Debian packages"
: >"$SF_OUT/grafted-packages.txt"
while read -r name path; do
	owner=
	for p in "$path" "$(readlink -f "$path")"; do
		for q in "$p" "/usr${p#/usr}" "${p#/usr}"; do
			owner=$(dpkg -S "$q" 2>/dev/null | head -n 1 | cut -d' ' -f1)
			[ -n "$owner" ] && break 2
		done
	done
	owner=${owner%:}
	info=
	[ -n "$owner" ] && info=$(dpkg-query -W -f='${Package}\t${Version}\t${source:Package}\t${source:Version}\t${Architecture}' "$owner" 2>/dev/null)
	if [ -z "$info" ]; then
		printf '%s\t-\t-\t-\t-\t-\t-\n' "$name"
		continue
	fi
	# only a machine-readable (DEP-5) file says what its License: lines mean;
	# each whole value (with "or", "and", "with …exception"), blanks as "_"
	cf=/usr/share/doc/${owner%%:*}/copyright
	lic=
	if head -n 1 "$cf" 2>/dev/null | grep -q '^Format\(-Specification\)\?:'; then
		lic=$(sed -n 's/^License:[[:space:]]*//p' "$cf" |
			sed 's/[[:space:]]*$//; s/[[:space:]][[:space:]]*/_/g' | grep -v '^$' |
			LC_ALL=C sort -u | paste -sd' ' -)
	fi
	printf '%s\t%s\t%s\n' "$name" "$info" "${lic:--}"
done <"$grafted" >"$SF_OUT/grafted-packages.txt"
# toolchain.txt: the Debian packages of the compiler, linker and C library
# headers that made the tree ("package=version"; the SBOMs' build tools).
cc_pkg=$(dpkg -S "$(readlink -f "$(command -v gcc)")" 2>/dev/null | head -n 1 | cut -d: -f1)
dpkg-query -W -f='${Package}=${Version}\n' gcc ${cc_pkg:+"$cc_pkg"} binutils libc6-dev \
	2>/dev/null | LC_ALL=C sort -u >"$SF_OUT/toolchain.txt" || true
step "done: $(wc -l <"$elfs") ELF files, $(wc -l <"$grafted") libraries grafted"
